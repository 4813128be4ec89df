/*
 * tests/unit/export/test_export.c - every export format on one small list, then the real
 * tools: nft (check mode, and a real load inside a new network namespace), ipset restore
 * (inside one too), rbldnsd answering dig from our zone files, named-checkzone on the RPZ.
 * A test whose tool is missing says so and is skipped.
 */
#include "test.h"

#include "export/export.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* In address order, as bw_index_walk gives them: a prefix before the addresses inside it. */
static const struct {
    const char *p;
    bw_catmask cats;
    uint8_t score;
} list[] = {
    { "81.2.69.142", 1u << BW_CAT_BRUTEFORCE, 80 },
    { "89.160.21.0/24", 1u << BW_CAT_SCAN, 60 },
    { "89.160.21.7", (1u << BW_CAT_SCAN) | (1u << BW_CAT_EXPLOIT), 90 },
    { "89.160.22.0", 1u << BW_CAT_SCAN, 50 },
    { "89.160.22.1", 1u << BW_CAT_SCAN, 50 },
    { "89.160.22.2", 1u << BW_CAT_SCAN, 50 },
    { "89.160.22.3", 1u << BW_CAT_SCAN, 50 },
    { "175.16.199.1", 1u << BW_CAT_C2, 95 },
    { "2a02:cf40:0:1::17", 1u << BW_CAT_SCAN, 70 },
    { "2a02:cf41::/56", 1u << BW_CAT_MALWARE, 85 },
};

/* Exports the list; returns the text (caller frees). */
static char *export_list(enum bw_export_format f, const struct bw_export_opts *o, int *rc_out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    struct bw_export *x;
    int rc = BW_OK;

    assert_non_null(m);
    x = bw_export_new(f, m, o);
    for (size_t i = 0; i < BW_ARRAY_LEN(list) && rc == BW_OK; i++) {
        struct bw_index_entry e = { .cats = list[i].cats, .score = list[i].score };

        assert_int_equal(bw_prefix_parse(&e.prefix, list[i].p, strlen(list[i].p)), BW_OK);
        rc = bw_export_add(x, &e);
    }
    if (rc == BW_OK)
        rc = bw_export_finish(x);
    else
        bw_export_free(x);
    fclose(m);
    if (rc_out != NULL)
        *rc_out = rc;
    else
        assert_int_equal(rc, BW_OK);
    return text;
}

static void txt_is_one_entry_a_line(void **state)
{
    char *t = export_list(BW_EXPORT_TXT, NULL, NULL);

    (void)state;
    assert_string_equal(t, "81.2.69.142\n89.160.21.0/24\n89.160.21.7\n89.160.22.0\n89.160.22.1\n"
                           "89.160.22.2\n89.160.22.3\n175.16.199.1\n2a02:cf40:0:1::17\n"
                           "2a02:cf41::/56\n");
    free(t);
}

static void cidr_aggregates(void **state)
{
    char *t = export_list(BW_EXPORT_CIDR, NULL, NULL);

    (void)state;
    assert_string_equal(t, "81.2.69.142\n89.160.21.0/24\n89.160.22.0/30\n175.16.199.1\n"
                           "2a02:cf40:0:1::17\n2a02:cf41::/56\n");
    free(t);
}

static void filters_score_and_category(void **state)
{
    struct bw_export_opts o = { .min_score = 85 };
    char *t = export_list(BW_EXPORT_TXT, &o, NULL);

    (void)state;
    assert_string_equal(t, "89.160.21.7\n175.16.199.1\n2a02:cf41::/56\n");
    free(t);
    o = (struct bw_export_opts){ .cats = (1u << BW_CAT_C2) | (1u << BW_CAT_BRUTEFORCE) };
    t = export_list(BW_EXPORT_TXT, &o, NULL);
    assert_string_equal(t, "81.2.69.142\n175.16.199.1\n");
    free(t);
}

static void csv_quotes_lists(void **state)
{
    char *t = export_list(BW_EXPORT_CSV, NULL, NULL);

    (void)state;
    assert_non_null(strstr(t, "ip,categories,score\n81.2.69.142,bruteforce,80\n"));
    assert_non_null(strstr(t, "\n89.160.21.7,\"scan,exploit\",90\n"));
    assert_non_null(strstr(t, "\n2a02:cf41::/56,malware,85\n"));
    free(t);
}

