/*
 * http/cases.c - what a network does with the cases notify/ opened for it, over HTTP:
 *   GET  /api/v1/cases/{id}               the case's state (its ISP key, admins, or its link)
 *   GET  /api/v1/cases/{id}/ack?token=T   the link in each notice: a page with a button, so
 *                                         that mail scanners following links acknowledge nothing
 *   POST /api/v1/cases/{id}/ack           acknowledges (an ISP key whose ASNs hold the case,
 *                                         an admin key, or ?token= from the notice)
 *   POST /api/v1/cases/{id}/fixed         {"ips": [...]} marks devices fixed (none: all)
 * Every write is audited and goes through the writer connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "notify/notify.h"

#define FIXED_MAX 10000

enum who { WHO_NOBODY, WHO_LINK, WHO_KEY };

/* Who may act on case c: the holder of its link (a valid token), an admin, or an ISP key whose
 * ASNs include the case's. *status gets the refusal when nobody. */
static enum who authorize(struct bw_http_req *r, struct bw_store *st, const struct bw_case *c,
                          unsigned *status)
{
    const char *token = bw_http__arg(r, "token");
    bool valid = false;

    if (token != NULL && bw_store_case_ack_check(st, c->id, token, &valid) == BW_OK && valid)
        return WHO_LINK;
    *status = 403;
    if (r->auth == BW_AUTH_KEY && r->key.role == BW_KEY_ADMIN)
        return WHO_KEY;
    if (r->auth == BW_AUTH_KEY && r->key.role == BW_KEY_ISP) {
        for (size_t i = 0; i < r->key.n_asns; i++) {
            if (c->asn != 0 && c->asn == r->key.asns[i])
                return WHO_KEY;
        }
    }
    if (r->auth != BW_AUTH_KEY && token == NULL)
        *status = 401;
    return WHO_NOBODY;
}

static json_t *case_json(const struct bw_case *c)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:i, s:o, s:o, s:o, s:I, s:I}", "id",
                          (json_int_t)c->id, "contact", c->contact, "state",
                          bw_case_state_name(c->state), "level", c->level, "sent",
                          bw_http__time_json(c->sent_s), "due", bw_http__time_json(c->due_s),
                          "acknowledged", bw_http__time_json(c->acked_s), "devices",
                          (json_int_t)c->n_devices, "active", (json_int_t)c->n_active);

    json_object_set_new(o, "asn", c->asn ? json_integer(c->asn) : json_null());
    return o;
}

struct action {
    struct bw_http_req *r;
    int64_t id;
    bool fix;                /* else acknowledge */
    struct bw_addr *addrs;   /* fix: the devices (n == 0: all) */
    size_t n;
    unsigned status;         /* refusal */
    size_t n_fixed;
    bool closed;
    struct bw_case after;
    struct bw_diag d;
};

static int act(struct bw_store *st, void *ctx)
{
    struct action *a = ctx;
    struct bw_http_req *r = a->r;
    char actor[BW_KEY_NAME_MAX + 16];
    struct bw_case c;
    enum who who;
    int rc = bw_store_case_get(st, a->id, &c);

    if (rc != BW_OK)
        return rc;
    who = authorize(r, st, &c, &a->status);
    if (who == WHO_NOBODY)
        return BW_EINVAL;
    snprintf(actor, sizeof(actor), "%s", who == WHO_LINK ? "link" : r->key.name);
    if (a->fix)
        rc = bw_notify_case_fixed(st, a->id, a->addrs, a->n, actor, bw_time_now(), &a->n_fixed,
                                  &a->closed, &a->d);
    else
        rc = bw_notify_case_ack(st, a->id, actor, bw_time_now(), &a->d);
    if (rc == BW_OK)
        rc = bw_store_case_get(st, a->id, &a->after);
    return rc;
}

static enum MHD_Result act_reply(struct bw_http_req *r, struct action *a, int rc)
{
    char what[96];
    json_t *o;

    switch (rc) {
    case BW_OK: break;
    case BW_ENOTFOUND:
        return bw_http__reply_error(r, 404, "not_found", a->fix ? "ips" : NULL, "%s",
                                    a->d.msg[0] ? a->d.msg : "no such case");
    case BW_EINVAL:
        return bw_http__reply_error(r, a->status ? a->status : 403, "forbidden", NULL,
                                    "this key or link may not act on case %lld",
                                    (long long)a->id);
    case BW_ECONFLICT:
        return bw_http__reply_error(r, 409, "conflict", NULL, "%s", a->d.msg);
    default:
        return bw_http__reply_error(r, 503, "not_stored", NULL, "the change was not recorded");
    }
    snprintf(what, sizeof(what), "case %lld %s", (long long)a->id,
             a->fix ? "devices fixed" : "acknowledged");
    bw_http__audit(r, what);
    o = case_json(&a->after);
    if (a->fix) {
        json_object_set_new(o, "fixed", json_integer((json_int_t)a->n_fixed));
        json_object_set_new(o, "closed", json_boolean(a->closed));
    }
    return bw_http__reply_json(r, 200, o);
}

/* {"ips": ["a", ...]} (or an empty body: every device). */
static enum MHD_Result read_ips(struct bw_http_req *r, struct action *a, bool *done)
{
    json_error_t jerr;
    json_t *root, *ips, *v;
    size_t i;

