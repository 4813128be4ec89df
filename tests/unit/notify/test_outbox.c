/*
 * tests/unit/notify/test_outbox.c - delivery through the outbox against a real SMTP server on
 * loopback (Postfix's smtp-sink): delivered once and marked, the case opened with its real
 * deadline; an unreachable relay retried with exponential backoff and given up after the
 * attempts; a relay that is not configured (no attempt counted); a message claimed by another
 * sender left alone until its lease ends; and the crash window: a sender killed right after the
 * relay accepted a message sends it again after the lease with the same Message-ID, while one
 * killed after marking it sends nothing twice.
 */
#include "test.h"

#include "cycle_fixture.h"

static void delivered_once_marked_sent_and_the_case_opens(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    struct bw_case c;

    cfx_sink_start(f);
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    r = cfx_run(f, NOW + 60);
    assert_int_equal(r->sent, 1);
    assert_int_equal(r->pending, 0);
    assert_int_equal(cfx_sink_wait(f, "X-Rcpt-Args: <abuse@aaisp.example>", 1), 1);
    c = cfx_case(f, cfx_case_of(f, "aaisp"));
    assert_int_equal(c.state, BW_CASE_OPEN);
    assert_int_equal(c.sent_s, NOW + 60);
    assert_int_equal(c.due_s, NOW + 60 + 72 * HOUR); /* from the delivery */
    assert_string_equal(c.reason, "");
    m = cfx_outbox(f, c.id);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.m[0].state, BW_OUTBOX_SENT);
    assert_int_equal(m.m[0].attempts, 1);
    assert_int_equal(m.m[0].sent_s, NOW + 60);
    /* nothing new: nothing sent */
    r = cfx_run(f, NOW + 2 * HOUR);
    assert_int_equal(r->sent + r->queued, 0);
    assert_int_equal(cfx_sink_count(f, NULL), 1);
}

static void an_unreachable_relay_is_retried_with_backoff_then_delivers(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    struct bw_case c;
    char relay[32];

    snprintf(relay, sizeof(relay), "127.0.0.1:%u", cfx_free_port()); /* nobody listens */
    assert_int_equal(bw_notify_set_relay(&f->cf, relay), BW_OK);
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "89.160.20.112", "transit", 1299, NOW - 600);
    r = cfx_run(f, NOW);
    assert_int_equal(r->sent, 0);
    assert_int_equal(r->retrying, 2); /* and the run went on to the other contact */
    assert_int_equal(r->pending, 2);
    c = cfx_case(f, cfx_case_of(f, "aaisp"));
    assert_int_equal(c.state, BW_CASE_PENDING);
    assert_non_null(strstr(c.reason, "email to abuse@aaisp.example: "));
    m = cfx_outbox(f, c.id);
    assert_int_equal(m.m[0].attempts, 1);
    assert_int_equal(m.m[0].next_s, NOW + 300);
    assert_string_not_equal(m.m[0].error, "");
    /* before the backoff: no attempt */
    r = cfx_run(f, NOW + 200);
    assert_int_equal(r->retrying + r->sent, 0);
    assert_int_equal(cfx_outbox(f, c.id).m[0].attempts, 1);
    /* the second failure doubles the delay */
    r = cfx_run(f, NOW + 300);
    assert_int_equal(r->retrying, 2);
    m = cfx_outbox(f, c.id);
    assert_int_equal(m.m[0].attempts, 2);
    assert_int_equal(m.m[0].next_s, NOW + 300 + 600);
    /* the relay is back */
    cfx_sink_start(f);
    r = cfx_run(f, NOW + 900);
    assert_int_equal(r->sent, 2);
    assert_int_equal(r->pending, 0);
    assert_int_equal(cfx_sink_wait(f, NULL, 2), 2);
    c = cfx_case(f, c.id);
    assert_int_equal(c.state, BW_CASE_OPEN);
    assert_string_equal(c.reason, "");
    assert_int_equal(c.due_s, NOW + 900 + 72 * HOUR);
    assert_int_equal(cfx_outbox(f, c.id).m[0].attempts, 3);
}

static void given_up_after_the_attempts(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    char relay[32];
    int64_t t = NOW;

    snprintf(relay, sizeof(relay), "127.0.0.1:%u", cfx_free_port());
    assert_int_equal(bw_notify_set_relay(&f->cf, relay), BW_OK);
    f->cf.max_attempts = 3;
    f->cf.retry_max_s = 500; /* 300, then capped at 500 */
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, t);
    t += 300;
    cfx_run(f, t);
    m = cfx_outbox(f, 0);
    assert_int_equal(m.m[0].next_s, t + 500);
    t += 500;
    r = cfx_run(f, t);
    assert_int_equal(r->failed, 1);
    assert_int_equal(r->pending, 0);
    m = cfx_outbox(f, 0);
    assert_int_equal(m.m[0].state, BW_OUTBOX_FAILED);
    assert_int_equal(m.m[0].attempts, 3);
    assert_non_null(strstr(cfx_case(f, m.m[0].case_id).reason, "(given up)"));
    r = cfx_run(f, t + DAY);
    assert_int_equal(r->failed + r->retrying + r->sent, 0);
}

