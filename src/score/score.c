/*
 * score/score.c - the listing policy of score.h: per-source weights, combination, verdict, why.
 * Invariants:
 *  - Pure: the result depends on the arguments only (no clock, no I/O, no globals).
 *  - Reporters of one organisation form one source; a source's weight never exceeds the cap
 *    of its highest trust, so repeats and sybil reporters inside one org cannot buy a listing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score/score.h"

static const char *const trust_names[BW_TRUST_COUNT] = { "low", "normal", "high" };

const char *bw_trust_name(enum bw_trust t)
{
    return (unsigned)t < BW_TRUST_COUNT ? trust_names[t] : "?";
}

int bw_trust_parse(enum bw_trust *out, const char *s)
{
    for (int i = 0; i < BW_TRUST_COUNT; i++) {
        if (strcmp(s, trust_names[i]) == 0) {
            *out = (enum bw_trust)i;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

void bw_policy_default(struct bw_policy *p)
{
    *p = (struct bw_policy){
        .half_life_s = 7 * 86400,
        .window_s = 30 * 86400,
        .expiry_s = 30 * 86400,
        .cap = { 0.2, 0.5, 0.95 },
        .corroboration = { 0.5, 1.0, 2.0 },
        .corroboration_needed = 2.0,
        .saturation = 1.0,
        .threshold = 25,
    };
}

int bw_duration_parse(int64_t *out_s, const char *s)
{
    char *end;
    long long v;
    int64_t unit = 1;

    if (*s < '0' || *s > '9')
        return BW_EMALFORMED;
    v = strtoll(s, &end, 10);
    if (*end != '\0') {
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return BW_EMALFORMED;
        }
        if (end[1] != '\0')
            return BW_EMALFORMED;
    }
    if (v <= 0 || v > (long long)(INT64_MAX / unit) || v * unit > 100LL * 365 * 86400)
        return BW_EMALFORMED;
    *out_s = (int64_t)v * unit;
    return BW_OK;
}

static int parse_number(double *out, const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= lo && v <= hi))
        return BW_EMALFORMED;
    *out = v;
    return BW_OK;
}

int bw_policy_set(struct bw_policy *p, const char *key, const char *value)
{
    double d;
    int rc;

    if (strcmp(key, "half_life") == 0)
        return bw_duration_parse(&p->half_life_s, value);
    if (strcmp(key, "window") == 0)
        return bw_duration_parse(&p->window_s, value);
    if (strcmp(key, "expiry") == 0)
        return bw_duration_parse(&p->expiry_s, value);
    if (strcmp(key, "threshold") == 0) {
        rc = parse_number(&d, value, 0, 100);
        if (rc == BW_OK)
            p->threshold = (int)lround(d);
        return rc;
    }
    if (strcmp(key, "saturation") == 0)
        return parse_number(&p->saturation, value, 0.01, 1e6);
    if (strcmp(key, "corroboration") == 0)
        return parse_number(&p->corroboration_needed, value, 0, 1e6);
    for (int t = 0; t < BW_TRUST_COUNT; t++) {
        char k[48];

        snprintf(k, sizeof(k), "cap.%s", trust_names[t]);
        if (strcmp(key, k) == 0)
            return parse_number(&p->cap[t], value, 0, 0.999);
        snprintf(k, sizeof(k), "corroboration.%s", trust_names[t]);
        if (strcmp(key, k) == 0)
            return parse_number(&p->corroboration[t], value, 0, 1e6);
    }
    return BW_EINVAL;
}

void bw_evidence_add(struct bw_evidence *e, int64_t t_s, bw_catmask cats, int64_t half_life_s)
{
    if (e->reports == 0) {
        e->first_seen_s = t_s;
        e->last_seen_s = t_s;
        e->mass = 1.0;
        e->mass_at_s = t_s;
    } else {
        if (t_s < e->first_seen_s)
            e->first_seen_s = t_s;
        if (t_s > e->last_seen_s)
            e->last_seen_s = t_s;
        bw_decay_merge(&e->mass, &e->mass_at_s, 1.0, t_s, half_life_s);
    }
    e->reports++;
    e->cats |= cats;
}

/* One independent source: the reporters of one organisation. */
struct source {
    const char *key;     /* org, or the reporter name when it has none */
    enum bw_trust trust; /* highest trust among its reporters in the window */
    double mass;         /* decayed reports now, over its reporters in the window */
    uint64_t reports;
    int64_t last_seen_s;
    size_t n_reporters;
    double weight;
    struct bw_prefix via; /* a listed network the evidence came through, when any */
};

