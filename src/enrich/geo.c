/*
 * enrich/geo.c - country (and, for a city database, region and city) of an address, from an
 * MMDB read with libmaxminddb.
 *
 * Two layouts are understood: the @ip-location-db country databases keep "country_code" at
 * the top level of each record; MaxMind-style databases (GeoLite2/GeoIP2 Country and City,
 * DB-IP's MMDBs) keep country/iso_code, subdivisions/0/names/en and city/names/en. Which one
 * a database uses is found per record, so a merged or unusual database still works.
 *
 * Speed: a libmaxminddb lookup walks ~30 tree nodes spread over the file and decodes the record,
 * some 2M lookups/s on one core with random addresses; with the ASN table that is far from
 * the 5M/s the enrichment budget asks. So a country-only database (no record has city or
 * subdivisions: the ip-location-db ones) is compiled at open into two sorted boundary arrays
 * (IPv4, IPv6) with a 64K-bucket index, like the ASN table: a lookup is a bucket read and a
 * search of a few entries. A city database keeps the libmaxminddb path, which has the region
 * and city the flat table cannot hold. Compiling walks every tree node once (~1.3M for the
 * country database); a tree that is not a tree (more visits than nodes allow) or a bad record
 * falls back to libmaxminddb rather than failing.
 *
 * Invariants:
 *  - The database is mapped (MMDB_MODE_MMAP) and read-only after open, so lookups from any
 *    number of threads need no lock (libmaxminddb's lookups only read).
 *  - An IPv4 address (held as ::ffff:a.b.c.d) is looked up as IPv4: libmaxminddb then walks
 *    the database's IPv4 subtree (::a.b.c.d), which is where IPv4 data lives; the mapped form
 *    itself finds nothing in these databases.
 *  - Strings written out are NUL-terminated and cut on a UTF-8 boundary.
 *  - In flat mode, v4[] and v6[] are sorted by first, v4[0].first == 0 and v6[0] starts at ::,
 *    entry i covers [first_i, first_i+1), and the buckets index them as in enrich/asn.c.
 *  - Only public addresses (bw_addr_class) have a country; the rest is "" without a lookup.
 */
#include "enrich/enrich.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FETCH_HINT "run scripts/fetch-data.sh and botwatch data update"

__extension__ typedef unsigned __int128 u128;

#define N_BUCKETS 65536
#define CC_CACHE 8192 /* distinct data records remembered while compiling; more are decoded */
#define CC_PROBES 8

struct cc4 {
    uint32_t first; /* host-order IPv4 address */
    char cc[2];     /* "\0\0" = no country */
    uint16_t pad;
};

struct cc6 {
    uint64_t hi, lo;
    char cc[2];
    char pad[6];
};

struct bw_geo {
    MMDB_s mmdb;
    bool flat; /* country-only database compiled into the arrays below */
    struct cc4 *v4;
    struct cc6 *v6;
    uint32_t n_v4, n_v6;
    uint32_t v4_index[N_BUCKETS + 1], v6_index[N_BUCKETS + 1];
};

static bool get_cc(MMDB_entry_s *e, const char *const *path, char cc[3]);

static const char *const flat_cc[] = { "country_code", NULL };
static const char *const mm_cc[] = { "country", "iso_code", NULL };
static const char *const mm_registered[] = { "registered_country", "iso_code", NULL };
static const char *const mm_region[] = { "subdivisions", "0", "names", "en", NULL };
static const char *const mm_city[] = { "city", "names", "en", NULL };

/* ---- compiling a country-only database into flat arrays --------------------------------- */

struct walk_item {
    u128 prefix;
    uint8_t depth; /* bits fixed in prefix */
    uint8_t type;  /* MMDB_RECORD_TYPE_* of the record that led here */
    uint64_t record;
    MMDB_entry_s entry; /* for DATA */
};

struct flattener {
    struct bw_geo *g;
    size_t cap_v4, cap_v6;
    uint32_t cache_key[CC_CACHE]; /* data offset + 1; 0 = free slot */
    char cache_cc[CC_CACHE][2];
    uint64_t visits, max_visits;
    bool failed;
};

