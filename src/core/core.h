/*
 * core/core.h - the vocabulary every other module speaks: errors, logging, memory, buffers,
 * addresses, prefix sets, categories, UTC time and UTF-8.
 *
 * Manual:
 *  - Every fallible call returns int: BW_OK (0) or a negative BW_E* code; bw_strerror() names it.
 *  - An address is a struct bw_addr: always 16 bytes. IPv4 is held as the IPv4-mapped IPv6
 *    address (::ffff:a.b.c.d), so an IPv4-mapped IPv6 text *is* the IPv4 address: one key, one
 *    device. bw_addr_format() writes the canonical text (dotted quad for IPv4, RFC 5952 for IPv6).
 *  - bw_addr_class() says whether an address is public; anything else (private, loopback,
 *    documentation, ...) is never stored as a device.
 *  - A prefix set is built (add), sealed, then only read: lookups are binary searches over
 *    disjoint ranges, longest prefix wins.
 *  - Time is int64 Unix seconds, UTC; text is RFC 3339.
 * Invariants: core/ uses libc only, never logs except through bw_log_*(), and holds no globals
 * apart from the log level and the fixed clock of bw_time_set_now().
 */
#ifndef BW_CORE_H
#define BW_CORE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_MUSTCHECK __attribute__((warn_unused_result))
#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define BW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ---------------------------------------------------------------------------- */

enum bw_err {
    BW_OK = 0,
    BW_ENOMEM = -ENOMEM,
    BW_EINVAL = -EINVAL,
    BW_EAGAIN = -EAGAIN,
    BW_ENOENT = -ENOENT,
    BW_EIO = -EIO,
    BW_EMALFORMED = -1000, /* input does not parse */
    BW_ETOOBIG,            /* input or buffer over its cap */
    BW_ECONFLICT,          /* already exists / state does not allow it */
    BW_EBACKEND,           /* the store's backend failed; details in struct bw_diag */
    BW_ENOTFOUND,          /* no such record */
};

/* A decimal number in [min, max]: digits only (no sign, no spaces), no overflow;
 * BW_EMALFORMED otherwise. */
BW_MUSTCHECK int bw_u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Never NULL. Negative errno values are named with strerror(). */
const char *bw_strerror(int rc);

/* Caller-owned prose about a failure (file:line, SQL text, ...). Filled only on failure. */
struct bw_diag {
    char msg[512];
};
void bw_diag_set(struct bw_diag *d, const char *fmt, ...) BW_PRINTF(2, 3);

/* bw_panic() is for states that cannot happen; it aborts. */
_Noreturn void bw_panic(const char *fmt, ...) BW_PRINTF(1, 2);
#ifdef NDEBUG
#define BW_ASSERT(x) ((void)0)
#else
#define BW_ASSERT(x) ((x) ? (void)0 : bw_panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__))
#endif

/* ---- logging: one line per event on stderr: "botwatch: module: what (why) k=v" ----------- */

enum bw_log_level { BW_LOG_ERR, BW_LOG_WARN, BW_LOG_INFO, BW_LOG_DEBUG };
void bw_log_set_level(enum bw_log_level lvl);
void bw_log(enum bw_log_level lvl, const char *fmt, ...) BW_PRINTF(2, 3);
#define bw_log_err(...) bw_log(BW_LOG_ERR, __VA_ARGS__)
#define bw_log_warn(...) bw_log(BW_LOG_WARN, __VA_ARGS__)
#define bw_log_info(...) bw_log(BW_LOG_INFO, __VA_ARGS__)
#define bw_log_debug(...) bw_log(BW_LOG_DEBUG, __VA_ARGS__)

/* ---- memory: allocation failure aborts (every attacker-controlled size is capped) ------- */

void *bw_xmalloc(size_t n);
void *bw_xcalloc(size_t n, size_t size);
void *bw_xrealloc(void *p, size_t n);
char *bw_xstrdup(const char *s);
char *bw_xstrndup(const char *s, size_t n);

/* qsort() that accepts an empty array (base may then be NULL, which qsort's contract
 * forbids even for zero elements). */
