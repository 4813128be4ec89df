/*
 * tests/unit/http/test_http.c - the server itself: it listens on an ephemeral port, answers
 * /healthz and /metrics, refuses what is too big, routes unknown paths to a JSON 404, and
 * the key file keeps hashes only.
 */
#include "test.h"
#include "http_test_util.h"

#include <sys/stat.h>

static void healthz_answers_json(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;

    get(f, "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: application/json"));
    o = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
    json_decref(o);
    resp_free(&r);
}

static void unknown_path_is_a_json_404(void **state)
{
    struct fx *f = *state;
    struct resp r;
    json_t *o;

    get(f, "/nope", NULL, &r);
    assert_int_equal(r.status, 404);
    o = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "error"), "status")),
                     404);
    json_decref(o);
    resp_free(&r);
    http(f, "DELETE", "/api/v1/reports", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 405);
    resp_free(&r);
}

static void metrics_are_prometheus_text(void **state)
{
    struct fx *f = *state;
    struct resp r;

    get(f, "/healthz", NULL, &r);
    resp_free(&r);
    get(f, "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "# TYPE botwatch_http_requests_total counter"));
    /* the /healthz answered before is counted */
    assert_non_null(strstr(r.body, "botwatch_http_requests_total{code=\"2xx\"} 1\n"));
    assert_non_null(strstr(r.body, "botwatch_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "botwatch_snapshot_age_seconds"));
    resp_free(&r);
}

static void body_over_the_cap_is_413(void **state)
{
    struct fx *f = fx_start(4096, 0);
    char *big = malloc(8193);
    struct resp r;
    char req[512];
    int n;

    (void)state;
    memset(big, 'a', 8192);
    big[8192] = '\0';
    /* announced by Content-Length: refused before the body is read */
    post(f, "/api/v1/reports", "X-Api-Key", f->reporter1, big, &r);
    assert_int_equal(r.status, 413);
    resp_free(&r);
    /* chunked, no length: refused once the body passes the cap */
    n = snprintf(req, sizeof(req), "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nConnection: "
                                   "close\r\nX-Api-Key: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                 f->reporter1);
    {
        size_t cap = (size_t)n + 3 * (8192 + 16) + 8, len = (size_t)n;
        char *all = malloc(cap);

        memcpy(all, req, len);
        for (int i = 0; i < 3; i++) {
            len += (size_t)snprintf(all + len, cap - len, "2000\r\n");
            memcpy(all + len, big, 8192);
            len += 8192;
            memcpy(all + len, "\r\n", 2);
            len += 2;
        }
        memcpy(all + len, "0\r\n\r\n", 5);
        len += 5;
        raw_exchange(f->port, all, len, &r);
        free(all);
    }
    assert_int_equal(r.status, 413);
    resp_free(&r);
    /* and the server goes on */
    get(f, "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(big);
    fx_stop(f);
}

/* Headers have a limit too: past it the server answers 431 and the next request still works. */
static void oversized_headers_are_431(void **state)
{
    struct fx *f = *state;
    size_t big = 20000;
    char *extra = malloc(big + 64);
    struct resp r;

    memcpy(extra, "X-Padding: ", 11);
    memset(extra + 11, 'a', big);
    memcpy(extra + 11 + big, "\r\n", 3);
    http(f, "GET", "/healthz", extra, NULL, 0, &r);
    assert_int_equal(r.status, 431);
    resp_free(&r);
    memcpy(extra + 11 + 4000, "\r\n", 3); /* 4 KB of headers is fine */
    http(f, "GET", "/healthz", extra, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(extra);
}

/* A client that stops halfway through its request is disconnected after the idle timeout,
 * and the server goes on answering others. */
static void slow_clients_time_out(void **state)
{
    struct fx *f = *state;
    struct bw_http_config c = { .listen = "127.0.0.1:0", .threads = 2, .timeout_s = 1 };
    struct sockaddr_in sa = { .sin_family = AF_INET };
    struct bw_diag d = { "" };
    struct pollfd p;
    const char half[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    char buf[256];
    struct resp r;
    int fd;

    bw_http_stop(f->h);
    bw_policy_default(&c.policy);
    c.db_path = f->db;
    assert_int_equal(bw_http_start(&f->h, &c, &d), BW_OK);
    f->port = bw_http_port(f->h);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = htons(f->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(send(fd, half, sizeof(half) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(half) - 1));
    p = (struct pollfd){ .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 10000), 1); /* a bound far above the 1 s timeout */
    assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0); /* closed, nothing answered */
    close(fd);
    get(f, "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void bad_listen_address_is_refused(void **state)
{
    struct bw_http_config c = { .listen = "127.0.0.1", .db_path = "/tmp/never.db" };
    struct bw_http *h = NULL;
    struct bw_diag d = { "" };

    (void)state;
    assert_int_equal(bw_http_start(&h, &c, &d), BW_EMALFORMED);
    assert_null(h);
    c.listen = "999.0.0.1:80";
    assert_int_equal(bw_http_start(&h, &c, &d), BW_EMALFORMED);
    c.listen = "127.0.0.1:70000";
    assert_int_equal(bw_http_start(&h, &c, &d), BW_EMALFORMED);
}

static void keys_file_holds_hashes_only(void **state)
{
    struct fx *f = *state;
    struct bw_keys *ks = NULL;
    struct bw_diag d = { "" };
    struct stat sb;
    FILE *fp = fopen(f->keys, "r");
    char text[65536];
    size_t n;
    struct bw_key dup = { .role = BW_KEY_REPORTER };

    assert_non_null(fp);
    n = fread(text, 1, sizeof(text) - 1, fp);
    fclose(fp);
    text[n] = '\0';
    assert_null(strstr(text, f->reporter1));
    assert_null(strstr(text, f->admin + 3));
    assert_non_null(strstr(text, "\"rep1\""));
    assert_int_equal(stat(f->keys, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(bw_keys_load(&ks, f->keys, &d), BW_OK);
    assert_int_equal(bw_keys_count(ks), 6);
    assert_non_null(bw_keys_match(ks, f->reporter1, strlen(f->reporter1)));
    assert_string_equal(bw_keys_match(ks, f->admin, strlen(f->admin))->name, "root");
    assert_int_equal(bw_keys_match(ks, f->admin, strlen(f->admin))->role, BW_KEY_ADMIN);
    f->admin[10] = f->admin[10] == 'a' ? 'b' : 'a'; /* one digit off: no match */
    assert_null(bw_keys_match(ks, f->admin, strlen(f->admin)));
    assert_null(bw_keys_match(ks, "bw_", 3));
    bw_keys_free(ks);
    snprintf(dup.name, sizeof(dup.name), "rep1");
    assert_int_equal(bw_keys_add(f->keys, &dup, text, &d), BW_ECONFLICT);
    snprintf(dup.name, sizeof(dup.name), "has space");
    assert_int_equal(bw_keys_add(f->keys, &dup, text, &d), BW_EINVAL);
}

static void revoked_key_stops_working(void **state)
{
    struct fx *f = *state;
    struct bw_diag d = { "" };
    struct resp r;

    report3(f, f->reporter2, "81.2.69.142", &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
    assert_int_equal(bw_keys_remove(f->keys, "rep2", &d), BW_OK);
    assert_int_equal(bw_keys_remove(f->keys, "rep2", &d), BW_ENOTFOUND);
    /* the server rereads the file when it changes (looking once a second): no restart */
    for (int i = 0;; i++) {
        struct timespec nap = { 0, 50 * 1000 * 1000 };
        char extra[128];
        int status;

        snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->reporter2);
        get(f, "/api/v1/devices/81.2.69.142", extra, &r);
        status = r.status;
        resp_free(&r);
        if (status == 401)
            break;
        assert_int_equal(status, 200);
        assert_true(i < 100); /* a bound: five seconds */
        nanosleep(&nap, NULL);
    }
    report3(f, f->reporter2, "81.2.69.142", &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    report3(f, f->reporter1, "81.2.69.142", &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
}

static void rate_limit_answers_429(void **state)
{
    struct fx *f = fx_start(0, 0.5); /* a burst of one, then one every two seconds */
    char extra[128];
    struct resp r;

    (void)state;
    get(f, "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(f, "/healthz", NULL, &r);
    assert_int_equal(r.status, 429);
    assert_true(has_header(&r, "Retry-After: "));
    resp_free(&r);
    /* a key has its own bucket */
    snprintf(extra, sizeof(extra), "X-Api-Key: %s\r\n", f->admin);
    get(f, "/api/v1/devices/81.2.69.142", extra, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(f, "/api/v1/devices/81.2.69.142", extra, &r);
    assert_int_equal(r.status, 429);
    resp_free(&r);
    fx_stop(f);
}

static void role_names_round_trip(void **state)
{
    enum bw_key_role role;

    (void)state;
    for (int i = 0; i < BW_KEY_ROLE_COUNT; i++) {
        assert_int_equal(bw_key_role_parse(&role, bw_key_role_name((enum bw_key_role)i)), BW_OK);
        assert_int_equal(role, i);
    }
    assert_int_equal(bw_key_role_parse(&role, "root"), BW_EMALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(healthz_answers_json, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(unknown_path_is_a_json_404, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(metrics_are_prometheus_text, fx_setup, fx_teardown),
        cmocka_unit_test(body_over_the_cap_is_413),
        cmocka_unit_test_setup_teardown(oversized_headers_are_431, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(slow_clients_time_out, fx_setup, fx_teardown),
        cmocka_unit_test(bad_listen_address_is_refused),
        cmocka_unit_test_setup_teardown(keys_file_holds_hashes_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(revoked_key_stops_working, fx_setup, fx_teardown),
        cmocka_unit_test(rate_limit_answers_429),
        cmocka_unit_test(role_names_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
