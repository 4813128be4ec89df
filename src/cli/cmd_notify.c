/*
 * cli/cmd_notify.c - botwatch notify run (one notification cycle), botwatch case (list, show,
 * ack, fixed, stats), and the notification schedule inside serve.
 * Invariants:
 *  - `notify run` exits 0 when the cycle ran, even when deliveries failed (they are printed
 *    with their reason and stay in the outbox); 1 on a store failure, 2 on bad usage.
 *  - The schedule thread opens its own store connection for each cycle and never holds one
 *    between cycles, so it does not keep the WAL from being checkpointed.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"

/* ---- the sources a cycle reads ---- */

struct sources {
    struct bw_cli_enricher ce;
    struct bw_advisories *adv;
    struct bw_pfxset *allow;
    struct bw_notify_sources src;
};

static int sources_open(struct bw_cli *cli, struct bw_store *st, struct sources *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    rc = bw_cli_enricher_open(cli, st, BW_SRC_NETWORK | BW_SRC_CONTACTS, &s->ce);
    if (rc != BW_OK)
        return rc;
    if (s->ce.contacts == NULL) { /* stored contacts that do not seal: none are used */
        struct bw_diag d;

        s->ce.contacts = bw_contacts_new();
        if (bw_contacts_seal(s->ce.contacts, &d) != BW_OK)
            bw_panic("notify: an empty contact set does not seal");
    }
    rc = bw_cli_advisories_load(st, &s->adv);
    if (rc == BW_OK)
        rc = bw_store_allow_load(st, &s->allow);
    if (rc != BW_OK) {
        bw_cli_enricher_close(&s->ce);
        bw_advisories_free(s->adv);
        return rc;
    }
    s->src = (struct bw_notify_sources){
        .policy = &cli->conf.policy,
        .contacts = s->ce.contacts,
        .advisories = s->adv,
        .geo = s->ce.geo,
        .allow = s->allow,
    };
    return BW_OK;
}

static void sources_close(struct sources *s)
{
    bw_cli_enricher_close(&s->ce);
    bw_advisories_free(s->adv);
    bw_pfxset_free(s->allow);
}

/* ---- notify run ---- */

static void notify_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch notify run [--dry-run] [--no-send] [--contact NAME]\n"
            "                           [--smtp HOST:PORT] [--from ADDR] [--json]\n"
            "\n"
            "One notification cycle (docs/notify.md): gives each contact one case with its\n"
            "newly and still listed devices and queues the notice; marks devices without\n"
            "reports for the quiet period remediated and closes cases with nothing left;\n"
            "escalates cases not acknowledged by their deadline to the contact's parent;\n"
            "delivers what the outbox holds (SMTP, signed webhooks), retrying failures with\n"
            "backoff. Prints what it did. --dry-run changes and sends nothing; --no-send\n"
            "queues without delivering. --smtp and --from override [notify] in the config.\n"
            "Exit status 0 even when deliveries failed; 1 on a store failure.\n");
}

struct run_out {
    bool json;
    bool dry;
    json_t *events;
};

static void on_event(void *ctx, const struct bw_notify_event *e)
{
    struct run_out *o = ctx;
    const char *name = bw_notify_event_name(e->kind);

    if (o->json) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", name, "contact", e->contact,
                               "dest", e->dest, "detail", e->detail);

        if (e->case_id > 0)
            json_object_set_new(ev, "case", json_integer(e->case_id));
        if (e->n > 0)
            json_object_set_new(ev, "devices", json_integer((json_int_t)e->n));
        json_array_append_new(o->events, ev);
        return;
    }
    printf("notify: %s", o->dry ? "(dry run) " : "");
    if (e->case_id > 0)
        printf("case %lld ", (long long)e->case_id);
    switch (e->kind) {
    case BW_NEV_SENT:
    case BW_NEV_RETRY:
    case BW_NEV_FAILED:
        printf("%s %s: %s\n", name, e->dest, e->detail);
        break;
    default:
        printf("%s, %s: %s\n", name, e->contact, e->detail);
        break;
    }
}

