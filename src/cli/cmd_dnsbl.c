/*
 * cli/cmd_dnsbl.c - botwatch dnsbl: the standalone DNS blocklist. With --snapshot it is a
 * mirror that needs no database; without, it builds a snapshot from the store at --now first.
 * SIGHUP reloads the snapshot file (a corrupt one is refused and the old one keeps serving);
 * SIGINT and SIGTERM stop it.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dnsbl/dnsbl.h"
#include "index/index.h"

/* Declared in cli.h once the command is registered; repeated here so this file stands alone. */

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

/* The adapter between the DNSBL and the index: pin the index in service for one lookup. */
static bool index_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    struct bw_index_ref *ref = ctx;
    const struct bw_index *ix = bw_index_ref_get(ref);
    struct bw_index_entry e;
    bool hit = bw_index_lookup(ix, a, &e);

    bw_index_ref_put(ref, ix);
    if (hit) {
        *cats = e.cats;
        *score = e.score;
    }
    return hit;
}

/* The batch form: the index is pinned once for the whole batch, and its memory fetched in
 * parallel (bw_index_lookup_many). */
static void index_lookup_batch(void *ctx, size_t n, const struct bw_addr *a,
                               struct bw_dnsbl_hit *out)
{
    struct bw_index_ref *ref = ctx;
    const struct bw_index *ix = bw_index_ref_get(ref);
    struct bw_index_entry e[64];
    bool listed[64];

    for (size_t i = 0; i < n; i += 64) {
        size_t k = n - i < 64 ? n - i : 64;

        bw_index_lookup_many(ix, k, a + i, listed, e);
        for (size_t j = 0; j < k; j++) {
            out[i + j].listed = listed[j];
            out[i + j].cats = listed[j] ? e[j].cats : 0;
            out[i + j].score = listed[j] ? e[j].score : 0;
        }
    }
    bw_index_ref_put(ref, ix);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch dnsbl [--listen ADDR:PORT] [--zone NAME] [--snapshot FILE]\n"
            "                      [--threads N] [--ttl S] [--negative-ttl S] [--url BASE]\n"
            "                      [--ns NAME] [--rrl-rate N] [--rrl-slip N]\n"
            "\n"
            "Serves the blocklist over DNS (UDP and TCP), RFC 5782 style: a listed address\n"
            "answers A 127.0.0.2 plus one 127.0.1.N per category (docs/dnsbl.md).\n"
            "\n"
            "  --listen, --dns ADDR:PORT  where to listen (default %s)\n"
            "  --zone NAME         the zone (default %s)\n"
            "  --snapshot FILE     serve this snapshot (a mirror: no database); SIGHUP reloads\n"
            "                      it. Without it, a snapshot is built from the database first.\n"
            "  --threads N         UDP threads (default: one per CPU)\n"
            "  --ttl S             TTL of answers (default 300)\n"
            "  --negative-ttl S    TTL of negative answers (default 60)\n"
            "  --url BASE          TXT lookup URL prefix (default %s)\n"
            "  --ns NAME           name server in NS and SOA (default ns.<zone>)\n"
            "  --rrl-rate N        responses per second per client /24 or /56 (0 = off; 20)\n"
            "  --rrl-slip N        every Nth limited answer goes out truncated (default 2)\n",
            BW_DNSBL_LISTEN_DEFAULT, BW_DNSBL_ZONE_DEFAULT, BW_DNSBL_URL_DEFAULT);
}

/* Builds a snapshot of the store into a temporary file; returns its path (caller frees). */
static int build_temp_snapshot(struct bw_cli *cli, char **path_out)
{
    struct bw_store *st;
    struct bw_diag d;
    uint64_t entries = 0;
    const char *tmpdir = getenv("TMPDIR");
    char *path = bw_xmalloc(4096);

    snprintf(path, 4096, "%s/botwatch-dnsbl-%ld.snap", tmpdir != NULL ? tmpdir : "/tmp",
             (long)getpid());
    if (bw_cli_open_store(cli, &st) != BW_OK) {
        free(path);
        return BW_EXIT_FAIL;
    }
    int rc = bw_index_build_from_store(st, &cli->conf.policy, cli->now_s, path, &entries, &d);
    bw_store_close(st);
    if (rc != BW_OK) {
        bw_cli_error("dnsbl", "cannot build a snapshot from %s: %s (%s)", cli->db_path,
                     d.msg, bw_strerror(rc));
        free(path);
        return BW_EXIT_FAIL;
    }
    bw_log_info("dnsbl: built a snapshot of %llu entries from %s", (unsigned long long)entries,
                cli->db_path);
    *path_out = path;
    return BW_EXIT_OK;
}

