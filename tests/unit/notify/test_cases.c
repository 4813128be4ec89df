/*
 * tests/unit/notify/test_cases.c - building cases in a cycle, on a real SQLite store: one case
 * per contact holding its listed devices, a quiet second cycle, new devices as an update,
 * devices that are not listed or not the contact's left out, a contact without a route,
 * remediation by quiet period and closing, a device that comes back reopening its case,
 * operators marking devices fixed and acknowledging, dry runs, and memory per contact.
 * Delivery is left out here (--no-send); test_outbox.c sends for real.
 */
#include "test.h"

#include "cycle_fixture.h"

static int setup(void **state)
{
    int rc = cfx_setup(state);

    if (rc == 0)
        ((struct cfx *)*state)->o.no_send = true;
    return rc;
}

static void one_case_per_contact_with_its_listed_devices(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;
    struct cfx_msgs m;
    char *body;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW - 600);
    cfx_report(f, "81.2.69.192", "aaisp", 20712, NOW - 40 * DAY); /* expired: not listed */
    cfx_report(f, "89.160.20.112", "transit", 1299, NOW - 60);
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 2);
    assert_int_equal(r->devices_listed, 3);
    assert_int_equal(r->devices_new, 3);
    assert_int_equal(r->queued, 2);
    assert_int_equal(r->pending, 2);

    c = cfx_case(f, cfx_case_of(f, "aaisp"));
    assert_int_equal(c.state, BW_CASE_PENDING);
    assert_int_equal(c.n_devices, 2);
    assert_int_equal(c.n_active, 2);
    assert_int_equal(c.asn, 20712);
    assert_string_equal(c.scope, "AS20712");
    assert_int_equal(c.due_s, NOW + 72 * HOUR); /* provisional until delivered */
    m = cfx_outbox(f, c.id);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.m[0].route, "email");
    assert_string_equal(m.m[0].dest, "abuse@aaisp.example");
    assert_string_equal(m.m[0].key, "bw-case-1-1-email");
    body = cfx_payload(f, m.m[0].id);
    assert_non_null(strstr(body, "To: \"aaisp\" <abuse@aaisp.example>"));
    assert_non_null(strstr(body, "81.2.69.142"));
    assert_non_null(strstr(body, "81.2.69.160"));
    assert_null(strstr(body, "81.2.69.192"));
    assert_non_null(strstr(body, "Message-ID: <bw-case-1-1-email@"));
    free(body);
}

/* A notice over more devices than [notify] max_devices goes out in parts, each a whole
 * message with its own key and its own slice of the devices. */
static void a_large_notice_goes_out_in_parts(void **state)
{
    struct cfx *f = *state;
    const char *ips[] = { "81.2.69.141", "81.2.69.142", "81.2.69.143", "81.2.69.144",
                          "81.2.69.145" };
    struct bw_notify_result *r;
    struct cfx_msgs m;
    char want[64];

    f->cf.max_devices = 2;
    for (size_t i = 0; i < 5; i++)
        cfx_report(f, ips[i], "aaisp", 20712, NOW - 600);
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 1);
    assert_int_equal(r->queued, 3);
    m = cfx_outbox(f, cfx_case_of(f, "aaisp"));
    assert_int_equal(m.n, 3);
    for (size_t k = 0; k < 3; k++) {
        char *body = cfx_payload(f, m.m[k].id);
        size_t listed = 0;

        snprintf(want, sizeof(want), "bw-case-1-1-email-p%zu", k + 1);
        assert_string_equal(m.m[k].key, want);
        snprintf(want, sizeof(want), "part %zu of 3", k + 1);
        assert_non_null(strstr(body, want));
        assert_non_null(strstr(body, "of 5 compromised devices"));
        snprintf(want, sizeof(want), "botwatch-case-1-part%zu.csv", k + 1);
        assert_non_null(strstr(body, want));
        for (size_t i = 0; i < 5; i++) {
            bool here = strstr(body, ips[i]) != NULL;

            listed += here;
            assert_int_equal(here, i / 2 == k); /* each device in its part only */
        }
        assert_int_equal(listed, k < 2 ? 2 : 1);
        free(body);
    }
}

/* A device still listed but without reports for the quiet period already counts as
 * remediated: a first notice does not tell of it. */
