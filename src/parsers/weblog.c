/*
 * parsers/weblog.c - nginx and Apache access logs (common, combined, and either with a leading
 * virtual host): requests that probe or exploit become reports, ordinary requests nothing.
 * docs/formats.md (section weblog) documents the signature table below.
 * Invariants:
 *  - One report at most per line, with every matching signature's categories; the first match
 *    in table order names the target. The original line is the evidence (capped at 1 KiB).
 *  - Signatures match a normalised copy of the request target, referer and user agent (log
 *    escapes undone, percent-decoding applied twice, '+' in the query as a space, lower case)
 *    built in the parser's scratch space: no allocation per line.
 *  - "probe" signatures (paths that are harmless where they exist: admin panels, CMS logins)
 *    count only when the server answered 400 or more (but not 401).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

#define HOST_MAX 253
#define SEEN_MAX 64 /* distinct events remembered within one second, for seq */

/* An event already reported in the current second: repeats get seq 1, 2, ... */
struct seen {
    struct bw_addr key; /* the address, or a hash of the host name */
    bw_catmask cats;
    uint16_t port;
    uint32_t n; /* repeats so far */
};

struct weblog {
    struct bw_parser base;
    int64_t seen_t; /* the second seen[] is about */
    size_t n_seen, next_seen;
    struct seen seen[SEEN_MAX];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char host[HOST_MAX + 1];
    char controller[HOST_MAX + 1];
};

/* The fields of one access-log line; slices point into the line. */
struct access {
    struct bw_slice vhost;   /* empty when the line has none */
    struct bw_slice client;  /* address or host name */
    struct bw_slice time;    /* inside the brackets */
    struct bw_slice request; /* inside the quotes, still escaped */
    struct bw_slice referer; /* inside the quotes; empty when absent */
    struct bw_slice agent;
    int status;
};

enum where { W_PATH = 1, W_QUERY = 2, W_URI = 3, W_AGENT = 4, W_REFERER = 8, W_ANY = 15 };
enum strength { ATTACK, PROBE };

#define C_SCAN (1u << BW_CAT_SCAN)
#define C_EXPLOIT (1u << BW_CAT_EXPLOIT)
#define C_WEB (1u << BW_CAT_WEB_ATTACK)

struct sig {
    const char *needle; /* lower case, matched in the normalised text */
    size_t len;
    unsigned char where;
    unsigned char strength;
    bw_catmask cats;
    const char *target;
};

#define S(lit) lit, sizeof(lit) - 1

