/*
 * store/sqlite.c - the embedded SQLite backend of store.h.
 * Invariants:
 *  - WAL mode, synchronous=NORMAL: a crash of the process never loses a committed batch and
 *    never leaves a partial one; readers do not block the one writer.
 *  - The schema version is PRAGMA user_version; migrations[i] takes version i to i+1, each in
 *    its own transaction, so an interrupted migration is redone whole on the next open.
 *  - Statements on the ingest path are prepared once at open and reset after each use.
 *  - Reports, evidence and devices are all keyed by the 16-byte address first, so one device's
 *    rows are neighbours and a batch sorted by address writes in key order.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zlib.h>

#include "store/store_int.h"

/* Each entry takes the schema from version i to i + 1. Never edit a released entry: add one. */
static const char *const migrations[] = {
    /* 1: reporters, devices, reports, evidence, allowlist */
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE reporters (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  trust INTEGER NOT NULL DEFAULT 1 CHECK (trust BETWEEN 0 AND 2),\n"
    "  org TEXT NOT NULL DEFAULT '',\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    /* One row per address ever reported. Its report counts, times and categories are derived
     * from its evidence rows; the enrichment columns are filled by enrich/. */
    "CREATE TABLE devices (\n"
    "  ip BLOB PRIMARY KEY CHECK (length(ip) = 16),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  asn INTEGER, as_org TEXT, prefix TEXT, country TEXT, vertical TEXT,\n"
    "  device_type TEXT, device_vendor TEXT, device_model TEXT, device_os TEXT,\n"
    "  device_software TEXT, device_version TEXT, controller TEXT, contact TEXT,\n"
    "  enriched_at INTEGER\n"
    ") WITHOUT ROWID;\n"
    /* Reports are appended in ingest order (rowid); the unique index on (ip, id), id being
     * the identity hash, both rejects duplicates and finds a device's reports. */
    "CREATE TABLE reports (\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  ip BLOB NOT NULL,\n"
    "  id INTEGER NOT NULL,\n"
    "  reporter_id INTEGER NOT NULL,\n"
    "  time INTEGER NOT NULL,\n"
    "  categories INTEGER NOT NULL,\n"
    "  port INTEGER NOT NULL DEFAULT 0,\n"
    "  proto INTEGER NOT NULL DEFAULT 0,\n"
    "  evidence TEXT, banner TEXT, controller TEXT, family TEXT, target TEXT,\n"
    "  source TEXT,\n"
    "  ingested_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE UNIQUE INDEX reports_identity ON reports (ip, id);\n"
    /* One reporter's aggregate on one device: what scoring reads. */
    "CREATE TABLE evidence (\n"
    "  ip BLOB NOT NULL,\n"
    "  reporter_id INTEGER NOT NULL,\n"
    "  reports INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  mass REAL NOT NULL,\n"
    "  mass_at INTEGER NOT NULL,\n"
    "  categories INTEGER NOT NULL,\n"
    "  PRIMARY KEY (ip, reporter_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE allowlist (\n"
    "  prefix TEXT PRIMARY KEY,\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  added_at INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n",
    /* 2: network listings (whole prefixes from DROP-style lists) and device fields that
     * feeds such as Shadowserver carry */
    "ALTER TABLE reports ADD COLUMN net_len INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE reports ADD COLUMN device_vendor TEXT;\n"
    "ALTER TABLE reports ADD COLUMN device_type TEXT;\n"
    "ALTER TABLE reports ADD COLUMN device_model TEXT;\n"
    /* One reporter's aggregate on one listed network; prefix is the 16-byte network address
     * and len the prefix length on that scale (an IPv4 /24 is 120). */
    "CREATE TABLE networks (\n"
    "  prefix BLOB NOT NULL CHECK (length(prefix) = 16),\n"
    "  len INTEGER NOT NULL CHECK (len BETWEEN 1 AND 128),\n"
    "  reporter_id INTEGER NOT NULL,\n"
    "  reports INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  mass REAL NOT NULL,\n"
    "  mass_at INTEGER NOT NULL,\n"
    "  categories INTEGER NOT NULL,\n"
    "  PRIMARY KEY (prefix, len, reporter_id)\n"
    ") WITHOUT ROWID;\n",
    /* 3: enrichment: the device's region, city and fingerprint source; the operator's
     * contacts, sector overrides and advisories */
    "ALTER TABLE devices ADD COLUMN region TEXT;\n"
    "ALTER TABLE devices ADD COLUMN city TEXT;\n"
    "ALTER TABLE devices ADD COLUMN device_matched TEXT;\n"
    "CREATE TABLE contacts (\n"
    "  name TEXT PRIMARY KEY,\n"
    "  scope TEXT NOT NULL,\n"
    "  email TEXT NOT NULL DEFAULT '',\n"
    "  webhook TEXT NOT NULL DEFAULT '',\n"
    "  role TEXT NOT NULL,\n"
    "  parent TEXT NOT NULL DEFAULT ''\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE vertical_overrides (\n"
    "  asn INTEGER PRIMARY KEY,\n"
    "  vertical TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE advisories (\n"
    "  id TEXT PRIMARY KEY,\n"
    "  vendor TEXT NOT NULL,\n"
    "  product TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  added_at INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n",
    /* 4: delisting requests and their decisions. An accepted one also resets the decayed
     * counts of the device's evidence (docs/scoring.md), in the same transaction. */
    "CREATE TABLE delist_requests (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  ip BLOB NOT NULL CHECK (length(ip) = 16),\n"
    "  reason TEXT NOT NULL,\n"
    "  contact TEXT NOT NULL,\n"
    "  requested_by TEXT NOT NULL,\n"
    "  requested_at INTEGER NOT NULL,\n"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 2),\n"
    "  decided_by TEXT NOT NULL DEFAULT '',\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  decided_at INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX delist_requests_ip ON delist_requests (ip, state);\n",
    /* 5: notification cases, the devices in them, every transition, and the outbox */
    "CREATE INDEX devices_contact ON devices (contact, ip) WHERE contact IS NOT NULL;\n"
    "CREATE TABLE cases (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  contact TEXT NOT NULL,\n"
    "  level_contact TEXT NOT NULL,\n"
    "  scope TEXT NOT NULL DEFAULT '',\n"
    "  asn INTEGER NOT NULL DEFAULT 0,\n"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'escalated', 'overdue',\n"
    "    'acknowledged', 'remediated', 'closed')),\n"
    "  level INTEGER NOT NULL DEFAULT 0,\n"
    "  notices INTEGER NOT NULL DEFAULT 0,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  sent_at INTEGER NOT NULL DEFAULT 0,\n"
    "  level_sent_at INTEGER NOT NULL DEFAULT 0,\n"
    "  due_at INTEGER NOT NULL DEFAULT 0,\n"
    "  acked_at INTEGER NOT NULL DEFAULT 0,\n"
    "  remediated_at INTEGER NOT NULL DEFAULT 0,\n"
    "  closed_at INTEGER NOT NULL DEFAULT 0,\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  ack_token TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    /* A contact has at most one case that is not closed. */
    "CREATE UNIQUE INDEX cases_active ON cases (contact) WHERE state <> 'closed';\n"
    "CREATE INDEX cases_contact ON cases (contact, id);\n"
    "CREATE TABLE case_devices (\n"
    "  case_id INTEGER NOT NULL,\n"
    "  ip BLOB NOT NULL CHECK (length(ip) = 16),\n"
    "  listing TEXT NOT NULL CHECK (listing IN ('new', 'still')),\n"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'fixed', 'remediated')),\n"
    "  added_at INTEGER NOT NULL,\n"
    "  seen_at INTEGER NOT NULL,\n"
    "  fixed_at INTEGER NOT NULL DEFAULT 0,\n"
    "  fixed_by TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (case_id, ip)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX case_devices_ip ON case_devices (ip, case_id);\n"
    "CREATE TABLE case_events (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  case_id INTEGER NOT NULL,\n"
    "  time INTEGER NOT NULL,\n"
    "  from_state TEXT NOT NULL,\n"
    "  to_state TEXT NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  transition INTEGER NOT NULL DEFAULT 1\n" /* 0: a note (state -> same state) */
    ");\n"
    "CREATE INDEX case_events_case ON case_events (case_id, id);\n"
    /* Messages are written with the case change they tell of, in one transaction; delivery
     * marks them sent after the far side accepted them. */
    "CREATE TABLE outbox (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  idem_key TEXT NOT NULL UNIQUE,\n"
    "  case_id INTEGER NOT NULL,\n"
    "  level INTEGER NOT NULL DEFAULT 0,\n"
    "  route TEXT NOT NULL CHECK (route IN ('email', 'webhook')),\n"
    "  destination TEXT NOT NULL,\n"
    "  payload BLOB NOT NULL,\n"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  next_attempt_at INTEGER NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  sent_at INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';\n"
    "CREATE INDEX outbox_case ON outbox (case_id, id);\n",
    /* 6: outbox payloads may be stored deflated (zlib); plain_len is their size as sent */
    ("ALTER TABLE outbox ADD COLUMN encoding TEXT NOT NULL DEFAULT '';\n"
     "ALTER TABLE outbox ADD COLUMN plain_len INTEGER NOT NULL DEFAULT 0;\n"),
};

/* The enrichment columns of devices, in the order read_enrichment() reads them. */
#define ENRICH_COLUMNS                                                                         \
    "asn, as_org, prefix, country, region, city, vertical, contact, device_type, "             \
    "device_vendor, device_model, device_os, device_software, device_version, "                \
    "device_matched, enriched_at"
#define ENRICH_COLUMNS_D                                                                       \
    "d.asn, d.as_org, d.prefix, d.country, d.region, d.city, d.vertical, d.contact, "          \
    "d.device_type, d.device_vendor, d.device_model, d.device_os, d.device_software, "         \
    "d.device_version, d.device_matched, d.enriched_at"

enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_REPORTER_GET,
    S_REPORTER_INSERT,
    S_REPORTER_UPSERT,
    S_REPORT_INSERT,
    S_EVIDENCE_MERGE,
    S_DEVICE_ENSURE,
    S_DEVICE_EXISTS,
    S_DEVICE_CREATE,
    S_DEVICE_SET_NETWORK,
    S_DEVICE_SET_DEVICE,
    S_NETWORK_MERGE,
    S_NETWORK_LENS,
    S_NETWORK_GET,
    S_DEVICE_GET,
    S_EVIDENCE_GET,
    S_REPORT_RECENT,
    S_CASE_INSERT,
    S_CASE_SET_TOKEN,
    S_CASE_GET,
    S_CASE_ACTIVE,
    S_CASE_LATEST,
    S_CASE_UPDATE,
    S_CASE_SET_STATE,
    S_EVENT_INSERT,
    S_CDEV_PUT,
    S_CDEV_FIND,
    S_OUTBOX_PUT,
    S_OUTBOX_GET,
    S_OUTBOX_CLAIM,
    S_OUTBOX_MARK,
    S_SECRET_GET,
    S_SECRET_PUT,
    S_COUNT
};

/* The columns read_case() reads, counts included. */
#define CASE_COLUMNS                                                                           \
    "c.id, c.contact, c.level_contact, c.scope, c.asn, c.state, c.level, c.notices, "        \
    "c.created_at, c.sent_at, c.level_sent_at, c.due_at, c.acked_at, c.remediated_at, "      \
    "c.closed_at, c.updated_at, c.ack_token, c.reason, "                                     \
    "(SELECT count(*) FROM case_devices WHERE case_id = c.id), "                             \
    "(SELECT count(*) FROM case_devices WHERE case_id = c.id AND state = 'active'), "        \
    "(SELECT count(*) FROM outbox WHERE case_id = c.id AND state = 'pending'), "             \
    "(SELECT count(*) FROM outbox WHERE case_id = c.id AND state = 'sent'), "                \
    "(SELECT count(*) FROM outbox WHERE case_id = c.id AND state = 'failed'), "              \
    "(SELECT count(*) FROM case_events WHERE case_id = c.id AND to_state = 'escalated' AND "   \
    "transition)"