    *done = false;
    if (r->body.len == 0)
        return MHD_YES;
    root = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    ips = json_object_get(root, "ips");
    if (!json_is_object(root) || (json_object_size(root) > 0 && !json_is_array(ips)) ||
        json_object_size(root) > (ips != NULL ? 1u : 0u)) {
        json_decref(root);
        *done = true;
        return bw_http__reply_error(r, 400, "malformed", "ips",
                                    "the body is {\"ips\": [addresses]} (or empty for all)");
    }
    if (json_array_size(ips) > FIXED_MAX) {
        json_decref(root);
        *done = true;
        return bw_http__reply_error(r, 400, "too_many", "ips", "at most %d addresses",
                                    FIXED_MAX);
    }
    a->addrs = bw_xcalloc(json_array_size(ips) + 1, sizeof(*a->addrs));
    json_array_foreach(ips, i, v) {
        const char *t = json_string_value(v);

        if (t == NULL || bw_addr_parse(&a->addrs[a->n], t, strlen(t)) != BW_OK) {
            json_decref(root);
            *done = true;
            return bw_http__reply_error(r, 400, "invalid_ip", "ips", "ips[%zu] is not an IP "
                                        "address", i);
        }
        a->n++;
    }
    json_decref(root);
    return MHD_YES;
}

static const char ack_page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>botwatch case %lld</title>"
    "</head><body><h1>Case %lld: %s</h1><p>%s has %u device(s) in this case, %u still "
    "active.</p><form method=\"post\" action=\"/api/v1/cases/%lld/ack?token=%s\"><button "
    "type=\"submit\">Acknowledge case %lld</button></form></body></html>\n";

static enum MHD_Result ack_page_reply(struct bw_http_req *r, int64_t id)
{
    struct bw_store *st = bw_http__store_get(r->h);
    const char *token = bw_http__arg(r, "token");
    unsigned status = 0;
    struct bw_case c;
    struct bw_buf page;
    int rc;
    enum MHD_Result ret;

    if (st == NULL)
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the store did not answer");
    rc = bw_store_case_get(st, id, &c);
    if (rc == BW_OK && (token == NULL || authorize(r, st, &c, &status) != WHO_LINK))
        rc = BW_EINVAL;
    bw_http__store_put(r->h, st);
    if (rc == BW_ENOTFOUND)
        return bw_http__reply_error(r, 404, "not_found", NULL, "no such case");
    if (rc != BW_OK)
        return bw_http__reply_error(r, 403, "forbidden", "token", "the link is not this case's");
    /* the token was checked against the case: hex only, safe in the page */
    bw_buf_init(&page, 0);
    if (bw_buf_printf(&page, ack_page, (long long)id, (long long)id,
                      bw_case_state_name(c.state), "Your network", c.n_devices, c.n_active,
                      (long long)id, token, (long long)id) != BW_OK)
        ret = bw_http__reply_error(r, 500, "internal", NULL, "the page did not render");
    else
        ret = bw_http__reply(r, 200, "text/html; charset=utf-8", page.data, page.len, NULL);
    bw_buf_cleanup(&page);
    return ret;
}

static enum MHD_Result case_get(struct bw_http_req *r, int64_t id)
{
    struct bw_store *st = bw_http__store_get(r->h);
    unsigned status = 0;
    struct bw_case c;
    int rc;

    if (st == NULL)
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the store did not answer");
    rc = bw_store_case_get(st, id, &c);
    if (rc == BW_OK && authorize(r, st, &c, &status) == WHO_NOBODY)
        rc = BW_EINVAL;
    bw_http__store_put(r->h, st);
    if (rc == BW_ENOTFOUND)
        return bw_http__reply_error(r, 404, "not_found", NULL, "no such case");
    if (rc == BW_EINVAL)
        return bw_http__reply_error(r, status, "forbidden", NULL,
                                    "this key or link may not see case %lld", (long long)id);
    if (rc != BW_OK)
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the store did not answer");
    bw_http__audit(r, "case read");
    return bw_http__reply_json(r, 200, case_json(&c));
}

enum MHD_Result bw_http__cases(struct bw_http_req *r, const char *rest)
{
    bool get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
    struct action a = { .r = r };
    char *end;
    enum MHD_Result ret;
    int rc;

    a.id = strtoll(rest, &end, 10);
    if (end == rest || a.id <= 0 || (*end != '\0' && *end != '/'))
        return bw_http__reply_error(r, 404, "not_found", NULL, "no such case");
    bw_http__authenticate(r, "X-Api-Key");
    if (r->auth == BW_AUTH_BAD)
        return bw_http__reply_error(r, 401, "unauthorized", NULL, "the key is not known");
    if (*end == '\0' && get)
        return case_get(r, a.id);
    if (strcmp(end, "/ack") == 0 && get)
        return ack_page_reply(r, a.id);
    if (strcmp(end, "/fixed") == 0 && post) {
        bool done;

        a.fix = true;
        ret = read_ips(r, &a, &done);
        if (done) {
            free(a.addrs);
            return ret;
        }
    } else if (strcmp(end, "/ack") != 0 || !post) {
        return bw_http__reply_error(r, strcmp(end, "/ack") == 0 || strcmp(end, "/fixed") == 0 ||
                                               *end == '\0'
                                           ? 405
                                           : 404,
                                    "not_here", NULL, "%s %s is not a case action", r->method,
                                    r->path);
    }
    rc = bw_http__with_writer(r->h, act, &a, &a.d);
    ret = act_reply(r, &a, rc);
    free(a.addrs);
    return ret;
}
