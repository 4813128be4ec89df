/*
 * store/store.c - picks a backend by location and dispatches store.h calls to it.
 * Invariants:
 *  - Nothing here speaks SQL; every call goes to st->ops.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "store/store_int.h"

int bw_store_open(struct bw_store **out, const char *location, struct bw_diag *d)
{
    struct bw_store *st;
    int rc;

    if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0) {
        bw_diag_set(d, "%s: the PostgreSQL backend is not built yet", location);
        return BW_EINVAL;
    }
    rc = bw_store__sqlite_open(&st, location, d);
    if (rc != BW_OK)
        return rc;
    st->half_life_s = 7 * 86400;
    *out = st;
    return BW_OK;
}

void bw_store_close(struct bw_store *st)
{
    if (st != NULL)
        st->ops->close(st);
}

int bw_store_schema_version(struct bw_store *st)
{
    return st->ops->schema_version(st);
}

int bw_store_schema_latest(void)
{
    return bw_store__sqlite_latest();
}

void bw_store_set_half_life(struct bw_store *st, int64_t half_life_s)
{
    st->half_life_s = half_life_s;
}

int bw_store_begin(struct bw_store *st)
{
    return st->ops->begin(st);
}

int bw_store_commit(struct bw_store *st)
{
    return st->ops->commit(st);
}

void bw_store_rollback(struct bw_store *st)
{
    st->ops->rollback(st);
}

int bw_store_data_version(struct bw_store *st, uint64_t *out)
{
    return st->ops->data_version(st, out);
}

const char *bw_store_errmsg(struct bw_store *st)
{
    return st->ops->errmsg(st);
}

int bw_store_reporter_get(struct bw_store *st, const char *name, struct bw_reporter *out)
{
    return st->ops->reporter_get(st, name, out);
}

int bw_store_reporter_ensure(struct bw_store *st, const char *name, int64_t now_s,
                             int64_t *id_out)
{
    return st->ops->reporter_ensure(st, name, now_s, id_out);
}

int bw_store_reporter_put(struct bw_store *st, struct bw_reporter *r)
{
    return st->ops->reporter_put(st, r);
}

int bw_store_reporter_list(struct bw_store *st, bw_reporter_cb cb, void *ctx)
{
    return st->ops->reporter_list(st, cb, ctx);
}

int bw_store_report_insert(struct bw_store *st, const struct bw_report *r, int64_t report_id,
                           int64_t reporter_id, int64_t ingested_s, bool *inserted)
{
    return st->ops->report_insert(st, r, report_id, reporter_id, ingested_s, inserted);
}

int bw_store_evidence_merge(struct bw_store *st, const struct bw_addr *a, int64_t reporter_id,
                            const struct bw_evidence *add)
{
    return st->ops->evidence_merge(st, a, reporter_id, add);
}

int bw_store_network_merge(struct bw_store *st, const struct bw_prefix *net, int64_t reporter_id,
                           const struct bw_evidence *add)
{
    return st->ops->network_merge(st, net, reporter_id, add);
}

int bw_store_network_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return st->ops->network_walk(st, since_s, cb, ctx);
}

int bw_store_device_ensure(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                           bool *is_new)
{
    return st->ops->device_ensure(st, a, now_s, is_new);
}

int bw_store_device_exists(struct bw_store *st, const struct bw_addr *a, bool *exists)
{
    return st->ops->device_exists(st, a, exists);
}

int bw_store_device_create(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                           const struct bw_enrichment *e)
{
    return st->ops->device_create(st, a, now_s, e);
}

int bw_store_device_get(struct bw_store *st, const struct bw_addr *a, struct bw_device *out)
{
    return st->ops->device_get(st, a, out);
}

int bw_store_evidence_get(struct bw_store *st, const struct bw_addr *a, bw_evidence_cb cb,
                          void *ctx)
{
    return st->ops->evidence_get(st, a, cb, ctx);
}

int bw_store_device_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return st->ops->device_walk(st, since_s, cb, ctx);
}

int bw_store_report_recent(struct bw_store *st, const struct bw_addr *a, size_t limit,
                           bw_report_cb cb, void *ctx)
{
    return st->ops->report_recent(st, a, limit, cb, ctx);
}

int bw_store_counts(struct bw_store *st, struct bw_store_counts *out)
{
    return st->ops->counts(st, out);
}

int bw_store_device_enrich(struct bw_store *st, const struct bw_addr *a,
                           const struct bw_enrichment *e, unsigned mask, int64_t now_s)
{
    return st->ops->device_enrich(st, a, e, mask, now_s);
}

int bw_store_device_addrs(struct bw_store *st, bw_addr_cb cb, void *ctx)
{
    return st->ops->device_addrs(st, cb, ctx);
}

int bw_store_contacts_replace(struct bw_store *st, const struct bw_contact_row *rows, size_t n)
{
    return st->ops->contacts_replace(st, rows, n);
}

int bw_store_contacts_list(struct bw_store *st, bw_contact_cb cb, void *ctx)
{
    return st->ops->contacts_list(st, cb, ctx);
}

int bw_store_vertical_put(struct bw_store *st, uint32_t asn, const char *vertical)
{
    return st->ops->vertical_put(st, asn, vertical);
}

int bw_store_vertical_list(struct bw_store *st, bw_vertical_cb cb, void *ctx)
{
    return st->ops->vertical_list(st, cb, ctx);
}

int bw_store_advisory_put(struct bw_store *st, const struct bw_advisory_row *row)
{
    return st->ops->advisory_put(st, row);
}

int bw_store_advisory_list(struct bw_store *st, bw_advisory_cb cb, void *ctx)
{
    return st->ops->advisory_list(st, cb, ctx);
}

int bw_store_allow_add(struct bw_store *st, const struct bw_prefix *p, const char *note,
                       int64_t now_s)
{
    return st->ops->allow_add(st, p, note, now_s);
}

int bw_store_allow_remove(struct bw_store *st, const struct bw_prefix *p)
{
    return st->ops->allow_remove(st, p);
}

int bw_store_allow_list(struct bw_store *st, bw_allow_cb cb, void *ctx)
{
    return st->ops->allow_list(st, cb, ctx);
}

struct allow_load {
    struct bw_pfxset *set;
    int rc;
};

static int allow_load_one(void *ctx, const struct bw_prefix *p, const char *note, int64_t added_s)
{
    struct allow_load *al = ctx;

    (void)note;
    (void)added_s;
    return bw_pfxset_add(al->set, p, 1);
}

int bw_store_allow_load(struct bw_store *st, struct bw_pfxset **out)
{
    struct allow_load al = { .set = bw_pfxset_new() };
    int rc = bw_store_allow_list(st, allow_load_one, &al);

    if (rc != BW_OK) {
        bw_pfxset_free(al.set);
        return rc;
    }
    bw_pfxset_seal(al.set);
    *out = al.set;
    return BW_OK;
}

/* ---- delisting requests ---- */

