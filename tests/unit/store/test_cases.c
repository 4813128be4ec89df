/*
 * tests/unit/store/test_cases.c - the store's notification tables through store.h, on real
 * SQLite files in a temporary directory: cases and their state machine with its events, the
 * acknowledgement token, case devices, the outbox (put, due, claim, mark), the contact-ordered
 * device walk and the measures.
 */
#include "test.h"
#include "store/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#define NOW INT64_C(1780000000)
#define H 3600

struct fx {
    char dir[64];
    char path[128];
    struct bw_store *st;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct bw_diag d = { "" };

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-cases-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/bw.db", f->dir);
    if (bw_store_open(&f->st, f->path, &d) != BW_OK)
        fail_msg("open %s: %s", f->path, d.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    bw_store_close(f->st);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static int64_t new_case(struct bw_store *st, const char *contact, enum bw_case_state s)
{
    struct bw_case c = { .state = s, .asn = 20712, .due_s = NOW + 72 * H };

    snprintf(c.contact, sizeof(c.contact), "%s", contact);
    snprintf(c.scope, sizeof(c.scope), "AS20712");
    assert_int_equal(bw_store_case_create(st, &c, "botwatch", "opened", NOW), BW_OK);
    assert_true(c.id > 0);
    assert_string_equal(c.level_contact, contact);
    assert_int_equal(strlen(c.ack_token), 64);
    return c.id;
}

/* ---- events captured ---- */

struct events {
    size_t n;
    int from[16];
    enum bw_case_state to[16];
    char actor[16][32];
    char note[16][64];
    bool is_note[16];
};

static int collect_event(void *ctx, const struct bw_case_event *e)
{
    struct events *ev = ctx;

    assert_true(ev->n < 16);
    ev->from[ev->n] = e->from;
    ev->to[ev->n] = e->to;
    snprintf(ev->actor[ev->n], sizeof(ev->actor[0]), "%s", e->actor);
    snprintf(ev->note[ev->n], sizeof(ev->note[0]), "%s", e->note);
    ev->is_note[ev->n] = e->is_note;
    ev->n++;
    return 0;
}

/* ---- cases ---- */

static void create_get_and_the_one_active_case_per_contact(void **state)
{
    struct fx *f = *state;
    int64_t id = new_case(f->st, "aaisp", BW_CASE_PENDING);
    struct bw_case c, again = { .state = BW_CASE_PENDING };

    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_string_equal(c.contact, "aaisp");
    assert_string_equal(c.scope, "AS20712");
    assert_int_equal(c.asn, 20712);
    assert_int_equal(c.state, BW_CASE_PENDING);
    assert_int_equal(c.created_s, NOW);
    assert_int_equal(c.due_s, NOW + 72 * H);
    assert_int_equal(bw_store_case_get(f->st, id + 100, &c), BW_ENOTFOUND);
    /* a second case that is not closed for the same contact is refused */
    snprintf(again.contact, sizeof(again.contact), "aaisp");
    assert_int_equal(bw_store_case_create(f->st, &again, "botwatch", "", NOW), BW_ECONFLICT);
    assert_int_equal(bw_store_case_active(f->st, "aaisp", &c), BW_OK);
    assert_int_equal(c.id, id);
    assert_int_equal(bw_store_case_active(f->st, "other", &c), BW_ENOTFOUND);
    /* once closed, a new one may open, and latest finds it */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_CLOSED, "operator", "", NOW),
                     BW_OK);
    assert_int_equal(bw_store_case_active(f->st, "aaisp", &c), BW_ENOTFOUND);
    int64_t id2 = new_case(f->st, "aaisp", BW_CASE_OPEN);
    assert_int_equal(bw_store_case_latest(f->st, "aaisp", &c), BW_OK);
    assert_int_equal(c.id, id2);
    /* and the closed one cannot reopen while the new one is active */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_OPEN, "botwatch", "", NOW),
                     BW_ECONFLICT);
}

