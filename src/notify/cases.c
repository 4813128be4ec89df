/*
 * notify/cases.c - the cases of a cycle: which devices each contact is told about, the notice
 * devices with their evidence, jurisdiction and advice, remediation by quiet period, and what
 * operators do to a case (acknowledge, mark fixed).
 *
 * Build (bw_notify__build): the store walks devices in (contact, address) order; the devices
 * of one contact form a group, and only that group is in memory. Each listed device is
 * classified against the contact's cases (bw_store_case_device_find):
 *
 *   not in any case of the contact                 -> NEW      (joins the open case)
 *   in the open case, active                       -> STILL
 *   in a case, fixed or remediated, with a report
 *     after that                                   -> RELAPSE  (new again; reopens a closed case)
 *   in a case, fixed or remediated, quiet since    -> IGNORED  (the score's tail, not news)
 *
 * A group with NEW or RELAPSE devices gets a notice with its NEW, RELAPSE and STILL devices, in
 * one transaction with the case change: the open case updated, else a closed case of a relapsed
 * device reopened, else a new case. A group with only STILL devices changes nothing: a second
 * cycle with nothing new writes and sends nothing.
 *
 * Invariants:
 *  - Reports are read (evidence lines, controller, targets) only for a group that gets a
 *    notice, so a quiet cycle costs one walk and one lookup per listed device.
 *  - The advice, evidence and controller strings of a notice device are owned by its
 *    struct bw_notify__devs and freed with it.
 */
#include "notify/notify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- notice devices ---- */

void bw_notify__devs_reset(struct bw_notify__devs *v)
{
    for (size_t i = 0; i < v->n_owned; i++)
        free(v->owned[i]);
    v->n_owned = 0;
    v->n = 0;
}

void bw_notify__devs_free(struct bw_notify__devs *v)
{
    bw_notify__devs_reset(v);
    free(v->owned);
    free(v->dev);
    memset(v, 0, sizeof(*v));
}

static const char *own(struct bw_notify__devs *v, char *s)
{
    if (v->n_owned == v->cap_owned) {
        v->cap_owned = v->cap_owned ? v->cap_owned * 2 : 64;
        v->owned = bw_xrealloc(v->owned, v->cap_owned * sizeof(v->owned[0]));
    }
    v->owned[v->n_owned++] = s;
    return s;
}

struct bw_notice_device *bw_notify__devs_push(struct bw_notify__run *r,
                                              struct bw_notify__devs *v,
                                              const struct bw_device *d,
                                              const struct bw_evidence *ev, size_t n_ev,
                                              bool is_new)
{
    struct bw_notice_device *nd;
    struct bw_verdict vd;
    bool allowed = r->src->allow != NULL && bw_pfxset_lookup(r->src->allow, &d->addr, NULL, NULL);

    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->dev = bw_xrealloc(v->dev, v->cap * sizeof(v->dev[0]));
    }
    nd = &v->dev[v->n++];
    memset(nd, 0, sizeof(*nd));
    bw_score(&r->policy, ev, n_ev, r->now_s, allowed, &vd);
    nd->addr = d->addr;
    nd->first_s = d->first_seen_s;
    nd->last_s = d->last_seen_s;
    nd->reports = d->reports;
    nd->reporters = d->reporters;
    nd->cats = d->cats;
    nd->score = vd.score;
    nd->en = d->en;
    nd->hostname = "";
    nd->controller = "";
    nd->controller_country = "";
    nd->advice = "";
    nd->is_new = is_new;
    return nd;
}

/* The address in a controller or target field: "a.b.c.d", "a.b.c.d:port", "[v6]:port", a
 * bare IPv6 address, or a URL with one of those as its host. False for a host name. */
static bool addr_in(const char *s, struct bw_addr *out)
{
    const char *p = s, *end;
    size_t len;

    if (s == NULL)
        return false;
    end = strstr(p, "://");
    if (end != NULL)
        p = end + 3;
    if (*p == '[') {
        end = strchr(++p, ']');
        return end != NULL && bw_addr_parse(out, p, (size_t)(end - p)) == BW_OK;
    }
    len = strcspn(p, "/?# ");
    if (bw_addr_parse(out, p, len) == BW_OK)
        return true;                                   /* an address, IPv6 included */
    end = memchr(p, ':', len);
    return end != NULL && bw_addr_parse(out, p, (size_t)(end - p)) == BW_OK; /* v4:port */
}