static void quiet_devices_are_no_news(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 8 * DAY); /* listed, quiet 8 days */
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 0);
    assert_int_equal(r->queued, 0);
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW - 600);
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 1);
    assert_int_equal(cfx_case(f, cfx_case_of(f, "aaisp")).n_devices, 1);
}

static void a_second_cycle_with_nothing_new_changes_nothing(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    int64_t id;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    assert_int_equal(cfx_events(f, id).n, 1);
    r = cfx_run(f, NOW + HOUR);
    assert_int_equal(r->cases_opened + r->cases_updated + r->cases_reopened, 0);
    assert_int_equal(r->devices_listed, 1);
    assert_int_equal(r->devices_new, 0);
    assert_int_equal(r->queued, 0);
    assert_int_equal(cfx_outbox(f, id).n, 1);
    assert_int_equal(cfx_events(f, id).n, 1);
}

static void new_devices_update_the_open_case_with_a_second_notice(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct cfx_msgs m;
    int64_t id;
    char *body;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW + 1800);
    r = cfx_run(f, NOW + HOUR);
    assert_int_equal(r->cases_updated, 1);
    assert_int_equal(r->cases_opened, 0);
    assert_int_equal(r->devices_new, 1);
    assert_int_equal(cfx_case_of(f, "aaisp"), id);
    assert_int_equal(cfx_case(f, id).n_devices, 2);
    m = cfx_outbox(f, id);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.m[1].key, "bw-case-1-2-email");
    body = cfx_payload(f, m.m[1].id);
    /* the update holds both: the new one and the one still listed */
    assert_non_null(strstr(body, "81.2.69.160 (newly listed)"));
    assert_non_null(strstr(body, "81.2.69.142 (still listed)"));
    free(body);
    struct cfx_events ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, "1 new device"));
}

static void a_contact_without_route_waits_with_the_reason(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;

    cfx_report(f, "175.16.199.1", "noroute", 4837, NOW - 60);
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 1);
    assert_int_equal(r->no_route, 1);
    assert_int_equal(r->queued, 0);
    c = cfx_case(f, cfx_case_of(f, "noroute"));
    assert_int_equal(c.state, BW_CASE_PENDING);
    assert_string_equal(c.reason, "no delivery route");
    assert_int_equal(cfx_outbox(f, c.id).n, 0);
}

static void devices_of_an_unknown_contact_are_counted_not_dropped_silently(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;

    cfx_report(f, "81.2.69.142", "gone", 20712, NOW - 60);
    r = cfx_run(f, NOW);
    assert_int_equal(r->devices_unknown, 1);
    assert_int_equal(r->cases_opened, 0);
    assert_int_equal(bw_store_case_latest(f->st, "gone", &c), BW_ENOTFOUND);
}

static void quiet_devices_are_remediated_and_the_case_closes(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;
    struct cfx_events ev;
    int64_t id;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    /* one device keeps being reported; the other goes quiet */
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW + 5 * DAY);
    r = cfx_run(f, NOW + 7 * DAY);
    assert_int_equal(r->devices_remediated, 1);
    assert_int_equal(r->cases_closed, 0);
    c = cfx_case(f, id);
    assert_int_equal(c.n_active, 1);
    assert_int_not_equal(c.state, BW_CASE_CLOSED);
    r = cfx_run(f, NOW + 12 * DAY + HOUR);
    assert_int_equal(r->devices_remediated, 1);
    assert_int_equal(r->cases_closed, 1);
    c = cfx_case(f, id);
    assert_int_equal(c.state, BW_CASE_CLOSED);
    assert_int_equal(c.n_active, 0);
    assert_int_equal(c.remediated_s, NOW + 12 * DAY + HOUR);
    ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, ">remediated botwatch"));
    assert_true(cfx_has_event(&ev, "remediated>closed botwatch"));
}