void bw_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* A borrowed byte range; never freed. */
struct bw_slice {
    const char *ptr;
    size_t len;
};
#define BW_S(lit) ((struct bw_slice){ (lit), sizeof(lit) - 1 })

/* A growing byte buffer with a cap; data is always NUL-terminated. */
struct bw_buf {
    char *data;
    size_t len;
    size_t cap;     /* allocated bytes */
    size_t max_len; /* appends past this fail with BW_ETOOBIG; 0 = SIZE_MAX */
};
void bw_buf_init(struct bw_buf *b, size_t max_len);
void bw_buf_cleanup(struct bw_buf *b);
void bw_buf_reset(struct bw_buf *b);
BW_MUSTCHECK int bw_buf_append(struct bw_buf *b, const void *p, size_t n);
/* Room for extra more bytes (and the NUL) past len, for writing into data directly; len is
 * unchanged. BW_ETOOBIG past the cap. */
BW_MUSTCHECK int bw_buf_reserve(struct bw_buf *b, size_t extra);
BW_MUSTCHECK int bw_buf_printf(struct bw_buf *b, const char *fmt, ...) BW_PRINTF(2, 3);

/* ---- addresses ------------------------------------------------------------------------- */

struct bw_addr {
    uint8_t b[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
};

#define BW_ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

bool bw_addr_is_v4(const struct bw_addr *a);
/* Strict: dotted quad without leading zeros, or RFC 4291 IPv6 text without zone id.
 * Surrounding whitespace is not accepted. Returns BW_OK or BW_EMALFORMED. */
BW_MUSTCHECK int bw_addr_parse(struct bw_addr *out, const char *s, size_t len);
/* Canonical text into buf (at least BW_ADDR_TEXT_MAX bytes); returns buf. */
char *bw_addr_format(const struct bw_addr *a, char *buf);
int bw_addr_cmp(const struct bw_addr *a, const struct bw_addr *b);

/* What kind of space an address is in (the IANA special-purpose registries, both families,
 * plus IPv6 outside 2000::/3 as reserved). Only BW_ADDR_PUBLIC may become a device. */
enum bw_addr_class {
    BW_ADDR_PUBLIC = 0,
    BW_ADDR_THIS_NETWORK,  /* 0.0.0.0/8, ::/128 */
    BW_ADDR_PRIVATE,       /* RFC 1918, fc00::/7 */
    BW_ADDR_LOOPBACK,      /* 127/8, ::1 */
    BW_ADDR_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    BW_ADDR_CGNAT,         /* 100.64/10 */
    BW_ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
    BW_ADDR_BENCHMARKING,  /* 198.18/15, 2001:2::/48 */
    BW_ADDR_MULTICAST,     /* 224/4, ff00::/8 */
    BW_ADDR_BROADCAST,     /* 255.255.255.255 */
    BW_ADDR_PROTOCOL,      /* 192.0.0/24, 2001::/23 IETF protocol assignments (not Teredo) */
    BW_ADDR_RELAY,         /* 192.88.99/24 6to4 relay, 2002::/16 6to4, 2001::/32 Teredo */
    BW_ADDR_TRANSLATION,   /* 64:ff9b::/96, 64:ff9b:1::/48 */
    BW_ADDR_DISCARD,       /* 100::/64 */
    BW_ADDR_RESERVED,      /* 240/4, IPv6 outside 2000::/3, site-local, ORCHID, SRv6 SIDs */
};
enum bw_addr_class bw_addr_class(const struct bw_addr *a);
/* Short lower-case name: "public", "private", "loopback", ... */
const char *bw_addr_class_name(enum bw_addr_class c);

/* ---- prefixes and prefix sets ----------------------------------------------------------- */

struct bw_prefix {
    struct bw_addr addr; /* host bits are zero */
    uint8_t len;         /* 0..128, counted on the 16-byte form: an IPv4 /24 is len 120 */
};

/* "a.b.c.d/n", "x::/n", or a bare address (/32 or /128). Host bits set are BW_EMALFORMED. */
BW_MUSTCHECK int bw_prefix_parse(struct bw_prefix *out, const char *s, size_t len);
/* Canonical text ("81.2.69.0/24", "2a02:cf40::/32") into buf of BW_PREFIX_TEXT_MAX bytes. */
#define BW_PREFIX_TEXT_MAX (BW_ADDR_TEXT_MAX + 4)
char *bw_prefix_format(const struct bw_prefix *p, char *buf);
bool bw_prefix_contains(const struct bw_prefix *p, const struct bw_addr *a);

/* Longest-prefix-match set. Add prefixes with a value, seal, then look up. */
struct bw_pfxset;
struct bw_pfxset *bw_pfxset_new(void);
void bw_pfxset_free(struct bw_pfxset *s); /* NULL is a no-op */
/* Adding a prefix twice keeps the last value. Not allowed after seal (BW_ECONFLICT). */
BW_MUSTCHECK int bw_pfxset_add(struct bw_pfxset *s, const struct bw_prefix *p, uint32_t value);
void bw_pfxset_seal(struct bw_pfxset *s);
/* Prefixes added; duplicates are merged at seal, so before it this counts add calls. */
size_t bw_pfxset_count(const struct bw_pfxset *s);
/* True when some prefix covers a; *value and *match (either may be NULL) get the longest. */
bool bw_pfxset_lookup(const struct bw_pfxset *s, const struct bw_addr *a, uint32_t *value,
                      struct bw_prefix *match);

/* ---- categories ------------------------------------------------------------------------ */

enum bw_category {
    BW_CAT_SCAN,
    BW_CAT_BRUTEFORCE,
    BW_CAT_EXPLOIT,
    BW_CAT_WEB_ATTACK,
    BW_CAT_DDOS,
    BW_CAT_SPAM,
    BW_CAT_MALWARE,
    BW_CAT_C2,
    BW_CAT_BOT,
    BW_CAT_PHISHING,
    BW_CAT_PROXY,
    BW_CAT_COUNT
};
typedef uint32_t bw_catmask; /* bit (1u << enum bw_category) */

const char *bw_category_name(enum bw_category c);
/* Exact, case-sensitive name ("web-attack"); BW_EMALFORMED when unknown. */
BW_MUSTCHECK int bw_category_parse(enum bw_category *out, const char *s, size_t len);
/* Comma-separated names into buf (cap bytes); "" for 0. Returns buf. */
char *bw_catmask_format(bw_catmask m, char *buf, size_t cap);

/* ---- time ------------------------------------------------------------------------------ */

#define BW_TIME_TEXT_MAX 21 /* "2026-06-01T12:00:00Z" + NUL */

/* RFC 3339: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; 't', 'z' and a space separator
 * are accepted too. Fractions are dropped; a leap second (23:59:60 UTC) counts as 23:59:59.
 * BW_EMALFORMED on anything else, including instants outside years 0000..9999 UTC. */
BW_MUSTCHECK int bw_time_parse(int64_t *out, const char *s, size_t len);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (BW_TIME_TEXT_MAX bytes); returns buf. Times outside years
 * 0000..9999 are clamped to the nearest end. */
char *bw_time_format(int64_t t, char *buf);
/* Calendar arithmetic for the parsers of year-less or non-RFC 3339 stamps (proleptic
 * Gregorian): days since 1970-01-01 of a date (m 1-12, d 1-31), and a month's length. */
int64_t bw_days_from_civil(int64_t y, int m, int d);
int bw_days_in_month(int64_t y, int m);
/* The clock: the fixed time from bw_time_set_now() (--now) or else the system clock. */
int64_t bw_time_now(void);
void bw_time_set_now(int64_t t);

/* ---- text ------------------------------------------------------------------------------ */

/* True when p[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool bw_utf8_valid(const char *p, size_t len);
/* Largest n <= max such that p[0..n) does not end inside a UTF-8 sequence. */
size_t bw_utf8_truncate(const char *p, size_t len, size_t max);

/* ---- reports: one piece of evidence, as every parser emits it ----------------------------- */

#define BW_EVIDENCE_MAX 1024 /* bytes of evidence text kept per report */
#define BW_LINE_MAX 65536    /* an input line longer than this is rejected */

enum bw_proto { BW_PROTO_NONE = 0, BW_PROTO_TCP = 6, BW_PROTO_UDP = 17, BW_PROTO_ICMP = 1 };

/* Strings are borrowed from whoever filled the report (a parser's or a batch's arena); NULL
 * means absent. A report names either an address (addr, with net_len for a network listing)
 * or, when the source gave a host name instead, host. */
struct bw_report {
    struct bw_addr addr;
    uint8_t net_len;        /* 0: the address itself; else a network listing of this prefix
                             * length on the 16-byte scale (an IPv4 /24 is 120) */
    const char *host;       /* a host name where the source gave no address; addr unset */
    int64_t time_s;         /* when it happened, Unix s UTC */
    bw_catmask cats;        /* at least one bit */
    uint16_t port;          /* 0 = not known */
    uint8_t proto;          /* enum bw_proto value or another IP protocol number */
    uint32_t seq;           /* n-th identical event in its source (same second, address,
                             * category, port): keeps repeats distinct; 0 for the first */
    const char *reporter;   /* reporter name; NULL = the ingest's default */
    const char *evidence;   /* at most BW_EVIDENCE_MAX bytes of UTF-8 */
    const char *banner;     /* service banner the device presented */
    const char *service;    /* what the banner came from: "http", "ssh", "telnet", ... */
    const char *controller; /* address or host name of the controller it talked to */
    const char *family;     /* malware family */
    const char *target;     /* what it attacked */
    const char *device_vendor; /* device fields some sources carry (Shadowserver) */
    const char *device_type;
    const char *device_model;
    const char *source;     /* input format that produced it ("ndjson", "sshd", ...) */
    uint64_t line;          /* input line that completed the evidence, 1-based */
};

/* Why an input line or report was not accepted. Every reason is counted under its name. */
enum bw_reject {
    BW_REJECT_MALFORMED,        /* "malformed": the line is not in the format at all */
    BW_REJECT_MISSING_IP,       /* "missing_ip" */
    BW_REJECT_INVALID_IP,       /* "invalid_ip": not an IPv4/IPv6 address */
    BW_REJECT_NON_PUBLIC,       /* "non_public": private, loopback, documentation, ... */
    BW_REJECT_MISSING_CATEGORY, /* "missing_category" */
    BW_REJECT_UNKNOWN_CATEGORY, /* "unknown_category" */
    BW_REJECT_INVALID_TIME,     /* "invalid_time": not RFC 3339 nor Unix seconds */
    BW_REJECT_TIME_IN_FUTURE,   /* "time_in_future": more than an hour ahead of now */
    BW_REJECT_TIME_TOO_OLD,     /* "time_too_old": before 1990 */
    BW_REJECT_INVALID_PORT,     /* "invalid_port" */
    BW_REJECT_INVALID_FIELD,    /* "invalid_field": a field of the wrong type or size */
    BW_REJECT_LINE_TOO_LONG,    /* "line_too_long": over BW_LINE_MAX bytes */
    BW_REJECT_INVALID_UTF8,     /* "invalid_utf8" */
    BW_REJECT_COLUMNS,          /* "bad_columns": a CSV row or header that does not fit */
    BW_REJECT_HOST_ONLY,        /* "host_only": names a host, not an address (parse keeps it) */
    BW_REJECT_COUNT
};
const char *bw_reject_name(enum bw_reject r);

/* ---- decayed counters ---------------------------------------------------------------------- */

/* A decayed count: each event weighs 2^(-age / half_life_s). A counter is (mass, at): the sum
 * as seen at time `at`. Merging two counters is exact whatever their order: the result is
 * expressed at the later of the two times. */
double bw_decay(double mass, int64_t from_s, int64_t to_s, int64_t half_life_s);
void bw_decay_merge(double *mass, int64_t *at_s, double add_mass, int64_t add_at_s,
                    int64_t half_life_s);

#endif
