/*
 * notify/notify.h - telling the networks: cases, the outbox, escalation and remediation.
 *
 * Manual (docs/notify.md is the user's version):
 *  - bw_notify_run() is one notification cycle (`botwatch notify run`, and serve's schedule):
 *     1. build: walks the listed devices in contact order (one contact's devices in memory at a
 *        time) and gives each contact one case holding its newly and still listed devices: a
 *        new case, or the open one updated, or a closed one reopened when a device of it came
 *        back. When a case gains devices, its notice is rendered (notice.h) and queued in the
 *        outbox for each route of the contact, in the same transaction as the case change;
 *     2. remediate: a device of an open case without reports for the quiet period (default
 *        7 days) counts as remediated; a case whose devices are all fixed or remediated is
 *        remediated, then closed;
 *     3. escalate: a case not acknowledged by its deadline goes to its current contact's
 *        parent with its history (a new deadline for that level); at the top of the chain it
 *        becomes overdue and stays there;
 *     4. deliver: every due message of the outbox is sent (SMTP or signed webhook) and marked
 *        sent once the far side accepted it; a failure is retried with exponential backoff
 *        and, after max_attempts or at once for a refusal that will not change, marked failed.
 *  - Exactly once, from the registry's side: a message exists only with the case change it
 *    tells of (one transaction); it is claimed for an attempt (the claim's lease keeps a
 *    second sender off it), sent, then marked sent. The only window for a duplicate is a crash
 *    after the far side accepted a message and before it was marked sent: the message is sent
 *    again after the lease, byte for byte the same, with the same Message-ID and
 *    Idempotency-Key (its outbox key), so the receiver can tell.
 *  - Policy (what counts as remediated, who is next up the chain, deadlines) lives here; the
 *    store only keeps the rows; renderers and delivery live in notice.h.
 * Invariants:
 *  - Each case change is one transaction: a crash leaves cases, devices, events and outbox
 *    agreeing. A dry run does the whole cycle inside one transaction it rolls back.
 *  - Memory holds one contact's case at a time; it does not grow with the number of devices.
 *  - Time is the now_s argument; nothing here reads the clock.
 */
#ifndef BW_NOTIFY_H
#define BW_NOTIFY_H

#include "core/core.h"
#include "enrich/enrich.h"
#include "notify/notice.h"
#include "score/score.h"
#include "store/store.h"

/* Settings ([notify] in the config file; docs/notify.md). */
struct bw_notify_config {
    struct bw_smtp smtp;            /* host "" = no relay configured */
    char from[256];                 /* sender address; default "botwatch@localhost" */
    char registry_name[128];        /* signs the notices; default "botwatch" */
    char ack_base_url[256];         /* "https://registry.example": the signed link is
                                     * <base>/api/v1/cases/<id>/ack?token=<token>; "" none */
    char webhook_secret[128];       /* HMAC key of webhook signatures; "" = webhooks refused */
    int64_t due_s[BW_ROLE_COUNT];   /* deadline per contact role; default 72 h each */
    int64_t quiet_s;                /* no reports this long: remediated; default 7 d */
    int64_t retry_s;                /* first retry delay, doubled each time; default 5 min */
    int64_t retry_max_s;            /* longest retry delay; default 6 h */
    unsigned max_attempts;          /* then the message is failed; default 10 */
    unsigned max_devices;           /* devices in one message; a larger notice goes out in
                                     * parts (mail size limits, bounded memory); default 1000 */
    int64_t lease_s;                /* a claimed message waits this long before another try
                                     * (a sender that crashed); default 10 min */
    int64_t interval_s;             /* serve runs a cycle this often; 0 = never (default) */
};
/* The defaults. */
void bw_notify_config_default(struct bw_notify_config *c);
/* Sets one [notify] key from its text (docs/notify.md lists them): BW_EINVAL for an unknown
 * key, BW_EMALFORMED for a bad value. */
BW_MUSTCHECK int bw_notify_config_set(struct bw_notify_config *c, const char *key,
                                      const char *value);
/* "HOST:PORT", "HOST" (port 25) or "[v6]:PORT" into c->smtp; BW_EMALFORMED when bad. */
BW_MUSTCHECK int bw_notify_set_relay(struct bw_notify_config *c, const char *hostport);

/* What a cycle reads besides the store. contacts is required; the others may be NULL (the
 * fields they give stay unknown). */
