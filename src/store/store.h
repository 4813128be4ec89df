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

/* Recent reports on one device, newest first (for lookups). A callback returning non-zero
 * stops the walk and that value is returned. */
struct bw_stored_report {
    int64_t time_s;
    bw_catmask cats;
    uint16_t port;
    const char *reporter;
    const char *evidence; /* may be NULL */
    const char *source;
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