static void transitions_follow_the_diagram_and_are_recorded(void **state)
{
    struct fx *f = *state;
    int64_t id = new_case(f->st, "aaisp", BW_CASE_PENDING);
    struct events ev = { 0 };
    struct bw_case c;

    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_OPEN, "botwatch",
                                              "delivered", NOW + 10),
                     BW_OK);
    /* open -> open and open -> pending are not moves */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_OPEN, "x", "", NOW),
                     BW_ECONFLICT);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_PENDING, "x", "", NOW),
                     BW_ECONFLICT);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_ESCALATED, "botwatch",
                                              "to transit", NOW + 73 * H),
                     BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_ESCALATED, "botwatch",
                                              "to cert-gb", NOW + 150 * H),
                     BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_ACKNOWLEDGED, "key:aaisp", "",
                                              NOW + 151 * H),
                     BW_OK);
    /* acknowledged never goes back to escalated */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_ESCALATED, "x", "", NOW),
                     BW_ECONFLICT);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_REMEDIATED, "botwatch", "",
                                              NOW + 200 * H),
                     BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_CLOSED, "botwatch", "",
                                              NOW + 200 * H),
                     BW_OK);
    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(c.state, BW_CASE_CLOSED);
    assert_int_equal(c.acked_s, NOW + 151 * H);
    assert_int_equal(c.remediated_s, NOW + 200 * H);
    assert_int_equal(c.closed_s, NOW + 200 * H);
    assert_int_equal(c.n_escalations, 2);
    assert_int_equal(bw_store_case_note(f->st, id, "botwatch", "a note", NOW), BW_OK);
    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(c.n_escalations, 2);
    /* a device came back: reopened */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_OPEN, "botwatch", "came back",
                                              NOW + 300 * H),
                     BW_OK);
    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(c.closed_s, 0);
    assert_int_equal(bw_store_case_note(f->st, id, "botwatch", "notice 2 queued", NOW), BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, id + 9, BW_CASE_OPEN, "x", "", NOW),
                     BW_ENOTFOUND);

    assert_int_equal(bw_store_case_events(f->st, id, collect_event, &ev), BW_OK);
    assert_int_equal(ev.n, 10);
    assert_int_equal(ev.from[0], -1);
    assert_int_equal(ev.to[0], BW_CASE_PENDING);
    assert_string_equal(ev.note[0], "opened");
    assert_int_equal(ev.from[1], BW_CASE_PENDING);
    assert_int_equal(ev.to[1], BW_CASE_OPEN);
    assert_string_equal(ev.note[1], "delivered");
    assert_int_equal(ev.to[3], BW_CASE_ESCALATED);
    assert_string_equal(ev.note[3], "to cert-gb");
    assert_string_equal(ev.actor[4], "key:aaisp");
    assert_true(ev.is_note[7]);
    assert_int_equal(ev.from[8], BW_CASE_CLOSED);
    assert_int_equal(ev.to[8], BW_CASE_OPEN);
    assert_false(ev.is_note[8]);
    assert_int_equal(ev.from[9], BW_CASE_OPEN);
    assert_int_equal(ev.to[9], BW_CASE_OPEN);
    assert_true(ev.is_note[9]);
    assert_false(ev.is_note[3]); /* escalated -> escalated is a transition */
}

