/* cell: unit tests for image references (lib/image/ref.c). The cases follow
 * the grammar Docker documents for distribution/reference. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"

#define D64 "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void test_valid(void **state)
{
        static const struct {
                const char *in, *full, *familiar;
        } cases[] = {
                {"debian", "docker.io/library/debian:latest", "debian:latest"},
                {"debian:12", "docker.io/library/debian:12", "debian:12"},
                {"library/debian", "docker.io/library/debian:latest", "debian:latest"},
                {"docker.io/debian", "docker.io/library/debian:latest", "debian:latest"},
                {"docker.io/library/debian:bookworm", "docker.io/library/debian:bookworm", "debian:bookworm"},
                {"index.docker.io/library/debian", "docker.io/library/debian:latest", "debian:latest"},
                {"user/app", "docker.io/user/app:latest", "user/app:latest"},
                {"user/app:1.0", "docker.io/user/app:1.0", "user/app:1.0"},
                {"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"},
                {"test_com", "docker.io/library/test_com:latest", "test_com:latest"},
                {"test.com:tag", "docker.io/library/test.com:tag", "test.com:tag"},
                {"test.com:5000", "docker.io/library/test.com:5000", "test.com:5000"},
                {"test.com/repo:tag", "test.com/repo:tag", "test.com/repo:tag"},
                {"test:5000/repo", "test:5000/repo:latest", "test:5000/repo:latest"},
                {"test:5000/repo:tag", "test:5000/repo:tag", "test:5000/repo:tag"},
                {"test:5000/repo@" D64, "test:5000/repo@" D64, "test:5000/repo@" D64},
                {"test:5000/repo:tag@" D64, "test:5000/repo:tag@" D64, "test:5000/repo:tag@" D64},
                {"debian@" D64, "docker.io/library/debian@" D64, "debian@" D64},
                {"debian:12@" D64, "docker.io/library/debian:12@" D64, "debian:12@" D64},
                {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
                {"sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux:latest",
                 "sub-dom1.foo.com/bar/baz/quux:latest"},
                {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
                 "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
                {"b.gcr.io/test.example.com/my-app:test.example.com",
                 "b.gcr.io/test.example.com/my-app:test.example.com",
                 "b.gcr.io/test.example.com/my-app:test.example.com"},
                {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com",
                 "xn--n3h.com/myimage:xn--n3h.com"},
                {"foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"},
                {"foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"},
                {"localhost/foo", "localhost/foo:latest", "localhost/foo:latest"},
                {"localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1"},
                {"[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo:latest",
                 "[2001:db8::1]:5000/repo:latest"},
                {"[::1]/repo:t", "[::1]/repo:t", "[::1]/repo:t"},
                {"192.168.1.1:5000/a", "192.168.1.1:5000/a:latest", "192.168.1.1:5000/a:latest"},
                /* An upper-case first component cannot be a path, so Docker
                 * takes it for a domain. */
                {"Foo/bar", "Foo/bar:latest", "Foo/bar:latest"},
                {"a__b/c-----d/e.f_g", "docker.io/a__b/c-----d/e.f_g:latest", "a__b/c-----d/e.f_g:latest"},
                {"a:_tag", "docker.io/library/a:_tag", "a:_tag"},
                {"a:0", "docker.io/library/a:0", "a:0"},
                /* found by fuzz_ref: a first path component that looks like
                 * a domain keeps docker.io in the short form, which must
                 * read back as the same reference */
                {"docker.io/libraocker.io/library/debia", "docker.io/libraocker.io/library/debia:latest",
                 "docker.io/libraocker.io/library/debia:latest"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                image_ref_t *r = NULL;
                cell_error_t err = {0};
                char *full, *fam;

                if (image_ref_parse(cases[i].in, &r, &err) < 0) {
                        print_error("case %zu \"%s\": %s\n", i, cases[i].in, err.msg);
                        fail();
                }
                full = image_ref_string(r);
                fam = image_ref_familiar(r);
                if (strcmp(full, cases[i].full) || strcmp(fam, cases[i].familiar)) {
                        print_error("case %zu \"%s\": got %s / %s, want %s / %s\n", i, cases[i].in, full, fam,
                                    cases[i].full, cases[i].familiar);
                        fail();
                }
                /* Normalising is idempotent, and the familiar form reads back
                 * as the same reference. */
                {
                        char *again = NULL, *back = NULL;

                        assert_int_equal(image_ref_normalize(full, &again, &err), 0);
                        assert_string_equal(again, full);
                        assert_int_equal(image_ref_normalize(fam, &back, &err), 0);
                        assert_string_equal(back, full);
                        free(again);
                        free(back);
                }
                free(full);
                free(fam);
                image_ref_free(r);
        }
}

