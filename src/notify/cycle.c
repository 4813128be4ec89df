/*
 * notify/cycle.c - one notification cycle (bw_notify_run): build, remediate, escalate,
 * deliver; and the [notify] settings.
 * Invariants:
 *  - The passes run in that order, so a device that joins a case in this cycle keeps it open,
 *    and what the cycle queued is delivered in the same cycle.
 *  - A dry run wraps everything in one transaction and rolls it back: what it prints is what a
 *    real run would have done, minus the deliveries.
 */
#include "notify/notify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bw_notify_config_default(struct bw_notify_config *c)
{
    memset(c, 0, sizeof(*c));
    c->smtp.port = 25;
    c->smtp.timeout_ms = 30000;
    snprintf(c->from, sizeof(c->from), "botwatch@localhost");
    snprintf(c->registry_name, sizeof(c->registry_name), "botwatch");
    for (int i = 0; i < BW_ROLE_COUNT; i++)
        c->due_s[i] = 72 * 3600;
    c->quiet_s = 7 * 86400;
    c->retry_s = 300;
    c->retry_max_s = 6 * 3600;
    c->max_attempts = 10;
    c->max_devices = 1000;
    c->lease_s = 600;
    c->interval_s = 0;
}

static int set_text(char *dst, size_t cap, const char *value)
{
    size_t len = strlen(value);

    if (len >= cap)
        return BW_EMALFORMED;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return BW_EMALFORMED; /* settings end up in SMTP commands and headers */
    }
    memcpy(dst, value, len + 1);
    return BW_OK;
}

static int set_bool(bool *out, const char *v)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
        strcmp(v, "on") == 0) {
        *out = true;
        return BW_OK;
    }
    if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
        strcmp(v, "off") == 0) {
        *out = false;
        return BW_OK;
    }
    return BW_EMALFORMED;
}

int bw_notify_set_relay(struct bw_notify_config *c, const char *hostport)
{
    const char *colon, *host = hostport;
    size_t host_len;
    uint64_t port = 25;

    if (hostport[0] == '[') {
        const char *end = strchr(hostport, ']');

        if (end == NULL || (end[1] != '\0' && end[1] != ':'))
            return BW_EMALFORMED;
        host = hostport + 1;
        host_len = (size_t)(end - host);
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strrchr(hostport, ':');
        if (colon != NULL && strchr(hostport, ':') != colon)
            colon = NULL; /* a bare IPv6 address */
        host_len = colon != NULL ? (size_t)(colon - hostport) : strlen(hostport);
    }
    if (colon != NULL && bw_u64_parse(colon + 1, 1, 65535, &port) != BW_OK)
        return BW_EMALFORMED;
    if (host_len == 0 || host_len >= sizeof(c->smtp.host))
        return BW_EMALFORMED;
    for (size_t i = 0; i < host_len; i++) {
        if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f || host[i] == '/' ||
            host[i] == '@')
            return BW_EMALFORMED;
    }
    memcpy(c->smtp.host, host, host_len);
    c->smtp.host[host_len] = '\0';
    c->smtp.port = (uint16_t)port;
    return BW_OK;
}

