/*
 * tests/unit/http/test_compat.c - the AbuseIPDB v2 and CrowdSec Local API shapes over a real
 * socket: reports, checks and blacklists with AbuseIPDB's error shape; bouncer decisions, the
 * per-bouncer stream and its deletions.
 */
#include "test.h"
#include "http_test_util.h"

#include <time.h>

#include "store/store.h"

static json_t *first_error(json_t *o)
{
    return json_array_get(json_object_get(o, "errors"), 0);
}

static void abuseipdb_report_and_check(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o, *d, *rep;
    char form[256];

    snprintf(form, sizeof(form), "ip=81.2.69.142&categories=18,22&comment=sshd+brute%%20force"
                                 "&timestamp=2026-05-28T20%%3A00%%3A00Z");
    post(f, "/api/v2/report", "Key", f->reporter1, form, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    d = json_object_get(o, "data");
    assert_string_equal(json_string_value(json_object_get(d, "ipAddress")), "81.2.69.142");
    assert_true(json_is_integer(json_object_get(d, "abuseConfidenceScore")));
    json_decref(o);
    resp_free(&r);
    post(f, "/api/v2/report", "Key", f->reporter2, "ip=81.2.69.142&categories=14", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(f, "/api/v2/check?ipAddress=81.2.69.142&maxAgeInDays=30&verbose", NULL, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    d = json_object_get(o, "data");
    assert_true(json_is_true(json_object_get(d, "isPublic")));
    assert_int_equal(json_integer_value(json_object_get(d, "ipVersion")), 4);
    assert_int_equal(json_integer_value(json_object_get(d, "totalReports")), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "numDistinctUsers")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "lastReportedAt")),
                        "2026-05-28T20:26:40Z");
    assert_int_equal(json_array_size(json_object_get(d, "reports")), 2);
    /* newest first: rep2's port scan (14), then rep1's brute force (18, 22 -> one of ours) */
    rep = json_array_get(json_object_get(d, "reports"), 1);
    assert_string_equal(json_string_value(json_object_get(rep, "comment")), "sshd brute force");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(rep, "categories"), 0)),
                     18);
    assert_null(strstr(r.body, "rep1"));
    json_decref(o);
    resp_free(&r);
    /* the age window counts: nothing in the last day for an address reported long ago */
    get(f, "/api/v2/check?ipAddress=81.2.69.200", NULL, &r);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "data"),
                                                        "totalReports")), 0);
    json_decref(o);
    resp_free(&r);
}

static void abuseipdb_errors_have_its_shape(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;

    post(f, "/api/v2/report", "Key", f->reporter1, "ip=10.0.0.1&categories=18", &r);
    assert_int_equal(r.status, 422);
    o = body_json(&r);
    assert_non_null(json_object_get(first_error(o), "detail"));
    assert_int_equal(json_integer_value(json_object_get(first_error(o), "status")), 422);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first_error(o),
                                                                          "source"),
                                                          "parameter")),
                        "ip");
    json_decref(o);
    resp_free(&r);
    post(f, "/api/v2/report", "Key", f->reporter1, "ip=81.2.69.142&categories=99", &r);
    assert_int_equal(r.status, 422);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first_error(o),
                                                                          "source"),
                                                          "parameter")),
                        "categories");
    json_decref(o);
    resp_free(&r);
    post(f, "/api/v2/report", "Key", f->reporter1, "ip=81.2.69.142", &r);
    assert_int_equal(r.status, 422);
    resp_free(&r);
    post(f, "/api/v2/report", "Key", NULL, "ip=81.2.69.142&categories=18", &r);
    assert_int_equal(r.status, 401);
    o = body_json(&r);
    assert_non_null(json_object_get(first_error(o), "detail"));
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v2/check?ipAddress=81.2.69.142", "Key: bw_wrong\r\n", &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    get(f, "/api/v2/check?ipAddress=nope", NULL, &r);
    assert_int_equal(r.status, 422);
    resp_free(&r);
    get(f, "/api/v2/check?ipAddress=81.2.69.142&maxAgeInDays=0", NULL, &r);
    assert_int_equal(r.status, 422);
    resp_free(&r);
}