static void test_parts(void **state)
{
        image_ref_t *r = NULL;
        cell_error_t err = {0};
        char *name;

        assert_int_equal(image_ref_parse("host:5000/ns/name:tag@" D64, &r, &err), 0);
        assert_string_equal(r->domain, "host:5000");
        assert_string_equal(r->path, "ns/name");
        assert_string_equal(r->tag, "tag");
        assert_string_equal(r->digest, D64);
        name = image_ref_name(r);
        assert_string_equal(name, "host:5000/ns/name");
        free(name);
        image_ref_free(r);

        /* a digest alone gets no default tag */
        assert_int_equal(image_ref_parse("name@" D64, &r, &err), 0);
        assert_null(r->tag);
        image_ref_free(r);
}

static void test_invalid(void **state)
{
        char longtag[200], longname[300];
        static const struct {
                const char *in, *msg;
        } cases[] = {
                {"", "invalid reference: empty"},
                {"Foo", "invalid reference \"Foo\": repository name must be lowercase"},
                {"Uppercase:tag", "repository name must be lowercase"},
                {"test:5000/Uppercase/lowercase:tag", "repository name must be lowercase"},
                {"docker.io/Library/debian", "repository name must be lowercase"},
                {":justtag", "repository name must have at least one component"},
                {"@" D64, "repository name must have at least one component"},
                {"repo@sha256:ffffffffffffffffffffffffffffffffff", "needs 64 hex digits"},
                {"validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffff",
                 "unsupported algorithm"},
                {"repo@", "invalid digest: empty"},
                {"repo:tag@", "invalid digest: empty"},
                {"aa/asdf$$^/aa", "character other than"},
                {"a:tag-with-$", "tag may only contain"},
                {"a:-tag", "tag must start with"},
                {"a:", "empty tag"},
                {"-foo", "must start with a letter or digit"},
                {"foo-", "must end with a letter or digit"},
                {"foo..bar", "misplaced separator"},
                {"a___b", "misplaced separator"},
                {"foo/", "empty path component"},
                {"foo//bar", "empty path component"},
                {"/foo", "empty path component"},
                {"-host.com/foo", "must not start or end with '-'"},
                {"host.com./foo", "must not end with '.'"},
                {"host:port/foo", "port must be a number"},
                {"host:/foo", "empty port"},
                {"[zz]:5000/foo", "malformed IPv6"},
                {"ho_st.com/foo", "domain has a character"},
                {"localhost:5000", "tag"}, /* docker.io/library/localhost:5000 — valid, see below */
                {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "image id, not a name"},
                {"a b", "character other than"},
                {"a@b@" D64, "invalid digest"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                image_ref_t *r = NULL;
                cell_error_t err = {0};

                if (strcmp(cases[i].in, "localhost:5000") == 0) {
                        /* No '/': "localhost" is the name and 5000 the tag. */
                        assert_int_equal(image_ref_parse(cases[i].in, &r, &err), 0);
                        assert_string_equal(r->path, "library/localhost");
                        image_ref_free(r);
                        continue;
                }
                if (image_ref_parse(cases[i].in, &r, &err) != -EINVAL || !strstr(err.msg, cases[i].msg)) {
                        print_error("case %zu \"%s\": got \"%s\", want \"%s\"\n", i, cases[i].in, err.msg,
                                    cases[i].msg);
                        fail();
                }
                assert_null(r);
        }

        memset(longtag, 'a', sizeof(longtag));
        memcpy(longtag, "a:", 2);
        longtag[2 + 128] = '\0';
        {
                image_ref_t *r = NULL;
                cell_error_t err = {0};

                assert_int_equal(image_ref_parse(longtag, &r, &err), 0); /* 128 is the limit */
                image_ref_free(r);
                longtag[2 + 129] = '\0';
                longtag[2 + 128] = 'a';
                assert_int_equal(image_ref_parse(longtag, &r, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "tag longer than 128"));
        }
        /* The limit is on the normalised name: docker.io/library/ counts. */
        memset(longname, 'a', sizeof(longname));
        longname[255 - strlen("docker.io/library/")] = '\0';
        {
                image_ref_t *r = NULL;
                cell_error_t err = {0};

                assert_int_equal(image_ref_parse(longname, &r, &err), 0);
                image_ref_free(r);
                longname[255 - strlen("docker.io/library/")] = 'a';
                longname[256 - strlen("docker.io/library/")] = '\0';
                assert_int_equal(image_ref_parse(longname, &r, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "longer than 255"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_parts),
                cmocka_unit_test(test_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
