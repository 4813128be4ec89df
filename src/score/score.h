/*
 * score/score.h - the listing policy: how reports become a score, and when a score lists.
 *
 * Manual (docs/scoring.md is the user's version):
 *  - Evidence is kept per (device, reporter) as a struct bw_evidence: how many reports, when,
 *    and a decayed count (each report weighs 2^(-age / half_life)).
 *  - Reporters of one organisation are one source. A source's weight is
 *        w = cap[trust] * (1 - 2^(-m / saturation))
 *    where m is the source's decayed count now and trust its highest reporter trust: repeats
 *    from one source have diminishing returns and never exceed the cap of its trust.
 *  - The score combines sources as independent evidence:
 *        score = round(100 * (1 - prod(1 - w)))
 *  - A device is listed when all hold: it is not allowlisted; its last report is younger than
 *    expiry; its score reaches the threshold; and it is corroborated: the corroboration weights
 *    of its sources (low 0.5, normal 1, high 2) add up to at least 2. So one source below high
 *    trust never lists an address alone, whatever it sends.
 *  - Evidence of a reporter whose last report is older than the window counts for nothing.
 * Everything here is pure: no I/O, no clock (callers pass now), no globals.
 */
#ifndef BW_SCORE_H
#define BW_SCORE_H

#include "core/core.h"

enum bw_trust { BW_TRUST_LOW, BW_TRUST_NORMAL, BW_TRUST_HIGH, BW_TRUST_COUNT };

const char *bw_trust_name(enum bw_trust t);
BW_MUSTCHECK int bw_trust_parse(enum bw_trust *out, const char *s);

struct bw_policy {
    int64_t half_life_s;                   /* decay of a report's weight; default 7 days */
    int64_t window_s;                      /* evidence older than this is ignored; 30 days */
    int64_t expiry_s;                      /* no report for this long: not listed; 30 days */
    double cap[BW_TRUST_COUNT];            /* most a source of this trust can weigh, 0..1 */
    double corroboration[BW_TRUST_COUNT];  /* what a source of this trust adds to corroboration */
    double corroboration_needed;           /* sum needed to list; default 2 */
    double saturation;                     /* decayed reports for a source to reach half its cap */
    int threshold;                         /* score needed to list, 0..100; default 25 */
};

/* The defaults: the one place they live. */
void bw_policy_default(struct bw_policy *p);
/* Set one key ("half_life", "window", "expiry" take durations like "7d", "12h", "3600";
 * "threshold", "saturation", "corroboration", "cap.low|normal|high",
 * "corroboration.low|normal|high" take numbers). BW_EINVAL for an unknown key,
 * BW_EMALFORMED for a bad or out-of-range value. */
BW_MUSTCHECK int bw_policy_set(struct bw_policy *p, const char *key, const char *value);
/* Parse "7d", "12h", "30m", "45s" or plain seconds. */
BW_MUSTCHECK int bw_duration_parse(int64_t *out_s, const char *s);

/* One reporter's evidence on one device. */
struct bw_evidence {
    const char *reporter;  /* name (borrowed) */
    const char *org;       /* organisation (borrowed); NULL or "" = the reporter is its own */
    enum bw_trust trust;
    uint64_t reports;      /* all reports ever stored from this reporter on this device */
    int64_t first_seen_s;  /* its first and last report times */
    int64_t last_seen_s;
    double mass;           /* decayed report count as of mass_at_s */
    int64_t mass_at_s;
    bw_catmask cats;
    struct bw_prefix via;  /* via.len > 0: evidence on a listed network containing the device */
};

/* Adds one report at time t to an evidence record (reports, first/last, mass, cats). */
void bw_evidence_add(struct bw_evidence *e, int64_t t_s, bw_catmask cats, int64_t half_life_s);

enum bw_unlisted_why {
    BW_WHY_LISTED = 0,
    BW_WHY_NO_EVIDENCE,    /* never reported, or every report outside the window */
    BW_WHY_ALLOWLISTED,
    BW_WHY_EXPIRED,        /* last report older than expiry */
    BW_WHY_UNCORROBORATED, /* corroboration below what is needed */
    BW_WHY_BELOW_THRESHOLD,
};

struct bw_verdict {
    int score;                  /* 0..100 */
    bool listed;
    enum bw_unlisted_why why;
    size_t sources;             /* independent sources with evidence in the window */
    double corroboration;       /* their corroboration sum */
    int64_t last_seen_s;        /* latest report over all evidence; 0 if none */
};

/* Judges one device. ev[0..n) is all its evidence (any order); allowlisted comes from the
 * operator's allowlist. Never fails. */
void bw_score(const struct bw_policy *p, const struct bw_evidence *ev, size_t n, int64_t now_s,
              bool allowlisted, struct bw_verdict *out);

/* Explains a verdict in words into out (appended), naming each source and what it weighed. */
BW_MUSTCHECK int bw_score_why(const struct bw_policy *p, const struct bw_evidence *ev, size_t n,
                              int64_t now_s, const struct bw_verdict *v, struct bw_buf *out);

#endif
