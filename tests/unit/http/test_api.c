/*
 * tests/unit/http/test_api.c - the native API over a real socket: reports in (counts, refusals
 * that store nothing, auth), lookups by role (what anonymous callers, scoped keys and admins
 * see), and the blocklist (formats, ETag, gzip).
 */
#include "test.h"
#include "http_test_util.h"

#include <zlib.h>

#include "store/store.h"

static json_t *err_of(json_t *o)
{
    return json_object_get(o, "error");
}

static void reports_are_accepted_then_duplicates(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;

    report3(f, f->reporter1, "81.2.69.142", &r);
    assert_int_equal(r.status, 202);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "duplicates")), 0);
    assert_int_equal(json_object_size(json_object_get(o, "rejected")), 0);
    json_decref(o);
    resp_free(&r);
    report3(f, f->reporter1, "81.2.69.142", &r);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "duplicates")), 3);
    json_decref(o);
    resp_free(&r);
    /* a pretty-printed JSON object is one report too */
    http(f, "POST", "/api/v1/reports",
         "Content-Type: application/json\r\nX-Api-Key: \r\n", NULL, 0, &r); /* empty key */
    assert_int_equal(r.status, 401);
    resp_free(&r);
    {
        char extra[256];
        const char *body = "{\n  \"ip\": \"81.2.69.143\",\n  \"category\": [\"scan\"],\n"
                           "  \"port\": 23\n}\n";

        snprintf(extra, sizeof(extra), "Content-Type: application/json\r\nX-Api-Key: %s\r\n",
                 f->reporter1);
        http(f, "POST", "/api/v1/reports", extra, body, strlen(body), &r);
    }
    assert_int_equal(r.status, 202);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 1);
    json_decref(o);
    resp_free(&r);
}

static void refused_batch_stores_nothing(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;
    char body[512];

    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1, "{\"ip\": 12", &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "code")), "malformed");
    json_decref(o);
    resp_free(&r);
    /* one good line, then a bad address: the whole batch is refused */
    snprintf(body, sizeof(body),
             "{\"ip\":\"81.2.69.150\",\"time\":%lld,\"category\":\"scan\"}\n"
             "{\"ip\":\"81.2.69.999\",\"time\":%lld,\"category\":\"scan\"}\n",
             (long long)NOW, (long long)NOW);
    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1, body, &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "ip");
    assert_int_equal(json_integer_value(json_object_get(err_of(o), "line")), 2);
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v1/devices/81.2.69.150", NULL, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "reports")), 0);
    json_decref(o);
    resp_free(&r);
    /* wrong types name their field */
    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1,
         "{\"ip\":\"81.2.69.150\",\"category\":\"scan\",\"port\":\"x\"}", &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "port");
    json_decref(o);
    resp_free(&r);
    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1, "\n\n", &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
}

static void non_public_addresses_are_counted(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;
    char body[512];

    snprintf(body, sizeof(body),
             "{\"ip\":\"81.2.69.151\",\"time\":%lld,\"category\":\"scan\"}\n"
             "{\"ip\":\"10.0.0.1\",\"time\":%lld,\"category\":\"scan\"}\n"
             "{\"ip\":\"81.2.69.152\",\"time\":%lld,\"category\":\"scan\"}\n",
             (long long)NOW, (long long)NOW, (long long)(NOW + 86400));
    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1, body, &r);
    assert_int_equal(r.status, 202);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "rejected"),
                                                        "non_public")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "rejected"),
                                                        "time_in_future")), 1);
    json_decref(o);
    resp_free(&r);
}