static const char *const delist_states[] = { "pending", "accepted", "rejected" };

const char *bw_delist_state_name(enum bw_delist_state s)
{
    return (unsigned)s < BW_ARRAY_LEN(delist_states) ? delist_states[s] : "?";
}

int bw_delist_state_parse(int *out, const char *s)
{
    if (strcmp(s, "all") == 0) {
        *out = -1;
        return BW_OK;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(delist_states); i++) {
        if (strcmp(s, delist_states[i]) == 0) {
            *out = (int)i;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

int bw_store_delist_add(struct bw_store *st, struct bw_delist *req)
{
    return st->ops->delist_add(st, req);
}

int bw_store_delist_get(struct bw_store *st, int64_t id, struct bw_delist *out)
{
    return st->ops->delist_get(st, id, out);
}

int bw_store_delist_list(struct bw_store *st, int state, bw_delist_cb cb, void *ctx)
{
    return st->ops->delist_list(st, state, cb, ctx);
}

int bw_store_delist_decide(struct bw_store *st, int64_t id, bool accept, const char *by,
                           const char *note, int64_t now_s)
{
    return st->ops->delist_decide(st, id, accept, by, note, now_s);
}

int bw_store_report_seq(struct bw_store *st, int64_t *out)
{
    return st->ops->report_seq(st, out);
}

int bw_store_reports_since(struct bw_store *st, int64_t seq, bw_changed_cb cb, void *ctx,
                           int64_t *max_seq)
{
    return st->ops->reports_since(st, seq, cb, ctx, max_seq);
}

int bw_store_sync(struct bw_store *st)
{
    return st->ops->sync(st);
}

int bw_store_device_walk_contact(struct bw_store *st, const char *contact, int64_t since_s,
                                 bw_evidence_cb cb, void *ctx)
{
    return st->ops->device_walk_contact(st, contact, since_s, cb, ctx);
}

/* ---- cases ---- */

static const char *const case_state_names[BW_CASE_STATE_COUNT] = {
    "pending", "open", "escalated", "overdue", "acknowledged", "remediated", "closed",
};

const char *bw_case_state_name(enum bw_case_state s)
{
    return (unsigned)s < BW_CASE_STATE_COUNT ? case_state_names[s] : "?";
}

int bw_case_state_parse(enum bw_case_state *out, const char *s)
{
    int v = bw_store__state_from_text(s);

    if (v < 0)
        return BW_EMALFORMED;
    *out = (enum bw_case_state)v;
    return BW_OK;
}

int bw_store__state_from_text(const char *s)
{
    for (int i = 0; i < BW_CASE_STATE_COUNT; i++) {
        if (s != NULL && strcmp(s, case_state_names[i]) == 0)
            return i;
    }
    return -1;
}

#define B(s) (1u << (BW_CASE_##s))
/* allowed[from] = the states it may move to (the diagram in store.h) */
static const unsigned allowed[BW_CASE_STATE_COUNT] = {
    [BW_CASE_PENDING] = B(OPEN) | B(ESCALATED) | B(OVERDUE) | B(ACKNOWLEDGED) | B(REMEDIATED) |
                        B(CLOSED),
    [BW_CASE_OPEN] = B(ESCALATED) | B(OVERDUE) | B(ACKNOWLEDGED) | B(REMEDIATED) | B(CLOSED),
    [BW_CASE_ESCALATED] = B(ESCALATED) | B(OVERDUE) | B(ACKNOWLEDGED) | B(REMEDIATED) |
                          B(CLOSED),
    [BW_CASE_OVERDUE] = B(ACKNOWLEDGED) | B(REMEDIATED) | B(CLOSED),
    [BW_CASE_ACKNOWLEDGED] = B(REMEDIATED) | B(CLOSED),
    [BW_CASE_REMEDIATED] = B(CLOSED) | B(OPEN),
    [BW_CASE_CLOSED] = B(OPEN),
};
#undef B

bool bw_case_transition_allowed(enum bw_case_state from, enum bw_case_state to)
{
    if ((unsigned)from >= BW_CASE_STATE_COUNT || (unsigned)to >= BW_CASE_STATE_COUNT)
        return false;
    return (allowed[from] & (1u << to)) != 0;
}

const char *bw_case_dev_state_name(enum bw_case_dev_state s)
{
    switch (s) {
    case BW_CDEV_ACTIVE: return "active";
    case BW_CDEV_FIXED: return "fixed";
    case BW_CDEV_REMEDIATED: return "remediated";
    }
    return "?";
}

const char *bw_outbox_state_name(enum bw_outbox_state s)
{
    switch (s) {
    case BW_OUTBOX_PENDING: return "pending";
    case BW_OUTBOX_SENT: return "sent";
    case BW_OUTBOX_FAILED: return "failed";
    }
    return "?";
}

void bw_store__ack_token(const uint8_t secret[32], int64_t id, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "botwatch-case-ack:%lld", (long long)id);

    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, secret);
    sodium_bin2hex(out, 65, mac, sizeof(mac));
}

int bw_store_case_create(struct bw_store *st, struct bw_case *c, const char *actor,
                         const char *note, int64_t now_s)
{
    return st->ops->case_create(st, c, actor, note, now_s);
}

int bw_store_case_get(struct bw_store *st, int64_t id, struct bw_case *out)
{
    return st->ops->case_get(st, id, out);
}

int bw_store_case_active(struct bw_store *st, const char *contact, struct bw_case *out)
{
    return st->ops->case_find(st, contact, true, out);
}

int bw_store_case_latest(struct bw_store *st, const char *contact, struct bw_case *out)
{
    return st->ops->case_find(st, contact, false, out);
}

int bw_store_case_update(struct bw_store *st, const struct bw_case *c, int64_t now_s)
{
    return st->ops->case_update(st, c, now_s);
}

int bw_store_case_transition(struct bw_store *st, int64_t id, enum bw_case_state to,
                             const char *actor, const char *note, int64_t now_s)
{
    if ((unsigned)to >= BW_CASE_STATE_COUNT)
        return BW_EINVAL;
    return st->ops->case_transition(st, id, to, actor != NULL ? actor : "",
                                    note != NULL ? note : "", now_s);
}

int bw_store_case_note(struct bw_store *st, int64_t id, const char *actor, const char *note,
                       int64_t now_s)
{
    return st->ops->case_note(st, id, actor != NULL ? actor : "", note != NULL ? note : "",
                              now_s);
}

int bw_store_case_ack_check(struct bw_store *st, int64_t id, const char *token, bool *valid)
{
    uint8_t secret[32];
    char want[65];
    struct bw_case c;
    int rc = st->ops->case_get(st, id, &c);

    if (rc != BW_OK)
        return rc;
    rc = st->ops->secret(st, "ack", secret);
    if (rc != BW_OK)
        return rc;
    bw_store__ack_token(secret, id, want);
    sodium_memzero(secret, sizeof(secret));
    /* Lengths are public (64 hex digits); the bytes are compared in constant time, against
     * the token recomputed from the secret, and against the one stored with the case. */
    *valid = token != NULL && strlen(token) == 64 && sodium_memcmp(token, want, 64) == 0 &&
             sodium_memcmp(c.ack_token, want, 64) == 0;
    return BW_OK;
}

int bw_store_case_list(struct bw_store *st, const struct bw_case_filter *f, bw_case_cb cb,
                       void *ctx)
{
    static const struct bw_case_filter all = { 0 };

    return st->ops->case_list(st, f != NULL ? f : &all, cb, ctx);
}

int bw_store_case_events(struct bw_store *st, int64_t id, bw_case_event_cb cb, void *ctx)
{
    return st->ops->case_events(st, id, cb, ctx);
}

int bw_store_case_device_put(struct bw_store *st, const struct bw_case_device *d)
{
    return st->ops->case_device_put(st, d);
}

int bw_store_case_devices(struct bw_store *st, int64_t case_id, bw_case_device_cb cb, void *ctx)
{
    return st->ops->case_devices(st, case_id, cb, ctx);
}

int bw_store_case_device_find(struct bw_store *st, const char *contact, const struct bw_addr *a,
                              struct bw_case_device *out, enum bw_case_state *case_state)
{
    return st->ops->case_device_find(st, contact, a, out, case_state);
}

int bw_store_case_stats(struct bw_store *st, bool by_asn, int64_t now_s, bw_case_stats_cb cb,
                        void *ctx)
{
    return st->ops->case_stats(st, by_asn, now_s, cb, ctx);
}

/* ---- outbox ---- */

int bw_store_outbox_put(struct bw_store *st, struct bw_outbox_msg *m)
{
    if (strcmp(m->route, "email") != 0 && strcmp(m->route, "webhook") != 0)
        return BW_EINVAL;
    return st->ops->outbox_put(st, m);
}

int bw_store_outbox_due(struct bw_store *st, int64_t now_s, const char *contact,
                        int64_t after_id, int64_t *ids, size_t max, size_t *n)
{
    return st->ops->outbox_due(st, now_s, contact, after_id, ids, max, n);
}

int bw_store_outbox_get(struct bw_store *st, int64_t id, struct bw_outbox_msg *out,
                        struct bw_buf *payload)
{
    return st->ops->outbox_get(st, id, out, payload);
}

int bw_store_outbox_claim(struct bw_store *st, int64_t id, int64_t now_s, int64_t lease_s,
                          bool *claimed)
{
    return st->ops->outbox_claim(st, id, now_s, lease_s, claimed);
}

int bw_store_outbox_mark(struct bw_store *st, int64_t id, enum bw_outbox_state state,
                         int64_t next_s, const char *error, int64_t sent_s)
{
    return st->ops->outbox_mark(st, id, state, next_s, error != NULL ? error : "", sent_s);
}

int bw_store_outbox_list(struct bw_store *st, int64_t case_id, bw_outbox_cb cb, void *ctx)
{
    return st->ops->outbox_list(st, case_id, cb, ctx);
}

int bw_store_secret(struct bw_store *st, const char *name, uint8_t out[32])
{
    return st->ops->secret(st, name, out);
}

int bw_store_notify_counts(struct bw_store *st, struct bw_notify_counts *out)
{
    memset(out, 0, sizeof(*out));
    return st->ops->notify_counts(st, out);
}

int bw_store_device_walk_set(struct bw_store *st, const struct bw_addr *a, size_t n,
                             bw_evidence_cb cb, void *ctx)
{
    return n == 0 ? BW_OK : st->ops->device_walk_set(st, a, n, cb, ctx);
}

int bw_store_evidence_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return st->ops->evidence_walk(st, since_s, cb, ctx);
}
