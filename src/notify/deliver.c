/*
 * notify/deliver.c - the two delivery routes: SMTP through a relay and signed webhooks, both
 * with libcurl.
 * Invariants:
 *  - One attempt per call, no retries (the outbox owns them). 0 means the far side accepted
 *    the message: the relay answered 250 to the end of DATA, or the webhook any 2xx.
 *  - A failure fills d with one line naming the destination and the reason. Webhook URLs are
 *    named without user info, query or fragment, which is where tokens live.
 *  - Nothing from the caller reaches an SMTP command or an HTTP header unchecked: addresses
 *    and the idempotency key must be printable ASCII without the delimiters of their place,
 *    or the call fails with BW_EINVAL before any connection.
 *  - Errors worth retrying (cannot connect, timeout, 4xx from the relay, 5xx/408/429 from a
 *    webhook) return BW_EAGAIN; a refusal that will not change by itself (5xx from the relay,
 *    other webhook statuses, refused authentication or TLS) returns BW_EIO.
 *  - curl_global_init() runs once per process (pthread_once); every transfer sets
 *    CURLOPT_NOSIGNAL, so timeouts never raise signals in a threaded serve.
 */
#include "notify/notice.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L
#define RESPONSE_MAX (64u * 1024u) /* bytes of a webhook's answer read before giving up */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && sodium_init() >= 0
                    ? BW_OK
                    : BW_EIO;
}

static int ensure_global(struct bw_diag *d)
{
    pthread_once(&global_once, global_init);
    if (global_rc != BW_OK)
        bw_diag_set(d, "notify: libcurl or libsodium failed to initialise");
    return global_rc;
}

/* Printable ASCII, no space, none of the characters in bad. */
static bool token_ok(const char *s, size_t max, const char *bad)
{
    size_t len = s != NULL ? strlen(s) : 0;

    if (len == 0 || len > max)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr(bad, *p) != NULL)
            return false;
    }
    return true;
}

static bool mail_addr_ok(const char *s)
{
    const char *at = s != NULL ? strchr(s, '@') : NULL;

    return token_ok(s, 254, "()<>[]\\,;:\"") && at != NULL && at != s && at[1] != '\0';
}

static long timeout_of(long timeout_ms)
{
    return timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

static void common_opts(CURL *c, long timeout_ms, char *errbuf)
{
    long t = timeout_of(timeout_ms);

    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t < CONNECT_TIMEOUT_MS ? t : CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

/* The reason for a transfer that failed before any answer counted. */
static int transport_error(CURLcode cc, const char *errbuf, long timeout_ms, const char *what,
                           struct bw_diag *d)
{
    const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc);

    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        bw_diag_set(d, "%s: timed out after %ld ms", what, timeout_of(timeout_ms));
        return BW_EAGAIN;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        bw_diag_set(d, "%s: cannot reach it (%s)", what, why);
        return BW_EAGAIN;
    case CURLE_LOGIN_DENIED:
        bw_diag_set(d, "%s: authentication refused (%s)", what, why);
        return BW_EIO;
    case CURLE_USE_SSL_FAILED:
        bw_diag_set(d, "%s: STARTTLS required but not offered (%s)", what, why);
        return BW_EIO;
    default:
        bw_diag_set(d, "%s: %s", what, why);
        return BW_EIO;
    }
}

/* ---- SMTP ----------------------------------------------------------------------------- */

