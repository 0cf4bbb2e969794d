/* cell: the values of a `cell run` command line (see units.h).
 *
 * Arithmetic is done in integers (unsigned __int128 where a product may pass
 * 64 bits) so that a value is either exact or refused, never silently
 * wrapped: these numbers become cgroup limits and timeouts. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "strutil.h"

#define NSEC_PER_SEC 1000000000LL

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Digits, an optional '.', more digits; at least one digit in all. The
 * integer part must fit in int64; of the fraction, the first 18 digits count
 * (the rest cannot change a result truncated to whole units of 1e-9 or
 * more). Returns the position after the number, or NULL. */
static const char *parse_decimal(const char *p, uint64_t *ret_int, uint64_t *ret_frac, uint64_t *ret_scale,
                                 unsigned *ret_frac_digits)
{
        uint64_t ip = 0, fp = 0, scale = 1;
        unsigned ndig = 0, nfrac = 0;

        for (; is_digit(*p); p++, ndig++) {
                if (ip > (uint64_t)INT64_MAX / 10)
                        return NULL;
                ip = ip * 10 + (uint64_t)(*p - '0');
                if (ip > (uint64_t)INT64_MAX)
                        return NULL;
        }
        if (*p == '.') {
                for (p++; is_digit(*p); p++, ndig++) {
                        if (nfrac < 18) {
                                fp = fp * 10 + (uint64_t)(*p - '0');
                                scale *= 10;
                        }
                        nfrac++;
                }
        }
        if (ndig == 0)
                return NULL;
        *ret_int = ip;
        *ret_frac = fp;
        *ret_scale = scale;
        if (ret_frac_digits)
                *ret_frac_digits = nfrac;
        return p;
}

static int parse_size(const char *s, int64_t *ret, cell_error_t *err)
{
        uint64_t ip, fp, scale, mult = 1;
        const char *p, *sfx;
        size_t slen;
        unsigned __int128 v;

        if (!s)
                return cell_error_plain(err, EINVAL, "invalid size: ''");
        p = parse_decimal(s, &ip, &fp, &scale, NULL);
        if (!p)
                return cell_error_plain(err, EINVAL, "invalid size: '%s'", s);
        /* One space may separate the number from its unit ("10 MB"). */
        sfx = *p == ' ' ? p + 1 : p;
        slen = strlen(sfx);
        if (slen > 0 && (is_digit(*sfx) || *sfx == '.' || *sfx == ' ' || *sfx == '-'))
                return cell_error_plain(err, EINVAL, "invalid size: '%s'", s);
        if (slen > 3)
                return cell_error_plain(err, EINVAL, "invalid suffix: '%s'", sfx);
        if (slen > 0) {
                char c = (char)tolower((unsigned char)sfx[0]);
                const char *units = "kmgtp", *u = strchr(units, c);

                if (c == 'b') {
                        if (slen > 1)
                                return cell_error_plain(err, EINVAL, "invalid suffix: '%s'", sfx);
                } else if (u && c != '\0') {
                        mult = 1ULL << (10 * (u - units + 1));
                        if ((slen == 2 && tolower((unsigned char)sfx[1]) != 'b') ||
                            (slen == 3 && (tolower((unsigned char)sfx[1]) != 'i' ||
                                           tolower((unsigned char)sfx[2]) != 'b')))
                                return cell_error_plain(err, EINVAL, "invalid suffix: '%s'", sfx);
                } else {
                        return cell_error_plain(err, EINVAL, "invalid suffix: '%s'", sfx);
                }
        }
        v = (unsigned __int128)ip * mult + (unsigned __int128)fp * mult / scale;
        if (v > (unsigned __int128)INT64_MAX)
                return cell_error_plain(err, ERANGE, "invalid size: '%s'", s);
        *ret = (int64_t)v;
        return 0;
}

int engine_parse_bytes(const char *s, int64_t *ret, cell_error_t *err)
{
        return parse_size(s, ret, err);
}

int engine_parse_bytes_or_unlimited(const char *s, int64_t *ret, cell_error_t *err)
{
        if (str_eq(s, "-1")) {
                *ret = -1;
                return 0;
        }
        return parse_size(s, ret, err);
}