#define OUTBOX_COLUMNS                                                                         \
    "id, idem_key, case_id, level, route, destination, state, attempts, next_attempt_at, "    \
    "created_at, sent_at, last_error"

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_REPORTER_GET] = "SELECT id, name, trust, org, created_at FROM reporters WHERE name = ?1",
    [S_REPORTER_INSERT] = "INSERT INTO reporters (name, trust, org, created_at) "
                          "VALUES (?1, 1, '', ?2) ON CONFLICT (name) DO NOTHING",
    [S_REPORTER_UPSERT] = "INSERT INTO reporters (name, trust, org, created_at) "
                          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                          "trust = excluded.trust, org = excluded.org RETURNING id, created_at",
    [S_REPORT_INSERT] = "INSERT OR IGNORE INTO reports (ip, id, reporter_id, time, categories, "
                        "port, proto, evidence, banner, controller, family, target, source, "
                        "ingested_at, net_len, device_vendor, device_type, device_model) VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                        "?17, ?18)",
    [S_EVIDENCE_MERGE] =
        "INSERT INTO evidence (ip, reporter_id, reports, first_seen, last_seen, mass, mass_at, "
        "categories) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (ip, reporter_id) DO "
        "UPDATE SET reports = reports + excluded.reports, "
        "first_seen = min(first_seen, excluded.first_seen), "
        "last_seen = max(last_seen, excluded.last_seen), "
        "mass = bw_mass_merge(mass, mass_at, excluded.mass, excluded.mass_at), "
        "mass_at = max(mass_at, excluded.mass_at), "
        "categories = categories | excluded.categories",
    [S_DEVICE_ENSURE] = "INSERT OR IGNORE INTO devices (ip, created_at) VALUES (?1, ?2)",
    [S_NETWORK_MERGE] =
        "INSERT INTO networks (prefix, len, reporter_id, reports, first_seen, last_seen, mass, "
        "mass_at, categories) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (prefix, "
        "len, reporter_id) DO UPDATE SET reports = reports + excluded.reports, "
        "first_seen = min(first_seen, excluded.first_seen), "
        "last_seen = max(last_seen, excluded.last_seen), "
        "mass = bw_mass_merge(mass, mass_at, excluded.mass, excluded.mass_at), "
        "mass_at = max(mass_at, excluded.mass_at), "
        "categories = categories | excluded.categories",
    [S_NETWORK_LENS] = "SELECT DISTINCT len FROM networks",
    [S_NETWORK_GET] = "SELECT n.reporter_id, n.reports, n.first_seen, n.last_seen, n.mass, "
                      "n.mass_at, n.categories, r.name, r.trust, r.org FROM networks n "
                      "JOIN reporters r ON r.id = n.reporter_id WHERE n.prefix = ?1 AND n.len = ?2",
    [S_DEVICE_GET] = "SELECT created_at, " ENRICH_COLUMNS " FROM devices WHERE ip = ?1",
    [S_DEVICE_EXISTS] = "SELECT 1 FROM devices WHERE ip = ?1",
    [S_DEVICE_CREATE] = "INSERT OR IGNORE INTO devices (ip, created_at, asn, as_org, prefix, "
                        "country, region, city, vertical, contact, device_type, device_vendor, "
                        "device_model, device_os, device_software, device_version, "
                        "device_matched, enriched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?2)",
    [S_DEVICE_SET_NETWORK] = "UPDATE devices SET asn = ?2, as_org = ?3, prefix = ?4, country = ?5, "
                             "region = ?6, city = ?7, vertical = ?8, contact = ?9, "
                             "enriched_at = ?10 WHERE ip = ?1",
    [S_DEVICE_SET_DEVICE] = "UPDATE devices SET device_type = ?2, device_vendor = ?3, "
                            "device_model = ?4, device_os = ?5, device_software = ?6, "
                            "device_version = ?7, device_matched = ?8 WHERE ip = ?1",
    [S_EVIDENCE_GET] = "SELECT e.reporter_id, e.reports, e.first_seen, e.last_seen, e.mass, "
                       "e.mass_at, e.categories, r.name, r.trust, r.org FROM evidence e "
                       "JOIN reporters r ON r.id = e.reporter_id WHERE e.ip = ?1",
    [S_REPORT_RECENT] = "SELECT p.time, p.categories, p.port, r.name, p.evidence, p.source, "
                        "p.controller, p.target, p.family "
                        "FROM reports p JOIN reporters r ON r.id = p.reporter_id "
                        "WHERE p.ip = ?1 ORDER BY p.time DESC LIMIT ?2",
    [S_CASE_INSERT] = "INSERT INTO cases (contact, level_contact, scope, asn, state, level, "
                      "notices, created_at, sent_at, level_sent_at, due_at, updated_at, reason) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?8, ?12) RETURNING id",
    [S_CASE_SET_TOKEN] = "UPDATE cases SET ack_token = ?2 WHERE id = ?1",
    [S_CASE_GET] = "SELECT " CASE_COLUMNS " FROM cases c WHERE c.id = ?1",
    [S_CASE_ACTIVE] = "SELECT " CASE_COLUMNS " FROM cases c WHERE c.contact = ?1 AND "
                      "c.state <> 'closed'",
    [S_CASE_LATEST] = "SELECT " CASE_COLUMNS " FROM cases c WHERE c.contact = ?1 "
                      "ORDER BY c.id DESC LIMIT 1",
    [S_CASE_UPDATE] = "UPDATE cases SET level = ?2, level_contact = ?3, notices = ?4, asn = ?5, "
                      "sent_at = ?6, level_sent_at = ?7, due_at = ?8, reason = ?9, "
                      "updated_at = ?10 WHERE id = ?1",
    [S_CASE_SET_STATE] = "UPDATE cases SET state = ?2, acked_at = ?3, remediated_at = ?4, "
                         "closed_at = ?5, updated_at = ?6 WHERE id = ?1",
    [S_EVENT_INSERT] = "INSERT INTO case_events (case_id, time, from_state, to_state, actor, "
                       "note, transition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_CDEV_PUT] = "INSERT OR REPLACE INTO case_devices (case_id, ip, listing, state, added_at, "
                   "seen_at, fixed_at, fixed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_CDEV_FIND] = "SELECT cd.case_id, cd.ip, cd.listing, cd.state, cd.added_at, cd.seen_at, "
                    "cd.fixed_at, cd.fixed_by, (SELECT max(last_seen) FROM evidence e WHERE "
                    "e.ip = cd.ip), c.state FROM case_devices cd INDEXED BY case_devices_ip "
                    "JOIN cases c ON c.id = cd.case_id WHERE cd.ip = ?1 AND c.contact = ?2 "
                    "ORDER BY cd.case_id DESC LIMIT 1",
    [S_OUTBOX_PUT] = "INSERT INTO outbox (idem_key, case_id, level, route, destination, "
                     "payload, next_attempt_at, created_at, encoding, plain_len) VALUES (?1, ?2, "
                     "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
    [S_OUTBOX_GET] = "SELECT " OUTBOX_COLUMNS ", payload, encoding, plain_len FROM outbox "
                     "WHERE id = ?1",
    [S_OUTBOX_CLAIM] = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?3 "
                       "WHERE id = ?1 AND state = 'pending' AND next_attempt_at <= ?2",
    [S_OUTBOX_MARK] = "UPDATE outbox SET state = ?2, next_attempt_at = ?3, last_error = ?4, "
                      "sent_at = ?5 WHERE id = ?1",
    [S_SECRET_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_SECRET_PUT] = "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
};

struct sq_store {
    struct bw_store base; /* first: a struct bw_store * is a struct sq_store * */
    sqlite3 *db;
    sqlite3_stmt *stmt[S_COUNT];
    char path[4096];
    struct bw_buf zbuf; /* deflated outbox payloads on their way in */
};

static struct sq_store *sq(struct bw_store *st)
{
    return (struct sq_store *)st;
}

static const char *sq_errmsg(struct bw_store *st)
{
    return sqlite3_errmsg(sq(st)->db);
}

/* A busy database is BW_EAGAIN (try later); everything else is a backend failure. */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return BW_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BW_EAGAIN;
    case SQLITE_NOMEM:
        return BW_ENOMEM;
    case SQLITE_CONSTRAINT:
        return BW_ECONFLICT;
    default:
        return BW_EBACKEND;
    }
}

static sqlite3_stmt *prep(struct sq_store *s, enum stmt_id id)
{
    return s->stmt[id];
}

static int step_done(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? BW_OK : map_rc(rc);
}

static void bind_addr(sqlite3_stmt *stmt, int i, const struct bw_addr *a)
{
    sqlite3_bind_blob(stmt, i, a->b, sizeof(a->b), SQLITE_STATIC);
}

static void bind_text_or_null(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, i);
}

static const char *col_text(sqlite3_stmt *stmt, int i)
{
    const unsigned char *t = sqlite3_column_text(stmt, i);

    return t != NULL ? (const char *)t : "";
}

static void copy_name(char *dst, const char *src)
{
    snprintf(dst, BW_NAME_MAX, "%s", src);
}

/* bw_mass_merge(old_mass, old_at, add_mass, add_at): the decayed-count merge of core, so an
 * upsert can fold new evidence into a stored record in one statement. */
static void fn_mass_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct bw_store *st = sqlite3_user_data(ctx);
    double mass = sqlite3_value_double(argv[0]);
    int64_t at = sqlite3_value_int64(argv[1]);

    (void)argc;
    bw_decay_merge(&mass, &at, sqlite3_value_double(argv[2]), sqlite3_value_int64(argv[3]),
                   st->half_life_s);
    sqlite3_result_double(ctx, mass);
}

static int exec_sql(struct sq_store *s, const char *sql, struct bw_diag *d)
{
    char *err = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);

    if (rc != SQLITE_OK) {
        bw_diag_set(d, "%s: %s", s->path, err != NULL ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return map_rc(rc);
    }
    return BW_OK;
}

/* In WAL mode with synchronous=NORMAL a commit is written to the -wal file but not flushed;
 * flushing that file (from any descriptor: the flush is per file) makes every commit in it
 * durable, which is what synchronous=FULL would do at each commit. Checkpoints flush before
 * they copy pages back, so the -wal file is all that needs it. */
