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
    int (*device_walk_contact)(struct bw_store *st, const char *contact, int64_t since_s,
                               bw_evidence_cb cb, void *ctx);
    int (*device_walk_set)(struct bw_store *st, const struct bw_addr *a, size_t n,
                           bw_evidence_cb cb, void *ctx);
    int (*evidence_walk)(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx);
    int (*case_create)(struct bw_store *st, struct bw_case *c, const char *actor,
                       const char *note, int64_t now_s);
    int (*case_get)(struct bw_store *st, int64_t id, struct bw_case *out);
    int (*case_find)(struct bw_store *st, const char *contact, bool active_only,
                     struct bw_case *out);
    int (*case_update)(struct bw_store *st, const struct bw_case *c, int64_t now_s);
    int (*case_transition)(struct bw_store *st, int64_t id, enum bw_case_state to,
                           const char *actor, const char *note, int64_t now_s);
    int (*case_note)(struct bw_store *st, int64_t id, const char *actor, const char *note,
                     int64_t now_s);
    int (*case_list)(struct bw_store *st, const struct bw_case_filter *f, bw_case_cb cb,
                     void *ctx);
    int (*case_events)(struct bw_store *st, int64_t id, bw_case_event_cb cb, void *ctx);
    int (*case_device_put)(struct bw_store *st, const struct bw_case_device *d);
    int (*case_devices)(struct bw_store *st, int64_t case_id, bw_case_device_cb cb, void *ctx);
    int (*case_device_find)(struct bw_store *st, const char *contact, const struct bw_addr *a,
                            struct bw_case_device *out, enum bw_case_state *case_state);
    int (*case_stats)(struct bw_store *st, bool by_asn, int64_t now_s, bw_case_stats_cb cb,
                      void *ctx);
    int (*outbox_put)(struct bw_store *st, struct bw_outbox_msg *m);
    int (*outbox_due)(struct bw_store *st, int64_t now_s, const char *contact, int64_t after_id,
                      int64_t *ids, size_t max, size_t *n);
    int (*outbox_get)(struct bw_store *st, int64_t id, struct bw_outbox_msg *out,
                      struct bw_buf *payload);
    int (*outbox_claim)(struct bw_store *st, int64_t id, int64_t now_s, int64_t lease_s,
                        bool *claimed);
    int (*outbox_mark)(struct bw_store *st, int64_t id, enum bw_outbox_state state,
                       int64_t next_s, const char *error, int64_t sent_s);
    int (*outbox_list)(struct bw_store *st, int64_t case_id, bw_outbox_cb cb, void *ctx);
    int (*secret)(struct bw_store *st, const char *name, uint8_t out[32]);
    int (*notify_counts)(struct bw_store *st, struct bw_notify_counts *out);
};

struct bw_store {
    const struct bw_store_ops *ops;
    int64_t half_life_s; /* used by evidence merges */
};

/* Backend-neutral helpers the backends call (store.c). */
/* The acknowledgement token of case id: hex HMAC-SHA256(secret, "botwatch-case-ack:<id>"). */
void bw_store__ack_token(const uint8_t secret[32], int64_t id, char out[65]);
/* Parses the stored text of a state; -1 when it is none. */
int bw_store__state_from_text(const char *s);

/* Backends. */
int bw_store__sqlite_open(struct bw_store **out, const char *path, struct bw_diag *d);
int bw_store__sqlite_latest(void);

#endif
