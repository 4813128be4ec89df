/*
 * http/keys.c - API keys: roles, scopes, and a file of hashes.
 * Invariants:
 *  - A key is "bw_" and 64 hex digits of randombytes; only its BLAKE2b-256 hash is written.
 *  - Matching hashes the presented text once and compares it with every stored hash with
 *    sodium_memcmp, so the time taken says nothing about which key (or how much of one)
 *    matched.
 *  - The file is replaced whole (temporary file in the same directory, fsync, rename), mode
 *    0600: a reader sees the old set or the new one.
 * The keys live in a file beside the database until the store grows an api_keys table (the
 * migration is proposed in docs/api.md); nothing here speaks SQL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "http/http.h"

#define KEYS_MAX 10000

struct bw_keys {
    struct bw_key *k;
    size_t n;
};

static const char *const role_names[BW_KEY_ROLE_COUNT] = { "reporter", "bouncer", "isp", "cert",
                                                           "admin" };

const char *bw_key_role_name(enum bw_key_role r)
{
    return (unsigned)r < BW_KEY_ROLE_COUNT ? role_names[r] : "?";
}

int bw_key_role_parse(enum bw_key_role *out, const char *s)
{
    for (int i = 0; i < BW_KEY_ROLE_COUNT; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum bw_key_role)i;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

int bw_keys_path(char *out, size_t cap, const char *db_path)
{
    int n = snprintf(out, cap, "%s.keys", db_path);

    return n < 0 || (size_t)n >= cap ? BW_ETOOBIG : BW_OK;
}

void bw_keys_free(struct bw_keys *ks)
{
    if (ks == NULL)
        return;
    free(ks->k);
    free(ks);
}

size_t bw_keys_count(const struct bw_keys *ks)
{
    return ks->n;
}

const struct bw_key *bw_keys_at(const struct bw_keys *ks, size_t i)
{
    return i < ks->n ? &ks->k[i] : NULL;
}

static void hash_key(uint8_t out[32], const char *text, size_t len)
{
    crypto_generichash(out, 32, (const unsigned char *)text, len, NULL, 0);
}

const struct bw_key *bw_keys_match(const struct bw_keys *ks, const char *text, size_t len)
{
    uint8_t h[32];
    const struct bw_key *hit = NULL;

    if (len != BW_KEY_TEXT_LEN)
        return NULL;
    hash_key(h, text, len);
    for (size_t i = 0; i < ks->n; i++) {
        bool same = sodium_memcmp(h, ks->k[i].hash, sizeof(h)) == 0;

        hit = same ? &ks->k[i] : hit;
    }
    return hit;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= BW_KEY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static int key_from_json(struct bw_key *k, json_t *o, struct bw_diag *d, const char *path,
                         size_t idx)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *role = json_string_value(json_object_get(o, "role"));
    const char *hash = json_string_value(json_object_get(o, "hash"));
    json_t *asns = json_object_get(o, "asns"), *ccs = json_object_get(o, "countries"), *v;
    json_t *created = json_object_get(o, "created");
    size_t i, bin_len = 0;

    memset(k, 0, sizeof(*k));
    if (name == NULL || !valid_name(name) || role == NULL ||
        bw_key_role_parse(&k->role, role) != BW_OK || hash == NULL ||
        sodium_hex2bin(k->hash, sizeof(k->hash), hash, strlen(hash), NULL, &bin_len, NULL) !=
            0 ||
        bin_len != sizeof(k->hash)) {
        bw_diag_set(d, "%s: key %zu: needs a name, a role and a 64-digit hash", path, idx);
        return BW_EMALFORMED;
    }
    snprintf(k->name, sizeof(k->name), "%s", name);
    json_array_foreach(asns, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
            json_integer_value(v) > UINT32_MAX || k->n_asns == BW_KEY_SCOPE_MAX) {
            bw_diag_set(d, "%s: key \"%s\": bad asns", path, name);
            return BW_EMALFORMED;
        }
        k->asns[k->n_asns++] = (uint32_t)json_integer_value(v);
    }
    json_array_foreach(ccs, i, v) {
        const char *cc = json_string_value(v);

        if (cc == NULL || strlen(cc) != 2 || k->n_countries == BW_KEY_SCOPE_MAX) {
            bw_diag_set(d, "%s: key \"%s\": bad countries", path, name);
            return BW_EMALFORMED;
        }
        memcpy(k->countries[k->n_countries++], cc, 3);
    }
    if (json_is_integer(created))
        k->created_s = (int64_t)json_integer_value(created);
    return BW_OK;
}

int bw_keys_load(struct bw_keys **out, const char *path, struct bw_diag *d)
{
    struct bw_keys *ks = bw_xcalloc(1, sizeof(*ks));
    json_error_t jerr;
    json_t *root, *arr, *o;
    size_t i;

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) != 0) { /* no file yet: no keys */
            *out = ks;
            return BW_OK;
        }
        bw_diag_set(d, "%s:%d: %s", path, jerr.line, jerr.text);
        free(ks);
        return BW_EMALFORMED;
    }
    arr = json_object_get(root, "keys");
    if (!json_is_array(arr) || json_array_size(arr) > KEYS_MAX) {
        bw_diag_set(d, "%s: no \"keys\" array", path);
        json_decref(root);
        free(ks);
        return BW_EMALFORMED;
    }
    ks->k = bw_xcalloc(json_array_size(arr) + 1, sizeof(*ks->k));
    json_array_foreach(arr, i, o) {
        if (key_from_json(&ks->k[ks->n], o, d, path, i) != BW_OK) {
            json_decref(root);
            bw_keys_free(ks);
            return BW_EMALFORMED;
        }
        ks->n++;
    }
    json_decref(root);
    *out = ks;
    return BW_OK;
}

