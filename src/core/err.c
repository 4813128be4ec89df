/*
 * core/err.c - naming error codes, caller-owned diagnostics, and the panic path.
 * Invariants:
 *  - bw_strerror() never returns NULL, whatever int it is given.
 *  - bw_panic() reports through bw_log() (ERR is never filtered) and then aborts; it allocates
 *    nothing, because it is also the out-of-memory path.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Linux errno values stay far below this; anything past it is not an errno we can name. */
#define ERRNO_MAX 4095

const char *bw_strerror(int rc)
{
    switch (rc) {
    case BW_OK:
        return "success";
    case BW_EMALFORMED:
        return "malformed input";
    case BW_ETOOBIG:
        return "input or buffer over its cap";
    case BW_ECONFLICT:
        return "conflict with existing state";
    case BW_EBACKEND:
        return "store backend failure";
    case BW_ENOTFOUND:
        return "no such record";
    default:
        break;
    }
    if (rc < 0 && rc >= -ERRNO_MAX)
        return strerror(-rc);
    return "unknown error";
}

void bw_diag_set(struct bw_diag *d, const char *fmt, ...)
{
    va_list ap;

    if (d == NULL)
        return;
    va_start(ap, fmt);
    if (vsnprintf(d->msg, sizeof(d->msg), fmt, ap) < 0)
        d->msg[0] = '\0';
    va_end(ap);
}

_Noreturn void bw_panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    bw_log(BW_LOG_ERR, "panic: %s", msg);
    abort();
}
