/*
 * core/time.c - UTC time as int64 Unix seconds, RFC 3339 text, and the process clock.
 * Invariants:
 *  - Calendar arithmetic is done here (proleptic Gregorian, Howard Hinnant's days_from_civil),
 *    not with timegm()/gmtime_r(): those depend on time_t width and TZ handling, and the results
 *    are keys and must be the same on every host.
 *  - The text range is years 0000..9999 (four digits, as RFC 3339 requires). Parsing rejects
 *    text whose UTC instant falls outside it (possible through an offset), so every parsed time
 *    formats and parses back to itself; formatting clamps out-of-range times to the ends.
 *  - The fixed clock (bw_time_set_now, from --now) is the one global here besides the log level;
 *    it is atomic so tests and replays can set it while worker threads read it.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <time.h>

#define SECS_PER_DAY INT64_C(86400)
#define TIME_MIN INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define NOW_UNSET INT64_MIN

static _Atomic int64_t fixed_now = NOW_UNSET;

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Exactly n decimal digits at s[*i]; no sign, no spaces. */
int64_t bw_days_from_civil(int64_t y, int m, int d)
{
    return days_from_civil(y, (unsigned)m, (unsigned)d);
}

int bw_days_in_month(int64_t y, int m)
{
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m < 1 || m > 12)
        return 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool digits(const char *s, size_t len, size_t *i, unsigned n, unsigned *out)
{
    unsigned v = 0;

    if (len - *i < n)
        return false;
    for (unsigned k = 0; k < n; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

int bw_time_parse(int64_t *out, const char *s, size_t len)
{
    unsigned year, mon, day, hour, min, sec, off_h = 0, off_m = 0;
    int off_sign = 0;
    size_t i = 0;

    if (s == NULL)
        return BW_EMALFORMED;
    if (!digits(s, len, &i, 4, &year) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &mon) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &day))
        return BW_EMALFORMED;
    if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return BW_EMALFORMED;
    i++;
    if (!digits(s, len, &i, 2, &hour) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &min) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &sec))
        return BW_EMALFORMED;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return BW_EMALFORMED;
    }
    if (i >= len)
        return BW_EMALFORMED;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        off_sign = s[i] == '+' ? 1 : -1;
        i++;
        if (!digits(s, len, &i, 2, &off_h) || !expect(s, len, &i, ':') ||
            !digits(s, len, &i, 2, &off_m))
            return BW_EMALFORMED;
    } else {
        return BW_EMALFORMED;
    }
    if (i != len)
        return BW_EMALFORMED;

    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
        return BW_EMALFORMED;
    if (hour > 23 || min > 59 || sec > 60 || off_h > 23 || off_m > 59)
        return BW_EMALFORMED;

    int64_t t = days_from_civil(year, mon, day) * SECS_PER_DAY + hour * 3600 + min * 60 +
                (sec == 60 ? 59 : sec);
    t -= off_sign * (int64_t)(off_h * 3600 + off_m * 60);
    /* A leap second can only be the last second of a UTC day. Unix time has no slot for it, so
     * it is folded onto 23:59:59 rather than rolling the date over. */
    if (sec == 60 && (t % SECS_PER_DAY + SECS_PER_DAY) % SECS_PER_DAY != SECS_PER_DAY - 1)
        return BW_EMALFORMED;
    if (t < TIME_MIN || t > TIME_MAX)
        return BW_EMALFORMED;
    *out = t;
    return BW_OK;
}

static char *put_digits(char *p, unsigned v, unsigned n)
{
    for (unsigned k = n; k > 0; k--) {
        p[k - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

char *bw_time_format(int64_t t, char *buf)
{
    int64_t year;
    unsigned mon, day;
    char *p = buf;

    if (t < TIME_MIN)
        t = TIME_MIN;
    if (t > TIME_MAX)
        t = TIME_MAX;
    int64_t days = t / SECS_PER_DAY;
    int64_t secs = t % SECS_PER_DAY;
    if (secs < 0) {
        secs += SECS_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &mon, &day);

    p = put_digits(p, (unsigned)year, 4);
    *p++ = '-';
    p = put_digits(p, mon, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, (unsigned)(secs / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(secs / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(secs % 60), 2);
    *p++ = 'Z';
    *p = '\0';
    return buf;
}

int64_t bw_time_now(void)
{
    int64_t t = atomic_load_explicit(&fixed_now, memory_order_relaxed);

    if (t != NOW_UNSET)
        return t;
    return (int64_t)time(NULL);
}

void bw_time_set_now(int64_t t)
{
    atomic_store_explicit(&fixed_now, t, memory_order_relaxed);
}
