/*
 * cli/cmd_delist.c - the administrator's side of delisting requests: list them, accept or
 * reject one. Requests arrive through POST /api/v1/delist (http/api.c); the decision and who
 * made it are recorded, and an accepted one resets the device's decayed evidence so that only
 * new reports can list it again (store.h, docs/scoring.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

static void delist_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch delist list [--state pending|accepted|rejected|all] [--json]\n"
            "       botwatch delist accept ID [--note TEXT]\n"
            "       botwatch delist reject ID [--note TEXT]\n"
            "\n"
            "Delisting requests come in through POST /api/v1/delist. Accepting one records the\n"
            "decision and sets the device's decayed evidence to zero from now on: it is no longer\n"
            "listed, its history stays, and new reports can list it again. Rejecting records the\n"
            "decision only. 'list' shows pending requests unless --state says otherwise.\n");
}

static json_t *delist_json(const struct bw_delist *d)
{
    char ip[BW_ADDR_TEXT_MAX], t[BW_TIME_TEXT_MAX], u[BW_TIME_TEXT_MAX];
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)d->id, "ip",
                          bw_addr_format(&d->addr, ip), "state", bw_delist_state_name(d->state),
                          "reason", d->reason, "contact", d->contact, "requested_by",
                          d->requested_by, "requested", bw_time_format(d->requested_s, t));

    if (d->state != BW_DELIST_PENDING) {
        json_object_set_new(o, "decided_by", json_string(d->decided_by));
        json_object_set_new(o, "decided", json_string(bw_time_format(d->decided_s, u)));
        json_object_set_new(o, "note", json_string(d->note));
    }
    return o;
}

static int print_delist(void *ctx, const struct bw_delist *d)
{
    json_t *arr = ctx;
    char ip[BW_ADDR_TEXT_MAX], t[BW_TIME_TEXT_MAX];

    if (arr != NULL) {
        json_array_append_new(arr, delist_json(d));
        return 0;
    }
    printf("%-6lld %-9s %-39s %s  %s <%s>\n", (long long)d->id, bw_delist_state_name(d->state),
           bw_addr_format(&d->addr, ip), bw_time_format(d->requested_s, t), d->reason,
           d->contact);
    return 0;
}

static int delist_list(struct bw_cli *cli, int state, bool json)
{
    json_t *arr = json ? json_array() : NULL;
    struct bw_store *st;
    int rc;

    if (bw_cli_open_store(cli, &st) != BW_OK) {
        json_decref(arr);
        return BW_EXIT_FAIL;
    }
    rc = bw_store_delist_list(st, state, print_delist, arr);
    if (rc == BW_OK && arr != NULL) {
        json_dumpf(arr, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (rc != BW_OK)
        bw_cli_error("delist", "cannot read the requests: %s", bw_store_errmsg(st));
    json_decref(arr);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

/* Who decided: the operator's login name when known. */
static void decider(char *out, size_t cap)
{
    const char *u = getenv("SUDO_USER");

    if (u == NULL || u[0] == '\0')
        u = getenv("USER");
    snprintf(out, cap, "cli:%s", u != NULL && u[0] != '\0' ? u : "operator");
}

static int delist_decide(struct bw_cli *cli, const char *verb, const char *id_text,
                         const char *note)
{
    bool accept = strcmp(verb, "accept") == 0;
    struct bw_store *st;
    struct bw_delist d;
    char *end, by[BW_NAME_MAX], ip[BW_ADDR_TEXT_MAX];
    long long id;
    int rc;

    errno = 0;
    id = strtoll(id_text, &end, 10);
    if (errno != 0 || end == id_text || *end != '\0' || id <= 0) {
        bw_cli_error("delist", "\"%s\" is not a request id", id_text);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    decider(by, sizeof(by));
    rc = bw_store_delist_decide(st, id, accept, by, note, bw_time_now());
    if (rc == BW_OK)
        rc = bw_store_delist_get(st, id, &d);
    switch (rc) {
    case BW_OK:
        printf("request %lld for %s %s\n", id, bw_addr_format(&d.addr, ip),
               accept ? "accepted: its evidence so far no longer counts" : "rejected");
        break;
    case BW_ENOTFOUND:
        bw_cli_error("delist", "no request %lld", id);
        break;
    case BW_ECONFLICT:
        if (bw_store_delist_get(st, id, &d) == BW_OK)
            bw_cli_error("delist", "request %lld was already %s by %s", id,
                         bw_delist_state_name(d.state), d.decided_by);
        else
            bw_cli_error("delist", "request %lld was already decided", id);
        break;
    default:
        bw_cli_error("delist", "cannot record the decision: %s", bw_store_errmsg(st));
        break;
    }
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

int bw_cmd_delist(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, NULL, 's' },
        { "note", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *note = "", *verb;
    int state = BW_DELIST_PENDING, c;
    bool json = false;

    if (bw_cli_wants_help(argc, argv)) {
        delist_usage(stdout);
        return BW_EXIT_OK;
    }
    while ((c = getopt_long(argc, argv, "s:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (bw_delist_state_parse(&state, optarg) != BW_OK) {
                bw_cli_error("delist", "unknown state \"%s\" (pending, accepted, rejected or "
                                       "all)", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'n': note = optarg; break;
        case 'j': json = true; break;
        default: delist_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        delist_usage(stderr);
        return BW_EXIT_USAGE;
    }
    verb = argv[optind++];
    if (strcmp(verb, "list") == 0) {
        if (optind != argc) {
            bw_cli_error("delist", "list takes no arguments");
            return BW_EXIT_USAGE;
        }
        return delist_list(cli, state, json);
    }
    if (strcmp(verb, "accept") != 0 && strcmp(verb, "reject") != 0) {
        bw_cli_error("delist", "unknown action \"%s\" (list, accept or reject)", verb);
        return BW_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        bw_cli_error("delist", "%s takes one request ID", verb);
        return BW_EXIT_USAGE;
    }
    return delist_decide(cli, verb, argv[optind], note);
}
