/*
 * cli/config.c - the settings table and the settings file (INI, read with libinih).
 * Invariants:
 *  - bw_config_items[] is the one place a setting is named, defaulted and bounded; the policy
 *    keys are handed to bw_policy_set(), whose defaults come from bw_policy_default().
 */
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cli/cli.h"

enum item_kind { ITEM_POLICY, ITEM_SIZE, ITEM_PATH, ITEM_NOTIFY };

struct bw_conf_item {
    const char *section;
    const char *key;
    enum item_kind kind;
    const char *help;
};

static const struct bw_conf_item bw_conf_items[] = {
    /* section  key                       kind         help */
    { "policy", "half_life",             ITEM_POLICY, "a report loses half its weight after this" },
    { "policy", "window",                ITEM_POLICY, "evidence of a reporter silent this long counts for nothing" },
    { "policy", "expiry",                ITEM_POLICY, "a device without reports this long drops off the list" },
    { "policy", "threshold",             ITEM_POLICY, "score (0-100) needed to list" },
    { "policy", "saturation",            ITEM_POLICY, "decayed reports for a source to reach half its cap" },
    { "policy", "corroboration",         ITEM_POLICY, "corroboration sum needed to list" },
    { "policy", "cap.low",               ITEM_POLICY, "most a low-trust source can weigh (0-1)" },
    { "policy", "cap.normal",            ITEM_POLICY, "most a normal-trust source can weigh (0-1)" },
    { "policy", "cap.high",              ITEM_POLICY, "most a high-trust source can weigh (0-1)" },
    { "policy", "corroboration.low",     ITEM_POLICY, "corroboration a low-trust source adds" },
    { "policy", "corroboration.normal",  ITEM_POLICY, "corroboration a normal-trust source adds" },
    { "policy", "corroboration.high",    ITEM_POLICY, "corroboration a high-trust source adds" },
    { "ingest", "batch",                 ITEM_SIZE,   "reports per transaction (1-1000000)" },
    { "ingest", "examples",              ITEM_SIZE,   "rejected lines described per reason (0-1000)" },
    { "enrich", "mmdb",                  ITEM_PATH,   "your own MMDB for country, region and city" },
    { "notify", "smtp_host",             ITEM_NOTIFY, "SMTP relay host name or address" },
    { "notify", "smtp_port",             ITEM_NOTIFY, "SMTP relay port (1-65535)" },
    { "notify", "smtp_starttls",         ITEM_NOTIFY, "require STARTTLS (yes or no)" },
    { "notify", "smtp_user",             ITEM_NOTIFY, "SMTP AUTH user (empty: no AUTH)" },
    { "notify", "smtp_password",         ITEM_NOTIFY, "SMTP AUTH password" },
    { "notify", "timeout",               ITEM_NOTIFY, "one delivery attempt at most (e.g. 30s, up to 1h)" },
    { "notify", "from",                  ITEM_NOTIFY, "sender address of notices" },
    { "notify", "registry_name",         ITEM_NOTIFY, "who signs the notices" },
    { "notify", "ack_url",               ITEM_NOTIFY, "base URL of the acknowledgement links (http(s)://...)" },
    { "notify", "webhook_secret",        ITEM_NOTIFY, "HMAC-SHA256 key that signs webhooks" },
    { "notify", "due",                   ITEM_NOTIFY, "deadline to acknowledge, every role (e.g. 72h)" },
    { "notify", "due.isp",               ITEM_NOTIFY, "deadline for an isp contact" },
    { "notify", "due.upstream",          ITEM_NOTIFY, "deadline for an upstream contact" },
    { "notify", "due.cert",              ITEM_NOTIFY, "deadline for a cert contact" },
    { "notify", "quiet",                 ITEM_NOTIFY, "no reports this long: remediated (e.g. 7d)" },
    { "notify", "retry",                 ITEM_NOTIFY, "first retry delay, doubled each time (e.g. 5m)" },
    { "notify", "retry_max",             ITEM_NOTIFY, "longest retry delay (e.g. 6h)" },
    { "notify", "attempts",              ITEM_NOTIFY, "delivery attempts before a message fails (1-1000)" },
    { "notify", "lease",                 ITEM_NOTIFY, "a claimed message waits this long before another sender may try" },
    { "notify", "interval",              ITEM_NOTIFY, "serve runs a notification cycle this often (0: never)" },
};

struct load_ctx {
    struct bw_config *conf;
    const char *path;
    int rc;
};

