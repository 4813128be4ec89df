/*
 * tests/unit/notify/test_deliver.c - delivery against real servers on 127.0.0.1: Postfix's
 * smtp-sink (each message dumped to a file that is read back and parsed) and a Python
 * http.server receiver that records webhook requests and checks their signatures with its
 * own HMAC. Also the failures: no listener, a relay that refuses, a webhook that answers 500
 * or 404 or never answers (the timeout), and bad input refused before any connection.
 * Ports come from the kernel (bind to port 0); readiness is polled with bounded connect
 * attempts, never a fixed sleep.
 */
#include "test.h"

#include "notice_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#define SMTP_SINK "/usr/sbin/smtp-sink"
#define SECRET "s3cret-webhook-key"
#define POLL_TRIES 500 /* x 20 ms: 10 s at most for a server to come up or a file to appear */

struct srv {
    char dir[64];
    pid_t pid;
    uint16_t port;
};

static uint16_t free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void pause_a_little(void)
{
    poll(NULL, 0, 20);
}

static bool can_connect(uint16_t port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

    close(fd);
    return ok;
}

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        setpgid(0, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void srv_stop(struct srv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    fx_rmdir(s->dir);
}

/* smtp-sink on a free port; extra is "-f" (hard-reject) or "-r" (soft-reject) RCPT, or NULL. */
static bool sink_start(struct srv *s, const char *extra)
{
    char tmpl[128], addr[32], log[128];

    if (access(SMTP_SINK, X_OK) != 0)
        return false;
    fx_tmpdir(s->dir, sizeof(s->dir));
    s->port = free_port();
    snprintf(tmpl, sizeof(tmpl), "%s/m.", s->dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", s->port);
    snprintf(log, sizeof(log), "%s/sink.log", s->dir);
    char *argv[12];
    int a = 0;
    argv[a++] = SMTP_SINK;
    if (getuid() == 0) { /* smtp-sink insists on dropping root */
        argv[a++] = "-u";
        argv[a++] = "root";
    }
    argv[a++] = "-d";
    argv[a++] = tmpl;
    if (extra != NULL) {
        argv[a++] = (char *)extra;
        argv[a++] = "RCPT";
    }
    argv[a++] = addr;
    argv[a++] = "10";
    argv[a] = NULL;
    s->pid = spawn(argv, log);
    for (int i = 0; i < POLL_TRIES && !can_connect(s->port); i++)
        pause_a_little();
    if (!can_connect(s->port))
        fail_msg("smtp-sink did not come up on %s", addr);
    return true;
}

/* The one message smtp-sink dumped, once it is complete (it ends with an empty line). */
static char *sink_message(const struct srv *s, char *path, size_t cap)
{
    for (int i = 0; i < POLL_TRIES; i++) {
        DIR *d = opendir(s->dir);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, "m.", 2) != 0)
                continue;
            if ((size_t)snprintf(path, cap, "%s/%s", s->dir, e->d_name) >= cap)
                continue;
            size_t len;
            char *m = fx_read(path, &len);
            if (m != NULL && len > 2 && strstr(m, "--\n\n") != NULL) {
                closedir(d);
                return m;
            }
            free(m);
        }
        if (d != NULL)
            closedir(d);
        pause_a_little();
    }
    fail_msg("no complete message from smtp-sink in %s", s->dir);
    return NULL;
}

static struct bw_smtp relay(uint16_t port)
{
    struct bw_smtp r = { .port = port, .timeout_ms = 10000 };

    snprintf(r.host, sizeof(r.host), "127.0.0.1");
    return r;
}

static void mail_reaches_smtp_sink(void **state)
{
    struct srv s;
    struct fx f;
    struct bw_buf msg, csv;
    struct bw_diag d = { "" };
    char path[512];

    (void)state;
    if (!sink_start(&s, NULL)) {
        print_message("SKIPPED: %s not installed (Debian package postfix)\n", SMTP_SINK);
        skip();
    }
    fx_init(&f);
    bw_buf_init(&msg, 0);
    assert_int_equal(bw_notice_mime(&f.n, &msg), BW_OK);
    struct bw_smtp r = relay(s.port);
    int rc = bw_smtp_send(&r, f.n.from, f.n.to, msg.data, msg.len, &d);
    if (rc != BW_OK)
        fail_msg("send failed: %s", d.msg);
    char *got = sink_message(&s, path, sizeof(path));
    /* The envelope smtp-sink saw. */
    assert_non_null(strstr(got, "X-Mail-Args: <botwatch@registry.example>\n"));
    assert_non_null(strstr(got, "X-Rcpt-Args: <abuse@aaisp.example>\n"));
    assert_non_null(strstr(got, "X-Helo-Args: registry.example\n"));
    /* The message as a recipient reads it: headers and the CSV, decoded from base64. */
    json_t *m = fx_parse_mime(path);
    assert_non_null(m);
    assert_string_equal(fx_header(m, "Subject"),
                        "[botwatch] case 17: 3 compromised devices in AS20712 (aaisp)");
    assert_string_equal(fx_header(m, "Message-ID"), "<case-17-aaisp-0-1780000000@registry.example>");
    assert_string_equal(fx_part_attr(m, 1, "filename"), "botwatch-case-17.csv");
    bw_buf_init(&csv, 0);
    assert_int_equal(bw_notice_csv(&f.n, &csv), BW_OK);
    size_t len;
    char *att = fx_part(m, 1, &len);
    assert_true(fx_same_text(att, len, csv.data, csv.len));
    free(att);
    json_decref(m);
    free(got);
    bw_buf_cleanup(&csv);
    bw_buf_cleanup(&msg);
    srv_stop(&s);
}

