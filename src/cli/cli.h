/*
 * cli/cli.h - what the subcommands of the botwatch binary share: global options, the
 * configuration, opening the store, and output helpers.
 *
 * Exit status: BW_EXIT_OK (0) on success, BW_EXIT_FAIL (1) on a runtime failure, BW_EXIT_USAGE
 * (2) on bad usage. Errors go to stderr as one line naming the input and the problem.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdio.h>

#include "core/core.h"
#include "enrich/enrich.h"
#include "notify/notify.h"
#include "parsers/parsers.h"
#include "pipeline/pipeline.h"
#include "score/score.h"
#include "store/store.h"

enum { BW_EXIT_OK = 0, BW_EXIT_FAIL = 1, BW_EXIT_USAGE = 2 };

/* Configuration: every setting, its default and its range, in one table (config.c). */
struct bw_config {
    struct bw_policy policy;
    char mmdb[4096];           /* an operator's own MMDB (e.g. a city database); "" = bundled */
    size_t ingest_batch;       /* reports per transaction */
    unsigned ingest_examples;  /* rejected lines described per reason */
    struct bw_notify_config notify; /* [notify] */
    bool notify_set;           /* the file has a [notify] section */
};

struct bw_cli {
    const char *prog;
    const char *db_path;     /* --db, BOTWATCH_DB, "botwatch.db" */
    const char *config_path; /* --config, BOTWATCH_CONFIG, NULL */
    const char *data_dir;    /* --data, BOTWATCH_DATA, ".cache/data" */
    int64_t now_s;           /* --now or the system clock */
    struct bw_config conf;
};

/* Fills conf with the defaults, then applies the file (when path is not NULL). On failure
 * prints one line naming the file, line and key, and returns BW_EMALFORMED. */
int bw_config_load(struct bw_config *conf, const char *path);
/* Prints every setting with its value ("key = value" lines). */
void bw_config_print(const struct bw_config *conf, FILE *out);

/* Opens the store named by --db, creating and migrating it; prints the error itself. */
int bw_cli_open_store(struct bw_cli *cli, struct bw_store **out);

/* Prints "botwatch: <cmd>: <message>" on stderr. */
void bw_cli_error(const char *cmd, const char *fmt, ...) BW_PRINTF(2, 3);

/* Strict unsigned parse of a command-line number in [min, max]. */
BW_MUSTCHECK int bw_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* True when argv has -h/--help before any "--"; the caller prints its usage and exits 0. */
bool bw_cli_wants_help(int argc, char **argv);

/* Options that reach the parsers (--mode 'm', --year 'y', --category 'c'), shared by parse
 * and ingest: prints the error and returns BW_EMALFORMED for a bad value. */
int bw_cli_parser_option(int c, const char *arg, struct bw_parser_opts *o, const char *cmd);
bool bw_cli_known_format(const char *f);

/* The knowledge sources, opened from the data directory and the store (cmd_enrich.c). */
struct bw_cli_enricher {
    struct bw_asn *asn;
    struct bw_geo *geo;
    struct bw_recog *recog;
    struct bw_contacts *contacts;
    uint32_t *override_asn;
    uint8_t *override_vertical;
    struct bw_enricher en; /* what ingest and enrich use */
};
enum { BW_SRC_NETWORK = 1, BW_SRC_DEVICE = 2, BW_SRC_CONTACTS = 4, BW_SRC_ALL = 7 };
/* Opens the sources in `what` (missing ones are warned about once and left NULL). */
int bw_cli_enricher_open(struct bw_cli *cli, struct bw_store *st, unsigned what,
                         struct bw_cli_enricher *ce);
void bw_cli_enricher_close(struct bw_cli_enricher *ce);
int bw_cli_advisories_load(struct bw_store *st, struct bw_advisories **out);

/* What a running serve answers from (live.c): a snapshot of the store kept fresh by a
 * refresher thread, and the DNSBL on dns_listen when not NULL. */
struct bw_cli_live;
struct bw_index_ref;
struct bw_index;
struct bw_dnsbl_hit;
/* The DNSBL's batch lookup on a pinned index (bw_index_lookup_many, 64 at a time): out[i]
 * for a[i]. The standalone DNSBL and serve --dns share it. */
void bw_cli_dnsbl_batch(const struct bw_index *ix, size_t n, const struct bw_addr *a,
                        struct bw_dnsbl_hit *out);
int bw_cli_live_start(struct bw_cli *cli, const char *dns_listen, struct bw_cli_live **out);
struct bw_index_ref *bw_cli_live_ref(struct bw_cli_live *l);
void bw_cli_live_stop(struct bw_cli_live *l); /* NULL is a no-op */

/* Subcommands: each gets argv with argv[0] the command name. */
int bw_cmd_init(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_ingest(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_parse(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_lookup(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_list(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_reporter(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_allow(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_simulate(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_config(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_status(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_data(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_enrich(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_contact(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_vertical(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_advisory(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_snapshot(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_export(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_dnsbl(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_serve(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_key(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_delist(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_notify(struct bw_cli *cli, int argc, char **argv);
int bw_cmd_case(struct bw_cli *cli, int argc, char **argv);

/* The notification cycle on a schedule inside serve (cmd_notify.c): a thread that runs
 * bw_notify_run every [notify] interval; stop() wakes it, lets a cycle in progress finish,
 * and joins it. start() does nothing (and *out is NULL) when no interval is set. */
struct bw_cli_notifier;
int bw_cli_notifier_start(struct bw_cli *cli, struct bw_cli_notifier **out);
void bw_cli_notifier_stop(struct bw_cli_notifier *n); /* NULL is a no-op */

#endif