static void no_relay_configured_is_not_an_attempt(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "2.125.160.216", "hooked", 3320, NOW - 600);
    r = cfx_run(f, NOW);
    assert_int_equal(r->retrying, 2);
    m = cfx_outbox(f, 0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.m[0].attempts, 0);
    assert_int_equal(m.m[1].attempts, 0);
    assert_string_equal(m.m[1].route, "webhook");
    assert_string_equal(cfx_case(f, m.m[0].case_id).reason,
                        "no SMTP relay configured ([notify] smtp_host or --smtp)");
    assert_string_equal(cfx_case(f, m.m[1].case_id).reason,
                        "no webhook secret configured ([notify] webhook_secret)");
    /* configured later: delivered */
    cfx_sink_start(f);
    r = cfx_run(f, NOW + 60);
    assert_int_equal(r->sent, 1);
    assert_int_equal(cfx_sink_wait(f, "abuse@aaisp.example", 1), 1);
}

static void a_claimed_message_waits_out_the_lease(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    bool claimed = false;

    cfx_sink_start(f);
    f->o.no_send = true;
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    f->o.no_send = false;
    m = cfx_outbox(f, 0);
    /* another sender has it */
    assert_int_equal(bw_store_outbox_claim(f->st, m.m[0].id, NOW, f->cf.lease_s, &claimed),
                     BW_OK);
    assert_true(claimed);
    r = cfx_run(f, NOW + 1);
    assert_int_equal(r->sent, 0);
    assert_int_equal(cfx_sink_count(f, NULL), 0);
    r = cfx_run(f, NOW + f->cf.lease_s);
    assert_int_equal(r->sent, 1);
    assert_int_equal(cfx_sink_wait(f, NULL, 1), 1);
}

/* Runs a cycle in a child process with BOTWATCH_FAULT set; returns how it ended. */
static int run_child(struct cfx *f, const char *fault, int64_t now)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct bw_store *st;
        struct bw_notify_result res;
        struct bw_diag d = { "" };

        setenv("BOTWATCH_FAULT", fault, 1);
        if (bw_store_open(&st, f->path, &d) != BW_OK)
            _exit(3);
        if (bw_notify_run(st, &f->cf, &f->src, &f->o, now, NULL, NULL, &res, &d) != BW_OK)
            _exit(4);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void a_crash_after_the_relay_accepted_resends_the_same_message(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    int status;

    cfx_sink_start(f);
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    status = run_child(f, "kill-after-send:1", NOW);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(cfx_sink_wait(f, NULL, 1), 1);
    /* the case and its message were committed before the send; the mark was not */
    m = cfx_outbox(f, 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.m[0].state, BW_OUTBOX_PENDING);
    assert_int_equal(m.m[0].attempts, 1);
    /* within the lease, a new run leaves it alone */
    r = cfx_run(f, NOW + 10);
    assert_int_equal(r->sent, 0);
    /* after it, the message goes again: the same Message-ID, so the duplicate shows */
    r = cfx_run(f, NOW + f->cf.lease_s);
    assert_int_equal(r->sent, 1);
    assert_int_equal(cfx_sink_wait(f, NULL, 2), 2);
    assert_int_equal(cfx_sink_count(f, "Message-ID: <bw-case-1-1-email@registry.example>"), 2);
    assert_int_equal(cfx_outbox(f, 0).m[0].state, BW_OUTBOX_SENT);
}

static void a_crash_after_the_mark_sends_nothing_twice(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    int status;

    cfx_sink_start(f);
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "89.160.20.112", "transit", 1299, NOW - 600);
    cfx_report(f, "81.2.69.160", "cert-gb", 0, NOW - 600);
    status = run_child(f, "kill-after-mark:1", NOW);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(cfx_sink_wait(f, NULL, 1), 1);
    /* all three cases were queued before the first send; one was sent and marked */
    assert_int_equal(cfx_outbox(f, 0).n, 3);
    r = cfx_run(f, NOW + 60);
    assert_int_equal(r->sent, 2);
    assert_int_equal(r->queued, 0);
    assert_int_equal(cfx_sink_wait(f, NULL, 3), 3);
    r = cfx_run(f, NOW + DAY);
    assert_int_equal(r->sent, 0);
    assert_int_equal(cfx_sink_count(f, NULL), 3);
    assert_int_equal(cfx_sink_count(f, "abuse@aaisp.example"), 1);
    assert_int_equal(cfx_sink_count(f, "noc@transit.example"), 1);
    assert_int_equal(cfx_sink_count(f, "cert@cert-gb.example"), 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, cfx_setup, cfx_teardown)
    const struct CMUnitTest tests[] = {
        T(delivered_once_marked_sent_and_the_case_opens),
        T(an_unreachable_relay_is_retried_with_backoff_then_delivers),
        T(given_up_after_the_attempts),
        T(no_relay_configured_is_not_an_attempt),
        T(a_claimed_message_waits_out_the_lease),
        T(a_crash_after_the_relay_accepted_resends_the_same_message),
        T(a_crash_after_the_mark_sends_nothing_twice),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
