/*
 * core/reject.c - names of the reasons a line or report is rejected (summaries, JSON keys).
 */
#include "core/core.h"

static const char *const names[BW_REJECT_COUNT] = {
    [BW_REJECT_MALFORMED] = "malformed",
    [BW_REJECT_MISSING_IP] = "missing_ip",
    [BW_REJECT_INVALID_IP] = "invalid_ip",
    [BW_REJECT_NON_PUBLIC] = "non_public",
    [BW_REJECT_MISSING_CATEGORY] = "missing_category",
    [BW_REJECT_UNKNOWN_CATEGORY] = "unknown_category",
    [BW_REJECT_INVALID_TIME] = "invalid_time",
    [BW_REJECT_TIME_IN_FUTURE] = "time_in_future",
    [BW_REJECT_TIME_TOO_OLD] = "time_too_old",
    [BW_REJECT_INVALID_PORT] = "invalid_port",
    [BW_REJECT_INVALID_FIELD] = "invalid_field",
    [BW_REJECT_LINE_TOO_LONG] = "line_too_long",
    [BW_REJECT_INVALID_UTF8] = "invalid_utf8",
    [BW_REJECT_COLUMNS] = "bad_columns",
    [BW_REJECT_HOST_ONLY] = "host_only",
};

const char *bw_reject_name(enum bw_reject r)
{
    return (unsigned)r < BW_REJECT_COUNT ? names[r] : "unknown";
}