static const char *source_key(const struct bw_evidence *e)
{
    return e->org != NULL && e->org[0] != '\0' ? e->org : e->reporter;
}

static int cmp_by_source(const void *a, const void *b)
{
    const struct bw_evidence *x = *(const struct bw_evidence *const *)a;
    const struct bw_evidence *y = *(const struct bw_evidence *const *)b;

    return strcmp(source_key(x), source_key(y));
}

/* Groups in-window evidence into sources; returns how many (written to *out, caller frees). */
static size_t group_sources(const struct bw_policy *p, const struct bw_evidence *ev, size_t n,
                            int64_t now_s, struct source **out)
{
    const struct bw_evidence **idx = bw_xcalloc(n ? n : 1, sizeof(*idx));
    struct source *src = bw_xcalloc(n ? n : 1, sizeof(*src));
    size_t m = 0, k = 0;

    for (size_t i = 0; i < n; i++) {
        if (ev[i].reports > 0 && ev[i].last_seen_s > now_s - p->window_s)
            idx[m++] = &ev[i];
    }
    bw_sort(idx, m, sizeof(*idx), cmp_by_source);
    for (size_t i = 0; i < m; i++) {
        const struct bw_evidence *e = idx[i];
        struct source *s;

        if (k == 0 || strcmp(src[k - 1].key, source_key(e)) != 0) {
            s = &src[k++];
            s->key = source_key(e);
            s->trust = e->trust;
        }
        s = &src[k - 1];
        if (e->trust > s->trust)
            s->trust = e->trust;
        s->mass += bw_decay(e->mass, e->mass_at_s, now_s, p->half_life_s);
        s->reports += e->reports;
        if (e->last_seen_s > s->last_seen_s)
            s->last_seen_s = e->last_seen_s;
        s->n_reporters++;
        if (e->via.len > 0)
            s->via = e->via;
    }
    for (size_t i = 0; i < k; i++) {
        struct source *s = &src[i];

        s->weight = p->cap[s->trust] * (1.0 - exp2(-s->mass / p->saturation));
    }
    free(idx);
    *out = src;
    return k;
}

void bw_score(const struct bw_policy *p, const struct bw_evidence *ev, size_t n, int64_t now_s,
              bool allowlisted, struct bw_verdict *out)
{
    struct source *src;
    size_t k = group_sources(p, ev, n, now_s, &src);
    double keep = 1.0;

    *out = (struct bw_verdict){ 0 };
    for (size_t i = 0; i < n; i++) {
        if (ev[i].reports > 0 && ev[i].last_seen_s > out->last_seen_s)
            out->last_seen_s = ev[i].last_seen_s;
    }
    for (size_t i = 0; i < k; i++) {
        keep *= 1.0 - src[i].weight;
        out->corroboration += p->corroboration[src[i].trust];
    }
    out->sources = k;
    out->score = (int)lround(100.0 * (1.0 - keep));
    free(src);

    if (k == 0)
        out->why = BW_WHY_NO_EVIDENCE;
    else if (allowlisted)
        out->why = BW_WHY_ALLOWLISTED;
    else if (out->last_seen_s <= now_s - p->expiry_s)
        out->why = BW_WHY_EXPIRED;
    else if (out->corroboration + 1e-9 < p->corroboration_needed)
        out->why = BW_WHY_UNCORROBORATED;
    else if (out->score < p->threshold)
        out->why = BW_WHY_BELOW_THRESHOLD;
    else
        out->why = BW_WHY_LISTED;
    out->listed = out->why == BW_WHY_LISTED;
}

