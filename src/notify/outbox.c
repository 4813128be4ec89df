/*
 * notify/outbox.c - exactly-once delivery from the registry's side: queueing a rendered notice
 * with its case change, and delivering what is due.
 *
 * A message goes through these states (outbox.state), each write its own transaction:
 *
 *   queued with the case change ──> pending ──claim (attempts+1, next = now + lease)──> sending
 *   sending ──accepted──> sent            (marked in one transaction with the case: delivered)
 *   sending ──refused for good──> failed  (a 5xx from the relay, a webhook's 4xx, bad address)
 *   sending ──failed, may pass later──> pending, next = now + retry * 2^(attempts-1) (capped),
 *                                       failed after max_attempts
 *
 * Why a message is never lost: it is written in the same transaction as the case it tells
 * of, and only "sent" or "failed" end it. Why it is not sent twice: only a claimed message is
 * sent, the claim moves its next attempt a lease away, and it is marked sent right after the
 * far side accepted it. A crash between the acceptance and the mark is the one window left:
 * after the lease the message is sent again, byte for byte the same, under the same
 * Message-ID / Idempotency-Key (the outbox key), so the receiver can see the duplicate.
 *
 * Test hooks (crash tests only): BOTWATCH_FAULT=kill-after-send:N kills the process with
 * SIGKILL right after the N-th message of a run was accepted (inside the window);
 * BOTWATCH_FAULT=kill-after-mark:N right after the N-th was marked sent.
 */
#include "notify/notify_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *role_name(enum bw_contact_role r)
{
    switch (r) {
    case BW_ROLE_ISP: return "isp";
    case BW_ROLE_UPSTREAM: return "upstream";
    case BW_ROLE_CERT: return "cert";
    default: return "isp";
    }
}

static int put_one(struct bw_notify__run *r, const struct bw_case *c, struct bw_notice *n,
                   const char *route, const char *dest, int level)
{
    struct bw_outbox_msg m = {
        .case_id = c->id,
        .level = level,
        .next_s = r->now_s,
        .created_s = r->now_s,
    };
    char key[160];
    int rc;

    if (n->parts > 1)
        snprintf(key, sizeof(key), "bw-case-%lld-%d-%s-p%zu", (long long)c->id, c->notices,
                 route, n->part);
    else
        snprintf(key, sizeof(key), "bw-case-%lld-%d-%s", (long long)c->id, c->notices, route);
    n->idem_key = key;
    bw_buf_reset(&r->render);
    rc = strcmp(route, "email") == 0 ? bw_notice_mime(n, &r->render)
                                     : bw_notice_json(n, &r->render);
    if (rc != BW_OK) {
        bw_diag_set(r->d, "case %lld: the %s notice did not render (%s)", (long long)c->id,
                    route, bw_strerror(rc));
        return rc;
    }
    snprintf(m.key, sizeof(m.key), "%s", key);
    snprintf(m.route, sizeof(m.route), "%s", route);
    snprintf(m.dest, sizeof(m.dest), "%s", dest);
    m.payload = r->render.data;
    m.payload_len = r->render.len;
    rc = bw_store_outbox_put(r->st, &m);
    if (rc == BW_ECONFLICT)
        return BW_OK; /* queued before: queueing is idempotent */
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "queueing a message");
    r->res->queued++;
    return BW_OK;
}

int bw_notify__queue(struct bw_notify__run *r, struct bw_case *c, const struct bw_contact *to,
                     int level, const struct bw_notify__devs *devs, const char *history)
{
    const struct bw_notify_config *cf = r->cf;
    char ack_url[512] = "";
    size_t per;
    struct bw_notice n = {
        .case_id = c->id,
        .contact = to->name,
        .contact_role = role_name(to->role),
        .to = to->email,
        .from = cf->from,
        .registry_name = cf->registry_name,
        .level = level,
        .escalated_from = level > 0 ? c->contact : "",
        .history = history != NULL ? history : "",
        .sent_s = r->now_s,
        .due_s = c->due_s,
        .ack_url = ack_url,
        .dev = devs->dev,
        .n_dev = devs->n,
    };
    int rc = BW_OK;

    if (cf->ack_base_url[0] != '\0') {
        size_t len = strlen(cf->ack_base_url);

        while (len > 0 && cf->ack_base_url[len - 1] == '/')
            len--;
        snprintf(ack_url, sizeof(ack_url), "%.*s/api/v1/cases/%lld/ack?token=%s", (int)len,
                 cf->ack_base_url, (long long)c->id, c->ack_token);
    }
    c->notices++;
    if (to->email[0] == '\0' && to->webhook[0] == '\0') {
        snprintf(c->reason, sizeof(c->reason), "no delivery route");
        return BW_OK;
    }
    c->reason[0] = '\0';
    /* a large notice goes out in parts of at most max_devices devices, each a whole message
     * (its own idempotency key): no message outgrows a mail server's size limit, and one
     * part's rendering is all the memory a notice takes */
    per = cf->max_devices > 0 ? cf->max_devices : devs->n + 1;
    n.parts = devs->n > per ? (devs->n + per - 1) / per : 1;
    n.n_total = devs->n;
    for (size_t k = 0; rc == BW_OK && k < n.parts; k++) {
        n.part = k + 1;
        n.dev = devs->dev + k * per;
        n.n_dev = devs->n - k * per < per ? devs->n - k * per : per;
        if (to->email[0] != '\0')
            rc = put_one(r, c, &n, "email", to->email, level);
        if (rc == BW_OK && to->webhook[0] != '\0')
            rc = put_one(r, c, &n, "webhook", to->webhook, level);
    }
    return rc;
}

