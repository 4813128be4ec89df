/*
 * tests/unit/notify/test_escalate.c - escalation up the chain, with real deliveries to
 * Postfix's smtp-sink on loopback: a case not acknowledged by its deadline goes to the
 * upstream, then the CERT, each level with the deadline of its role and the history attached;
 * at the top it is overdue and nothing more is sent; an acknowledged case never escalates; a
 * contact without a route still escalates after its provisional deadline; a contact that
 * disappeared ends the chain.
 */
#include "test.h"

#include "cycle_fixture.h"

static int setup(void **state)
{
    int rc = cfx_setup(state);

    if (rc == 0) {
        struct cfx *f = *state;

        f->cf.due_s[BW_ROLE_UPSTREAM] = 48 * HOUR;
        f->cf.due_s[BW_ROLE_CERT] = 24 * HOUR;
    }
    return rc;
}

static void up_the_chain_each_level_its_deadline_then_overdue(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;
    struct cfx_events ev;
    struct cfx_msgs m;
    char *body;
    int64_t id, t;

    cfx_sink_start(f);
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    r = cfx_run(f, NOW);
    assert_int_equal(r->sent, 1);
    id = cfx_case_of(f, "aaisp");
    assert_int_equal(cfx_case(f, id).due_s, NOW + 72 * HOUR);
    /* just before the deadline: nothing */
    r = cfx_run(f, NOW + 72 * HOUR - 1);
    assert_int_equal(r->escalations, 0);
    /* after: the upstream hears of it */
    t = NOW + 73 * HOUR;
    r = cfx_run(f, t);
    assert_int_equal(r->escalations, 1);
    assert_int_equal(r->sent, 1);
    assert_int_equal(cfx_sink_wait(f, "X-Rcpt-Args: <noc@transit.example>", 1), 1);
    c = cfx_case(f, id);
    assert_int_equal(c.state, BW_CASE_ESCALATED);
    assert_int_equal(c.level, 1);
    assert_string_equal(c.level_contact, "transit");
    assert_int_equal(c.due_s, t + 48 * HOUR); /* the upstream's own deadline */
    assert_int_equal(c.n_escalations, 1);
    m = cfx_outbox(f, id);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.m[1].level, 1);
    assert_string_equal(m.m[1].dest, "noc@transit.example");
    body = cfx_payload(f, m.m[1].id);
    assert_non_null(strstr(body, "81.2.69.142"));
    assert_non_null(strstr(body, "X-Botwatch-Level: 1"));
    free(body);
    ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, "open>escalated botwatch: not acknowledged by "
                                   "2026-06-04T12:00:00Z; escalated from \"aaisp\" to "
                                   "\"transit\""));

    /* the upstream does not answer either: the CERT */
    t += 49 * HOUR;
    r = cfx_run(f, t);
    assert_int_equal(r->escalations, 1);
    assert_int_equal(cfx_sink_wait(f, "X-Rcpt-Args: <cert@cert-gb.example>", 1), 1);
    c = cfx_case(f, id);
    assert_int_equal(c.level, 2);
    assert_string_equal(c.level_contact, "cert-gb");
    assert_int_equal(c.due_s, t + 24 * HOUR);

    /* the top: overdue, and nothing more is sent, however long it waits */
    t += 25 * HOUR;
    r = cfx_run(f, t);
    assert_int_equal(r->escalations, 0);
    assert_int_equal(r->overdue, 1);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_OVERDUE);
    ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, "escalated>overdue botwatch"));
    assert_true(cfx_has_event(&ev, "\"cert-gb\" is the top of its chain"));
    r = cfx_run(f, t + 12 * HOUR);
    assert_int_equal(r->escalations + r->overdue + r->sent, 0);
    assert_int_equal(cfx_sink_count(f, NULL), 3);
    /* an overdue case is still acknowledged when someone finally does */
    struct bw_diag d = { "" };
    assert_int_equal(bw_notify_case_ack(f->st, id, "operator", t + 12 * HOUR, &d), BW_OK);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_ACKNOWLEDGED);
}

static void the_history_goes_with_the_escalation(void **state)
{
    struct cfx *f = *state;
    struct cfx_msgs m;
    char *body;
    int64_t id;

    f->o.no_send = true;
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    cfx_run(f, NOW + 73 * HOUR);
    m = cfx_outbox(f, id);
    assert_int_equal(m.n, 2);
    body = cfx_payload(f, m.m[1].id);
    /* the first notice's creation, in the history section of the text part */
    assert_non_null(strstr(body, "2026-06-01T12:00:00Z pending (botwatch): opened"));
    free(body);
}

static void an_acknowledged_case_never_escalates(void **state)
{
    struct cfx *f = *state;
    struct bw_diag d = { "" };
    struct bw_notify_result *r;
    int64_t id;

    f->o.no_send = true;
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    assert_int_equal(bw_notify_case_ack(f->st, id, "operator", NOW + HOUR, &d), BW_OK);
    r = cfx_run(f, NOW + 100 * HOUR);
    assert_int_equal(r->escalations + r->overdue, 0);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_ACKNOWLEDGED);
    assert_int_equal(cfx_outbox(f, id).n, 1);
}

static void a_contact_without_route_escalates_after_its_deadline(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;
    int64_t id;

    cfx_sink_start(f);
    cfx_report(f, "175.16.199.1", "noroute", 4837, NOW - 60);
    r = cfx_run(f, NOW);
    assert_int_equal(r->no_route, 1);
    id = cfx_case_of(f, "noroute");
    assert_int_equal(cfx_sink_count(f, NULL), 0);
    r = cfx_run(f, NOW + 73 * HOUR);
    assert_int_equal(r->escalations, 1);
    assert_int_equal(r->sent, 1);
    assert_int_equal(cfx_sink_wait(f, "X-Rcpt-Args: <noc@transit.example>", 1), 1);
    c = cfx_case(f, id);
    assert_int_equal(c.state, BW_CASE_ESCALATED);
    assert_string_equal(c.reason, "");
}

static void a_contact_that_disappeared_ends_the_chain(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_events ev;
    int64_t id;

    f->o.no_send = true;
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    cfx_contacts(f, "name,scope,email,webhook,role,parent\n"
                    "other,AS1,a@other.example,,isp,\n");
    r = cfx_run(f, NOW + 73 * HOUR);
    assert_int_equal(r->escalations, 0);
    assert_int_equal(r->overdue, 1);
    assert_int_equal(r->devices_unknown, 1);
    ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, "contact \"aaisp\" is no longer known"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, cfx_teardown)
    const struct CMUnitTest tests[] = {
        T(up_the_chain_each_level_its_deadline_then_overdue),
        T(the_history_goes_with_the_escalation),
        T(an_acknowledged_case_never_escalates),
        T(a_contact_without_route_escalates_after_its_deadline),
        T(a_contact_that_disappeared_ends_the_chain),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