static int sq_sync(struct bw_store *st)
{
    char wal[4200];
    int fd, rc = BW_OK;

    snprintf(wal, sizeof(wal), "%s-wal", sq(st)->path);
    fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? BW_OK : -errno; /* no WAL: nothing uncommitted to flush */
    if (fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int sq_data_version(struct bw_store *st, uint64_t *out)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "PRAGMA data_version", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? BW_OK : map_rc(rc);
}

static int sq_schema_version(struct bw_store *st)
{
    sqlite3_stmt *stmt;
    int v = -1;

    if (sqlite3_prepare_v2(sq(st)->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

int bw_store__sqlite_latest(void)
{
    return (int)BW_ARRAY_LEN(migrations);
}

static int migrate(struct sq_store *s, struct bw_diag *d)
{
    int v = sq_schema_version(&s->base);
    int latest = bw_store__sqlite_latest();
    int rc;

    if (v < 0) {
        bw_diag_set(d, "%s: not a database (%s)", s->path, sqlite3_errmsg(s->db));
        return BW_EBACKEND;
    }
    if (v > latest) {
        bw_diag_set(d, "%s: schema version %d is newer than this botwatch knows (%d)", s->path,
                    v, latest);
        return BW_ECONFLICT;
    }
    for (; v < latest; v++) {
        char bump[64];

        rc = exec_sql(s, "BEGIN IMMEDIATE", d);
        if (rc != BW_OK)
            return rc;
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        rc = exec_sql(s, migrations[v], d);
        if (rc == BW_OK)
            rc = exec_sql(s, bump, d);
        if (rc == BW_OK)
            rc = exec_sql(s, "COMMIT", d);
        if (rc != BW_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return BW_OK;
}

static void sq_close(struct bw_store *st)
{
    struct sq_store *s = sq(st);

    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    bw_buf_cleanup(&s->zbuf);
    free(s);
}

static const struct bw_store_ops sqlite_ops;

int bw_store__sqlite_open(struct bw_store **out, const char *path, struct bw_diag *d)
{
    struct sq_store *s = bw_xcalloc(1, sizeof(*s));
    int rc;

    s->base.ops = &sqlite_ops;
    snprintf(s->path, sizeof(s->path), "%s", path);
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        bw_diag_set(d, "%s: cannot open database (%s)", path,
                    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sqlite3_close(s->db);
        free(s);
        return BW_EBACKEND;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 0);
    rc = exec_sql(s, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; "
                     "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 4096;", d);
    if (rc == BW_OK)
        rc = migrate(s, d);
    if (rc == BW_OK &&
        sqlite3_create_function(s->db, "bw_mass_merge", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                &s->base, fn_mass_merge, NULL, NULL) != SQLITE_OK) {
        bw_diag_set(d, "%s: cannot register functions (%s)", path, sqlite3_errmsg(s->db));
        rc = BW_EBACKEND;
    }
    for (int i = 0; rc == BW_OK && i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK) {
            bw_diag_set(d, "%s: %s", path, sqlite3_errmsg(s->db));
            rc = BW_EBACKEND;
        }
    }
    if (rc != BW_OK) {
        sq_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return BW_OK;
}

static int sq_begin(struct bw_store *st)
{
    return step_done(prep(sq(st), S_BEGIN));
}

static int sq_commit(struct bw_store *st)
{
    return step_done(prep(sq(st), S_COMMIT));
}

static void sq_rollback(struct bw_store *st)
{
    if (!sqlite3_get_autocommit(sq(st)->db))
        (void)step_done(prep(sq(st), S_ROLLBACK));
}

static void read_reporter(sqlite3_stmt *stmt, struct bw_reporter *r)
{
    r->id = sqlite3_column_int64(stmt, 0);
    copy_name(r->name, col_text(stmt, 1));
    r->trust = (enum bw_trust)sqlite3_column_int(stmt, 2);
    copy_name(r->org, col_text(stmt, 3));
    r->created_s = sqlite3_column_int64(stmt, 4);
}

static int sq_reporter_get(struct bw_store *st, const char *name, struct bw_reporter *out)
{
    sqlite3_stmt *stmt = prep(sq(st), S_REPORTER_GET);
    int rc;

    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        read_reporter(stmt, out);
        rc = BW_OK;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_reporter_ensure(struct bw_store *st, const char *name, int64_t now_s, int64_t *id)
{
    sqlite3_stmt *stmt = prep(sq(st), S_REPORTER_INSERT);
    struct bw_reporter r;
    int rc;

    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now_s);
    rc = step_done(stmt);
    if (rc == BW_OK)
        rc = sq_reporter_get(st, name, &r);
    if (rc == BW_OK)
        *id = r.id;
    return rc;
}

static int sq_reporter_put(struct bw_store *st, struct bw_reporter *r)
{
    sqlite3_stmt *stmt = prep(sq(st), S_REPORTER_UPSERT);
    int rc;

    sqlite3_bind_text(stmt, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, (int)r->trust);
    sqlite3_bind_text(stmt, 3, r->org, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, r->created_s);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        r->id = sqlite3_column_int64(stmt, 0);
        r->created_s = sqlite3_column_int64(stmt, 1);
        rc = BW_OK;
    } else {
        rc = map_rc(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_reporter_list(struct bw_store *st, bw_reporter_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT r.id, r.name, r.trust, r.org, r.created_at, coalesce(e.n, 0), "
        "coalesce(e.d, 0) FROM reporters r LEFT JOIN (SELECT reporter_id, sum(reports) AS n, "
        "count(*) AS d FROM evidence GROUP BY reporter_id) e ON e.reporter_id = r.id "
        "ORDER BY r.name";
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct bw_reporter r;
        int crc;

        read_reporter(stmt, &r);
        crc = cb(ctx, &r, (uint64_t)sqlite3_column_int64(stmt, 5),
                 (uint64_t)sqlite3_column_int64(stmt, 6));
        if (crc != 0) {
            sqlite3_finalize(stmt);
            return crc;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static int sq_report_insert(struct bw_store *st, const struct bw_report *r, int64_t report_id,
                            int64_t reporter_id, int64_t ingested_s, bool *inserted)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_REPORT_INSERT);
    int rc;

    bind_addr(stmt, 1, &r->addr);
    sqlite3_bind_int64(stmt, 2, report_id);
    sqlite3_bind_int64(stmt, 3, reporter_id);
    sqlite3_bind_int64(stmt, 4, r->time_s);
    sqlite3_bind_int64(stmt, 5, r->cats);
    sqlite3_bind_int(stmt, 6, r->port);
    sqlite3_bind_int(stmt, 7, r->proto);
    bind_text_or_null(stmt, 8, r->evidence);
    bind_text_or_null(stmt, 9, r->banner);
    bind_text_or_null(stmt, 10, r->controller);
    bind_text_or_null(stmt, 11, r->family);
    bind_text_or_null(stmt, 12, r->target);
    bind_text_or_null(stmt, 13, r->source);
    sqlite3_bind_int64(stmt, 14, ingested_s);
    sqlite3_bind_int(stmt, 15, r->net_len);
    bind_text_or_null(stmt, 16, r->device_vendor);
    bind_text_or_null(stmt, 17, r->device_type);
    bind_text_or_null(stmt, 18, r->device_model);
    rc = step_done(stmt);
    if (rc == BW_OK)
        *inserted = sqlite3_changes(s->db) > 0;
    return rc;
}

static int sq_evidence_merge(struct bw_store *st, const struct bw_addr *a, int64_t reporter_id,
                             const struct bw_evidence *add)
{
    sqlite3_stmt *stmt = prep(sq(st), S_EVIDENCE_MERGE);

    bind_addr(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, reporter_id);
    sqlite3_bind_int64(stmt, 3, (int64_t)add->reports);
    sqlite3_bind_int64(stmt, 4, add->first_seen_s);
    sqlite3_bind_int64(stmt, 5, add->last_seen_s);
    sqlite3_bind_double(stmt, 6, add->mass);
    sqlite3_bind_int64(stmt, 7, add->mass_at_s);
    sqlite3_bind_int64(stmt, 8, add->cats);
    return step_done(stmt);
}

static int sq_network_merge(struct bw_store *st, const struct bw_prefix *net, int64_t reporter_id,
                            const struct bw_evidence *add)
{
    sqlite3_stmt *stmt = prep(sq(st), S_NETWORK_MERGE);

    bind_addr(stmt, 1, &net->addr);
    sqlite3_bind_int(stmt, 2, net->len);
    sqlite3_bind_int64(stmt, 3, reporter_id);
    sqlite3_bind_int64(stmt, 4, (int64_t)add->reports);
    sqlite3_bind_int64(stmt, 5, add->first_seen_s);
    sqlite3_bind_int64(stmt, 6, add->last_seen_s);
    sqlite3_bind_double(stmt, 7, add->mass);
    sqlite3_bind_int64(stmt, 8, add->mass_at_s);
    sqlite3_bind_int64(stmt, 9, add->cats);
    return step_done(stmt);
}

static int sq_device_ensure(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                            bool *is_new)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_DEVICE_ENSURE);
    int rc;

    bind_addr(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, now_s);
    rc = step_done(stmt);
    if (rc == BW_OK)
        *is_new = sqlite3_changes(s->db) > 0;
    return rc;
}

/* Folds one evidence record into its device's derived aggregates. */
static void device_add_evidence(struct bw_device *d, const struct bw_evidence *e)
{
    if (d->reports == 0 || e->first_seen_s < d->first_seen_s)
        d->first_seen_s = e->first_seen_s;
    if (d->reports == 0 || e->last_seen_s > d->last_seen_s)
        d->last_seen_s = e->last_seen_s;
    d->reports += e->reports;
    d->reporters++;
    d->cats |= e->cats;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *stmt, int col)
{
    snprintf(dst, cap, "%s", col_text(stmt, col));
}

static void read_enrichment(sqlite3_stmt *stmt, int col, struct bw_enrichment *en)
{
    en->asn = (uint32_t)sqlite3_column_int64(stmt, col);
    copy_col(en->as_org, sizeof(en->as_org), stmt, col + 1);
    copy_col(en->prefix, sizeof(en->prefix), stmt, col + 2);
    copy_col(en->country, sizeof(en->country), stmt, col + 3);
    copy_col(en->region, sizeof(en->region), stmt, col + 4);
    copy_col(en->city, sizeof(en->city), stmt, col + 5);
    copy_col(en->vertical, sizeof(en->vertical), stmt, col + 6);
    copy_col(en->contact, sizeof(en->contact), stmt, col + 7);
    copy_col(en->device_type, sizeof(en->device_type), stmt, col + 8);
    copy_col(en->device_vendor, sizeof(en->device_vendor), stmt, col + 9);
    copy_col(en->device_model, sizeof(en->device_model), stmt, col + 10);
    copy_col(en->device_os, sizeof(en->device_os), stmt, col + 11);
    copy_col(en->device_software, sizeof(en->device_software), stmt, col + 12);
    copy_col(en->device_version, sizeof(en->device_version), stmt, col + 13);
    copy_col(en->device_matched, sizeof(en->device_matched), stmt, col + 14);
    en->enriched_s = sqlite3_column_int64(stmt, col + 15);
}

/* The device row alone: BW_ENOTFOUND when the address was never stored. */
static int device_row(struct bw_store *st, const struct bw_addr *a, struct bw_device *out)
{
    sqlite3_stmt *stmt = prep(sq(st), S_DEVICE_GET);
    int rc;

    bind_addr(stmt, 1, a);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->addr = *a;
        out->created_s = sqlite3_column_int64(stmt, 0);
        read_enrichment(stmt, 1, &out->en);
        rc = BW_OK;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int copy_device(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                       size_t n)
{
    (void)ev;
    (void)n;
    *(struct bw_device *)ctx = *d;
    return 0;
}

static int sq_evidence_get(struct bw_store *st, const struct bw_addr *a, bw_evidence_cb cb,
                           void *ctx);

static int sq_device_get(struct bw_store *st, const struct bw_addr *a, struct bw_device *out)
{
    struct bw_device d;
    int rc = device_row(st, a, &d);

    if (rc != BW_OK)
        return rc;
    rc = sq_evidence_get(st, a, copy_device, &d);
    if (rc == BW_OK)
        *out = d;
    return rc;
}

/* A growable array of evidence whose strings live in one string pool. */
struct ev_list {
    struct bw_evidence *ev;
    size_t n, cap;
};

static void ev_push(struct ev_list *l, const struct bw_evidence *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->ev = bw_xrealloc(l->ev, l->cap * sizeof(*l->ev));
    }
    l->ev[l->n++] = *e;
}

static void read_evidence(sqlite3_stmt *stmt, int col, struct bw_evidence *e)
{
    e->reports = (uint64_t)sqlite3_column_int64(stmt, col + 1);
    e->first_seen_s = sqlite3_column_int64(stmt, col + 2);
    e->last_seen_s = sqlite3_column_int64(stmt, col + 3);
    e->mass = sqlite3_column_double(stmt, col + 4);
    e->mass_at_s = sqlite3_column_int64(stmt, col + 5);
    e->cats = (bw_catmask)sqlite3_column_int64(stmt, col + 6);
}

/* Appends the evidence rows a prepared statement yields (columns: reporter_id, reports,
 * first_seen, last_seen, mass, mass_at, categories, name, trust, org); names are copied into
 * *names two per record (reporter, org). */
static int collect_evidence(sqlite3_stmt *stmt, struct ev_list *l, char ***names,
                            const struct bw_prefix *via, struct bw_device *dev)
{
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct bw_evidence e = { 0 };

        read_evidence(stmt, 0, &e);
        e.trust = (enum bw_trust)sqlite3_column_int(stmt, 8);
        if (via != NULL)
            e.via = *via;
        else
            device_add_evidence(dev, &e);
        *names = bw_xrealloc(*names, (l->n + 1) * 2 * sizeof(**names));
        (*names)[2 * l->n] = bw_xstrdup(col_text(stmt, 7));
        (*names)[2 * l->n + 1] = bw_xstrdup(col_text(stmt, 9));
        ev_push(l, &e);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

/* The listed networks containing a: one point query per prefix length in use. */
static int collect_networks(struct sq_store *s, const struct bw_addr *a, struct ev_list *l,
                            char ***names, struct bw_device *dev)
{
    sqlite3_stmt *lens = prep(s, S_NETWORK_LENS);
    int n_lens = 0, lens_v[129], rc;

    while ((rc = sqlite3_step(lens)) == SQLITE_ROW && n_lens < 129) {
        int len = sqlite3_column_int(lens, 0);

        if (len >= 1 && len <= 128)
            lens_v[n_lens++] = len;
    }
    sqlite3_reset(lens);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return map_rc(rc);
    for (int i = 0; i < n_lens; i++) {
        struct bw_prefix net = { .addr = *a, .len = (uint8_t)lens_v[i] };
        sqlite3_stmt *stmt = prep(s, S_NETWORK_GET);

        for (int bit = net.len; bit < 128; bit++)
            net.addr.b[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
        bind_addr(stmt, 1, &net.addr);
        sqlite3_bind_int(stmt, 2, net.len);
        rc = collect_evidence(stmt, l, names, &net, dev);
        if (rc != BW_OK)
            return rc;
    }
    return BW_OK;
}

static int sq_evidence_get(struct bw_store *st, const struct bw_addr *a, bw_evidence_cb cb,
                           void *ctx)
{
    struct bw_device dev;
    struct ev_list l = { 0 };
    char **names = NULL;
    int rc = device_row(st, a, &dev);

    if (rc == BW_ENOTFOUND) {
        memset(&dev, 0, sizeof(dev));
        dev.addr = *a;
    } else if (rc == BW_OK) {
        sqlite3_stmt *stmt = prep(sq(st), S_EVIDENCE_GET);

        bind_addr(stmt, 1, a);
        rc = collect_evidence(stmt, &l, &names, NULL, &dev);
    }
    if (rc == BW_OK || rc == BW_ENOTFOUND)
        rc = collect_networks(sq(st), a, &l, &names, &dev);
    for (size_t i = 0; i < l.n; i++) {
        l.ev[i].reporter = names[2 * i];
        l.ev[i].org = names[2 * i + 1];
    }
    if (rc == BW_OK)
        rc = cb(ctx, &dev, l.ev, l.n);
    for (size_t i = 0; i < 2 * l.n; i++)
        free(names[i]);
    free(names);
    free(l.ev);
    return rc;
}

/* The reporters table in memory, indexed by id, for walks that visit many devices. */
struct reporter_map {
    struct bw_reporter *r; /* r[id] valid when r[id].id == id */
    size_t n;
};

static int load_reporters(struct sq_store *s, struct reporter_map *m)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(s->db, "SELECT id, name, trust, org, created_at FROM reporters", -1,
                           &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);

        if (id < 0 || id > 100000000) /* ids are small row ids; anything else is corruption */
            continue;
        if ((size_t)id >= m->n) {
            size_t n = (size_t)id + 1024;

            m->r = bw_xrealloc(m->r, n * sizeof(*m->r));
            memset(m->r + m->n, 0, (n - m->n) * sizeof(*m->r));
            for (size_t i = m->n; i < n; i++)
                m->r[i].id = -1;
            m->n = n;
        }
        read_reporter(stmt, &m->r[id]);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

enum walk_kind { WALK_DEVICES, WALK_NETWORKS, WALK_BY_CONTACT, WALK_ONE_CONTACT, WALK_SET,
                 WALK_EVIDENCE };

/* Walks evidence (of devices, or of networks) in key order, grouped per device or network;
 * by contact, devices come in (contact, address) order (the devices_contact index). */
static int walk(struct bw_store *st, enum walk_kind kind, const char *contact, int64_t since_s,
                bw_evidence_cb cb, void *ctx)
{
    static const char device_sql[] =
        "SELECT e.ip, 128, e.reporter_id, e.reports, e.first_seen, e.last_seen, e.mass, "
        "e.mass_at, e.categories, d.created_at, " ENRICH_COLUMNS_D " FROM evidence e "
        "JOIN devices d ON d.ip = e.ip ORDER BY e.ip";
    static const char network_sql[] =
        "SELECT prefix, len, reporter_id, reports, first_seen, last_seen, mass, mass_at, "
        "categories FROM networks ORDER BY prefix, len";
    static const char by_contact_sql[] =
        "SELECT e.ip, 128, e.reporter_id, e.reports, e.first_seen, e.last_seen, e.mass, "
        "e.mass_at, e.categories, d.created_at, " ENRICH_COLUMNS_D " FROM devices d "
        "INDEXED BY devices_contact JOIN evidence e ON e.ip = d.ip WHERE d.contact IS NOT NULL "
        "AND d.contact <> '' ORDER BY d.contact, d.ip";
    static const char one_contact_sql[] =
        "SELECT e.ip, 128, e.reporter_id, e.reports, e.first_seen, e.last_seen, e.mass, "
        "e.mass_at, e.categories, d.created_at, " ENRICH_COLUMNS_D " FROM devices d "
        "INDEXED BY devices_contact JOIN evidence e ON e.ip = d.ip WHERE d.contact = ?1 "
        "ORDER BY d.contact, d.ip";
    /* the addresses in the temporary table bw_walk_set (sq_device_walk_set) */
    static const char set_sql[] =
        "SELECT e.ip, 128, e.reporter_id, e.reports, e.first_seen, e.last_seen, e.mass, "
        "e.mass_at, e.categories, d.created_at, " ENRICH_COLUMNS_D " FROM temp.bw_walk_set w "
        "JOIN evidence e ON e.ip = w.ip JOIN devices d ON d.ip = e.ip ORDER BY w.ip";
    /* evidence alone, in its own key order: no join, no enrichment (snapshot builds) */
    static const char evidence_sql[] =
        "SELECT ip, 128, reporter_id, reports, first_seen, last_seen, mass, mass_at, "
        "categories FROM evidence ORDER BY ip";
    static const char *const sql[] = { device_sql, network_sql, by_contact_sql,
                                       one_contact_sql, set_sql, evidence_sql };
    bool networks = kind == WALK_NETWORKS;
    bool bare = networks || kind == WALK_EVIDENCE; /* no device row joined */
    struct sq_store *s = sq(st);
    struct reporter_map m = { 0 };
    struct ev_list l = { 0 };
    struct bw_device dev = { 0 };
    int dev_len = 0;
    sqlite3_stmt *stmt;
    bool have = false;
    int rc = load_reporters(s, &m);

    if (rc != BW_OK)
        return rc;
    if (sqlite3_prepare_v2(s->db, sql[kind], -1, &stmt, NULL) != SQLITE_OK) {
        free(m.r);
        return BW_EBACKEND;
    }
    if (kind == WALK_ONE_CONTACT)
        sqlite3_bind_text(stmt, 1, contact, -1, SQLITE_TRANSIENT);
    for (;;) {
        struct bw_evidence e = { 0 };
        int step = sqlite3_step(stmt);
        const void *ip = step == SQLITE_ROW ? sqlite3_column_blob(stmt, 0) : NULL;
        int len = step == SQLITE_ROW ? sqlite3_column_int(stmt, 1) : 0;
        int64_t rid;

        if (step == SQLITE_ROW && (ip == NULL || sqlite3_column_bytes(stmt, 0) != 16 ||
                                   len < 1 || len > 128))
            continue;
        if (have && (step != SQLITE_ROW || memcmp(ip, dev.addr.b, 16) != 0 || len != dev_len)) {
            rc = dev.last_seen_s >= since_s ? cb(ctx, &dev, l.ev, l.n) : 0;
            l.n = 0;
            have = false;
            if (rc != 0)
                break;
        }
        if (step != SQLITE_ROW) {
            rc = step == SQLITE_DONE ? BW_OK : map_rc(step);
            break;
        }
        if (!have) {
            /* the enrichment part is never written by walks without it: it stays zero */
            memset(&dev, 0, bare ? offsetof(struct bw_device, en) : sizeof(dev));
            memcpy(dev.addr.b, ip, 16);
            dev_len = len;
            have = true;
            if (!bare) {
                dev.created_s = sqlite3_column_int64(stmt, 9);
                read_enrichment(stmt, 10, &dev.en);
            }
        }
        read_evidence(stmt, 2, &e);
        if (networks) {
            e.via.addr = dev.addr;
            e.via.len = (uint8_t)len;
        }
        rid = sqlite3_column_int64(stmt, 2);
        if (rid >= 0 && (size_t)rid < m.n && m.r[rid].id == rid) {
            e.reporter = m.r[rid].name;
            e.org = m.r[rid].org;
            e.trust = m.r[rid].trust;
        } else {
            e.reporter = "?";
            e.org = "";
            e.trust = BW_TRUST_LOW;
        }
        device_add_evidence(&dev, &e);
        ev_push(&l, &e);
    }
    sqlite3_finalize(stmt);
    free(l.ev);
    free(m.r);
    return rc;
}

static int sq_device_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return walk(st, WALK_DEVICES, NULL, since_s, cb, ctx);
}

static int sq_evidence_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return walk(st, WALK_EVIDENCE, NULL, since_s, cb, ctx);
}

static int sq_network_walk(struct bw_store *st, int64_t since_s, bw_evidence_cb cb, void *ctx)
{
    return walk(st, WALK_NETWORKS, NULL, since_s, cb, ctx);
}

/* The set goes into a temporary table (the connection's own, so a reader can do it without
 * taking the database's write lock), then one join walks it in address order: a statement for
 * the whole set instead of three for each device. */
static int sq_device_walk_set(struct bw_store *st, const struct bw_addr *a, size_t n,
                              bw_evidence_cb cb, void *ctx)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *ins;
    int rc = exec_sql(s, "CREATE TEMP TABLE IF NOT EXISTS bw_walk_set (ip BLOB PRIMARY KEY) "
                         "WITHOUT ROWID; DELETE FROM temp.bw_walk_set", NULL);

    if (rc != BW_OK)
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO temp.bw_walk_set (ip) VALUES (?1)", -1,
                           &ins, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    for (size_t i = 0; i < n && rc == BW_OK; i++) {
        bind_addr(ins, 1, &a[i]);
        rc = step_done(ins);
    }
    sqlite3_finalize(ins);
    if (rc == BW_OK)
        rc = walk(st, WALK_SET, NULL, INT64_MIN, cb, ctx);
    (void)exec_sql(s, "DELETE FROM temp.bw_walk_set", NULL);
    return rc;
}

static int sq_device_walk_contact(struct bw_store *st, const char *contact, int64_t since_s,
                                  bw_evidence_cb cb, void *ctx)
{
    return walk(st, contact != NULL ? WALK_ONE_CONTACT : WALK_BY_CONTACT, contact, since_s, cb,
                ctx);
}

static int sq_report_recent(struct bw_store *st, const struct bw_addr *a, size_t limit,
                            bw_report_cb cb, void *ctx)
{
    sqlite3_stmt *stmt = prep(sq(st), S_REPORT_RECENT);
    int rc;

    bind_addr(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, (int64_t)limit);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct bw_stored_report r = {
            .time_s = sqlite3_column_int64(stmt, 0),
            .cats = (bw_catmask)sqlite3_column_int64(stmt, 1),
            .port = (uint16_t)sqlite3_column_int(stmt, 2),
            .reporter = col_text(stmt, 3),
            .evidence = (const char *)sqlite3_column_text(stmt, 4),
            .source = col_text(stmt, 5),
            .controller = (const char *)sqlite3_column_text(stmt, 6),
            .target = (const char *)sqlite3_column_text(stmt, 7),
            .family = (const char *)sqlite3_column_text(stmt, 8),
        };
        int crc = cb(ctx, &r);

        if (crc != 0) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            return crc;
        }
    }
    rc = rc == SQLITE_DONE ? SQLITE_DONE : map_rc(rc);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc == SQLITE_DONE)
        return BW_OK;
    return rc;
}

static int count_rows(struct sq_store *s, const char *sql, uint64_t *out)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? BW_OK : map_rc(rc);
}

static int sq_report_seq(struct bw_store *st, int64_t *out)
{
    uint64_t v = 0;
    int rc = count_rows(sq(st), "SELECT coalesce(max(seq), 0) FROM reports", &v);

    *out = (int64_t)v;
    return rc;
}

static int sq_reports_since(struct bw_store *st, int64_t seq, bw_changed_cb cb, void *ctx,
                            int64_t *max_seq)
{
    sqlite3_stmt *stmt;
    int64_t top = seq;
    int rc;

    /* NOT INDEXED: the planner would rather scan the (ip, id) index in ip order for the
     * GROUP BY, which reads every report; the rowid range reads only the new ones */
    if (sqlite3_prepare_v2(sq(st)->db, "SELECT ip, max(net_len), max(seq) FROM reports "
                                       "NOT INDEXED WHERE seq > ?1 GROUP BY ip ORDER BY ip",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, seq);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct bw_addr a;
        int len = sqlite3_column_int(stmt, 1), crc;

        if (sqlite3_column_int64(stmt, 2) > top)
            top = sqlite3_column_int64(stmt, 2);
        if (sqlite3_column_bytes(stmt, 0) != 16 || len < 0 || len > 128)
            continue;
        memcpy(a.b, sqlite3_column_blob(stmt, 0), 16);
        crc = cb(ctx, &a, (unsigned)len);
        if (crc != 0) {
            sqlite3_finalize(stmt);
            return crc;
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    *max_seq = top;
    return BW_OK;
}

static int sq_counts(struct bw_store *st, struct bw_store_counts *out)
{
    struct sq_store *s = sq(st);
    int rc = count_rows(s, "SELECT count(*) FROM devices", &out->devices);

    if (rc == BW_OK)
        rc = count_rows(s, "SELECT count(*) FROM reports", &out->reports);
    if (rc == BW_OK)
        rc = count_rows(s, "SELECT count(*) FROM reporters", &out->reporters);
    if (rc == BW_OK)
        rc = count_rows(s, "SELECT count(*) FROM allowlist", &out->allowlist);
    return rc;
}

static void bind_text_or_empty_null(sqlite3_stmt *stmt, int i, const char *s)
{
    bind_text_or_null(stmt, i, s[0] != '\0' ? s : NULL);
}

static int sq_device_enrich(struct bw_store *st, const struct bw_addr *a,
                            const struct bw_enrichment *e, unsigned mask, int64_t now_s)
{
    int rc = BW_OK;

    if (mask & BW_ENRICH_NETWORK) {
        sqlite3_stmt *stmt = prep(sq(st), S_DEVICE_SET_NETWORK);

        bind_addr(stmt, 1, a);
        if (e->asn != 0)
            sqlite3_bind_int64(stmt, 2, e->asn);
        else
            sqlite3_bind_null(stmt, 2);
        bind_text_or_empty_null(stmt, 3, e->as_org);
        bind_text_or_empty_null(stmt, 4, e->prefix);
        bind_text_or_empty_null(stmt, 5, e->country);
        bind_text_or_empty_null(stmt, 6, e->region);
        bind_text_or_empty_null(stmt, 7, e->city);
        bind_text_or_empty_null(stmt, 8, e->vertical);
        bind_text_or_empty_null(stmt, 9, e->contact);
        sqlite3_bind_int64(stmt, 10, now_s);
        rc = step_done(stmt);
    }
    if (rc == BW_OK && (mask & BW_ENRICH_DEVICE)) {
        sqlite3_stmt *stmt = prep(sq(st), S_DEVICE_SET_DEVICE);

        bind_addr(stmt, 1, a);
        bind_text_or_empty_null(stmt, 2, e->device_type);
        bind_text_or_empty_null(stmt, 3, e->device_vendor);
        bind_text_or_empty_null(stmt, 4, e->device_model);
        bind_text_or_empty_null(stmt, 5, e->device_os);
        bind_text_or_empty_null(stmt, 6, e->device_software);
        bind_text_or_empty_null(stmt, 7, e->device_version);
        bind_text_or_empty_null(stmt, 8, e->device_matched);
        rc = step_done(stmt);
    }
    return rc;
}

static int sq_device_exists(struct bw_store *st, const struct bw_addr *a, bool *exists)
{
    sqlite3_stmt *stmt = prep(sq(st), S_DEVICE_EXISTS);
    int rc;

    bind_addr(stmt, 1, a);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return map_rc(rc);
    *exists = rc == SQLITE_ROW;
    return BW_OK;
}

static int sq_device_create(struct bw_store *st, const struct bw_addr *a, int64_t now_s,
                            const struct bw_enrichment *e)
{
    sqlite3_stmt *stmt = prep(sq(st), S_DEVICE_CREATE);

    bind_addr(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, now_s);
    if (e->asn != 0)
        sqlite3_bind_int64(stmt, 3, e->asn);
    bind_text_or_empty_null(stmt, 4, e->as_org);
    bind_text_or_empty_null(stmt, 5, e->prefix);
    bind_text_or_empty_null(stmt, 6, e->country);
    bind_text_or_empty_null(stmt, 7, e->region);
    bind_text_or_empty_null(stmt, 8, e->city);
    bind_text_or_empty_null(stmt, 9, e->vertical);
    bind_text_or_empty_null(stmt, 10, e->contact);
    bind_text_or_empty_null(stmt, 11, e->device_type);
    bind_text_or_empty_null(stmt, 12, e->device_vendor);
    bind_text_or_empty_null(stmt, 13, e->device_model);
    bind_text_or_empty_null(stmt, 14, e->device_os);
    bind_text_or_empty_null(stmt, 15, e->device_software);
    bind_text_or_empty_null(stmt, 16, e->device_version);
    bind_text_or_empty_null(stmt, 17, e->device_matched);
    return step_done(stmt);
}

/* Runs a one-off query and hands each row to fn. */
/* Steps a prepared (and bound) statement to its end, calling fn on each row; finalizes it. A
 * non-zero fn return stops the walk and is returned. */
static int each_stmt(sqlite3_stmt *stmt, int (*fn)(sqlite3_stmt *, void *), void *ctx)
{
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int crc = fn(stmt, ctx);

        if (crc != 0) {
            sqlite3_finalize(stmt);
            return crc;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static int each_row(struct sq_store *s, const char *sql, int (*fn)(sqlite3_stmt *, void *),
                    void *ctx)
{
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    return each_stmt(stmt, fn, ctx);
}

struct cb_ctx {
    void *cb;
    void *ctx;
};

static int addr_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_addr a;

    if (sqlite3_column_bytes(stmt, 0) != 16)
        return 0;
    memcpy(a.b, sqlite3_column_blob(stmt, 0), 16);
    return ((bw_addr_cb)c->cb)(c->ctx, &a);
}

static int sq_device_addrs(struct bw_store *st, bw_addr_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };

    return each_row(sq(st), "SELECT ip FROM devices ORDER BY ip", addr_row, &c);
}

static int sq_contacts_replace(struct bw_store *st, const struct bw_contact_row *rows, size_t n)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt;
    int rc = exec_sql(s, "SAVEPOINT contacts; DELETE FROM contacts;", NULL);

    if (rc != BW_OK)
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO contacts (name, scope, email, webhook, role, "
                                  "parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &stmt,
                           NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK TO contacts; RELEASE contacts;", NULL, NULL, NULL);
        return BW_EBACKEND;
    }
    for (size_t i = 0; rc == BW_OK && i < n; i++) {
        sqlite3_bind_text(stmt, 1, rows[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, rows[i].scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, rows[i].email, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, rows[i].webhook, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, rows[i].role, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 6, rows[i].parent, -1, SQLITE_STATIC);
        rc = step_done(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc != BW_OK) {
        sqlite3_exec(s->db, "ROLLBACK TO contacts; RELEASE contacts;", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(s, "RELEASE contacts;", NULL);
}

static int contact_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_contact_row r;

    copy_col(r.name, sizeof(r.name), stmt, 0);
    copy_col(r.scope, sizeof(r.scope), stmt, 1);
    copy_col(r.email, sizeof(r.email), stmt, 2);
    copy_col(r.webhook, sizeof(r.webhook), stmt, 3);
    copy_col(r.role, sizeof(r.role), stmt, 4);
    copy_col(r.parent, sizeof(r.parent), stmt, 5);
    return ((bw_contact_cb)c->cb)(c->ctx, &r);
}

static int sq_contacts_list(struct bw_store *st, bw_contact_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };

    return each_row(sq(st), "SELECT name, scope, email, webhook, role, parent FROM contacts "
                            "ORDER BY name", contact_row, &c);
}

static int sq_vertical_put(struct bw_store *st, uint32_t asn, const char *vertical)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "INSERT OR REPLACE INTO vertical_overrides (asn, "
                                       "vertical) VALUES (?1, ?2)", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, asn);
    sqlite3_bind_text(stmt, 2, vertical, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static int vertical_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;

    return ((bw_vertical_cb)c->cb)(c->ctx, (uint32_t)sqlite3_column_int64(stmt, 0),
                                   col_text(stmt, 1));
}

static int sq_vertical_list(struct bw_store *st, bw_vertical_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };

    return each_row(sq(st), "SELECT asn, vertical FROM vertical_overrides ORDER BY asn",
                    vertical_row, &c);
}

static int sq_advisory_put(struct bw_store *st, const struct bw_advisory_row *row)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "INSERT OR REPLACE INTO advisories (id, vendor, product, "
                                       "name, action, added_at, source) VALUES (?1, ?2, ?3, ?4, "
                                       "?5, ?6, ?7)", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_text(stmt, 1, row->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, row->vendor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, row->product, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, row->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, row->action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, row->added_s);
    sqlite3_bind_text(stmt, 7, row->source, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static int advisory_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_advisory_row r;

    copy_col(r.id, sizeof(r.id), stmt, 0);
    copy_col(r.vendor, sizeof(r.vendor), stmt, 1);
    copy_col(r.product, sizeof(r.product), stmt, 2);
    copy_col(r.name, sizeof(r.name), stmt, 3);
    copy_col(r.action, sizeof(r.action), stmt, 4);
    r.added_s = sqlite3_column_int64(stmt, 5);
    copy_col(r.source, sizeof(r.source), stmt, 6);
    return ((bw_advisory_cb)c->cb)(c->ctx, &r);
}

static int sq_advisory_list(struct bw_store *st, bw_advisory_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };

    return each_row(sq(st), "SELECT id, vendor, product, name, action, added_at, source FROM "
                            "advisories ORDER BY added_at DESC, id", advisory_row, &c);
}

static int sq_allow_add(struct bw_store *st, const struct bw_prefix *p, const char *note,
                        int64_t now_s)
{
    char text[BW_PREFIX_TEXT_MAX];
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db,
                           "INSERT INTO allowlist (prefix, note, added_at) VALUES (?1, ?2, ?3)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_text(stmt, 1, bw_prefix_format(p, text), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, note != NULL ? note : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 3, now_s);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static int sq_allow_remove(struct bw_store *st, const struct bw_prefix *p)
{
    char text[BW_PREFIX_TEXT_MAX];
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "DELETE FROM allowlist WHERE prefix = ?1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_text(stmt, 1, bw_prefix_format(p, text), -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    return sqlite3_changes(sq(st)->db) > 0 ? BW_OK : BW_ENOTFOUND;
}

static int sq_allow_list(struct bw_store *st, bw_allow_cb cb, void *ctx)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "SELECT prefix, note, added_at FROM allowlist "
                                       "ORDER BY prefix", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *text = col_text(stmt, 0);
        struct bw_prefix p;
        int crc;

        if (bw_prefix_parse(&p, text, strlen(text)) != BW_OK)
            continue; /* written by us in canonical form; a bad row is skipped, not fatal */
        crc = cb(ctx, &p, col_text(stmt, 1), sqlite3_column_int64(stmt, 2));
        if (crc != 0) {
            sqlite3_finalize(stmt);
            return crc;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

/* ---- cases ---- */

static const char *const listing_names[] = { "new", "still" };
static const char *const cdev_state_names[] = { "active", "fixed", "remediated" };
static const char *const outbox_state_names[] = { "pending", "sent", "failed" };

static int text_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0)
            return (int)i;
    }
    return 0; /* the CHECK constraints keep other values out */
}