struct reader {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct reader *r = ud;
    size_t n = size * nitems < r->left ? size * nitems : r->left;

    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

/* smtp://host:port/ehlo-domain, the host bracketed when it is an IPv6 address. */
static int smtp_url(char *url, size_t cap, const struct bw_smtp *s, const char *from)
{
    const char *dom = strrchr(from, '@') + 1;
    bool v6 = strchr(s->host, ':') != NULL;

    if (!token_ok(s->host, sizeof(s->host) - 1, "/?#@[]\\") || !token_ok(dom, 253, "/?#@[]\\:"))
        return BW_EINVAL;
    snprintf(url, cap, "smtp://%s%s%s:%u/%s", v6 ? "[" : "", s->host, v6 ? "]" : "",
             s->port != 0 ? s->port : 25u, dom);
    return BW_OK;
}

static void smtp_opts(CURL *c, const struct bw_smtp *s, const char *url, char *from_arg,
                      struct curl_slist *rcpt, struct reader *r)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_arg);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, r);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->left);
    if (s->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (s->user[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
    }
}

int bw_smtp_send(const struct bw_smtp *s, const char *from, const char *to, const char *msg,
                 size_t len, struct bw_diag *d)
{
    char url[600], what[300], errbuf[CURL_ERROR_SIZE], from_arg[260], to_arg[260];
    struct reader r = { msg, len };
    struct curl_slist *rcpt;
    long code = 0;
    int rc = ensure_global(d);

    if (rc != BW_OK)
        return rc;
    if (!mail_addr_ok(from) || !mail_addr_ok(to)) {
        bw_diag_set(d, "smtp: invalid %s address (a plain user@domain is needed)",
                    mail_addr_ok(from) ? "recipient" : "sender");
        return BW_EINVAL;
    }
    if (smtp_url(url, sizeof(url), s, from) != BW_OK) {
        bw_diag_set(d, "smtp: invalid relay host or sender domain");
        return BW_EINVAL;
    }
    snprintf(what, sizeof(what), "smtp relay %s:%u", s->host, s->port != 0 ? s->port : 25u);
    snprintf(from_arg, sizeof(from_arg), "<%s>", from);
    snprintf(to_arg, sizeof(to_arg), "<%s>", to);
    CURL *c = curl_easy_init();
    if (c == NULL) {
        bw_diag_set(d, "%s: libcurl could not make a handle", what);
        return BW_ENOMEM;
    }
    rcpt = curl_slist_append(NULL, to_arg);
    common_opts(c, s->timeout_ms, errbuf);
    smtp_opts(c, s, url, from_arg, rcpt, &r);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK && code >= 400) {
        bw_diag_set(d, "%s: relay answered %ld for <%s> (%s)", what, code, to,
                    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
        rc = code >= 500 ? BW_EIO : BW_EAGAIN;
    } else if (cc != CURLE_OK) {
        rc = transport_error(cc, errbuf, s->timeout_ms, what, d);
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return rc;
}

/* ---- webhooks ------------------------------------------------------------------------- */

void bw_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char out[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char stamp[24];
    const char *key = secret != NULL ? secret : "";

    snprintf(stamp, sizeof(stamp), "%lld.", (long long)ts);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, strlen(stamp));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
}

/* scheme://host[:port]/path of url into out: what error messages may show. BW_EINVAL when
 * the URL does not parse or is not http(s). */
static int url_for_humans(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = BW_EINVAL;

    if (u != NULL && url != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        snprintf(out, cap, "%s://%s%s%s%s", scheme, host, port != NULL ? ":" : "",
                 port != NULL ? port : "", path != NULL ? path : "/");
        rc = BW_OK;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    size_t *seen = ud;

    (void)ptr;
    *seen += size * nmemb;
    return *seen > RESPONSE_MAX ? 0 : size * nmemb; /* 0 ends a runaway answer */
}

static struct curl_slist *webhook_headers(const char *secret, const char *idem_key, int64_t ts,
                                          const char *body, size_t len)
{
    char line[160], sig[65];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

    h = curl_slist_append(h, "Expect:");
    snprintf(line, sizeof(line), "X-Botwatch-Timestamp: %lld", (long long)ts);
    h = curl_slist_append(h, line);
    if (secret != NULL && secret[0] != '\0') {
        bw_webhook_sign(secret, ts, body, len, sig);
        snprintf(line, sizeof(line), "X-Botwatch-Signature: sha256=%s", sig);
        h = curl_slist_append(h, line);
    }
    snprintf(line, sizeof(line), "Idempotency-Key: %s", idem_key);
    return curl_slist_append(h, line);
}

int bw_webhook_post(const char *url, const char *secret, const char *idem_key, int64_t ts,
                    const char *body, size_t len, long timeout_ms, struct bw_diag *d)
{
    char shown[512], what[540], errbuf[CURL_ERROR_SIZE];
    size_t seen = 0;
    long code = 0;
    int rc = ensure_global(d);

    if (rc != BW_OK)
        return rc;
    if (url_for_humans(url, shown, sizeof(shown)) != BW_OK) {
        bw_diag_set(d, "webhook: not an http(s) URL");
        return BW_EINVAL;
    }
    snprintf(what, sizeof(what), "webhook %s", shown);
    if (!token_ok(idem_key, 120, "")) {
        bw_diag_set(d, "%s: invalid idempotency key", what);
        return BW_EINVAL;
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        bw_diag_set(d, "%s: libcurl could not make a handle", what);
        return BW_ENOMEM;
    }
    struct curl_slist *h = webhook_headers(secret, idem_key, ts, body, len);
    common_opts(c, timeout_ms, errbuf);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "botwatch");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &seen);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && code >= 200 && code < 300)) {
        rc = transport_error(cc, errbuf, timeout_ms, what, d);
    } else if (code < 200 || code > 299) {
        bw_diag_set(d, "%s: answered HTTP %ld", what, code);
        rc = code >= 500 || code == 408 || code == 429 ? BW_EAGAIN : BW_EIO;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}
