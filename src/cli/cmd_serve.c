/*
 * cli/cmd_serve.c - botwatch serve (the HTTP API) and botwatch key (its API keys).
 * The keys live in "<db>.keys" beside the database (see http/http.h); serve rereads that
 * file when it changes, so keys added or revoked while it runs take effect at once.
 */
#include <ctype.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli/cli.h"
#include "http/http.h"

/* ---- serve ---- */

static void serve_usage(FILE *out)
{
    fprintf(out, "usage: botwatch serve [--http ADDR:PORT] [--dns ADDR:PORT] [--threads N]\n"
                 "                      [--max-body BYTES] [--rate N] [--no-fsync]\n"
                 "\n"
                 "Serves the HTTP API (docs/api.md): the native API under /api/v1, the\n"
                 "AbuseIPDB v2 shape under /api/v2, CrowdSec bouncer decisions under /v1,\n"
                 "/healthz and /metrics. Default address %s; the body cap defaults to\n"
                 "16 MiB. --rate N limits each client address and each key to N requests\n"
                 "a second (bursts of 2N; over it: 429 with Retry-After); 0, the default,\n"
                 "is no limit. API keys: 'botwatch key'. --dns also serves the DNSBL\n"
                 "(docs/dnsbl.md) from a snapshot of the store that follows its changes\n"
                 "within a second. Reports sent over HTTP are on stable storage before the\n"
                 "server answers 202; --no-fsync answers once they are committed to the\n"
                 "operating system (a power loss may lose the last ones; faster). With\n"
                 "[notify] interval set, it also runs a notification cycle that often\n"
                 "(docs/notify.md). Stops on SIGINT or SIGTERM.\n",
            BW_HTTP_LISTEN_DEFAULT);
}

int bw_cmd_serve(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "http", required_argument, NULL, 'a' },
        { "threads", required_argument, NULL, 't' },
        { "max-body", required_argument, NULL, 'b' },
        { "rate", required_argument, NULL, 'r' },
        { "no-fsync", no_argument, NULL, 'F' },
        { "dns", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_http_config hc = { .listen = BW_HTTP_LISTEN_DEFAULT };
    struct bw_cli_live *live = NULL;
    struct bw_cli_notifier *notifier = NULL;
    const char *dns = NULL;
    struct bw_cli_enricher ce;
    struct bw_store *st;
    struct bw_http *h;
    struct bw_diag d = { "" };
    sigset_t set;
    uint64_t v;
    int c, sig = 0;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': hc.listen = optarg; break;
        case 'd': dns = optarg; break;
        case 't':
            if (bw_cli_parse_u64(optarg, 1, 256, &v) != BW_OK) {
                bw_cli_error("serve", "--threads \"%s\" is not 1-256", optarg);
                return BW_EXIT_USAGE;
            }
            hc.threads = (unsigned)v;
            break;
        case 'b':
            if (bw_cli_parse_u64(optarg, 1024, 1u << 30, &v) != BW_OK) {
                bw_cli_error("serve", "--max-body \"%s\" is not 1024-1073741824", optarg);
                return BW_EXIT_USAGE;
            }
            hc.max_body = (size_t)v;
            break;
        case 'r':
            if (bw_cli_parse_u64(optarg, 0, 1000000, &v) != BW_OK) {
                bw_cli_error("serve", "--rate \"%s\" is not 0-1000000", optarg);
                return BW_EXIT_USAGE;
            }
            hc.rate_per_s = (double)v;
            break;
        case 'F': hc.no_fsync = true; break;
        case 'h': serve_usage(stdout); return BW_EXIT_OK;
        default: serve_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        serve_usage(stderr);
        return BW_EXIT_USAGE;
    }
    /* the server's threads inherit this mask: the signals reach sigwait() below only */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* the DNSBL first: its sockets are bound before anything slow happens */
    if (dns != NULL && bw_cli_live_start(cli, dns, &live) != BW_OK)
        return BW_EXIT_FAIL;
    if (bw_cli_open_store(cli, &st) != BW_OK) {
        bw_cli_live_stop(live);
        return BW_EXIT_FAIL;
    }
    if (bw_cli_enricher_open(cli, st, BW_SRC_ALL, &ce) != BW_OK) {
        bw_store_close(st);
        bw_cli_live_stop(live);
        return BW_EXIT_FAIL;
    }
    bw_store_close(st);
    hc.db_path = cli->db_path;
    hc.policy = cli->conf.policy;
    hc.enricher = &ce.en;
    if (bw_http_start(&h, &hc, &d) != BW_OK) {
        bw_cli_error("serve", "%s", d.msg);
        bw_cli_live_stop(live);
        bw_cli_enricher_close(&ce);
        return BW_EXIT_FAIL;
    }
    fprintf(stderr, "botwatch: serve: listening on http://%s (port %u), database %s\n",
            hc.listen, bw_http_port(h), cli->db_path);
    if (bw_cli_notifier_start(cli, &notifier) != BW_OK)
        bw_log_warn("serve: the notification schedule did not start");
    else if (notifier != NULL)
        fprintf(stderr, "botwatch: serve: notification cycle every %llds\n",
                (long long)cli->conf.notify.interval_s);
    sigwait(&set, &sig);
    fprintf(stderr, "botwatch: serve: stopping (signal %d)\n", sig);
    bw_cli_notifier_stop(notifier);
    bw_http_stop(h);
    bw_cli_live_stop(live);
    bw_cli_enricher_close(&ce);
    return BW_EXIT_OK;
}

