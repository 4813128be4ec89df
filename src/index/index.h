/*
 * index/index.h - the snapshot index: an immutable image of what is listed (addresses,
 * prefixes, their categories and scores), built from the store, saved as a versioned,
 * checksummed file that loads by mmap, and looked up without touching the database.
 *
 * Manual:
 *  - Build: bw_index_builder_new(), add every listed address or prefix with its categories
 *    and score (any order, duplicates merge: categories or-ed, the higher score kept), then
 *    bw_index_builder_finish() writes the file (to a temporary name, then renamed: readers
 *    never see half a file). bw_index_build_from_store() does all of that from a store at a
 *    given time, judging every device and network with score/ and the allowlist.
 *  - Load: bw_index_open() maps a file and validates it (magic, version, sizes, offsets,
 *    checksum) before anything is trusted; a corrupt file is refused with a diag naming it.
 *  - Look up: bw_index_lookup() answers for one address: listed or not, and what (the most
 *    specific entry: an address beats a prefix, a longer prefix a shorter one).
 *  - Swap: a server holds a struct bw_index_ref and replaces the pointer atomically; an index
 *    is freed when the last reader drops it (bw_index_ref_get/put), so no query is dropped.
 *  - Memory: IPv4 addresses cost about 3 bytes each (a 64 Ki-bucket table on the high 16
 *    bits, then the low 16 bits and a one-byte class per address), the figure the DNSBL's
 *    "no more than rbldnsd's ip4tset" target asks for. A class is one (categories, score
 *    band) pair; the file holds at most 255 classes,
 *    those holding most entries; an entry of a rarer pair is "escaped": its exact categories
 *    and score sit in a side table (16 bytes more), found by binary search (docs/snapshot.md).
 * Invariants: no I/O beyond the one file; no logging; an open index never changes.
 */
#ifndef BW_INDEX_H
#define BW_INDEX_H

#include "core/core.h"
#include "score/score.h"
#include "store/store.h"

struct bw_index;
struct bw_index_builder;

struct bw_index_entry {
    struct bw_prefix prefix; /* len 128 for a single address */
    bw_catmask cats;
    uint8_t score;           /* 0..100 (stored in bands of 5 in the file: a lookup gives the
                              * lowest score of the entry's class, never more than added) */
};

struct bw_index_builder *bw_index_builder_new(void);
/* BW_EINVAL for a prefix with host bits or a zero length, no categories, or a score outside
 * 0..100. */
BW_MUSTCHECK int bw_index_builder_add(struct bw_index_builder *b, const struct bw_prefix *p,
                                      bw_catmask cats, int score);
/* Writes the file and frees the builder (also on failure). *entries gets how many. */
BW_MUSTCHECK int bw_index_builder_finish(struct bw_index_builder *b, const char *path,
                                         int64_t built_s, uint64_t *entries, struct bw_diag *d);
void bw_index_builder_free(struct bw_index_builder *b); /* NULL is a no-op */

/* Judges every device and network in the store at now_s with the policy and the allowlist,
 * and writes the listed ones to path. */
BW_MUSTCHECK int bw_index_build_from_store(struct bw_store *st, const struct bw_policy *p,
                                           int64_t now_s, const char *path, uint64_t *entries,
                                           struct bw_diag *d);

BW_MUSTCHECK int bw_index_open(struct bw_index **out, const char *path, struct bw_diag *d);
/* The same validation of an image in memory (copied: the caller keeps p); fuzzers and tests. */
BW_MUSTCHECK int bw_index_open_mem(struct bw_index **out, const void *p, size_t len,
                                   struct bw_diag *d);
void bw_index_close(struct bw_index *ix); /* NULL is a no-op */

struct bw_index_info {
    uint32_t version;
    int64_t built_s;
    uint64_t v4_addresses, v6_addresses, prefixes;
    uint64_t file_bytes;
};
void bw_index_stat(const struct bw_index *ix, struct bw_index_info *out);

/* True when a is listed; *hit (may be NULL) gets the matching entry. Lock-free. */
bool bw_index_lookup(const struct bw_index *ix, const struct bw_addr *a,
                     struct bw_index_entry *hit);

/* The same for n addresses at once (a server's batch): listed[i] and hits[i] (hits may be
 * NULL) as bw_index_lookup() would give them. Faster than n lookups when the index is larger
 * than the CPU caches: the memory of every IPv4 lookup is fetched in parallel (prefetches in
 * two passes, the bucket table, then the entries) before any is compared. */
void bw_index_lookup_many(const struct bw_index *ix, size_t n, const struct bw_addr *a,
                          bool *listed, struct bw_index_entry *hits);

/* Visits every entry in address order (exports). A non-zero return stops and is returned. */
typedef int (*bw_index_cb)(void *ctx, const struct bw_index_entry *e);
BW_MUSTCHECK int bw_index_walk(const struct bw_index *ix, bw_index_cb cb, void *ctx);

/* ---- atomic swap for servers ---- */

/* A reference-counted slot holding the index in service. */
struct bw_index_ref;
struct bw_index_ref *bw_index_ref_new(struct bw_index *ix); /* takes ownership */
/* The index in service, pinned until bw_index_ref_put(). */
const struct bw_index *bw_index_ref_get(struct bw_index_ref *r);
void bw_index_ref_put(struct bw_index_ref *r, const struct bw_index *ix);
/* Puts ix in service (taking ownership); the old one is closed once its readers are done. */
void bw_index_ref_swap(struct bw_index_ref *r, struct bw_index *ix);
void bw_index_ref_free(struct bw_index_ref *r);

#endif