static void the_transition_table(void **state)
{
    (void)state;
    /* every state but closed reaches closed; only remediated and closed reopen */
    for (int s = 0; s < BW_CASE_STATE_COUNT; s++) {
        assert_int_equal(bw_case_transition_allowed((enum bw_case_state)s, BW_CASE_CLOSED),
                         s != BW_CASE_CLOSED);
        assert_false(bw_case_transition_allowed((enum bw_case_state)s, BW_CASE_PENDING));
    }
    assert_true(bw_case_transition_allowed(BW_CASE_REMEDIATED, BW_CASE_OPEN));
    assert_true(bw_case_transition_allowed(BW_CASE_CLOSED, BW_CASE_OPEN));
    assert_false(bw_case_transition_allowed(BW_CASE_OVERDUE, BW_CASE_OPEN));
    assert_false(bw_case_transition_allowed(BW_CASE_OVERDUE, BW_CASE_ESCALATED));
    assert_false(bw_case_transition_allowed(BW_CASE_REMEDIATED, BW_CASE_ACKNOWLEDGED));
    assert_false(bw_case_transition_allowed(BW_CASE_STATE_COUNT, BW_CASE_OPEN));
    for (int s = 0; s < BW_CASE_STATE_COUNT; s++) {
        enum bw_case_state back;

        assert_int_equal(bw_case_state_parse(&back, bw_case_state_name((enum bw_case_state)s)),
                         BW_OK);
        assert_int_equal(back, s);
    }
    enum bw_case_state x;
    assert_int_equal(bw_case_state_parse(&x, "Open"), BW_EMALFORMED);
}

static void update_writes_the_fields_that_move_without_a_transition(void **state)
{
    struct fx *f = *state;
    int64_t id = new_case(f->st, "aaisp", BW_CASE_OPEN);
    struct bw_case c;

    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    c.level = 1;
    snprintf(c.level_contact, sizeof(c.level_contact), "transit");
    c.notices = 2;
    c.sent_s = NOW + 5;
    c.level_sent_s = NOW + 6;
    c.due_s = NOW + 100;
    snprintf(c.reason, sizeof(c.reason), "relay refused");
    c.state = BW_CASE_CLOSED; /* ignored: only transitions move the state */
    assert_int_equal(bw_store_case_update(f->st, &c, NOW + 7), BW_OK);
    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(c.level, 1);
    assert_string_equal(c.level_contact, "transit");
    assert_int_equal(c.notices, 2);
    assert_int_equal(c.sent_s, NOW + 5);
    assert_int_equal(c.level_sent_s, NOW + 6);
    assert_int_equal(c.due_s, NOW + 100);
    assert_int_equal(c.updated_s, NOW + 7);
    assert_string_equal(c.reason, "relay refused");
    assert_int_equal(c.state, BW_CASE_OPEN);
    c.id = id + 50;
    assert_int_equal(bw_store_case_update(f->st, &c, NOW), BW_ENOTFOUND);
}

static void ack_token_checks_in_constant_time_against_the_secret(void **state)
{
    struct fx *f = *state;
    int64_t id = new_case(f->st, "aaisp", BW_CASE_OPEN);
    int64_t id2 = new_case(f->st, "transit", BW_CASE_OPEN);
    struct bw_case c, c2;
    bool valid = true;
    char bad[65];

    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(bw_store_case_get(f->st, id2, &c2), BW_OK);
    assert_string_not_equal(c.ack_token, c2.ack_token);
    assert_int_equal(bw_store_case_ack_check(f->st, id, c.ack_token, &valid), BW_OK);
    assert_true(valid);
    /* another case's token, a changed digit, a prefix, nothing: all refused */
    assert_int_equal(bw_store_case_ack_check(f->st, id, c2.ack_token, &valid), BW_OK);
    assert_false(valid);
    snprintf(bad, sizeof(bad), "%s", c.ack_token);
    bad[10] = bad[10] == '0' ? '1' : '0';
    assert_int_equal(bw_store_case_ack_check(f->st, id, bad, &valid), BW_OK);
    assert_false(valid);
    bad[10] = c.ack_token[10];
    bad[63] = '\0';
    assert_int_equal(bw_store_case_ack_check(f->st, id, bad, &valid), BW_OK);
    assert_false(valid);
    assert_int_equal(bw_store_case_ack_check(f->st, id, "", &valid), BW_OK);
    assert_false(valid);
    assert_int_equal(bw_store_case_ack_check(f->st, id + 77, c.ack_token, &valid), BW_ENOTFOUND);

    /* the token is the HMAC of the id under the stored secret, which survives a reopen */
    uint8_t secret[32], again[32];
    char want[65];
    assert_int_equal(bw_store_secret(f->st, "ack", secret), BW_OK);
    bw_store_close(f->st);
    struct bw_diag d = { "" };
    assert_int_equal(bw_store_open(&f->st, f->path, &d), BW_OK);
    assert_int_equal(bw_store_secret(f->st, "ack", again), BW_OK);
    assert_memory_equal(secret, again, 32);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "botwatch-case-ack:%lld", (long long)id);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, secret);
    sodium_bin2hex(want, sizeof(want), mac, sizeof(mac));
    assert_string_equal(want, c.ack_token);
}