/* ---- key ---- */

static void key_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch key add NAME --role ROLE [--asn N]... [--country CC]... [--json]\n"
            "       botwatch key list [--json]\n"
            "       botwatch key revoke NAME      (also: remove)\n"
            "\n"
            "API keys for 'botwatch serve'. Roles: reporter (submits reports), bouncer\n"
            "(pulls lists and the decisions stream), isp (full evidence for devices in its\n"
            "ASNs), cert (the same for its countries), admin (everything). The key is\n"
            "printed once; only its hash is kept, in DB.keys (mode 0600).\n");
}

static int add_asns(struct bw_key *k, const char *s)
{
    char *copy = bw_xstrdup(s), *p = copy;

    while (*p != '\0') {
        char *comma = strchr(p, ',');
        uint64_t v;

        if (comma != NULL)
            *comma = '\0';
        if (strncasecmp(p, "AS", 2) == 0)
            p += 2;
        if (bw_cli_parse_u64(p, 1, UINT32_MAX, &v) != BW_OK || k->n_asns == BW_KEY_SCOPE_MAX) {
            free(copy);
            return BW_EMALFORMED;
        }
        k->asns[k->n_asns++] = (uint32_t)v;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    free(copy);
    return BW_OK;
}

static int add_countries(struct bw_key *k, const char *s)
{
    for (const char *p = s; *p != '\0';) {
        if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
            (p[2] != '\0' && p[2] != ',') || k->n_countries == BW_KEY_SCOPE_MAX)
            return BW_EMALFORMED;
        k->countries[k->n_countries][0] = (char)toupper((unsigned char)p[0]);
        k->countries[k->n_countries][1] = (char)toupper((unsigned char)p[1]);
        k->countries[k->n_countries++][2] = '\0';
        p += p[2] == ',' ? 3 : 2;
    }
    return BW_OK;
}

