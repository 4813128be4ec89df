/*
 * cli/cmd_snapshot.c - `botwatch snapshot build -o FILE` writes the snapshot index of what is
 * listed at --now; `botwatch snapshot info FILE [--json]` validates one and describes it.
 * The file format is docs/snapshot.md; mirrors serve such a file without a database.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "index/index.h"

/* Also in cli.h once registered; declared here so this file stands alone until then. */

static void snapshot_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch snapshot build -o FILE\n"
            "       botwatch snapshot info [--json] FILE\n"
            "\n"
            "build judges every device and network listing in the database at --now (the\n"
            "policy and the allowlist, as lookup does) and writes what is listed to FILE: a\n"
            "versioned, checksummed snapshot that the DNSBL, the HTTP API and mirrors serve\n"
            "from. The file is written beside FILE and renamed over it, so a reader never\n"
            "sees half of one.\n"
            "info checks FILE (format, version, checksum) and prints what it holds.\n"
            "\n"
            "  -o, --output FILE   where build writes the snapshot\n"
            "  --json              info as one JSON object\n");
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int snapshot_build(struct bw_cli *cli, const char *out)
{
    struct bw_diag d = { "" };
    struct bw_index *ix = NULL;
    struct bw_index_info info;
    struct bw_store *st;
    struct timespec t0;
    uint64_t entries = 0;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    rc = bw_index_build_from_store(st, &cli->conf.policy, cli->now_s, out, &entries, &d);
    bw_store_close(st);
    if (rc != BW_OK) {
        bw_cli_error("snapshot", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    /* Read it back: what was written is what a server will accept. */
    rc = bw_index_open(&ix, out, &d);
    if (rc != BW_OK) {
        bw_cli_error("snapshot", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    bw_index_stat(ix, &info);
    bw_index_close(ix);
    printf("snapshot: wrote %s: %llu entries (%llu IPv4, %llu IPv6 addresses, %llu prefixes), "
           "%llu bytes, %.2f s\n",
           out, (unsigned long long)entries, (unsigned long long)info.v4_addresses,
           (unsigned long long)info.v6_addresses, (unsigned long long)info.prefixes,
           (unsigned long long)info.file_bytes, elapsed_s(&t0));
    return BW_EXIT_OK;
}

static int snapshot_info(const char *path, bool json)
{
    struct bw_diag d = { "" };
    struct bw_index *ix = NULL;
    struct bw_index_info info;
    struct timespec t0;
    char built[BW_TIME_TEXT_MAX];
    double load_s;
    uint64_t entries;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = bw_index_open(&ix, path, &d);
    if (rc != BW_OK) {
        bw_cli_error("snapshot", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    load_s = elapsed_s(&t0);
    bw_index_stat(ix, &info);
    bw_index_close(ix);
    entries = info.v4_addresses + info.v6_addresses + info.prefixes;
    bw_time_format(info.built_s, built);
    if (json) {
        json_t *o = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:f}", "file", path,
                              "version", (int)info.version, "built", built, "entries",
                              (json_int_t)entries, "ipv4_addresses",
                              (json_int_t)info.v4_addresses, "ipv6_addresses",
                              (json_int_t)info.v6_addresses, "prefixes",
                              (json_int_t)info.prefixes, "file_bytes",
                              (json_int_t)info.file_bytes, "checksum_ok", 1, "load_ms",
                              load_s * 1e3);

        if (o == NULL)
            return BW_EXIT_FAIL;
        json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(4));
        putchar('\n');
        json_decref(o);
        return BW_EXIT_OK;
    }
    printf("%s: botwatch snapshot, format version %u\n"
           "  built:          %s\n"
           "  entries:        %llu\n"
           "  IPv4 addresses: %llu\n"
           "  IPv6 addresses: %llu\n"
           "  prefixes:       %llu\n"
           "  size:           %llu bytes\n"
           "  checksum:       ok (verified in %.1f ms with the rest of the file)\n",
           path, info.version, built, (unsigned long long)entries,
           (unsigned long long)info.v4_addresses, (unsigned long long)info.v6_addresses,
           (unsigned long long)info.prefixes, (unsigned long long)info.file_bytes, load_s * 1e3);
    return BW_EXIT_OK;
}

int bw_cmd_snapshot(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *verb;
    bool json = false;
    int c;

    if (bw_cli_wants_help(argc, argv)) {
        snapshot_usage(stdout);
        return BW_EXIT_OK;
    }
    if (argc < 2) {
        snapshot_usage(stderr);
        return BW_EXIT_USAGE;
    }
    verb = argv[1];
    if (strcmp(verb, "build") != 0 && strcmp(verb, "info") != 0) {
        bw_cli_error("snapshot", "unknown action \"%s\" (build or info)", verb);
        return BW_EXIT_USAGE;
    }
    optind = 0; /* a fresh scan of the verb's own arguments */
    while ((c = getopt_long(argc - 1, argv + 1, "o:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j': json = true; break;
        default: snapshot_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (verb[0] == 'b') {
        if (out == NULL || out[0] == '\0' || optind != argc - 1) {
            bw_cli_error("snapshot", "build takes -o FILE and nothing else");
            return BW_EXIT_USAGE;
        }
        return snapshot_build(cli, out);
    }
    if (out != NULL || optind + 1 != argc - 1) {
        bw_cli_error("snapshot", "info takes one FILE");
        return BW_EXIT_USAGE;
    }
    return snapshot_info(argv[optind + 1], json);
}