/* A savepoint around a multi-statement write, so it is atomic inside or outside a caller's
 * transaction. */
static int sp_begin(struct sq_store *s)
{
    return exec_sql(s, "SAVEPOINT bw_case", NULL);
}

static int sp_end(struct sq_store *s, int rc)
{
    if (rc != BW_OK) {
        sqlite3_exec(s->db, "ROLLBACK TO bw_case; RELEASE bw_case;", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(s, "RELEASE bw_case", NULL);
}

static void read_case(sqlite3_stmt *stmt, struct bw_case *c)
{
    int st;

    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(stmt, 0);
    copy_col(c->contact, sizeof(c->contact), stmt, 1);
    copy_col(c->level_contact, sizeof(c->level_contact), stmt, 2);
    copy_col(c->scope, sizeof(c->scope), stmt, 3);
    c->asn = (uint32_t)sqlite3_column_int64(stmt, 4);
    st = bw_store__state_from_text(col_text(stmt, 5));
    c->state = st >= 0 ? (enum bw_case_state)st : BW_CASE_PENDING;
    c->level = sqlite3_column_int(stmt, 6);
    c->notices = sqlite3_column_int(stmt, 7);
    c->created_s = sqlite3_column_int64(stmt, 8);
    c->sent_s = sqlite3_column_int64(stmt, 9);
    c->level_sent_s = sqlite3_column_int64(stmt, 10);
    c->due_s = sqlite3_column_int64(stmt, 11);
    c->acked_s = sqlite3_column_int64(stmt, 12);
    c->remediated_s = sqlite3_column_int64(stmt, 13);
    c->closed_s = sqlite3_column_int64(stmt, 14);
    c->updated_s = sqlite3_column_int64(stmt, 15);
    copy_col(c->ack_token, sizeof(c->ack_token), stmt, 16);
    copy_col(c->reason, sizeof(c->reason), stmt, 17);
    c->n_devices = (uint32_t)sqlite3_column_int64(stmt, 18);
    c->n_active = (uint32_t)sqlite3_column_int64(stmt, 19);
    c->n_pending = (uint32_t)sqlite3_column_int64(stmt, 20);
    c->n_sent = (uint32_t)sqlite3_column_int64(stmt, 21);
    c->n_failed = (uint32_t)sqlite3_column_int64(stmt, 22);
    c->n_escalations = (uint32_t)sqlite3_column_int64(stmt, 23);
}

/* Steps a prepared statement that yields at most one case. */
static int case_one(sqlite3_stmt *stmt, struct bw_case *out)
{
    int rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        read_case(stmt, out);
        rc = BW_OK;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int event_insert(struct sq_store *s, int64_t id, int64_t now_s, const char *from,
                        const char *to, const char *actor, const char *note, bool transition)
{
    sqlite3_stmt *stmt = prep(s, S_EVENT_INSERT);

    sqlite3_bind_int(stmt, 7, transition);
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now_s);
    sqlite3_bind_text(stmt, 3, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, note, -1, SQLITE_STATIC);
    return step_done(stmt);
}

static int sq_secret(struct bw_store *st, const char *name, uint8_t out[32]);

static int sq_case_create(struct bw_store *st, struct bw_case *c, const char *actor,
                          const char *note, int64_t now_s)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_CASE_INSERT);
    uint8_t secret[32];
    char token[65];
    int64_t id = 0;
    int rc = sp_begin(s);

    if (rc != BW_OK)
        return rc;
    if ((unsigned)c->state >= BW_CASE_STATE_COUNT)
        return sp_end(s, BW_EINVAL);
    sqlite3_bind_text(stmt, 1, c->contact, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->level_contact[0] ? c->level_contact : c->contact, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, c->scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, c->asn);
    sqlite3_bind_text(stmt, 5, bw_case_state_name(c->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 6, c->level);
    sqlite3_bind_int(stmt, 7, c->notices);
    sqlite3_bind_int64(stmt, 8, now_s);
    sqlite3_bind_int64(stmt, 9, c->sent_s);
    sqlite3_bind_int64(stmt, 10, c->level_sent_s);
    sqlite3_bind_int64(stmt, 11, c->due_s);
    sqlite3_bind_text(stmt, 12, c->reason, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0);
        rc = BW_OK;
    } else {
        rc = map_rc(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc == BW_OK)
        rc = sq_secret(st, "ack", secret);
    if (rc == BW_OK) {
        bw_store__ack_token(secret, id, token);
        sodium_memzero(secret, sizeof(secret));
        stmt = prep(s, S_CASE_SET_TOKEN);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, token, -1, SQLITE_STATIC);
        rc = step_done(stmt);
    }
    if (rc == BW_OK)
        rc = event_insert(s, id, now_s, "", bw_case_state_name(c->state), actor ? actor : "",
                          note ? note : "", true);
    rc = sp_end(s, rc);
    if (rc != BW_OK)
        return rc;
    c->id = id;
    if (c->level_contact[0] == '\0')
        snprintf(c->level_contact, sizeof(c->level_contact), "%s", c->contact);
    snprintf(c->ack_token, sizeof(c->ack_token), "%s", token);
    c->created_s = now_s;
    c->updated_s = now_s;
    return BW_OK;
}