static void abuseipdb_blacklist(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;

    make_listed(f, "81.2.69.142");
    wait_listed(f, "81.2.69.142");
    get(f, "/api/v2/blacklist?plaintext", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "81.2.69.142\n");
    resp_free(&r);
    get(f, "/api/v2/blacklist", NULL, &r);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(o, "data"), 0), "ipAddress")),
                        "81.2.69.142");
    assert_non_null(json_object_get(json_object_get(o, "meta"), "generatedAt"));
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v2/blacklist?confidenceMinimum=101", NULL, &r);
    assert_int_equal(r.status, 422);
    resp_free(&r);
}

/* Pulls the stream as key until pred holds on it (the listing is rebuilt at most once a
 * second), for at most five seconds. */
static json_t *pull_until(struct fx *f, const char *key, const char *value, const char *which)
{
    char extra[128];
    struct timespec t0, t1, nap = { 0, 50 * 1000 * 1000 };

    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", key);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct resp r;
        json_t *o, *x;
        size_t i;

        get(f, "/v1/decisions/stream", extra, &r);
        assert_int_equal(r.status, 200);
        o = body_json(&r);
        resp_free(&r);
        json_array_foreach(json_object_get(o, which), i, x) {
            if (strcmp(json_string_value(json_object_get(x, "value")), value) == 0)
                return o;
        }
        json_decref(o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 5)
            fail_msg("%s never showed %s", which, value);
        nanosleep(&nap, NULL);
    }
}

static void crowdsec_stream_per_bouncer(void **state)
{
    struct fx *f = *state;
    char extra[128];
    struct resp r;
    json_t *o, *x;
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };
    struct bw_prefix p;

    make_listed(f, "81.2.69.142");
    wait_listed(f, "81.2.69.142");
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->bouncer);
    get(f, "/v1/decisions/stream?startup=true", extra, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 1);
    assert_true(json_is_array(json_object_get(o, "deleted")));
    x = json_array_get(json_object_get(o, "new"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "value")), "81.2.69.142");
    assert_string_equal(json_string_value(json_object_get(x, "scope")), "Ip");
    assert_string_equal(json_string_value(json_object_get(x, "type")), "ban");
    assert_string_equal(json_string_value(json_object_get(x, "origin")), "botwatch");
    /* listed until 30 days after the last report, 60 s before now */
    assert_string_equal(json_string_value(json_object_get(x, "duration")), "719h59m0s");
    assert_string_equal(json_string_value(json_object_get(x, "scenario")),
                        "botwatch/bruteforce");
    json_decref(o);
    resp_free(&r);
    get(f, "/v1/decisions/stream", extra, &r);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 0);
    assert_int_equal(json_array_size(json_object_get(o, "deleted")), 0);
    json_decref(o);
    resp_free(&r);
    /* a newly listed address comes as new; an allowlisted one as deleted */
    make_listed(f, "81.2.69.143");
    o = pull_until(f, f->bouncer, "81.2.69.143", "new");
    assert_int_equal(json_array_size(json_object_get(o, "new")), 1);
    json_decref(o);
    assert_int_equal(bw_store_open(&st, f->db, &d), BW_OK);
    assert_int_equal(bw_prefix_parse(&p, "81.2.69.142/32", 14), BW_OK);
    assert_int_equal(bw_store_allow_add(st, &p, "test", NOW), BW_OK);
    bw_store_close(st);
    o = pull_until(f, f->bouncer, "81.2.69.142", "deleted");
    assert_int_equal(json_array_size(json_object_get(o, "new")), 0);
    json_decref(o);
    /* another bouncer (here an admin key) has its own cursor: its first pull is whole */
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->admin);
    get(f, "/v1/decisions/stream", extra, &r);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 1);
    json_decref(o);
    resp_free(&r);
}

/* What a bouncer was given survives a restart: its first pull afterwards brings only the
 * changes (here a deletion made while the server was down), not the whole list again. */