/* Country of a data record, or "" when it has none; marks failure for a city database. */
static void record_cc(struct flattener *f, MMDB_entry_s *e, char out[2])
{
    char cc[3] = "";
    MMDB_entry_data_s v;
    uint32_t slot = (e->offset * 2654435761u) % CC_CACHE;

    /* A short probe: a database that does not share records between networks has more
     * records than the cache, and those are simply decoded each time. */
    for (uint32_t i = 0; i < CC_PROBES; i++) {
        uint32_t k = f->cache_key[(slot + i) % CC_CACHE];
        if (k == e->offset + 1) {
            memcpy(out, f->cache_cc[(slot + i) % CC_CACHE], 2);
            return;
        }
        if (k == 0) {
            slot = (slot + i) % CC_CACHE;
            break;
        }
        if (i + 1 == CC_PROBES)
            slot = UINT32_MAX;
    }
    if (MMDB_aget_value(e, &v, mm_city) == MMDB_SUCCESS && v.has_data)
        f->failed = true;
    if (MMDB_aget_value(e, &v, mm_region) == MMDB_SUCCESS && v.has_data)
        f->failed = true;
    if (!get_cc(e, flat_cc, cc) && !get_cc(e, mm_cc, cc))
        (void)get_cc(e, mm_registered, cc);
    out[0] = cc[0];
    out[1] = cc[1];
    if (slot != UINT32_MAX) {
        f->cache_key[slot] = e->offset + 1;
        memcpy(f->cache_cc[slot], out, 2);
    }
}

static void emit4(struct flattener *f, uint32_t first, const char cc[2])
{
    struct bw_geo *g = f->g;

    if (g->n_v4 > 0 && memcmp(g->v4[g->n_v4 - 1].cc, cc, 2) == 0)
        return;
    if (g->n_v4 == f->cap_v4) {
        f->cap_v4 = f->cap_v4 ? f->cap_v4 * 2 : 65536;
        g->v4 = bw_xrealloc(g->v4, f->cap_v4 * sizeof(*g->v4));
    }
    g->v4[g->n_v4++] = (struct cc4){ .first = first, .cc = { cc[0], cc[1] } };
}

static void emit6(struct flattener *f, u128 first, const char cc[2])
{
    struct bw_geo *g = f->g;

    if (g->n_v6 > 0 && memcmp(g->v6[g->n_v6 - 1].cc, cc, 2) == 0)
        return;
    if (g->n_v6 == f->cap_v6) {
        f->cap_v6 = f->cap_v6 ? f->cap_v6 * 2 : 65536;
        g->v6 = bw_xrealloc(g->v6, f->cap_v6 * sizeof(*g->v6));
    }
    g->v6[g->n_v6++] = (struct cc6){ .hi = (uint64_t)(first >> 64), .lo = (uint64_t)first,
                                     .cc = { cc[0], cc[1] } };
}

/*
 * Walks the subtree under start in address order, emitting one boundary per leaf. bits is 32
 * (the IPv4 tree) or 128; skip is a node not to enter (the IPv4 subtree and its aliases, in
 * the IPv6 walk), UINT64_MAX for none.
 */
static void walk(struct flattener *f, struct walk_item start, unsigned bits, uint64_t skip)
{
    struct walk_item stack[2 * 130];
    size_t depth = 0;
    static const char none[2] = { 0, 0 };

    stack[depth++] = start;
    while (depth > 0 && !f->failed) {
        struct walk_item it = stack[--depth];
        char cc[2];

        if (it.type == MMDB_RECORD_TYPE_SEARCH_NODE && it.record == skip)
            it.type = MMDB_RECORD_TYPE_EMPTY;
        if (it.type == MMDB_RECORD_TYPE_SEARCH_NODE) {
            MMDB_search_node_s node;
            if (it.depth >= bits || ++f->visits > f->max_visits ||
                MMDB_read_node(&f->g->mmdb, (uint32_t)it.record, &node) != MMDB_SUCCESS) {
                f->failed = true;
                break;
            }
            u128 right_bit = (u128)1 << (bits - 1 - it.depth);
            stack[depth++] = (struct walk_item){ it.prefix | right_bit, (uint8_t)(it.depth + 1),
                                                 node.right_record_type, node.right_record,
                                                 node.right_record_entry };
            stack[depth++] = (struct walk_item){ it.prefix, (uint8_t)(it.depth + 1),
                                                 node.left_record_type, node.left_record,
                                                 node.left_record_entry };
            continue;
        }
        if (it.type == MMDB_RECORD_TYPE_DATA)
            record_cc(f, &it.entry, cc);
        else if (it.type == MMDB_RECORD_TYPE_EMPTY)
            memcpy(cc, none, 2);
        else {
            f->failed = true;
            break;
        }
        if (bits == 32)
            emit4(f, (uint32_t)it.prefix, cc);
        else
            emit6(f, it.prefix, cc);
    }
}

