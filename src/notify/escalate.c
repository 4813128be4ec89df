/*
 * notify/escalate.c - a case not acknowledged by its deadline goes up the chain.
 *
 * The chain is the contact's parents (contacts.csv: the network, its upstream, its country's
 * CERT). Each escalation tells the next contact up with the case's active devices and its
 * history (every event so far), and gives that level its own deadline (due per role). A case
 * whose current contact has no parent becomes overdue and stays so until someone acknowledges
 * or it is remediated: the chain ends at the top, and since contact import refuses cycles of
 * parents, and levels are capped besides, no case escalates forever.
 */
#include "notify/notify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL 16   /* deeper than any sane chain: a guard, not a policy */

struct history {
    struct bw_buf text;
    size_t n;
};

static int on_event(void *ctx, const struct bw_case_event *e)
{
    struct history *h = ctx;
    char t[BW_TIME_TEXT_MAX];
    int rc;

    h->n++;
    bw_time_format(e->time_s, t);
    if (e->from < 0)
        rc = bw_buf_printf(&h->text, "%s %s (%s)%s%s\n", t, bw_case_state_name(e->to), e->actor,
                           e->note[0] ? ": " : "", e->note);
    else if (e->is_note)
        rc = bw_buf_printf(&h->text, "%s %s (%s)\n", t, e->note, e->actor);
    else
        rc = bw_buf_printf(&h->text, "%s %s -> %s (%s)%s%s\n", t,
                           bw_case_state_name((enum bw_case_state)e->from),
                           bw_case_state_name(e->to), e->actor, e->note[0] ? ": " : "",
                           e->note);
    return rc == BW_OK || rc == BW_ETOOBIG ? 0 : rc; /* a long history is cut, not fatal */
}

struct active {
    struct bw_notify__run *r;
    struct bw_case_device *dev;
    size_t n, cap;
};

static int on_active(void *ctx, const struct bw_case_device *d)
{
    struct active *a = ctx;

    if (d->state != BW_CDEV_ACTIVE)
        return 0;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->dev = bw_xrealloc(a->dev, a->cap * sizeof(a->dev[0]));
    }
    a->dev[a->n++] = *d;
    return 0;
}

struct one {
    struct bw_notify__run *r;
    struct bw_notify__devs *v;
    bool is_new;
};

static int on_evidence(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                       size_t n)
{
    struct one *o = ctx;

    bw_notify__devs_push(o->r, o->v, d, ev, n, o->is_new);
    return 0;
}

/* The notice devices of case id: its active devices, judged and detailed now. */
static int case_notice_devices(struct bw_notify__run *r, int64_t id, struct bw_notify__devs *v)
{
    struct active a = { .r = r };
    int rc = bw_store_case_devices(r->st, id, on_active, &a);

    for (size_t i = 0; rc == BW_OK && i < a.n; i++) {
        struct one o = { .r = r, .v = v, .is_new = a.dev[i].listing == BW_LISTING_NEW };

        rc = bw_store_evidence_get(r->st, &a.dev[i].addr, on_evidence, &o);
        if (rc == BW_OK && v->n > 0)
            rc = bw_notify__devs_detail(r, v, &v->dev[v->n - 1]);
    }
    free(a.dev);
    return rc;
}

static int escalate_case(struct bw_notify__run *r, int64_t id, struct bw_notify__devs *v,
                         struct history *h)
{
    const struct bw_contact *cur, *up = NULL;
    struct bw_case c;
    char note[256], due[BW_TIME_TEXT_MAX];
    int rc = bw_store_case_get(r->st, id, &c);

    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "reading a case");
    if ((c.state != BW_CASE_PENDING && c.state != BW_CASE_OPEN &&
         c.state != BW_CASE_ESCALATED) ||
        c.due_s == 0 || c.due_s > r->now_s)
        return BW_OK;
    bw_time_format(c.due_s, due);
    cur = bw_contacts_by_name(r->src->contacts, c.level_contact);
    if (cur != NULL && cur->parent[0] != '\0' && c.level < MAX_LEVEL)
        up = bw_contacts_by_name(r->src->contacts, cur->parent);
    if (up == NULL) {
        if (cur == NULL)
            snprintf(note, sizeof(note), "not acknowledged by %s; contact \"%.64s\" is no "
                     "longer known", due, c.level_contact);
        else
            snprintf(note, sizeof(note), "not acknowledged by %s; \"%.64s\" is the top of its "
                     "chain", due, c.level_contact);
        rc = bw_notify__tx_begin(r);
        if (rc == BW_OK)
            rc = bw_store_case_transition(r->st, id, BW_CASE_OVERDUE, BW_NOTIFY_ACTOR, note,
                                          r->now_s);
        rc = bw_notify__tx_end(r, rc);
        if (rc != BW_OK)
            return bw_notify__store_fail(r, rc, "marking a case overdue");
        r->res->overdue++;
        bw_notify__event(r, BW_NEV_OVERDUE, id, c.level_contact, "", note, c.n_active);
        return BW_OK;
    }

    bw_notify__devs_reset(v);
    rc = case_notice_devices(r, id, v);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "reading case devices");
    bw_buf_reset(&h->text);
    h->n = 0;
    rc = bw_store_case_events(r->st, id, on_event, h);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "reading case events");

    snprintf(note, sizeof(note), "not acknowledged by %s; escalated from \"%.64s\" to \"%.64s\"",
             due, c.level_contact, up->name);
    rc = bw_notify__tx_begin(r);
    if (rc == BW_OK)
        rc = bw_store_case_transition(r->st, id, BW_CASE_ESCALATED, BW_NOTIFY_ACTOR, note,
                                      r->now_s);
    if (rc == BW_OK) {
        c.state = BW_CASE_ESCALATED;
        c.level++;
        snprintf(c.level_contact, sizeof(c.level_contact), "%s", up->name);
        c.level_sent_s = 0;
        c.due_s = bw_notify__due(r, up->role);
        rc = bw_notify__queue(r, &c, up, c.level, v, h->text.data != NULL ? h->text.data : "");
    }
    if (rc == BW_OK)
        rc = bw_store_case_update(r->st, &c, r->now_s);
    rc = bw_notify__tx_end(r, rc);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "escalating a case");
    r->res->escalations++;
    bw_notify__event(r, BW_NEV_ESCALATED, id, up->name, "", note, v->n);
    if (strcmp(c.reason, "no delivery route") == 0) {
        r->res->no_route++;
        bw_notify__event(r, BW_NEV_NO_ROUTE, id, up->name, "", c.reason, v->n);
    }
    return BW_OK;
}

int bw_notify__escalate(struct bw_notify__run *r)
{
    unsigned states = (1u << BW_CASE_PENDING) | (1u << BW_CASE_OPEN) | (1u << BW_CASE_ESCALATED);
    struct bw_notify__devs v = { 0 };
    struct history h = { .n = 0 };
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = bw_notify__case_ids(r, states, r->now_s, &ids, &n);

    bw_buf_init(&h.text, 256 * 1024);
    for (size_t i = 0; rc == BW_OK && i < n; i++)
        rc = escalate_case(r, ids[i], &v, &h);
    bw_buf_cleanup(&h.text);
    bw_notify__devs_free(&v);
    free(ids);
    return rc;
}