static void json_is_an_array_jansson_reads(void **state)
{
    char *t = export_list(BW_EXPORT_JSON, NULL, NULL);
    json_error_t err;
    json_t *a = json_loads(t, 0, &err), *o;

    (void)state;
    assert_non_null(a);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), BW_ARRAY_LEN(list));
    o = json_array_get(a, 2);
    assert_string_equal(json_string_value(json_object_get(o, "ip")), "89.160.21.7");
    assert_int_equal(json_integer_value(json_object_get(o, "score")), 90);
    assert_int_equal(json_array_size(json_object_get(o, "categories")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "categories"), 1)),
                        "exploit");
    json_decref(a);
    free(t);
    /* nothing listed: still an array */
    struct bw_export_opts none = { .cats = 1u << BW_CAT_PHISHING };

    t = export_list(BW_EXPORT_JSON, &none, NULL);
    assert_string_equal(t, "[]\n");
    free(t);
}

static void rpz_and_suricata_take_controllers(void **state)
{
    char *t = export_list(BW_EXPORT_RPZ, NULL, NULL);

    (void)state;
    assert_non_null(strstr(t, "\n32.1.199.16.175.rpz-ip CNAME .\n"));
    assert_non_null(strstr(t, "\n56.zz.cf41.2a02.rpz-ip CNAME .\n")); /* malware */
    assert_null(strstr(t, "142.69.2.81")); /* bruteforce is not a controller */
    assert_non_null(strstr(t, " SOA "));
    free(t);
    t = export_list(BW_EXPORT_SURICATA, NULL, NULL);
    assert_non_null(strstr(t, "alert ip any any <> 175.16.199.1 any (msg:\"botwatch controller "
                              "(c2) 175.16.199.1 score 95\"; classtype:trojan-activity; "
                              "sid:9200000; rev:1;"));
    assert_null(strstr(t, "sid:9200001"));
    assert_null(strstr(t, "81.2.69.142"));
    free(t);
    struct bw_export_opts o = { .suricata_drop = true };

    t = export_list(BW_EXPORT_SURICATA, &o, NULL);
    assert_non_null(strstr(t, "\ndrop ip any any <> 175.16.199.1 any"));
    free(t);
}

static uint64_t count_written(enum bw_export_format f)
{
    FILE *null = fopen("/dev/null", "w");
    struct bw_export *x = bw_export_new(f, null, NULL);
    uint64_t n;

    for (size_t i = 0; i < BW_ARRAY_LEN(list); i++) {
        struct bw_index_entry e = { .cats = list[i].cats, .score = list[i].score };

        assert_int_equal(bw_prefix_parse(&e.prefix, list[i].p, strlen(list[i].p)), BW_OK);
        assert_int_equal(bw_export_add(x, &e), BW_OK);
    }
    n = bw_export_written(x);
    assert_int_equal(bw_export_skipped(x), 0);
    assert_int_equal(bw_export_finish(x), BW_OK);
    fclose(null);
    return n;
}

static void counts_per_format(void **state)
{
    struct bw_export *x;
    struct bw_index_entry e = { .cats = 1, .score = 50 };
    FILE *null = fopen("/dev/null", "w");

    (void)state;
    assert_int_equal(count_written(BW_EXPORT_TXT), 10);
    assert_int_equal(count_written(BW_EXPORT_CIDR), 10); /* entries, not blocks */
    assert_int_equal(count_written(BW_EXPORT_RBLDNSD), 8);
    assert_int_equal(count_written(BW_EXPORT_RBLDNSD6), 2);
    assert_int_equal(count_written(BW_EXPORT_RPZ), 2);
    assert_int_equal(count_written(BW_EXPORT_SURICATA), 1);
    /* an ip6tset file cannot hold a /40 */
    x = bw_export_new(BW_EXPORT_RBLDNSD6, null, NULL);
    assert_int_equal(bw_prefix_parse(&e.prefix, "2a02:cf00::/40", 14), BW_OK);
    assert_int_equal(bw_export_add(x, &e), BW_OK);
    assert_int_equal(bw_export_skipped(x), 1);
    assert_int_equal(bw_export_written(x), 0);
    assert_int_equal(bw_export_finish(x), BW_OK);
    fclose(null);
}

