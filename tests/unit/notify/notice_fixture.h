/*
 * tests/unit/notify/notice_fixture.h - what the notify tests share: a notice of three devices
 * (two IPv4, one IPv6; one with hostile fields), temporary files, and running the Python
 * helpers beside this file (python3 from Debian is a test dependency).
 */
#ifndef BW_NOTICE_FIXTURE_H
#define BW_NOTICE_FIXTURE_H

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify/notice.h"

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */

/* Hostile values: line breaks (header and CSV row injection), quotes and commas, markup, a
 * spreadsheet formula, bytes that are not UTF-8, a bidirectional override. */
#define EVIL_HOST "evil\r\nBcc: victim@example.net,\"x\"<b>&amp;"
#define EVIL_EVIDENCE "GET /cgi-bin/<script>&\"'\r\nInjected: line\xff\xfe end \xe2\x80\xae"
#define EVIL_CONTROLLER "=HYPERLINK(\"http://x\")"

struct fx {
    struct bw_notice n;
    struct bw_notice_device dev[3];
};

static inline void fx_addr(struct bw_addr *a, const char *s)
{
    if (bw_addr_parse(a, s, strlen(s)) != BW_OK)
        fail_msg("bad address in test: %s", s);
}

static inline void fx_init(struct fx *f)
{
    struct bw_notice_device *d = f->dev;

    memset(f, 0, sizeof(*f));
    fx_addr(&d[0].addr, "81.2.69.142");
    d[0].first_s = NOW - 86400;
    d[0].last_s = NOW - 600;
    d[0].reports = 6;
    d[0].reporters = 2;
    d[0].cats = (1u << BW_CAT_BRUTEFORCE) | (1u << BW_CAT_SCAN);
    d[0].port = 22;
    d[0].score = 68;
    d[0].en.asn = 20712;
    snprintf(d[0].en.as_org, sizeof(d[0].en.as_org), "Andrews & Arnold Ltd");
    snprintf(d[0].en.prefix, sizeof(d[0].en.prefix), "81.2.69.0/24");
    snprintf(d[0].en.country, sizeof(d[0].en.country), "GB");
    snprintf(d[0].en.device_type, sizeof(d[0].en.device_type), "router");
    snprintf(d[0].en.device_vendor, sizeof(d[0].en.device_vendor), "MikroTik");
    snprintf(d[0].en.device_model, sizeof(d[0].en.device_model), "RB750");
    d[0].hostname = "host-142.aaisp.example";
    d[0].controller = "175.16.199.7";
    d[0].controller_country = "CN";
    d[0].controller_juris = BW_JURIS_OTHER;
    d[0].target_juris = BW_JURIS_MIXED;
    d[0].evidence[0] = "Failed password for root from 81.2.69.142 port 4242 ssh2";
    d[0].evidence[1] = ".lone dot line and From the start";
    d[0].advice = "Update RouterOS and change the admin password.";
    d[0].is_new = true;

    fx_addr(&d[1].addr, "81.2.69.160");
    d[1].first_s = NOW - 7200;
    d[1].last_s = NOW - 60;
    d[1].reports = 1;
    d[1].reporters = 1;
    d[1].cats = 1u << BW_CAT_BOT;
    d[1].score = 90;
    d[1].en.asn = 20712;
    snprintf(d[1].en.country, sizeof(d[1].en.country), "GB");
    snprintf(d[1].en.device_type, sizeof(d[1].en.device_type), "router");
    snprintf(d[1].en.device_vendor, sizeof(d[1].en.device_vendor), "Hikvision");
    d[1].hostname = EVIL_HOST;
    d[1].controller = EVIL_CONTROLLER;
    d[1].controller_country = "";
    d[1].evidence[0] = EVIL_EVIDENCE;
    d[1].advice = "";

    fx_addr(&d[2].addr, "2a02:8010::1");
    d[2].first_s = NOW - 3600;
    d[2].last_s = NOW - 3600;
    d[2].reports = 3;
    d[2].reporters = 3;
    d[2].cats = 1u << BW_CAT_PROXY;
    d[2].port = 8080;
    d[2].en.asn = 20712;
    snprintf(d[2].en.country, sizeof(d[2].en.country), "GB");
    snprintf(d[2].en.device_type, sizeof(d[2].en.device_type), "camera");
    d[2].hostname = "";
    d[2].controller = "";
    d[2].controller_country = "";
    d[2].advice = "";

    f->n.case_id = 17;
    f->n.idem_key = "case-17-aaisp-0-1780000000";
    f->n.contact = "aaisp";
    f->n.contact_role = "isp";
    f->n.to = "abuse@aaisp.example";
    f->n.from = "botwatch@registry.example";
    f->n.registry_name = "botwatch at registry.example";
    f->n.escalated_from = "";
    f->n.history = "";
    f->n.sent_s = NOW;
    f->n.due_s = NOW + 72 * 3600;
    f->n.ack_url = "https://registry.example/ack/17?sig=abc";
    f->n.dev = f->dev;
    f->n.n_dev = 3;
}

