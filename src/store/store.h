/*
 * store/store.h - persistence, behind one backend-neutral interface.
 *
 * Manual:
 *  - bw_store_open() picks the backend from the location: a file path is SQLite (WAL mode, one
 *    writer); "postgresql://..." is reserved for the PostgreSQL backend. The schema is created
 *    or migrated on open (versioned migrations, each in its own transaction).
 *  - Writes happen inside bw_store_begin()/bw_store_commit(); a batch of reports is one
 *    transaction, so a crash loses at most the batch in flight and never leaves half of one.
 *  - Everything is keyed by the device's address (16 bytes, IPv4 mapped): reports, evidence and
 *    the device row of one address sit together, and a batch sorted by address writes them in
 *    key order.
 *  - Strings handed out in callbacks are valid only during the callback.
 * Invariants: store/ is the only code that speaks SQL; it never decides policy (score/ does).
 */
#ifndef BW_STORE_H
#define BW_STORE_H

#include "core/core.h"
#include "score/score.h"

struct bw_store;

/* Opens (creating and migrating as needed). On failure *out is untouched and d says why. */
BW_MUSTCHECK int bw_store_open(struct bw_store **out, const char *location, struct bw_diag *d);
void bw_store_close(struct bw_store *st); /* NULL is a no-op */
/* Schema version after open, and the newest this build knows. */
int bw_store_schema_version(struct bw_store *st);
int bw_store_schema_latest(void);
/* The half-life the stored decayed counts were built with; the store's merges use it. */
void bw_store_set_half_life(struct bw_store *st, int64_t half_life_s);

/* Commits are handed to the operating system (they survive the process crashing, not a power
 * loss). This puts every commit made so far, by any connection to the store, on stable
 * storage: servers call it before answering "stored" to remote callers, once for all the
 * commits made meanwhile (a group commit: one flush covers many requests). */
BW_MUSTCHECK int bw_store_sync(struct bw_store *st);

BW_MUSTCHECK int bw_store_begin(struct bw_store *st);
BW_MUSTCHECK int bw_store_commit(struct bw_store *st);
void bw_store_rollback(struct bw_store *st);

/* A number that changes whenever another connection commits to the store (servers poll it
 * to rebuild their snapshot). */
BW_MUSTCHECK int bw_store_data_version(struct bw_store *st, uint64_t *out);

/* The last backend error in words (valid until the next call). */
const char *bw_store_errmsg(struct bw_store *st);

/* ---- reporters ---- */

#define BW_NAME_MAX 128

struct bw_reporter {
    int64_t id;
    char name[BW_NAME_MAX];
    enum bw_trust trust;
    char org[BW_NAME_MAX]; /* "" = none */
    int64_t created_s;
};

BW_MUSTCHECK int bw_store_reporter_get(struct bw_store *st, const char *name,
                                       struct bw_reporter *out); /* BW_ENOTFOUND */
/* Creates the reporter (normal trust) if missing; *id_out gets its id. */
BW_MUSTCHECK int bw_store_reporter_ensure(struct bw_store *st, const char *name, int64_t now_s,
                                          int64_t *id_out);
/* Inserts or updates name's trust and org; fills r->id. */
BW_MUSTCHECK int bw_store_reporter_put(struct bw_store *st, struct bw_reporter *r);
typedef int (*bw_reporter_cb)(void *ctx, const struct bw_reporter *r, uint64_t reports,
                              uint64_t devices);
BW_MUSTCHECK int bw_store_reporter_list(struct bw_store *st, bw_reporter_cb cb, void *ctx);

/* ---- reports, evidence and devices (the ingest path) ---- */

/* Stores one report under its identity hash. *inserted is false when it was already stored
 * (a duplicate: nothing changes). */
BW_MUSTCHECK int bw_store_report_insert(struct bw_store *st, const struct bw_report *r,
                                        int64_t report_id, int64_t reporter_id,
                                        int64_t ingested_s, bool *inserted);

/* Merges new evidence (reports, first/last, decayed count, categories) of one reporter on one
 * device into the stored record, creating it when missing. */