static void errors_latch(void **state)
{
    struct bw_export_opts bad = { .name = "bot watch" };
    FILE *full = fopen("/dev/full", "w");
    struct bw_export *x;
    struct bw_index_entry e = { .cats = 1, .score = 50 };
    int rc;

    (void)state;
    x = bw_export_new(BW_EXPORT_NFT, stdout, &bad);
    assert_int_equal(bw_export_finish(x), BW_EINVAL);
    /* out of order for the aggregating formats */
    x = bw_export_new(BW_EXPORT_CIDR, stdout, NULL);
    assert_int_equal(bw_prefix_parse(&e.prefix, "10.0.0.2", 8), BW_OK);
    assert_int_equal(bw_export_add(x, &e), BW_OK);
    assert_int_equal(bw_prefix_parse(&e.prefix, "10.0.0.1", 8), BW_OK);
    assert_int_equal(bw_export_add(x, &e), BW_EINVAL);
    assert_int_equal(bw_export_add(x, &e), BW_EINVAL);
    bw_export_free(x);
    /* a write that fails is reported at the latest by finish */
    if (full != NULL) {
        x = bw_export_new(BW_EXPORT_TXT, full, NULL);
        rc = BW_OK;
        for (int i = 0; i < 100000 && rc == BW_OK; i++)
            rc = bw_export_add(x, &e);
        rc = bw_export_finish(x);
        assert_int_equal(rc, BW_EIO);
        fclose(full);
    }
}

/* ---- the real tools ---- */

static bool have(const char *tool)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    chmod(path, 0644);
}

/* Runs a shell command; returns its exit status and its stdout (caller frees). */
static int run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    char *buf = calloc(1, 1 << 16);
    size_t n;
    int st;

    assert_non_null(p);
    n = fread(buf, 1, (1 << 16) - 1, p);
    buf[n] = '\0';
    st = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/bw-test-export-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    chmod(tmpdir, 0755); /* rbldnsd drops root and must still read the zone */
    return 0;
}

static int teardown_dir(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool can_unshare(void)
{
    return system("unshare -n true >/dev/null 2>&1") == 0;
}

static void nft_accepts_and_loads(void **state)
{
    char path[128], cmd[512], *out;
    char *t = export_list(BW_EXPORT_NFT, NULL, NULL);

    (void)state;
    if (!have("nft") || !can_unshare()) {
        free(t);
        print_message("nft or unshare -n missing (apt-get install nftables): skipped\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/bl.nft", tmpdir);
    write_file(path, t);
    free(t);
    snprintf(cmd, sizeof(cmd), "unshare -n nft -c -f %s 2>&1", path);
    assert_int_equal(run(cmd, NULL), 0);
    /* a real load, twice (a reload replaces the contents), in a private network namespace */
    snprintf(cmd, sizeof(cmd),
             "unshare -n sh -c 'nft -f %s && nft -f %s && nft list set inet botwatch "
             "blocklist_v4 && nft list set inet botwatch blocklist_v6' 2>&1",
             path, path);
    assert_int_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "89.160.22.0/30"));
    assert_non_null(strstr(out, "89.160.21.0/24"));
    assert_non_null(strstr(out, "175.16.199.1"));
    assert_non_null(strstr(out, "2a02:cf41::/56"));
    assert_null(strstr(out, "89.160.21.7")); /* inside the /24: merged away */
    free(out);
}