static void a_device_that_comes_back_reopens_its_case(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;
    struct cfx_events ev;
    int64_t id;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    r = cfx_run(f, NOW + 8 * DAY);
    assert_int_equal(r->cases_closed, 1);
    /* still listed by its score's tail, but quiet: no news, the case stays closed */
    r = cfx_run(f, NOW + 8 * DAY + HOUR);
    assert_int_equal(r->cases_reopened + r->cases_opened, 0);
    /* a new report: it came back */
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW + 9 * DAY);
    r = cfx_run(f, NOW + 9 * DAY + HOUR);
    assert_int_equal(r->cases_reopened, 1);
    assert_int_equal(r->devices_relapsed, 1);
    assert_int_equal(r->cases_opened, 0);
    assert_int_equal(cfx_case_of(f, "aaisp"), id);
    c = cfx_case(f, id);
    assert_int_equal(c.state, BW_CASE_OPEN);
    assert_int_equal(c.n_active, 1);
    assert_int_equal(c.level, 0);
    assert_int_equal(c.due_s, NOW + 9 * DAY + HOUR + 72 * HOUR);
    assert_int_equal(cfx_outbox(f, id).n, 2);
    ev = cfx_events(f, id);
    assert_true(cfx_has_event(&ev, "closed>open botwatch: reopened"));
}

static void a_new_device_after_closing_opens_a_new_case(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    int64_t id;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    cfx_run(f, NOW + 8 * DAY);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_CLOSED);
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW + 8 * DAY + 60);
    r = cfx_run(f, NOW + 8 * DAY + HOUR);
    assert_int_equal(r->cases_opened, 1);
    assert_int_not_equal(cfx_case_of(f, "aaisp"), id);
    assert_int_equal(cfx_case(f, cfx_case_of(f, "aaisp")).n_devices, 1);
}

static void operators_mark_devices_fixed_and_acknowledge(void **state)
{
    struct cfx *f = *state;
    struct bw_diag d = { "" };
    struct bw_addr a = cfx_addr("81.2.69.142"), other = cfx_addr("2.125.160.216");
    size_t n_fixed = 0;
    bool closed = true;
    int64_t id;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "81.2.69.160", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    id = cfx_case_of(f, "aaisp");
    assert_int_equal(bw_notify_case_ack(f->st, id, "operator", NOW + HOUR, &d), BW_OK);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_ACKNOWLEDGED);
    assert_int_equal(cfx_case(f, id).acked_s, NOW + HOUR);
    /* a device not in the case is named */
    assert_int_equal(bw_notify_case_fixed(f->st, id, &other, 1, "operator", NOW, &n_fixed,
                                          &closed, &d),
                     BW_ENOTFOUND);
    assert_non_null(strstr(d.msg, "2.125.160.216"));
    assert_int_equal(bw_notify_case_fixed(f->st, id, &a, 1, "operator", NOW + 2 * HOUR,
                                          &n_fixed, &closed, &d),
                     BW_OK);
    assert_int_equal(n_fixed, 1);
    assert_false(closed);
    assert_int_equal(cfx_case(f, id).n_active, 1);
    /* the rest: all of them */
    assert_int_equal(bw_notify_case_fixed(f->st, id, NULL, 0, "operator", NOW + 3 * HOUR,
                                          &n_fixed, &closed, &d),
                     BW_OK);
    assert_int_equal(n_fixed, 1);
    assert_true(closed);
    assert_int_equal(cfx_case(f, id).state, BW_CASE_CLOSED);
    /* a closed case is not acknowledged again, nor fixed */
    assert_int_equal(bw_notify_case_ack(f->st, id, "operator", NOW, &d), BW_ECONFLICT);
    assert_int_equal(bw_notify_case_fixed(f->st, id, NULL, 0, "operator", NOW, &n_fixed,
                                          &closed, &d),
                     BW_ECONFLICT);
    assert_int_equal(bw_notify_case_ack(f->st, id + 10, "operator", NOW, &d), BW_ENOTFOUND);
    /* fixed by the ISP, then reported again after the fix: it came back */
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW + 4 * HOUR);
    assert_int_equal(cfx_run(f, NOW + 5 * HOUR)->cases_reopened, 1);
}