struct ids {
    size_t n;
    int64_t id[16];
};

static int collect_case(void *ctx, const struct bw_case *c)
{
    struct ids *x = ctx;

    assert_true(x->n < 16);
    x->id[x->n++] = c->id;
    return 0;
}

static void list_filters_by_state_contact_and_deadline(void **state)
{
    struct fx *f = *state;
    int64_t a = new_case(f->st, "a", BW_CASE_OPEN);
    int64_t b = new_case(f->st, "b", BW_CASE_ESCALATED);
    int64_t c = new_case(f->st, "c", BW_CASE_OPEN);
    struct bw_case k;
    struct ids x = { 0 };

    assert_int_equal(bw_store_case_get(f->st, c, &k), BW_OK);
    k.due_s = NOW + 500 * H;
    assert_int_equal(bw_store_case_update(f->st, &k, NOW), BW_OK);
    assert_int_equal(bw_store_case_list(f->st, NULL, collect_case, &x), BW_OK);
    assert_int_equal(x.n, 3);
    assert_int_equal(x.id[0], a);

    struct bw_case_filter fl = { .states = 1u << BW_CASE_OPEN };
    x.n = 0;
    assert_int_equal(bw_store_case_list(f->st, &fl, collect_case, &x), BW_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.id[1], c);

    fl.states = (1u << BW_CASE_OPEN) | (1u << BW_CASE_ESCALATED);
    fl.due_before_s = NOW + 100 * H;
    x.n = 0;
    assert_int_equal(bw_store_case_list(f->st, &fl, collect_case, &x), BW_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.id[0], a);
    assert_int_equal(x.id[1], b);

    fl.contact = "b";
    x.n = 0;
    assert_int_equal(bw_store_case_list(f->st, &fl, collect_case, &x), BW_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], b);
}

/* ---- case devices ---- */

struct devs {
    size_t n;
    struct bw_case_device d[8];
};

static int collect_dev(void *ctx, const struct bw_case_device *d)
{
    struct devs *x = ctx;

    assert_true(x->n < 8);
    x->d[x->n++] = *d;
    return 0;
}

