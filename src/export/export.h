/*
 * export/export.h - the blocklist in the formats enforcement points already read: plain text,
 * aggregated CIDR, CSV, JSON, an nftables script, an ipset restore file, rbldnsd zone files
 * (ip4set and ip6tset), a DNS response policy zone and Suricata rules.
 *
 * Manual:
 *  - Stream: bw_export_new() with a format, a FILE and options (filters, names); then
 *    bw_export_add() once per listed entry, in address order (bw_index_walk() gives them so;
 *    an address and a prefix holding it may both come, the prefix first); then
 *    bw_export_finish() writes the trailer, flushes and frees. Memory stays constant whatever
 *    the number of entries: nothing is buffered beyond one output buffer and one open range.
 *  - Filters (struct bw_export_opts): a minimum score and a set of categories (an entry
 *    passes when it has one of them). Some formats choose their entries themselves on top:
 *    rpz takes controller entries (c2, malware), suricata c2 entries, rbldnsd the IPv4
 *    entries and rbldnsd6 the IPv6 ones.
 *  - cidr, nft and ipset write the union of the entries as the fewest CIDR blocks
 *    (struct bw_cidr below): overlapping and adjacent entries merge, so interval sets never
 *    see a conflict and the files stay small.
 *  - The DNSBL answer code of a category (rbldnsd values, the DNSBL's A records) is
 *    127.0.1.N with N = bw_export_rbl_code(); docs/export.md holds the table.
 * Errors: bw_export_add() and bw_export_finish() return BW_EINVAL for entries out of address
 * order (cidr, nft, ipset), BW_ETOOBIG when the suricata sid range is used up, -errno when
 * writing fails. After a failure every later call returns the same code (it latches).
 * Invariants: no logging; no I/O except writes to the caller's FILE; the text written for an
 * entry depends only on the entry and the options (two exports of one index are identical).
 */
#ifndef BW_EXPORT_H
#define BW_EXPORT_H

#include <stdio.h>

#include "core/core.h"
#include "index/index.h"

enum bw_export_format {
    BW_EXPORT_TXT,      /* one address or prefix a line, as listed */
    BW_EXPORT_CIDR,     /* the fewest CIDR blocks covering the listed space */
    BW_EXPORT_CSV,      /* ip,categories,score with a header line */
    BW_EXPORT_JSON,     /* an array of {"ip","categories","score"} */
    BW_EXPORT_NFT,      /* an nft -f script: table inet, one interval set per family */
    BW_EXPORT_IPSET,    /* ipset restore: hash:net sets per family, swapped in whole */
    BW_EXPORT_RBLDNSD,  /* rbldnsd ip4set zone file (IPv4): 127.0.0.2 + 127.0.1.N lines */
    BW_EXPORT_RBLDNSD6, /* rbldnsd ip6tset zone file (IPv6 /64s) */
    BW_EXPORT_RPZ,      /* DNS response policy zone, rpz-ip triggers for controllers */
    BW_EXPORT_SURICATA, /* Suricata rules for controller (c2) addresses */
    BW_EXPORT_COUNT
};

/* "txt", "cidr", ...; BW_EMALFORMED for an unknown name. */
BW_MUSTCHECK int bw_export_format_parse(enum bw_export_format *out, const char *name);
const char *bw_export_format_name(enum bw_export_format f); /* "unknown" when out of range */
/* The MIME type an HTTP server should send the format with. */
const char *bw_export_format_mime(enum bw_export_format f);

/* Suricata sids: BW_EXPORT_SID_FIRST + n for the n-th rule of an export, never past LAST. */
#define BW_EXPORT_SID_FIRST 9200000u
#define BW_EXPORT_SID_LAST 9999999u
/* Elements per "add element" statement in the nft script (nft parses smaller statements
 * faster and keeps its error messages short). */
#define BW_EXPORT_NFT_CHUNK 4096u

struct bw_export_opts {
    int min_score;          /* entries below are left out; 0 = all */
    bw_catmask cats;        /* entries need one of these; 0 = any category */
    const char *name;       /* nft table, ipset set prefix; NULL = "botwatch" */
    const char *zone;       /* rbldnsd SOA/NS owner; NULL = "bl.botwatch.local" */
    const char *lookup_url; /* rbldnsd TXT, suricata reference: "$"/the address is appended;
                             * NULL = none */
    int64_t now_s;          /* written in headers and used as SOA serial */
    uint32_t ipset_maxelem; /* 0 = 16777216 */
    bool suricata_drop;     /* drop rules instead of alert rules */
};