/* In priority order: the first match names the target. docs/formats.md (section weblog) mirrors it. */
static const struct sig sigs[] = {
    /* IoT and router exploits */
    { S("/gponform/diag_form"), W_PATH, ATTACK, C_EXPLOIT, "GPON router RCE (CVE-2018-10561)" },
    { S("/boaform/admin/formping"), W_PATH, ATTACK, C_EXPLOIT, "Boa/Realtek router formPing RCE" },
    { S("/boaform/admin/formlogin"), W_PATH, ATTACK, C_EXPLOIT, "Boa/Realtek router login" },
    { S("/picsdesc.xml"), W_PATH, ATTACK, C_EXPLOIT, "Realtek SDK miniigd UPnP RCE (CVE-2014-8361)" },
    { S("/ctrlt/deviceupgrade_1"), W_PATH, ATTACK, C_EXPLOIT, "Huawei HG532 RCE (CVE-2017-17215)" },
    { S("/sdk/weblanguage"), W_PATH, ATTACK, C_EXPLOIT, "Hikvision camera RCE (CVE-2021-36260)" },
    { S("todo=syscmd"), W_QUERY, ATTACK, C_EXPLOIT, "Netgear DGN setup.cgi RCE" },
    { S("/setup.cgi"), W_PATH, ATTACK, C_EXPLOIT, "Netgear DGN setup.cgi RCE" },
    { S("/tmunblock.cgi"), W_PATH, ATTACK, C_EXPLOIT, "Linksys E-series tmUnblock.cgi RCE" },
    { S("/hnap1"), W_PATH, ATTACK, C_EXPLOIT, "D-Link HNAP1 RCE" },
    { S("/shell?cd "), W_URI, ATTACK, C_EXPLOIT, "MVPower DVR shell RCE" },
    { S("/cgi-bin/viewlog.asp"), W_PATH, ATTACK, C_EXPLOIT, "Zyxel ViewLog.asp RCE" },
    { S("/ud/act?"), W_URI, ATTACK, C_EXPLOIT, "Eir D1000 TR-064 RCE (CVE-2016-10372)" },
    { S("/goform/set_limitclient_cfg"), W_PATH, ATTACK, C_EXPLOIT, "Tenda router RCE" },
    { S("/cgi/networkdiag.cgi"), W_PATH, ATTACK, C_EXPLOIT, "Sunhillo networkDiag RCE "
                                                          "(CVE-2021-36380)" },
    { S("/device.rsp"), W_PATH, ATTACK, C_EXPLOIT, "TBK DVR device.rsp RCE" },
    /* shell commands smuggled into a request (router CGI injection) */
    { S("wget http"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("curl http"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("tftp -g"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("busybox"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("chmod 777"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("chmod +x"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("rm -rf /tmp"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("cd /tmp"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("${ifs}"), W_URI, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("=$("), W_QUERY, ATTACK, C_EXPLOIT, "shell command injection" },
    { S("=`"), W_QUERY, ATTACK, C_EXPLOIT, "shell command injection" },
    /* application exploits */
    { S("${jndi:"), W_ANY, ATTACK, C_EXPLOIT, "Log4j JNDI injection (CVE-2021-44228)" },
    { S("${${"), W_ANY, ATTACK, C_EXPLOIT, "Log4j JNDI injection (CVE-2021-44228)" },
    { S("${::-"), W_ANY, ATTACK, C_EXPLOIT, "Log4j JNDI injection (CVE-2021-44228)" },
    { S("${lower:"), W_ANY, ATTACK, C_EXPLOIT, "Log4j JNDI injection (CVE-2021-44228)" },
    { S("${upper:"), W_ANY, ATTACK, C_EXPLOIT, "Log4j JNDI injection (CVE-2021-44228)" },
    { S("() {"), W_ANY, ATTACK, C_EXPLOIT, "Bash Shellshock (CVE-2014-6271)" },
    { S("invokefunction"), W_URI, ATTACK, C_EXPLOIT, "ThinkPHP RCE (CVE-2018-20062)" },
    { S("\\think\\"), W_URI, ATTACK, C_EXPLOIT, "ThinkPHP RCE (CVE-2018-20062)" },
    { S("eval-stdin.php"), W_PATH, ATTACK, C_EXPLOIT, "PHPUnit eval-stdin RCE (CVE-2017-9841)" },
    { S("allow_url_include"), W_URI, ATTACK, C_EXPLOIT, "PHP-CGI argument injection "
                                                     "(CVE-2012-1823, CVE-2024-4577)" },
    { S("auto_prepend_file"), W_URI, ATTACK, C_EXPLOIT, "PHP-CGI argument injection "
                                                     "(CVE-2012-1823, CVE-2024-4577)" },
    { S("php://input"), W_URI, ATTACK, C_EXPLOIT, "PHP code injection" },
    { S("<?php"), W_URI, ATTACK, C_EXPLOIT, "PHP code injection" },
    { S("base64_decode("), W_URI, ATTACK, C_EXPLOIT, "PHP code injection" },
    { S("/_ignition/execute-solution"), W_PATH, ATTACK, C_EXPLOIT, "Laravel Ignition RCE "
                                                                "(CVE-2021-3129)" },
    { S("(#_memberaccess"), W_ANY, ATTACK, C_EXPLOIT, "Apache Struts OGNL injection" },
    { S("%{(#"), W_ANY, ATTACK, C_EXPLOIT, "Apache Struts OGNL injection" },
    { S("/cgi-bin/../"), W_PATH, ATTACK, C_EXPLOIT, "Apache path traversal (CVE-2021-41773)" },
    /* path traversal and system files */
    { S("../"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("..\\"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("/etc/passwd"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("/etc/shadow"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("/etc/group"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("/proc/self/environ"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("win.ini"), W_URI, ATTACK, C_WEB, "path traversal" },
    { S("boot.ini"), W_URI, ATTACK, C_WEB, "path traversal" },
    /* SQL injection */
    { S("union select"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("union all select"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("information_schema"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S(",null,null"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("sleep("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("benchmark("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("load_file("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("waitfor delay"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("substr("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("substring("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("selectchar("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("||chr("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("distinct("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("upper("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("hex("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("md5("), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S(" or 1=1"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    { S("'or'1'='1"), W_QUERY, ATTACK, C_WEB, "SQL injection" },
    /* cross-site scripting (besides '<' and a letter in the query, see xss_tag()) */
    { S("javascript:"), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("alert("), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("prompt("), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("confirm("), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("onerror="), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("onload="), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    { S("document.cookie"), W_QUERY, ATTACK, C_WEB, "cross-site scripting" },
    /* secrets that never belong on a web server (other dot files: see dot_file()) */
    { S("/.env"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    { S("/.git/"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    { S("/.svn/"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    { S("/.aws/"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    { S("/.ssh/"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    { S("/.htpasswd"), W_PATH, ATTACK, C_WEB, "sensitive file probe" },
    /* CMS and admin panel probes: only where the server said they are not there */
    { S("/wp-login.php"), W_PATH, PROBE, C_WEB, "WordPress login probe" },
    { S("/wp-admin"), W_PATH, PROBE, C_WEB, "WordPress admin probe" },
    { S("/xmlrpc.php"), W_PATH, PROBE, C_WEB, "WordPress XML-RPC probe" },
    { S("/wlwmanifest.xml"), W_PATH, PROBE, C_WEB, "WordPress probe" },
    { S("/wp-config"), W_PATH, PROBE, C_WEB, "WordPress config probe" },
    { S("phpmyadmin"), W_PATH, PROBE, C_WEB, "phpMyAdmin probe" },
    { S("/pma/"), W_PATH, PROBE, C_WEB, "phpMyAdmin probe" },
    { S("/myadmin/"), W_PATH, PROBE, C_WEB, "phpMyAdmin probe" },
    { S("/mysqladmin/"), W_PATH, PROBE, C_WEB, "phpMyAdmin probe" },
    { S("/administrator/"), W_PATH, PROBE, C_WEB, "Joomla admin probe" },
    { S("/admin.php"), W_PATH, PROBE, C_WEB, "admin panel probe" },
    { S("/fckeditor/"), W_PATH, PROBE, C_WEB, "FCKeditor probe" },
    { S("/+cscoe+/"), W_PATH, PROBE, C_WEB, "Cisco ASA VPN probe" },
    { S("/solr/admin/"), W_PATH, PROBE, C_WEB, "Apache Solr admin probe" },
    { S("/phpinfo.php"), W_PATH, PROBE, C_WEB, "phpinfo probe" },
    /* scanner user agents */
    { S("masscan"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (masscan)" },
    { S("zgrab"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (zgrab)" },
    { S("nmap"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Nmap)" },
    { S("nikto"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Nikto)" },
    { S("sqlmap"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (sqlmap)" },
    { S("nuclei"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Nuclei)" },
    { S("wpscan"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (WPScan)" },
    { S("dirbuster"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (DirBuster)" },
    { S("gobuster"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (gobuster)" },
    { S("zmeu"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (ZmEu)" },
    { S("morfeus"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Morfeus)" },
    { S("jorgee"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Jorgee)" },
    { S("l9explore"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (LeakIX)" },
    { S("libredtail"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (RedTail)" },
    { S("censysinspect"), W_AGENT, ATTACK, C_SCAN, "scanner user agent (Censys)" },
};

/* Malware families named by the payloads they fetch. */
static const struct {
    const char *needle;
    const char *family;
} families[] = {
    { "mozi.", "Mozi" },
    { "mirai", "Mirai" },
    { "gafgyt", "Gafgyt" },
    { "hajime", "Hajime" },
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int month_index(const char *s)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++) {
        if (memcmp(names + 3 * i, s, 3) == 0)
            return i + 1;
    }
    return 0;
}

static int num(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "17/May/2015:10:05:03 +0000" (the zone may be missing) into Unix seconds. */
static int parse_clf_time(int64_t *out, const char *s, size_t len)
{
    int d, mon, y, hh, mm, ss, off = 0;

    if (len < 20 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':')
        return BW_EMALFORMED;
    d = num(s, 2);
    mon = month_index(s + 3);
    y = num(s + 7, 4);
    hh = num(s + 12, 2);
    mm = num(s + 15, 2);
    ss = num(s + 18, 2);
    if (mon == 0 || y < 0 || d < 1 || d > bw_days_in_month(y, mon) || hh < 0 || hh > 23 ||
        mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return BW_EMALFORMED;
    if (len > 20) {
        int zh, zm;

        if (len != 26 || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
            return BW_EMALFORMED;
        zh = num(s + 22, 2);
        zm = num(s + 24, 2);
        if (zh < 0 || zh > 23 || zm < 0 || zm > 59)
            return BW_EMALFORMED;
        off = (zh * 60 + zm) * 60 * (s[21] == '-' ? -1 : 1);
    }
    if (ss == 60)
        ss = 59;
    *out = bw_days_from_civil(y, mon, d) * 86400 + hh * 3600 + mm * 60 + ss - off;
    return BW_OK;
}

/* The end of a quoted field starting after its opening quote at s[i]: the index of the
 * closing quote, skipping backslash escapes (Apache writes \" and \\, nginx \x22); len when
 * the line ends first. */
static size_t quoted_end(const char *s, size_t len, size_t i)
{
    while (i < len && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < len)
            i++;
        i++;
    }
    return i < len ? i : len;
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
    while (i < len && s[i] == ' ')
        i++;
    return i;
}

/* Splits an access-log line. Returns NULL on success, else what is wrong. */
static const char *split_access(const char *s, size_t len, struct access *a)
{
    struct bw_slice tok[5];
    size_t i = 0, n = 0, e;

    memset(a, 0, sizeof(*a));
    /* up to four words before the '[' of the time: [vhost] client ident user */
    for (;;) {
        i = skip_spaces(s, len, i);
        if (i >= len)
            return "no [time] field";
        if (s[i] == '[')
            break;
        if (n == BW_ARRAY_LEN(tok) - 1)
            return "too many words before the [time] field";
        e = i;
        while (e < len && s[e] != ' ')
            e++;
        tok[n++] = (struct bw_slice){ s + i, e - i };
        i = e;
    }
    if (n < 2)
        return "too few words before the [time] field";
    if (n == 4) {
        a->vhost = tok[0];
        a->client = tok[1];
    } else {
        a->client = tok[0];
    }
    e = i + 1;
    while (e < len && s[e] != ']')
        e++;
    if (e >= len)
        return "unterminated [time] field";
    a->time = (struct bw_slice){ s + i + 1, e - i - 1 };
    i = skip_spaces(s, len, e + 1);
    if (i >= len || s[i] != '"')
        return "no quoted request";
    e = quoted_end(s, len, i + 1);
    if (e >= len)
        return "unterminated request";
    a->request = (struct bw_slice){ s + i + 1, e - i - 1 };
    i = e + 1;
    if (i >= len || s[i] != ' ')
        return "no status after the request";
    i++;
    if (i + 3 > len || !is_digit(s[i]) || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) ||
        (i + 3 < len && s[i + 3] != ' '))
        return "status is not three digits";
    a->status = num(s + i, 3);
    i += 3;
    /* bytes, then the optional referer and user agent */
    i = skip_spaces(s, len, i);
    while (i < len && s[i] != ' ')
        i++;
    for (int f = 0; f < 2; f++) {
        i = skip_spaces(s, len, i);
        if (i >= len || s[i] != '"')
            break;
        e = quoted_end(s, len, i + 1); /* a line cut short inside it keeps what is there */
        if (f == 0)
            a->referer = (struct bw_slice){ s + i + 1, e - i - 1 };
        else
            a->agent = (struct bw_slice){ s + i + 1, e - i - 1 };
        i = e + 1;
    }
    return NULL;
}

/* Undoes log escapes (\xNN, \\, \") and percent-encoding, maps '+' in the query to a space
 * and folds case, from s into out (at least len bytes). Returns the length written. */
static size_t normalise(const char *s, size_t len, char *out)
{
    size_t o = 0;
    bool query = false;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\\' && i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
            hexval(s[i + 3]) >= 0) {
            c = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
            i += 3;
        } else if (c == '\\' && i + 1 < len && (s[i + 1] == '\\' || s[i + 1] == '"')) {
            c = s[++i];
        } else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (c == '+' && query) {
            c = ' ';
        } else if (c == '?') {
            query = true;
        }
        out[o++] = lower(c);
    }
    return o;
}

/* A second round of percent-decoding in place (double-encoded %252e). */
static size_t percent_again(char *s, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = lower((char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        }
        s[o++] = c;
    }
    return o;
}

static bool has(struct bw_slice hay, const char *needle)
{
    return hay.len > 0 && memmem(hay.ptr, hay.len, needle, strlen(needle)) != NULL;
}

/* A set of the byte pairs in a text (hashed to 4096 bits): a needle with a pair the text
 * lacks cannot be in it, which spares most of the searches. */
struct pairs {
    uint64_t bits[64];
};

static unsigned pair_hash(unsigned char a, unsigned char b)
{
    return ((unsigned)a * 31u + b) & 4095u;
}

static void pairs_fill(struct pairs *ps, const char *s, size_t len)
{
    memset(ps, 0, sizeof(*ps));
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned h = pair_hash((unsigned char)s[i], (unsigned char)s[i + 1]);

        ps->bits[h >> 6] |= UINT64_C(1) << (h & 63);
    }
}

static bool pairs_may_hold(const struct pairs *ps, const char *needle, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned h = pair_hash((unsigned char)needle[i], (unsigned char)needle[i + 1]);

        if (!(ps->bits[h >> 6] & (UINT64_C(1) << (h & 63))))
            return false;
    }
    return true;
}

static bool has_n(struct bw_slice hay, const char *needle, size_t len)
{
    return hay.len >= len && memmem(hay.ptr, hay.len, needle, len) != NULL;
}

/* True when the request line is "METHOD target[ HTTP/x.y]" with an upper-case method. */
static bool http_request(struct bw_slice req, struct bw_slice *method, struct bw_slice *target)
{
    size_t i = 0, end = req.len;

    while (i < req.len && ((req.ptr[i] >= 'A' && req.ptr[i] <= 'Z') || req.ptr[i] == '_' ||
                           req.ptr[i] == '-'))
        i++;
    if (i == 0 || i > 20 || i >= req.len || req.ptr[i] != ' ')
        return false;
    *method = (struct bw_slice){ req.ptr, i };
    i++;
    if (end >= 9 && memcmp(req.ptr + end - 9, " HTTP/", 6) == 0 && end - 9 >= i)
        end -= 9;
    if (end <= i)
        return false;
    *target = (struct bw_slice){ req.ptr + i, end - i };
    for (size_t k = 0; k < target->len; k++) {
        if ((unsigned char)target->ptr[k] < 0x21 && target->ptr[k] != ' ')
            return false;
    }
    return true;
}

/* A '<' then a letter, '/' or '!' in the query: an HTML tag smuggled into a parameter. */
static bool xss_tag(struct bw_slice q)
{
    for (size_t i = 0; i + 1 < q.len; i++) {
        char c = q.ptr[i + 1];

        if (q.ptr[i] == '<' && ((c >= 'a' && c <= 'z') || c == '/' || c == '!'))
            return true;
    }
    return false;
}

/* A path segment that is a dot file other than /.well-known/. */
static bool dot_file(struct bw_slice path)
{
    for (size_t i = 0; i + 1 < path.len; i++) {
        char c;

        if (path.ptr[i] != '/' || path.ptr[i + 1] != '.')
            continue;
        c = i + 2 < path.len ? path.ptr[i + 2] : '\0';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            continue;
        if (path.len - i - 1 >= 11 && memcmp(path.ptr + i + 1, ".well-known", 11) == 0)
            continue;
        return true;
    }
    return false;
}

/* Remote file inclusion: a raw query value that is a URL with a '?' of its own
 * ("?page=http://host/x.txt?"). Raw, so that a properly encoded URL value does not count. */
static bool remote_include(struct bw_slice target)
{
    const char *q = memchr(target.ptr, '?', target.len);
    const char *end = target.ptr + target.len;

    while (q != NULL && q < end) {
        const char *v = memchr(q, '=', (size_t)(end - q));
        const char *stop;

        if (v == NULL)
            return false;
        v++;
        stop = v;
        while (stop < end && *stop != '&')
            stop++;
        if ((stop - v > 7 && strncasecmp(v, "http://", 7) == 0) ||
            (stop - v > 8 && strncasecmp(v, "https://", 8) == 0) ||
            (stop - v > 6 && strncasecmp(v, "ftp://", 6) == 0)) {
            if (memchr(v, '?', (size_t)(stop - v)) != NULL)
                return true;
        }
        q = stop;
    }
    return false;
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-';
}

/* A DNS name: letters, digits, dots and hyphens, with a dot and a letter. */
static bool host_name(struct bw_slice s)
{
    bool dot = false, alpha = false;

    if (s.len == 0 || s.len > HOST_MAX || s.ptr[0] == '.' || s.ptr[0] == '-')
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (!host_char(s.ptr[i]))
            return false;
        dot |= s.ptr[i] == '.';
        alpha |= (lower(s.ptr[i]) >= 'a' && lower(s.ptr[i]) <= 'z');
    }
    return dot && alpha;
}

/* The host a payload is fetched from or a JNDI lookup goes to (wget/curl http://HOST/...,
 * ${jndi:ldap://HOST:port/...}), as an address or a name, into out; false when none. */
static bool payload_host(struct bw_slice text, char *out)
{
    static const char *const after[] = { "wget ", "curl ", "jndi:" };
    static const char *const schemes[] = { "http://", "https://", "ldap://", "ldaps://",
                                           "rmi://" };
    const char *end = text.ptr + text.len;

    for (size_t a = 0; a < BW_ARRAY_LEN(after); a++) {
        const char *p = text.len > 0 ? memmem(text.ptr, text.len, after[a], strlen(after[a]))
                                     : NULL;

        if (p == NULL)
            continue;
        for (size_t k = 0; k < BW_ARRAY_LEN(schemes); k++) {
            size_t n = strlen(schemes[k]);
            const char *h = p + strlen(after[a]);
            const char *e;
            struct bw_addr tmp;
            struct bw_slice hs;

            if ((size_t)(end - h) < n || memcmp(h, schemes[k], n) != 0)
                continue;
            h += n;
            e = h;
            while (e < end && host_char(*e))
                e++;
            hs = (struct bw_slice){ h, (size_t)(e - h) };
            if (e < end && *e != '/' && *e != ':' && *e != ' ' && *e != '}')
                return false; /* an obfuscated name: ${lower:l}... */
            if (bw_addr_parse(&tmp, hs.ptr, hs.len) != BW_OK && !host_name(hs))
                return false;
            memcpy(out, hs.ptr, hs.len);
            out[hs.len] = '\0';
            return true;
        }
    }
    return false;
}

/* The port of a "name:port" virtual host, or 80. */
static uint16_t vhost_port(struct bw_slice vhost)
{
    size_t i = vhost.len;
    int v;

    while (i > 0 && is_digit(vhost.ptr[i - 1]))
        i--;
    if (i == 0 || i == vhost.len || vhost.ptr[i - 1] != ':' || vhost.len - i > 5)
        return 80;
    v = num(vhost.ptr + i, vhost.len - i);
    return v > 0 && v <= 65535 ? (uint16_t)v : 80;
}

/* The seq of r: how many identical events (same second, address, categories, port) came
 * before it. Lines are mostly in time order, so only the current second is remembered. */
static uint32_t next_seq(struct weblog *w, const struct bw_report *r)
{
    struct bw_addr key = r->addr;
    struct seen *s;

    if (r->host != NULL) {
        uint64_t h = 14695981039346656037u;

        for (const char *c = r->host; *c != '\0'; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211u;
        memset(&key, 0xff, sizeof(key));
        memcpy(key.b, &h, sizeof(h));
    }
    if (w->n_seen == 0 || w->seen_t != r->time_s) {
        w->seen_t = r->time_s;
        w->n_seen = 0;
        w->next_seen = 0;
    }
    for (size_t i = 0; i < w->n_seen; i++) {
        s = &w->seen[i];
        if (s->port == r->port && s->cats == r->cats && bw_addr_cmp(&s->key, &key) == 0)
            return ++s->n;
    }
    if (w->n_seen < SEEN_MAX)
        s = &w->seen[w->n_seen++];
    else
        s = &w->seen[w->next_seen++ % SEEN_MAX];
    *s = (struct seen){ .key = key, .cats = r->cats, .port = r->port };
    return 0;
}

/* Matches the signature table and the rules written as code; returns the categories and
 * sets *name to the first match. */
static bw_catmask match(struct bw_slice target, struct bw_slice uri, struct bw_slice path,
                        struct bw_slice query, struct bw_slice referer, struct bw_slice agent,
                        bool failed, const char **name)
{
    struct pairs ps;
    bw_catmask cats = 0;

    /* uri, referer and agent lie one after the other in the scratch space */
    pairs_fill(&ps, uri.ptr, uri.len + referer.len + agent.len);
    for (size_t i = 0; i < BW_ARRAY_LEN(sigs); i++) {
        const struct sig *s = &sigs[i];
        bool hit;

        if ((s->strength == PROBE && !failed) || !pairs_may_hold(&ps, s->needle, s->len))
            continue;
        if ((s->where & W_URI) == W_URI)
            hit = has_n(uri, s->needle, s->len);
        else
            hit = ((s->where & W_PATH) && has_n(path, s->needle, s->len)) ||
                  ((s->where & W_QUERY) && has_n(query, s->needle, s->len));
        hit = hit || ((s->where & W_AGENT) && has_n(agent, s->needle, s->len)) ||
              ((s->where & W_REFERER) && has_n(referer, s->needle, s->len));
        if (!hit)
            continue;
        cats |= s->cats;
        if (*name == NULL)
            *name = s->target;
    }
    if (xss_tag(query)) {
        cats |= C_WEB;
        if (*name == NULL)
            *name = "cross-site scripting";
    }
    if (failed && remote_include(target)) {
        cats |= C_WEB;
        if (*name == NULL)
            *name = "remote file inclusion";
    }
    if (failed && dot_file(path)) {
        cats |= C_WEB;
        if (*name == NULL)
            *name = "sensitive file probe";
    }
    return cats;
}

static int weblog_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                       bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct weblog *w = (struct weblog *)p;
    struct bw_report *r = &w->r;
    struct access a;
    struct bw_slice method, target, uri, agent = { 0 }, referer = { 0 };
    const char *why, *name = NULL;
    char *buf = p->scratch;
    bw_catmask cats = 0;
    size_t o;
    int64_t t;
    int rc;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    why = split_access(line, len, &a);
    if (why != NULL) {
        /* an access line behind a syslog header ("Jun  8 14:34:33 web nginx: 81.2.69.142 ...",
         * nginx's access_log syslog:): the first ": " that leaves an access line */
        const char *c = memmem(line, len < 256 ? len : 256, ": ", 2);

        if (c != NULL && split_access(c + 2, len - (size_t)(c + 2 - line), &a) == NULL)
            why = NULL;
    }
    if (why != NULL)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not an access-log line: %s", why);
    if (parse_clf_time(&t, a.time.ptr, a.time.len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "time \"%.*s\" is not dd/Mon/yyyy:hh:mm:ss "
                               "+zzzz",
                               (int)(a.time.len > 40 ? 40 : a.time.len), a.time.ptr);
    memset(r, 0, sizeof(*r));
    if (bw_addr_parse(&r->addr, a.client.ptr, a.client.len) != BW_OK) {
        if (!host_name(a.client))
            return bw_parser__fail(err, BW_REJECT_INVALID_IP,
                                   "client \"%.*s\" is neither an address nor "
                                   "a host name",
                                   (int)(a.client.len > 48 ? 48 : a.client.len), a.client.ptr);
        memcpy(w->host, a.client.ptr, a.client.len);
        w->host[a.client.len] = '\0';
        r->host = w->host;
    }
    if (a.request.len == 0 || (a.request.len == 1 && a.request.ptr[0] == '-'))
        return 0; /* a connection that sent no request: browsers' preconnects do it */

    if (!http_request(a.request, &method, &target)) {
        cats = C_SCAN;
        name = "malformed or non-HTTP request";
        uri = (struct bw_slice){ buf, normalise(a.request.ptr, a.request.len, buf) };
    } else {
        struct bw_slice path, query = { NULL, 0 };
        char *q;

        if (method.len == 7 && memcmp(method.ptr, "CONNECT", 7) == 0) {
            cats = C_SCAN;
            name = "proxy probe (CONNECT)";
        }
        o = percent_again(buf, normalise(target.ptr, target.len, buf));
        uri = (struct bw_slice){ buf, o };
        q = memchr(buf, '?', o);
        path = (struct bw_slice){ buf, q != NULL ? (size_t)(q - buf) : o };
        if (q != NULL)
            query = (struct bw_slice){ q, o - (size_t)(q - buf) };
        referer = (struct bw_slice){ buf + o, normalise(a.referer.ptr, a.referer.len, buf + o) };
        o += referer.len;
        agent = (struct bw_slice){ buf + o, normalise(a.agent.ptr, a.agent.len, buf + o) };
        cats |= match(target, uri, path, query, referer, agent, a.status >= 400 &&
                      a.status != 401, &name);
    }
    if (cats == 0)
        return 0;
    /* checked only now, for the evidence: the reader has checked every line already */
    if (!bw_utf8_valid(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "the line is not valid UTF-8");

    r->time_s = t;
    r->cats = cats;
    r->port = a.vhost.len > 0 ? vhost_port(a.vhost) : 80;
    r->proto = BW_PROTO_TCP;
    r->target = name;
    if (cats & C_EXPLOIT) {
        struct bw_slice all = { buf, uri.len + referer.len + agent.len };

        for (size_t i = 0; i < BW_ARRAY_LEN(families); i++) {
            if (has(uri, families[i].needle)) {
                r->family = families[i].family;
                break;
            }
        }
        if (payload_host(all, w->controller))
            r->controller = w->controller;
    }
    o = bw_utf8_truncate(line, len, BW_EVIDENCE_MAX);
    memcpy(w->evidence, line, o);
    w->evidence[o] = '\0';
    r->evidence = w->evidence;
    r->source = p->format;
    r->line = lineno;
    r->seq = next_seq(w, r);
    rc = emit(ctx, r);
    return rc != 0 ? rc : 1;
}

struct bw_parser *bw_parser__weblog_new(const struct bw_parser_opts *o)
{
    struct weblog *w = bw_xcalloc(1, sizeof(*w));

    bw_parser__init(&w->base, "weblog", o);
    w->base.line = weblog_line;
    return &w->base;
}

int bw_parser__weblog_detect(const char *head, size_t len)
{
    size_t i = 0, eol;
    struct access a;
    int64_t t;

    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (head[i] == '\n' || head[i] == '\r'))
        i++;
    for (eol = i; eol < len && head[eol] != '\n'; eol++)
        ;
    if (eol > i && head[eol - 1] == '\r')
        eol--;
    if (split_access(head + i, eol - i, &a) != NULL ||
        parse_clf_time(&t, a.time.ptr, a.time.len) != BW_OK)
        return 0;
    return 70;
}