static void ipset_restore_accepts(void **state)
{
    char path[128], cmd[512], *out;
    char *t = export_list(BW_EXPORT_IPSET, NULL, NULL);

    (void)state;
    if (!have("ipset") || !can_unshare()) {
        free(t);
        print_message("ipset or unshare -n missing (apt-get install ipset): skipped\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/bl.ipset", tmpdir);
    write_file(path, t);
    free(t);
    snprintf(cmd, sizeof(cmd),
             "unshare -n sh -c 'ipset restore < %s && ipset restore < %s && "
             "ipset test botwatch4 89.160.21.99 && ipset test botwatch4 89.160.22.3 && "
             "ipset test botwatch6 2a02:cf41::ff:1 && ! ipset test botwatch4 89.160.22.4 && "
             "ipset list -n' 2>&1",
             path, path);
    assert_int_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "botwatch4\n"));
    assert_null(strstr(out, "botwatch4-new")); /* swapped in and destroyed */
    free(out);
}

/* A free UDP port on 127.0.0.1 (the socket is closed before rbldnsd binds it). */
static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static char *dig(int port, const char *type, const char *name)
{
    char cmd[512], *out;

    snprintf(cmd, sizeof(cmd), "dig @127.0.0.1 -p %d +time=1 +tries=1 +short %s %s | sort",
             port, type, name);
    run(cmd, &out);
    return out;
}

