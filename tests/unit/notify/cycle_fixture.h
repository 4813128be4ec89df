/*
 * tests/unit/notify/cycle_fixture.h - what the tests of notification cycles share (test_cases,
 * test_outbox, test_escalate): a real SQLite store in a temporary directory with contacts,
 * a high-trust reporter and devices with reports; running a cycle; reading cases and the
 * outbox back; and Postfix's smtp-sink on a kernel-chosen loopback port (each message dumped
 * to a file), polled for readiness with bounded connect attempts, never a fixed sleep.
 */
#ifndef BW_CYCLE_FIXTURE_H
#define BW_CYCLE_FIXTURE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify/notify.h"

#define NOW INT64_C(1780315200) /* 2026-06-01T12:00:00Z */
#define HOUR INT64_C(3600)
#define DAY (24 * HOUR)

struct cfx {
    char dir[64];
    char path[128];
    struct bw_store *st;
    struct bw_contacts *contacts;
    struct bw_notify_config cf;
    struct bw_notify_sources src;
    struct bw_notify_opts o;
    struct bw_notify_result res;
    int64_t rid;
    uint64_t report_id;
    /* the SMTP sink */
    char sink_dir[96];
    pid_t sink_pid;
    uint16_t sink_port;
};

static int cfx_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline struct bw_addr cfx_addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("bad address in test: %s", s);
    return a;
}

/* isp "aaisp" (AS20712) -> upstream "transit" -> cert "cert-gb"; "noroute" has no route;
 * "hooked" only a webhook. */
#define CFX_CONTACTS                                                                           \
    "name,scope,email,webhook,role,parent\n"                                                   \
    "cert-gb,GB,cert@cert-gb.example,,cert,\n"                                                 \
    "transit,AS1299,noc@transit.example,,upstream,cert-gb\n"                                   \
    "aaisp,AS20712,abuse@aaisp.example,,isp,transit\n"                                         \
    "noroute,AS4837,,,isp,transit\n"                                                           \
    "hooked,AS3320,,http://127.0.0.1:9/hook,isp,\n"

static inline void cfx_contacts(struct cfx *f, const char *csv)
{
    struct bw_buf e;
    size_t bad = 0;

    bw_contacts_free(f->contacts);
    bw_buf_init(&e, 0);
    assert_int_equal(bw_contacts_parse(&f->contacts, csv, strlen(csv), &e, &bad), BW_OK);
    if (bad != 0)
        fail_msg("contacts: %s", e.data);
    bw_buf_cleanup(&e);
    f->src.contacts = f->contacts;
}