BW_MUSTCHECK int bw_store_evidence_merge(struct bw_store *st, const struct bw_addr *a,
                                         int64_t reporter_id, const struct bw_evidence *add);

/* Merges new evidence of one reporter on a network listing (a prefix), creating it when
 * missing. Devices inside the prefix are judged with it (bw_store_evidence_get). */
BW_MUSTCHECK int bw_store_network_merge(struct bw_store *st, const struct bw_prefix *net,
                                        int64_t reporter_id, const struct bw_evidence *add);

/* What enrichment found out about a device ("" / 0 = unknown). */
struct bw_enrichment {
    uint32_t asn;
    char as_org[128];
    char prefix[BW_PREFIX_TEXT_MAX];
    char country[3];
    char region[64];
    char city[64];
    char vertical[16];
    char contact[64];       /* contact name */
    char device_type[64];
    char device_vendor[64];
    char device_model[64];
    char device_os[64];
    char device_software[64];
    char device_version[32];
    char device_matched[160]; /* which fingerprint or source said so */
    int64_t enriched_s;     /* when the network part was last set; 0 = never */
};

enum bw_enrich_part {
    BW_ENRICH_NETWORK = 1, /* asn, as_org, prefix, country, region, city, vertical, contact */
    BW_ENRICH_DEVICE = 2,  /* the device_* fields */
};

/* Writes the parts of an enrichment given in mask to the device row. */
BW_MUSTCHECK int bw_store_device_enrich(struct bw_store *st, const struct bw_addr *a,
                                        const struct bw_enrichment *e, unsigned mask,
                                        int64_t now_s);

/* A device and its aggregate state. The aggregates are derived from its evidence records
 * when read (never stored twice); en holds what enrichment stored. */
struct bw_device {
    struct bw_addr addr;
    int64_t first_seen_s;  /* over all its evidence; 0 when none */
    int64_t last_seen_s;
    uint64_t reports;
    uint32_t reporters;
    bw_catmask cats;
    int64_t created_s;     /* when it was first stored */
    struct bw_enrichment en;
};

/* Creates the device row when missing; *is_new tells whether it did. */
BW_MUSTCHECK int bw_store_device_ensure(struct bw_store *st, const struct bw_addr *a,
                                        int64_t now_s, bool *is_new);

BW_MUSTCHECK int bw_store_device_get(struct bw_store *st, const struct bw_addr *a,
                                     struct bw_device *out); /* BW_ENOTFOUND */

/* Whether the device row exists; then bw_store_device_create() writes a new one with its
 * enrichment in one statement (ingest's path when it enriches: a read and an insert cost less
 * than an insert and an update). Creating an existing device changes nothing. */
BW_MUSTCHECK int bw_store_device_exists(struct bw_store *st, const struct bw_addr *a,
                                        bool *exists);
BW_MUSTCHECK int bw_store_device_create(struct bw_store *st, const struct bw_addr *a,
                                        int64_t now_s, const struct bw_enrichment *e);

/* All evidence on one device with its reporters' names, trust and org: cb once with the array
 * (n may be 0), its own first, then that of every listed network containing it (ev[i].via set;
 * the device's aggregates count its own evidence only). */
typedef int (*bw_evidence_cb)(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                              size_t n);
BW_MUSTCHECK int bw_store_evidence_get(struct bw_store *st, const struct bw_addr *a,
                                       bw_evidence_cb cb, void *ctx);

/* Every network listing with its evidence (d->addr is the network address and ev[i].via the
 * prefix), in prefix order; like bw_store_device_walk. */
BW_MUSTCHECK int bw_store_network_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb,
                                       void *ctx);

/* Every device whose last report is at or after since_s, in address order, each with its
 * evidence (created_s is not filled: the walk reads evidence only). A callback returning non-zero stops the walk and that value is returned. */
BW_MUSTCHECK int bw_store_device_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb,
                                      void *ctx);

/* Every device that has a contact (the enrichment's contact column), in (contact, address)
 * order, each with its evidence; only the devices of `contact` when it is not NULL. Otherwise
 * like bw_store_device_walk. The notification cycle reads one contact's devices at a time. */
