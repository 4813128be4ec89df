/*
 * cli/cmd_dnsbl.c - botwatch dnsbl: the standalone DNS blocklist. With --snapshot FILE or URL
 * it is a mirror that needs no database; without, it builds a snapshot from the store at --now
 * first.
 *
 * Where the index in service comes from (struct source):
 *  - a file: reloaded on SIGHUP, and whenever another file is renamed over it or it is
 *    rewritten in place (its device, inode, size or mtime change; checked every second);
 *  - a URL (http, https): polled every --poll seconds with libcurl, conditionally
 *    (If-None-Match with the ETag, If-Modified-Since with the Last-Modified of the copy in
 *    service), downloaded to a temporary file beside the cache file, validated (format version,
 *    checksum, every structural check of bw_index_open) and not older than the one in service,
 *    then renamed over the cache and swapped in. On start a valid cache is served at once.
 * Invariants:
 *  - A refused or failed load never touches the index in service: it is one error line, the
 *    old index keeps answering, and the same bad file is not reported again until it changes.
 *  - Swaps go through bw_index_ref_swap(): no query is dropped or sees half an index.
 *  - The served image is a private copy (bw_index_open reads the file): nothing done to the
 *    file afterwards can change or fault it.
 * SIGINT and SIGTERM stop it (a download in progress is abandoned).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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

void bw_cli_dnsbl_batch(const struct bw_index *ix, size_t n, const struct bw_addr *a,
                        struct bw_dnsbl_hit *out)
{
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
}

/* The batch form: the index is pinned once for the whole batch. */
static void index_lookup_batch(void *ctx, size_t n, const struct bw_addr *a,
                               struct bw_dnsbl_hit *out)
{
    struct bw_index_ref *ref = ctx;
    const struct bw_index *ix = bw_index_ref_get(ref);

    bw_cli_dnsbl_batch(ix, n, a, out);
    bw_index_ref_put(ref, ix);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch dnsbl [--listen ADDR:PORT] [--zone NAME] [--snapshot FILE|URL]\n"
            "                      [--cache FILE] [--poll S] [--threads N] [--ttl S]\n"
            "                      [--negative-ttl S] [--url BASE] [--ns NAME] [--rrl-rate N]\n"
            "                      [--rrl-slip N]\n"
            "\n"
            "Serves the blocklist over DNS (UDP and TCP), RFC 5782 style: a listed address\n"
            "answers A 127.0.0.2 plus one 127.0.1.N per category (docs/dnsbl.md).\n"
            "\n"
            "  --listen, --dns ADDR:PORT  where to listen (default %s)\n"
            "  --zone NAME         the zone (default %s)\n"
            "  --snapshot FILE     serve this snapshot (a mirror: no database). It is reloaded\n"
            "                      on SIGHUP and when it changes (a new file renamed over it)\n"
            "  --snapshot URL      an http:// or https:// URL: poll it (conditional GET) and\n"
            "                      serve each new valid snapshot; without --snapshot, a\n"
            "                      snapshot is built from the database first\n"
            "  --cache FILE        URL mode: where the copy in service is kept (default\n"
            "                      $TMPDIR/botwatch-mirror-HASH.bwi); served at once on start\n"
            "  --poll S            seconds between checks of the file (default 1) or polls of\n"
            "                      the URL (default 60); 0: only on SIGHUP\n"
            "  --threads N         UDP threads (default: one per CPU it may run on)\n"
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

/* ---- where the index in service comes from ---------------------------------------------- */

/* What identifies the bytes of a file without reading them. */
struct file_id {
    bool valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime; /* no one can set it back: catches `cp -p` in place */
};

static struct file_id file_id_of(const char *path)
{
    struct file_id id = { 0 };
    struct stat sb;