static int sq_case_get(struct bw_store *st, int64_t id, struct bw_case *out)
{
    sqlite3_stmt *stmt = prep(sq(st), S_CASE_GET);

    sqlite3_bind_int64(stmt, 1, id);
    return case_one(stmt, out);
}

static int sq_case_find(struct bw_store *st, const char *contact, bool active_only,
                        struct bw_case *out)
{
    sqlite3_stmt *stmt = prep(sq(st), active_only ? S_CASE_ACTIVE : S_CASE_LATEST);

    sqlite3_bind_text(stmt, 1, contact, -1, SQLITE_STATIC);
    return case_one(stmt, out);
}

static int sq_case_update(struct bw_store *st, const struct bw_case *c, int64_t now_s)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_CASE_UPDATE);
    int rc;

    sqlite3_bind_int64(stmt, 1, c->id);
    sqlite3_bind_int(stmt, 2, c->level);
    sqlite3_bind_text(stmt, 3, c->level_contact, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, c->notices);
    sqlite3_bind_int64(stmt, 5, c->asn);
    sqlite3_bind_int64(stmt, 6, c->sent_s);
    sqlite3_bind_int64(stmt, 7, c->level_sent_s);
    sqlite3_bind_int64(stmt, 8, c->due_s);
    sqlite3_bind_text(stmt, 9, c->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 10, now_s);
    rc = step_done(stmt);
    if (rc == BW_OK && sqlite3_changes(s->db) == 0)
        rc = BW_ENOTFOUND;
    return rc;
}