static void index_v4(struct bw_geo *g)
{
    uint32_t i = 0;

    for (uint32_t h = 0; h <= N_BUCKETS; h++) {
        while (i < g->n_v4 && (g->v4[i].first >> 16) < h)
            i++;
        g->v4_index[h] = i;
    }
}

static void index_v6(struct bw_geo *g)
{
    uint32_t i = 0;

    for (uint32_t h = 0; h <= N_BUCKETS; h++) {
        while (i < g->n_v6 && (g->v6[i].hi >> 48) < h)
            i++;
        g->v6_index[h] = i;
    }
}

/* Compiles the database into g->v4/g->v6 when it is country-only; else leaves g as it was. */
static void flatten(struct bw_geo *g)
{
    struct flattener *f = bw_xcalloc(1, sizeof(*f));
    const MMDB_s *m = &g->mmdb;
    uint32_t n_nodes = m->metadata.node_count;
    struct walk_item root = { 0, 0, MMDB_RECORD_TYPE_SEARCH_NODE, 0, { m, 0 } };

    f->g = g;
    f->max_visits = 2 * (uint64_t)n_nodes + 256;
    if (m->metadata.ip_version == 4) {
        walk(f, root, 32, UINT64_MAX);
    } else {
        /* The IPv4 tree is the one at ::/96: follow 96 left branches. */
        struct walk_item v4 = root;
        for (unsigned d = 0; d < 96 && v4.type == MMDB_RECORD_TYPE_SEARCH_NODE; d++) {
            MMDB_search_node_s node;
            if (MMDB_read_node(m, (uint32_t)v4.record, &node) != MMDB_SUCCESS) {
                f->failed = true;
                break;
            }
            v4 = (struct walk_item){ 0, 0, node.left_record_type, node.left_record,
                                     node.left_record_entry };
        }
        uint64_t skip = v4.type == MMDB_RECORD_TYPE_SEARCH_NODE ? v4.record : UINT64_MAX;
        if (!f->failed)
            walk(f, v4, 32, UINT64_MAX);
        if (!f->failed)
            walk(f, root, 128, skip);
    }
    if (f->failed || g->n_v4 > UINT32_MAX / 2 || g->n_v6 > UINT32_MAX / 2) {
        free(g->v4);
        free(g->v6);
        g->v4 = NULL;
        g->v6 = NULL;
        g->n_v4 = 0;
        g->n_v6 = 0;
    } else {
        g->flat = true;
        if (g->n_v4 > 0)
            g->v4 = bw_xrealloc(g->v4, g->n_v4 * sizeof(*g->v4));
        if (g->n_v6 > 0)
            g->v6 = bw_xrealloc(g->v6, g->n_v6 * sizeof(*g->v6));
        index_v4(g);
        index_v6(g);
    }
    free(f);
}

static bool flat_lookup(const struct bw_geo *g, const struct bw_addr *a, char cc[3])
{
    const char *found = NULL;

    if (bw_addr_is_v4(a)) {
        uint32_t x = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
                     (uint32_t)a->b[14] << 8 | a->b[15];
        uint32_t lo = g->v4_index[x >> 16];
        uint32_t hi = g->v4_index[(x >> 16) + 1];
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (g->v4[mid].first <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0)
            found = g->v4[lo - 1].cc;
    } else {
        uint64_t xh = 0;
        uint64_t xl = 0;
        for (int j = 0; j < 8; j++) {
            xh = xh << 8 | a->b[j];
            xl = xl << 8 | a->b[j + 8];
        }
        uint32_t lo = g->v6_index[xh >> 48];
        uint32_t hi = g->v6_index[(xh >> 48) + 1];
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            const struct cc6 *e = &g->v6[mid];
            if (e->hi < xh || (e->hi == xh && e->lo <= xl))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0)
            found = g->v6[lo - 1].cc;
    }
    if (found == NULL || found[0] == '\0')
        return false;
    cc[0] = found[0];
    cc[1] = found[1];
    cc[2] = '\0';
    return true;
}

