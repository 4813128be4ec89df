/*
 * enrich/enrich.h - what a device is and where: network (ASN, AS organisation, prefix),
 * country, sector ("vertical"), device fingerprint, responsible contact, advisories.
 *
 * Manual:
 *  - Each knowledge source is its own object, opened from files fetched at set-up
 *    (scripts/fetch-data.sh puts them under .cache/data/) and read-only afterwards, so lookups
 *    need no locks: bw_asn (a compiled range table, mmap-ed), bw_geo (an MMDB through
 *    libmaxminddb), bw_recog (Rapid7 Recog XML databases matched with PCRE2), bw_contacts
 *    (operator CSV), bw_advisories (CISA KEV JSON plus operator notes).
 *  - Opening fails with a bw_diag naming the file and how to fetch it; callers carry on without
 *    that field (it stays unknown).
 *  - Strings returned by lookups point into the object and live as long as it does.
 * Invariants: no module here logs or touches the store; the CLI and the pipeline wire them.
 */
#ifndef BW_ENRICH_H
#define BW_ENRICH_H

#include "core/core.h"

/* ---- ASN range table ------------------------------------------------------------------ */

/* The IP-to-ASN data (@ip-location-db/asn: CSV lines "first,last,asn,org" for IPv4 and IPv6)
 * compiled into one binary file: a header with a magic, version and checksum; sorted,
 * disjoint ranges on the 16-byte address form; an ASN table with each AS's organisation and
 * announced address counts. Loads by mmap; lookups are binary searches. */
struct bw_asn;

struct bw_asn_info {
    uint32_t asn;            /* 0 = not announced */
    const char *org;         /* AS organisation name ("" when unknown) */
    struct bw_prefix prefix; /* the largest CIDR block inside the matched range that holds
                              * the address */
    uint64_t announced_v4;   /* IPv4 addresses the AS announces (for per-capita rates) */
    uint64_t announced_v6_64;/* IPv6 /64s the AS announces */
};

/* Compiles the CSVs (either may be NULL) into out_path (written to a temporary file and
 * renamed). Bad rows are counted in *bad_rows and skipped. */
BW_MUSTCHECK int bw_asn_compile(const char *csv_v4, const char *csv_v6, const char *out_path,
                                uint64_t *ranges, uint64_t *bad_rows, struct bw_diag *d);
/* Maps a compiled table; refuses a file with a bad magic, version, size or checksum. */
BW_MUSTCHECK int bw_asn_open(struct bw_asn **out, const char *path, struct bw_diag *d);
void bw_asn_close(struct bw_asn *t); /* NULL is a no-op */
/* False when no range holds a (info is then zeroed). */
bool bw_asn_lookup(const struct bw_asn *t, const struct bw_addr *a, struct bw_asn_info *info);
/* Organisation and announced counts of an ASN (for stats and vertical overrides). */
bool bw_asn_by_number(const struct bw_asn *t, uint32_t asn, struct bw_asn_info *info);

/* ---- country (MMDB) ------------------------------------------------------------------- */

struct bw_geo;

BW_MUSTCHECK int bw_geo_open(struct bw_geo **out, const char *mmdb_path, struct bw_diag *d);
void bw_geo_close(struct bw_geo *g); /* NULL is a no-op */
/* ISO 3166-1 alpha-2 country code into cc[3] ("" when unknown); region and city (may be NULL)
 * are filled when the database has them (a city database), else "". */
bool bw_geo_lookup(const struct bw_geo *g, const struct bw_addr *a, char cc[3],
                   char *region, size_t region_cap, char *city, size_t city_cap);

/* ---- vertical (sector) ---------------------------------------------------------------- */

enum bw_vertical {
    BW_VERTICAL_UNKNOWN,
    BW_VERTICAL_HOSTING,
    BW_VERTICAL_ISP,
    BW_VERTICAL_MOBILE,
    BW_VERTICAL_EDUCATION,
    BW_VERTICAL_GOVERNMENT,
    BW_VERTICAL_ENTERPRISE,
    BW_VERTICAL_COUNT
};

const char *bw_vertical_name(enum bw_vertical v);
BW_MUSTCHECK int bw_vertical_parse(enum bw_vertical *out, const char *s);
/* The documented classifier (docs/enrichment.md): keywords of the AS organisation name, and a
 * table of well-known ASNs; BW_VERTICAL_UNKNOWN rather than a guess when nothing matches. */
enum bw_vertical bw_vertical_classify(uint32_t asn, const char *as_org);

/* ---- device fingerprints (Recog) ------------------------------------------------------ */

struct bw_recog;