int engine_parse_cpus(const char *s, int64_t *ret_nano, cell_error_t *err)
{
        uint64_t ip, fp, scale;
        unsigned nfrac;
        const char *p;
        unsigned __int128 v;

        if (s && s[0] == '-' && parse_decimal(s + 1, &ip, &fp, &scale, NULL))
                return cell_error_plain(err, EINVAL, "invalid --cpus value '%s': cannot be negative", s);
        p = s ? parse_decimal(s, &ip, &fp, &scale, &nfrac) : NULL;
        if (!p || *p != '\0')
                return cell_error_plain(err, EINVAL, "failed to parse %s as a rational number", s ? s : "");
        /* Exactness as docker checks it: trailing zeros are harmless, a
         * tenth decimal that is not zero cannot be NanoCPUs. */
        if (nfrac > 18)
                return cell_error_plain(err, EINVAL, "value is too precise");
        while (scale > NSEC_PER_SEC && fp % 10 == 0) {
                fp /= 10;
                scale /= 10;
        }
        if (scale > NSEC_PER_SEC)
                return cell_error_plain(err, EINVAL, "value is too precise");
        v = (unsigned __int128)ip * NSEC_PER_SEC + fp * (NSEC_PER_SEC / scale);
        if (v > (unsigned __int128)INT64_MAX)
                return cell_error_plain(err, ERANGE, "invalid --cpus value '%s': too large", s);
        *ret_nano = (int64_t)v;
        return 0;
}

/* ---- durations, as Go's time.ParseDuration ---- */

static const struct {
        const char *name;
        uint64_t ns;
} duration_units[] = {
        {"ns", 1ULL},
        {"us", 1000ULL},
        {"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000ULL}, /* U+03BC Greek small letter mu */
        {"ms", 1000000ULL},
        {"s", 1000000000ULL},
        {"m", 60ULL * 1000000000ULL},
        {"h", 3600ULL * 1000000000ULL},
};

#define DUR_LIMIT     (1ULL << 63)
#define DUR_SCALE_MAX ((unsigned __int128)1000000000000000ULL * 1000000000000000ULL)

int engine_parse_duration(const char *s, int64_t *ret_ns, cell_error_t *err)
{
        const char *orig = s ? s : "", *p = orig;
        uint64_t d = 0;
        bool neg = false;

        if (*p == '-' || *p == '+') {
                neg = *p == '-';
                p++;
        }
        if (str_eq(p, "0")) {
                *ret_ns = 0;
                return 0;
        }
        if (*p == '\0')
                return cell_error_plain(err, EINVAL, "time: invalid duration \"%s\"", orig);
        while (*p) {
                uint64_t v = 0, f = 0, unit = 0;
                unsigned __int128 scale = 1;
                bool pre = false, post = false, overflow = false;
                size_t ulen = 0;

                if (!(*p == '.' || is_digit(*p)))
                        return cell_error_plain(err, EINVAL, "time: invalid duration \"%s\"", orig);
                for (; is_digit(*p); p++) {
                        pre = true;
                        if (v > DUR_LIMIT / 10)
                                return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
                        v = v * 10 + (uint64_t)(*p - '0');
                        if (v > DUR_LIMIT)
                                return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
                }
                if (*p == '.') {
                        /* Digits past what 63 bits hold are read and ignored,
                         * and so are digits past 1e-30 of the unit (less than
                         * a nanosecond even of hours). */
                        for (p++; is_digit(*p); p++) {
                                post = true;
                                if (overflow || f > (DUR_LIMIT - 1) / 10 || scale > DUR_SCALE_MAX / 10) {
                                        overflow = true;
                                        continue;
                                }
                                f = f * 10 + (uint64_t)(*p - '0');
                                scale *= 10;
                        }
                }
                if (!pre && !post)
                        return cell_error_plain(err, EINVAL, "time: invalid duration \"%s\"", orig);
                while (p[ulen] && p[ulen] != '.' && !is_digit(p[ulen]))
                        ulen++;
                if (ulen == 0)
                        return cell_error_plain(err, EINVAL, "time: missing unit in duration \"%s\"", orig);
                for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
                        if (strlen(duration_units[i].name) == ulen &&
                            strncmp(p, duration_units[i].name, ulen) == 0)
                                unit = duration_units[i].ns;
                }
                if (unit == 0)
                        return cell_error_plain(err, EINVAL, "time: unknown unit \"%.*s\" in duration \"%s\"",
                                                (int)ulen, p, orig);
                p += ulen;
                if (v > DUR_LIMIT / unit)
                        return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
                v *= unit;
                if (f > 0) {
                        v += (uint64_t)((unsigned __int128)f * unit / scale);
                        if (v > DUR_LIMIT)
                                return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
                }
                d += v;
                if (d > DUR_LIMIT)
                        return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
        }
        if (neg) {
                *ret_ns = d == DUR_LIMIT ? INT64_MIN : -(int64_t)d;
                return 0;
        }
        if (d > DUR_LIMIT - 1)
                return cell_error_plain(err, ERANGE, "time: invalid duration \"%s\"", orig);
        *ret_ns = (int64_t)d;
        return 0;
}