static json_t *key_to_json(const struct bw_key *k)
{
    char hex[2 * sizeof(k->hash) + 1];
    json_t *asns = json_array(), *ccs = json_array();

    for (size_t i = 0; i < k->n_asns; i++)
        json_array_append_new(asns, json_integer(k->asns[i]));
    for (size_t i = 0; i < k->n_countries; i++)
        json_array_append_new(ccs, json_string(k->countries[i]));
    sodium_bin2hex(hex, sizeof(hex), k->hash, sizeof(k->hash));
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:I}", "name", k->name, "role",
                     bw_key_role_name(k->role), "asns", asns, "countries", ccs, "hash", hex,
                     "created", (json_int_t)k->created_s);
}

static int save(const char *path, const struct bw_keys *ks, struct bw_diag *d)
{
    char tmp[4200];
    json_t *root = json_object(), *arr = json_array();
    char *text;
    size_t len, off = 0;
    int fd, rc = BW_OK;

    for (size_t i = 0; i < ks->n; i++)
        json_array_append_new(arr, key_to_json(&ks->k[i]));
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "keys", arr);
    text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (text == NULL)
        return BW_ENOMEM;
    len = strlen(text);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        bw_diag_set(d, "%s: cannot create (%s)", tmp, bw_strerror(rc));
        free(text);
        return rc;
    }
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : BW_EIO;
            break;
        }
        off += (size_t)n;
    }
    free(text);
    if (rc == BW_OK && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
        rc = BW_EIO;
    close(fd);
    if (rc == BW_OK && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != BW_OK) {
        bw_diag_set(d, "%s: not written (%s)", path, bw_strerror(rc));
        unlink(tmp);
    }
    return rc;
}

int bw_keys_add(const char *path, struct bw_key *k, char *key_out, struct bw_diag *d)
{
    struct bw_keys *ks;
    uint8_t raw[32];
    char text[BW_KEY_TEXT_LEN + 1];
    int rc;

    if (!valid_name(k->name)) {
        bw_diag_set(d, "key name \"%s\" must be 1-%d printable bytes without spaces", k->name,
                    BW_KEY_NAME_MAX - 1);
        return BW_EINVAL;
    }
    rc = bw_keys_load(&ks, path, d);
    if (rc != BW_OK)
        return rc;
    for (size_t i = 0; i < ks->n; i++) {
        if (strcmp(ks->k[i].name, k->name) == 0) {
            bw_diag_set(d, "a key named \"%s\" exists", k->name);
            bw_keys_free(ks);
            return BW_ECONFLICT;
        }
    }
    if (ks->n >= KEYS_MAX) {
        bw_diag_set(d, "%s: too many keys", path);
        bw_keys_free(ks);
        return BW_ETOOBIG;
    }
    randombytes_buf(raw, sizeof(raw));
    memcpy(text, "bw_", 3);
    sodium_bin2hex(text + 3, sizeof(text) - 3, raw, sizeof(raw));
    hash_key(k->hash, text, BW_KEY_TEXT_LEN);
    sodium_memzero(raw, sizeof(raw));
    ks->k = bw_xrealloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
    ks->k[ks->n++] = *k;
    rc = save(path, ks, d);
    bw_keys_free(ks);
    if (rc == BW_OK)
        memcpy(key_out, text, sizeof(text));
    sodium_memzero(text, sizeof(text));
    return rc;
}

int bw_keys_remove(const char *path, const char *name, struct bw_diag *d)
{
    struct bw_keys *ks;
    size_t j = 0;
    int rc = bw_keys_load(&ks, path, d);

    if (rc != BW_OK)
        return rc;
    for (size_t i = 0; i < ks->n; i++) {
        if (strcmp(ks->k[i].name, name) != 0)
            ks->k[j++] = ks->k[i];
    }
    if (j == ks->n) {
        bw_diag_set(d, "no key named \"%s\"", name);
        bw_keys_free(ks);
        return BW_ENOTFOUND;
    }
    ks->n = j;
    rc = save(path, ks, d);
    bw_keys_free(ks);
    return rc;
}