    if (stat(path, &sb) == 0) {
        id.valid = true;
        id.dev = sb.st_dev;
        id.ino = sb.st_ino;
        id.size = sb.st_size;
        id.mtime = sb.st_mtim;
        id.ctime = sb.st_ctim;
    }
    return id;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
    return a->valid == b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

struct source {
    const char *path;          /* file mode: the snapshot; URL mode: the cache file */
    const char *url;           /* NULL in file mode */
    struct bw_index_ref *ref;  /* NULL until something is in service */
    struct file_id served;     /* the file the index in service was read from */
    struct file_id refused;    /* the last file refused: not reported again until it changes */
    int64_t built_s;           /* built time of the index in service */
    char etag[256];            /* URL mode: validators of the copy in service */
    int64_t last_modified_s;   /* 0 = unknown */
    unsigned failures;         /* URL mode: polls failed in a row */
};

static void announce(const struct source *s, const struct bw_index *ix, const char *what)
{
    struct bw_index_info info;
    char built[BW_TIME_TEXT_MAX];

    bw_index_stat(ix, &info);
    bw_time_format(info.built_s, built);
    fprintf(stderr,
            "botwatch: dnsbl: %s %s (built %s; %llu IPv4, %llu IPv6 addresses, %llu prefixes)\n",
            what, s->url != NULL ? s->url : s->path, built,
            (unsigned long long)info.v4_addresses, (unsigned long long)info.v6_addresses,
            (unsigned long long)info.prefixes);
}

/* Puts ix in service (taking it). */
static void put_in_service(struct source *s, struct bw_index *ix)
{
    struct bw_index_info info;

    bw_index_stat(ix, &info);
    s->built_s = info.built_s;
    if (s->ref == NULL)
        s->ref = bw_index_ref_new(ix);
    else
        bw_index_ref_swap(s->ref, ix);
}

/* (Re)loads s->path. A refused file is reported once, and the index in service stays. */
static bool load_file(struct source *s, bool forced)
{
    struct file_id before = file_id_of(s->path);
    struct bw_index *ix;
    struct bw_diag d = { "" };

    if (!forced && file_id_eq(&before, &s->refused))
        return false;
    int rc = bw_index_open(&ix, s->path, &d);
    if (rc != BW_OK) {
        if (forced || !file_id_eq(&before, &s->refused))
            bw_log_err("dnsbl: snapshot %s refused, %s (%s)", s->path,
                       s->ref != NULL ? "the one in service keeps serving" : "nothing to serve",
                       d.msg[0] ? d.msg : bw_strerror(rc));
        s->refused = before;
        return false;
    }
    struct file_id after = file_id_of(s->path);
    /* changed while being read: the next check reloads it again */
    s->served = file_id_eq(&before, &after) ? after : (struct file_id){ 0 };
    s->refused = (struct file_id){ 0 };
    bool first = s->ref == NULL;
    put_in_service(s, ix);
    if (!first)
        announce(s, ix, "serving the new snapshot");
    return true;
}

static bool is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* The ETag and Last-Modified of the cache file: "<etag>\n<unix seconds>\n" in CACHE.validators. */
static void validators_load(struct source *s)
{
    char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s.validators", s->path);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[sizeof(s->etag)];
    if (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        memcpy(s->etag, line, strlen(line) + 1);
    }
    if (fgets(line, sizeof(line), f) != NULL)
        s->last_modified_s = strtoll(line, NULL, 10);
    fclose(f);
}

static void validators_save(const struct source *s)
{
    char path[4200], tmp[4300];
    FILE *f;

    snprintf(path, sizeof(path), "%s.validators", s->path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return; /* only costs one unconditional download after a restart */
    fprintf(f, "%s\n%lld\n", s->etag, (long long)s->last_modified_s);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

struct fetch {
    FILE *out;
    char etag[256];
};

/* Keeps the ETag of the final response (a redirect's headers come first and are replaced). */
static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
    struct fetch *f = ctx;
    size_t len = size * n;

    if (len > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
        size_t a = 5, b = len;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
            a++;
        while (b > a && (buf[b - 1] == '\r' || buf[b - 1] == '\n' || buf[b - 1] == ' '))
            b--;
        /* an ETag is printable ASCII; a longer or odder one is not kept (no If-None-Match) */
        bool ok = b - a < sizeof(f->etag);
        for (size_t i = a; i < b && ok; i++)
            ok = buf[i] > 0x20 && buf[i] < 0x7f;
        if (ok) {
            memcpy(f->etag, buf + a, b - a);
            f->etag[b - a] = '\0';
        }
    } else if (len >= 5 && strncasecmp(buf, "HTTP/", 5) == 0) {
        f->etag[0] = '\0';
    }
    return len;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ctx;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return stop_flag ? 1 : 0; /* a stop abandons the download */
}

/* True when files a and b start with the same header: the header holds the checksum of the
 * rest, so equal headers mean equal snapshots (an origin without ETag or Last-Modified sends
 * the same one again at every poll). */
static bool same_header(const char *a, const char *b)
{
    uint8_t ha[128], hb[128];
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa != NULL && fb != NULL && fread(ha, 1, sizeof(ha), fa) == sizeof(ha) &&
                fread(hb, 1, sizeof(hb), fb) == sizeof(hb) && memcmp(ha, hb, sizeof(ha)) == 0;

    if (fa != NULL)
        fclose(fa);
    if (fb != NULL)
        fclose(fb);
    return same;
}

/* One poll of s->url. Returns true when a new snapshot went into service. */
static bool fetch_url(struct source *s)
{
    size_t plen = strlen(s->path);
    char *tmp = bw_xmalloc(plen + 16);
    struct fetch f = { 0 };
    char err[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    long status = 0, unmet = 0;
    curl_off_t filetime = -1;
    bool changed = false;
    CURL *c;
    int fd;

    memcpy(tmp, s->path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0 || (f.out = fdopen(fd, "wb")) == NULL) {
        bw_log_err("dnsbl: cannot create a temporary file beside %s (%s); %s", s->path,
                   bw_strerror(-errno), "the snapshot in service keeps serving");
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return false;
    }
    c = curl_easy_init();
    if (c == NULL) {
        fclose(f.out);
        unlink(tmp);
        free(tmp);
        bw_log_err("dnsbl: libcurl does not initialise; the snapshot in service keeps serving");
        return false;
    }
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    /* no total timeout (a large snapshot on a slow link is fine), but a stalled one ends */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 36);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "botwatch-mirror");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f.out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    if (s->ref != NULL && s->etag[0] != '\0') {
        char h[300];
        snprintf(h, sizeof(h), "If-None-Match: %s", s->etag);
        hdrs = curl_slist_append(hdrs, h);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    if (s->ref != NULL && s->last_modified_s > 0) {
        curl_easy_setopt(c, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
        curl_easy_setopt(c, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)s->last_modified_s);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONDITION_UNMET, &unmet);
    curl_easy_getinfo(c, CURLINFO_FILETIME_T, &filetime);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    int wrc = BW_OK;
    if (fflush(f.out) != 0 || fsync(fileno(f.out)) != 0)
        wrc = -errno;
    if (fclose(f.out) != 0 && wrc == BW_OK)
        wrc = -errno;

    if (cc != CURLE_OK) {
        if (!stop_flag)
            bw_log_err("dnsbl: cannot fetch %s: %s; the snapshot in service keeps serving "
                       "(failure %u in a row)",
                       s->url, err[0] ? err : curl_easy_strerror(cc), ++s->failures);
    } else if (status == 304 || unmet) {
        s->failures = 0;
        bw_log_debug("dnsbl: %s not modified", s->url);
    } else if (wrc != BW_OK) {
        bw_log_err("dnsbl: cannot write %s (%s); the snapshot in service keeps serving", tmp,
                   bw_strerror(wrc));
        s->failures++;
    } else if (s->ref != NULL && same_header(tmp, s->path)) {
        s->failures = 0;
        bw_log_debug("dnsbl: %s unchanged (the snapshot in service)", s->url);
    } else {
        struct bw_index *ix;
        struct bw_diag d = { "" };
        struct bw_index_info info;
        int rc = bw_index_open(&ix, tmp, &d);

        if (rc == BW_OK)
            bw_index_stat(ix, &info);
        if (rc != BW_OK) {
            bw_log_err("dnsbl: snapshot from %s refused, %s (%s)", s->url,
                       s->ref != NULL ? "the one in service keeps serving" : "nothing to serve",
                       d.msg[0] ? d.msg : bw_strerror(rc));
            s->failures++;
        } else if (s->ref != NULL && info.built_s < s->built_s) {
            char a[BW_TIME_TEXT_MAX], b[BW_TIME_TEXT_MAX];
            bw_time_format(info.built_s, a);
            bw_time_format(s->built_s, b);
            bw_log_err("dnsbl: snapshot from %s refused, the one in service keeps serving "
                       "(built %s, older than the one in service, built %s)", s->url, a, b);
            bw_index_close(ix);
            s->failures++;
        } else if (rename(tmp, s->path) != 0) {
            bw_log_err("dnsbl: cannot rename %s to %s (%s); the snapshot in service keeps "
                       "serving", tmp, s->path, bw_strerror(-errno));
            bw_index_close(ix);
            s->failures++;
        } else {
            snprintf(s->etag, sizeof(s->etag), "%s", f.etag);
            s->last_modified_s = filetime > 0 ? (int64_t)filetime : 0;
            validators_save(s);
            s->served = file_id_of(s->path);
            s->failures = 0;
            bool first = s->ref == NULL;
            put_in_service(s, ix);
            announce(s, ix, first ? "downloaded" : "serving the new snapshot from");
            changed = true;
        }
    }
    if (!changed)
        unlink(tmp);
    free(tmp);
    return changed;
}

/* The default cache file of a URL: one per URL, in $TMPDIR. */
static char *default_cache(const char *url)
{
    const char *tmpdir = getenv("TMPDIR");
    uint64_t h = 1469598103934665603ull; /* FNV-1a: a stable name, not a security measure */
    char *path = bw_xmalloc(4096);

    for (const char *p = url; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    snprintf(path, 4096, "%s/botwatch-mirror-%016llx.bwi",
             tmpdir != NULL && tmpdir[0] ? tmpdir : "/tmp", (unsigned long long)h);
    return path;
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bw_cmd_dnsbl(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "dns", required_argument, NULL, 'l' },
        { "zone", required_argument, NULL, 'z' },
        { "snapshot", required_argument, NULL, 's' },
        { "cache", required_argument, NULL, 'c' },
        { "poll", required_argument, NULL, 'p' },
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
    const char *snapshot = NULL, *cache = NULL;
    char *temp_snapshot = NULL, *cache_alloc = NULL;
    uint64_t v, poll_s = UINT64_MAX;
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
        case 'c':
            cache = optarg;
            break;
        case 'u':
            c.url_base = optarg;
            break;
        case 'n':
            c.ns = optarg;
            break;
        case 'p':
        case 't':
        case 'T':
        case 'N':
        case 'r':
        case 'S':
            if (bw_cli_parse_u64(optarg, opt == 't' ? 1 : 0,
                                 opt == 't'   ? BW_DNSBL_THREADS_MAX
                                 : opt == 'p' ? 86400
                                              : 0x7fffffff,
                                 &v) != BW_OK) {
                bw_cli_error("dnsbl", "bad number '%s' for --%s", optarg,
                             opt == 't'   ? "threads"
                             : opt == 'p' ? "poll"
                             : opt == 'T' ? "ttl"
                             : opt == 'N' ? "negative-ttl"
                             : opt == 'r' ? "rrl-rate"
                                          : "rrl-slip");
                return BW_EXIT_USAGE;
            }
            if (opt == 't')
                c.threads = (unsigned)v;
            else if (opt == 'p')
                poll_s = v;
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
    bool url_mode = snapshot != NULL && is_url(snapshot);
    if (poll_s == UINT64_MAX)
        poll_s = url_mode ? 60 : 1;
    if (cache != NULL && !url_mode) {
        bw_cli_error("dnsbl", "--cache goes with --snapshot URL (an http:// or https:// URL)");
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

    struct source src = { 0 };
    if (url_mode) {
        if (cache == NULL)
            cache = cache_alloc = default_cache(snapshot);
        src.url = snapshot;
        src.path = cache;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        /* a valid cache serves at once; a poll follows straight away */
        if (access(cache, F_OK) == 0 && load_file(&src, true)) {
            validators_load(&src);
            src.served = file_id_of(cache);
        }
        fetch_url(&src);
        if (src.ref == NULL) {
            bw_cli_error("dnsbl", "nothing to serve: no valid snapshot from %s nor in %s",
                         snapshot, cache);
            curl_global_cleanup();
            free(cache_alloc);
            return BW_EXIT_FAIL;
        }
    } else {
        if (snapshot == NULL) {
            int rc = build_temp_snapshot(cli, &temp_snapshot);
            if (rc != BW_EXIT_OK)
                return rc;
            snapshot = temp_snapshot;
        }
        src.path = snapshot;
        struct bw_index *ix;
        int rc = bw_index_open(&ix, snapshot, &d);
        if (temp_snapshot != NULL)
            unlink(temp_snapshot); /* the image is in memory; nothing else needs the file */
        if (rc != BW_OK) {
            bw_cli_error("dnsbl", "cannot load snapshot %s: %s (%s)", snapshot, d.msg,
                         bw_strerror(rc));
            free(temp_snapshot);
            return BW_EXIT_FAIL;
        }
        src.served = file_id_of(snapshot);
        put_in_service(&src, ix);
    }
    struct bw_dnsbl_server *srv;
    int rc = bw_dnsbl_server_start(&srv, &c, index_lookup, src.ref, &d);
    if (rc != BW_OK) {
        bw_cli_error("dnsbl", "cannot serve on %s: %s", c.listen, d.msg);
        bw_index_ref_free(src.ref);
        free(temp_snapshot);
        free(cache_alloc);
        if (url_mode)
            curl_global_cleanup();
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

    {
        const struct bw_index *ix = bw_index_ref_get(src.ref);
        struct bw_index_info info;

        bw_index_stat(ix, &info);
        fprintf(stderr,
                "botwatch: dnsbl: serving %s on %s port %u (%llu IPv4, %llu IPv6 addresses, "
                "%llu prefixes)\n",
                c.zone, c.listen, (unsigned)bw_dnsbl_server_port(srv),
                (unsigned long long)info.v4_addresses, (unsigned long long)info.v6_addresses,
                (unsigned long long)info.prefixes);
        bw_index_ref_put(src.ref, ix);
    }
    double next_poll = mono_s() + (double)poll_s;
    while (!stop_flag) {
        bool hup = reload_flag != 0;
        reload_flag = 0;
        double t = mono_s();
        if (temp_snapshot != NULL) {
            if (hup)
                bw_log_warn("dnsbl: SIGHUP ignored: serving a snapshot built at start "
                            "(use --snapshot FILE to reload)");
        } else if (url_mode) {
            if (hup || (poll_s > 0 && t >= next_poll)) {
                fetch_url(&src);
                next_poll = mono_s() + (double)poll_s;
            }
        } else if (hup) {
            load_file(&src, true);
        } else if (poll_s > 0 && t >= next_poll) {
            /* a file renamed over it, or rewritten in place: reload */
            struct file_id now = file_id_of(src.path);
            if (now.valid && !file_id_eq(&now, &src.served))
                load_file(&src, false);
            next_poll = t + (double)poll_s;
        }
        struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
        nanosleep(&ts, NULL); /* a signal cuts it short; 100 ms bounds the reaction time */
    }
    bw_dnsbl_server_stop(srv);
    bw_index_ref_free(src.ref);
    free(temp_snapshot);
    free(cache_alloc);
    if (url_mode)
        curl_global_cleanup();
    return BW_EXIT_OK;
}