/* ---- timestamps, as docker's --since/--until ---- */

/* n digits exactly. */
static bool take_digits(const char **pp, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!is_digit((*pp)[i]))
                        return false;
                v = v * 10 + ((*pp)[i] - '0');
        }
        *pp += n;
        *ret = v;
        return true;
}

static int days_in_month(int year, int month)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
                return 29;
        return days[month - 1];
}

/* YYYY-MM-DD[THH[:MM[:SS[.fraction]]]][Z|±HH:MM]; no zone means the local
 * zone's offset at now (docker uses a fixed zone made from it). */
static int parse_date_time(const char *s, time_t now, int64_t *ret, cell_error_t *err)
{
        const char *p = s;
        int year, mon, day, hour = 0, min = 0, sec = 0;
        int64_t nsec = 0, offset;
        struct tm tm = {0};
        time_t t;
        __int128 total;

        if (!take_digits(&p, 4, &year) || *p++ != '-' || !take_digits(&p, 2, &mon) || *p++ != '-' ||
            !take_digits(&p, 2, &day))
                goto bad;
        if (*p == 'T') {
                p++;
                if (!take_digits(&p, 2, &hour))
                        goto bad;
                if (*p == ':') {
                        p++;
                        if (!take_digits(&p, 2, &min))
                                goto bad;
                        if (*p == ':') {
                                p++;
                                if (!take_digits(&p, 2, &sec))
                                        goto bad;
                                if (*p == '.') {
                                        int64_t scale = NSEC_PER_SEC;

                                        if (!is_digit(*++p))
                                                goto bad;
                                        /* Nanoseconds: digits past the ninth are dropped. */
                                        for (; is_digit(*p); p++) {
                                                if (scale > 1) {
                                                        scale /= 10;
                                                        nsec += (*p - '0') * scale;
                                                }
                                        }
                                }
                        }
                }
        }
        if (*p == 'Z') {
                offset = 0;
                p++;
        } else if (*p == '+' || *p == '-') {
                int oh, om;
                int sign = *p == '-' ? -1 : 1;

                p++;
                if (!take_digits(&p, 2, &oh) || *p++ != ':' || !take_digits(&p, 2, &om))
                        goto bad;
                if (oh > 24 || om > 59)
                        return cell_error_plain(err, EINVAL,
                                                "parsing time \"%s\": time zone offset out of range", s);
                offset = sign * (oh * 3600 + om * 60);
        } else {
                struct tm lt;

                if (!localtime_r(&now, &lt))
                        return cell_error_plain(err, EINVAL, "parsing time \"%s\": no local time zone", s);
                offset = lt.tm_gmtoff;
        }
        if (*p != '\0')
                goto bad;
        if (mon < 1 || mon > 12)
                return cell_error_plain(err, EINVAL, "parsing time \"%s\": month out of range", s);
        if (day < 1 || day > days_in_month(year, mon))
                return cell_error_plain(err, EINVAL, "parsing time \"%s\": day out of range", s);
        if (hour > 23)
                return cell_error_plain(err, EINVAL, "parsing time \"%s\": hour out of range", s);
        if (min > 59)
                return cell_error_plain(err, EINVAL, "parsing time \"%s\": minute out of range", s);
        if (sec > 59)
                return cell_error_plain(err, EINVAL, "parsing time \"%s\": second out of range", s);
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        t = timegm(&tm);
        total = ((__int128)t - offset) * NSEC_PER_SEC + nsec;
        if (total > INT64_MAX || total < INT64_MIN)
                return cell_error_plain(err, ERANGE, "parsing time \"%s\": out of range", s);
        *ret = (int64_t)total;
        return 0;
bad:
        return cell_error_plain(err, EINVAL, "parsing time \"%s\": not an RFC 3339 date or time", s);
}

