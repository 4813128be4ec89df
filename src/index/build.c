/*
 * index/build.c - a snapshot from the store: judge every device and network listing at a
 * given time with score/ and the allowlist, and write the listed ones.
 *
 * The snapshot answers as `botwatch lookup` would at the same time:
 *  - a network listing is judged on its own evidence; when listed it goes in as a prefix, minus
 *    the allowlisted prefixes inside it (cut into the fewest CIDR blocks around them), since
 *    lookup never lists an allowlisted address, whatever network covers it;
 *  - a device outside every network listing is judged on its own evidence, as the walk hands it;
 *  - a device inside a network listing is judged as lookup judges it, on its own evidence plus
 *    the network's (bw_store_evidence_get), after the walk, so the walk's statement is never
 *    interleaved with another query.
 * Only devices and networks with a report since now - min(window, expiry) are visited: nothing
 * older can be listed (cmd_lookup.c's `list --listed` uses the same bound).
 */
#include "index/index.h"

#include <stdlib.h>
#include <string.h>

struct build {
    const struct bw_policy *pol;
    int64_t now_s;
    struct bw_index_builder *b;
    struct bw_pfxset *allow;    /* the allowlist, for devices */
    struct bw_prefix *allow_pfx; /* the same as a list, for cutting networks */
    size_t n_allow, cap_allow;
    struct bw_pfxset *nets;     /* every network listing visited */
    struct bw_addr *deferred;   /* devices inside a network listing */
    size_t n_deferred, cap_deferred;
};

static int collect_allow(void *ctx, const struct bw_prefix *p, const char *note, int64_t added_s)
{
    struct build *bd = ctx;

    (void)note;
    (void)added_s;
    if (bd->n_allow == bd->cap_allow) {
        bd->cap_allow = bd->cap_allow ? 2 * bd->cap_allow : 64;
        bd->allow_pfx = bw_xrealloc(bd->allow_pfx, bd->cap_allow * sizeof(*bd->allow_pfx));
    }
    bd->allow_pfx[bd->n_allow++] = *p;
    return 0;
}

static bw_catmask cats_of(const struct bw_evidence *ev, size_t n)
{
    bw_catmask m = 0;

    for (size_t i = 0; i < n; i++)
        m |= ev[i].cats;
    return m;
}

/* Adds q minus the allowlisted prefixes, splitting q in halves around them. */
static int add_cut(struct build *bd, const struct bw_prefix *q, bw_catmask cats, int score)
{
    bool partial = false;

    for (size_t i = 0; i < bd->n_allow; i++) {
        const struct bw_prefix *a = &bd->allow_pfx[i];

        if (a->len <= q->len && bw_prefix_contains(a, &q->addr))
            return BW_OK; /* all of q is allowlisted */
        if (a->len > q->len && bw_prefix_contains(q, &a->addr))
            partial = true;
    }
    if (!partial)
        return bw_index_builder_add(bd->b, q, cats, score);
    for (int half = 0; half < 2; half++) {
        struct bw_prefix h = { .addr = q->addr, .len = (uint8_t)(q->len + 1) };
        int rc;

        if (half == 1)
            h.addr.b[q->len / 8] |= (uint8_t)(0x80u >> (q->len % 8));
        rc = add_cut(bd, &h, cats, score);
        if (rc != BW_OK)
            return rc;
    }
    return BW_OK;
}

static int on_network(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                      size_t n)
{
    struct build *bd = ctx;
    struct bw_prefix net;
    struct bw_verdict v;
    bool covered = false;
    int rc;

    if (n == 0 || ev[0].via.len == 0)
        return 0;
    net = ev[0].via;
    (void)d;
    rc = bw_pfxset_add(bd->nets, &net, 0);
    if (rc != BW_OK)
        return rc;
    for (size_t i = 0; i < bd->n_allow && !covered; i++)
        covered = bd->allow_pfx[i].len <= net.len &&
                  bw_prefix_contains(&bd->allow_pfx[i], &net.addr);
    bw_score(bd->pol, ev, n, bd->now_s, covered, &v);
    if (!v.listed)
        return 0;
    return add_cut(bd, &net, cats_of(ev, n), v.score);
}

static int judge_device(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                        size_t n)
{
    struct build *bd = ctx;
    struct bw_prefix p = { .addr = d->addr, .len = 128 };
    struct bw_verdict v;

    bw_score(bd->pol, ev, n, bd->now_s, bw_pfxset_lookup(bd->allow, &d->addr, NULL, NULL), &v);
    if (!v.listed)
        return 0;
    return bw_index_builder_add(bd->b, &p, cats_of(ev, n), v.score);
}

static int on_device(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                     size_t n)
{
    struct build *bd = ctx;

    if (bw_pfxset_lookup(bd->nets, &d->addr, NULL, NULL)) {
        if (bd->n_deferred == bd->cap_deferred) {
            bd->cap_deferred = bd->cap_deferred ? 2 * bd->cap_deferred : 1024;
            bd->deferred =
                bw_xrealloc(bd->deferred, bd->cap_deferred * sizeof(*bd->deferred));
        }
        bd->deferred[bd->n_deferred++] = d->addr;
        return 0;
    }
    return judge_device(ctx, d, ev, n);
}

int bw_index_build_from_store(struct bw_store *st, const struct bw_policy *p, int64_t now_s,
                              const char *path, uint64_t *entries, struct bw_diag *d)
{
    struct build bd = { .pol = p, .now_s = now_s };
    int64_t since = now_s - (p->expiry_s < p->window_s ? p->expiry_s : p->window_s);
    int rc;

    bd.b = bw_index_builder_new();
    bd.nets = bw_pfxset_new();
    rc = bw_store_allow_load(st, &bd.allow);
    if (rc == BW_OK)
        rc = bw_store_allow_list(st, collect_allow, &bd);
    if (rc == BW_OK)
        rc = bw_store_network_walk(st, since, on_network, &bd);
    if (rc == BW_OK) {
        bw_pfxset_seal(bd.nets);
        rc = bw_store_evidence_walk(st, since, on_device, &bd); /* no enrichment needed */
    }
    for (size_t i = 0; i < bd.n_deferred && rc == BW_OK; i++)
        rc = bw_store_evidence_get(st, &bd.deferred[i], judge_device, &bd);
    if (rc != BW_OK) {
        if (d != NULL)
            bw_diag_set(d, "%s: reading the store failed (%s: %s)", path, bw_strerror(rc),
                        bw_store_errmsg(st));
        bw_index_builder_free(bd.b);
    } else {
        rc = bw_index_builder_finish(bd.b, path, now_s, entries, d);
    }
    bw_pfxset_free(bd.allow);
    bw_pfxset_free(bd.nets);
    free(bd.allow_pfx);
    free(bd.deferred);
    return rc;
}