static void refusing_relays_are_named(void **state)
{
    struct srv s;
    struct bw_diag d = { "" };
    const char *msg = "Subject: x\r\n\r\nx\r\n";

    (void)state;
    if (!sink_start(&s, "-f")) { /* hard 5xx on RCPT */
        print_message("SKIPPED: %s not installed (Debian package postfix)\n", SMTP_SINK);
        skip();
    }
    struct bw_smtp r = relay(s.port);
    assert_int_equal(bw_smtp_send(&r, "a@registry.example", "b@isp.example", msg, strlen(msg), &d),
                     BW_EIO);
    assert_non_null(strstr(d.msg, "127.0.0.1"));
    assert_non_null(strstr(d.msg, "answered 5"));
    srv_stop(&s);

    assert_true(sink_start(&s, "-r")); /* soft 4xx on RCPT: worth a retry */
    r = relay(s.port);
    assert_int_equal(bw_smtp_send(&r, "a@registry.example", "b@isp.example", msg, strlen(msg), &d),
                     BW_EAGAIN);
    assert_non_null(strstr(d.msg, "answered 4"));
    srv_stop(&s);
}

static void unreachable_relay_is_retryable(void **state)
{
    struct bw_diag d = { "" };
    struct bw_smtp r = relay(free_port()); /* nothing listens there */
    char want[64];

    (void)state;
    assert_int_equal(bw_smtp_send(&r, "a@registry.example", "b@isp.example", "x\r\n", 3, &d),
                     BW_EAGAIN);
    snprintf(want, sizeof(want), "smtp relay 127.0.0.1:%u: cannot reach it", r.port);
    assert_non_null(strstr(d.msg, want));
}

static void bad_smtp_input_is_refused(void **state)
{
    struct bw_diag d = { "" };
    struct bw_smtp r = relay(free_port());

    (void)state;
    assert_int_equal(bw_smtp_send(&r, "a@registry.example", "b@x.example>\r\nRCPT TO:<c@y.example",
                                  "x", 1, &d), BW_EINVAL);
    assert_non_null(strstr(d.msg, "recipient"));
    assert_int_equal(bw_smtp_send(&r, "nobody", "b@x.example", "x", 1, &d), BW_EINVAL);
    assert_non_null(strstr(d.msg, "sender"));
    snprintf(r.host, sizeof(r.host), "relay.example/evil");
    assert_int_equal(bw_smtp_send(&r, "a@registry.example", "b@x.example", "x", 1, &d),
                     BW_EINVAL);
}

/* ---- webhooks ---- */

static void receiver_start(struct srv *s)
{
    char script[512], portfile[128], log[128];

    fx_tmpdir(s->dir, sizeof(s->dir));
    fx_helper(script, sizeof(script), "webhook_receiver.py");
    snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
    snprintf(log, sizeof(log), "%s/receiver.log", s->dir);
    char *argv[] = { "python3", script, s->dir, SECRET, NULL };
    s->pid = spawn(argv, log);
    char *port = NULL;
    for (int i = 0; i < POLL_TRIES && (port = fx_read(portfile, NULL)) == NULL; i++)
        pause_a_little();
    if (port == NULL)
        fail_msg("the webhook receiver did not start (see %s)", log);
    s->port = (uint16_t)strtoul(port, NULL, 10);
    free(port);
    for (int i = 0; i < POLL_TRIES && !can_connect(s->port); i++)
        pause_a_little();
}

static json_t *receiver_request(const struct srv *s, int n)
{
    char path[128];
    json_error_t err;

    snprintf(path, sizeof(path), "%s/req-%d.json", s->dir, n);
    return json_load_file(path, 0, &err);
}