static bool country_of(const struct bw_notify__run *r, const char *field, char cc[3])
{
    struct bw_addr a;

    cc[0] = '\0';
    if (r->src->geo == NULL || !addr_in(field, &a))
        return false;
    return bw_geo_lookup(r->src->geo, &a, cc, NULL, 0, NULL, 0) && cc[0] != '\0';
}

struct recent {
    struct bw_notify__run *r;
    struct bw_notify__devs *v;
    struct bw_notice_device *nd;
    size_t n_seen, n_evidence;
    bool have_controller;
    unsigned targets_same, targets_other;
};

static int on_recent(void *ctx, const struct bw_stored_report *rep)
{
    struct recent *rc = ctx;
    struct bw_notice_device *nd = rc->nd;
    char cc[3];

    if (rc->n_seen++ == 0)
        nd->port = rep->port;
    if (rep->evidence != NULL && rep->evidence[0] != '\0' && rc->n_evidence < 3)
        nd->evidence[rc->n_evidence++] = own(rc->v, bw_xstrdup(rep->evidence));
    if (!rc->have_controller && rep->controller != NULL && rep->controller[0] != '\0') {
        rc->have_controller = true;
        nd->controller = own(rc->v, bw_xstrdup(rep->controller));
        if (country_of(rc->r, rep->controller, cc)) {
            nd->controller_country = own(rc->v, bw_xstrdup(cc));
            if (nd->en.country[0] != '\0')
                nd->controller_juris =
                    strcmp(cc, nd->en.country) == 0 ? BW_JURIS_SAME : BW_JURIS_OTHER;
        }
    }
    if (rep->target != NULL && country_of(rc->r, rep->target, cc) && nd->en.country[0] != '\0') {
        if (strcmp(cc, nd->en.country) == 0)
            rc->targets_same++;
        else
            rc->targets_other++;
    }
    return 0;
}

static void add_advice(struct bw_notify__run *r, struct bw_notify__devs *v,
                       struct bw_notice_device *nd)
{
    const struct bw_advisory *match[2];
    struct bw_device_info info;
    struct bw_buf b;
    size_t n;

    if (r->src->advisories == NULL || nd->en.device_vendor[0] == '\0')
        return;
    memset(&info, 0, sizeof(info));
    snprintf(info.type, sizeof(info.type), "%s", nd->en.device_type);
    snprintf(info.vendor, sizeof(info.vendor), "%s", nd->en.device_vendor);
    snprintf(info.model, sizeof(info.model), "%s", nd->en.device_model);
    snprintf(info.os, sizeof(info.os), "%s", nd->en.device_os);
    snprintf(info.software, sizeof(info.software), "%s", nd->en.device_software);
    snprintf(info.version, sizeof(info.version), "%s", nd->en.device_version);
    n = bw_advisories_match(r->src->advisories, &info, match, BW_ARRAY_LEN(match));
    if (n == 0)
        return;
    bw_buf_init(&b, 4096);
    for (size_t i = 0; i < n; i++) {
        if (bw_buf_printf(&b, "%s%s (%s): %s", i ? " " : "", match[i]->id, match[i]->name,
                          match[i]->action) != BW_OK)
            break; /* capped: the advice is cut, never the notice */
    }
    nd->advice = own(v, b.data != NULL ? b.data : bw_xstrdup(""));
}

int bw_notify__devs_detail(struct bw_notify__run *r, struct bw_notify__devs *v,
                           struct bw_notice_device *nd)
{
    struct recent rc = { .r = r, .v = v, .nd = nd };
    int rv = bw_store_report_recent(r->st, &nd->addr, BW_NOTIFY_RECENT, on_recent, &rc);

    if (rv != BW_OK)
        return bw_notify__store_fail(r, rv, "reading reports");
    if (rc.targets_same > 0 && rc.targets_other > 0)
        nd->target_juris = BW_JURIS_MIXED;
    else if (rc.targets_same > 0)
        nd->target_juris = BW_JURIS_SAME;
    else if (rc.targets_other > 0)
        nd->target_juris = BW_JURIS_OTHER;
    add_advice(r, v, nd);
    return BW_OK;
}

/* ---- build: one group (a contact's listed devices) at a time ---- */

