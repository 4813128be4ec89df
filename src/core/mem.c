/*
 * core/mem.c - allocation that cannot fail: running out of memory aborts with a message.
 * Why: every size an attacker controls is capped before it reaches here (STYLE.md section 4),
 * so OOM means the host is in trouble, and unwinding half-built state would be more dangerous
 * than stopping (Redis zmalloc does the same).
 * Zero-byte requests are rounded up to one byte, because malloc(0) may legally return NULL and
 * that must not be mistaken for OOM.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

void *bw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        bw_panic("out of memory (malloc of %zu bytes)", n);
    return p;
}

void *bw_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    /* calloc also fails when n * size overflows; that is a bug upstream, still fatal. */
    if (p == NULL)
        bw_panic("out of memory (calloc of %zu x %zu bytes)", n, size);
    return p;
}

void *bw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        bw_panic("out of memory (realloc to %zu bytes)", n);
    return q;
}

char *bw_xstrdup(const char *s)
{
    BW_ASSERT(s != NULL);
    return bw_xstrndup(s, strlen(s));
}

char *bw_xstrndup(const char *s, size_t n)
{
    const char *nul;
    size_t len;
    char *p;

    BW_ASSERT(s != NULL);
    /* memchr rather than strnlen: plain C11, so core/ builds without feature-test macros. */
    nul = memchr(s, '\0', n);
    len = nul != NULL ? (size_t)(nul - s) : n;
    p = bw_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void bw_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}