static int sq_case_transition(struct bw_store *st, int64_t id, enum bw_case_state to,
                              const char *actor, const char *note, int64_t now_s)
{
    struct sq_store *s = sq(st);
    struct bw_case c;
    sqlite3_stmt *stmt;
    enum bw_case_state from;
    int rc = sp_begin(s);

    if (rc != BW_OK)
        return rc;
    rc = sq_case_get(st, id, &c);
    if (rc != BW_OK)
        return sp_end(s, rc);
    from = c.state;
    if (!bw_case_transition_allowed(from, to))
        return sp_end(s, BW_ECONFLICT);
    switch (to) {
    case BW_CASE_ACKNOWLEDGED: c.acked_s = now_s; break;
    case BW_CASE_REMEDIATED: c.remediated_s = now_s; break;
    case BW_CASE_CLOSED: c.closed_s = now_s; break;
    case BW_CASE_OPEN: c.closed_s = 0; break; /* delivered, or reopened */
    default: break;
    }
    stmt = prep(s, S_CASE_SET_STATE);
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, bw_case_state_name(to), -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, c.acked_s);
    sqlite3_bind_int64(stmt, 4, c.remediated_s);
    sqlite3_bind_int64(stmt, 5, c.closed_s);
    sqlite3_bind_int64(stmt, 6, now_s);
    rc = step_done(stmt);
    if (rc == BW_OK)
        rc = event_insert(s, id, now_s, bw_case_state_name(from), bw_case_state_name(to), actor,
                          note, true);
    return sp_end(s, rc);
}

static int sq_case_note(struct bw_store *st, int64_t id, const char *actor, const char *note,
                        int64_t now_s)
{
    struct bw_case c;
    int rc = sq_case_get(st, id, &c);

    if (rc != BW_OK)
        return rc;
    return event_insert(sq(st), id, now_s, bw_case_state_name(c.state),
                        bw_case_state_name(c.state), actor, note, false);
}

static int case_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_case k;

    read_case(stmt, &k);
    return ((bw_case_cb)c->cb)(c->ctx, &k);
}

static int sq_case_list(struct bw_store *st, const struct bw_case_filter *f, bw_case_cb cb,
                        void *ctx)
{
    struct sq_store *s = sq(st);
    struct cb_ctx c = { (void *)cb, ctx };
    struct bw_buf sql;
    sqlite3_stmt *stmt;

    bw_buf_init(&sql, 0);
    if (bw_buf_printf(&sql, "SELECT " CASE_COLUMNS " FROM cases c WHERE 1") != BW_OK)
        bw_panic("store: out of memory");
    if (f->states != 0) {
        const char *sep = " AND c.state IN (";

        for (int i = 0; i < BW_CASE_STATE_COUNT; i++) {
            if (!(f->states & (1u << i)))
                continue;
            /* the names are our constants, not input */
            if (bw_buf_printf(&sql, "%s'%s'", sep, bw_case_state_name((enum bw_case_state)i)) !=
                BW_OK)
                bw_panic("store: out of memory");
            sep = ", ";
        }
        if (bw_buf_printf(&sql, "%s", sep[0] == ',' ? ")" : " AND 0") != BW_OK)
            bw_panic("store: out of memory");
    }
    if ((f->contact != NULL && bw_buf_printf(&sql, " AND c.contact = ?1") != BW_OK) ||
        (f->due_before_s > 0 &&
         bw_buf_printf(&sql, " AND c.due_at > 0 AND c.due_at <= ?2") != BW_OK) ||
        bw_buf_printf(&sql, " ORDER BY c.id") != BW_OK)
        bw_panic("store: out of memory");
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
        bw_buf_cleanup(&sql);
        return BW_EBACKEND;
    }
    bw_buf_cleanup(&sql);
    if (f->contact != NULL)
        sqlite3_bind_text(stmt, 1, f->contact, -1, SQLITE_STATIC);
    if (f->due_before_s > 0)
        sqlite3_bind_int64(stmt, 2, f->due_before_s);
    return each_stmt(stmt, case_row, &c);
}

