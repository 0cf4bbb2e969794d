#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "sha256_small.h"
#include "strutil.h"

struct image_hasher {
        EVP_MD_CTX *ctx;
        bool done;
};

int image_hasher_new(image_hasher_t **ret, cell_error_t *err)
{
        image_hasher_t *h = calloc(1, sizeof(*h));

        if (!h)
                return cell_error_set(err, ENOMEM, "sha256");
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
                image_hasher_free(h);
                return cell_error_set(err, ENOMEM, "sha256: cannot initialise the hasher");
        }
        *ret = h;
        return 0;
}

int image_hasher_update(image_hasher_t *h, const void *data, size_t len, cell_error_t *err)
{
        if (h->done)
                return cell_error_set(err, EINVAL, "sha256: hasher already finished");
        if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
                return cell_error_set(err, EIO, "sha256: update failed");
        return 0;
}

/* "sha256:" and the hex of a 32-byte digest. */
static void digest_format(const unsigned char md[IMAGE_DIGEST_HEX_LEN / 2], char ret[IMAGE_DIGEST_STR_SIZE])
{
        static const char hexdig[] = "0123456789abcdef";
        size_t off = strlen(IMAGE_DIGEST_ALGO ":");

        memcpy(ret, IMAGE_DIGEST_ALGO ":", off);
        for (size_t i = 0; i < IMAGE_DIGEST_HEX_LEN / 2; i++) {
                ret[off + 2 * i] = hexdig[md[i] >> 4];
                ret[off + 2 * i + 1] = hexdig[md[i] & 0xf];
        }
        ret[off + IMAGE_DIGEST_HEX_LEN] = '\0';
}

int image_hasher_final(image_hasher_t *h, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (h->done)
                return cell_error_set(err, EINVAL, "sha256: hasher already finished");
        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != IMAGE_DIGEST_HEX_LEN / 2)
                return cell_error_set(err, EIO, "sha256: final failed");
        h->done = true;
        digest_format(md, ret);
        return 0;
}

void image_hasher_free(image_hasher_t *h)
{
        if (!h)
                return;
        EVP_MD_CTX_free(h->ctx);
        free(h);
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
        return is_alpha(c) || (c >= '0' && c <= '9');
}

/* The OCI grammar of an algorithm: [a-z0-9]+([+._-][a-z0-9]+)* (we accept
 * upper case too, so that "SHA256" gets "unsupported" rather than a grammar
 * error that hides what is wrong). */
static bool algorithm_well_formed(const char *a, size_t n)
{
        bool need_alnum = true;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (is_alnum(a[i])) {
                        need_alnum = false;
                } else if (strchr("+._-", a[i]) && !need_alnum) {
                        need_alnum = true;
                } else {
                        return false;
                }
        }
        return !need_alnum;
}

int image_digest_parse(const char *s, const char **ret_hex, cell_error_t *err)
{
        const char *colon, *hex;
        size_t n;

        if (!s || !*s)
                return cell_error_set(err, EINVAL, "invalid digest: empty");
        colon = strchr(s, ':');
        if (!colon)
                return cell_error_set(err, EINVAL, "invalid digest \"%.100s\": expected ALGORITHM:HEX", s);
        if (!algorithm_well_formed(s, (size_t)(colon - s)))
                return cell_error_set(err, EINVAL, "invalid digest \"%.100s\": malformed algorithm", s);
        if ((size_t)(colon - s) != strlen(IMAGE_DIGEST_ALGO) ||
            strncmp(s, IMAGE_DIGEST_ALGO, strlen(IMAGE_DIGEST_ALGO)))
                return cell_error_set(err, EINVAL,
                                      "invalid digest \"%.100s\": unsupported algorithm \"%.*s\"", s,
                                      (int)(colon - s > 32 ? 32 : colon - s), s);
        hex = colon + 1;
        n = strlen(hex);
        if (n != IMAGE_DIGEST_HEX_LEN)
                return cell_error_set(err, EINVAL,
                                      "invalid digest \"%.100s\": sha256 needs 64 hex digits, found %zu", s,
                                      n);
        for (size_t i = 0; i < n; i++) {
                if (!is_lower_hex(hex[i]))
                        return cell_error_set(err, EINVAL,
                                              "invalid digest \"%.100s\": hex digits must be 0-9 or a-f "
                                              "(lower case), found '%c' at %zu",
                                              s, hex[i] >= 0x20 && hex[i] < 0x7f ? hex[i] : '?', i);
        }
        if (ret_hex)
                *ret_hex = hex;
        return 0;
}

bool image_digest_valid(const char *s)
{
        return image_digest_parse(s, NULL, NULL) == 0;
}

int image_digest_data(const void *data, size_t len, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_hasher_ image_hasher_t *h = NULL;
        int r;

        if (len <= SHA256_SMALL_MAX) {
                uint8_t md[IMAGE_DIGEST_HEX_LEN / 2];

                sha256_small(data, len, md);
                digest_format(md, ret);
                return 0;
        }

        r = image_hasher_new(&h, err);
        if (r < 0)
                return r;
        r = image_hasher_update(h, data, len, err);
        if (r < 0)
                return r;
        return image_hasher_final(h, ret, err);
}

int image_digest_fd(int fd, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_hasher_ image_hasher_t *h = NULL;
        _cleanup_free_ char *buf = NULL;
        const size_t bufsz = 256 * 1024;
        int r;

        r = image_hasher_new(&h, err);
        if (r < 0)
                return r;
        buf = malloc(bufsz);
        if (!buf)
                return cell_error_set(err, ENOMEM, "sha256");
        for (;;) {
                ssize_t n = TEMP_FAILURE_RETRY_INT(read(fd, buf, bufsz));

                if (n < 0)
                        return cell_error_errno(err, "sha256: read");
                if (n == 0)
                        break;
                r = image_hasher_update(h, buf, (size_t)n, err);
                if (r < 0)
                        return r;
        }
        return image_hasher_final(h, ret, err);
}

static int compare(const char *expected, const char *got, cell_error_t *err)
{
        if (!str_eq(expected, got))
                return cell_error_set(err, EINVAL, "digest mismatch: expected %s, got %s", expected, got);
        return 0;
}

int image_digest_verify_data(const void *data, size_t len, const char *expected, cell_error_t *err)
{
        char got[IMAGE_DIGEST_STR_SIZE];
        int r;

        r = image_digest_parse(expected, NULL, err);
        if (r < 0)
                return r;
        r = image_digest_data(data, len, got, err);
        if (r < 0)
                return r;
        return compare(expected, got, err);
}

int image_digest_verify_fd(int fd, const char *expected, cell_error_t *err)
{
        char got[IMAGE_DIGEST_STR_SIZE];
        int r;

        r = image_digest_parse(expected, NULL, err);
        if (r < 0)
                return r;
        r = image_digest_fd(fd, got, err);
        if (r < 0)
                return r;
        return compare(expected, got, err);
}