static void writes_need_a_reporter_key(void **state)
{
    struct fx *f = *state;
    struct resp r;

    report3(f, NULL, "81.2.69.142", &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    report3(f, "bw_0000000000000000000000000000000000000000000000000000000000000000",
            "81.2.69.142", &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    report3(f, f->bouncer, "81.2.69.142", &r);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    report3(f, f->admin, "81.2.69.142", &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
}

static void set_asn(struct fx *f, const char *ip, uint32_t asn)
{
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };
    struct bw_enrichment en = { .asn = asn };
    struct bw_addr a;

    assert_int_equal(bw_store_open(&st, f->db, &d), BW_OK);
    assert_int_equal(bw_addr_parse(&a, ip, strlen(ip)), BW_OK);
    snprintf(en.country, sizeof(en.country), "GB");
    assert_int_equal(bw_store_device_enrich(st, &a, &en, BW_ENRICH_NETWORK, NOW), BW_OK);
    bw_store_close(st);
}

static json_t *lookup_as(struct fx *f, const char *key, const char *ip)
{
    char path[128], extra[128] = "";
    struct resp r;
    json_t *o;

    snprintf(path, sizeof(path), "/api/v1/devices/%s", ip);
    if (key != NULL)
        snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", key);
    get(f, path, extra, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    /* reporter names reach admins only */
    if (key == NULL || strcmp(key, f->admin) != 0)
        assert_null(strstr(r.body, "rep1"));
    resp_free(&r);
    return o;
}

static void lookups_show_what_each_role_may_see(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o, *ev;

    make_listed(f, "81.2.69.142");
    set_asn(f, "81.2.69.142", 64500);
    /* lookups answer from the image, which follows the store within about a second */
    for (int i = 0; i < 250; i++) {
        struct timespec nap = { 0, 20 * 1000 * 1000 };

        o = lookup_as(f, NULL, "81.2.69.142");
        if (json_integer_value(json_object_get(o, "asn")) == 64500)
            break;
        json_decref(o);
        o = NULL;
        nanosleep(&nap, NULL);
    }
    assert_non_null(o);
    assert_true(json_is_true(json_object_get(o, "listed")));
    assert_int_equal(json_integer_value(json_object_get(o, "reports")), 6);
    assert_int_equal(json_integer_value(json_object_get(o, "reporters")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "asn")), 64500);
    assert_null(json_object_get(o, "evidence"));
    assert_null(json_object_get(o, "sources"));
    assert_non_null(strstr(json_string_value(json_object_get(o, "why")), "listed"));
    json_decref(o);
    o = lookup_as(f, f->isp, "81.2.69.142");
    ev = json_object_get(o, "evidence");
    assert_int_equal(json_array_size(ev), 6);
    assert_non_null(json_object_get(json_array_get(ev, 0), "evidence"));
    assert_null(json_object_get(json_array_get(ev, 0), "reporter"));
    json_decref(o);
    o = lookup_as(f, f->other_isp, "81.2.69.142");
    assert_null(json_object_get(o, "evidence"));
    json_decref(o);
    o = lookup_as(f, f->admin, "81.2.69.142");
    assert_int_equal(json_array_size(json_object_get(o, "sources")), 2);
    assert_non_null(json_object_get(json_array_get(json_object_get(o, "evidence"), 0),
                                    "reporter"));
    json_decref(o);
    /* an address never reported is an answer too, and bad input is a 400 */
    o = lookup_as(f, NULL, "2a02:cf40::1");
    assert_true(json_is_false(json_object_get(o, "listed")));
    json_decref(o);
    get(f, "/api/v1/devices/81.2.69.1234", NULL, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    get(f, "/api/v1/devices/81.2.69.142", "X-Api-Key: bw_nope\r\n", &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
}

static size_t gunzip(const char *in, size_t len, char *out, size_t cap)
{
    z_stream z;
    size_t n;

    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap - 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    n = z.total_out;
    inflateEnd(&z);
    out[n] = '\0';
    return n;
}

static void blocklist_formats_etag_and_gzip(void **state)
{
    struct fx *f = *state;
    struct resp r;
    char ip[32], etag[80], extra[128], plain[1 << 15], *p;
    json_t *o;

    for (int i = 1; i <= 8; i++) {
        snprintf(ip, sizeof(ip), "81.2.70.%d", i);
        make_listed(f, ip);
    }
    wait_listed(f, "81.2.70.8"); /* the last stored: the listing holds all eight */
    get(f, "/api/v1/blocklist?format=txt", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "81.2.70.1\n"));
    assert_non_null(strstr(r.body, "81.2.70.8\n"));
    p = strcasestr(r.headers, "ETag: ");
    assert_non_null(p);
    snprintf(etag, sizeof(etag), "%.*s", (int)strcspn(p + 6, "\r\n"), p + 6);
    resp_free(&r);
    snprintf(extra, sizeof(extra), "If-None-Match: %s\r\n", etag);
    get(f, "/api/v1/blocklist?format=txt", extra, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
    get(f, "/api/v1/blocklist?format=txt", "If-None-Match: \"other\"\r\n", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(f, "/api/v1/blocklist?format=csv", NULL, &r);
    assert_int_equal(strncmp(r.body, "ip,score,categories,last_seen\n", 30), 0);
    assert_non_null(strstr(r.body, "81.2.70.3,"));
    resp_free(&r);
    get(f, "/api/v1/blocklist?format=json", "Accept-Encoding: gzip, deflate\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Encoding: gzip"));
    gunzip(r.body, r.body_len, plain, sizeof(plain));
    resp_free(&r);
    o = json_loads(plain, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 8);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(o, "entries"), 0), "ip")),
                        "81.2.70.1");
    json_decref(o);
    get(f, "/api/v1/blocklist?format=xml", NULL, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
}

/* The device is listed in the blocklist while `listed`, waited for (bounded). */
static void wait_listing(struct fx *f, const char *ip, bool listed)
{
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    char want[64];

    snprintf(want, sizeof(want), "%s\n", ip);
    for (int i = 0; i < 250; i++) {
        struct resp r;
        bool found;

        get(f, "/api/v1/blocklist?format=txt", NULL, &r);
        found = strstr(r.body, want) != NULL;
        resp_free(&r);
        if (found == listed)
            return;
        nanosleep(&nap, NULL);
    }
    fail_msg("%s never became %s", ip, listed ? "listed" : "unlisted");
}

static void devices_pages_and_summary(void **state)
{
    struct fx *f = *state;
    struct resp r;
    char ip[32], path[160];
    json_t *o;
    size_t seen = 0, pages = 0;
    char cursor[64] = "";

    report3(f, f->reporter1, "81.2.71.100", &r); /* one source: not listed */
    resp_free(&r);
    for (int i = 1; i <= 7; i++) {
        snprintf(ip, sizeof(ip), "81.2.71.%d", i);
        make_listed(f, ip);
    }
    wait_listing(f, "81.2.71.7", true); /* lists answer from the image the listing is built with */
    do {
        snprintf(path, sizeof(path), "/api/v1/devices?listed=true&limit=3%s%s",
                 cursor[0] ? "&cursor=" : "", cursor);
        get(f, path, NULL, &r);
        assert_int_equal(r.status, 200);
        o = body_json(&r);
        resp_free(&r);
        seen += json_array_size(json_object_get(o, "devices"));
        assert_true(json_array_size(json_object_get(o, "devices")) <= 3);
        pages++;
        if (json_is_string(json_object_get(o, "next_cursor")))
            snprintf(cursor, sizeof(cursor), "%s",
                     json_string_value(json_object_get(o, "next_cursor")));
        else
            cursor[0] = '\0';
        json_decref(o);
    } while (cursor[0] != '\0' && pages < 10);
    assert_int_equal(seen, 7);
    assert_int_equal(pages, 3);
    get(f, "/api/v1/devices?listed=false", NULL, &r);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "devices")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(o, "devices"), 0), "ip")),
                        "81.2.71.100");
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v1/devices?category=scan", NULL, &r);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "devices")), 0);
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v1/devices?limit=0", NULL, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    get(f, "/api/v1/devices?category=nope", NULL, &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "category");
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v1/stats/summary", NULL, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "devices")), 8);
    assert_int_equal(json_integer_value(json_object_get(o, "listed")), 7);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "by_category"),
                                                        "bruteforce")), 7);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "by_country"),
                                                        "unknown")), 7);
    json_decref(o);
    resp_free(&r);
}

