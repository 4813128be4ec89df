/*
 * tests/unit/score/test_score.c - the listing policy under its defaults and its knobs.
 */
#include "test.h"

#include <math.h>
#include <stdio.h>

#include "score/score.h"

#define NOW 1780315200 /* 2026-06-01T12:00:00Z */
#define HOUR 3600
#define DAY 86400

static struct bw_policy policy(void)
{
    struct bw_policy p;

    bw_policy_default(&p);
    return p;
}

/* Evidence of `n` reports, one every `step_s` seconds ending at `last_s`. */
static struct bw_evidence reporter(const char *name, const char *org, enum bw_trust t, int n,
                                   int64_t last_s, int64_t step_s)
{
    struct bw_policy p = policy();
    struct bw_evidence e = { .reporter = name, .org = org, .trust = t };

    for (int i = 0; i < n; i++)
        bw_evidence_add(&e, last_s - (int64_t)i * step_s, 1u << BW_CAT_SCAN, p.half_life_s);
    return e;
}

static void one_normal_reporter_never_lists(void **state)
{
    struct bw_policy p = policy();
    struct bw_verdict v;
    int counts[] = { 1, 3, 10, 300, 100000 };

    (void)state;
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct bw_evidence e = reporter("solo", NULL, BW_TRUST_NORMAL, counts[i], NOW - 60, 60);

        bw_score(&p, &e, 1, NOW, false, &v);
        assert_false(v.listed);
        assert_int_equal(v.why, BW_WHY_UNCORROBORATED);
        assert_true(v.score <= (int)lround(100 * p.cap[BW_TRUST_NORMAL]));
    }
}

static void sybils_of_one_org_count_once(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e[20];
    char names[20][16];
    struct bw_verdict v;

    (void)state;
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "sybil-%d", i);
        e[i] = reporter(names[i], "one-org", BW_TRUST_NORMAL, 5, NOW - 60, 60);
    }
    bw_score(&p, e, 20, NOW, false, &v);
    assert_int_equal(v.sources, 1);
    assert_false(v.listed);
    assert_true(v.score <= (int)lround(100 * p.cap[BW_TRUST_NORMAL]));
}

static void two_normal_reporters_three_reports_list(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e[2] = {
        reporter("a", NULL, BW_TRUST_NORMAL, 3, NOW - HOUR, 6 * HOUR),
        reporter("b", NULL, BW_TRUST_NORMAL, 3, NOW - 2 * HOUR, 7 * HOUR),
    };
    struct bw_verdict v;

    (void)state;
    bw_score(&p, e, 2, NOW, false, &v);
    assert_true(v.listed);
    assert_int_equal(v.why, BW_WHY_LISTED);
    assert_int_equal(v.sources, 2);
    assert_true(v.score >= p.threshold);
}

static void one_high_reporter_one_report_lists(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e = reporter("vetted", NULL, BW_TRUST_HIGH, 1, NOW - 60, 0);
    struct bw_verdict v;

    (void)state;
    bw_score(&p, &e, 1, NOW, false, &v);
    assert_true(v.listed);
    /* and the same report decays below the threshold in a few weeks */
    bw_score(&p, &e, 1, NOW + 20 * DAY, false, &v);
    assert_false(v.listed);
}

static void low_trust_reporters_need_many(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e[4] = {
        reporter("l1", NULL, BW_TRUST_LOW, 10, NOW - 60, 60),
        reporter("l2", NULL, BW_TRUST_LOW, 10, NOW - 60, 60),
        reporter("l3", NULL, BW_TRUST_LOW, 10, NOW - 60, 60),
        reporter("l4", NULL, BW_TRUST_LOW, 10, NOW - 60, 60),
    };
    struct bw_verdict v;

    (void)state;
    bw_score(&p, e, 3, NOW, false, &v); /* 1.5 of 2.0 */
    assert_false(v.listed);
    assert_int_equal(v.why, BW_WHY_UNCORROBORATED);
    bw_score(&p, e, 4, NOW, false, &v); /* 2.0 of 2.0 and 59 points */
    assert_true(v.listed);
}