int bw_cmd_dnsbl(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "dns", required_argument, NULL, 'l' },
        { "zone", required_argument, NULL, 'z' },
        { "snapshot", required_argument, NULL, 's' },
        { "threads", required_argument, NULL, 't' },
        { "ttl", required_argument, NULL, 'T' },
        { "negative-ttl", required_argument, NULL, 'N' },
        { "url", required_argument, NULL, 'u' },
        { "ns", required_argument, NULL, 'n' },
        { "rrl-rate", required_argument, NULL, 'r' },
        { "rrl-slip", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_dnsbl_config c;
    const char *snapshot = NULL;
    char *temp_snapshot = NULL;
    uint64_t v;
    int opt;

    bw_dnsbl_config_default(&c);
    if (bw_cli_wants_help(argc, argv)) {
        usage(stdout);
        return BW_EXIT_OK;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            c.listen = optarg;
            break;
        case 'z':
            c.zone = optarg;
            break;
        case 's':
            snapshot = optarg;
            break;
        case 'u':
            c.url_base = optarg;
            break;
        case 'n':
            c.ns = optarg;
            break;
        case 't':
        case 'T':
        case 'N':
        case 'r':
        case 'S':
            if (bw_cli_parse_u64(optarg, opt == 't' ? 1 : 0,
                                 opt == 't' ? BW_DNSBL_THREADS_MAX : 0x7fffffff, &v) != BW_OK) {
                bw_cli_error("dnsbl", "bad number '%s' for --%s", optarg,
                             opt == 't'   ? "threads"
                             : opt == 'T' ? "ttl"
                             : opt == 'N' ? "negative-ttl"
                             : opt == 'r' ? "rrl-rate"
                                          : "rrl-slip");
                return BW_EXIT_USAGE;
            }
            if (opt == 't')
                c.threads = (unsigned)v;
            else if (opt == 'T')
                c.ttl_s = (uint32_t)v;
            else if (opt == 'N')
                c.neg_ttl_s = (uint32_t)v;
            else if (opt == 'r')
                c.rrl_rate = (uint32_t)v;
            else
                c.rrl_slip = (uint32_t)v;
            break;
        default:
            usage(stderr);
            return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        bw_cli_error("dnsbl", "unexpected argument '%s'", argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (c.rrl_burst < c.rrl_rate * 2)
        c.rrl_burst = c.rrl_rate * 2;
    c.lookup_batch = index_lookup_batch;

    /* Check the configuration before loading anything, so usage errors come first. */
    struct bw_dnsbl_zone z;
    struct bw_diag d;
    if (bw_dnsbl_zone_init(&z, &c, &d) != BW_OK) {
        bw_cli_error("dnsbl", "%s", d.msg);
        return BW_EXIT_USAGE;
    }
    if (snapshot == NULL) {
        int rc = build_temp_snapshot(cli, &temp_snapshot);
        if (rc != BW_EXIT_OK)
            return rc;
        snapshot = temp_snapshot;
    }
    struct bw_index *ix;
    int rc = bw_index_open(&ix, snapshot, &d);
    if (temp_snapshot != NULL)
        unlink(temp_snapshot); /* the mapping stays valid; nothing else needs the file */
    if (rc != BW_OK) {
        bw_cli_error("dnsbl", "cannot load snapshot %s: %s (%s)", snapshot, d.msg,
                     bw_strerror(rc));
        free(temp_snapshot);
        return BW_EXIT_FAIL;
    }
    struct bw_index_ref *ref = bw_index_ref_new(ix);
    struct bw_dnsbl_server *srv;
    rc = bw_dnsbl_server_start(&srv, &c, index_lookup, ref, &d);
    if (rc != BW_OK) {
        bw_cli_error("dnsbl", "cannot serve on %s: %s", c.listen, d.msg);
        bw_index_ref_free(ref);
        free(temp_snapshot);
        return BW_EXIT_FAIL;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct bw_index_info info;
    bw_index_stat(ix, &info);
    fprintf(stderr,
            "botwatch: dnsbl: serving %s on %s port %u (%llu IPv4, %llu IPv6 addresses, %llu "
            "prefixes)\n",
            c.zone, c.listen, (unsigned)bw_dnsbl_server_port(srv),
            (unsigned long long)info.v4_addresses, (unsigned long long)info.v6_addresses,
            (unsigned long long)info.prefixes);
    while (!stop_flag) {
        if (reload_flag) {
            reload_flag = 0;
            struct bw_index *nix;
            if (temp_snapshot != NULL) {
                bw_log_warn("dnsbl: SIGHUP ignored: serving a snapshot built at start "
                            "(use --snapshot FILE to reload)");
            } else if (bw_index_open(&nix, snapshot, &d) != BW_OK) {
                bw_log_err("dnsbl: snapshot %s refused, the old one keeps serving (%s)",
                           snapshot, d.msg);
            } else {
                bw_index_ref_swap(ref, nix);
                bw_log_info("dnsbl: snapshot %s reloaded", snapshot);
            }
        }
        struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
        nanosleep(&ts, NULL); /* a signal cuts it short; 100 ms bounds the reaction time */
    }
    bw_dnsbl_server_stop(srv);
    bw_index_ref_free(ref);
    free(temp_snapshot);
    return BW_EXIT_OK;
}
