/* cell: unit tests for sha256 digests (lib/image/digest.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "digest.h"
#include "sha256_small.h"

#define SHA_SMALL_LIMIT SHA256_SMALL_MAX

/* sha256("") and sha256("abc"), from FIPS 180-2. */
#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_known_values(void **state)
{
        char d[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};

        assert_int_equal(image_digest_data("", 0, d, &err), 0);
        assert_string_equal(d, EMPTY);
        assert_int_equal(image_digest_data("abc", 3, d, &err), 0);
        assert_string_equal(d, ABC);
}

static void test_streaming_equals_one_shot(void **state)
{
        image_hasher_t *h = NULL;
        char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        char buf[10000];

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char)(i * 7);
        assert_int_equal(image_digest_data(buf, sizeof(buf), a, &err), 0);
        assert_int_equal(image_hasher_new(&h, &err), 0);
        for (size_t off = 0; off < sizeof(buf); off += 333) {
                size_t n = sizeof(buf) - off < 333 ? sizeof(buf) - off : 333;

                assert_int_equal(image_hasher_update(h, buf + off, n, &err), 0);
        }
        assert_int_equal(image_hasher_final(h, b, &err), 0);
        assert_string_equal(a, b);
        /* finished is finished */
        assert_true(image_hasher_update(h, "x", 1, &err) < 0);
        image_hasher_free(h);
}

/* The small-buffer hash (sha256_small.c, no libcrypto) against libcrypto's
 * streaming one, at every length around the padding's block boundaries
 * and at the size limit where image_digest_data switches. */
static void test_small_equals_libcrypto(void **state)
{
        static const size_t lens[] = {0,
                                      1,
                                      55,
                                      56,
                                      57,
                                      63,
                                      64,
                                      65,
                                      119,
                                      120,
                                      127,
                                      128,
                                      129,
                                      1000,
                                      SHA_SMALL_LIMIT - 1,
                                      SHA_SMALL_LIMIT,
                                      SHA_SMALL_LIMIT + 1};
        char *buf = malloc(SHA_SMALL_LIMIT + 1);
        cell_error_t err = {0};

        assert_non_null(buf);
        for (size_t i = 0; i < SHA_SMALL_LIMIT + 1; i++)
                buf[i] = (char)(i * 131 + (i >> 8));
        for (size_t n = 0; n < 300; n++) {
                char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
                image_hasher_t *h = NULL;

                assert_int_equal(image_digest_data(buf, n, a, &err), 0);
                assert_int_equal(image_hasher_new(&h, &err), 0);
                assert_int_equal(image_hasher_update(h, buf, n, &err), 0);
                assert_int_equal(image_hasher_final(h, b, &err), 0);
                image_hasher_free(h);
                assert_string_equal(a, b);
        }
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
                image_hasher_t *h = NULL;

                assert_int_equal(image_digest_data(buf, lens[i], a, &err), 0);
                assert_int_equal(image_hasher_new(&h, &err), 0);
                assert_int_equal(image_hasher_update(h, buf, lens[i], &err), 0);
                assert_int_equal(image_hasher_final(h, b, &err), 0);
                image_hasher_free(h);
                assert_string_equal(a, b);
        }
        free(buf);
}

static void test_fd_and_verify(void **state)
{
        char path[] = "/var/tmp/cell-test-digest-XXXXXX";
        char d[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, "abc", 3), 3);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(image_digest_fd(fd, d, &err), 0);
        assert_string_equal(d, ABC);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(image_digest_verify_fd(fd, ABC, &err), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(image_digest_verify_fd(fd, EMPTY, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "digest mismatch: expected " EMPTY ", got " ABC));
        close(fd);

        assert_int_equal(image_digest_verify_data("abc", 3, ABC, &err), 0);
        assert_int_equal(image_digest_verify_data("abd", 3, ABC, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "mismatch"));
}

static void test_parse_valid(void **state)
{
        const char *hex = NULL;
        cell_error_t err = {0};

        assert_int_equal(image_digest_parse(ABC, &hex, &err), 0);
        assert_string_equal(hex, ABC + 7);
        assert_true(image_digest_valid(EMPTY));
}

static void test_parse_invalid(void **state)
{
        static const struct {
                const char *in, *msg;
        } cases[] = {
                {"", "empty"},
                {"sha256", "expected ALGORITHM:HEX"},
                {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 "expected ALGORITHM:HEX"},
                {":ba7816bf", "malformed algorithm"},
                {"sha-:ab", "malformed algorithm"},
                {"sh a256:ab", "malformed algorithm"},
                {"sha512:ba7816bf", "unsupported algorithm \"sha512\""},
                {"SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 "unsupported algorithm"},
                {"sha256:", "needs 64 hex digits, found 0"},
                {"sha256:abc", "needs 64 hex digits, found 3"},
                {"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", "found 65"},
                {"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", "lower case"},
                {"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag",
                 "found 'g' at 63"},
                {"sha256:../../etc/passwd", "found 16"},
                {"sha256:../../../../../../../../../../../../../../../../../../etc/passwd", "found '.' at 0"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cell_error_t err = {0};

                if (image_digest_parse(cases[i].in, NULL, &err) != -EINVAL ||
                    !strstr(err.msg, cases[i].msg)) {
                        print_error("case %zu \"%s\": got \"%s\", want \"%s\"\n", i, cases[i].in, err.msg,
                                    cases[i].msg);
                        fail();
                }
                assert_false(image_digest_valid(cases[i].in));
        }
        assert_false(image_digest_valid(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_known_values),  cmocka_unit_test(test_streaming_equals_one_shot),
                cmocka_unit_test(test_fd_and_verify), cmocka_unit_test(test_parse_valid),
                cmocka_unit_test(test_parse_invalid), cmocka_unit_test(test_small_equals_libcrypto),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