static int key_add(struct bw_cli *cli, const char *path, int argc, char **argv)
{
    static const struct option opts[] = {
        { "role", required_argument, NULL, 'r' },
        { "asn", required_argument, NULL, 'a' },
        { "country", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_key k = { .created_s = cli->now_s };
    char text[BW_KEY_TEXT_LEN + 1];
    struct bw_diag d = { "" };
    bool json = false, have_role = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (bw_key_role_parse(&k.role, optarg) != BW_OK) {
                bw_cli_error("key", "role \"%s\" is not reporter, bouncer, isp, cert or admin",
                             optarg);
                return BW_EXIT_USAGE;
            }
            have_role = true;
            break;
        case 'a':
            if (add_asns(&k, optarg) != BW_OK) {
                bw_cli_error("key", "--asn \"%s\" is not an AS number", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'c':
            if (add_countries(&k, optarg) != BW_OK) {
                bw_cli_error("key", "--country \"%s\" is not a two-letter code", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'j': json = true; break;
        default: key_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    /* "--asn 1 2 3": numbers after the options are more ASNs */
    if (optind >= argc || !have_role) {
        bw_cli_error("key", "add needs a NAME and --role");
        return BW_EXIT_USAGE;
    }
    snprintf(k.name, sizeof(k.name), "%s", argv[optind]);
    for (int i = optind + 1; i < argc; i++) {
        if (add_asns(&k, argv[i]) != BW_OK && add_countries(&k, argv[i]) != BW_OK) {
            bw_cli_error("key", "unexpected \"%s\"", argv[i]);
            return BW_EXIT_USAGE;
        }
    }
    if (strlen(argv[optind]) >= sizeof(k.name)) {
        bw_cli_error("key", "name \"%s\" is over %d bytes", argv[optind], BW_KEY_NAME_MAX - 1);
        return BW_EXIT_USAGE;
    }
    rc = bw_keys_add(path, &k, text, &d);
    if (rc != BW_OK) {
        bw_cli_error("key", "%s", d.msg);
        return rc == BW_EINVAL || rc == BW_ECONFLICT ? BW_EXIT_USAGE : BW_EXIT_FAIL;
    }
    if (json)
        printf("{\"name\":\"%s\",\"role\":\"%s\",\"key\":\"%s\"}\n", k.name,
               bw_key_role_name(k.role), text);
    else
        printf("%s\n(key \"%s\", role %s: shown once, keep it now)\n", text, k.name,
               bw_key_role_name(k.role));
    return BW_EXIT_OK;
}

static int key_list(const char *path, int argc, char **argv)
{
    struct bw_keys *ks;
    struct bw_diag d = { "" };
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    json_t *arr = json_array();

    if (bw_keys_load(&ks, path, &d) != BW_OK) {
        bw_cli_error("key", "%s", d.msg);
        json_decref(arr);
        return BW_EXIT_FAIL;
    }
    for (size_t i = 0; i < bw_keys_count(ks); i++) {
        const struct bw_key *k = bw_keys_at(ks, i);
        json_t *asns = json_array(), *ccs = json_array();
        char t[BW_TIME_TEXT_MAX];

        for (size_t j = 0; j < k->n_asns; j++)
            json_array_append_new(asns, json_integer(k->asns[j]));
        for (size_t j = 0; j < k->n_countries; j++)
            json_array_append_new(ccs, json_string(k->countries[j]));
        if (!json) {
            printf("%-24s %-9s %s", k->name, bw_key_role_name(k->role),
                   bw_time_format(k->created_s, t));
            for (size_t j = 0; j < k->n_asns; j++)
                printf(" AS%u", k->asns[j]);
            for (size_t j = 0; j < k->n_countries; j++)
                printf(" %s", k->countries[j]);
            printf("\n");
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", k->name,
                                             "role", bw_key_role_name(k->role), "asns", asns,
                                             "countries", ccs, "created",
                                             bw_time_format(k->created_s, t)));
    }
    if (json) {
        json_dumpf(arr, stdout, JSON_COMPACT);
        putchar('\n');
    }
    json_decref(arr);
    bw_keys_free(ks);
    return BW_EXIT_OK;
}

int bw_cmd_key(struct bw_cli *cli, int argc, char **argv)
{
    char path[4096];
    struct bw_diag d = { "" };
    int rc;

    if (bw_cli_wants_help(argc, argv)) {
        key_usage(stdout);
        return BW_EXIT_OK;
    }
    if (argc < 2) {
        key_usage(stderr);
        return BW_EXIT_USAGE;
    }
    if (bw_keys_path(path, sizeof(path), cli->db_path) != BW_OK) {
        bw_cli_error("key", "database path too long");
        return BW_EXIT_USAGE;
    }
    if (strcmp(argv[1], "add") == 0)
        return key_add(cli, path, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return key_list(path, argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0 || strcmp(argv[1], "remove") == 0) {
        if (argc != 3) {
            bw_cli_error("key", "%s needs exactly one NAME", argv[1]);
            return BW_EXIT_USAGE;
        }
        rc = bw_keys_remove(path, argv[2], &d);
        if (rc != BW_OK) {
            bw_cli_error("key", "%s", d.msg);
            return rc == BW_ENOTFOUND ? BW_EXIT_USAGE : BW_EXIT_FAIL;
        }
        printf("key \"%s\" revoked\n", argv[2]);
        return BW_EXIT_OK;
    }
    bw_cli_error("key", "unknown subcommand \"%s\" (add, list, revoke)", argv[1]);
    return BW_EXIT_USAGE;
}