struct bw_export;

/* BW_EINVAL when a name, zone or URL could not go into a script unquoted (name: letters,
 * digits, '_', 1-24 bytes; zone: a domain name; URL: no quote, ';' or newline, at most 256
 * bytes) or min_score is outside 0..100. bw_export_new() checks the same. */
BW_MUSTCHECK int bw_export_opts_check(const struct bw_export_opts *o);

/* Writes the format's header at once. opts may be NULL (defaults); its strings are borrowed
 * until bw_export_finish(). Never NULL (allocation failure aborts). */
struct bw_export *bw_export_new(enum bw_export_format f, FILE *out,
                                const struct bw_export_opts *opts);
/* One listed entry. Entries the filters leave out return BW_OK and write nothing. */
BW_MUSTCHECK int bw_export_add(struct bw_export *x, const struct bw_index_entry *e);
/* Entries taken so far (past the filters and the format's own choice; an entry written as
 * several lines, or merged into a block, counts once) and entries the format cannot express
 * (an ip6tset file holds /64s: a prefix shorter than /48 is skipped). */
uint64_t bw_export_written(const struct bw_export *x);
uint64_t bw_export_skipped(const struct bw_export *x);
/* Writes the trailer, flushes out (the FILE stays open) and frees x, also on failure.
 * Returns the first error met by any call on x. */
BW_MUSTCHECK int bw_export_finish(struct bw_export *x);
/* Frees x without a trailer (abandoning an export). NULL is a no-op. */
void bw_export_free(struct bw_export *x);

/* ---- the category code table shared with the DNSBL: 127.0.1.N ---- */

#define BW_EXPORT_RBL_NET "127.0.1." /* the first three octets of every category answer */
/* N for a category: scan=1, bruteforce=2, ... proxy=11 (enum order plus one). */
unsigned bw_export_rbl_code(enum bw_category c);

/* ---- building blocks (formats.c): text without the C library's printf ---- */

/* Longest text bw_export_put_prefix() writes, without a NUL. */
#define BW_EXPORT_PREFIX_MAX (BW_PREFIX_TEXT_MAX - 1)
/* An address (len 128, or an IPv4 /32) as its address text, anything else as a prefix
 * ("81.2.69.0/24", IPv4 lengths on the 32-bit scale). Writes no NUL; returns the length. */
size_t bw_export_put_prefix(char *dst, const struct bw_prefix *p);
/* The rpz-ip owner of a prefix without the ".rpz-ip" suffix: "32.142.69.2.81" or
 * "128.1.zz.db8.2001". Writes no NUL; dst needs 64 bytes; returns the length. */
size_t bw_export_put_rpz_ip(char *dst, const struct bw_prefix *p);

/* ---- CIDR aggregation (cidr.c) ---- */

/* Turns ranges given in order of their first address into the fewest CIDR blocks covering
 * their union, in address order. A block never covers anything outside the union, two blocks
 * never overlap, and no two blocks can be replaced by one. IPv4 (the ::ffff:0:0/96 range of the
 * 16-byte form) and IPv6 are one number line; a block never crosses the /96 boundary unless
 * the input does. */
typedef int (*bw_cidr_cb)(void *ctx, const struct bw_prefix *block);
struct bw_cidr {
    bw_cidr_cb cb;
    void *ctx;
    bool open;              /* a range is being collected */
    struct bw_addr lo, hi;  /* the open range, both ends inclusive */
    uint64_t blocks;        /* blocks given to cb */
};
void bw_cidr_init(struct bw_cidr *c, bw_cidr_cb cb, void *ctx);
/* BW_EINVAL when p has host bits set or starts below the previous one's start. A non-zero cb
 * return stops and is returned. */
BW_MUSTCHECK int bw_cidr_add(struct bw_cidr *c, const struct bw_prefix *p);
/* The same for an inclusive range of addresses (lo <= hi). */
BW_MUSTCHECK int bw_cidr_add_range(struct bw_cidr *c, const struct bw_addr *lo,
                                   const struct bw_addr *hi);
/* Emits the open range. c can be used again afterwards (a new sequence). */
BW_MUSTCHECK int bw_cidr_finish(struct bw_cidr *c);

#endif