static int event_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    int to = bw_store__state_from_text(col_text(stmt, 3));
    struct bw_case_event e = {
        .case_id = sqlite3_column_int64(stmt, 0),
        .time_s = sqlite3_column_int64(stmt, 1),
        .from = bw_store__state_from_text(col_text(stmt, 2)),
        .to = to >= 0 ? (enum bw_case_state)to : BW_CASE_PENDING,
        .actor = col_text(stmt, 4),
        .note = col_text(stmt, 5),
        .is_note = sqlite3_column_int(stmt, 6) == 0,
    };

    return ((bw_case_event_cb)c->cb)(c->ctx, &e);
}

static int sq_case_events(struct bw_store *st, int64_t id, bw_case_event_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(sq(st)->db, "SELECT case_id, time, from_state, to_state, actor, note, "
                                       "transition FROM case_events WHERE case_id = ?1 "
                                       "ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, id);
    return each_stmt(stmt, event_row, &c);
}

static int sq_case_device_put(struct bw_store *st, const struct bw_case_device *d)
{
    sqlite3_stmt *stmt = prep(sq(st), S_CDEV_PUT);

    if ((unsigned)d->listing > BW_LISTING_STILL || (unsigned)d->state > BW_CDEV_REMEDIATED)
        return BW_EINVAL;
    sqlite3_bind_int64(stmt, 1, d->case_id);
    bind_addr(stmt, 2, &d->addr);
    sqlite3_bind_text(stmt, 3, listing_names[d->listing], -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, cdev_state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, d->added_s);
    sqlite3_bind_int64(stmt, 6, d->seen_s);
    sqlite3_bind_int64(stmt, 7, d->fixed_s);
    sqlite3_bind_text(stmt, 8, d->fixed_by, -1, SQLITE_STATIC);
    return step_done(stmt);
}

/* Columns: case_id, ip, listing, state, added_at, seen_at, fixed_at, fixed_by, last report. */
static bool read_case_device(sqlite3_stmt *stmt, struct bw_case_device *d)
{
    memset(d, 0, sizeof(*d));
    if (sqlite3_column_bytes(stmt, 1) != 16)
        return false;
    d->case_id = sqlite3_column_int64(stmt, 0);
    memcpy(d->addr.b, sqlite3_column_blob(stmt, 1), 16);
    d->listing = (enum bw_case_listing)text_index(listing_names, 2, col_text(stmt, 2));
    d->state = (enum bw_case_dev_state)text_index(cdev_state_names, 3, col_text(stmt, 3));
    d->added_s = sqlite3_column_int64(stmt, 4);
    d->seen_s = sqlite3_column_int64(stmt, 5);
    d->fixed_s = sqlite3_column_int64(stmt, 6);
    copy_col(d->fixed_by, sizeof(d->fixed_by), stmt, 7);
    d->last_report_s = sqlite3_column_int64(stmt, 8);
    return true;
}

static int case_device_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_case_device d;

    return read_case_device(stmt, &d) ? ((bw_case_device_cb)c->cb)(c->ctx, &d) : 0;
}

static int sq_case_devices(struct bw_store *st, int64_t case_id, bw_case_device_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(sq(st)->db,
                           "SELECT case_id, ip, listing, state, added_at, seen_at, fixed_at, "
                           "fixed_by, (SELECT max(last_seen) FROM evidence e WHERE e.ip = cd.ip) "
                           "FROM case_devices cd WHERE case_id = ?1 ORDER BY ip",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, case_id);
    return each_stmt(stmt, case_device_row, &c);
}

static int sq_case_device_find(struct bw_store *st, const char *contact, const struct bw_addr *a,
                               struct bw_case_device *out, enum bw_case_state *case_state)
{
    sqlite3_stmt *stmt = prep(sq(st), S_CDEV_FIND);
    int rc;

    bind_addr(stmt, 1, a);
    sqlite3_bind_text(stmt, 2, contact, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        int cs = bw_store__state_from_text(col_text(stmt, 9));

        rc = read_case_device(stmt, out) ? BW_OK : BW_ENOTFOUND;
        if (case_state != NULL)
            *case_state = cs >= 0 ? (enum bw_case_state)cs : BW_CASE_PENDING;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_case_stats(struct bw_store *st, bool by_asn, int64_t now_s, bw_case_stats_cb cb,
                         void *ctx)
{
    static const char sql_fmt[] =
        "SELECT %s, count(*), sum(c.state <> 'closed'), "
        "sum(c.state IN ('pending', 'open', 'escalated', 'overdue') AND c.due_at > 0 AND "
        "c.due_at <= ?1), "
        "sum((SELECT count(*) FROM case_events ev WHERE ev.case_id = c.id AND "
        "ev.to_state = 'escalated' AND ev.transition)), "
        "sum(c.acked_at > 0), sum(c.remediated_at > 0), "
        "avg(CASE WHEN c.acked_at > 0 THEN c.acked_at - CASE WHEN c.sent_at > 0 AND "
        "c.sent_at <= c.acked_at THEN c.sent_at ELSE c.created_at END END), "
        "avg(CASE WHEN c.remediated_at > 0 THEN c.remediated_at - c.created_at END) "
        "FROM cases c GROUP BY 1 ORDER BY 1";
    char sql[sizeof(sql_fmt) + 32];
    sqlite3_stmt *stmt;
    int rc = BW_OK;

    snprintf(sql, sizeof(sql), sql_fmt, by_asn ? "c.asn" : "c.contact");
    if (sqlite3_prepare_v2(sq(st)->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, now_s);
    for (;;) {
        char key[64];
        int step = sqlite3_step(stmt);

        if (step != SQLITE_ROW) {
            rc = step == SQLITE_DONE ? BW_OK : map_rc(step);
            break;
        }
        if (by_asn)
            snprintf(key, sizeof(key), "AS%lld", (long long)sqlite3_column_int64(stmt, 0));
        else
            copy_col(key, sizeof(key), stmt, 0);
        struct bw_case_stats cs = {
            .key = key,
            .cases = (uint64_t)sqlite3_column_int64(stmt, 1),
            .open = (uint64_t)sqlite3_column_int64(stmt, 2),
            .overdue = (uint64_t)sqlite3_column_int64(stmt, 3),
            .escalations = (uint64_t)sqlite3_column_int64(stmt, 4),
            .acknowledged = (uint64_t)sqlite3_column_int64(stmt, 5),
            .remediated = (uint64_t)sqlite3_column_int64(stmt, 6),
            .ack_mean_s = sqlite3_column_type(stmt, 7) == SQLITE_NULL
                              ? -1
                              : sqlite3_column_double(stmt, 7),
            .remediate_mean_s = sqlite3_column_type(stmt, 8) == SQLITE_NULL
                                    ? -1
                                    : sqlite3_column_double(stmt, 8),
        };
        rc = cb(ctx, &cs);
        if (rc != 0)
            break;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* ---- outbox ---- */

/* Payloads over this are stored deflated: a notice is mostly repeated text (about a sixth of
 * its size once deflated at level 1), and writing the database was most of a cycle's time. */
#define OUTBOX_DEFLATE_MIN 4096

static int sq_outbox_put(struct bw_store *st, struct bw_outbox_msg *m)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_OUTBOX_PUT);
    const void *p = m->payload != NULL ? m->payload : "";
    size_t len = m->payload_len;
    bool deflated = false;
    int rc;

    if (len >= OUTBOX_DEFLATE_MIN && len < UINT32_MAX) {
        uLongf zlen = compressBound((uLong)len);

        if (s->zbuf.data == NULL)
            bw_buf_init(&s->zbuf, 0);
        bw_buf_reset(&s->zbuf);
        if (bw_buf_reserve(&s->zbuf, zlen) == BW_OK &&
            compress2((Bytef *)s->zbuf.data, &zlen, p, (uLong)len, 1) == Z_OK && zlen < len) {
            p = s->zbuf.data;
            len = zlen;
            deflated = true;
        }
    }
    sqlite3_bind_text(stmt, 1, m->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, m->case_id);
    sqlite3_bind_int(stmt, 3, m->level);
    sqlite3_bind_text(stmt, 4, m->route, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, m->dest, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 6, p, len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, m->next_s);
    sqlite3_bind_int64(stmt, 8, m->created_s);
    sqlite3_bind_text(stmt, 9, deflated ? "deflate" : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 10, (int64_t)m->payload_len);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        m->id = sqlite3_column_int64(stmt, 0);
        rc = BW_OK;
    } else {
        rc = map_rc(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_outbox_due(struct bw_store *st, int64_t now_s, const char *contact,
                         int64_t after_id, int64_t *ids, size_t max, size_t *n)
{
    static const char all_sql[] =
        "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1 AND id > ?2 "
        "ORDER BY id LIMIT ?3";
    static const char one_sql[] =
        "SELECT o.id FROM outbox o JOIN cases c ON c.id = o.case_id WHERE o.state = 'pending' "
        "AND o.next_attempt_at <= ?1 AND o.id > ?2 AND c.contact = ?4 ORDER BY o.id LIMIT ?3";
    sqlite3_stmt *stmt;
    size_t k = 0;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, contact != NULL ? one_sql : all_sql, -1, &stmt, NULL) !=
        SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, now_s);
    sqlite3_bind_int64(stmt, 2, after_id);
    sqlite3_bind_int64(stmt, 3, (int64_t)max);
    if (contact != NULL)
        sqlite3_bind_text(stmt, 4, contact, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && k < max)
        ids[k++] = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return map_rc(rc);
    *n = k;
    return BW_OK;
}

static void read_outbox(sqlite3_stmt *stmt, struct bw_outbox_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(stmt, 0);
    copy_col(m->key, sizeof(m->key), stmt, 1);
    m->case_id = sqlite3_column_int64(stmt, 2);
    m->level = sqlite3_column_int(stmt, 3);
    copy_col(m->route, sizeof(m->route), stmt, 4);
    copy_col(m->dest, sizeof(m->dest), stmt, 5);
    m->state = (enum bw_outbox_state)text_index(outbox_state_names, 3, col_text(stmt, 6));
    m->attempts = (unsigned)sqlite3_column_int64(stmt, 7);
    m->next_s = sqlite3_column_int64(stmt, 8);
    m->created_s = sqlite3_column_int64(stmt, 9);
    m->sent_s = sqlite3_column_int64(stmt, 10);
    copy_col(m->error, sizeof(m->error), stmt, 11);
}

static int sq_outbox_get(struct bw_store *st, int64_t id, struct bw_outbox_msg *out,
                         struct bw_buf *payload)
{
    sqlite3_stmt *stmt = prep(sq(st), S_OUTBOX_GET);
    int rc;

    sqlite3_bind_int64(stmt, 1, id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(stmt, 12);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 12);

        read_outbox(stmt, out);
        bw_buf_reset(payload);
        if (strcmp(col_text(stmt, 13), "deflate") == 0) {
            uLongf plain = (uLongf)sqlite3_column_int64(stmt, 14);

            rc = bw_buf_reserve(payload, (size_t)plain + 1);
            if (rc == BW_OK && (uncompress((Bytef *)payload->data, &plain, p, (uLong)len) !=
                                    Z_OK ||
                                plain != (uLongf)sqlite3_column_int64(stmt, 14)))
                rc = BW_EBACKEND; /* a damaged row: reported, never sent garbled */
            if (rc == BW_OK) {
                payload->len = plain;
                payload->data[plain] = '\0';
            }
        } else {
            rc = len > 0 ? bw_buf_append(payload, p, len) : BW_OK;
        }
        out->payload = payload->data;
        out->payload_len = payload->len;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_outbox_claim(struct bw_store *st, int64_t id, int64_t now_s, int64_t lease_s,
                           bool *claimed)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_OUTBOX_CLAIM);
    int rc;

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now_s);
    sqlite3_bind_int64(stmt, 3, now_s + lease_s);
    rc = step_done(stmt);
    if (rc == BW_OK)
        *claimed = sqlite3_changes(s->db) > 0;
    return rc;
}

static int sq_outbox_mark(struct bw_store *st, int64_t id, enum bw_outbox_state state,
                          int64_t next_s, const char *error, int64_t sent_s)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = prep(s, S_OUTBOX_MARK);
    int rc;