/* "seconds[.fraction]", at most nine decimals. */
static int parse_unix_time(const char *s, int64_t *ret)
{
        const char *dot = strchr(s, '.');
        char secs[32];
        int64_t nsec = 0, scale = NSEC_PER_SEC;
        long v;
        __int128 total;
        size_t n = dot ? (size_t)(dot - s) : strlen(s);

        if (n == 0 || n >= sizeof(secs))
                return -EINVAL;
        memcpy(secs, s, n);
        secs[n] = '\0';
        if (!is_digit(secs[0]) || str_to_long(secs, 0, LONG_MAX, &v) < 0)
                return -EINVAL;
        if (dot) {
                const char *f = dot + 1;

                if (*f == '\0' || strlen(f) > 9)
                        return -EINVAL;
                for (; *f; f++) {
                        if (!is_digit(*f))
                                return -EINVAL;
                        scale /= 10;
                        nsec += (*f - '0') * scale;
                }
        }
        total = (__int128)v * NSEC_PER_SEC + nsec;
        if (total > INT64_MAX)
                return -ERANGE;
        *ret = (int64_t)total;
        return 0;
}

int engine_parse_timestamp(const char *s, time_t now, int64_t *ret_unix_ns, cell_error_t *err)
{
        int64_t d = 0, v = 0;
        int r;

        if (!s)
                s = "";
        /* A duration counts back from now ("0" is the Unix epoch, not now). */
        if (!str_eq(s, "0") && engine_parse_duration(s, &d, NULL) == 0) {
                __int128 t = (__int128)now * NSEC_PER_SEC - d;
                __int128 secs = t / NSEC_PER_SEC;

                /* docker sends whole seconds: round towards the past. */
                if (t % NSEC_PER_SEC < 0)
                        secs--;
                t = secs * NSEC_PER_SEC;
                if (t > INT64_MAX || t < INT64_MIN)
                        return cell_error_plain(err, ERANGE, "invalid time or duration \"%s\": out of range",
                                                s);
                *ret_unix_ns = (int64_t)t;
                return 0;
        }
        r = parse_date_time(s, now, &v, err);
        if (r == 0) {
                *ret_unix_ns = v;
                return 0;
        }
        /* With a '-' it was meant as a date: its error says what is wrong. */
        if (strchr(s, '-'))
                return r;
        if (parse_unix_time(s, &v) < 0)
                return cell_error_plain(err, EINVAL, "failed to parse value as time or duration: \"%s\"", s);
        cell_error_clear(err);
        *ret_unix_ns = v;
        return 0;
}

/* ---- --ulimit ---- */

static const char *const ulimit_names[] = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

static int parse_rlimit_value(const char *arg, const char *v, uint64_t *ret, cell_error_t *err)
{
        long n;
        int r;

        if (str_eq(v, "unlimited") || str_eq(v, "-1")) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        r = str_to_long(v, LONG_MIN, LONG_MAX, &n);
        if (r == -ERANGE)
                return cell_error_plain(err, ERANGE, "invalid ulimit value \"%s\" in %s: out of range", v,
                                        arg);
        if (r < 0)
                return cell_error_plain(err, EINVAL, "invalid ulimit value \"%s\" in %s: not a number", v,
                                        arg);
        if (n < 0)
                return cell_error_plain(
                        err, EINVAL, "invalid ulimit value \"%s\" in %s: must be a number, -1 or unlimited",
                        v, arg);
        *ret = (uint64_t)n;
        return 0;
}

static const char *rlimit_text(uint64_t v, char *buf, size_t n)
{
        if (v == (uint64_t)RLIM_INFINITY)
                return "unlimited";
        snprintf(buf, n, "%llu", (unsigned long long)v);
        return buf;
}