BW_MUSTCHECK int bw_store_device_walk_contact(struct bw_store *st, const char *contact,
                                              int64_t since_s, bw_evidence_cb cb, void *ctx);

/* bw_store_device_walk without the device rows: d->addr and the aggregates only (created_s
 * and the enrichment are zero), for judging every device fast (snapshot builds). */
BW_MUSTCHECK int bw_store_evidence_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb,
                                        void *ctx);

/* The devices a[0..n) that have evidence, in address order, each with its own evidence (not
 * that of networks containing it), as bw_store_device_walk gives them: servers judge again the
 * devices that changed. */
BW_MUSTCHECK int bw_store_device_walk_set(struct bw_store *st, const struct bw_addr *a,
                                          size_t n, bw_evidence_cb cb, void *ctx);

/* Recent reports on one device, newest first (for lookups). A callback returning non-zero
 * stops the walk and that value is returned. */
struct bw_stored_report {
    int64_t time_s;
    bw_catmask cats;
    uint16_t port;
    const char *reporter;
    const char *evidence;   /* may be NULL */
    const char *source;
    const char *controller; /* may be NULL: the controller the device talked to */
    const char *target;     /* may be NULL: what it attacked */
    const char *family;     /* may be NULL: malware family */
};
typedef int (*bw_report_cb)(void *ctx, const struct bw_stored_report *r);
BW_MUSTCHECK int bw_store_report_recent(struct bw_store *st, const struct bw_addr *a,
                                        size_t limit, bw_report_cb cb, void *ctx);

/* The newest report's sequence number (reports are numbered in the order they are stored);
 * 0 when there is none. */
BW_MUSTCHECK int bw_store_report_seq(struct bw_store *st, int64_t *out);
/* Every address with reports stored after seq, once, in address order (net_len > 0: the
 * network address of a network listing of that length, IPv4 on the 128-bit scale); *max_seq
 * gets the newest sequence number seen (seq when none). A callback returning non-zero stops
 * the walk and that value is returned. Servers use it to follow the store incrementally. */
typedef int (*bw_changed_cb)(void *ctx, const struct bw_addr *a, unsigned net_len);
BW_MUSTCHECK int bw_store_reports_since(struct bw_store *st, int64_t seq, bw_changed_cb cb,
                                        void *ctx, int64_t *max_seq);

/* Totals for status output. */
struct bw_store_counts {
    uint64_t devices;
    uint64_t reports;
    uint64_t reporters;
    uint64_t allowlist;
};
BW_MUSTCHECK int bw_store_counts(struct bw_store *st, struct bw_store_counts *out);

/* Every stored device address, in address order (for re-enrichment). */
typedef int (*bw_addr_cb)(void *ctx, const struct bw_addr *a);
BW_MUSTCHECK int bw_store_device_addrs(struct bw_store *st, bw_addr_cb cb, void *ctx);

/* ---- operator knowledge: contacts, sector overrides, advisories ---- */

/* A stored contact row, as imported. */
struct bw_contact_row {
    char name[64];
    char scope[512];
    char email[128];
    char webhook[256];
    char role[16];
    char parent[64];
};
/* Replaces the whole contacts table with rows[0..n) in one transaction. */
BW_MUSTCHECK int bw_store_contacts_replace(struct bw_store *st, const struct bw_contact_row *rows,
                                           size_t n);
typedef int (*bw_contact_cb)(void *ctx, const struct bw_contact_row *row);
BW_MUSTCHECK int bw_store_contacts_list(struct bw_store *st, bw_contact_cb cb, void *ctx);

/* Operator sector overrides: asn -> vertical name. put replaces one; list visits all. */
BW_MUSTCHECK int bw_store_vertical_put(struct bw_store *st, uint32_t asn, const char *vertical);
typedef int (*bw_vertical_cb)(void *ctx, uint32_t asn, const char *vertical);
BW_MUSTCHECK int bw_store_vertical_list(struct bw_store *st, bw_vertical_cb cb, void *ctx);