static void rbldnsd_serves_our_zones(void **state)
{
    char z4[128], z6[128], bind_arg[64], *out = NULL;
    char *t4 = export_list(BW_EXPORT_RBLDNSD, NULL, NULL);
    char *t6 = export_list(BW_EXPORT_RBLDNSD6, NULL, NULL);
    int port;
    pid_t pid;
    bool ready = false;

    (void)state;
    if (!have("rbldnsd") || !have("dig")) {
        free(t4);
        free(t6);
        print_message("rbldnsd or dig missing (apt-get install rbldnsd dnsutils): skipped\n");
        skip();
    }
    assert_null(strstr(t4, "2a02")); /* each file holds its own family */
    assert_null(strstr(t6, "81.2.69"));
    snprintf(z4, sizeof(z4), "%s/zone4", tmpdir);
    snprintf(z6, sizeof(z6), "%s/zone6", tmpdir);
    write_file(z4, t4);
    write_file(z6, t6);
    free(t4);
    free(t6);
    port = free_port();
    snprintf(bind_arg, sizeof(bind_arg), "127.0.0.1/%d", port);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(null, 2);
        execlp("rbldnsd", "rbldnsd", "-n", "-q", "-b", bind_arg, "-w", tmpdir,
               "bl.botwatch.local:ip4set:zone4", "bl.botwatch.local:ip6tset:zone6",
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 50 && !ready; i++) { /* bounded: up to 50 dig timeouts of 1 s */
        free(out);
        out = dig(port, "SOA", "bl.botwatch.local");
        ready = strstr(out, "hostmaster.bl.botwatch.local") != NULL;
    }
    free(out);
    if (!ready) { /* do not leave it running behind a failed test */
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    assert_true(ready);
    out = dig(port, "A", "142.69.2.81.bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n127.0.1.2\n"); /* listed, bruteforce */
    free(out);
    out = dig(port, "A", "7.21.160.89.bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n127.0.1.1\n127.0.1.3\n"); /* scan and exploit */
    free(out);
    out = dig(port, "A", "99.21.160.89.bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n127.0.1.1\n"); /* inside the listed /24 */
    free(out);
    out = dig(port, "A", "1.199.16.175.bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n127.0.1.8\n"); /* c2 */
    free(out);
    out = dig(port, "A", "2.0.0.127.bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n"); /* RFC 5782 test point */
    free(out);
    out = dig(port, "A", "8.8.8.8.bl.botwatch.local");
    assert_string_equal(out, ""); /* not listed */
    free(out);
    out = dig(port, "TXT", "142.69.2.81.bl.botwatch.local");
    assert_string_equal(out, "\"botwatch: bruteforce, score 80\"\n"); /* one TXT */
    free(out);
    out = dig(port, "TXT", "7.21.160.89.bl.botwatch.local");
    assert_string_equal(out, "\"botwatch: scan,exploit, score 90\"\n");
    free(out);
    /* 2a02:cf40:0:1::17, reversed nibbles */
    out = dig(port, "A", "7.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.4.f.c.2.0.a.2."
                         "bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n");
    free(out);
    /* an address in the listed 2a02:cf41::/56 */
    out = dig(port, "A", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0.0.0.0.0.1.4.f.c.2.0.a.2."
                         "bl.botwatch.local");
    assert_string_equal(out, "127.0.0.2\n");
    free(out);
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* Differential: an index of random entries, exported through its walk, loaded into rbldnsd;
 * 10,000 addresses (listed, inside listed prefixes, and not) must get from rbldnsd exactly
 * what bw_index_lookup() says the DNSBL answers: 127.0.0.2 plus 127.0.1.N per category. */
static const char dns_client[] =
    "import socket,struct,sys\n"
    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)\n"
    "port=int(sys.argv[1]); bad=0; n=0\n"
    "for line in open(sys.argv[2]):\n"
    "  w=line.split(); ip=w[0]; want=sorted(w[1:])\n"
    "  q=b''.join(bytes([len(l)])+l.encode() for l in (ip.split('.')[::-1]+'bl.botwatch.local'"
    ".split('.')))+b'\\0'\n"
    "  qid=n&0xffff; s.sendto(struct.pack('>HHHHHH',qid,0x0100,1,0,0,0)+q+struct.pack('>HH',1,1),"
    "('127.0.0.1',port))\n"
    "  r=s.recv(4096); an=struct.unpack('>H',r[6:8])[0]; p=12+len(q)+4; got=[]\n"
    "  for _ in range(an):\n"
    "    while r[p]!=0 and r[p]<0xc0: p+=r[p]+1\n"
    "    p+= 2 if r[p]>=0xc0 else 1\n"
    "    t,c,ttl,l=struct.unpack('>HHIH',r[p:p+10]); p+=10\n"
    "    if t==1: got.append('.'.join(map(str,r[p:p+4])))\n"
    "    p+=l\n"
    "  n+=1\n"
    "  if sorted(got)!=want:\n"
    "    bad+=1\n"
    "    if bad<5: print('differs',ip,want,sorted(got))\n"
    "print('checked',n,'differ',bad)\n"
    "sys.exit(1 if bad or n==0 else 0)\n";

static int walk_to_export(void *ctx, const struct bw_index_entry *e)
{
    return bw_export_add(ctx, e);
}

static void rbldnsd_agrees_with_the_index(void **state)
{
    char ix_path[128], zone[128], qs[128], py[128], bind_arg[64], cmd[512], *out = NULL;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix = NULL;
    struct bw_diag d;
    uint64_t n_entries;
    unsigned seed = 5782;
    FILE *f;
    struct bw_export *x;
    int port;
    pid_t pid;
    bool ready = false;

    (void)state;
    if (!have("rbldnsd") || !have("dig") || !have("python3")) {
        bw_index_builder_free(b);
        print_message("rbldnsd, dig or python3 missing: skipped\n");
        skip();
    }
    for (int i = 0; i < 3000; i++) { /* addresses in 81.2.0.0/18 */
        struct bw_prefix p = { .len = 128 };
        uint32_t r = (uint32_t)rand_r(&seed);

        p.addr.b[10] = p.addr.b[11] = 0xff;
        p.addr.b[12] = 81;
        p.addr.b[13] = 2;
        p.addr.b[14] = (uint8_t)(r & 0x3f);
        p.addr.b[15] = (uint8_t)(r >> 8);
        assert_int_equal(bw_index_builder_add(b, &p, 1u << ((r >> 16) % BW_CAT_COUNT),
                                              (r >> 20) % 2 ? 80 : 50),
                         BW_OK);
    }
    for (int i = 0; i < 8; i++) { /* a few /24s among them, some with addresses inside */
        struct bw_prefix p = { .len = 120 };

        p.addr.b[10] = p.addr.b[11] = 0xff;
        p.addr.b[12] = 81;
        p.addr.b[13] = 2;
        p.addr.b[14] = (uint8_t)(i * 9);
        assert_int_equal(bw_index_builder_add(b, &p, (1u << BW_CAT_SCAN) | (1u << BW_CAT_BOT),
                                              60),
                         BW_OK);
    }
    snprintf(ix_path, sizeof(ix_path), "%s/diff.bwi", tmpdir);
    assert_int_equal(bw_index_builder_finish(b, ix_path, 1780000000, &n_entries, &d), BW_OK);
    assert_int_equal(bw_index_open(&ix, ix_path, &d), BW_OK);
    snprintf(zone, sizeof(zone), "%s/diffzone", tmpdir);
    f = fopen(zone, "w");
    assert_non_null(f);
    x = bw_export_new(BW_EXPORT_RBLDNSD, f, NULL);
    assert_int_equal(bw_index_walk(ix, walk_to_export, x), BW_OK);
    assert_int_equal(bw_export_finish(x), BW_OK);
    fclose(f);
    chmod(zone, 0644);
    /* the questions and what the index says */
    snprintf(qs, sizeof(qs), "%s/questions", tmpdir);
    f = fopen(qs, "w");
    assert_non_null(f);
    for (int i = 0; i < 10000; i++) {
        struct bw_addr a = { .b = { [10] = 0xff, [11] = 0xff, [12] = 81, [13] = 2 } };
        struct bw_index_entry hit;
        uint32_t r = (uint32_t)rand_r(&seed);
        char t[BW_ADDR_TEXT_MAX];

        a.b[14] = (uint8_t)(r & 0x7f); /* half of them outside the listed /18 */
        a.b[15] = (uint8_t)(r >> 8);
        fprintf(f, "%s", bw_addr_format(&a, t));
        if (bw_index_lookup(ix, &a, &hit)) {
            fprintf(f, " 127.0.0.2");
            for (unsigned c = 0; c < BW_CAT_COUNT; c++)
                if (hit.cats & (1u << c))
                    fprintf(f, " 127.0.1.%u", bw_export_rbl_code((enum bw_category)c));
        }
        fputc('\n', f);
    }
    fclose(f);
    bw_index_close(ix);
    snprintf(py, sizeof(py), "%s/client.py", tmpdir);
    write_file(py, dns_client);
    port = free_port();
    snprintf(bind_arg, sizeof(bind_arg), "127.0.0.1/%d", port);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(null, 2);
        execlp("rbldnsd", "rbldnsd", "-n", "-q", "-b", bind_arg, "-w", tmpdir,
               "bl.botwatch.local:ip4set:diffzone", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 50 && !ready; i++) {
        free(out);
        out = dig(port, "SOA", "bl.botwatch.local");
        ready = strstr(out, "hostmaster.bl.botwatch.local") != NULL;
    }
    free(out);
    if (!ready) { /* do not leave it running behind a failed test */
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    assert_true(ready);
    snprintf(cmd, sizeof(cmd), "python3 %s %d %s 2>&1", py, port, qs);
    int rc = run(cmd, &out);

    print_message("%s", out);
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "checked 10000 differ 0"));
    free(out);
}