int engine_parse_ulimit(const char *s, engine_ulimit_t *ret, cell_error_t *err)
{
        char name[16], soft_s[32], hard_s[32];
        const char *eq, *val, *colon;
        engine_ulimit_t u = {0};
        bool known = false;
        size_t nlen;
        int r;

        if (!s)
                s = "";
        eq = strchr(s, '=');
        if (!eq)
                return cell_error_plain(err, EINVAL, "invalid ulimit argument: %s", s);
        nlen = (size_t)(eq - s);
        val = eq + 1;
        for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++) {
                if (strlen(ulimit_names[i]) == nlen && strncmp(s, ulimit_names[i], nlen) == 0)
                        known = true;
        }
        if (!known)
                return cell_error_plain(err, EINVAL, "invalid ulimit type: %.*s", (int)nlen, s);
        memcpy(name, s, nlen);
        name[nlen] = '\0';
        colon = strchr(val, ':');
        if (colon && strchr(colon + 1, ':'))
                return cell_error_plain(
                        err, EINVAL,
                        "too many limit value arguments - %s, can only have up to two, `soft[:hard]`", val);
        if (colon) {
                if ((size_t)(colon - val) >= sizeof(soft_s) || !str_copy(hard_s, sizeof(hard_s), colon + 1))
                        return cell_error_plain(err, EINVAL, "invalid ulimit value in %s: too long", s);
                memcpy(soft_s, val, (size_t)(colon - val));
                soft_s[colon - val] = '\0';
        } else if (!str_copy(soft_s, sizeof(soft_s), val) || !str_copy(hard_s, sizeof(hard_s), val)) {
                return cell_error_plain(err, EINVAL, "invalid ulimit value in %s: too long", s);
        }
        r = parse_rlimit_value(s, soft_s, &u.soft, err);
        if (r < 0)
                return r;
        r = parse_rlimit_value(s, hard_s, &u.hard, err);
        if (r < 0)
                return r;
        if (u.soft > u.hard) {
                char a[32], b[32];

                return cell_error_plain(err, EINVAL,
                                        "ulimit soft limit must be less than or equal to hard limit: %s > %s",
                                        rlimit_text(u.soft, a, sizeof(a)), rlimit_text(u.hard, b, sizeof(b)));
        }
        snprintf(u.type, sizeof(u.type), "RLIMIT_");
        for (size_t i = 0; name[i] && 7 + i + 1 < sizeof(u.type); i++) {
                u.type[7 + i] = (char)toupper((unsigned char)name[i]);
                u.type[7 + i + 1] = '\0';
        }
        *ret = u;
        return 0;
}

/* ---- --restart ---- */

static const char *const restart_names[] = {
        [ENGINE_RESTART_NO] = "no",
        [ENGINE_RESTART_ALWAYS] = "always",
        [ENGINE_RESTART_UNLESS_STOPPED] = "unless-stopped",
        [ENGINE_RESTART_ON_FAILURE] = "on-failure",
};

const char *engine_restart_mode_name(engine_restart_mode_t mode)
{
        if ((unsigned)mode >= ARRAY_SIZE(restart_names))
                return NULL;
        return restart_names[mode];
}

int engine_parse_restart(const char *s, engine_restart_t *ret, cell_error_t *err)
{
        const char *colon;
        long count = 0;
        size_t nlen;
        int mode = -1;

        /* Empty is docker's default, "no". */
        if (!s || !*s) {
                *ret = (engine_restart_t){.mode = ENGINE_RESTART_NO};
                return 0;
        }
        colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
                return cell_error_plain(err, EINVAL, "invalid restart policy format");
        if (colon == s)
                return cell_error_plain(err, EINVAL,
                                        "invalid restart policy format: no policy provided before colon");
        nlen = colon ? (size_t)(colon - s) : strlen(s);
        if (colon && colon[1] && str_to_long(colon + 1, INT_MIN, INT_MAX, &count) < 0)
                return cell_error_plain(
                        err, EINVAL, "invalid restart policy format: maximum retry count must be an integer");
        for (size_t i = 0; i < ARRAY_SIZE(restart_names); i++) {
                if (strlen(restart_names[i]) == nlen && strncmp(s, restart_names[i], nlen) == 0)
                        mode = (int)i;
        }
        if (mode < 0)
                return cell_error_plain(
                        err, EINVAL,
                        "invalid restart policy '%.*s': use one of 'no', 'always', 'on-failure' or "
                        "'unless-stopped'",
                        (int)nlen, s);
        /* docker takes "always:0": a count of zero is no count. */
        if (count != 0 && mode != ENGINE_RESTART_ON_FAILURE)
                return cell_error_plain(err, EINVAL,
                                        "maximum retry count cannot be used with restart policy '%s'",
                                        restart_names[mode]);
        if (count < 0)
                return cell_error_plain(err, EINVAL, "maximum retry count cannot be negative");
        *ret = (engine_restart_t){.mode = (engine_restart_mode_t)mode, .max_retries = (int)count};
        return 0;
}

/* ---- signals ---- */

#define ENGINE_SIGRTMIN 34
#define ENGINE_SIGRTMAX 64

/* The first name of a number is the one engine_signal_name() gives; the
 * numbers are this architecture's, which is the container's too. */