static void case_devices_put_list_and_find(void **state)
{
    struct fx *f = *state;
    int64_t id = new_case(f->st, "aaisp", BW_CASE_OPEN);
    struct bw_case_device d = { .case_id = id, .addr = addr("81.2.69.160"),
                                .listing = BW_LISTING_NEW, .added_s = NOW, .seen_s = NOW };
    struct bw_evidence e = { .reports = 3, .first_seen_s = NOW - 50, .last_seen_s = NOW - 20,
                             .mass = 3, .mass_at_s = NOW - 20, .cats = 1 };
    struct devs x = { 0 };
    struct bw_case c;
    enum bw_case_state cs;
    int64_t rid;
    bool is_new;

    assert_int_equal(bw_store_case_device_put(f->st, &d), BW_OK);
    d.addr = addr("81.2.69.142");
    assert_int_equal(bw_store_reporter_ensure(f->st, "feed", NOW, &rid), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &d.addr, NOW, &is_new), BW_OK);
    assert_int_equal(bw_store_evidence_merge(f->st, &d.addr, rid, &e), BW_OK);
    assert_int_equal(bw_store_case_device_put(f->st, &d), BW_OK);
    /* replace: fixed by the ISP */
    d.state = BW_CDEV_FIXED;
    d.listing = BW_LISTING_STILL;
    d.fixed_s = NOW + 9;
    snprintf(d.fixed_by, sizeof(d.fixed_by), "operator");
    assert_int_equal(bw_store_case_device_put(f->st, &d), BW_OK);

    assert_int_equal(bw_store_case_devices(f->st, id, collect_dev, &x), BW_OK);
    assert_int_equal(x.n, 2);
    char t[BW_ADDR_TEXT_MAX];
    assert_string_equal(bw_addr_format(&x.d[0].addr, t), "81.2.69.142");
    assert_int_equal(x.d[0].state, BW_CDEV_FIXED);
    assert_int_equal(x.d[0].listing, BW_LISTING_STILL);
    assert_int_equal(x.d[0].fixed_s, NOW + 9);
    assert_string_equal(x.d[0].fixed_by, "operator");
    assert_int_equal(x.d[0].last_report_s, NOW - 20);
    assert_int_equal(x.d[1].state, BW_CDEV_ACTIVE);
    assert_int_equal(x.d[1].last_report_s, 0);
    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    assert_int_equal(c.n_devices, 2);
    assert_int_equal(c.n_active, 1);

    struct bw_case_device got;
    assert_int_equal(bw_store_case_device_find(f->st, "aaisp", &d.addr, &got, &cs), BW_OK);
    assert_int_equal(got.case_id, id);
    assert_int_equal(got.state, BW_CDEV_FIXED);
    assert_int_equal(got.last_report_s, NOW - 20);
    assert_int_equal(cs, BW_CASE_OPEN);
    assert_int_equal(bw_store_case_device_find(f->st, "transit", &d.addr, &got, &cs),
                     BW_ENOTFOUND);
    /* the latest case holding it wins */
    assert_int_equal(bw_store_case_transition(f->st, id, BW_CASE_CLOSED, "x", "", NOW), BW_OK);
    int64_t id2 = new_case(f->st, "aaisp", BW_CASE_OPEN);
    d.case_id = id2;
    d.state = BW_CDEV_ACTIVE;
    assert_int_equal(bw_store_case_device_put(f->st, &d), BW_OK);
    assert_int_equal(bw_store_case_device_find(f->st, "aaisp", &d.addr, &got, &cs), BW_OK);
    assert_int_equal(got.case_id, id2);
    assert_int_equal(got.state, BW_CDEV_ACTIVE);
}

/* ---- outbox ---- */

static int64_t put_msg(struct bw_store *st, int64_t case_id, const char *key, int64_t next)
{
    struct bw_outbox_msg m = { .case_id = case_id, .next_s = next, .created_s = NOW,
                               .payload = "From: x\r\n\r\nbody\0with NUL", .payload_len = 24 };

    snprintf(m.key, sizeof(m.key), "%s", key);
    snprintf(m.route, sizeof(m.route), "email");
    snprintf(m.dest, sizeof(m.dest), "abuse@aaisp.example");
    assert_int_equal(bw_store_outbox_put(st, &m), BW_OK);
    assert_true(m.id > 0);
    return m.id;
}

/* A large payload is stored deflated and comes back byte for byte; a damaged one is refused,
 * never returned garbled. */