static json_t *result_json(const struct bw_notify_result *r, bool dry)
{
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:I, s:I}",
                     "dry_run", dry, "devices_listed", (json_int_t)r->devices_listed,
                     "devices_new", (json_int_t)r->devices_new, "devices_relapsed",
                     (json_int_t)r->devices_relapsed, "devices_unknown_contact",
                     (json_int_t)r->devices_unknown, "devices_remediated",
                     (json_int_t)r->devices_remediated, "cases_opened",
                     (json_int_t)r->cases_opened, "cases_updated", (json_int_t)r->cases_updated,
                     "cases_reopened", (json_int_t)r->cases_reopened, "cases_closed",
                     (json_int_t)r->cases_closed, "escalations", (json_int_t)r->escalations,
                     "overdue", (json_int_t)r->overdue, "no_route", (json_int_t)r->no_route,
                     "queued", (json_int_t)r->queued, "sent", (json_int_t)r->sent, "retrying",
                     (json_int_t)r->retrying, "failed", (json_int_t)r->failed, "pending",
                     (json_int_t)r->pending, "seconds", (json_int_t)0);
}

static int notify_run(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "no-send", no_argument, NULL, 'q' },
        { "contact", required_argument, NULL, 'c' },
        { "smtp", required_argument, NULL, 's' },
        { "from", required_argument, NULL, 'f' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_notify_config cf = cli->conf.notify;
    struct bw_notify_opts o = { 0 };
    struct run_out out = { 0 };
    struct bw_notify_result res;
    struct bw_diag d = { "" };
    struct sources s;
    struct bw_store *st;
    struct timespec t0, t1;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o.dry_run = true; break;
        case 'q': o.no_send = true; break;
        case 'c': o.contact = optarg; break;
        case 's':
            if (bw_notify_set_relay(&cf, optarg) != BW_OK) {
                bw_cli_error("notify", "--smtp \"%s\" is not HOST:PORT", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'f':
            if (bw_notify_config_set(&cf, "from", optarg) != BW_OK) {
                bw_cli_error("notify", "--from \"%s\" is not an e-mail address", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'j': out.json = true; break;
        case 'h': notify_usage(stdout); return BW_EXIT_OK;
        default: notify_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        bw_cli_error("notify", "unexpected \"%s\" (see 'botwatch notify --help')", argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (sources_open(cli, st, &s) != BW_OK) {
        bw_cli_error("notify", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    if (o.contact != NULL && bw_contacts_by_name(s.src.contacts, o.contact) == NULL) {
        bw_cli_error("notify", "no contact named \"%s\"", o.contact);
        sources_close(&s);
        bw_store_close(st);
        return BW_EXIT_USAGE;
    }
    out.dry = o.dry_run;
    out.events = json_array();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = bw_notify_run(st, &cf, &s.src, &o, cli->now_s, on_event, &out, &res, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sources_close(&s);
    bw_store_close(st);
    if (rc != BW_OK) {
        bw_cli_error("notify", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        json_decref(out.events);
        return BW_EXIT_FAIL;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (out.json) {
        json_t *j = result_json(&res, o.dry_run);

        json_object_set_new(j, "seconds", json_real(secs));
        json_object_set(j, "events", out.events);
        json_dumpf(j, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(j);
    } else {
        printf("notify: %s%llu listed devices with a contact (%llu new, %llu came back, %llu "
               "remediated, %llu of unknown contacts); cases: %llu opened, %llu updated, %llu "
               "reopened, %llu closed, %llu escalated, %llu overdue, %llu without a route; "
               "messages: %llu queued, %llu sent, %llu retrying, %llu failed, %llu pending; "
               "%.2f s\n",
               o.dry_run ? "(dry run, nothing changed or sent) " : "",
               (unsigned long long)res.devices_listed, (unsigned long long)res.devices_new,
               (unsigned long long)res.devices_relapsed,
               (unsigned long long)res.devices_remediated, (unsigned long long)res.devices_unknown,
               (unsigned long long)res.cases_opened, (unsigned long long)res.cases_updated,
               (unsigned long long)res.cases_reopened, (unsigned long long)res.cases_closed,
               (unsigned long long)res.escalations, (unsigned long long)res.overdue,
               (unsigned long long)res.no_route, (unsigned long long)res.queued,
               (unsigned long long)res.sent, (unsigned long long)res.retrying,
               (unsigned long long)res.failed, (unsigned long long)res.pending, secs);
    }
    json_decref(out.events);
    return BW_EXIT_OK;
}

int bw_cmd_notify(struct bw_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return notify_run(cli, argc - 1, argv + 1);
    if (bw_cli_wants_help(argc, argv)) {
        notify_usage(stdout);
        return BW_EXIT_OK;
    }
    if (argc < 2)
        bw_cli_error("notify", "which action? (run)");
    else
        bw_cli_error("notify", "unknown action \"%s\" (run)", argv[1]);
    return BW_EXIT_USAGE;
}

/* ---- case ---- */

static void case_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch case list [--state STATE] [--contact NAME] [--json]\n"
            "       botwatch case show ID [--json]\n"
            "       botwatch case ack ID\n"
            "       botwatch case fixed ID [IP...]\n"
            "       botwatch case stats [--json]\n"
            "\n"
            "Notification cases (docs/notify.md). States: pending, open, escalated, overdue,\n"
            "acknowledged, remediated, closed. ack acknowledges for the network; fixed marks\n"
            "the devices given (all when none) fixed, which closes the case when nothing is\n"
            "left; stats prints the measures per contact and per ASN: cases, open, overdue,\n"
            "escalations, time to acknowledge and to remediate.\n");
}

static void put_time(json_t *o, const char *key, int64_t t)
{
    char buf[BW_TIME_TEXT_MAX];

    json_object_set_new(o, key, t > 0 ? json_string(bw_time_format(t, buf)) : json_null());
}

static json_t *case_json(const struct bw_case *c, int64_t now_s)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:I}", "id", (json_int_t)c->id,
                          "contact", c->contact, "state", bw_case_state_name(c->state),
                          "level_contact", c->level_contact, "level", c->level, "scope",
                          c->scope, "asn", (json_int_t)c->asn);

    put_time(o, "created", c->created_s);
    put_time(o, "sent", c->sent_s);
    put_time(o, "due", c->due_s);
    put_time(o, "acknowledged", c->acked_s);
    put_time(o, "remediated", c->remediated_s);
    put_time(o, "closed", c->closed_s);
    put_time(o, "updated", c->updated_s);
    json_object_set_new(o, "overdue",
                        json_boolean((c->state == BW_CASE_PENDING || c->state == BW_CASE_OPEN ||
                                      c->state == BW_CASE_ESCALATED ||
                                      c->state == BW_CASE_OVERDUE) &&
                                     c->due_s > 0 && c->due_s <= now_s));
    json_object_set_new(o, "escalations", json_integer(c->n_escalations));
    json_object_set_new(o, "devices", json_integer(c->n_devices));
    json_object_set_new(o, "active_devices", json_integer(c->n_active));
    json_object_set_new(o, "notices", json_integer(c->notices));
    json_object_set_new(o, "messages",
                        json_pack("{s:i, s:i, s:i}", "pending", (int)c->n_pending, "sent",
                                  (int)c->n_sent, "failed", (int)c->n_failed));
    json_object_set_new(o, "reason", json_string(c->reason));
    return o;
}

struct list_ctx {
    bool json;
    json_t *arr;
    int64_t now_s;
};

static int print_case(void *ctx, const struct bw_case *c)
{
    struct list_ctx *l = ctx;
    char due[BW_TIME_TEXT_MAX];

    if (l->json) {
        json_array_append_new(l->arr, case_json(c, l->now_s));
        return 0;
    }
    printf("%-6lld %-12s %-20s L%d %-20s %4u/%-4u %-20s %s\n", (long long)c->id,
           bw_case_state_name(c->state), c->contact, c->level, c->level_contact, c->n_active,
           c->n_devices, c->due_s > 0 ? bw_time_format(c->due_s, due) : "-", c->reason);
    return 0;
}

static int case_list(struct bw_cli *cli, struct bw_store *st, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, NULL, 's' },
        { "contact", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_case_filter f = { 0 };
    struct list_ctx l = { .now_s = cli->now_s };
    enum bw_case_state s;
    int c, rc;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (bw_case_state_parse(&s, optarg) != BW_OK) {
                bw_cli_error("case", "--state \"%s\" is not pending, open, escalated, overdue, "
                             "acknowledged, remediated or closed", optarg);
                return BW_EXIT_USAGE;
            }
            f.states |= 1u << s;
            break;
        case 'c': f.contact = optarg; break;
        case 'j': l.json = true; break;
        default: case_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        bw_cli_error("case", "list: unexpected \"%s\"", argv[optind]);
        return BW_EXIT_USAGE;
    }
    l.arr = json_array();
    if (!l.json)
        printf("%-6s %-12s %-20s %-2s %-20s %9s %-20s %s\n", "ID", "STATE", "CONTACT", "LV",
               "TOLD", "ACT/DEVS", "DUE", "REASON");
    rc = bw_store_case_list(st, &f, print_case, &l);
    if (rc != BW_OK) {
        bw_cli_error("case", "%s: %s", cli->db_path, bw_store_errmsg(st));
        json_decref(l.arr);
        return BW_EXIT_FAIL;
    }
    if (l.json) {
        json_dumpf(l.arr, stdout, JSON_COMPACT);
        putchar('\n');
    }
    json_decref(l.arr);
    return BW_EXIT_OK;
}

static int parse_id(const char *s, int64_t *id)
{
    uint64_t v;

    if (s == NULL || bw_cli_parse_u64(s, 1, (uint64_t)INT64_MAX, &v) != BW_OK) {
        bw_cli_error("case", "\"%s\" is not a case ID", s != NULL ? s : "");
        return BW_EMALFORMED;
    }
    *id = (int64_t)v;
    return BW_OK;
}

static int dev_json(void *ctx, const struct bw_case_device *d)
{
    char ip[BW_ADDR_TEXT_MAX];
    json_t *o = json_pack("{s:s, s:s, s:s}", "ip", bw_addr_format(&d->addr, ip), "state",
                          bw_case_dev_state_name(d->state), "listing",
                          d->listing == BW_LISTING_NEW ? "new" : "still");

    put_time(o, "added", d->added_s);
    put_time(o, "fixed", d->fixed_s);
    json_object_set_new(o, "fixed_by", json_string(d->fixed_by));
    put_time(o, "last_report", d->last_report_s);
    json_array_append_new(ctx, o);
    return 0;
}

static int event_json(void *ctx, const struct bw_case_event *e)
{
    json_t *o = json_pack("{s:s?, s:s, s:s, s:s}", "from",
                          e->from >= 0 ? bw_case_state_name((enum bw_case_state)e->from) : NULL,
                          "to", bw_case_state_name(e->to), "actor", e->actor, "note", e->note);

    put_time(o, "time", e->time_s);
    json_object_set_new(o, "transition", json_boolean(!e->is_note));
    json_array_append_new(ctx, o);
    return 0;
}

static int msg_json(void *ctx, const struct bw_outbox_msg *m)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:s}", "key", m->key, "route",
                          m->route, "dest", m->dest, "level", m->level, "state",
                          bw_outbox_state_name(m->state), "attempts", (int)m->attempts, "error",
                          m->error);

    put_time(o, "created", m->created_s);
    put_time(o, "sent", m->sent_s);
    put_time(o, "next_attempt", m->state == BW_OUTBOX_PENDING ? m->next_s : 0);
    json_array_append_new(ctx, o);
    return 0;
}

static int case_show(struct bw_cli *cli, struct bw_store *st, int argc, char **argv)
{
    bool json = false;
    const char *id_text = NULL;
    struct bw_case c;
    int64_t id;
    json_t *o, *devs = json_array(), *events = json_array(), *msgs = json_array();
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (id_text == NULL)
            id_text = argv[i];
        else
            id_text = "";
    }
    if (parse_id(id_text, &id) != BW_OK) {
        json_decref(devs);
        json_decref(events);
        json_decref(msgs);
        return BW_EXIT_USAGE;
    }
    rc = bw_store_case_get(st, id, &c);
    if (rc == BW_OK)
        rc = bw_store_case_devices(st, id, dev_json, devs);
    if (rc == BW_OK)
        rc = bw_store_case_events(st, id, event_json, events);
    if (rc == BW_OK)
        rc = bw_store_outbox_list(st, id, msg_json, msgs);
    if (rc != BW_OK) {
        if (rc == BW_ENOTFOUND)
            bw_cli_error("case", "no case %lld", (long long)id);
        else
            bw_cli_error("case", "%s: %s", cli->db_path, bw_store_errmsg(st));
        json_decref(devs);
        json_decref(events);
        json_decref(msgs);
        return rc == BW_ENOTFOUND ? BW_EXIT_USAGE : BW_EXIT_FAIL;
    }
    o = case_json(&c, cli->now_s);
    json_object_set_new(o, "ack_token", json_string(c.ack_token));
    json_object_set_new(o, "device_list", devs);
    json_object_set_new(o, "events", events);
    json_object_set_new(o, "outbox", msgs);
    if (json) {
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
    } else {
        size_t i;
        json_t *v;

        print_case(&(struct list_ctx){ .now_s = cli->now_s }, &c);
        printf("devices:\n");
        json_array_foreach(devs, i, v)
            printf("  %-40s %-10s %-5s last report %s\n",
                   json_string_value(json_object_get(v, "ip")),
                   json_string_value(json_object_get(v, "state")),
                   json_string_value(json_object_get(v, "listing")),
                   json_is_string(json_object_get(v, "last_report"))
                       ? json_string_value(json_object_get(v, "last_report"))
                       : "-");
        printf("history:\n");
        json_array_foreach(events, i, v)
            printf("  %s %s -> %s (%s) %s\n", json_string_value(json_object_get(v, "time")),
                   json_is_string(json_object_get(v, "from"))
                       ? json_string_value(json_object_get(v, "from"))
                       : "-",
                   json_string_value(json_object_get(v, "to")),
                   json_string_value(json_object_get(v, "actor")),
                   json_string_value(json_object_get(v, "note")));
        printf("messages:\n");
        json_array_foreach(msgs, i, v)
            printf("  %s %s %s %s (%d attempts) %s\n",
                   json_string_value(json_object_get(v, "key")),
                   json_string_value(json_object_get(v, "route")),
                   json_string_value(json_object_get(v, "dest")),
                   json_string_value(json_object_get(v, "state")),
                   (int)json_integer_value(json_object_get(v, "attempts")),
                   json_string_value(json_object_get(v, "error")));
    }
    json_decref(o);
    return BW_EXIT_OK;
}

static int case_ack(struct bw_cli *cli, struct bw_store *st, int argc, char **argv)
{
    struct bw_diag d = { "" };
    int64_t id;
    int rc;

    if (argc != 2 || parse_id(argv[1], &id) != BW_OK) {
        if (argc != 2)
            bw_cli_error("case", "ack takes one ID");
        return BW_EXIT_USAGE;
    }
    rc = bw_notify_case_ack(st, id, "operator", cli->now_s, &d);
    if (rc != BW_OK) {
        bw_cli_error("case", "%s", d.msg);
        return rc == BW_ENOTFOUND || rc == BW_ECONFLICT ? BW_EXIT_USAGE : BW_EXIT_FAIL;
    }
    printf("case %lld acknowledged\n", (long long)id);
    return BW_EXIT_OK;
}

static int case_fixed(struct bw_cli *cli, struct bw_store *st, int argc, char **argv)
{
    struct bw_addr *addrs;
    struct bw_diag d = { "" };
    size_t n = argc > 2 ? (size_t)argc - 2 : 0, n_fixed = 0;
    bool closed = false;
    int64_t id;
    int rc;

    if (argc < 2 || parse_id(argv[1], &id) != BW_OK) {
        if (argc < 2)
            bw_cli_error("case", "fixed takes an ID, then addresses (none: all devices)");
        return BW_EXIT_USAGE;
    }
    addrs = bw_xcalloc(n + 1, sizeof(addrs[0]));
    for (size_t i = 0; i < n; i++) {
        if (bw_addr_parse(&addrs[i], argv[i + 2], strlen(argv[i + 2])) != BW_OK) {
            bw_cli_error("case", "\"%s\" is not an IP address", argv[i + 2]);
            free(addrs);
            return BW_EXIT_USAGE;
        }
    }
    rc = bw_notify_case_fixed(st, id, addrs, n, "operator", cli->now_s, &n_fixed, &closed, &d);
    free(addrs);
    if (rc != BW_OK) {
        bw_cli_error("case", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return rc == BW_ENOTFOUND || rc == BW_ECONFLICT ? BW_EXIT_USAGE : BW_EXIT_FAIL;
    }
    printf("case %lld: %zu device%s marked fixed%s\n", (long long)id, n_fixed,
           n_fixed == 1 ? "" : "s", closed ? "; every device is fixed or remediated: closed" : "");
    return BW_EXIT_OK;
}

struct stats_ctx {
    bool json;
    json_t *arr;
};

static json_t *secs_or_null(double s)
{
    return s < 0 ? json_null() : json_real(s);
}

static int print_stats(void *ctx, const struct bw_case_stats *s)
{
    struct stats_ctx *x = ctx;

    if (x->json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "key", s->key, "cases",
                              (json_int_t)s->cases, "open", (json_int_t)s->open, "overdue",
                              (json_int_t)s->overdue, "escalations", (json_int_t)s->escalations,
                              "acknowledged", (json_int_t)s->acknowledged, "remediated",
                              (json_int_t)s->remediated);

        json_object_set_new(o, "ack_mean_s", secs_or_null(s->ack_mean_s));
        json_object_set_new(o, "remediate_mean_s", secs_or_null(s->remediate_mean_s));
        json_array_append_new(x->arr, o);
        return 0;
    }
    printf("  %-24s %6llu %6llu %7llu %6llu %6llu %6llu ", s->key,
           (unsigned long long)s->cases, (unsigned long long)s->open,
           (unsigned long long)s->overdue, (unsigned long long)s->escalations,
           (unsigned long long)s->acknowledged, (unsigned long long)s->remediated);
    if (s->ack_mean_s >= 0)
        printf("%9.1fh ", s->ack_mean_s / 3600);
    else
        printf("%10s ", "-");
    if (s->remediate_mean_s >= 0)
        printf("%9.1fh\n", s->remediate_mean_s / 3600);
    else
        printf("%10s\n", "-");
    return 0;
}

static int case_stats(struct bw_cli *cli, struct bw_store *st, int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    struct stats_ctx by_contact = { .json = json, .arr = json_array() };
    struct stats_ctx by_asn = { .json = json, .arr = json_array() };
    int rc;

    if (argc > 2 || (argc == 2 && !json)) {
        bw_cli_error("case", "usage: botwatch case stats [--json]");
        json_decref(by_contact.arr);
        json_decref(by_asn.arr);
        return BW_EXIT_USAGE;
    }
    if (!json)
        printf("per contact:\n  %-24s %6s %6s %7s %6s %6s %6s %10s %10s\n", "CONTACT", "CASES",
               "OPEN", "OVERDUE", "ESCAL", "ACKED", "REMED", "TO-ACK", "TO-REMED");
    rc = bw_store_case_stats(st, false, cli->now_s, print_stats, &by_contact);
    if (rc == BW_OK && !json)
        printf("per ASN:\n  %-24s %6s %6s %7s %6s %6s %6s %10s %10s\n", "ASN", "CASES", "OPEN",
               "OVERDUE", "ESCAL", "ACKED", "REMED", "TO-ACK", "TO-REMED");
    if (rc == BW_OK)
        rc = bw_store_case_stats(st, true, cli->now_s, print_stats, &by_asn);
    if (rc != BW_OK) {
        bw_cli_error("case", "%s: %s", cli->db_path, bw_store_errmsg(st));
    } else if (json) {
        json_t *o = json_pack("{s:O, s:O}", "contacts", by_contact.arr, "asns", by_asn.arr);

        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    }
    json_decref(by_contact.arr);
    json_decref(by_asn.arr);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

int bw_cmd_case(struct bw_cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct bw_cli *, struct bw_store *, int, char **);
    } actions[] = {
        { "list", case_list }, { "show", case_show },   { "ack", case_ack },
        { "fixed", case_fixed }, { "stats", case_stats },
    };
    struct bw_store *st;

    if (bw_cli_wants_help(argc, argv)) {
        case_usage(stdout);
        return BW_EXIT_OK;
    }
    if (argc < 2) {
        case_usage(stderr);
        return BW_EXIT_USAGE;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(actions); i++) {
        int rc;

        if (strcmp(argv[1], actions[i].name) != 0)
            continue;
        if (bw_cli_open_store(cli, &st) != BW_OK)
            return BW_EXIT_FAIL;
        rc = actions[i].run(cli, st, argc - 1, argv + 1);
        bw_store_close(st);
        return rc;
    }
    bw_cli_error("case", "unknown action \"%s\" (list, show, ack, fixed or stats)", argv[1]);
    return BW_EXIT_USAGE;
}