static void repeats_have_diminishing_returns(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence other = reporter("x", NULL, BW_TRUST_NORMAL, 1, NOW - 60, 0);
    int last = -1, gain_first = 0, gain_late = 0;

    (void)state;
    for (int n = 1; n <= 8; n++) {
        struct bw_evidence e[2] = { reporter("r", NULL, BW_TRUST_NORMAL, n, NOW - 60, 60),
                                    other };
        struct bw_verdict v;

        bw_score(&p, e, 2, NOW, false, &v);
        assert_true(v.score >= last);
        if (n == 2)
            gain_first = v.score - last;
        if (n == 8)
            gain_late = v.score - last;
        last = v.score;
    }
    assert_true(gain_first > gain_late);
}

static void decay_halves_weight_each_half_life(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e = reporter("r", NULL, BW_TRUST_NORMAL, 1, NOW, 0);

    (void)state;
    assert_true(fabs(bw_decay(e.mass, e.mass_at_s, NOW + p.half_life_s, p.half_life_s) - 0.5) <
                1e-9);
    assert_true(fabs(bw_decay(e.mass, e.mass_at_s, NOW + 2 * p.half_life_s, p.half_life_s) -
                     0.25) < 1e-9);
}

static void evidence_merge_is_order_independent(void **state)
{
    struct bw_policy p = policy();
    int64_t times[] = { NOW - 5 * DAY, NOW - HOUR, NOW - 9 * DAY, NOW - 2 * DAY };
    struct bw_evidence fwd = { 0 }, rev = { 0 };

    (void)state;
    for (int i = 0; i < 4; i++)
        bw_evidence_add(&fwd, times[i], 1u << BW_CAT_SCAN, p.half_life_s);
    for (int i = 3; i >= 0; i--)
        bw_evidence_add(&rev, times[i], 1u << BW_CAT_SPAM, p.half_life_s);
    assert_int_equal(fwd.reports, 4);
    assert_int_equal(fwd.first_seen_s, NOW - 9 * DAY);
    assert_int_equal(fwd.last_seen_s, NOW - HOUR);
    assert_int_equal(fwd.mass_at_s, rev.mass_at_s);
    assert_true(fabs(fwd.mass - rev.mass) < 1e-9);
    assert_true(fabs(bw_decay(fwd.mass, fwd.mass_at_s, NOW, p.half_life_s) -
                     (exp2(-5.0 / 7) + exp2(-1.0 / 168) + exp2(-9.0 / 7) + exp2(-2.0 / 7))) <
                1e-9);
}

static void expiry_and_window_unlist(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e[2] = {
        reporter("a", NULL, BW_TRUST_NORMAL, 3, NOW - HOUR, HOUR),
        reporter("b", NULL, BW_TRUST_NORMAL, 3, NOW - HOUR, HOUR),
    };
    struct bw_verdict v;

    (void)state;
    bw_score(&p, e, 2, NOW + 29 * DAY, false, &v);
    assert_true(v.score > 0);
    bw_score(&p, e, 2, NOW + 31 * DAY, false, &v);
    assert_false(v.listed);
    assert_int_equal(v.score, 0);
    assert_int_equal(v.why, BW_WHY_NO_EVIDENCE);
    /* a short expiry with a long window: the score is there but the listing lapsed */
    assert_int_equal(bw_policy_set(&p, "expiry", "2d"), BW_OK);
    bw_score(&p, e, 2, NOW + 3 * DAY, false, &v);
    assert_false(v.listed);
    assert_int_equal(v.why, BW_WHY_EXPIRED);
    assert_true(v.score > 0);
}

static void allowlist_wins(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e = reporter("vetted", NULL, BW_TRUST_HIGH, 50, NOW - 60, 60);
    struct bw_verdict v;
    struct bw_buf why;

    (void)state;
    bw_score(&p, &e, 1, NOW, true, &v);
    assert_false(v.listed);
    assert_int_equal(v.why, BW_WHY_ALLOWLISTED);
    bw_buf_init(&why, 0);
    assert_int_equal(bw_score_why(&p, &e, 1, NOW, &v, &why), BW_OK);
    assert_non_null(strstr(why.data, "allowlist"));
    bw_buf_cleanup(&why);
}