static void large_payloads_are_stored_deflated(void **state)
{
    struct fx *f = *state;
    int64_t cid = new_case(f->st, "aaisp", BW_CASE_PENDING);
    size_t len = 200000;
    char *big = malloc(len);
    struct bw_outbox_msg m = { .case_id = cid, .next_s = NOW, .created_s = NOW };
    struct bw_buf body;
    sqlite3 *db;
    sqlite3_stmt *stmt;

    for (size_t i = 0; i < len; i++) /* text with repeats and a few NULs */
        big[i] = i % 997 == 0 ? '\0' : (char)('a' + (i * 7 + i / 101) % 26);
    snprintf(m.key, sizeof(m.key), "bw-big");
    snprintf(m.route, sizeof(m.route), "email");
    snprintf(m.dest, sizeof(m.dest), "abuse@aaisp.example");
    m.payload = big;
    m.payload_len = len;
    assert_int_equal(bw_store_outbox_put(f->st, &m), BW_OK);
    bw_buf_init(&body, 0);
    assert_int_equal(bw_store_outbox_get(f->st, m.id, &m, &body), BW_OK);
    assert_int_equal(body.len, len);
    assert_memory_equal(body.data, big, len);
    /* stored smaller, marked, and a damaged row is an error */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT length(payload), encoding, plain_len FROM "
                                            "outbox WHERE idem_key = 'bw-big'", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_true((size_t)sqlite3_column_int64(stmt, 0) < len / 2);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 1), "deflate");
    assert_int_equal(sqlite3_column_int64(stmt, 2), (sqlite3_int64)len);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_exec(db, "UPDATE outbox SET payload = x'789c0102' WHERE "
                                      "idem_key = 'bw-big'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_not_equal(bw_store_outbox_get(f->st, m.id, &m, &body), BW_OK);
    bw_buf_cleanup(&body);
    free(big);
}

static void outbox_queues_once_per_key_and_delivers_by_claim(void **state)
{
    struct fx *f = *state;
    int64_t cid = new_case(f->st, "aaisp", BW_CASE_PENDING);
    int64_t other = new_case(f->st, "transit", BW_CASE_PENDING);
    int64_t m1 = put_msg(f->st, cid, "bw-1-1-email", NOW);
    int64_t m2 = put_msg(f->st, cid, "bw-1-2-email", NOW + 600);
    int64_t m3 = put_msg(f->st, other, "bw-2-1-email", NOW - 5);
    struct bw_outbox_msg m = { .case_id = cid, .payload = "x", .payload_len = 1 };
    int64_t ids[8];
    size_t n = 99;
    bool claimed;
    struct bw_buf body;

    /* the same key again is a conflict: queueing is idempotent */
    snprintf(m.key, sizeof(m.key), "bw-1-1-email");
    snprintf(m.route, sizeof(m.route), "email");
    assert_int_equal(bw_store_outbox_put(f->st, &m), BW_ECONFLICT);
    snprintf(m.route, sizeof(m.route), "fax");
    assert_int_equal(bw_store_outbox_put(f->st, &m), BW_EINVAL);

    assert_int_equal(bw_store_outbox_due(f->st, NOW, NULL, 0, ids, 8, &n), BW_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], m1);
    assert_int_equal(ids[1], m3);
    assert_int_equal(bw_store_outbox_due(f->st, NOW, "aaisp", 0, ids, 8, &n), BW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bw_store_outbox_due(f->st, NOW, NULL, m1, ids, 8, &n), BW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], m3);
    assert_int_equal(bw_store_outbox_due(f->st, NOW, NULL, 0, ids, 1, &n), BW_OK);
    assert_int_equal(n, 1);

    /* one claim per due message: the second sender gets nothing */
    assert_int_equal(bw_store_outbox_claim(f->st, m1, NOW, 300, &claimed), BW_OK);
    assert_true(claimed);
    assert_int_equal(bw_store_outbox_claim(f->st, m1, NOW, 300, &claimed), BW_OK);
    assert_false(claimed);
    assert_int_equal(bw_store_outbox_claim(f->st, m2, NOW, 300, &claimed), BW_OK);
    assert_false(claimed); /* not due yet */
    assert_int_equal(bw_store_outbox_due(f->st, NOW, NULL, 0, ids, 8, &n), BW_OK);
    assert_int_equal(n, 1);
    /* after the lease a crashed sender's message is due again */
    assert_int_equal(bw_store_outbox_due(f->st, NOW + 300, NULL, 0, ids, 8, &n), BW_OK);
    assert_int_equal(n, 2);

    bw_buf_init(&body, 0);
    assert_int_equal(bw_store_outbox_get(f->st, m1, &m, &body), BW_OK);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.next_s, NOW + 300);
    assert_int_equal(m.payload_len, 24);
    assert_memory_equal(m.payload, "From: x\r\n\r\nbody\0with NUL", 24);
    assert_string_equal(m.key, "bw-1-1-email");
    assert_string_equal(m.dest, "abuse@aaisp.example");
    assert_int_equal(m.state, BW_OUTBOX_PENDING);

    assert_int_equal(bw_store_outbox_mark(f->st, m1, BW_OUTBOX_SENT, 0, "", NOW + 1), BW_OK);
    assert_int_equal(bw_store_outbox_mark(f->st, m3, BW_OUTBOX_PENDING, NOW + 900,
                                          "relay unreachable", 0),
                     BW_OK);
    assert_int_equal(bw_store_outbox_due(f->st, NOW + 600, NULL, 0, ids, 8, &n), BW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], m2);
    assert_int_equal(bw_store_outbox_get(f->st, m3, &m, &body), BW_OK);
    assert_string_equal(m.error, "relay unreachable");
    assert_int_equal(bw_store_outbox_get(f->st, 999, &m, &body), BW_ENOTFOUND);
    assert_int_equal(bw_store_outbox_mark(f->st, 999, BW_OUTBOX_SENT, 0, "", NOW), BW_ENOTFOUND);

    struct bw_case c;
    assert_int_equal(bw_store_case_get(f->st, cid, &c), BW_OK);
    assert_int_equal(c.n_sent, 1);
    assert_int_equal(c.n_pending, 1);
    bw_buf_cleanup(&body);
}