/* ---- the schedule inside serve ---- */

struct bw_cli_notifier {
    struct bw_cli *cli;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void cycle_once(struct bw_cli *cli)
{
    struct bw_notify_result res;
    struct bw_diag d = { "" };
    struct sources s;
    struct bw_store *st;
    struct bw_diag od = { "" };
    int rc = bw_store_open(&st, cli->db_path, &od);

    if (rc != BW_OK) {
        bw_log_err("notify: cycle skipped (%s)", od.msg);
        return;
    }
    bw_store_set_half_life(st, cli->conf.policy.half_life_s);
    rc = sources_open(cli, st, &s);
    if (rc == BW_OK) {
        rc = bw_notify_run(st, &cli->conf.notify, &s.src, NULL, bw_time_now(), NULL, NULL, &res,
                           &d);
        sources_close(&s);
    } else {
        snprintf(d.msg, sizeof(d.msg), "%s", bw_store_errmsg(st));
    }
    bw_store_close(st);
    if (rc != BW_OK) {
        bw_log_err("notify: cycle failed (%s)", d.msg);
        return;
    }
    bw_log_info("notify: cycle: %llu cases opened, %llu updated, %llu escalated, %llu sent, "
                "%llu retrying, %llu failed, %llu pending",
                (unsigned long long)res.cases_opened, (unsigned long long)res.cases_updated,
                (unsigned long long)res.escalations, (unsigned long long)res.sent,
                (unsigned long long)res.retrying, (unsigned long long)res.failed,
                (unsigned long long)res.pending);
    if (res.retrying > 0 || res.failed > 0)
        bw_log_warn("notify: %llu deliveries to retry, %llu failed ('botwatch case list' says "
                    "why)",
                    (unsigned long long)res.retrying, (unsigned long long)res.failed);
}

static void *notifier_main(void *arg)
{
    struct bw_cli_notifier *n = arg;
    struct timespec deadline;

    pthread_mutex_lock(&n->mu);
    while (!n->stop) {
        pthread_mutex_unlock(&n->mu);
        cycle_once(n->cli);
        pthread_mutex_lock(&n->mu);
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += n->cli->conf.notify.interval_s;
        while (!n->stop && pthread_cond_timedwait(&n->cv, &n->mu, &deadline) == 0)
            ;
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

int bw_cli_notifier_start(struct bw_cli *cli, struct bw_cli_notifier **out)
{
    struct bw_cli_notifier *n;
    pthread_condattr_t ca;

    *out = NULL;
    if (cli->conf.notify.interval_s <= 0)
        return BW_OK;
    n = bw_xcalloc(1, sizeof(*n));
    n->cli = cli;
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
        pthread_cond_destroy(&n->cv);
        pthread_mutex_destroy(&n->mu);
        free(n);
        return BW_EAGAIN;
    }
    *out = n;
    return BW_OK;
}

void bw_cli_notifier_stop(struct bw_cli_notifier *n)
{
    if (n == NULL)
        return;
    pthread_mutex_lock(&n->mu);
    n->stop = true;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    pthread_join(n->thread, NULL);
    pthread_cond_destroy(&n->cv);
    pthread_mutex_destroy(&n->mu);
    free(n);
}
