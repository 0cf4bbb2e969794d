/* cell: unit tests for the command-line value parsers (lib/engine/units.c).
 *
 * Each value is checked against what the docker CLI makes of it; each error
 * path against its message, and that a failure leaves the output alone. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "units.h"

#define SENTINEL 0x5eed

/* The parsers share a shape: (const char *, T *, cell_error_t *). */
#define EXPECT_OK(fn, T, s, want)                                                                            \
        do {                                                                                                 \
                T _v = (T)SENTINEL;                                                                          \
                cell_error_t _e = {0};                                                                       \
                int _r = fn((s), &_v, &_e);                                                                  \
                if (_r != 0)                                                                                 \
                        fail_msg("%s(\"%s\"): %s", #fn, (s), _e.msg);                                        \
                if (_v != (T)(want))                                                                         \
                        fail_msg("%s(\"%s\") = %lld, want %lld", #fn, (s), (long long)_v,                    \
                                 (long long)(want));                                                         \
        } while (0)

#define EXPECT_ERR(fn, T, s, message)                                                                        \
        do {                                                                                                 \
                T _v = (T)SENTINEL;                                                                          \
                cell_error_t _e = {0};                                                                       \
                int _r = fn((s), &_v, &_e);                                                                  \
                if (_r >= 0)                                                                                 \
                        fail_msg("%s(\"%s\") succeeded, want \"%s\"", #fn, (s), (message));                  \
                assert_string_equal(_e.msg, (message));                                                      \
                assert_true(_v == (T)SENTINEL);                                                              \
        } while (0)

#define KiB  1024LL
#define MiB  (1024LL * KiB)
#define GiB  (1024LL * MiB)
#define TiB  (1024LL * GiB)
#define PiB  (1024LL * TiB)
#define NS   1LL
#define US   1000LL
#define MS   1000000LL
#define SEC  1000000000LL
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)

/* ---- sizes ---- */

static void test_bytes_plain_and_units(void **state)
{
        EXPECT_OK(engine_parse_bytes, int64_t, "0", 0);
        EXPECT_OK(engine_parse_bytes, int64_t, "512", 512);
        EXPECT_OK(engine_parse_bytes, int64_t, "512b", 512);
        EXPECT_OK(engine_parse_bytes, int64_t, "512B", 512);
        EXPECT_OK(engine_parse_bytes, int64_t, "10k", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10K", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10kb", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10KB", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10KiB", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10kib", 10 * KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "64m", 64 * MiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "64M", 64 * MiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "64mb", 64 * MiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "1g", GiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "1G", GiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "1gb", GiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "2t", 2 * TiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "3p", 3 * PiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "10 MB", 10 * MiB); /* one space is allowed */
}

static void test_bytes_fractions(void **state)
{
        EXPECT_OK(engine_parse_bytes, int64_t, "1.5g", GiB + GiB / 2);
        EXPECT_OK(engine_parse_bytes, int64_t, "0.5k", 512);
        EXPECT_OK(engine_parse_bytes, int64_t, "1.5", 1); /* truncated to whole bytes */
        EXPECT_OK(engine_parse_bytes, int64_t, "0.1k", 102);
        EXPECT_OK(engine_parse_bytes, int64_t, ".5m", MiB / 2);
        EXPECT_OK(engine_parse_bytes, int64_t, "2.", 2);
        EXPECT_OK(engine_parse_bytes, int64_t, "1.000000000000000000001k", KiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "8191p", 8191 * PiB);
        EXPECT_OK(engine_parse_bytes, int64_t, "9223372036854775807", INT64_MAX);
}

static void test_bytes_errors(void **state)
{
        EXPECT_ERR(engine_parse_bytes, int64_t, "", "invalid size: ''");
        EXPECT_ERR(engine_parse_bytes, int64_t, NULL, "invalid size: ''");
        EXPECT_ERR(engine_parse_bytes, int64_t, "-1", "invalid size: '-1'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "-10m", "invalid size: '-10m'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "abc", "invalid size: 'abc'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "m", "invalid size: 'm'");
        EXPECT_ERR(engine_parse_bytes, int64_t, ".", "invalid size: '.'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "1.2.3", "invalid size: '1.2.3'");
        EXPECT_ERR(engine_parse_bytes, int64_t, " 1", "invalid size: ' 1'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "1  m", "invalid size: '1  m'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "1 2", "invalid size: '1 2'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "8192p", "invalid size: '8192p'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "9223372036854775808", "invalid size: '9223372036854775808'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "99999999999999999999999",
                   "invalid size: '99999999999999999999999'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10x", "invalid suffix: 'x'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10mm", "invalid suffix: 'mm'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10bb", "invalid suffix: 'bb'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10kbb", "invalid suffix: 'kbb'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10mega", "invalid suffix: 'mega'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10i", "invalid suffix: 'i'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10ki", "invalid suffix: 'ki'");
        EXPECT_ERR(engine_parse_bytes, int64_t, "10e", "invalid suffix: 'e'");
        /* -1 is for the callers that ask for it */
        EXPECT_ERR(engine_parse_bytes, int64_t, "-1", "invalid size: '-1'");
}

static void test_bytes_or_unlimited(void **state)
{
        EXPECT_OK(engine_parse_bytes_or_unlimited, int64_t, "-1", -1);
        EXPECT_OK(engine_parse_bytes_or_unlimited, int64_t, "1g", GiB);
        EXPECT_OK(engine_parse_bytes_or_unlimited, int64_t, "0", 0);
        EXPECT_ERR(engine_parse_bytes_or_unlimited, int64_t, "-2", "invalid size: '-2'");
        EXPECT_ERR(engine_parse_bytes_or_unlimited, int64_t, "-1m", "invalid size: '-1m'");
        EXPECT_ERR(engine_parse_bytes_or_unlimited, int64_t, "-1.0", "invalid size: '-1.0'");
        EXPECT_ERR(engine_parse_bytes_or_unlimited, int64_t, "", "invalid size: ''");
}

/* ---- --cpus ---- */

static void test_cpus(void **state)
{
        EXPECT_OK(engine_parse_cpus, int64_t, "1", SEC);
        EXPECT_OK(engine_parse_cpus, int64_t, "1.5", 1500000000);
        EXPECT_OK(engine_parse_cpus, int64_t, "0.25", 250000000);
        EXPECT_OK(engine_parse_cpus, int64_t, ".5", 500000000);
        EXPECT_OK(engine_parse_cpus, int64_t, "0", 0);
        EXPECT_OK(engine_parse_cpus, int64_t, "64", 64 * SEC);
        EXPECT_OK(engine_parse_cpus, int64_t, "0.000000001", 1);
        EXPECT_OK(engine_parse_cpus, int64_t, "1.123456789", 1123456789);
        /* trailing zeros past the ninth decimal do not make it inexact */
        EXPECT_OK(engine_parse_cpus, int64_t, "1.5000000000000", 1500000000);
        EXPECT_OK(engine_parse_cpus, int64_t, "9223372036", 9223372036 * SEC);
}

static void test_cpus_errors(void **state)
{
        EXPECT_ERR(engine_parse_cpus, int64_t, "-1", "invalid --cpus value '-1': cannot be negative");
        EXPECT_ERR(engine_parse_cpus, int64_t, "-0.5", "invalid --cpus value '-0.5': cannot be negative");
        EXPECT_ERR(engine_parse_cpus, int64_t, "", "failed to parse  as a rational number");
        EXPECT_ERR(engine_parse_cpus, int64_t, "abc", "failed to parse abc as a rational number");
        EXPECT_ERR(engine_parse_cpus, int64_t, "1.5x", "failed to parse 1.5x as a rational number");
        EXPECT_ERR(engine_parse_cpus, int64_t, "1,5", "failed to parse 1,5 as a rational number");
        EXPECT_ERR(engine_parse_cpus, int64_t, ".", "failed to parse . as a rational number");
        EXPECT_ERR(engine_parse_cpus, int64_t, "0.0000000001", "value is too precise");
        EXPECT_ERR(engine_parse_cpus, int64_t, "1.1234567891", "value is too precise");
        EXPECT_ERR(engine_parse_cpus, int64_t, "1.0000000000000000001", "value is too precise");
        EXPECT_ERR(engine_parse_cpus, int64_t, "9223372037", "invalid --cpus value '9223372037': too large");
}

/* ---- durations ---- */

static void test_duration(void **state)
{
        EXPECT_OK(engine_parse_duration, int64_t, "0", 0);
        EXPECT_OK(engine_parse_duration, int64_t, "-0", 0);
        EXPECT_OK(engine_parse_duration, int64_t, "+0", 0);
        EXPECT_OK(engine_parse_duration, int64_t, "0s", 0);
        EXPECT_OK(engine_parse_duration, int64_t, "10s", 10 * SEC);
        EXPECT_OK(engine_parse_duration, int64_t, "1m30s", 90 * SEC);
        EXPECT_OK(engine_parse_duration, int64_t, "1.5h", 90 * MIN);
        EXPECT_OK(engine_parse_duration, int64_t, "300ms", 300 * MS);
        EXPECT_OK(engine_parse_duration, int64_t, "2h45m", 2 * HOUR + 45 * MIN);
        EXPECT_OK(engine_parse_duration, int64_t, "1us", US);
        EXPECT_OK(engine_parse_duration, int64_t, "1\xc2\xb5s", US); /* micro sign */
        EXPECT_OK(engine_parse_duration, int64_t, "1\xce\xbcs", US); /* Greek mu */
        EXPECT_OK(engine_parse_duration, int64_t, "7ns", 7 * NS);
        EXPECT_OK(engine_parse_duration, int64_t, "-5s", -5 * SEC);
        EXPECT_OK(engine_parse_duration, int64_t, "+5s", 5 * SEC);
        EXPECT_OK(engine_parse_duration, int64_t, ".5s", 500 * MS);
        EXPECT_OK(engine_parse_duration, int64_t, "1.s", SEC);
        EXPECT_OK(engine_parse_duration, int64_t, "1h1m1s1ms1us1ns", HOUR + MIN + SEC + MS + US + NS);
        EXPECT_OK(engine_parse_duration, int64_t, "1s1s", 2 * SEC); /* Go adds repeated units */
        EXPECT_OK(engine_parse_duration, int64_t, "0.000000000000000000000000000000000001h", 0);
        EXPECT_OK(engine_parse_duration, int64_t, "0.0999999999999999999999h", 6 * MIN - 1);
        EXPECT_OK(engine_parse_duration, int64_t, "1.0000000000000000000000000000000000000001s", SEC);
        EXPECT_OK(engine_parse_duration, int64_t, "9223372036854775807ns", INT64_MAX);
        EXPECT_OK(engine_parse_duration, int64_t, "-9223372036854775808ns", INT64_MIN);
        EXPECT_OK(engine_parse_duration, int64_t, "2562047h", 2562047 * HOUR);
}

static void test_duration_errors(void **state)
{
        EXPECT_ERR(engine_parse_duration, int64_t, "", "time: invalid duration \"\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "-", "time: invalid duration \"-\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "s", "time: invalid duration \"s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, ".s", "time: invalid duration \".s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1s-1s",
                   "time: unknown unit \"s-\" in duration \"1s-1s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, " 1s", "time: invalid duration \" 1s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1", "time: missing unit in duration \"1\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1s2", "time: missing unit in duration \"1s2\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "00", "time: missing unit in duration \"00\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1d", "time: unknown unit \"d\" in duration \"1d\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1sec", "time: unknown unit \"sec\" in duration \"1sec\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1S", "time: unknown unit \"S\" in duration \"1S\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "1 s", "time: unknown unit \" s\" in duration \"1 s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "9223372036854775808ns",
                   "time: invalid duration \"9223372036854775808ns\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "2562048h", "time: invalid duration \"2562048h\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "99999999999999999999s",
                   "time: invalid duration \"99999999999999999999s\"");
        EXPECT_ERR(engine_parse_duration, int64_t, "2562047h47m16.854775808s",
                   "time: invalid duration \"2562047h47m16.854775808s\"");
}

/* ---- timestamps ---- */

/* 2026-01-02T15:04:05Z */
#define T0 1767366245LL

static int64_t ts(const char *s, time_t now)
{
        cell_error_t e = {0};
        int64_t v = SENTINEL;

        if (engine_parse_timestamp(s, now, &v, &e) < 0)
                fail_msg("engine_parse_timestamp(\"%s\"): %s", s, e.msg);
        return v;
}

static void ts_err(const char *s, const char *message)
{
        cell_error_t e = {0};
        int64_t v = SENTINEL;

        if (engine_parse_timestamp(s, T0, &v, &e) >= 0)
                fail_msg("engine_parse_timestamp(\"%s\") succeeded", s);
        assert_string_equal(e.msg, message);
        assert_true(v == SENTINEL);
}

static void set_tz(const char *tz)
{
        setenv("TZ", tz, 1);
        tzset();
}

static void test_timestamp_rfc3339(void **state)
{
        set_tz("UTC");
        assert_true(ts("2026-01-02T15:04:05Z", 0) == T0 * SEC);
        assert_true(ts("2026-01-02T15:04:05.123456789Z", 0) == T0 * SEC + 123456789);
        assert_true(ts("2026-01-02T15:04:05.5Z", 0) == T0 * SEC + 500000000);
        assert_true(ts("2026-01-02T15:04:05.1234567891Z", 0) == T0 * SEC + 123456789);
        assert_true(ts("2026-01-02T15:04:05.123456789+01:00", 0) == (T0 - 3600) * SEC + 123456789);
        assert_true(ts("2026-01-02T15:04:05-01:30", 0) == (T0 + 5400) * SEC);
        assert_true(ts("2026-01-02T15:04:05+00:00", 0) == T0 * SEC);
        assert_true(ts("2026-01-02T15:04Z", 0) == (T0 - 5) * SEC);
        assert_true(ts("2026-01-02T15Z", 0) == (T0 - 4 * 60 - 5) * SEC);
        assert_true(ts("2026-01-02Z", 0) == (T0 - 15 * 3600 - 4 * 60 - 5) * SEC);
        assert_true(ts("2026-01-02+02:00", 0) == (T0 - 17 * 3600 - 4 * 60 - 5) * SEC);
        assert_true(ts("1970-01-01T00:00:00Z", 0) == 0);
        assert_true(ts("1969-12-31T23:59:59Z", 0) == -SEC);
        assert_true(ts("2024-02-29T00:00:00Z", 0) == 1709164800LL * SEC);
        assert_true(ts("2000-02-29Z", 0) == 951782400LL * SEC);
}

static void test_timestamp_local(void **state)
{
        /* POSIX TZ: "XXX-2" is two hours east of UTC. */
        set_tz("XXX-2");
        assert_true(ts("2026-01-02T15:04:05", T0) == (T0 - 7200) * SEC);
        assert_true(ts("2026-01-02T15:04:05.25", T0) == (T0 - 7200) * SEC + 250000000);
        assert_true(ts("2026-01-02T15:04", T0) == (T0 - 7200 - 5) * SEC);
        assert_true(ts("2026-01-02T15", T0) == (T0 - 7200 - 245) * SEC);
        assert_true(ts("2026-01-02", T0) == (T0 - 7200 - 15 * 3600 - 245) * SEC);
        /* a zone in the value wins over the local one */
        assert_true(ts("2026-01-02T15:04:05Z", T0) == T0 * SEC);
        /* docker fixes the zone's offset at now: with daylight saving time
         * the offset of now applies to a date in the other season too */
        set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
        assert_true(ts("2026-07-01T12:00:00", T0) == (1782907200LL - 3600) * SEC);
        assert_true(ts("2026-01-02T15:04:05", 1782907200LL) == (T0 - 7200) * SEC);
        set_tz("UTC");
        assert_true(ts("2026-01-02T15:04:05", T0) == T0 * SEC);
}

static void test_timestamp_unix(void **state)
{
        assert_true(ts("1700000000", T0) == 1700000000LL * SEC);
        assert_true(ts("1700000000.123456789", T0) == 1700000000LL * SEC + 123456789);
        assert_true(ts("1700000000.5", T0) == 1700000000LL * SEC + 500000000);
        assert_true(ts("1700000000.000000001", T0) == 1700000000LL * SEC + 1);
        assert_true(ts("0", T0) == 0); /* "0" is the epoch, not a duration */
        assert_true(ts("0.5", T0) == 500000000);
        assert_true(ts("9223372036", T0) == 9223372036LL * SEC);
}

static void test_timestamp_relative(void **state)
{
        assert_true(ts("42m", T0) == (T0 - 42 * 60) * SEC);
        assert_true(ts("1h30m", T0) == (T0 - 5400) * SEC);
        assert_true(ts("10s", T0) == (T0 - 10) * SEC);
        assert_true(ts("0s", T0) == T0 * SEC);
        /* docker sends whole seconds: a fraction rounds towards the past */
        assert_true(ts("1.5s", T0) == (T0 - 2) * SEC);
        assert_true(ts("300ms", T0) == (T0 - 1) * SEC);
        /* a negative duration is in the future */
        assert_true(ts("-1m", T0) == (T0 + 60) * SEC);
}

static void test_timestamp_errors(void **state)
{
        set_tz("UTC");
        ts_err("", "failed to parse value as time or duration: \"\"");
        ts_err("yesterday", "failed to parse value as time or duration: \"yesterday\"");
        ts_err("1700000000.", "failed to parse value as time or duration: \"1700000000.\"");
        ts_err("1700000000.1234567891",
               "failed to parse value as time or duration: \"1700000000.1234567891\"");
        ts_err("17e8", "failed to parse value as time or duration: \"17e8\"");
        ts_err("1d", "failed to parse value as time or duration: \"1d\"");
        ts_err("9223372037", "failed to parse value as time or duration: \"9223372037\"");
        ts_err("-1700000000", "parsing time \"-1700000000\": not an RFC 3339 date or time");
        ts_err("2026-1-02", "parsing time \"2026-1-02\": not an RFC 3339 date or time");
        ts_err("2026-01-02 15:04:05", "parsing time \"2026-01-02 15:04:05\": not an RFC 3339 date or time");
        ts_err("2026-01-02T15:04:05.Z",
               "parsing time \"2026-01-02T15:04:05.Z\": not an RFC 3339 date or time");
        ts_err("2026-01-02T15:04:05+0100",
               "parsing time \"2026-01-02T15:04:05+0100\": not an RFC 3339 date or time");
        ts_err("2026-01-02T15:04:05z", "parsing time \"2026-01-02T15:04:05z\": not an RFC 3339 date or time");
        ts_err("2026-01-02T15:04:05Zjunk",
               "parsing time \"2026-01-02T15:04:05Zjunk\": not an RFC 3339 date or time");
        ts_err("2026-01-02T15:04.5", "parsing time \"2026-01-02T15:04.5\": not an RFC 3339 date or time");
        ts_err("2026-13-02", "parsing time \"2026-13-02\": month out of range");
        ts_err("2026-00-02", "parsing time \"2026-00-02\": month out of range");
        ts_err("2026-02-29", "parsing time \"2026-02-29\": day out of range");
        ts_err("2026-04-31", "parsing time \"2026-04-31\": day out of range");
        ts_err("1900-02-29", "parsing time \"1900-02-29\": day out of range");
        ts_err("2026-01-00", "parsing time \"2026-01-00\": day out of range");
        ts_err("2026-01-02T24:00:00Z", "parsing time \"2026-01-02T24:00:00Z\": hour out of range");
        ts_err("2026-01-02T23:60:00Z", "parsing time \"2026-01-02T23:60:00Z\": minute out of range");
        ts_err("2026-01-02T23:59:60Z", "parsing time \"2026-01-02T23:59:60Z\": second out of range");
        ts_err("2026-01-02T15:04:05+25:00",
               "parsing time \"2026-01-02T15:04:05+25:00\": time zone offset out of range");
        ts_err("9999-01-02T15:04:05Z", "parsing time \"9999-01-02T15:04:05Z\": out of range");
}

/* ---- --ulimit ---- */

static void ulimit_ok(const char *s, const char *type, uint64_t soft, uint64_t hard)
{
        engine_ulimit_t u;
        cell_error_t e = {0};

        memset(&u, 0x7f, sizeof(u));
        if (engine_parse_ulimit(s, &u, &e) < 0)
                fail_msg("engine_parse_ulimit(\"%s\"): %s", s, e.msg);
        assert_string_equal(u.type, type);
        assert_true(u.soft == soft);
        assert_true(u.hard == hard);
}

static void ulimit_err(const char *s, const char *message)
{
        engine_ulimit_t u = {.type = "untouched", .soft = 1, .hard = 2};
        cell_error_t e = {0};

        if (engine_parse_ulimit(s, &u, &e) >= 0)
                fail_msg("engine_parse_ulimit(\"%s\") succeeded", s);
        assert_string_equal(e.msg, message);
        assert_string_equal(u.type, "untouched");
        assert_true(u.soft == 1 && u.hard == 2);
}

static void test_ulimit(void **state)
{
        ulimit_ok("nofile=1024:2048", "RLIMIT_NOFILE", 1024, 2048);
        ulimit_ok("nproc=512", "RLIMIT_NPROC", 512, 512);
        ulimit_ok("core=0", "RLIMIT_CORE", 0, 0);
        ulimit_ok("core=unlimited", "RLIMIT_CORE", RLIM_INFINITY, RLIM_INFINITY);
        ulimit_ok("core=-1", "RLIMIT_CORE", RLIM_INFINITY, RLIM_INFINITY);
        ulimit_ok("memlock=1024:unlimited", "RLIMIT_MEMLOCK", 1024, RLIM_INFINITY);
        ulimit_ok("memlock=1024:-1", "RLIMIT_MEMLOCK", 1024, RLIM_INFINITY);
        ulimit_ok("stack=8192:8192", "RLIMIT_STACK", 8192, 8192);
        ulimit_ok("rtprio=9223372036854775807", "RLIMIT_RTPRIO", INT64_MAX, INT64_MAX);
        /* every name docker knows */
        ulimit_ok("cpu=1", "RLIMIT_CPU", 1, 1);
        ulimit_ok("data=1", "RLIMIT_DATA", 1, 1);
        ulimit_ok("fsize=1", "RLIMIT_FSIZE", 1, 1);
        ulimit_ok("locks=1", "RLIMIT_LOCKS", 1, 1);
        ulimit_ok("msgqueue=1", "RLIMIT_MSGQUEUE", 1, 1);
        ulimit_ok("nice=1", "RLIMIT_NICE", 1, 1);
        ulimit_ok("rss=1", "RLIMIT_RSS", 1, 1);
        ulimit_ok("rttime=1", "RLIMIT_RTTIME", 1, 1);
        ulimit_ok("sigpending=1", "RLIMIT_SIGPENDING", 1, 1);
}

static void test_ulimit_errors(void **state)
{
        ulimit_err("nofile", "invalid ulimit argument: nofile");
        ulimit_err("", "invalid ulimit argument: ");
        ulimit_err("nofiles=1", "invalid ulimit type: nofiles");
        ulimit_err("NOFILE=1", "invalid ulimit type: NOFILE");
        ulimit_err("as=1", "invalid ulimit type: as");
        ulimit_err("=1", "invalid ulimit type: ");
        ulimit_err("nofile=1:2:3",
                   "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`");
        ulimit_err("nofile=2048:1024",
                   "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024");
        ulimit_err("nofile=unlimited:1024",
                   "ulimit soft limit must be less than or equal to hard limit: unlimited > 1024");
        ulimit_err("nofile=-1:1024",
                   "ulimit soft limit must be less than or equal to hard limit: unlimited > 1024");
        ulimit_err("nofile=", "invalid ulimit value \"\" in nofile=: not a number");
        ulimit_err("nofile=abc", "invalid ulimit value \"abc\" in nofile=abc: not a number");
        ulimit_err("nofile=1:", "invalid ulimit value \"\" in nofile=1:: not a number");
        ulimit_err("nofile=1k", "invalid ulimit value \"1k\" in nofile=1k: not a number");
        ulimit_err("nofile=-2",
                   "invalid ulimit value \"-2\" in nofile=-2: must be a number, -1 or unlimited");
        ulimit_err("nofile=1:-5",
                   "invalid ulimit value \"-5\" in nofile=1:-5: must be a number, -1 or unlimited");
        ulimit_err(
                "nofile=9223372036854775808",
                "invalid ulimit value \"9223372036854775808\" in nofile=9223372036854775808: out of range");
        ulimit_err("nofile=1111111111111111111111111111111111:1",
                   "invalid ulimit value in nofile=1111111111111111111111111111111111:1: too long");
}

/* ---- --restart ---- */

static void restart_ok(const char *s, engine_restart_mode_t mode, int retries)
{
        engine_restart_t r = {.mode = (engine_restart_mode_t)99, .max_retries = -99};
        cell_error_t e = {0};

        if (engine_parse_restart(s, &r, &e) < 0)
                fail_msg("engine_parse_restart(\"%s\"): %s", s, e.msg);
        assert_int_equal(r.mode, mode);
        assert_int_equal(r.max_retries, retries);
}

static void restart_err(const char *s, const char *message)
{
        engine_restart_t r = {.mode = ENGINE_RESTART_ALWAYS, .max_retries = 77};
        cell_error_t e = {0};

        if (engine_parse_restart(s, &r, &e) >= 0)
                fail_msg("engine_parse_restart(\"%s\") succeeded", s);
        assert_string_equal(e.msg, message);
        assert_int_equal(r.mode, ENGINE_RESTART_ALWAYS);
        assert_int_equal(r.max_retries, 77);
}

static void test_restart(void **state)
{
        restart_ok("no", ENGINE_RESTART_NO, 0);
        restart_ok("", ENGINE_RESTART_NO, 0);
        restart_ok(NULL, ENGINE_RESTART_NO, 0);
        restart_ok("always", ENGINE_RESTART_ALWAYS, 0);
        restart_ok("unless-stopped", ENGINE_RESTART_UNLESS_STOPPED, 0);
        restart_ok("on-failure", ENGINE_RESTART_ON_FAILURE, 0);
        restart_ok("on-failure:5", ENGINE_RESTART_ON_FAILURE, 5);
        restart_ok("on-failure:0", ENGINE_RESTART_ON_FAILURE, 0);
        restart_ok("on-failure:", ENGINE_RESTART_ON_FAILURE, 0);
        restart_ok("always:0", ENGINE_RESTART_ALWAYS, 0); /* docker takes a zero count anywhere */
        assert_string_equal(engine_restart_mode_name(ENGINE_RESTART_NO), "no");
        assert_string_equal(engine_restart_mode_name(ENGINE_RESTART_ALWAYS), "always");
        assert_string_equal(engine_restart_mode_name(ENGINE_RESTART_UNLESS_STOPPED), "unless-stopped");
        assert_string_equal(engine_restart_mode_name(ENGINE_RESTART_ON_FAILURE), "on-failure");
        assert_null(engine_restart_mode_name((engine_restart_mode_t)42));
}

static void test_restart_errors(void **state)
{
        restart_err("on-failure:1:2", "invalid restart policy format");
        restart_err(":3", "invalid restart policy format: no policy provided before colon");
        restart_err("on-failure:x", "invalid restart policy format: maximum retry count must be an integer");
        restart_err("on-failure:1.5",
                    "invalid restart policy format: maximum retry count must be an integer");
        restart_err("on-failure:99999999999",
                    "invalid restart policy format: maximum retry count must be an integer");
        restart_err("always:3", "maximum retry count cannot be used with restart policy 'always'");
        restart_err("no:1", "maximum retry count cannot be used with restart policy 'no'");
        restart_err("unless-stopped:2",
                    "maximum retry count cannot be used with restart policy 'unless-stopped'");
        restart_err("on-failure:-1", "maximum retry count cannot be negative");
        restart_err("sometimes", "invalid restart policy 'sometimes': use one of 'no', 'always', "
                                 "'on-failure' or 'unless-stopped'");
        restart_err("Always", "invalid restart policy 'Always': use one of 'no', 'always', 'on-failure' or "
                              "'unless-stopped'");
        restart_err("on-failure-please-retry-a-lot-of-times",
                    "invalid restart policy 'on-failure-please-retry-a-lot-of-times': use one of 'no', "
                    "'always', 'on-failure' or 'unless-stopped'");
}

/* ---- signals ---- */

static void test_signal(void **state)
{
        EXPECT_OK(engine_parse_signal, int, "SIGTERM", SIGTERM);
        EXPECT_OK(engine_parse_signal, int, "TERM", SIGTERM);
        EXPECT_OK(engine_parse_signal, int, "term", SIGTERM);
        EXPECT_OK(engine_parse_signal, int, "sigterm", SIGTERM);
        EXPECT_OK(engine_parse_signal, int, "SigKill", SIGKILL);
        EXPECT_OK(engine_parse_signal, int, "15", 15);
        EXPECT_OK(engine_parse_signal, int, "9", 9);
        EXPECT_OK(engine_parse_signal, int, "1", 1);
        EXPECT_OK(engine_parse_signal, int, "64", 64);
        EXPECT_OK(engine_parse_signal, int, "HUP", SIGHUP);
        EXPECT_OK(engine_parse_signal, int, "USR1", SIGUSR1);
        EXPECT_OK(engine_parse_signal, int, "SIGWINCH", SIGWINCH);
        EXPECT_OK(engine_parse_signal, int, "IOT", SIGABRT);
        EXPECT_OK(engine_parse_signal, int, "CLD", SIGCHLD);
        EXPECT_OK(engine_parse_signal, int, "POLL", SIGIO);
        EXPECT_OK(engine_parse_signal, int, "SIGRTMIN", 34);
        EXPECT_OK(engine_parse_signal, int, "SIGRTMIN+3", 37);
        EXPECT_OK(engine_parse_signal, int, "rtmin+15", 49);
        EXPECT_OK(engine_parse_signal, int, "SIGRTMAX", 64);
        EXPECT_OK(engine_parse_signal, int, "SIGRTMAX-2", 62);
        EXPECT_OK(engine_parse_signal, int, "RTMAX-30", 34);
        EXPECT_OK(engine_parse_signal, int, "RTMIN+30", 64);
}

static void test_signal_errors(void **state)
{
        EXPECT_ERR(engine_parse_signal, int, "", "invalid signal: ");
        EXPECT_ERR(engine_parse_signal, int, "0", "invalid signal: 0");
        EXPECT_ERR(engine_parse_signal, int, "65", "invalid signal: 65");
        EXPECT_ERR(engine_parse_signal, int, "-9", "invalid signal: -9");
        EXPECT_ERR(engine_parse_signal, int, "15x", "invalid signal: 15x");
        EXPECT_ERR(engine_parse_signal, int, "SIG", "invalid signal: SIG");
        EXPECT_ERR(engine_parse_signal, int, "SIGFOO", "invalid signal: SIGFOO");
        EXPECT_ERR(engine_parse_signal, int, "SIGSIGTERM", "invalid signal: SIGSIGTERM");
        EXPECT_ERR(engine_parse_signal, int, " TERM", "invalid signal:  TERM");
        EXPECT_ERR(engine_parse_signal, int, "SIGRTMIN+31", "invalid signal: SIGRTMIN+31");
        EXPECT_ERR(engine_parse_signal, int, "SIGRTMAX-31", "invalid signal: SIGRTMAX-31");
        EXPECT_ERR(engine_parse_signal, int, "SIGRTMIN-1", "invalid signal: SIGRTMIN-1");
        EXPECT_ERR(engine_parse_signal, int, "SIGRTMIN+", "invalid signal: SIGRTMIN+");
        EXPECT_ERR(engine_parse_signal, int, "SIGRTMIN+-1", "invalid signal: SIGRTMIN+-1");
        EXPECT_ERR(engine_parse_signal, int, "SIGTERMINATE-ALL-THE-THINGS-NOW!",
                   "invalid signal: SIGTERMINATE-ALL-THE-THINGS-NOW!");
}

static void test_signal_name(void **state)
{
        assert_string_equal(engine_signal_name(SIGTERM), "SIGTERM");
        assert_string_equal(engine_signal_name(SIGKILL), "SIGKILL");
        assert_string_equal(engine_signal_name(SIGHUP), "SIGHUP");
        assert_string_equal(engine_signal_name(SIGABRT), "SIGABRT"); /* not the alias IOT */
        assert_string_equal(engine_signal_name(SIGCHLD), "SIGCHLD");
        assert_string_equal(engine_signal_name(SIGIO), "SIGIO");
        assert_string_equal(engine_signal_name(34), "SIGRTMIN");
        assert_string_equal(engine_signal_name(37), "SIGRTMIN+3");
        assert_string_equal(engine_signal_name(49), "SIGRTMIN+15");
        assert_string_equal(engine_signal_name(50), "SIGRTMAX-14");
        assert_string_equal(engine_signal_name(64), "SIGRTMAX");
        assert_null(engine_signal_name(0));
        assert_null(engine_signal_name(-1));
        assert_null(engine_signal_name(65));
        assert_null(engine_signal_name(32));
        /* every name parses back to its number */
        for (int sig = 1; sig <= 64; sig++) {
                const char *name = engine_signal_name(sig);
                int back = -1;
                cell_error_t e = {0};

                if (!name)
                        continue;
                assert_int_equal(engine_parse_signal(name, &back, &e), 0);
                assert_int_equal(back, sig);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bytes_plain_and_units),
                cmocka_unit_test(test_bytes_fractions),
                cmocka_unit_test(test_bytes_errors),
                cmocka_unit_test(test_bytes_or_unlimited),
                cmocka_unit_test(test_cpus),
                cmocka_unit_test(test_cpus_errors),
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_duration_errors),
                cmocka_unit_test(test_timestamp_rfc3339),
                cmocka_unit_test(test_timestamp_local),
                cmocka_unit_test(test_timestamp_unix),
                cmocka_unit_test(test_timestamp_relative),
                cmocka_unit_test(test_timestamp_errors),
                cmocka_unit_test(test_ulimit),
                cmocka_unit_test(test_ulimit_errors),
                cmocka_unit_test(test_restart),
                cmocka_unit_test(test_restart_errors),
                cmocka_unit_test(test_signal),
                cmocka_unit_test(test_signal_errors),
                cmocka_unit_test(test_signal_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