static void post_delist(struct fx *f, const char *body, struct resp *r)
{
    post(f, "/api/v1/delist", "X-Api-Key", NULL, body, r);
}

static void delisting_requests_are_recorded_and_decided(void **state)
{
    struct fx *f = *state;
    struct bw_store *st;
    struct bw_delist d;
    struct resp r;
    char body[512];
    json_t *o;
    int64_t id;

    make_listed(f, "81.2.69.150");
    wait_listing(f, "81.2.69.150", true);
    /* bad requests name the field and store nothing */
    post_delist(f, "{\"ip\":", &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    post_delist(f, "{\"ip\":\"81.2.69.150\",\"reason\":\"fixed\",\"contact\":\"a@b.example\","
                   "\"pleaseDelete\":true}", &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "pleaseDelete");
    json_decref(o);
    resp_free(&r);
    post_delist(f, "{\"ip\":\"81.2.69.999\",\"reason\":\"fixed\",\"contact\":\"a@b.example\"}", &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "ip");
    json_decref(o);
    resp_free(&r);
    post_delist(f, "{\"ip\":\"81.2.69.150\",\"reason\":\"fixed\",\"contact\":7}", &r);
    assert_int_equal(r.status, 400);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(err_of(o), "field")), "contact");
    json_decref(o);
    resp_free(&r);
    /* an address that is not listed needs no request */
    post_delist(f, "{\"ip\":\"81.2.69.151\",\"reason\":\"x\",\"contact\":\"a@b.example\"}", &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "not_listed");
    json_decref(o);
    resp_free(&r);
    /* a real one is recorded once */
    post_delist(f, "{\"ip\":\"81.2.69.150\",\"reason\":\"router reflashed\","
                   "\"contact\":\"noc@isp.example\"}", &r);
    assert_int_equal(r.status, 202);
    o = body_json(&r);
    id = json_integer_value(json_object_get(o, "id"));
    assert_true(id > 0);
    json_decref(o);
    resp_free(&r);
    post_delist(f, "{\"ip\":\"81.2.69.150\",\"reason\":\"again\",\"contact\":\"x@y.example\"}", &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), id);
    assert_true(json_is_true(json_object_get(o, "duplicate")));
    json_decref(o);
    resp_free(&r);
    /* the administrator accepts it: unlisted, and the decision is kept */
    assert_int_equal(bw_store_open(&st, f->db, NULL), BW_OK);
    assert_int_equal(bw_store_delist_get(st, id, &d), BW_OK);
    assert_int_equal(d.state, BW_DELIST_PENDING);
    assert_string_equal(d.reason, "router reflashed");
    assert_string_equal(d.requested_by, "anonymous");
    assert_int_equal(bw_store_delist_decide(st, id, true, "cli:test", "ok", NOW), BW_OK);
    assert_int_equal(bw_store_delist_decide(st, id, false, "cli:test", "", NOW), BW_ECONFLICT);
    assert_int_equal(bw_store_delist_get(st, id, &d), BW_OK);
    assert_int_equal(d.state, BW_DELIST_ACCEPTED);
    assert_string_equal(d.decided_by, "cli:test");
    bw_store_close(st);
    wait_listing(f, "81.2.69.150", false);
    /* new reports after the decision list it again */
    for (int k = 0; k < 2; k++) {
        snprintf(body, sizeof(body),
                 "{\"ip\":\"81.2.69.150\",\"time\":%lld,\"category\":\"bruteforce\",\"port\":22}\n"
                 "{\"ip\":\"81.2.69.150\",\"time\":%lld,\"category\":\"bruteforce\",\"port\":23}\n"
                 "{\"ip\":\"81.2.69.150\",\"time\":%lld,\"category\":\"bruteforce\",\"port\":24}\n",
                 (long long)NOW, (long long)NOW, (long long)NOW);
        post(f, "/api/v1/reports", "X-Api-Key", k == 0 ? f->reporter1 : f->reporter2, body, &r);
        assert_int_equal(r.status, 202);
        resp_free(&r);
    }
    wait_listing(f, "81.2.69.150", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reports_are_accepted_then_duplicates, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(refused_batch_stores_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(non_public_addresses_are_counted, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(writes_need_a_reporter_key, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(lookups_show_what_each_role_may_see, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(blocklist_formats_etag_and_gzip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(devices_pages_and_summary, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(delisting_requests_are_recorded_and_decided, fx_setup,
                                        fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
