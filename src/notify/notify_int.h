/*
 * notify/notify_int.h - what the files of a notification cycle share (cases.c, outbox.c,
 * escalate.c, cycle.c). Not part of the module's interface: notify.h is.
 */
#ifndef BW_NOTIFY_INT_H
#define BW_NOTIFY_INT_H

#include "notify/notify.h"

#define BW_NOTIFY_ACTOR "botwatch" /* the actor of the cycle's own transitions */
#define BW_NOTIFY_RECENT 20        /* recent reports read per device (evidence, controller,
                                    * targets) */

/* One cycle's context. */
struct bw_notify__run {
    struct bw_store *st;
    const struct bw_notify_config *cf;
    const struct bw_notify_sources *src;
    const struct bw_notify_opts *o;
    struct bw_policy policy;
    int64_t now_s;
    bw_notify_event_cb cb;
    void *ctx;
    struct bw_notify_result *res;
    struct bw_diag *d;
    struct bw_buf render;  /* a rendered message (reused) */
    long fault_send;       /* BOTWATCH_FAULT=kill-after-send:N (tests only); 0 = off */
    long fault_mark;       /* BOTWATCH_FAULT=kill-after-mark:N */
    long n_accepted;       /* messages accepted by the far side in this run */
};

void bw_notify__event(struct bw_notify__run *r, enum bw_notify_event_kind kind, int64_t case_id,
                      const char *contact, const char *dest, const char *detail, uint64_t n);

/* Transactions of the cycle: one per case change; in a dry run they are no-ops (the whole run
 * is one transaction that is rolled back). end commits on rc == BW_OK, else rolls back, and
 * returns rc or the commit's failure. */
BW_MUSTCHECK int bw_notify__tx_begin(struct bw_notify__run *r);
BW_MUSTCHECK int bw_notify__tx_end(struct bw_notify__run *r, int rc);
/* Fills r->d from a store failure and returns rc. */
int bw_notify__store_fail(struct bw_notify__run *r, int rc, const char *what);

/* The devices of one notice, with the strings they own. */
struct bw_notify__devs {
    struct bw_notice_device *dev;
    size_t n, cap;
    char **owned;
    size_t n_owned, cap_owned;
};
void bw_notify__devs_reset(struct bw_notify__devs *v); /* frees the strings, keeps capacity */
void bw_notify__devs_free(struct bw_notify__devs *v);
/* Appends a device judged from its stored evidence (score, counts, enrichment); the details
 * that take reading reports come with bw_notify__devs_detail. */
struct bw_notice_device *bw_notify__devs_push(struct bw_notify__run *r,
                                              struct bw_notify__devs *v,
                                              const struct bw_device *d,
                                              const struct bw_evidence *ev, size_t n_ev,
                                              bool is_new);
/* Fills a device's evidence lines, port, controller and its country, jurisdiction verdicts
 * and advice from its recent reports and the sources. */
BW_MUSTCHECK int bw_notify__devs_detail(struct bw_notify__run *r, struct bw_notify__devs *v,
                                        struct bw_notice_device *nd);

/* Renders the notice of case c for contact `to` at level with devs and history, and queues
 * one outbox message per route of `to` (in the caller's transaction). Sets c->notices and
 * c->reason ("no delivery route" when `to` has neither route); the caller writes c. */
BW_MUSTCHECK int bw_notify__queue(struct bw_notify__run *r, struct bw_case *c,
                                  const struct bw_contact *to, int level,
                                  const struct bw_notify__devs *devs, const char *history);

/* The deadline a contact of this role gets, from now. */
int64_t bw_notify__due(const struct bw_notify__run *r, enum bw_contact_role role);

/* The passes of a cycle. */
BW_MUSTCHECK int bw_notify__build(struct bw_notify__run *r);
BW_MUSTCHECK int bw_notify__remediate(struct bw_notify__run *r);
BW_MUSTCHECK int bw_notify__escalate(struct bw_notify__run *r);
BW_MUSTCHECK int bw_notify__deliver(struct bw_notify__run *r);

/* The ids of the cases in filter f (with the run's contact), into a heap array. */
BW_MUSTCHECK int bw_notify__case_ids(struct bw_notify__run *r, unsigned states,
                                     int64_t due_before_s, int64_t **ids, size_t *n);

#endif