/* A fresh temporary directory (the test removes it with fx_rmdir). */
static inline void fx_tmpdir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/bw-test-notify-XXXXXX");
    if (mkdtemp(dir) == NULL)
        fail_msg("mkdtemp failed");
}

static inline void fx_rmdir(const char *dir)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fail_msg("cannot remove %s", dir);
}

static inline void fx_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

/* The whole file as a NUL-terminated heap string, NULL when it cannot be read. */
static inline char *fx_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap * 2 + 4096;
            buf = realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* Path of a helper script beside the tests: BW_FIXTURES is tests/fixtures. */
static inline void fx_helper(char *out, size_t cap, const char *name)
{
    const char *fix = getenv("BW_FIXTURES");

    snprintf(out, cap, "%s/../unit/notify/%s", fix != NULL ? fix : "tests/fixtures", name);
}

/* Runs "python3 helper args" and parses its stdout as JSON (NULL when it fails). */
static inline json_t *fx_python_json(const char *helper, const char *args)
{
    char script[512], cmd[2048];
    json_error_t err;

    fx_helper(script, sizeof(script), helper);
    snprintf(cmd, sizeof(cmd), "python3 '%s' %s", script, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    json_t *j = json_loadf(p, 0, &err);
    int st = pclose(p);
    if (j == NULL || st != 0) {
        print_message("%s: exit %d, %s\n", cmd, st, j == NULL ? err.text : "");
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The e-mail in file path as Python's email package reads it (mime_parse.py). */
static inline json_t *fx_parse_mime(const char *path)
{
    char arg[600];

    snprintf(arg, sizeof(arg), "'%s'", path);
    return fx_python_json("mime_parse.py", arg);
}

/* The decoded payload of leaf part i as a NUL-terminated heap string. */
static inline char *fx_part(json_t *mime, size_t i, size_t *len)
{
    const char *b64 = json_string_value(json_object_get(json_array_get(json_object_get(mime,
                                                                                   "parts"), i),
                                                        "b64"));
    size_t cap = b64 != NULL ? strlen(b64) : 0;
    char *out = malloc(cap + 1);
    size_t n = 0;

    if (b64 == NULL || sodium_base642bin((unsigned char *)out, cap, b64, cap, NULL, &n, NULL,
                                         sodium_base64_VARIANT_ORIGINAL) != 0)
        fail_msg("part %zu has no decodable payload", i);
    out[n] = '\0';
    if (len != NULL)
        *len = n;
    return out;
}

static inline const char *fx_part_attr(json_t *mime, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(mime, "parts"), i),
                                             key));
}

/* The decoded value of the first header called name, or NULL. */
static inline const char *fx_header(json_t *mime, const char *name)
{
    json_t *h = json_object_get(mime, "headers"), *kv;
    size_t i;

    json_array_foreach(h, i, kv) {
        if (strcasecmp(json_string_value(json_array_get(kv, 0)), name) == 0)
            return json_string_value(json_array_get(kv, 1));
    }
    return NULL;
}


/* Whether two texts are the same once line ends are made one kind: a 7bit MIME part travels
 * with CRLF line ends and a receiver may store them as LF. */
static inline bool fx_same_text(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;

    for (;;) {
        if (i < alen && a[i] == '\r' && i + 1 < alen && a[i + 1] == '\n')
            i++;
        if (j < blen && b[j] == '\r' && j + 1 < blen && b[j + 1] == '\n')
            j++;
        if (i == alen || j == blen)
            return i == alen && j == blen;
        if (a[i++] != b[j++])
            return false;
    }
}

#endif
