/*
 * notify/render_int.h - helpers the renderers (render.c) and the MIME writer (mime.c) share.
 * Not part of the module's interface: notice.h is.
 */
#ifndef BW_NOTIFY_RENDER_INT_H
#define BW_NOTIFY_RENDER_INT_H

#include "notify/notice.h"

/* Appends s as one line of display text: valid UTF-8 is kept; control characters (C0, DEL, C1),
 * line and paragraph separators and bidirectional overrides become a space; bytes that are not
 * UTF-8 become '?'. NULL appends nothing. At most max bytes of s are read (0 = all of it), cut
 * on a character boundary. Never emits CR or LF, so a field cannot start a line of its own. */
BW_MUSTCHECK int bw_notify__clean(struct bw_buf *out, const char *s, size_t max);

/* The same into a fresh NUL-terminated heap string (free() it). */
char *bw_notify__clean_dup(const char *s, size_t max);

/* The most common ASN among the devices (0 when none is known) and how many devices carry
 * it; the count of distinct known ASNs goes to *n_asns. */
uint32_t bw_notify__top_asn(const struct bw_notice *n, size_t *n_asns);

#endif