static inline int cfx_setup(void **state)
{
    struct cfx *f = calloc(1, sizeof(*f));
    struct bw_diag d = { "" };
    struct bw_reporter r = { .trust = BW_TRUST_HIGH, .created_s = NOW };

    if (sodium_init() < 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-notify-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/bw.db", f->dir);
    if (bw_store_open(&f->st, f->path, &d) != BW_OK)
        fail_msg("open %s: %s", f->path, d.msg);
    snprintf(r.name, sizeof(r.name), "feed");
    assert_int_equal(bw_store_reporter_put(f->st, &r), BW_OK);
    f->rid = r.id;
    bw_notify_config_default(&f->cf);
    snprintf(f->cf.from, sizeof(f->cf.from), "botwatch@registry.example");
    cfx_contacts(f, CFX_CONTACTS);
    f->report_id = 1;
    *state = f;
    return 0;
}

static inline void cfx_sink_stop(struct cfx *f)
{
    if (f->sink_pid > 0) {
        kill(f->sink_pid, SIGTERM);
        waitpid(f->sink_pid, NULL, 0);
        f->sink_pid = 0;
    }
}

static inline int cfx_teardown(void **state)
{
    struct cfx *f = *state;

    cfx_sink_stop(f);
    bw_store_close(f->st);
    bw_contacts_free(f->contacts);
    nftw(f->dir, cfx_rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* A device of contact (asn, GB) with one report at t from the high-trust feed: listed. */
static inline void cfx_report(struct cfx *f, const char *ip, const char *contact, uint32_t asn,
                              int64_t t)
{
    struct bw_addr a = cfx_addr(ip);
    struct bw_enrichment en = { .asn = asn };
    struct bw_report rep = { .addr = a, .time_s = t, .cats = 1u << BW_CAT_BRUTEFORCE,
                             .port = 22, .evidence = "Failed password for root",
                             .controller = "89.160.20.112:8080", .target = "81.2.69.1",
                             .source = "ndjson" };
    struct bw_evidence e = { .reports = 1, .first_seen_s = t, .last_seen_s = t, .mass = 1,
                             .mass_at_s = t, .cats = 1u << BW_CAT_BRUTEFORCE };
    bool inserted;

    snprintf(en.contact, sizeof(en.contact), "%s", contact);
    snprintf(en.country, sizeof(en.country), "GB");
    assert_int_equal(bw_store_device_create(f->st, &a, t, &en), BW_OK);
    assert_int_equal(bw_store_report_insert(f->st, &rep, (int64_t)f->report_id++, f->rid, t,
                                            &inserted),
                     BW_OK);
    assert_int_equal(bw_store_evidence_merge(f->st, &a, f->rid, &e), BW_OK);
}

static inline struct bw_notify_result *cfx_run(struct cfx *f, int64_t now)
{
    struct bw_diag d = { "" };

    if (bw_notify_run(f->st, &f->cf, &f->src, &f->o, now, NULL, NULL, &f->res, &d) != BW_OK)
        fail_msg("notify run: %s", d.msg);
    return &f->res;
}

static inline struct bw_case cfx_case(struct cfx *f, int64_t id)
{
    struct bw_case c;

    assert_int_equal(bw_store_case_get(f->st, id, &c), BW_OK);
    return c;
}

static inline int64_t cfx_case_of(struct cfx *f, const char *contact)
{
    struct bw_case c;

    assert_int_equal(bw_store_case_latest(f->st, contact, &c), BW_OK);
    return c.id;
}

/* ---- the outbox read back ---- */

struct cfx_msgs {
    size_t n;
    struct bw_outbox_msg m[32];
};

static int cfx_msg_one(void *ctx, const struct bw_outbox_msg *m)
{
    struct cfx_msgs *x = ctx;

    if (x->n < 32)
        x->m[x->n++] = *m;
    return 0;
}

static inline struct cfx_msgs cfx_outbox(struct cfx *f, int64_t case_id)
{
    struct cfx_msgs x = { 0 };

    assert_int_equal(bw_store_outbox_list(f->st, case_id, cfx_msg_one, &x), BW_OK);
    return x;
}

/* The payload of message id, NUL-terminated (free it). */
static inline char *cfx_payload(struct cfx *f, int64_t id)
{
    struct bw_outbox_msg m;
    struct bw_buf b;

    bw_buf_init(&b, 0);
    assert_int_equal(bw_store_outbox_get(f->st, id, &m, &b), BW_OK);
    return b.data != NULL ? b.data : strdup("");
}

/* ---- events ---- */

struct cfx_events {
    size_t n;
    char line[32][256];
};

static int cfx_event_one(void *ctx, const struct bw_case_event *e)
{
    struct cfx_events *x = ctx;

    if (x->n < 32)
        snprintf(x->line[x->n++], sizeof(x->line[0]), "%s>%s %s: %s",
                 e->from >= 0 ? bw_case_state_name((enum bw_case_state)e->from) : "",
                 bw_case_state_name(e->to), e->actor, e->note);
    return 0;
}

static inline struct cfx_events cfx_events(struct cfx *f, int64_t id)
{
    struct cfx_events x = { 0 };

    assert_int_equal(bw_store_case_events(f->st, id, cfx_event_one, &x), BW_OK);
    return x;
}

static inline bool cfx_has_event(const struct cfx_events *x, const char *needle)
{
    for (size_t i = 0; i < x->n; i++) {
        if (strstr(x->line[i], needle) != NULL)
            return true;
    }
    return false;
}

/* ---- smtp-sink ---- */

static inline uint16_t cfx_free_port(void)
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

static inline bool cfx_can_connect(uint16_t port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

    close(fd);
    return ok;
}

/* Starts smtp-sink dumping each message to sink_dir/m.*, and points the relay at it. */
static inline void cfx_sink_start(struct cfx *f)
{
    char tmpl[160], addr[32];

    if (access("/usr/sbin/smtp-sink", X_OK) != 0)
        fail_msg("/usr/sbin/smtp-sink is missing (apt-get install postfix)");
    snprintf(f->sink_dir, sizeof(f->sink_dir), "%s/mail", f->dir);
    assert_int_equal(mkdir(f->sink_dir, 0700), 0);
    f->sink_port = cfx_free_port();
    snprintf(tmpl, sizeof(tmpl), "%s/m.", f->sink_dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", f->sink_port);
    f->sink_pid = fork();
    assert_true(f->sink_pid >= 0);
    if (f->sink_pid == 0) {
        int fd = open("/dev/null", O_WRONLY);

        dup2(fd, 1);
        dup2(fd, 2);
        if (getuid() == 0) /* smtp-sink insists on dropping root */
            execl("/usr/sbin/smtp-sink", "smtp-sink", "-u", "root", "-d", tmpl, addr, "10",
                  (char *)NULL);
        else
            execl("/usr/sbin/smtp-sink", "smtp-sink", "-d", tmpl, addr, "10", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !cfx_can_connect(f->sink_port); i++)
        poll(NULL, 0, 20);
    if (!cfx_can_connect(f->sink_port))
        fail_msg("smtp-sink did not come up on %s", addr);
    assert_int_equal(bw_notify_set_relay(&f->cf, addr), BW_OK);
}

/* Messages the sink holds whose text contains needle (NULL: all). */
static inline size_t cfx_sink_count(struct cfx *f, const char *needle)
{
    DIR *dir = opendir(f->sink_dir);
    struct dirent *e;
    size_t n = 0;

    if (dir == NULL)
        return 0;
    while ((e = readdir(dir)) != NULL) {
        char path[512], buf[65536];
        FILE *fp;
        size_t len;

        if (strncmp(e->d_name, "m.", 2) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", f->sink_dir, e->d_name);
        fp = fopen(path, "rb");
        if (fp == NULL)
            continue;
        len = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[len] = '\0';
        if (needle == NULL || strstr(buf, needle) != NULL)
            n++;
    }
    closedir(dir);
    return n;
}

/* The count once it reaches want, polled for up to 10 s (the sink may finish writing a file
 * just after it answered the end of DATA). */
static inline size_t cfx_sink_wait(struct cfx *f, const char *needle, size_t want)
{
    size_t n = cfx_sink_count(f, needle);

    for (int i = 0; i < 500 && n < want; i++) {
        poll(NULL, 0, 20);
        n = cfx_sink_count(f, needle);
    }
    return n;
}

#endif