static void crowdsec_stream_survives_a_restart(void **state)
{
    struct fx *f = *state;
    struct bw_http_config c = { .listen = "127.0.0.1:0", .threads = 2 };
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };
    struct bw_prefix p;
    char extra[128];
    struct resp r;
    json_t *o;

    make_listed(f, "81.2.69.142");
    make_listed(f, "81.2.69.143");
    wait_listed(f, "81.2.69.143");
    wait_listed(f, "81.2.69.142");
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->bouncer);
    get(f, "/v1/decisions/stream?startup=true", extra, &r);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 2);
    json_decref(o);
    resp_free(&r);
    bw_http_stop(f->h);
    assert_int_equal(bw_store_open(&st, f->db, &d), BW_OK);
    assert_int_equal(bw_prefix_parse(&p, "81.2.69.142/32", 14), BW_OK);
    assert_int_equal(bw_store_allow_add(st, &p, "test", NOW), BW_OK);
    bw_store_close(st);
    bw_policy_default(&c.policy);
    c.db_path = f->db;
    assert_int_equal(bw_http_start(&f->h, &c, &d), BW_OK);
    f->port = bw_http_port(f->h);
    get(f, "/v1/decisions/stream", extra, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 0);
    assert_int_equal(json_array_size(json_object_get(o, "deleted")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(o, "deleted"), 0), "value")),
                        "81.2.69.142");
    json_decref(o);
    resp_free(&r);
}

static void crowdsec_empty_list_is_empty_arrays(void **state)
{
    struct fx *f = *state;
    char extra[128];
    struct resp r;
    json_t *o;

    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->bouncer);
    get(f, "/v1/decisions/stream?startup=true", extra, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_true(json_is_array(json_object_get(o, "new")));
    assert_int_equal(json_array_size(json_object_get(o, "new")), 0);
    assert_true(json_is_array(json_object_get(o, "deleted")));
    json_decref(o);
    resp_free(&r);
    get(f, "/api/v1/blocklist", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
}

static void crowdsec_decisions_for_one_ip(void **state)
{
    struct fx *f = *state;
    char extra[128];
    struct resp r;
    json_t *o;

    make_listed(f, "81.2.69.142");
    wait_listed(f, "81.2.69.142");
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->bouncer);
    get(f, "/v1/decisions?ip=81.2.69.142", extra, &r);
    assert_int_equal(r.status, 200);
    o = body_json(&r);
    assert_int_equal(json_array_size(o), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "value")),
                        "81.2.69.142");
    json_decref(o);
    resp_free(&r);
    get(f, "/v1/decisions?ip=81.2.69.9", extra, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "null");
    resp_free(&r);
    /* an address inside a listed network gets the network's Range decision */
    make_listed(f, "81.2.72.0/24");
    {
        struct timespec t0, t1, nap = { 0, 50 * 1000 * 1000 };

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) { /* the listing is rebuilt at most once a second */
            get(f, "/v1/decisions?ip=81.2.72.77", extra, &r);
            if (strcmp(r.body, "null") != 0)
                break;
            resp_free(&r);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (t1.tv_sec - t0.tv_sec > 5)
                fail_msg("the network never showed");
            nanosleep(&nap, NULL);
        }
    }
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "scope")),
                        "Range");
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "value")),
                        "81.2.72.0/24");
    json_decref(o);
    resp_free(&r);
    get(f, "/v1/decisions?ip=81.2.69.142", extra, &r); /* an address beats nothing else */
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "scope")), "Ip");
    json_decref(o);
    resp_free(&r);
    get(f, "/v1/decisions?ip=81.2.69.142", NULL, &r);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->reporter1);
    get(f, "/v1/decisions/stream?startup=true", extra, &r);
    assert_int_equal(r.status, 403);
    resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(abuseipdb_report_and_check, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(abuseipdb_errors_have_its_shape, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(abuseipdb_blacklist, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(crowdsec_stream_per_bouncer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(crowdsec_stream_survives_a_restart, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(crowdsec_empty_list_is_empty_arrays, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(crowdsec_decisions_for_one_ip, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
