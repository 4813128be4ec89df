/*
 * cli/util.c - helpers the subcommands share.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void bw_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "botwatch: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int bw_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    return bw_u64_parse(s, min, max, out);
}

bool bw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

int bw_cli_open_store(struct bw_cli *cli, struct bw_store **out)
{
    struct bw_diag d = { "" };
    int rc = bw_store_open(out, cli->db_path, &d);

    if (rc != BW_OK) {
        bw_cli_error("store", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return rc;
    }
    bw_store_set_half_life(*out, cli->conf.policy.half_life_s);
    return BW_OK;
}