/* Advisories (remediation knowledge): id is unique; put inserts or replaces. */
struct bw_advisory_row {
    char id[32];
    char vendor[64];
    char product[128];
    char name[256];
    char action[512];
    int64_t added_s;
    char source[16]; /* "kev" or "note" */
};
BW_MUSTCHECK int bw_store_advisory_put(struct bw_store *st, const struct bw_advisory_row *row);
typedef int (*bw_advisory_cb)(void *ctx, const struct bw_advisory_row *row);
BW_MUSTCHECK int bw_store_advisory_list(struct bw_store *st, bw_advisory_cb cb, void *ctx);

/* ---- cases, their devices and events; the outbox (for notify/) ----
 *
 * A case is one contact's notification: the devices of its scope that were listed, who was
 * told, when, and by when they must acknowledge. Its state moves only along these arrows,
 * and bw_store_case_transition() records every move as an event (time, actor, note):
 *
 *   pending ----> open ----> escalated ---> overdue       (pending: no notice delivered yet;
 *      |           |         |    ^  |          |          escalated -> escalated: the next
 *      |           |         +----+  |          |          level up; overdue: due passed at
 *      +-----------+---------+-------+----------+          the top of the chain)
 *                            v
 *                      acknowledged ----> remediated ----> closed ----> open (reopened: a
 *                                                                            device came back)
 *
 * Every state but closed may also go straight to acknowledged (except remediated), remediated
 * or closed. A contact has at most one case that is not closed. */

enum bw_case_state {
    BW_CASE_PENDING,
    BW_CASE_OPEN,
    BW_CASE_ESCALATED,
    BW_CASE_OVERDUE,
    BW_CASE_ACKNOWLEDGED,
    BW_CASE_REMEDIATED,
    BW_CASE_CLOSED,
    BW_CASE_STATE_COUNT
};
const char *bw_case_state_name(enum bw_case_state s); /* "pending", "open", ...; never NULL */
BW_MUSTCHECK int bw_case_state_parse(enum bw_case_state *out, const char *s); /* BW_EMALFORMED */
/* Whether the diagram above allows from -> to. */
bool bw_case_transition_allowed(enum bw_case_state from, enum bw_case_state to);

struct bw_case {
    int64_t id;
    char contact[64];       /* the network's contact: whose case it is */
    char level_contact[64]; /* who was told last: the contact at level 0, then its parents */
    char scope[512];        /* the contact's scope when the case opened */
    uint32_t asn;           /* ASN of most of its devices when it opened; 0 unknown */
    enum bw_case_state state;
    int level;              /* 0 = the network itself; n = the n-th escalation */
    int notices;            /* notices queued so far (numbers the idempotency keys) */
    int64_t created_s;
    int64_t sent_s;         /* first notice delivered; 0 = not yet */
    int64_t level_sent_s;   /* first notice of the current level delivered; 0 = not yet */
    int64_t due_s;          /* acknowledge by; 0 = no deadline */
    int64_t acked_s;        /* 0 = not yet (the latest acknowledgement) */
    int64_t remediated_s;
    int64_t closed_s;
    int64_t updated_s;
    char ack_token[65];     /* hex HMAC-SHA256 of the case id under the registry's secret */
    char reason[256];       /* why delivery is pending or failed; "" = none */
    /* Read-only: filled by get, active and list; writes ignore them. */
    uint32_t n_devices;     /* devices in the case */
    uint32_t n_active;      /* of them, neither fixed nor remediated */
    uint32_t n_pending;     /* outbox messages pending, sent, failed */
    uint32_t n_sent;
    uint32_t n_failed;
    uint32_t n_escalations; /* events into escalated */
};

/* Creates a case in c->state with c's fields; fills c->id, c->ack_token, created and updated
 * times, and records the creation event ("" -> state) with actor and note. */
BW_MUSTCHECK int bw_store_case_create(struct bw_store *st, struct bw_case *c, const char *actor,
                                      const char *note, int64_t now_s);