enum cls { CLS_NEW, CLS_STILL, CLS_RELAPSE };

struct member {
    enum cls cls;
    bool in_case;                   /* m is valid */
    struct bw_case_device m;        /* its row in the latest case of the contact holding it */
    enum bw_case_state case_state;  /* that case's state */
};

struct build {
    struct bw_notify__run *r;
    char contact[64];
    bool have_group;
    const struct bw_contact *who;   /* NULL: the contact is not known */
    bool have_active;
    struct bw_case active;
    struct bw_notify__devs devs;    /* the group's listed devices, NEW/RELAPSE/STILL */
    struct member *mem;             /* parallel to devs.dev */
    size_t cap_mem;
    size_t n_news;                  /* NEW and RELAPSE */
    size_t n_unknown;               /* listed devices of an unknown contact */
    int rc;
};

static int group_start(struct build *b, const char *contact)
{
    struct bw_notify__run *r = b->r;
    int rc;

    snprintf(b->contact, sizeof(b->contact), "%s", contact);
    b->have_group = true;
    b->who = bw_contacts_by_name(r->src->contacts, contact);
    b->n_news = 0;
    b->n_unknown = 0;
    bw_notify__devs_reset(&b->devs);
    b->have_active = false;
    if (b->who == NULL)
        return BW_OK;
    rc = bw_store_case_active(r->st, contact, &b->active);
    if (rc == BW_OK)
        b->have_active = true;
    else if (rc != BW_ENOTFOUND)
        return bw_notify__store_fail(r, rc, "reading cases");
    return BW_OK;
}

/* The time after which a report means the device came back. */
static int64_t quiet_since(const struct member *m)
{
    return m->m.fixed_s > 0 ? m->m.fixed_s : m->m.seen_s;
}

static int classify(struct build *b, const struct bw_device *d, const struct bw_evidence *ev,
                    size_t n_ev)
{
    struct bw_notify__run *r = b->r;
    struct member m = { .cls = CLS_NEW };
    struct bw_notice_device *nd;
    int rc = bw_store_case_device_find(r->st, b->contact, &d->addr, &m.m, &m.case_state);

    if (rc == BW_OK) {
        m.in_case = true;
        if (m.m.state == BW_CDEV_ACTIVE && m.case_state != BW_CASE_CLOSED &&
            m.case_state != BW_CASE_REMEDIATED)
            m.cls = CLS_STILL;
        else if (d->last_seen_s > quiet_since(&m))
            m.cls = CLS_RELAPSE;
        else
            return BW_OK; /* fixed or remediated, and quiet since: not news */
    } else if (rc != BW_ENOTFOUND) {
        return bw_notify__store_fail(r, rc, "reading case devices");
    } else if (d->last_seen_s < r->now_s - r->cf->quiet_s) {
        return BW_OK; /* still listed, but quiet for the quiet period: it already counts as
                       * remediated, so it is no news to its network */
    }
    nd = bw_notify__devs_push(r, &b->devs, d, ev, n_ev, m.cls != CLS_STILL);
    (void)nd;
    if (b->devs.n > b->cap_mem) {
        b->cap_mem = b->devs.cap;
        b->mem = bw_xrealloc(b->mem, b->cap_mem * sizeof(b->mem[0]));
    }
    b->mem[b->devs.n - 1] = m;
    if (m.cls != CLS_STILL)
        b->n_news++;
    return BW_OK;
}

static int asn_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The most common known ASN among the devices; 0 when none is known. */
static uint32_t top_asn(const struct bw_notice_device *dev, size_t n)
{
    uint32_t *v = bw_xmalloc((n + 1) * sizeof(v[0])), best = 0;
    size_t k = 0, best_n = 0;

    for (size_t i = 0; i < n; i++) {
        if (dev[i].en.asn != 0)
            v[k++] = dev[i].en.asn;
    }
    bw_sort(v, k, sizeof(v[0]), asn_cmp);
    for (size_t i = 0; i < k;) {
        size_t j = i;

        while (j < k && v[j] == v[i])
            j++;
        if (j - i > best_n) {
            best_n = j - i;
            best = v[i];
        }
        i = j;
    }
    free(v);
    return best;
}

/* The case the group's news go to: the open one, else a reopened one, else a new one. Sets
 * *kind to the event to tell. */