int bw_notify_config_set(struct bw_notify_config *c, const char *key, const char *value)
{
    static const char *const roles[BW_ROLE_COUNT] = { "due.isp", "due.upstream", "due.cert" };
    uint64_t v;
    int rc;

    if (strcmp(key, "smtp_host") == 0) {
        char tmp[300];
        uint16_t port = c->smtp.port;

        if (value[0] == '\0') {
            c->smtp.host[0] = '\0';
            return BW_OK;
        }
        if (strchr(value, ':') != NULL && value[0] != '[' && strchr(value, ':') == strrchr(value, ':'))
            return BW_EMALFORMED; /* the port is smtp_port */
        snprintf(tmp, sizeof(tmp), "%s", value);
        rc = bw_notify_set_relay(c, tmp);
        if (rc == BW_OK)
            c->smtp.port = port;
        return rc;
    }
    if (strcmp(key, "smtp_port") == 0) {
        rc = bw_u64_parse(value, 1, 65535, &v);
        if (rc == BW_OK)
            c->smtp.port = (uint16_t)v;
        return rc;
    }
    if (strcmp(key, "smtp_starttls") == 0)
        return set_bool(&c->smtp.starttls, value);
    if (strcmp(key, "smtp_user") == 0)
        return set_text(c->smtp.user, sizeof(c->smtp.user), value);
    if (strcmp(key, "smtp_password") == 0)
        return set_text(c->smtp.password, sizeof(c->smtp.password), value);
    if (strcmp(key, "timeout") == 0) {
        int64_t s;

        rc = bw_duration_parse(&s, value);
        if (rc == BW_OK && s > 3600)
            rc = BW_EMALFORMED;
        if (rc == BW_OK)
            c->smtp.timeout_ms = (long)s * 1000;
        return rc;
    }
    if (strcmp(key, "from") == 0) {
        if (value[0] != '\0' && (strchr(value, '@') == NULL || strpbrk(value, " <>,;") != NULL))
            return BW_EMALFORMED;
        return set_text(c->from, sizeof(c->from), value);
    }
    if (strcmp(key, "registry_name") == 0)
        return set_text(c->registry_name, sizeof(c->registry_name), value);
    if (strcmp(key, "ack_url") == 0) {
        if (value[0] != '\0' && strncmp(value, "https://", 8) != 0 &&
            strncmp(value, "http://", 7) != 0)
            return BW_EMALFORMED;
        return set_text(c->ack_base_url, sizeof(c->ack_base_url), value);
    }
    if (strcmp(key, "webhook_secret") == 0)
        return set_text(c->webhook_secret, sizeof(c->webhook_secret), value);
    for (int i = 0; i < BW_ROLE_COUNT; i++) {
        if (strcmp(key, roles[i]) == 0)
            return bw_duration_parse(&c->due_s[i], value);
    }
    if (strcmp(key, "due") == 0) {
        int64_t s;

        rc = bw_duration_parse(&s, value);
        for (int i = 0; rc == BW_OK && i < BW_ROLE_COUNT; i++)
            c->due_s[i] = s;
        return rc;
    }
    if (strcmp(key, "quiet") == 0)
        return bw_duration_parse(&c->quiet_s, value);
    if (strcmp(key, "retry") == 0)
        return bw_duration_parse(&c->retry_s, value);
    if (strcmp(key, "retry_max") == 0)
        return bw_duration_parse(&c->retry_max_s, value);
    if (strcmp(key, "lease") == 0)
        return bw_duration_parse(&c->lease_s, value);
    if (strcmp(key, "attempts") == 0) {
        rc = bw_u64_parse(value, 1, 1000, &v);
        if (rc == BW_OK)
            c->max_attempts = (unsigned)v;
        return rc;
    }
    if (strcmp(key, "max_devices") == 0) {
        rc = bw_u64_parse(value, 1, 1000000, &v);
        if (rc == BW_OK)
            c->max_devices = (unsigned)v;
        return rc;
    }
    if (strcmp(key, "interval") == 0) {
        if (strcmp(value, "0") == 0) {
            c->interval_s = 0;
            return BW_OK;
        }
        return bw_duration_parse(&c->interval_s, value);
    }
    return BW_EINVAL;
}

const char *bw_notify_event_name(enum bw_notify_event_kind k)
{
    static const char *const names[] = {
        [BW_NEV_OPENED] = "opened",       [BW_NEV_UPDATED] = "updated",
        [BW_NEV_REOPENED] = "reopened",   [BW_NEV_NO_ROUTE] = "no_route",
        [BW_NEV_UNKNOWN] = "unknown_contact", [BW_NEV_REMEDIATED] = "remediated",
        [BW_NEV_CLOSED] = "closed",       [BW_NEV_ESCALATED] = "escalated",
        [BW_NEV_OVERDUE] = "overdue",     [BW_NEV_SENT] = "sent",
        [BW_NEV_RETRY] = "retry",         [BW_NEV_FAILED] = "failed",
    };

    return (unsigned)k < BW_ARRAY_LEN(names) && names[k] != NULL ? names[k] : "?";
}

void bw_notify__event(struct bw_notify__run *r, enum bw_notify_event_kind kind, int64_t case_id,
                      const char *contact, const char *dest, const char *detail, uint64_t n)
{
    struct bw_notify_event e = {
        .kind = kind,
        .case_id = case_id,
        .contact = contact != NULL ? contact : "",
        .dest = dest != NULL ? dest : "",
        .detail = detail != NULL ? detail : "",
        .n = n,
    };

    if (r->cb != NULL)
        r->cb(r->ctx, &e);
}

int bw_notify__tx_begin(struct bw_notify__run *r)
{
    return r->o->dry_run ? BW_OK : bw_store_begin(r->st);
}

