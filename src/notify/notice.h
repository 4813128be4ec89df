/*
 * notify/notice.h - one notice (a case as sent to one contact) and its forms: the plain-text
 * body, the CSV of its devices, X-ARF and IODEF reports, the whole MIME message; and the two
 * delivery routes (SMTP through libcurl, signed webhooks).
 *
 * Manual:
 *  - The case builder (cases.c) fills a struct bw_notice from the store and hands it to the
 *    renderers here; the renderers never read the store (so they are unit-tested and fuzzed on
 *    their own) and never decide policy.
 *  - Every renderer appends to a struct bw_buf and returns 0 or a negative BW_E* code; on
 *    failure the buffer holds a partial text the caller discards.
 *  - Delivery functions return 0 when the far side accepted the message; otherwise a negative
 *    code and d->msg says why in one line (relay unreachable, 550 from the relay, webhook 500,
 *    timeout). They never retry: the outbox (cases.c) owns retries and backoff.
 * Invariants: rendering is deterministic (same notice, same bytes; the MIME boundary is derived
 * from the idempotency key), so a message re-sent after a crash is byte-identical.
 */
#ifndef BW_NOTIFY_NOTICE_H
#define BW_NOTIFY_NOTICE_H

#include "core/core.h"
#include "store/store.h"

/* Same-country verdict for jurisdiction lines. */
enum bw_juris {
    BW_JURIS_UNKNOWN = 0, /* the other side's country is not known */
    BW_JURIS_SAME,        /* in the device's country */
    BW_JURIS_OTHER,       /* in another country */
    BW_JURIS_MIXED,       /* several, some in the device's country and some not (targets) */
};

/* One device in a notice. Strings are "" when unknown, never NULL. */
struct bw_notice_device {
    struct bw_addr addr;
    int64_t first_s;           /* first and last report times */
    int64_t last_s;
    uint64_t reports;
    uint32_t reporters;
    bw_catmask cats;           /* categories seen */
    uint16_t port;             /* port of the most recent report; 0 unknown */
    double score;
    struct bw_enrichment en;   /* asn, country, device_* ... as stored */
    const char *hostname;      /* reverse name when known */
    const char *controller;    /* controller address or host when known */
    const char *controller_country;
    enum bw_juris controller_juris;
    enum bw_juris target_juris;
    const char *evidence[3];   /* up to 3 recent evidence lines (NULL-terminated if fewer) */
    const char *advice;        /* remediation advice from the advisories; "" none */
    bool is_new;               /* newly listed in this cycle (else: still listed) */
};

/* One notice: a case as sent (or escalated) to one contact. */
struct bw_notice {
    int64_t case_id;
    const char *idem_key;      /* idempotency key of this message (outbox); also Message-ID */
    const char *contact;       /* contact name */
    const char *contact_role;  /* "isp", "upstream", "cert" */
    const char *to;            /* e-mail address, "" none */
    const char *from;          /* sender address */
    const char *registry_name; /* e.g. "botwatch at registry.example" */
    int level;                 /* 0 = the network itself; n = n-th escalation */
    const char *escalated_from;/* contact the case was first sent to; "" when level 0 */
    const char *history;       /* escalation history as text lines; "" none */
    int64_t sent_s;
    int64_t due_s;             /* acknowledge by */
    const char *ack_url;       /* signed acknowledgement link; "" none */
    const struct bw_notice_device *dev;
    size_t n_dev;
    size_t part, parts;        /* this message is part `part` of `parts` (1-based); 0 or 1
                                * part: the whole notice */
    size_t n_total;            /* devices in the whole notice (all parts); 0 = n_dev */
};

/* The plain-text body: summary counts, top device types and vendors, one block per device
 * (address, times, categories, port, ASN, country, device, evidence lines, jurisdiction,
 * advice), how to acknowledge, escalation history. */
BW_MUSTCHECK int bw_notice_text(const struct bw_notice *n, struct bw_buf *out);

/* The CSV attachment: a header row then one row per device, columns
 * timestamp,ip,port,asn,geo,hostname,device_vendor,device_type,device_model,infection,controller
 * (RFC 4180 quoting; timestamp is the last report, RFC 3339 UTC). */
BW_MUSTCHECK int bw_notice_csv(const struct bw_notice *n, struct bw_buf *out);

/* X-ARF report (JSON) for device i of n: the abusix layout (ReporterInfo, Report with
 * ReportClass/ReportType) with "Version": "3", the value its published schemas pin; BW_EINVAL
 * when i >= n_dev. The category mapping is in docs/notify.md. */
BW_MUSTCHECK int bw_notice_xarf(const struct bw_notice *n, size_t i, struct bw_buf *out);

/* IODEF (RFC 7970) XML document with one Incident per device; BW_EINVAL when n_dev is 0 (an
 * IODEF document needs an Incident). */
BW_MUSTCHECK int bw_notice_iodef(const struct bw_notice *n, struct bw_buf *out);

/* The whole RFC 5322 message: headers (From, To, Subject, Date, Message-ID from idem_key,
 * Auto-Submitted), multipart/mixed with the text body, the CSV (text/csv, filename
 * botwatch-case-<id>.csv) and the IODEF document (application/xml); X-ARF reports as
 * application/json parts when there are at most 100 devices. CRLF line ends throughout. */
BW_MUSTCHECK int bw_notice_mime(const struct bw_notice *n, struct bw_buf *out);

/* The webhook body: one JSON object {case_id, contact, level, sent, due, ack_url, devices:[...]}
 * with the same per-device fields as the CSV plus categories and score. */
BW_MUSTCHECK int bw_notice_json(const struct bw_notice *n, struct bw_buf *out);

/* SMTP relay settings (from [notify] in the config file and the command line). */
struct bw_smtp {
    char host[256];
    uint16_t port;             /* default 25 */
    bool starttls;             /* require STARTTLS */
    char user[128];            /* "" = no AUTH */
    char password[128];
    long timeout_ms;           /* whole transaction; default 30000 */
};

/* Sends the message msg (as bw_notice_mime made it) from 'from' to 'to'. BW_EAGAIN when a
 * retry may succeed (cannot connect, timeout, 4xx), BW_EIO when it will not by itself (5xx,
 * authentication or STARTTLS refused), BW_EINVAL for addresses or a host refused unsent. */
BW_MUSTCHECK int bw_smtp_send(const struct bw_smtp *s, const char *from, const char *to,
                              const char *msg, size_t len, struct bw_diag *d);

/* HMAC-SHA256 webhook signature: hex of HMAC(secret, "<ts>.<body>"), into out[65]. The request
 * carries headers X-Botwatch-Timestamp: <ts> and X-Botwatch-Signature: sha256=<hex>. */
void bw_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char out[65]);

/* POSTs body (application/json) to url, signed as above (no signature header when secret is
 * NULL or ""); any 2xx is success, redirects are not followed. Also sends Idempotency-Key:
 * idem_key. BW_EAGAIN for cannot connect, timeout, 5xx, 408, 429; BW_EIO for other statuses;
 * BW_EINVAL for a URL that is not http(s) or a key that is not printable ASCII. */
BW_MUSTCHECK int bw_webhook_post(const char *url, const char *secret, const char *idem_key,
                                 int64_t ts, const char *body, size_t len, long timeout_ms,
                                 struct bw_diag *d);

#endif