static int group_case(struct build *b, struct bw_case *c, enum bw_notify_event_kind *kind)
{
    struct bw_notify__run *r = b->r;
    int64_t reopen = 0;
    int rc;

    if (b->have_active) {
        *c = b->active;
        *kind = BW_NEV_UPDATED;
        return BW_OK;
    }
    /* the latest closed case a relapsed device comes from */
    for (size_t i = 0; i < b->devs.n; i++) {
        if (b->mem[i].cls == CLS_RELAPSE && b->mem[i].in_case && b->mem[i].m.case_id > reopen)
            reopen = b->mem[i].m.case_id;
    }
    if (reopen > 0) {
        char note[128];

        rc = bw_store_case_get(r->st, reopen, c);
        if (rc != BW_OK)
            return bw_notify__store_fail(r, rc, "reading a case");
        snprintf(note, sizeof(note), "reopened: a device came back");
        rc = bw_store_case_transition(r->st, reopen, BW_CASE_OPEN, BW_NOTIFY_ACTOR, note,
                                      r->now_s);
        if (rc != BW_OK)
            return bw_notify__store_fail(r, rc, "reopening a case");
        c->state = BW_CASE_OPEN;
        c->level = 0;
        snprintf(c->level_contact, sizeof(c->level_contact), "%s", b->contact);
        c->level_sent_s = 0;
        c->due_s = bw_notify__due(r, b->who->role);
        *kind = BW_NEV_REOPENED;
        return BW_OK;
    }
    memset(c, 0, sizeof(*c));
    snprintf(c->contact, sizeof(c->contact), "%s", b->contact);
    snprintf(c->level_contact, sizeof(c->level_contact), "%s", b->contact);
    snprintf(c->scope, sizeof(c->scope), "%s", b->who->scope);
    c->state = BW_CASE_PENDING;
    /* a provisional deadline, so a case that can never be delivered still escalates; the
     * first delivery sets the real one */
    c->due_s = bw_notify__due(r, b->who->role);
    c->asn = top_asn(b->devs.dev, b->devs.n);
    rc = bw_store_case_create(r->st, c, BW_NOTIFY_ACTOR, "opened", r->now_s);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "creating a case");
    *kind = BW_NEV_OPENED;
    return BW_OK;
}

static int group_write(struct build *b)
{
    struct bw_notify__run *r = b->r;
    struct bw_case c;
    enum bw_notify_event_kind kind;
    size_t n_new = 0, n_relapse = 0;
    char detail[160];
    int rc = BW_OK;

    for (size_t i = 0; rc == BW_OK && i < b->devs.n; i++)
        rc = bw_notify__devs_detail(r, &b->devs, &b->devs.dev[i]);
    if (rc != BW_OK)
        return rc;
    rc = bw_notify__tx_begin(r);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "beginning a transaction");
    rc = group_case(b, &c, &kind);
    for (size_t i = 0; rc == BW_OK && i < b->devs.n; i++) {
        const struct member *m = &b->mem[i];
        struct bw_case_device cd = {
            .case_id = c.id,
            .addr = b->devs.dev[i].addr,
            .listing = m->cls == CLS_STILL ? BW_LISTING_STILL : BW_LISTING_NEW,
            .state = BW_CDEV_ACTIVE,
            .added_s = r->now_s,
            .seen_s = r->now_s,
        };

        if (m->in_case && m->m.case_id == c.id && m->cls == CLS_STILL)
            cd.added_s = m->m.added_s;
        if (m->cls == CLS_NEW)
            n_new++;
        if (m->cls == CLS_RELAPSE)
            n_relapse++;
        rc = bw_store_case_device_put(r->st, &cd);
        if (rc != BW_OK)
            rc = bw_notify__store_fail(r, rc, "writing case devices");
    }
    if (rc == BW_OK && kind == BW_NEV_UPDATED) {
        snprintf(detail, sizeof(detail), "%zu new device%s", n_new + n_relapse,
                 n_new + n_relapse == 1 ? "" : "s");
        rc = bw_store_case_note(r->st, c.id, BW_NOTIFY_ACTOR, detail, r->now_s);
    }
    if (rc == BW_OK)
        rc = bw_notify__queue(r, &c, b->who, 0, &b->devs, "");
    if (rc == BW_OK) {
        rc = bw_store_case_update(r->st, &c, r->now_s);
        if (rc != BW_OK)
            rc = bw_notify__store_fail(r, rc, "writing a case");
    }
    rc = bw_notify__tx_end(r, rc);
    if (rc != BW_OK)
        return rc;
    r->res->devices_new += n_new + n_relapse;
    r->res->devices_relapsed += n_relapse;
    if (kind == BW_NEV_OPENED)
        r->res->cases_opened++;
    else if (kind == BW_NEV_REOPENED)
        r->res->cases_reopened++;
    else
        r->res->cases_updated++;
    snprintf(detail, sizeof(detail), "%zu new, %zu came back, %zu still listed", n_new,
             n_relapse, b->devs.n - n_new - n_relapse);
    bw_notify__event(r, kind, c.id, b->contact, "", detail, b->devs.n);
    if (c.reason[0] != '\0' && c.n_sent == 0 && strcmp(c.reason, "no delivery route") == 0) {
        r->res->no_route++;
        bw_notify__event(r, BW_NEV_NO_ROUTE, c.id, b->contact, "", c.reason, b->devs.n);
    }
    return BW_OK;
}