struct bw_notify_sources {
    const struct bw_policy *policy;         /* NULL: the defaults */
    const struct bw_contacts *contacts;
    const struct bw_advisories *advisories; /* remediation advice */
    const struct bw_geo *geo;               /* countries of controllers and targets */
    const struct bw_pfxset *allow;          /* the allowlist: never listed */
};

struct bw_notify_opts {
    bool dry_run;         /* build and render, change nothing, send nothing */
    bool no_send;         /* build and queue; leave delivery to a later run */
    const char *contact;  /* only this contact's cases (NULL: all) */
};

/* What a cycle did, one event at a time (for the operator's output). */
enum bw_notify_event_kind {
    BW_NEV_OPENED,        /* a new case */
    BW_NEV_UPDATED,       /* new devices in the contact's open case */
    BW_NEV_REOPENED,      /* a device of a closed case came back */
    BW_NEV_NO_ROUTE,      /* the contact has neither email nor webhook: the case waits */
    BW_NEV_UNKNOWN,       /* devices name a contact that is no longer known */
    BW_NEV_REMEDIATED,    /* devices went quiet */
    BW_NEV_CLOSED,        /* every device fixed or remediated */
    BW_NEV_ESCALATED,     /* sent up the chain */
    BW_NEV_OVERDUE,       /* past due at the top of the chain */
    BW_NEV_SENT,          /* the relay or webhook accepted a message */
    BW_NEV_RETRY,         /* an attempt failed; retried later */
    BW_NEV_FAILED,        /* given up */
};
const char *bw_notify_event_name(enum bw_notify_event_kind k); /* "opened", ... */

struct bw_notify_event {
    enum bw_notify_event_kind kind;
    int64_t case_id;      /* 0 when none */
    const char *contact;  /* the contact concerned (the one told, for deliveries) */
    const char *dest;     /* address or URL for deliveries; "" otherwise */
    const char *detail;   /* one line: the reason, the devices, ... */
    uint64_t n;           /* devices (build, remediation) */
};
typedef void (*bw_notify_event_cb)(void *ctx, const struct bw_notify_event *e);

struct bw_notify_result {
    uint64_t devices_listed;    /* listed devices that have a known contact */
    uint64_t devices_new;       /* of them: newly in a case (relapsed ones included) */
    uint64_t devices_relapsed;  /* came back after being fixed or remediated */
    uint64_t devices_unknown;   /* listed, naming a contact that is not (any more) known */
    uint64_t devices_remediated;
    uint64_t cases_opened, cases_updated, cases_reopened, cases_closed;
    uint64_t escalations, overdue, no_route;
    uint64_t queued;            /* messages written to the outbox */
    uint64_t sent, retrying, failed;
    uint64_t pending;           /* messages still waiting in the outbox after the run */
};

/* One notification cycle at now_s. cb (may be NULL) hears of every event. Returns BW_OK even
 * when deliveries failed (they are in res and the events); a store failure returns its code
 * with d saying why. */
BW_MUSTCHECK int bw_notify_run(struct bw_store *st, const struct bw_notify_config *cf,
                               const struct bw_notify_sources *src,
                               const struct bw_notify_opts *o, int64_t now_s,
                               bw_notify_event_cb cb, void *ctx, struct bw_notify_result *res,
                               struct bw_diag *d);

/* ---- what operators and the HTTP API do to a case ---- */

/* Acknowledges case id (BW_ENOTFOUND; BW_ECONFLICT when its state does not allow it, e.g.
 * closed). actor names who did ("operator", an API key's name). */
BW_MUSTCHECK int bw_notify_case_ack(struct bw_store *st, int64_t id, const char *actor,
                                    int64_t now_s, struct bw_diag *d);
/* The same after checking the signed token of the acknowledgement link (BW_EINVAL when it is
 * not the case's). */
BW_MUSTCHECK int bw_notify_case_ack_token(struct bw_store *st, int64_t id, const char *token,
                                          const char *actor, int64_t now_s, struct bw_diag *d);
/* Marks addrs[0..n) of case id fixed (n == 0: all its devices); a device not in the case is
 * BW_ENOTFOUND with d naming it. When no device is left active the case is remediated and
 * closed (*closed true). *n_fixed counts the devices marked now. */
BW_MUSTCHECK int bw_notify_case_fixed(struct bw_store *st, int64_t id,
                                      const struct bw_addr *addrs, size_t n, const char *actor,
                                      int64_t now_s, size_t *n_fixed, bool *closed,
                                      struct bw_diag *d);

#endif