int bw_notify__tx_end(struct bw_notify__run *r, int rc)
{
    if (r->o->dry_run)
        return rc;
    if (rc == BW_OK) {
        rc = bw_store_commit(r->st);
        if (rc == BW_OK)
            return BW_OK;
    }
    bw_store_rollback(r->st);
    return rc;
}

int bw_notify__store_fail(struct bw_notify__run *r, int rc, const char *what)
{
    if (r->d != NULL && r->d->msg[0] == '\0')
        bw_diag_set(r->d, "notify: %s: %s (%s)", what, bw_strerror(rc),
                    bw_store_errmsg(r->st));
    return rc;
}

int64_t bw_notify__due(const struct bw_notify__run *r, enum bw_contact_role role)
{
    return r->now_s + r->cf->due_s[(unsigned)role < BW_ROLE_COUNT ? role : BW_ROLE_ISP];
}

struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static int on_case(void *ctx, const struct bw_case *c)
{
    struct id_list *l = ctx;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->ids = bw_xrealloc(l->ids, l->cap * sizeof(l->ids[0]));
    }
    l->ids[l->n++] = c->id;
    return 0;
}

int bw_notify__case_ids(struct bw_notify__run *r, unsigned states, int64_t due_before_s,
                        int64_t **ids, size_t *n)
{
    struct bw_case_filter f = { .states = states, .contact = r->o->contact,
                                .due_before_s = due_before_s };
    struct id_list l = { 0 };
    int rc = bw_store_case_list(r->st, &f, on_case, &l);

    if (rc != BW_OK) {
        free(l.ids);
        return bw_notify__store_fail(r, rc, "listing cases");
    }
    *ids = l.ids;
    *n = l.n;
    return BW_OK;
}

static long fault_at(const char *what)
{
    const char *f = getenv("BOTWATCH_FAULT");
    size_t len = strlen(what);

    if (f == NULL || strncmp(f, what, len) != 0 || f[len] != ':')
        return 0;
    return strtol(f + len + 1, NULL, 10);
}

/* Messages still waiting after the run (whether due or not). */
static int count_pending(struct bw_notify__run *r, uint64_t *out)
{
    int64_t ids[256], after = 0;
    size_t n;
    int rc;

    *out = 0;
    do {
        rc = bw_store_outbox_due(r->st, INT64_MAX, r->o->contact, after, ids, 256, &n);
        if (rc != BW_OK)
            return bw_notify__store_fail(r, rc, "reading the outbox");
        *out += n;
        if (n > 0)
            after = ids[n - 1];
    } while (n == 256);
    return BW_OK;
}

int bw_notify_run(struct bw_store *st, const struct bw_notify_config *cf,
                  const struct bw_notify_sources *src, const struct bw_notify_opts *o,
                  int64_t now_s, bw_notify_event_cb cb, void *ctx, struct bw_notify_result *res,
                  struct bw_diag *d)
{
    static const struct bw_notify_opts none = { 0 };
    struct bw_notify__run r = {
        .st = st, .cf = cf, .src = src, .o = o != NULL ? o : &none, .now_s = now_s,
        .cb = cb, .ctx = ctx, .res = res, .d = d,
    };
    int rc;

    memset(res, 0, sizeof(*res));
    if (d != NULL)
        d->msg[0] = '\0';
    if (src == NULL || src->contacts == NULL) {
        bw_diag_set(d, "notify: no contacts (import them with 'botwatch contact import')");
        return BW_EINVAL;
    }
    if (src->policy != NULL)
        r.policy = *src->policy;
    else
        bw_policy_default(&r.policy);
    r.fault_send = fault_at("kill-after-send");
    r.fault_mark = fault_at("kill-after-mark");
    bw_buf_init(&r.render, 0);
    rc = r.o->dry_run ? bw_store_begin(st) : BW_OK;
    if (rc != BW_OK)
        rc = bw_notify__store_fail(&r, rc, "beginning a transaction");
    if (rc == BW_OK)
        rc = bw_notify__build(&r);
    if (rc == BW_OK)
        rc = bw_notify__remediate(&r);
    if (rc == BW_OK)
        rc = bw_notify__escalate(&r);
    if (rc == BW_OK && !r.o->dry_run && !r.o->no_send)
        rc = bw_notify__deliver(&r);
    if (rc == BW_OK)
        rc = count_pending(&r, &res->pending);
    if (r.o->dry_run)
        bw_store_rollback(st);
    bw_buf_cleanup(&r.render);
    return rc;
}