static const struct {
        const char *name;
        int sig;
} signal_table[] = {
        {"SIGHUP", SIGHUP},
        {"SIGINT", SIGINT},
        {"SIGQUIT", SIGQUIT},
        {"SIGILL", SIGILL},
        {"SIGTRAP", SIGTRAP},
        {"SIGABRT", SIGABRT},
        {"SIGBUS", SIGBUS},
        {"SIGFPE", SIGFPE},
        {"SIGKILL", SIGKILL},
        {"SIGUSR1", SIGUSR1},
        {"SIGSEGV", SIGSEGV},
        {"SIGUSR2", SIGUSR2},
        {"SIGPIPE", SIGPIPE},
        {"SIGALRM", SIGALRM},
        {"SIGTERM", SIGTERM},
#ifdef SIGSTKFLT
        {"SIGSTKFLT", SIGSTKFLT},
#endif
        {"SIGCHLD", SIGCHLD},
        {"SIGCONT", SIGCONT},
        {"SIGSTOP", SIGSTOP},
        {"SIGTSTP", SIGTSTP},
        {"SIGTTIN", SIGTTIN},
        {"SIGTTOU", SIGTTOU},
        {"SIGURG", SIGURG},
        {"SIGXCPU", SIGXCPU},
        {"SIGXFSZ", SIGXFSZ},
        {"SIGVTALRM", SIGVTALRM},
        {"SIGPROF", SIGPROF},
        {"SIGWINCH", SIGWINCH},
        {"SIGIO", SIGIO},
#ifdef SIGPWR
        {"SIGPWR", SIGPWR},
#endif
        {"SIGSYS", SIGSYS},
        /* aliases */
        {"SIGIOT", SIGIOT},
        {"SIGCLD", SIGCHLD},
        {"SIGPOLL", SIGIO},
};

static const char *const rt_names[] = {
        "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
        "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
        "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX-13",
        "SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",  "SIGRTMAX-8",  "SIGRTMAX-7",
        "SIGRTMAX-6",  "SIGRTMAX-5",  "SIGRTMAX-4",  "SIGRTMAX-3",  "SIGRTMAX-2",  "SIGRTMAX-1",
        "SIGRTMAX",
};

const char *engine_signal_name(int sig)
{
        if (sig >= ENGINE_SIGRTMIN && sig <= ENGINE_SIGRTMAX)
                return rt_names[sig - ENGINE_SIGRTMIN];
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
                if (signal_table[i].sig == sig)
                        return signal_table[i].name;
        }
        return NULL;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n". */
static int parse_rt_signal(const char *name)
{
        long n = 0;

        if (str_has_prefix(name, "RTMIN")) {
                if (name[5] == '\0')
                        return ENGINE_SIGRTMIN;
                if (name[5] != '+' || !is_digit(name[6]) ||
                    str_to_long(name + 6, 0, ENGINE_SIGRTMAX - ENGINE_SIGRTMIN, &n) < 0)
                        return -1;
                return ENGINE_SIGRTMIN + (int)n;
        }
        if (str_has_prefix(name, "RTMAX")) {
                if (name[5] == '\0')
                        return ENGINE_SIGRTMAX;
                if (name[5] != '-' || !is_digit(name[6]) ||
                    str_to_long(name + 6, 0, ENGINE_SIGRTMAX - ENGINE_SIGRTMIN, &n) < 0)
                        return -1;
                return ENGINE_SIGRTMAX - (int)n;
        }
        return -1;
}

int engine_parse_signal(const char *s, int *ret, cell_error_t *err)
{
        char up[32];
        const char *name;
        long n;
        int sig;

        if (!s)
                s = "";
        if (is_digit(s[0])) {
                if (str_to_long(s, 1, ENGINE_SIGRTMAX, &n) < 0)
                        return cell_error_plain(err, EINVAL, "invalid signal: %s", s);
                *ret = (int)n;
                return 0;
        }
        if (!str_copy(up, sizeof(up), s) || up[0] == '\0')
                return cell_error_plain(err, EINVAL, "invalid signal: %s", s);
        for (char *c = up; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        name = str_has_prefix(up, "SIG") ? up + 3 : up;
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
                if (strcmp(name, signal_table[i].name + 3) == 0) {
                        *ret = signal_table[i].sig;
                        return 0;
                }
        }
        sig = parse_rt_signal(name);
        if (sig < 0)
                return cell_error_plain(err, EINVAL, "invalid signal: %s", s);
        *ret = sig;
        return 0;
}