BW_MUSTCHECK int bw_store_case_get(struct bw_store *st, int64_t id,
                                   struct bw_case *out); /* BW_ENOTFOUND */
/* The contact's case that is not closed; BW_ENOTFOUND when none. */
BW_MUSTCHECK int bw_store_case_active(struct bw_store *st, const char *contact,
                                      struct bw_case *out);
/* The contact's latest case, whatever its state; BW_ENOTFOUND when none. */
BW_MUSTCHECK int bw_store_case_latest(struct bw_store *st, const char *contact,
                                      struct bw_case *out);
/* Writes the fields that change without a transition: level, level_contact, notices, asn,
 * sent, level_sent, due and reason (not the state, nor the acknowledgement times). */
BW_MUSTCHECK int bw_store_case_update(struct bw_store *st, const struct bw_case *c,
                                      int64_t now_s);
/* Moves case id to `to` when the diagram allows it (BW_ECONFLICT otherwise, BW_ENOTFOUND for
 * no such case), sets the time of that state (acknowledged, remediated, closed; reopening
 * clears the last two) and records the event. Use inside a transaction for atomicity with
 * other writes, or alone. */
BW_MUSTCHECK int bw_store_case_transition(struct bw_store *st, int64_t id,
                                          enum bw_case_state to, const char *actor,
                                          const char *note, int64_t now_s);
/* Records an event that is not a transition (state -> same state): a notice queued, a device
 * fixed, a delivery. */
BW_MUSTCHECK int bw_store_case_note(struct bw_store *st, int64_t id, const char *actor,
                                    const char *note, int64_t now_s);
/* Whether token is case id's acknowledgement token (constant-time comparison); BW_ENOTFOUND
 * when there is no such case. */
BW_MUSTCHECK int bw_store_case_ack_check(struct bw_store *st, int64_t id, const char *token,
                                         bool *valid);

struct bw_case_filter {
    unsigned states;        /* bits (1u << state); 0 = every state */
    const char *contact;    /* NULL = every contact */
    int64_t due_before_s;   /* > 0: only cases with a deadline at or before this */
};
typedef int (*bw_case_cb)(void *ctx, const struct bw_case *c);
/* Cases matching f (NULL = all), in id order. A callback returning non-zero stops the walk
 * and that value is returned. The callback may not write to the store. */
BW_MUSTCHECK int bw_store_case_list(struct bw_store *st, const struct bw_case_filter *f,
                                    bw_case_cb cb, void *ctx);

struct bw_case_event {
    int64_t case_id;
    int64_t time_s;
    int from;               /* enum bw_case_state, or -1 for the creation */
    enum bw_case_state to;
    const char *actor;      /* "botwatch", "operator", an API key's name, ... */
    const char *note;       /* "" none */
    bool is_note;           /* a note (bw_store_case_note), not a transition */
};
typedef int (*bw_case_event_cb)(void *ctx, const struct bw_case_event *e);
/* A case's events, oldest first. */
BW_MUSTCHECK int bw_store_case_events(struct bw_store *st, int64_t id, bw_case_event_cb cb,
                                      void *ctx);

enum bw_case_listing { BW_LISTING_NEW, BW_LISTING_STILL };
enum bw_case_dev_state { BW_CDEV_ACTIVE, BW_CDEV_FIXED, BW_CDEV_REMEDIATED };
const char *bw_case_dev_state_name(enum bw_case_dev_state s); /* "active", "fixed", ... */

struct bw_case_device {
    int64_t case_id;
    struct bw_addr addr;
    enum bw_case_listing listing; /* in the case's latest notice: newly or still listed */
    enum bw_case_dev_state state;
    int64_t added_s;              /* when it joined the case */
    int64_t seen_s;               /* the last cycle that found it listed */
    int64_t fixed_s;              /* fixed or remediated as of; 0 while active */
    char fixed_by[64];            /* who said so ("botwatch" for a quiet period) */
    int64_t last_report_s;        /* read-only: its latest report; 0 none */
};
/* Inserts or replaces the (case, address) row. */
BW_MUSTCHECK int bw_store_case_device_put(struct bw_store *st, const struct bw_case_device *d);
typedef int (*bw_case_device_cb)(void *ctx, const struct bw_case_device *d);
/* A case's devices in address order. The callback may not write to the store. */
BW_MUSTCHECK int bw_store_case_devices(struct bw_store *st, int64_t case_id,
                                       bw_case_device_cb cb, void *ctx);