/* ---- the contact-ordered walk ---- */

struct names {
    size_t n;
    char contact[8][64];
    char ip[8][BW_ADDR_TEXT_MAX];
};

static int collect_walk(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                        size_t n)
{
    struct names *x = ctx;

    (void)ev;
    assert_true(n > 0);
    assert_true(x->n < 8);
    snprintf(x->contact[x->n], sizeof(x->contact[0]), "%s", d->en.contact);
    bw_addr_format(&d->addr, x->ip[x->n]);
    x->n++;
    return 0;
}

static void walk_by_contact_groups_devices_of_one_contact(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *ip, *contact;
    } devs[] = { { "81.2.69.192", "b" }, { "2.125.160.216", "a" }, { "81.2.69.142", "b" },
                 { "89.160.20.112", "" }, { "175.16.199.1", "a" } };
    struct names x = { 0 };
    int64_t rid;

    assert_int_equal(bw_store_reporter_ensure(f->st, "feed", NOW, &rid), BW_OK);
    for (size_t i = 0; i < BW_ARRAY_LEN(devs); i++) {
        struct bw_enrichment en = { .asn = 1 };
        struct bw_addr a = addr(devs[i].ip);
        struct bw_evidence e = { .reports = 1, .first_seen_s = NOW, .last_seen_s = NOW,
                                 .mass = 1, .mass_at_s = NOW, .cats = 1 };

        snprintf(en.contact, sizeof(en.contact), "%s", devs[i].contact);
        assert_int_equal(bw_store_device_create(f->st, &a, NOW, &en), BW_OK);
        assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    }
    assert_int_equal(bw_store_device_walk_contact(f->st, NULL, 0, collect_walk, &x), BW_OK);
    assert_int_equal(x.n, 4); /* the device without a contact is not visited */
    assert_string_equal(x.contact[0], "a");
    assert_string_equal(x.ip[0], "2.125.160.216");
    assert_string_equal(x.ip[1], "175.16.199.1");
    assert_string_equal(x.contact[2], "b");
    assert_string_equal(x.ip[2], "81.2.69.142");
    assert_string_equal(x.ip[3], "81.2.69.192");
    memset(&x, 0, sizeof(x));
    assert_int_equal(bw_store_device_walk_contact(f->st, "b", 0, collect_walk, &x), BW_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.ip[0], "81.2.69.142");
    memset(&x, 0, sizeof(x));
    assert_int_equal(bw_store_device_walk_contact(f->st, "a", NOW + 1, collect_walk, &x), BW_OK);
    assert_int_equal(x.n, 0); /* since */
}