static int group_end(struct build *b)
{
    int rc = BW_OK;

    if (!b->have_group)
        return BW_OK;
    b->have_group = false;
    if (b->who == NULL) {
        if (b->n_unknown > 0) {
            b->r->res->devices_unknown += b->n_unknown;
            bw_notify__event(b->r, BW_NEV_UNKNOWN, 0, b->contact, "",
                             "devices name a contact that is not known (re-run 'botwatch "
                             "enrich --all' after 'contact import')",
                             b->n_unknown);
        }
        return BW_OK;
    }
    if (b->n_news > 0)
        rc = group_write(b);
    bw_notify__devs_reset(&b->devs);
    return rc;
}

static int on_device(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct build *b = ctx;
    struct bw_notify__run *r = b->r;
    struct bw_verdict v;
    bool allowed;
    int rc;

    if (!b->have_group || strcmp(b->contact, d->en.contact) != 0) {
        rc = group_end(b);
        if (rc == BW_OK)
            rc = group_start(b, d->en.contact);
        if (rc != BW_OK) {
            b->rc = rc;
            return 1;
        }
    }
    allowed = r->src->allow != NULL && bw_pfxset_lookup(r->src->allow, &d->addr, NULL, NULL);
    bw_score(&r->policy, ev, n, r->now_s, allowed, &v);
    if (!v.listed)
        return 0;
    if (b->who == NULL) {
        b->n_unknown++;
        return 0;
    }
    r->res->devices_listed++;
    rc = classify(b, d, ev, n);
    if (rc != BW_OK) {
        b->rc = rc;
        return 1;
    }
    return 0;
}

int bw_notify__build(struct bw_notify__run *r)
{
    struct build b = { .r = r };
    int rc = bw_store_device_walk_contact(r->st, r->o->contact, r->now_s - r->policy.expiry_s,
                                          on_device, &b);

    if (rc == 1)
        rc = b.rc;
    else if (rc != BW_OK)
        rc = bw_notify__store_fail(r, rc, "walking devices");
    if (rc == BW_OK)
        rc = group_end(&b);
    bw_notify__devs_free(&b.devs);
    free(b.mem);
    return rc;
}

/* ---- remediation ---- */

struct quiet {
    struct bw_notify__run *r;
    struct bw_case_device *dev; /* devices that went quiet */
    size_t n, cap;
    size_t n_active;            /* active devices that stay active */
};

static int on_case_device(void *ctx, const struct bw_case_device *d)
{
    struct quiet *q = ctx;

    if (d->state != BW_CDEV_ACTIVE)
        return 0;
    if (d->last_report_s + q->r->cf->quiet_s > q->r->now_s) {
        q->n_active++;
        return 0;
    }
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->dev = bw_xrealloc(q->dev, q->cap * sizeof(q->dev[0]));
    }
    q->dev[q->n++] = *d;
    return 0;
}

