/*
 * store/store_int.h - what a backend implements. store.c dispatches the public calls of
 * store.h through struct bw_store_ops; each backend embeds struct bw_store first in its own
 * state.
 */
#ifndef BW_STORE_INT_H
#define BW_STORE_INT_H

#include "store/store.h"

struct bw_store_ops {
    const char *name;
    void (*close)(struct bw_store *st);
    int (*schema_version)(struct bw_store *st);
    int (*sync)(struct bw_store *st);
    int (*begin)(struct bw_store *st);
    int (*commit)(struct bw_store *st);
    void (*rollback)(struct bw_store *st);
    const char *(*errmsg)(struct bw_store *st);
    int (*data_version)(struct bw_store *st, uint64_t *out);
    int (*reporter_get)(struct bw_store *st, const char *name, struct bw_reporter *out);
    int (*reporter_ensure)(struct bw_store *st, const char *name, int64_t now_s, int64_t *id);
    int (*reporter_put)(struct bw_store *st, struct bw_reporter *r);
    int (*reporter_list)(struct bw_store *st, bw_reporter_cb cb, void *ctx);
    int (*report_insert)(struct bw_store *st, const struct bw_report *r, int64_t report_id,
                         int64_t reporter_id, int64_t ingested_s, bool *inserted);
    int (*evidence_merge)(struct bw_store *st, const struct bw_addr *a, int64_t reporter_id,
                          const struct bw_evidence *add);
    int (*network_merge)(struct bw_store *st, const struct bw_prefix *net, int64_t reporter_id,
                         const struct bw_evidence *add);
    int (*network_walk)(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx);
    int (*device_ensure)(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                         bool *is_new);
    int (*device_exists)(struct bw_store *st, const struct bw_addr *a, bool *exists);
    int (*device_create)(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                         const struct bw_enrichment *e);
    int (*device_get)(struct bw_store *st, const struct bw_addr *a, struct bw_device *out);
    int (*evidence_get)(struct bw_store *st, const struct bw_addr *a, bw_evidence_cb cb,
                        void *ctx);
    int (*device_walk)(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx);
    int (*report_recent)(struct bw_store *st, const struct bw_addr *a, size_t limit,
                         bw_report_cb cb, void *ctx);
    int (*counts)(struct bw_store *st, struct bw_store_counts *out);
    int (*report_seq)(struct bw_store *st, int64_t *out);
    int (*reports_since)(struct bw_store *st, int64_t seq, bw_changed_cb cb, void *ctx,
                         int64_t *max_seq);
    int (*device_enrich)(struct bw_store *st, const struct bw_addr *a,
                         const struct bw_enrichment *e, unsigned mask, int64_t now_s);
    int (*device_addrs)(struct bw_store *st, bw_addr_cb cb, void *ctx);
    int (*contacts_replace)(struct bw_store *st, const struct bw_contact_row *rows, size_t n);
    int (*contacts_list)(struct bw_store *st, bw_contact_cb cb, void *ctx);
    int (*vertical_put)(struct bw_store *st, uint32_t asn, const char *vertical);
    int (*vertical_list)(struct bw_store *st, bw_vertical_cb cb, void *ctx);
    int (*advisory_put)(struct bw_store *st, const struct bw_advisory_row *row);
    int (*advisory_list)(struct bw_store *st, bw_advisory_cb cb, void *ctx);
    int (*allow_add)(struct bw_store *st, const struct bw_prefix *p, const char *note,
                     int64_t now_s);
    int (*allow_remove)(struct bw_store *st, const struct bw_prefix *p);
    int (*allow_list)(struct bw_store *st, bw_allow_cb cb, void *ctx);
    int (*delist_add)(struct bw_store *st, struct bw_delist *req);
    int (*delist_get)(struct bw_store *st, int64_t id, struct bw_delist *out);
    int (*delist_list)(struct bw_store *st, int state, bw_delist_cb cb, void *ctx);
    int (*delist_decide)(struct bw_store *st, int64_t id, bool accept, const char *by,
                         const char *note, int64_t now_s);
};

struct bw_store {
    const struct bw_store_ops *ops;
    int64_t half_life_s; /* used by evidence merges */
};

/* Backends. */
int bw_store__sqlite_open(struct bw_store **out, const char *path, struct bw_diag *d);
int bw_store__sqlite_latest(void);

#endif
