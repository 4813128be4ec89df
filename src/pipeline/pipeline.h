/*
 * pipeline/pipeline.h - evidence in, stored state out: read, parse, validate, deduplicate,
 * aggregate, write one transaction per batch.
 *
 * Manual:
 *  - bw_ingest_new(), then bw_ingest_file() per input ("-" is standard input; gzip is read
 *    transparently), then bw_ingest_finish() to write the last batch. Stats accumulate.
 *  - A report's identity is a hash of (reporter, address, time, categories, port): the same
 *    report ingested twice is stored once and counted as a duplicate the second time.
 *  - Validation rejects, counts and describes: non-public addresses, times more than an hour
 *    ahead of now or before 1990, and whatever the parser refused. Nothing stops the run.
 *  - Each batch (batch_reports reports) is sorted by address and written in one transaction, so
 *    a crash at any moment loses at most the batch in flight.
 * Invariants: the pipeline never scores (score/ does at read time) and never speaks SQL.
 */
#ifndef BW_PIPELINE_H
#define BW_PIPELINE_H

#include "core/core.h"
#include "enrich/enrich.h"
#include "parsers/parsers.h"
#include "store/store.h"

#define BW_INGEST_BATCH_DEFAULT 50000

/* ---- enrichment at ingest ---- */

/* The knowledge sources a device is enriched from; any may be NULL (that field stays
 * unknown). Borrowed: the caller opens and closes them. Read-only while ingest runs. */
struct bw_enricher {
    const struct bw_asn *asn;
    const struct bw_geo *geo;
    const struct bw_recog *recog;
    const struct bw_contacts *contacts;
    const uint32_t *override_asn;  /* operator sector overrides, sorted by asn */
    const uint8_t *override_vertical; /* enum bw_vertical per override */
    size_t n_overrides;
};

/* Fills the network part of e (asn, as_org, prefix, country, region, city, vertical, contact)
 * for address a. */
void bw_enrich_network(const struct bw_enricher *en, const struct bw_addr *a,
                       struct bw_enrichment *e);
/* Fills the device part of e from a report's banner (Recog) or the device fields it carries;
 * false when nothing was learnt. */
bool bw_enrich_device(const struct bw_enricher *en, const struct bw_report *r,
                      struct bw_enrichment *e);

struct bw_ingest_opts {
    const char *format;           /* "auto" (default when NULL), "ndjson", "csv" */
    const char *reporter;         /* when set, overrides every report's own reporter */
    const char *default_reporter; /* for reports that name none; NULL = "local" */
    size_t batch_reports;         /* reports per transaction; 0 = BW_INGEST_BATCH_DEFAULT */
    int64_t now_s;                /* the clock: defaults for missing times, future check */
    int64_t half_life_s;          /* decay used for evidence; must match the policy */
    unsigned examples;            /* rejected lines described on stderr per reason */
    struct bw_parser_opts parser; /* mode, year, category for the formats that use them */
    const struct bw_enricher *enricher; /* NULL: no enrichment */
};

#define BW_INGEST_FORMATS_MAX 16

/* What one format read: which parser rejected what. */
struct bw_format_stats {
    const char *format; /* NULL: unused slot */
    uint64_t files;
    uint64_t lines;
    uint64_t rejected[BW_REJECT_COUNT];
};

struct bw_ingest_stats {
    uint64_t lines;
    uint64_t accepted;   /* reports stored */
    uint64_t duplicates; /* reports already stored */
    uint64_t rejected[BW_REJECT_COUNT];
    uint64_t devices;    /* distinct devices that got new reports */
    uint64_t new_devices;
    uint64_t networks;   /* network listings (prefixes) that got new reports */
    uint64_t batches;
    uint64_t files_failed; /* inputs that could not be read */
    struct bw_format_stats by_format[BW_INGEST_FORMATS_MAX];
    double seconds;
};

struct bw_ingest;

BW_MUSTCHECK int bw_ingest_new(struct bw_ingest **out, struct bw_store *st,
                               const struct bw_ingest_opts *o);
/* Reads one input. BW_EIO/-errno when it cannot be opened or read (d says which and why;
 * reports read before a read error are kept); BW_EINVAL for an unknown format; a store failure
 * is returned as is and ends the ingest. */
BW_MUSTCHECK int bw_ingest_file(struct bw_ingest *in, const char *path, struct bw_diag *d);
/* Writes what is pending. */
BW_MUSTCHECK int bw_ingest_finish(struct bw_ingest *in, struct bw_diag *d);
const struct bw_ingest_stats *bw_ingest_stats(const struct bw_ingest *in);
uint64_t bw_ingest_rejected_total(const struct bw_ingest_stats *s);
void bw_ingest_free(struct bw_ingest *in); /* NULL is a no-op */

/* ---- reading without storing (botwatch parse uses it; ingest is built on it) ---- */

struct bw_read_opts {
    const char *format;               /* "auto" or a format name */
    struct bw_parser_opts parser;
    bw_emit_cb on_report;             /* each report; a negative value stops the read and is
                                       * returned */
    void (*on_reject)(void *ctx, uint64_t lineno, enum bw_reject why, const char *detail);
    void (*on_format)(void *ctx, const struct bw_parser *p); /* once, when the format is known;
                                                              * may be NULL */
    void *ctx;
};

/* Reads one input ("-" is standard input; gzip transparently) line by line through the
 * format's parser. *lines gets the number of lines read. BW_EIO/-errno when the input cannot
 * be opened or read (d names it; what was read before stays delivered), BW_EINVAL for an
 * unknown format, or the value a callback stopped with. */
BW_MUSTCHECK int bw_read_file(const char *path, const struct bw_read_opts *o, uint64_t *lines,
                              struct bw_diag *d);

/* The identity hash of a report under a reporter name (exposed for tests). */
int64_t bw_report_identity(const struct bw_report *r, const char *reporter);

#endif