/* Remediated, then closed, when nothing in case c is active any more. */
static int close_if_done(struct bw_store *st, int64_t now_s, const struct bw_case *c,
                         size_t n_active, const char *actor, const char *why, bool *closed)
{
    int rc = BW_OK;

    *closed = false;
    if (n_active > 0 || c->n_devices == 0 || c->state == BW_CASE_CLOSED)
        return BW_OK;
    if (c->state != BW_CASE_REMEDIATED)
        rc = bw_store_case_transition(st, c->id, BW_CASE_REMEDIATED, actor, why, now_s);
    if (rc == BW_OK)
        rc = bw_store_case_transition(st, c->id, BW_CASE_CLOSED, actor,
                                      "every device fixed or remediated", now_s);
    *closed = rc == BW_OK;
    return rc;
}

static int remediate_case(struct bw_notify__run *r, int64_t id)
{
    struct quiet q = { .r = r };
    struct bw_case c;
    bool closed = false;
    char detail[128];
    int rc = bw_store_case_get(r->st, id, &c);

    if (rc == BW_OK)
        rc = bw_store_case_devices(r->st, id, on_case_device, &q);
    if (rc != BW_OK || q.n == 0) {
        free(q.dev);
        return rc != BW_OK ? bw_notify__store_fail(r, rc, "reading case devices") : BW_OK;
    }
    rc = bw_notify__tx_begin(r);
    for (size_t i = 0; rc == BW_OK && i < q.n; i++) {
        q.dev[i].state = BW_CDEV_REMEDIATED;
        /* the quiet period started with its last report: a report after it is a relapse */
        q.dev[i].fixed_s = q.dev[i].last_report_s > 0 ? q.dev[i].last_report_s : r->now_s;
        snprintf(q.dev[i].fixed_by, sizeof(q.dev[i].fixed_by), "%s", BW_NOTIFY_ACTOR);
        rc = bw_store_case_device_put(r->st, &q.dev[i]);
    }
    snprintf(detail, sizeof(detail), "%zu device%s without reports for %lld days: remediated",
             q.n, q.n == 1 ? "" : "s", (long long)(r->cf->quiet_s / 86400));
    if (rc == BW_OK)
        rc = bw_store_case_note(r->st, id, BW_NOTIFY_ACTOR, detail, r->now_s);
    if (rc == BW_OK)
        rc = close_if_done(r->st, r->now_s, &c, q.n_active, BW_NOTIFY_ACTOR,
                           "every device quiet", &closed);
    rc = bw_notify__tx_end(r, rc);
    if (rc != BW_OK) {
        free(q.dev);
        return bw_notify__store_fail(r, rc, "remediating a case");
    }
    r->res->devices_remediated += q.n;
    bw_notify__event(r, BW_NEV_REMEDIATED, id, c.contact, "", detail, q.n);
    if (closed) {
        r->res->cases_closed++;
        bw_notify__event(r, BW_NEV_CLOSED, id, c.contact, "", "every device fixed or remediated",
                         c.n_devices);
    }
    free(q.dev);
    return BW_OK;
}

int bw_notify__remediate(struct bw_notify__run *r)
{
    unsigned states = ~(1u << BW_CASE_CLOSED) & ((1u << BW_CASE_STATE_COUNT) - 1);
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = bw_notify__case_ids(r, states, 0, &ids, &n);

    for (size_t i = 0; rc == BW_OK && i < n; i++)
        rc = remediate_case(r, ids[i]);
    free(ids);
    return rc;
}

/* ---- operators ---- */

int bw_notify_case_ack(struct bw_store *st, int64_t id, const char *actor, int64_t now_s,
                       struct bw_diag *d)
{
    struct bw_case c;
    int rc = bw_store_case_get(st, id, &c);

    if (rc == BW_ENOTFOUND) {
        bw_diag_set(d, "case %lld: no such case", (long long)id);
        return rc;
    }
    if (rc == BW_OK)
        rc = bw_store_case_transition(st, id, BW_CASE_ACKNOWLEDGED, actor, "acknowledged", now_s);
    if (rc == BW_ECONFLICT)
        bw_diag_set(d, "case %lld: a case that is %s cannot be acknowledged", (long long)id,
                    bw_case_state_name(c.state));
    else if (rc != BW_OK)
        bw_diag_set(d, "case %lld: %s", (long long)id, bw_strerror(rc));
    return rc;
}