static int on_value(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *lc = user;
    uint64_t v;

    for (size_t i = 0; i < BW_ARRAY_LEN(bw_conf_items); i++) {
        const struct bw_conf_item *it = &bw_conf_items[i];

        if (strcmp(it->section, section) != 0 || strcmp(it->key, name) != 0)
            continue;
        if (it->kind == ITEM_NOTIFY) {
            lc->conf->notify_set = true;
            if (bw_notify_config_set(&lc->conf->notify, name, value) == BW_OK)
                return 1;
        } else if (it->kind == ITEM_PATH) {
            if (strlen(value) < sizeof(lc->conf->mmdb)) {
                snprintf(lc->conf->mmdb, sizeof(lc->conf->mmdb), "%s", value);
                return 1;
            }
        } else if (it->kind == ITEM_POLICY) {
            if (bw_policy_set(&lc->conf->policy, name, value) == BW_OK)
                return 1;
        } else if (strcmp(name, "batch") == 0) {
            if (bw_cli_parse_u64(value, 1, 1000000, &v) == BW_OK) {
                lc->conf->ingest_batch = (size_t)v;
                return 1;
            }
        } else if (bw_cli_parse_u64(value, 0, 1000, &v) == BW_OK) {
            lc->conf->ingest_examples = (unsigned)v;
            return 1;
        }
        bw_cli_error("config", "%s: [%s] %s = \"%s\" is out of range (%s)", lc->path, section,
                     name, value, it->help);
        lc->rc = BW_EMALFORMED;
        return 0;
    }
    bw_cli_error("config", "%s: unknown setting [%s] %s", lc->path, section, name);
    lc->rc = BW_EMALFORMED;
    return 0;
}

int bw_config_load(struct bw_config *conf, const char *path)
{
    struct load_ctx lc = { .conf = conf, .path = path, .rc = BW_OK };
    int line;

    bw_policy_default(&conf->policy);
    conf->ingest_batch = 50000;
    conf->ingest_examples = 3;
    conf->mmdb[0] = '\0';
    bw_notify_config_default(&conf->notify);
    conf->notify_set = false;
    if (path == NULL)
        return BW_OK;
    line = ini_parse(path, on_value, &lc);
    if (line == -1) {
        bw_cli_error("config", "%s: cannot open", path);
        return BW_EMALFORMED;
    }
    if (line != 0 && lc.rc == BW_OK)
        bw_cli_error("config", "%s:%d: not an INI line", path, line);
    return line == 0 ? BW_OK : BW_EMALFORMED;
}

void bw_config_print(const struct bw_config *conf, FILE *out)
{
    const struct bw_policy *p = &conf->policy;

    fprintf(out, "[policy]\n");
    fprintf(out, "half_life = %llds\n", (long long)p->half_life_s);
    fprintf(out, "window = %llds\n", (long long)p->window_s);
    fprintf(out, "expiry = %llds\n", (long long)p->expiry_s);
    fprintf(out, "threshold = %d\n", p->threshold);
    fprintf(out, "saturation = %g\n", p->saturation);
    fprintf(out, "corroboration = %g\n", p->corroboration_needed);
    for (int t = 0; t < BW_TRUST_COUNT; t++)
        fprintf(out, "cap.%s = %g\n", bw_trust_name((enum bw_trust)t), p->cap[t]);
    for (int t = 0; t < BW_TRUST_COUNT; t++)
        fprintf(out, "corroboration.%s = %g\n", bw_trust_name((enum bw_trust)t),
                p->corroboration[t]);
    fprintf(out, "\n[ingest]\nbatch = %zu\nexamples = %u\n", conf->ingest_batch,
            conf->ingest_examples);
    fprintf(out, "\n[enrich]\nmmdb = %s\n", conf->mmdb);

    const struct bw_notify_config *n = &conf->notify;
    fprintf(out, "\n[notify]\nsmtp_host = %s\nsmtp_port = %u\nsmtp_starttls = %s\n",
            n->smtp.host, n->smtp.port, n->smtp.starttls ? "yes" : "no");
    fprintf(out, "smtp_user = %s\nsmtp_password = %s\ntimeout = %lds\n", n->smtp.user,
            n->smtp.password[0] ? "(set)" : "", n->smtp.timeout_ms / 1000);
    fprintf(out, "from = %s\nregistry_name = %s\nack_url = %s\nwebhook_secret = %s\n", n->from,
            n->registry_name, n->ack_base_url, n->webhook_secret[0] ? "(set)" : "");
    fprintf(out, "due.isp = %llds\ndue.upstream = %llds\ndue.cert = %llds\n",
            (long long)n->due_s[BW_ROLE_ISP], (long long)n->due_s[BW_ROLE_UPSTREAM],
            (long long)n->due_s[BW_ROLE_CERT]);
    fprintf(out, "quiet = %llds\nretry = %llds\nretry_max = %llds\nattempts = %u\n",
            (long long)n->quiet_s, (long long)n->retry_s, (long long)n->retry_max_s,
            n->max_attempts);
    fprintf(out, "lease = %llds\ninterval = %llds\nmax_devices = %u\n", (long long)n->lease_s,
            (long long)n->interval_s, n->max_devices);
}