/* ---- delivery ---- */

static int64_t backoff(const struct bw_notify_config *cf, unsigned attempts)
{
    int64_t s = cf->retry_s;

    for (unsigned i = 1; i < attempts && s < cf->retry_max_s; i++)
        s *= 2;
    return s < cf->retry_max_s ? s : cf->retry_max_s;
}

static void fault(long at, long n)
{
    if (at > 0 && n == at)
        raise(SIGKILL);
}

/* Writes the outcome of a successful attempt: the message sent, and the case delivered (its
 * first delivery opens it; the first of a level starts that level's deadline). */
static int mark_sent(struct bw_notify__run *r, const struct bw_outbox_msg *m)
{
    struct bw_case c;
    char note[400], prefix[128];
    int rc = bw_notify__tx_begin(r);

    if (rc == BW_OK)
        rc = bw_store_outbox_mark(r->st, m->id, BW_OUTBOX_SENT, 0, "", r->now_s);
    if (rc == BW_OK)
        rc = bw_store_case_get(r->st, m->case_id, &c);
    if (rc == BW_OK) {
        snprintf(note, sizeof(note), "notice delivered to %.255s (%s)", m->dest, m->route);
        if (c.sent_s == 0)
            c.sent_s = r->now_s;
        if (m->level == c.level && c.level_sent_s == 0) {
            const struct bw_contact *who =
                bw_contacts_by_name(r->src->contacts, c.level_contact);

            c.level_sent_s = r->now_s;
            c.due_s = bw_notify__due(r, who != NULL ? who->role : BW_ROLE_ISP);
        }
        /* this route's failure is over; another route's stays said */
        snprintf(prefix, sizeof(prefix), "%s to %.100s:", m->route, m->dest);
        if (strncmp(c.reason, prefix, strlen(prefix)) == 0 || strncmp(c.reason, "no ", 3) == 0)
            c.reason[0] = '\0';
        rc = bw_store_case_update(r->st, &c, r->now_s);
        if (rc == BW_OK && c.state == BW_CASE_PENDING)
            rc = bw_store_case_transition(r->st, c.id, BW_CASE_OPEN, BW_NOTIFY_ACTOR, note,
                                          r->now_s);
        else if (rc == BW_OK)
            rc = bw_store_case_note(r->st, c.id, BW_NOTIFY_ACTOR, note, r->now_s);
    }
    if (rc == BW_ENOTFOUND)
        rc = BW_OK; /* the case is gone: the message still counts as sent */
    return bw_notify__tx_end(r, rc);
}

static int mark_failed(struct bw_notify__run *r, const struct bw_outbox_msg *m, int send_rc,
                       const char *why, bool *given_up)
{
    struct bw_case c;
    char reason[256];
    bool final = send_rc == BW_EIO || send_rc == BW_EINVAL ||
                 m->attempts >= r->cf->max_attempts;
    int64_t next = final ? 0 : r->now_s + backoff(r->cf, m->attempts);
    int rc = bw_notify__tx_begin(r);

    *given_up = final;
    snprintf(reason, sizeof(reason), "%s to %.100s: %.120s%s", m->route, m->dest, why,
             final ? " (given up)" : "");
    if (rc == BW_OK)
        rc = bw_store_outbox_mark(r->st, m->id, final ? BW_OUTBOX_FAILED : BW_OUTBOX_PENDING,
                                  next, why, 0);
    if (rc == BW_OK)
        rc = bw_store_case_get(r->st, m->case_id, &c);
    if (rc == BW_OK) {
        snprintf(c.reason, sizeof(c.reason), "%s", reason);
        rc = bw_store_case_update(r->st, &c, r->now_s);
    }
    if (rc == BW_ENOTFOUND)
        rc = BW_OK;
    return bw_notify__tx_end(r, rc);
}