static void format_duration(int64_t s, char *buf, size_t cap)
{
    if (s % 86400 == 0)
        snprintf(buf, cap, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(buf, cap, "%lldh", (long long)(s / 3600));
    else
        snprintf(buf, cap, "%llds", (long long)s);
}

int bw_score_why(const struct bw_policy *p, const struct bw_evidence *ev, size_t n, int64_t now_s,
                 const struct bw_verdict *v, struct bw_buf *out)
{
    struct source *src;
    size_t k = group_sources(p, ev, n, now_s, &src);
    char hl[24], win[24], exp_text[24], t[BW_TIME_TEXT_MAX];
    int rc = BW_OK;

    format_duration(p->half_life_s, hl, sizeof(hl));
    format_duration(p->window_s, win, sizeof(win));
    format_duration(p->expiry_s, exp_text, sizeof(exp_text));
    switch (v->why) {
    case BW_WHY_LISTED:
        rc = bw_buf_printf(out, "listed: score %d reaches the threshold %d and %zu independent "
                           "source%s corroborate%s it (%.1f of %.1f needed)", v->score,
                           p->threshold, v->sources, v->sources == 1 ? "" : "s",
                           v->sources == 1 ? "s" : "", v->corroboration,
                           p->corroboration_needed);
        break;
    case BW_WHY_NO_EVIDENCE:
        rc = bw_buf_printf(out, "not listed: no reports in the last %s", win);
        break;
    case BW_WHY_ALLOWLISTED:
        rc = bw_buf_printf(out, "not listed: the address is on the operator's allowlist "
                           "(score %d)", v->score);
        break;
    case BW_WHY_EXPIRED:
        rc = bw_buf_printf(out, "not listed: no report since %s, more than %s ago (score %d)",
                           bw_time_format(v->last_seen_s, t), exp_text, v->score);
        break;
    case BW_WHY_UNCORROBORATED:
        rc = bw_buf_printf(out, "not listed: %zu independent source%s give%s corroboration %.1f "
                           "of the %.1f needed; one source below high trust never lists an "
                           "address alone (score %d)", v->sources, v->sources == 1 ? "" : "s",
                           v->sources == 1 ? "s" : "", v->corroboration,
                           p->corroboration_needed, v->score);
        break;
    case BW_WHY_BELOW_THRESHOLD:
        rc = bw_buf_printf(out, "not listed: score %d is below the threshold %d", v->score,
                           p->threshold);
        break;
    }
    for (size_t i = 0; i < k && rc == BW_OK; i++) {
        const struct source *s = &src[i];

        char via[BW_PREFIX_TEXT_MAX + 16] = "";

        if (s->via.len > 0) {
            char pt[BW_PREFIX_TEXT_MAX];

            snprintf(via, sizeof(via), ", listing %s", bw_prefix_format(&s->via, pt));
        }
        rc = bw_buf_printf(out, "%s %s (%s trust%s, %zu reporter%s, %llu report%s, last %s, "
                           "%.2f decayed, weight %.2f of %.2f)", i == 0 ? ". Sources:" : ";",
                           s->key, bw_trust_name(s->trust), via, s->n_reporters,
                           s->n_reporters == 1 ? "" : "s", (unsigned long long)s->reports,
                           s->reports == 1 ? "" : "s", bw_time_format(s->last_seen_s, t), s->mass,
                           s->weight, p->cap[s->trust]);
    }
    if (rc == BW_OK && k > 0)
        rc = bw_buf_printf(out, ". Score = 100 x (1 - product of (1 - weight)); a report loses "
                           "half its weight every %s", hl);
    free(src);
    return rc;
}
