/*
 * tests/unit/http/test_cases.c - what a network does with its case over HTTP: read it with
 * its ISP key, acknowledge it through the signed link (a page first, so a mail scanner that
 * follows links acknowledges nothing) or with its key, mark devices fixed, and who may not;
 * and the notification gauges in /metrics.
 */
#include "test.h"
#include "http_test_util.h"

#include "store/store.h"

/* A case for a network in AS64500 with two devices; its token into token[65]. */
static int64_t make_case(struct fx *f, char *token)
{
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };
    struct bw_case c = { .asn = 64500, .state = BW_CASE_OPEN };
    const char *ips[] = { "81.2.69.142", "81.2.69.160" };

    snprintf(c.contact, sizeof(c.contact), "aaisp");
    snprintf(c.level_contact, sizeof(c.level_contact), "aaisp");
    assert_int_equal(bw_store_open(&st, f->db, &d), BW_OK);
    assert_int_equal(bw_store_case_create(st, &c, "test", "opened", NOW), BW_OK);
    for (int i = 0; i < 2; i++) {
        struct bw_case_device cd = { .case_id = c.id, .listing = BW_LISTING_NEW,
                                     .state = BW_CDEV_ACTIVE, .added_s = NOW, .seen_s = NOW };

        assert_int_equal(bw_addr_parse(&cd.addr, ips[i], strlen(ips[i])), BW_OK);
        assert_int_equal(bw_store_case_device_put(st, &cd), BW_OK);
    }
    bw_store_close(st);
    snprintf(token, 65, "%s", c.ack_token);
    assert_int_equal(strlen(token), 64);
    return c.id;
}

static void req(struct fx *f, const char *method, const char *path, const char *key,
                const char *body, int want, struct resp *r)
{
    char extra[256] = "";

    if (key != NULL)
        snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", key);
    http(f, method, path, extra, body, body != NULL ? strlen(body) : 0, r);
    if (r->status != want)
        fail_msg("%s %s: %d, not %d: %s", method, path, r->status, want, r->body);
}

static void a_case_is_acknowledged_through_its_link(void **state)
{
    struct fx *f = *state;
    char token[65], path[256];
    struct resp r;
    json_t *o;
    int64_t id = make_case(f, token);

    snprintf(path, sizeof(path), "/api/v1/cases/%lld", (long long)id);
    req(f, "GET", path, NULL, NULL, 401, &r);
    resp_free(&r);
    req(f, "GET", path, f->other_isp, NULL, 403, &r); /* another network's key */
    resp_free(&r);
    req(f, "GET", path, f->isp, NULL, 200, &r);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "open");
    assert_int_equal(json_integer_value(json_object_get(o, "devices")), 2);
    json_decref(o);
    resp_free(&r);
    /* the link: a wrong token is refused; the right one shows a page and changes nothing */
    snprintf(path, sizeof(path), "/api/v1/cases/%lld/ack?token=%064d", (long long)id, 0);
    req(f, "GET", path, NULL, NULL, 403, &r);
    resp_free(&r);
    snprintf(path, sizeof(path), "/api/v1/cases/%lld/ack?token=%s", (long long)id, token);
    req(f, "GET", path, NULL, NULL, 200, &r);
    assert_true(has_header(&r, "Content-Type: text/html"));
    assert_non_null(strstr(r.body, "method=\"post\""));
    assert_non_null(strstr(r.body, token));
    resp_free(&r);
    snprintf(path, sizeof(path), "/api/v1/cases/%lld", (long long)id);
    req(f, "GET", path, f->isp, NULL, 200, &r);
    assert_non_null(strstr(r.body, "\"state\":\"open\""));
    resp_free(&r);
    /* its button posts the same link: acknowledged, once */
    snprintf(path, sizeof(path), "/api/v1/cases/%lld/ack?token=%s", (long long)id, token);
    req(f, "POST", path, NULL, NULL, 200, &r);
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "acknowledged");
    assert_true(json_is_string(json_object_get(o, "acknowledged")));
    json_decref(o);
    resp_free(&r);
    req(f, "POST", path, NULL, NULL, 409, &r);
    resp_free(&r);
    req(f, "GET", "/api/v1/cases/999/ack?token=00", NULL, NULL, 404, &r);
    resp_free(&r);
}

static void its_network_marks_devices_fixed(void **state)
{
    struct fx *f = *state;
    char token[65], path[128];
    struct resp r;
    json_t *o;
    int64_t id = make_case(f, token);

    snprintf(path, sizeof(path), "/api/v1/cases/%lld/ack", (long long)id);
    req(f, "POST", path, f->other_isp, NULL, 403, &r);
    resp_free(&r);
    req(f, "POST", path, f->isp, NULL, 200, &r);
    resp_free(&r);
    snprintf(path, sizeof(path), "/api/v1/cases/%lld/fixed", (long long)id);
    req(f, "POST", path, f->isp, "{\"ips\":[\"81.2.69.1\"]}", 404, &r); /* not in the case */
    resp_free(&r);
    req(f, "POST", path, f->isp, "{\"ips\":[\"81.2.69.999\"]}", 400, &r);
    resp_free(&r);
    req(f, "POST", path, f->isp, "{\"ips\":\"81.2.69.142\"}", 400, &r);
    resp_free(&r);
    req(f, "POST", path, f->isp, "{\"ips\":[\"81.2.69.142\"]}", 200, &r);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(o, "fixed")), 1);
    assert_true(json_is_false(json_object_get(o, "closed")));
    assert_int_equal(json_integer_value(json_object_get(o, "active")), 1);
    json_decref(o);
    resp_free(&r);
    req(f, "POST", path, f->admin, "", 200, &r); /* no list: every device left */
    o = body_json(&r);
    assert_true(json_is_true(json_object_get(o, "closed")));
    assert_string_equal(json_string_value(json_object_get(o, "state")), "closed");
    json_decref(o);
    resp_free(&r);
    get(f, "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "botwatch_cases{state=\"closed\"} 1\n"));
    assert_non_null(strstr(r.body, "botwatch_notify_messages{state=\"failed\"} 0\n"));
    resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_case_is_acknowledged_through_its_link, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(its_network_marks_devices_fixed, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