/* Why a route cannot be tried at all with this configuration ("" when it can). */
static const char *unusable(const struct bw_notify_config *cf, const char *route)
{
    if (strcmp(route, "email") == 0 && cf->smtp.host[0] == '\0')
        return "no SMTP relay configured ([notify] smtp_host or --smtp)";
    if (strcmp(route, "email") == 0 && cf->from[0] == '\0')
        return "no sender address configured ([notify] from or --from)";
    if (strcmp(route, "webhook") == 0 && cf->webhook_secret[0] == '\0')
        return "no webhook secret configured ([notify] webhook_secret)";
    return "";
}

static int deliver_one(struct bw_notify__run *r, int64_t id, struct bw_buf *payload)
{
    struct bw_outbox_msg m;
    struct bw_diag dd = { "" };
    const char *why;
    bool claimed = false, given_up = false;
    int rc = bw_store_outbox_get(r->st, id, &m, payload), send_rc;

    if (rc == BW_ENOTFOUND)
        return BW_OK;
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "reading the outbox");
    why = unusable(r->cf, m.route);
    if (why[0] != '\0') {
        /* not an attempt: the message waits, unchanged, for a configuration that can send */
        struct bw_case c;

        if (bw_store_case_get(r->st, m.case_id, &c) == BW_OK &&
            strcmp(c.reason, why) != 0) {
            snprintf(c.reason, sizeof(c.reason), "%s", why);
            rc = bw_store_case_update(r->st, &c, r->now_s);
            if (rc != BW_OK)
                return bw_notify__store_fail(r, rc, "writing a case");
        }
        r->res->retrying++;
        bw_notify__event(r, BW_NEV_RETRY, m.case_id, m.dest, m.dest, why, 0);
        return BW_OK;
    }
    rc = bw_store_outbox_claim(r->st, id, r->now_s, r->cf->lease_s, &claimed);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "claiming a message");
    if (!claimed)
        return BW_OK; /* another sender has it */
    m.attempts++;
    if (strcmp(m.route, "email") == 0)
        send_rc = bw_smtp_send(&r->cf->smtp, r->cf->from, m.dest, m.payload, m.payload_len, &dd);
    else
        send_rc = bw_webhook_post(m.dest, r->cf->webhook_secret, m.key, r->now_s, m.payload,
                                  m.payload_len, r->cf->smtp.timeout_ms, &dd);
    if (send_rc == BW_OK) {
        fault(r->fault_send, ++r->n_accepted);
        rc = mark_sent(r, &m);
        if (rc != BW_OK)
            return bw_notify__store_fail(r, rc, "marking a message sent");
        fault(r->fault_mark, r->n_accepted);
        r->res->sent++;
        bw_notify__event(r, BW_NEV_SENT, m.case_id, m.dest, m.dest, m.key, 0);
        return BW_OK;
    }
    if (dd.msg[0] == '\0')
        snprintf(dd.msg, sizeof(dd.msg), "%s", bw_strerror(send_rc));
    rc = mark_failed(r, &m, send_rc, dd.msg, &given_up);
    if (rc != BW_OK)
        return bw_notify__store_fail(r, rc, "recording a failed delivery");
    if (given_up) {
        r->res->failed++;
        bw_notify__event(r, BW_NEV_FAILED, m.case_id, m.dest, m.dest, dd.msg, 0);
    } else {
        r->res->retrying++;
        bw_notify__event(r, BW_NEV_RETRY, m.case_id, m.dest, m.dest, dd.msg, 0);
    }
    return BW_OK;
}

#define PAGE 256

int bw_notify__deliver(struct bw_notify__run *r)
{
    int64_t ids[PAGE], after = 0;
    struct bw_buf payload;
    size_t n;
    int rc;

    bw_buf_init(&payload, 0);
    do {
        rc = bw_store_outbox_due(r->st, r->now_s, r->o->contact, after, ids, PAGE, &n);
        if (rc != BW_OK) {
            rc = bw_notify__store_fail(r, rc, "reading the outbox");
            break;
        }
        for (size_t i = 0; rc == BW_OK && i < n; i++) {
            after = ids[i];
            rc = deliver_one(r, ids[i], &payload);
        }
    } while (rc == BW_OK && n == PAGE);
    bw_buf_cleanup(&payload);
    return rc;
}