/* ---- measures ---- */

struct stats {
    size_t n;
    char key[8][16];
    struct bw_case_stats s[8];
};

static int collect_stats(void *ctx, const struct bw_case_stats *s)
{
    struct stats *x = ctx;

    assert_true(x->n < 8);
    snprintf(x->key[x->n], sizeof(x->key[0]), "%s", s->key);
    x->s[x->n] = *s;
    x->s[x->n].key = NULL;
    x->n++;
    return 0;
}

static void stats_per_contact_and_asn(void **state)
{
    struct fx *f = *state;
    int64_t a1 = new_case(f->st, "aaisp", BW_CASE_PENDING);
    int64_t t1 = new_case(f->st, "transit", BW_CASE_PENDING);
    struct stats x = { 0 };
    struct bw_case c;

    /* aaisp: sent at NOW, acknowledged 10 h later, remediated 48 h after opening, closed */
    assert_int_equal(bw_store_case_get(f->st, a1, &c), BW_OK);
    c.sent_s = NOW;
    assert_int_equal(bw_store_case_update(f->st, &c, NOW), BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, a1, BW_CASE_OPEN, "b", "", NOW), BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, a1, BW_CASE_ACKNOWLEDGED, "b", "",
                                              NOW + 10 * H), BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, a1, BW_CASE_REMEDIATED, "b", "",
                                              NOW + 48 * H), BW_OK);
    assert_int_equal(bw_store_case_transition(f->st, a1, BW_CASE_CLOSED, "b", "", NOW + 48 * H),
                     BW_OK);
    /* a second aaisp case, escalated and past due */
    int64_t a2 = new_case(f->st, "aaisp", BW_CASE_OPEN);
    assert_int_equal(bw_store_case_transition(f->st, a2, BW_CASE_ESCALATED, "b", "", NOW),
                     BW_OK);
    /* transit: pending, not due yet at NOW + 1 h */
    (void)t1;
    assert_int_equal(bw_store_case_stats(f->st, false, NOW + H, collect_stats, &x), BW_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.key[0], "aaisp");
    assert_int_equal(x.s[0].cases, 2);
    assert_int_equal(x.s[0].open, 1);
    assert_int_equal(x.s[0].overdue, 0);
    assert_int_equal(x.s[0].escalations, 1);
    assert_int_equal(x.s[0].acknowledged, 1);
    assert_int_equal(x.s[0].remediated, 1);
    assert_true(x.s[0].ack_mean_s == 10.0 * H);
    assert_true(x.s[0].remediate_mean_s == 48.0 * H);
    assert_string_equal(x.key[1], "transit");
    assert_true(x.s[1].ack_mean_s < 0);
    memset(&x, 0, sizeof(x));
    assert_int_equal(bw_store_case_stats(f->st, false, NOW + 100 * H, collect_stats, &x), BW_OK);
    assert_int_equal(x.s[0].overdue, 1);
    assert_int_equal(x.s[1].overdue, 1);
    memset(&x, 0, sizeof(x));
    assert_int_equal(bw_store_case_stats(f->st, true, NOW, collect_stats, &x), BW_OK);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.key[0], "AS20712");
    assert_int_equal(x.s[0].cases, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_transition_table),
        cmocka_unit_test_setup_teardown(create_get_and_the_one_active_case_per_contact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(transitions_follow_the_diagram_and_are_recorded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(update_writes_the_fields_that_move_without_a_transition,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(ack_token_checks_in_constant_time_against_the_secret,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(list_filters_by_state_contact_and_deadline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(case_devices_put_list_and_find, setup, teardown),
        cmocka_unit_test_setup_teardown(large_payloads_are_stored_deflated, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_queues_once_per_key_and_delivers_by_claim, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(walk_by_contact_groups_devices_of_one_contact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stats_per_contact_and_asn, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