/* The address's row in the latest of contact's cases that hold it (and that case's state);
 * BW_ENOTFOUND when none does. */
BW_MUSTCHECK int bw_store_case_device_find(struct bw_store *st, const char *contact,
                                           const struct bw_addr *a, struct bw_case_device *out,
                                           enum bw_case_state *case_state);

/* Measures per contact or per ASN, from the cases (kept for the statistics that come later). */
struct bw_case_stats {
    const char *key;            /* the contact name, or "AS<n>" ("AS0" unknown) */
    uint64_t cases;
    uint64_t open;              /* not closed */
    uint64_t overdue;           /* not acknowledged nor remediated, past their deadline */
    uint64_t escalations;       /* escalation events */
    uint64_t acknowledged;      /* ever acknowledged */
    uint64_t remediated;        /* ever remediated */
    double ack_mean_s;          /* mean first notice -> acknowledgement; < 0 none */
    double remediate_mean_s;    /* mean opened -> remediated; < 0 none */
};
typedef int (*bw_case_stats_cb)(void *ctx, const struct bw_case_stats *s);
/* One row per contact (by_asn false) or per ASN, in key order; overdue is judged at now_s. */
BW_MUSTCHECK int bw_store_case_stats(struct bw_store *st, bool by_asn, int64_t now_s,
                                     bw_case_stats_cb cb, void *ctx);

/* Totals for monitoring (/metrics): cases by state, and outbox messages by state. */
struct bw_notify_counts {
    uint64_t cases[BW_CASE_STATE_COUNT];
    uint64_t outbox[3];         /* by enum bw_outbox_state */
    uint64_t undeliverable;     /* cases not closed that wait with a reason (no route, relay
                                 * down, ...) */
};
BW_MUSTCHECK int bw_store_notify_counts(struct bw_store *st, struct bw_notify_counts *out);

enum bw_outbox_state { BW_OUTBOX_PENDING, BW_OUTBOX_SENT, BW_OUTBOX_FAILED };
const char *bw_outbox_state_name(enum bw_outbox_state s);

/* One message to deliver: written in the same transaction as the case change it tells of. */
struct bw_outbox_msg {
    int64_t id;
    char key[160];           /* idempotency key: unique; also the Message-ID / Idempotency-Key */
    int64_t case_id;
    int level;               /* the case's level it was written for */
    char route[8];           /* "email" or "webhook" */
    char dest[256];          /* e-mail address or URL */
    enum bw_outbox_state state;
    unsigned attempts;       /* delivery attempts begun */
    int64_t next_s;          /* next attempt at or after */
    int64_t created_s;
    int64_t sent_s;          /* accepted by the far side; 0 not yet */
    char error[256];         /* the last failure; "" none */
    const void *payload;     /* put: the bytes to send (borrowed); get: see bw_store_outbox_get */
    size_t payload_len;
};
/* Queues m (state pending, attempts 0, next_s as given); fills m->id. BW_ECONFLICT when a
 * message with that key exists: queuing is idempotent. */
BW_MUSTCHECK int bw_store_outbox_put(struct bw_store *st, struct bw_outbox_msg *m);
/* Up to max ids of pending messages due at now_s (next_s <= now_s) with id > after_id, in id
 * order; only those of contact's cases when contact is not NULL. *n gets the count. */
BW_MUSTCHECK int bw_store_outbox_due(struct bw_store *st, int64_t now_s, const char *contact,
                                     int64_t after_id, int64_t *ids, size_t max, size_t *n);
/* One message; its payload is copied into payload (reset first) and out->payload points there. */
BW_MUSTCHECK int bw_store_outbox_get(struct bw_store *st, int64_t id, struct bw_outbox_msg *out,
                                     struct bw_buf *payload); /* BW_ENOTFOUND */