static void named_checkzone_accepts_rpz(void **state)
{
    char path[128], cmd[512], *out;
    char *t = export_list(BW_EXPORT_RPZ, NULL, NULL);

    (void)state;
    if (!have("named-checkzone")) {
        free(t);
        print_message("named-checkzone missing (apt-get install bind9-utils): skipped\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/rpz.zone", tmpdir);
    write_file(path, t);
    free(t);
    snprintf(cmd, sizeof(cmd), "named-checkzone rpz.botwatch %s 2>&1", path);
    assert_int_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "OK"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(txt_is_one_entry_a_line),
        cmocka_unit_test(cidr_aggregates),
        cmocka_unit_test(filters_score_and_category),
        cmocka_unit_test(csv_quotes_lists),
        cmocka_unit_test(json_is_an_array_jansson_reads),
        cmocka_unit_test(rpz_and_suricata_take_controllers),
        cmocka_unit_test(counts_per_format),
        cmocka_unit_test(errors_latch),
        cmocka_unit_test(nft_accepts_and_loads),
        cmocka_unit_test(ipset_restore_accepts),
        cmocka_unit_test(rbldnsd_serves_our_zones),
        cmocka_unit_test(rbldnsd_agrees_with_the_index),
        cmocka_unit_test(named_checkzone_accepts_rpz),
    };

    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