    if ((unsigned)state > BW_OUTBOX_FAILED)
        return BW_EINVAL;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, outbox_state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, next_s);
    sqlite3_bind_text(stmt, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, sent_s);
    rc = step_done(stmt);
    if (rc == BW_OK && sqlite3_changes(s->db) == 0)
        rc = BW_ENOTFOUND;
    return rc;
}

static int outbox_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_outbox_msg m;

    read_outbox(stmt, &m);
    return ((bw_outbox_cb)c->cb)(c->ctx, &m);
}

static int sq_outbox_list(struct bw_store *st, int64_t case_id, bw_outbox_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(sq(st)->db, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE ?1 = 0 OR "
                                       "case_id = ?1 ORDER BY id", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, case_id);
    return each_stmt(stmt, outbox_row, &c);
}

/* Reads the named secret (64 hex digits in meta); BW_ENOTFOUND when absent. */
static int secret_read(struct sq_store *s, const char *key, uint8_t out[32])
{
    sqlite3_stmt *stmt = prep(s, S_SECRET_GET);
    int rc;

    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *hex = col_text(stmt, 0);
        size_t bin_len = 0;

        rc = sodium_hex2bin(out, 32, hex, strlen(hex), NULL, &bin_len, NULL) == 0 &&
                     bin_len == 32
                 ? BW_OK
                 : BW_EBACKEND;
    } else {
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static int sq_secret(struct bw_store *st, const char *name, uint8_t out[32])
{
    struct sq_store *s = sq(st);
    char key[96], hex[65];
    uint8_t fresh[32];
    sqlite3_stmt *stmt;
    int rc;

    snprintf(key, sizeof(key), "secret.%s", name);
    rc = secret_read(s, key, out);
    if (rc != BW_ENOTFOUND)
        return rc;
    if (sodium_init() < 0)
        return BW_EBACKEND;
    randombytes_buf(fresh, sizeof(fresh));
    sodium_bin2hex(hex, sizeof(hex), fresh, sizeof(fresh));
    sodium_memzero(fresh, sizeof(fresh));
    stmt = prep(s, S_SECRET_PUT);
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, hex, -1, SQLITE_STATIC);
    rc = step_done(stmt);
    sodium_memzero(hex, sizeof(hex));
    /* read back: whoever wrote first (another connection, maybe) wins */
    return rc == BW_OK ? secret_read(s, key, out) : rc;
}

/* ---- delisting requests ---- */

#define DELIST_COLUMNS                                                                         \
    "id, ip, reason, contact, requested_by, requested_at, state, decided_by, note, decided_at"

static int delist_read(sqlite3_stmt *stmt, struct bw_delist *out)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(stmt, 0);
    if (sqlite3_column_bytes(stmt, 1) != 16)
        return BW_EBACKEND;
    memcpy(out->addr.b, sqlite3_column_blob(stmt, 1), 16);
    copy_col(out->reason, sizeof(out->reason), stmt, 2);
    copy_col(out->contact, sizeof(out->contact), stmt, 3);
    copy_col(out->requested_by, sizeof(out->requested_by), stmt, 4);
    out->requested_s = sqlite3_column_int64(stmt, 5);
    out->state = (enum bw_delist_state)sqlite3_column_int(stmt, 6);
    copy_col(out->decided_by, sizeof(out->decided_by), stmt, 7);
    copy_col(out->note, sizeof(out->note), stmt, 8);
    out->decided_s = sqlite3_column_int64(stmt, 9);
    return BW_OK;
}

static int sq_delist_add(struct bw_store *st, struct bw_delist *req)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt;
    int rc;

    /* one pending request per address: a second one answers with the first */
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM delist_requests WHERE ip = ?1 AND state = 0",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    bind_addr(stmt, 1, &req->addr);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        req->id = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return BW_ECONFLICT;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO delist_requests (ip, reason, contact, "
                                  "requested_by, requested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    bind_addr(stmt, 1, &req->addr);
    sqlite3_bind_text(stmt, 2, req->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, req->contact, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, req->requested_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, req->requested_s);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    req->id = sqlite3_last_insert_rowid(s->db);
    req->state = BW_DELIST_PENDING;
    return BW_OK;
}

static int sq_delist_get(struct bw_store *st, int64_t id, struct bw_delist *out)
{
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, "SELECT " DELIST_COLUMNS " FROM delist_requests "
                                       "WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int64(stmt, 1, id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        rc = delist_read(stmt, out);
    else
        rc = rc == SQLITE_DONE ? BW_ENOTFOUND : map_rc(rc);
    sqlite3_finalize(stmt);
    return rc;
}

static int delist_row(sqlite3_stmt *stmt, void *arg)
{
    struct cb_ctx *c = arg;
    struct bw_delist d;
    int rc = delist_read(stmt, &d);

    return rc == BW_OK ? ((bw_delist_cb)c->cb)(c->ctx, &d) : rc;
}

static int sq_delist_list(struct bw_store *st, int state, bw_delist_cb cb, void *ctx)
{
    struct cb_ctx c = { (void *)cb, ctx };
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(sq(st)->db, "SELECT " DELIST_COLUMNS " FROM delist_requests "
                                       "WHERE ?1 < 0 OR state = ?1 ORDER BY id", -1, &stmt,
                           NULL) != SQLITE_OK)
        return BW_EBACKEND;
    sqlite3_bind_int(stmt, 1, state);
    return each_stmt(stmt, delist_row, &c);
}

static int sq_delist_decide(struct bw_store *st, int64_t id, bool accept, const char *by,
                            const char *note, int64_t now_s)
{
    struct sq_store *s = sq(st);
    struct bw_diag d;
    struct bw_delist req;
    sqlite3_stmt *stmt;
    int rc;

    rc = exec_sql(s, "SAVEPOINT delist_decide", &d);
    if (rc != BW_OK)
        return rc;
    rc = sq_delist_get(st, id, &req);
    if (rc == BW_OK && req.state != BW_DELIST_PENDING)
        rc = BW_ECONFLICT;
    if (rc == BW_OK && sqlite3_prepare_v2(s->db, "UPDATE delist_requests SET state = ?2, "
                                                 "decided_by = ?3, note = ?4, decided_at = ?5 "
                                                 "WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        rc = BW_EBACKEND;
    if (rc == BW_OK) {
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int(stmt, 2, accept ? BW_DELIST_ACCEPTED : BW_DELIST_REJECTED);
        sqlite3_bind_text(stmt, 3, by, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, note != NULL ? note : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, now_s);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? BW_OK : map_rc(sqlite3_errcode(s->db));
        sqlite3_finalize(stmt);
    }
    /* the decision's effect on scoring: what was reported before it weighs nothing now */
    if (rc == BW_OK && accept &&
        sqlite3_prepare_v2(s->db, "UPDATE evidence SET mass = 0, mass_at = max(mass_at, ?2) "
                                  "WHERE ip = ?1", -1, &stmt, NULL) != SQLITE_OK)
        rc = BW_EBACKEND;
    else if (rc == BW_OK && accept) {
        bind_addr(stmt, 1, &req.addr);
        sqlite3_bind_int64(stmt, 2, now_s);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? BW_OK : map_rc(sqlite3_errcode(s->db));
        sqlite3_finalize(stmt);
    }
    if (rc != BW_OK) {
        (void)exec_sql(s, "ROLLBACK TO delist_decide; RELEASE delist_decide", &d);
        return rc;
    }
    return exec_sql(s, "RELEASE delist_decide", &d);
}

static int sq_notify_counts(struct bw_store *st, struct bw_notify_counts *out)
{
    static const char sql[] =
        "SELECT 'c', state, count(*) FROM cases GROUP BY state UNION ALL "
        "SELECT 'o', state, count(*) FROM outbox GROUP BY state UNION ALL "
        "SELECT 'u', '', count(*) FROM cases WHERE state <> 'closed' AND reason <> ''";
    static const char *const outbox_states[] = { "pending", "sent", "failed" };
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(sq(st)->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return BW_EBACKEND;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *kind = col_text(stmt, 0), *state = col_text(stmt, 1);
        uint64_t n = (uint64_t)sqlite3_column_int64(stmt, 2);
        int i;

        if (kind[0] == 'c' && (i = bw_store__state_from_text(state)) >= 0)
            out->cases[i] = n;
        else if (kind[0] == 'u')
            out->undeliverable = n;
        for (i = 0; kind[0] == 'o' && i < 3; i++) {
            if (strcmp(state, outbox_states[i]) == 0)
                out->outbox[i] = n;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? BW_OK : map_rc(rc);
}

static const struct bw_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .sync = sq_sync,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .errmsg = sq_errmsg,
    .data_version = sq_data_version,
    .reporter_get = sq_reporter_get,
    .reporter_ensure = sq_reporter_ensure,
    .reporter_put = sq_reporter_put,
    .reporter_list = sq_reporter_list,
    .report_insert = sq_report_insert,
    .evidence_merge = sq_evidence_merge,
    .device_ensure = sq_device_ensure,
    .device_exists = sq_device_exists,
    .device_create = sq_device_create,
    .network_merge = sq_network_merge,
    .network_walk = sq_network_walk,
    .device_get = sq_device_get,
    .evidence_get = sq_evidence_get,
    .device_walk = sq_device_walk,
    .report_recent = sq_report_recent,
    .counts = sq_counts,
    .report_seq = sq_report_seq,
    .reports_since = sq_reports_since,
    .device_enrich = sq_device_enrich,
    .device_addrs = sq_device_addrs,
    .contacts_replace = sq_contacts_replace,
    .contacts_list = sq_contacts_list,
    .vertical_put = sq_vertical_put,
    .vertical_list = sq_vertical_list,
    .advisory_put = sq_advisory_put,
    .advisory_list = sq_advisory_list,
    .allow_add = sq_allow_add,
    .allow_remove = sq_allow_remove,
    .allow_list = sq_allow_list,
    .delist_add = sq_delist_add,
    .delist_get = sq_delist_get,
    .delist_list = sq_delist_list,
    .delist_decide = sq_delist_decide,
    .device_walk_contact = sq_device_walk_contact,
    .device_walk_set = sq_device_walk_set,
    .evidence_walk = sq_evidence_walk,
    .case_create = sq_case_create,
    .case_get = sq_case_get,
    .case_find = sq_case_find,
    .case_update = sq_case_update,
    .case_transition = sq_case_transition,
    .case_note = sq_case_note,
    .case_list = sq_case_list,
    .case_events = sq_case_events,
    .case_device_put = sq_case_device_put,
    .case_devices = sq_case_devices,
    .case_device_find = sq_case_device_find,
    .case_stats = sq_case_stats,
    .outbox_put = sq_outbox_put,
    .outbox_due = sq_outbox_due,
    .outbox_get = sq_outbox_get,
    .outbox_claim = sq_outbox_claim,
    .outbox_mark = sq_outbox_mark,
    .outbox_list = sq_outbox_list,
    .secret = sq_secret,
    .notify_counts = sq_notify_counts,
};