/* Claims a due message for one attempt: when it is pending and due at now_s, counts the
 * attempt and moves next_s to now_s + lease_s (so a crashed sender's message waits out the
 * lease, and two senders never take the same message at once); *claimed says whether it did. */
BW_MUSTCHECK int bw_store_outbox_claim(struct bw_store *st, int64_t id, int64_t now_s,
                                       int64_t lease_s, bool *claimed);
/* Records the outcome of an attempt: the state, the next attempt time, the error ("" none) and
 * the time it was accepted (0 when not). */
BW_MUSTCHECK int bw_store_outbox_mark(struct bw_store *st, int64_t id, enum bw_outbox_state state,
                                      int64_t next_s, const char *error, int64_t sent_s);
typedef int (*bw_outbox_cb)(void *ctx, const struct bw_outbox_msg *m);
/* A case's messages in id order (case_id 0: all), without their payloads. */
BW_MUSTCHECK int bw_store_outbox_list(struct bw_store *st, int64_t case_id, bw_outbox_cb cb,
                                      void *ctx);

/* The registry's named 32-byte secret (created at random on first use and kept in the store):
 * what signs acknowledgement tokens. */
BW_MUSTCHECK int bw_store_secret(struct bw_store *st, const char *name, uint8_t out[32]);

/* ---- allowlist ---- */

/* BW_ECONFLICT when already there (add) or BW_ENOTFOUND when absent (remove). */
BW_MUSTCHECK int bw_store_allow_add(struct bw_store *st, const struct bw_prefix *p,
                                    const char *note, int64_t now_s);
BW_MUSTCHECK int bw_store_allow_remove(struct bw_store *st, const struct bw_prefix *p);
typedef int (*bw_allow_cb)(void *ctx, const struct bw_prefix *p, const char *note,
                           int64_t added_s);
BW_MUSTCHECK int bw_store_allow_list(struct bw_store *st, bw_allow_cb cb, void *ctx);
/* The allowlist as a sealed prefix set (caller frees). */
BW_MUSTCHECK int bw_store_allow_load(struct bw_store *st, struct bw_pfxset **out);

/* ---- delisting requests ---- */

enum bw_delist_state { BW_DELIST_PENDING, BW_DELIST_ACCEPTED, BW_DELIST_REJECTED };
const char *bw_delist_state_name(enum bw_delist_state s);
/* -1 for "all"; BW_EINVAL for an unknown name. */
BW_MUSTCHECK int bw_delist_state_parse(int *out, const char *s);

struct bw_delist {
    int64_t id;
    struct bw_addr addr;
    char reason[1024];
    char contact[256];
    char requested_by[BW_NAME_MAX]; /* the key's name, or "anonymous" */
    int64_t requested_s;
    enum bw_delist_state state;
    char decided_by[BW_NAME_MAX];
    char note[512];
    int64_t decided_s;
};

/* Records a pending request (fills req->id). When one is already pending for the address,
 * BW_ECONFLICT with req->id set to it. */
BW_MUSTCHECK int bw_store_delist_add(struct bw_store *st, struct bw_delist *req);
BW_MUSTCHECK int bw_store_delist_get(struct bw_store *st, int64_t id,
                                     struct bw_delist *out); /* BW_ENOTFOUND */
/* Requests in id order; state -1 for all. */
typedef int (*bw_delist_cb)(void *ctx, const struct bw_delist *d);
BW_MUSTCHECK int bw_store_delist_list(struct bw_store *st, int state, bw_delist_cb cb,
                                      void *ctx);
/* Decides a pending request (BW_ENOTFOUND; BW_ECONFLICT when already decided) and records who
 * and when. Accepting also sets the decayed counts of the device's evidence to zero at now_s,
 * in the same transaction: its history stays, but only reports after the decision can list
 * it again (docs/scoring.md). */
BW_MUSTCHECK int bw_store_delist_decide(struct bw_store *st, int64_t id, bool accept,
                                        const char *by, const char *note, int64_t now_s);

#endif