static void the_signed_link_acknowledges_only_with_the_right_token(void **state)
{
    struct cfx *f = *state;
    struct bw_diag d = { "" };
    struct bw_case c;
    char *body;
    char want[256];

    snprintf(f->cf.ack_base_url, sizeof(f->cf.ack_base_url), "https://registry.example/");
    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_run(f, NOW);
    c = cfx_case(f, cfx_case_of(f, "aaisp"));
    body = cfx_payload(f, cfx_outbox(f, c.id).m[0].id);
    snprintf(want, sizeof(want), "https://registry.example/api/v1/cases/%lld/ack?token=%.20s",
             (long long)c.id, c.ack_token);
    /* the link may be folded by quoted-printable: look for its start */
    assert_non_null(strstr(body, "https://registry.example/api/v1/cases/"));
    free(body);
    assert_int_equal(bw_notify_case_ack_token(f->st, c.id, "0123", "key:aaisp", NOW, &d),
                     BW_EINVAL);
    assert_int_equal(cfx_case(f, c.id).state, BW_CASE_PENDING);
    assert_int_equal(bw_notify_case_ack_token(f->st, c.id, c.ack_token, "link", NOW, &d), BW_OK);
    assert_int_equal(cfx_case(f, c.id).state, BW_CASE_ACKNOWLEDGED);
    (void)want;
}

static void a_dry_run_changes_nothing(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    f->o.dry_run = true;
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 1);
    assert_int_equal(r->queued, 1);
    assert_int_equal(bw_store_case_latest(f->st, "aaisp", &c), BW_ENOTFOUND);
    assert_int_equal(cfx_outbox(f, 0).n, 0);
    f->o.dry_run = false;
    assert_int_equal(cfx_run(f, NOW)->cases_opened, 1);
}

static void one_contact_only(void **state)
{
    struct cfx *f = *state;
    struct bw_notify_result *r;
    struct bw_case c;

    cfx_report(f, "81.2.69.142", "aaisp", 20712, NOW - 600);
    cfx_report(f, "89.160.20.112", "transit", 1299, NOW - 600);
    f->o.contact = "transit";
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 1);
    assert_int_equal(bw_store_case_latest(f->st, "aaisp", &c), BW_ENOTFOUND);
    assert_int_equal(bw_store_case_latest(f->st, "transit", &c), BW_OK);
}

static void many_contacts_one_group_at_a_time(void **state)
{
    struct cfx *f = *state;
    char csv[64 * 1024], ip[32];
    size_t used = 0;
    struct bw_notify_result *r;

    used += (size_t)snprintf(csv, sizeof(csv), "name,scope,email,webhook,role,parent\n");
    for (int i = 0; i < 50; i++)
        used += (size_t)snprintf(csv + used, sizeof(csv) - used,
                                 "c%02d,AS%d,abuse@c%02d.example,,isp,\n", i, 64500 + i, i);
    cfx_contacts(f, csv);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    for (int i = 0; i < 500; i++) {
        char contact[8];

        snprintf(ip, sizeof(ip), "81.2.%d.%d", 64 + i / 250, i % 250 + 1);
        snprintf(contact, sizeof(contact), "c%02d", (i * 7) % 50);
        cfx_report(f, ip, contact, (uint32_t)(64500 + (i * 7) % 50), NOW - 600);
    }
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    r = cfx_run(f, NOW);
    assert_int_equal(r->cases_opened, 50);
    assert_int_equal(r->devices_new, 500);
    assert_int_equal(r->queued, 50);
    for (int i = 0; i < 50; i += 7) {
        char contact[8];

        snprintf(contact, sizeof(contact), "c%02d", i);
        assert_int_equal(cfx_case(f, cfx_case_of(f, contact)).n_devices, 10);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, cfx_teardown)
    const struct CMUnitTest tests[] = {
        T(one_case_per_contact_with_its_listed_devices),
        T(a_large_notice_goes_out_in_parts),
        T(quiet_devices_are_no_news),
        T(a_second_cycle_with_nothing_new_changes_nothing),
        T(new_devices_update_the_open_case_with_a_second_notice),
        T(a_contact_without_route_waits_with_the_reason),
        T(devices_of_an_unknown_contact_are_counted_not_dropped_silently),
        T(quiet_devices_are_remediated_and_the_case_closes),
        T(a_device_that_comes_back_reopens_its_case),
        T(a_new_device_after_closing_opens_a_new_case),
        T(operators_mark_devices_fixed_and_acknowledge),
        T(the_signed_link_acknowledges_only_with_the_right_token),
        T(a_dry_run_changes_nothing),
        T(one_contact_only),
        T(many_contacts_one_group_at_a_time),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
