/*
 * core/log.c - one line per event on stderr, prefixed "botwatch: ".
 * Invariants:
 *  - The level is the only mutable global in core/ besides the fixed clock (time.c); it is
 *    atomic because a config reload may change it while other threads log.
 *  - A line is formatted on the stack and written with one fwrite(), so concurrent lines do not
 *    interleave and logging works even when malloc does not (bw_panic on OOM logs through here).
 *  - Control characters in the message become '?': messages quote attacker-supplied text
 *    (addresses, user names) and a newline in it must not forge a second log line.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "botwatch: "
#define LOG_LINE_MAX 1024

static _Atomic int log_level = BW_LOG_WARN;

void bw_log_set_level(enum bw_log_level lvl)
{
    atomic_store_explicit(&log_level, (int)lvl, memory_order_relaxed);
}

void bw_log(enum bw_log_level lvl, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    size_t pre = sizeof(LOG_PREFIX) - 1;
    size_t len;
    va_list ap;
    int n;

    if ((int)lvl > atomic_load_explicit(&log_level, memory_order_relaxed))
        return;

    memcpy(line, LOG_PREFIX, pre);
    va_start(ap, fmt);
    /* Leave room for the newline; a longer message is cut, which beats losing the event. */
    n = vsnprintf(line + pre, sizeof(line) - pre - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    len = pre + (size_t)n;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    for (size_t i = pre; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            line[i] = '?';
    }
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