static void threshold_is_configurable(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e[2] = {
        reporter("a", NULL, BW_TRUST_NORMAL, 1, NOW - 60, 0),
        reporter("b", NULL, BW_TRUST_NORMAL, 1, NOW - 60, 0),
    };
    struct bw_verdict v;

    (void)state;
    bw_score(&p, e, 2, NOW, false, &v);
    assert_true(v.listed);
    assert_int_equal(bw_policy_set(&p, "threshold", "90"), BW_OK);
    bw_score(&p, e, 2, NOW, false, &v);
    assert_false(v.listed);
    assert_int_equal(v.why, BW_WHY_BELOW_THRESHOLD);
}

static void why_names_sources_and_reason(void **state)
{
    struct bw_policy p = policy();
    struct bw_evidence e = reporter("solo-sensor", NULL, BW_TRUST_NORMAL, 300, NOW - 60, 500);
    struct bw_verdict v;
    struct bw_buf why;

    (void)state;
    bw_score(&p, &e, 1, NOW, false, &v);
    bw_buf_init(&why, 0);
    assert_int_equal(bw_score_why(&p, &e, 1, NOW, &v, &why), BW_OK);
    assert_non_null(strstr(why.data, "not listed"));
    assert_non_null(strstr(why.data, "solo-sensor"));
    assert_non_null(strstr(why.data, "300 reports"));
    assert_non_null(strstr(why.data, "corroboration"));
    bw_buf_cleanup(&why);
}

static void policy_keys_parse_and_refuse(void **state)
{
    struct bw_policy p = policy();
    int64_t d;

    (void)state;
    assert_int_equal(bw_policy_set(&p, "half_life", "3d"), BW_OK);
    assert_int_equal(p.half_life_s, 3 * DAY);
    assert_int_equal(bw_policy_set(&p, "window", "12h"), BW_OK);
    assert_int_equal(p.window_s, 12 * HOUR);
    assert_int_equal(bw_policy_set(&p, "cap.high", "0.9"), BW_OK);
    assert_true(fabs(p.cap[BW_TRUST_HIGH] - 0.9) < 1e-12);
    assert_int_equal(bw_policy_set(&p, "cap.high", "1.5"), BW_EMALFORMED);
    assert_int_equal(bw_policy_set(&p, "threshold", "101"), BW_EMALFORMED);
    assert_int_equal(bw_policy_set(&p, "half_life", "-1d"), BW_EMALFORMED);
    assert_int_equal(bw_policy_set(&p, "half_life", "7x"), BW_EMALFORMED);
    assert_int_equal(bw_policy_set(&p, "no_such_key", "1"), BW_EINVAL);
    assert_int_equal(bw_duration_parse(&d, "3600"), BW_OK);
    assert_int_equal(d, 3600);
    assert_int_equal(bw_duration_parse(&d, "2w"), BW_OK);
    assert_int_equal(d, 14 * DAY);
    assert_int_equal(bw_duration_parse(&d, ""), BW_EMALFORMED);
}

static void trust_names_round_trip(void **state)
{
    enum bw_trust t;

    (void)state;
    for (int i = 0; i < BW_TRUST_COUNT; i++) {
        assert_int_equal(bw_trust_parse(&t, bw_trust_name((enum bw_trust)i)), BW_OK);
        assert_int_equal(t, i);
    }
    assert_int_equal(bw_trust_parse(&t, "HIGH"), BW_EMALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_normal_reporter_never_lists),
        cmocka_unit_test(sybils_of_one_org_count_once),
        cmocka_unit_test(two_normal_reporters_three_reports_list),
        cmocka_unit_test(one_high_reporter_one_report_lists),
        cmocka_unit_test(low_trust_reporters_need_many),
        cmocka_unit_test(repeats_have_diminishing_returns),
        cmocka_unit_test(decay_halves_weight_each_half_life),
        cmocka_unit_test(evidence_merge_is_order_independent),
        cmocka_unit_test(expiry_and_window_unlist),
        cmocka_unit_test(allowlist_wins),
        cmocka_unit_test(threshold_is_configurable),
        cmocka_unit_test(why_names_sources_and_reason),
        cmocka_unit_test(policy_keys_parse_and_refuse),
        cmocka_unit_test(trust_names_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