int bw_notify_case_ack_token(struct bw_store *st, int64_t id, const char *token,
                             const char *actor, int64_t now_s, struct bw_diag *d)
{
    bool valid = false;
    int rc = bw_store_case_ack_check(st, id, token, &valid);

    if (rc == BW_ENOTFOUND) {
        bw_diag_set(d, "case %lld: no such case", (long long)id);
        return rc;
    }
    if (rc != BW_OK) {
        bw_diag_set(d, "case %lld: %s", (long long)id, bw_strerror(rc));
        return rc;
    }
    if (!valid) {
        bw_diag_set(d, "case %lld: the acknowledgement token is not this case's", (long long)id);
        return BW_EINVAL;
    }
    return bw_notify_case_ack(st, id, actor, now_s, d);
}

struct fixing {
    const struct bw_addr *addrs;
    size_t n;
    bool *found;
    struct bw_case_device *dev; /* the devices to mark */
    size_t n_dev, cap;
    size_t n_active;            /* devices left active */
};

static int on_fix_device(void *ctx, const struct bw_case_device *d)
{
    struct fixing *f = ctx;
    bool pick = f->n == 0;

    for (size_t i = 0; i < f->n; i++) {
        if (bw_addr_cmp(&f->addrs[i], &d->addr) == 0) {
            f->found[i] = true;
            pick = true;
        }
    }
    if (!pick || d->state != BW_CDEV_ACTIVE) {
        if (d->state == BW_CDEV_ACTIVE)
            f->n_active++;
        return 0;
    }
    if (f->n_dev == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->dev = bw_xrealloc(f->dev, f->cap * sizeof(f->dev[0]));
    }
    f->dev[f->n_dev++] = *d;
    return 0;
}

int bw_notify_case_fixed(struct bw_store *st, int64_t id, const struct bw_addr *addrs, size_t n,
                         const char *actor, int64_t now_s, size_t *n_fixed, bool *closed,
                         struct bw_diag *d)
{
    struct fixing f = { .addrs = addrs, .n = n };
    struct bw_case c;
    char note[128];
    int rc = bw_store_case_get(st, id, &c);

    *n_fixed = 0;
    *closed = false;
    if (rc == BW_ENOTFOUND) {
        bw_diag_set(d, "case %lld: no such case", (long long)id);
        return rc;
    }
    if (rc != BW_OK) {
        bw_diag_set(d, "case %lld: %s", (long long)id, bw_strerror(rc));
        return rc;
    }
    if (c.state == BW_CASE_CLOSED) {
        bw_diag_set(d, "case %lld is closed", (long long)id);
        return BW_ECONFLICT;
    }
    f.found = bw_xcalloc(n + 1, sizeof(bool));
    rc = bw_store_case_devices(st, id, on_fix_device, &f);
    for (size_t i = 0; rc == BW_OK && i < n; i++) {
        if (!f.found[i]) {
            char t[BW_ADDR_TEXT_MAX];

            bw_diag_set(d, "case %lld has no device %s", (long long)id,
                        bw_addr_format(&addrs[i], t));
            rc = BW_ENOTFOUND;
        }
    }
    if (rc == BW_OK)
        rc = bw_store_begin(st);
    if (rc == BW_OK) {
        for (size_t i = 0; rc == BW_OK && i < f.n_dev; i++) {
            f.dev[i].state = BW_CDEV_FIXED;
            f.dev[i].fixed_s = now_s;
            snprintf(f.dev[i].fixed_by, sizeof(f.dev[i].fixed_by), "%s", actor);
            rc = bw_store_case_device_put(st, &f.dev[i]);
        }
        snprintf(note, sizeof(note), "%zu device%s marked fixed", f.n_dev,
                 f.n_dev == 1 ? "" : "s");
        if (rc == BW_OK && f.n_dev > 0)
            rc = bw_store_case_note(st, id, actor, note, now_s);
        if (rc == BW_OK)
            rc = close_if_done(st, now_s, &c, f.n_active, actor, "every device fixed", closed);
        if (rc == BW_OK)
            rc = bw_store_commit(st);
        if (rc != BW_OK) {
            bw_store_rollback(st);
            bw_diag_set(d, "case %lld: %s", (long long)id, bw_store_errmsg(st));
        }
    } else if (rc != BW_ENOTFOUND) {
        bw_diag_set(d, "case %lld: %s", (long long)id, bw_strerror(rc));
    }
    if (rc == BW_OK)
        *n_fixed = f.n_dev;
    else
        *closed = false;
    free(f.found);
    free(f.dev);
    return rc;
}
