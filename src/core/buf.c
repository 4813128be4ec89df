/*
 * core/buf.c - a growing byte buffer with a cap.
 * Invariants:
 *  - After bw_buf_init(), data is non-NULL and data[len] == '\0'; len < cap.
 *  - len never exceeds the effective cap (max_len, or SIZE_MAX - 1 when max_len is 0).
 *  - A failed append leaves the buffer exactly as it was.
 *  - A zeroed struct (never initialised) works too: the first append allocates.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_INITIAL_CAP 64

static size_t effective_max(const struct bw_buf *b)
{
    /* One byte is always reserved for the NUL, so SIZE_MAX itself can never be a length. */
    return b->max_len == 0 || b->max_len == SIZE_MAX ? SIZE_MAX - 1 : b->max_len;
}

/* Make room for len + extra bytes plus the NUL. The caller has checked the cap. */
static void reserve(struct bw_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : BUF_INITIAL_CAP;

    if (b->data != NULL && need <= b->cap)
        return;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = bw_xrealloc(b->data, cap);
    if (b->cap == 0)
        b->data[0] = '\0';
    b->cap = cap;
}

void bw_buf_init(struct bw_buf *b, size_t max_len)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_len = max_len;
    reserve(b, 0);
}

void bw_buf_cleanup(struct bw_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void bw_buf_reset(struct bw_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

int bw_buf_reserve(struct bw_buf *b, size_t extra)
{
    if (extra > effective_max(b) - b->len)
        return BW_ETOOBIG;
    reserve(b, extra);
    return BW_OK;
}

int bw_buf_append(struct bw_buf *b, const void *p, size_t n)
{
    if (n > effective_max(b) - b->len)
        return BW_ETOOBIG;
    reserve(b, n);
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BW_OK;
}

int bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room;
    int n;

    reserve(b, 0);
    room = b->cap - b->len;
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return BW_EINVAL;
    }
    if ((size_t)n > effective_max(b) - b->len) {
        b->data[b->len] = '\0';
        return BW_ETOOBIG;
    }
    if ((size_t)n >= room) {
        /* The first pass only measured; format again into a buffer that fits. */
        reserve(b, (size_t)n);
        va_start(ap, fmt);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->data[b->len] = '\0';
            return BW_EINVAL;
        }
    }
    b->len += (size_t)n;
    return BW_OK;
}