struct bw_device_info {
    char type[64];     /* "IP Camera", "DVR", "Router", ... (Recog hw.device) */
    char vendor[64];   /* hw.vendor, else os.vendor, else service.vendor */
    char model[64];    /* hw.product */
    char os[64];       /* os.product (+ os.version) */
    char software[64]; /* service.product */
    char version[32];  /* service.version */
    char matched[160]; /* "<database file>: <fingerprint description>" */
};

/* Loads every Recog XML database in dir (their own format, including param pos/value rules).
 * Patterns PCRE2 rejects are counted in *skipped (and named in d, once) and left out. */
BW_MUSTCHECK int bw_recog_open(struct bw_recog **out, const char *dir, size_t *fingerprints,
                               size_t *skipped, struct bw_diag *d);
void bw_recog_close(struct bw_recog *r); /* NULL is a no-op */
/* Matches a banner against the databases for its service (e.g. "http", "ssh", "telnet") or,
 * failing that, its port (80 -> HTTP server and HTML title databases, 22 -> SSH banners, ...),
 * else all. True when a fingerprint matched; out filled from its params. Thread-safe. */
bool bw_recog_match(const struct bw_recog *r, const char *banner, const char *service,
                    uint16_t port, struct bw_device_info *out);

/* ---- contacts ------------------------------------------------------------------------- */

enum bw_contact_role { BW_ROLE_ISP, BW_ROLE_UPSTREAM, BW_ROLE_CERT, BW_ROLE_COUNT };

struct bw_contact {
    char name[64];
    char email[128];
    char webhook[256];
    enum bw_contact_role role;
    char parent[64]; /* "" = top of its chain */
    char scope[512]; /* as imported: space-separated AS<n>, prefixes, country codes */
};

struct bw_contacts;

/* Parses a contacts CSV (header "name,scope,email,webhook,role,parent"). Bad rows (no name,
 * no scope, unknown role, bad scope item, bad email or webhook, duplicate name, unknown parent,
 * a cycle in parents) are skipped; a contact with neither email nor webhook is kept (its cases
 * wait with "no delivery route"); each is described in errors (one line each,
 * "line N: ...") . */
BW_MUSTCHECK int bw_contacts_parse(struct bw_contacts **out, const char *csv, size_t len,
                                   struct bw_buf *errors, size_t *bad_rows);
/* Builds a set from stored rows: new, add each (BW_ECONFLICT for a duplicate name, BW_EINVAL
 * for a bad scope item), then seal (BW_ECONFLICT when parents loop or name a missing
 * contact). Lookups only after seal. */
struct bw_contacts *bw_contacts_new(void);
BW_MUSTCHECK int bw_contacts_add(struct bw_contacts *c, const struct bw_contact *row);
BW_MUSTCHECK int bw_contacts_seal(struct bw_contacts *c, struct bw_diag *d);
void bw_contacts_free(struct bw_contacts *c); /* NULL is a no-op */
size_t bw_contacts_count(const struct bw_contacts *c);
const struct bw_contact *bw_contacts_at(const struct bw_contacts *c, size_t i);
const struct bw_contact *bw_contacts_by_name(const struct bw_contacts *c, const char *name);
/* The most specific contact for a device: a prefix containing it (longest first), then its
 * ASN, then its country; NULL when none. */
const struct bw_contact *bw_contacts_resolve(const struct bw_contacts *c, const struct bw_addr *a,
                                             uint32_t asn, const char *country);

/* ---- advisories ----------------------------------------------------------------------- */

struct bw_advisory {
    char id[32];         /* "CVE-2021-36260" or "note:<n>" */
    char vendor[64];
    char product[128];
    char name[256];      /* vulnerability name */
    char action[512];    /* required action / remediation */
    int64_t added_s;     /* dateAdded */
};

struct bw_advisories;

/* Parses CISA's KEV catalog JSON (cveID, vendorProject, product, vulnerabilityName,
 * requiredAction, dateAdded). */
BW_MUSTCHECK int bw_advisories_parse_kev(struct bw_advisories **out, const char *json, size_t len,
                                         size_t *skipped, struct bw_diag *d);
/* Builds a set from stored rows (and operator notes). */
struct bw_advisories *bw_advisories_new(void);
void bw_advisories_add(struct bw_advisories *a, const struct bw_advisory *row);
void bw_advisories_free(struct bw_advisories *a); /* NULL is a no-op */
size_t bw_advisories_count(const struct bw_advisories *a);
const struct bw_advisory *bw_advisories_at(const struct bw_advisories *a, size_t i);
/* Advisories whose vendor matches the device vendor (case-insensitive, normalised) and whose
 * product matches its model, software or type; up to max into out; returns how many. */
size_t bw_advisories_match(const struct bw_advisories *a, const struct bw_device_info *dev,
                           const struct bw_advisory **out, size_t max);

#endif