static void webhook_arrives_signed(void **state)
{
    struct srv s;
    struct fx f;
    struct bw_buf body;
    struct bw_diag d = { "" };
    char url[128], sig[65];

    (void)state;
    receiver_start(&s);
    fx_init(&f);
    bw_buf_init(&body, 0);
    assert_int_equal(bw_notice_json(&f.n, &body), BW_OK);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok/hook", s.port);
    int rc = bw_webhook_post(url, SECRET, f.n.idem_key, NOW, body.data, body.len, 5000, &d);
    if (rc != BW_OK)
        fail_msg("post failed: %s", d.msg);
    json_t *req = receiver_request(&s, 0); /* written before the receiver answered */
    assert_non_null(req);
    json_t *h = json_object_get(req, "headers");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(req, "path")), "/ok/hook");
    assert_string_equal(json_string_value(json_object_get(h, "content-type")), "application/json");
    assert_string_equal(json_string_value(json_object_get(h, "x-botwatch-timestamp")),
                        "1780000000");
    assert_string_equal(json_string_value(json_object_get(h, "idempotency-key")), f.n.idem_key);
    assert_string_equal(json_string_value(json_object_get(req, "body")), body.data);
    /* Python's hmac agrees with the signature, and so does ours. */
    assert_true(json_is_true(json_object_get(req, "sig_ok")));
    bw_webhook_sign(SECRET, NOW, body.data, body.len, sig);
    char want[80];
    snprintf(want, sizeof(want), "sha256=%s", sig);
    assert_string_equal(json_string_value(json_object_get(h, "x-botwatch-signature")), want);
    json_decref(req);

    /* A different secret, timestamp or body gives a different signature. */
    char other[65];
    bw_webhook_sign("other", NOW, body.data, body.len, other);
    assert_string_not_equal(sig, other);
    bw_webhook_sign(SECRET, NOW + 1, body.data, body.len, other);
    assert_string_not_equal(sig, other);
    bw_webhook_sign(SECRET, NOW, body.data, body.len - 1, other);
    assert_string_not_equal(sig, other);
    bw_buf_cleanup(&body);
    srv_stop(&s);
}

static void webhook_failures_are_named(void **state)
{
    struct srv s;
    struct bw_diag d = { "" };
    char url[160];

    (void)state;
    receiver_start(&s);
    snprintf(url, sizeof(url), "http://user:pw@127.0.0.1:%u/fail?token=TOPSECRET", s.port);
    assert_int_equal(bw_webhook_post(url, SECRET, "k1", NOW, "{}", 2, 5000, &d), BW_EAGAIN);
    char want[96];
    snprintf(want, sizeof(want), "webhook http://127.0.0.1:%u/fail: answered HTTP 500", s.port);
    assert_string_equal(d.msg, want);
    assert_null(strstr(d.msg, "TOPSECRET")); /* tokens in the URL stay out of logs */

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/missing", s.port);
    assert_int_equal(bw_webhook_post(url, SECRET, "k2", NOW, "{}", 2, 5000, &d), BW_EIO);
    assert_non_null(strstr(d.msg, "HTTP 404"));

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/redirect", s.port);
    assert_int_equal(bw_webhook_post(url, SECRET, "k3", NOW, "{}", 2, 5000, &d), BW_EIO);
    assert_non_null(strstr(d.msg, "HTTP 302"));
    assert_null(receiver_request(&s, 0)); /* the redirect was not followed */

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", s.port);
    assert_int_equal(bw_webhook_post(url, SECRET, "k4", NOW, "{}", 2, 300, &d), BW_EAGAIN);
    snprintf(want, sizeof(want), "webhook http://127.0.0.1:%u/hang: timed out after 300 ms",
             s.port);
    assert_string_equal(d.msg, want);
    srv_stop(&s);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", free_port());
    assert_int_equal(bw_webhook_post(url, SECRET, "k5", NOW, "{}", 2, 5000, &d), BW_EAGAIN);
    assert_non_null(strstr(d.msg, "cannot reach it"));
}

static void bad_webhook_input_is_refused(void **state)
{
    struct bw_diag d = { "" };

    (void)state;
    assert_int_equal(bw_webhook_post("ftp://127.0.0.1/x", SECRET, "k", NOW, "{}", 2, 100, &d),
                     BW_EINVAL);
    assert_non_null(strstr(d.msg, "not an http(s) URL"));
    assert_int_equal(bw_webhook_post("not a url", SECRET, "k", NOW, "{}", 2, 100, &d), BW_EINVAL);
    assert_int_equal(bw_webhook_post("http://127.0.0.1:1/x", SECRET, "k\r\nX-Evil: 1", NOW, "{}",
                                     2, 100, &d), BW_EINVAL);
    assert_non_null(strstr(d.msg, "idempotency key"));
}

/* HMAC-SHA256 as RFC 4231 test case 2 defines it, through the "<ts>.<body>" framing: the
 * timestamp "0" and "." are the first two bytes of the signed text. */
static void signature_is_hmac_sha256(void **state)
{
    char sig[65];
    unsigned char mac[32];
    const char *body = "what do ya want for nothing?";
    char framed[64];

    (void)state;
    snprintf(framed, sizeof(framed), "0.%s", body);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)"Jefe", 4);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)framed, strlen(framed));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    bw_webhook_sign("Jefe", 0, body, strlen(body), sig);
    assert_string_equal(sig, hex);
    /* The primitive itself, on the RFC's vector. */
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)"Jefe", 4);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mail_reaches_smtp_sink),
        cmocka_unit_test(refusing_relays_are_named),
        cmocka_unit_test(unreachable_relay_is_retryable),
        cmocka_unit_test(bad_smtp_input_is_refused),
        cmocka_unit_test(webhook_arrives_signed),
        cmocka_unit_test(webhook_failures_are_named),
        cmocka_unit_test(bad_webhook_input_is_refused),
        cmocka_unit_test(signature_is_hmac_sha256),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