/* ---- opening and lookups ------------------------------------------------------------------ */

int bw_geo_open(struct bw_geo **out, const char *mmdb_path, struct bw_diag *d)
{
    struct bw_geo *g = bw_xcalloc(1, sizeof(*g));
    int status = MMDB_open(mmdb_path, MMDB_MODE_MMAP, &g->mmdb);

    if (status != MMDB_SUCCESS) {
        int rc = BW_EMALFORMED;
        if (status == MMDB_FILE_OPEN_ERROR)
            rc = errno != 0 ? -errno : BW_ENOENT;
        else if (status == MMDB_IO_ERROR)
            rc = BW_EIO;
        else if (status == MMDB_OUT_OF_MEMORY_ERROR)
            rc = BW_ENOMEM;
        bw_diag_set(d, "geo: cannot open %s (%s); %s", mmdb_path, MMDB_strerror(status),
                    FETCH_HINT);
        free(g);
        return rc;
    }
    flatten(g);
    *out = g;
    return BW_OK;
}

void bw_geo_close(struct bw_geo *g)
{
    if (g == NULL)
        return;
    MMDB_close(&g->mmdb);
    free(g->v4);
    free(g->v6);
    free(g);
}

/* Copies a UTF-8 string value of at most cap - 1 bytes into out; false when it is not one. */
static bool copy_string(const MMDB_entry_data_s *v, char *out, size_t cap)
{
    if (!v->has_data || v->type != MMDB_DATA_TYPE_UTF8_STRING || cap == 0)
        return false;
    size_t n = bw_utf8_truncate(v->utf8_string, v->data_size, cap - 1);
    memcpy(out, v->utf8_string, n);
    out[n] = '\0';
    return true;
}

static bool get_string(MMDB_entry_s *e, const char *const *path, char *out, size_t cap)
{
    MMDB_entry_data_s v;

    if (MMDB_aget_value(e, &v, path) != MMDB_SUCCESS)
        return false;
    return copy_string(&v, out, cap);
}

/* Accepts only two ASCII letters, upper-cased: anything else is not a country code. */
static bool get_cc(MMDB_entry_s *e, const char *const *path, char cc[3])
{
    MMDB_entry_data_s v;

    if (MMDB_aget_value(e, &v, path) != MMDB_SUCCESS || !v.has_data ||
        v.type != MMDB_DATA_TYPE_UTF8_STRING || v.data_size != 2)
        return false;
    for (int i = 0; i < 2; i++) {
        char c = v.utf8_string[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        cc[i] = c;
    }
    cc[2] = '\0';
    return true;
}

bool bw_geo_lookup(const struct bw_geo *g, const struct bw_addr *a, char cc[3], char *region,
                   size_t region_cap, char *city, size_t city_cap)
{
    struct sockaddr_storage ss;
    int mmdb_error = MMDB_SUCCESS;

    cc[0] = '\0';
    if (region != NULL && region_cap > 0)
        region[0] = '\0';
    if (city != NULL && city_cap > 0)
        city[0] = '\0';

    /* Special-purpose space has no country, whatever a database says (the ip-location-db
     * country database of 2026-06 puts 192.168.0.0/16 in AU). */
    if (bw_addr_class(a) != BW_ADDR_PUBLIC)
        return false;
    if (g->flat)
        return flat_lookup(g, a, cc);
    memset(&ss, 0, sizeof(ss));
    if (bw_addr_is_v4(a)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, a->b + 12, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, a->b, 16);
    }
    MMDB_lookup_result_s res =
        MMDB_lookup_sockaddr(&g->mmdb, (const struct sockaddr *)&ss, &mmdb_error);
    if (mmdb_error != MMDB_SUCCESS || !res.found_entry)
        return false;

    /* registered_country stands in where a MaxMind record has no country (satellite and
     * anycast networks) */
    bool found = get_cc(&res.entry, flat_cc, cc) || get_cc(&res.entry, mm_cc, cc) ||
                 get_cc(&res.entry, mm_registered, cc);
    if (region != NULL && get_string(&res.entry, mm_region, region, region_cap))
        found = true;
    if (city != NULL && get_string(&res.entry, mm_city, city, city_cap))
        found = true;
    return found;
}
