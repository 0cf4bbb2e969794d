/* cell: `cell build` — docker build's command line over lib/build. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "cleanup.h"
#include "cli.h"
#include "commit.h"
#include "dockeropt.h"
#include "fsutil.h"
#include "strutil.h"

enum {
        O_TAG = 1,
        O_FILE,
        O_BUILD_ARG,
        O_TARGET,
        O_NO_CACHE,
        O_LABEL,
        O_QUIET,
        O_IIDFILE,
        O_NETWORK,
        O_PROGRESS,
        O_IGNORED_BOOL,
        O_IGNORED_VALUE,
        O_SECRET,
        O_CHECK,
};

static const cli_option_t build_options[] = {
        {"tag", 't', true, O_TAG},
        {"file", 'f', true, O_FILE},
        {"build-arg", 0, true, O_BUILD_ARG},
        {"target", 0, true, O_TARGET},
        {"no-cache", 0, false, O_NO_CACHE},
        {"label", 0, true, O_LABEL},
        {"quiet", 'q', false, O_QUIET},
        {"iidfile", 0, true, O_IIDFILE},
        {"network", 0, true, O_NETWORK},
        {"progress", 0, true, O_PROGRESS},
        {"secret", 0, true, O_SECRET},
        {"check", 0, false, O_CHECK},
        /* docker's that change nothing here: intermediate containers are
         * always removed, there is no registry to pull from yet. */
        {"rm", 0, false, O_IGNORED_BOOL},
        {"force-rm", 0, false, O_IGNORED_BOOL},
        {"pull", 0, false, O_IGNORED_BOOL},
        {"platform", 0, true, O_IGNORED_VALUE},
        {NULL, 0, false, 0},
};

static int read_all(int fd, char **ret, size_t *ret_len)
{
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (len == cap) {
                        char *n = realloc(buf, cap * 2);

                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                        cap *= 2;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        free(buf);
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static bool looks_like_archive(const char *p, size_t n)
{
        /* tar ("ustar" at 257), gzip, zstd, xz, bzip2. */
        return (n > 262 && memcmp(p + 257, "ustar", 5) == 0) ||
               (n >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) ||
               (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) ||
               (n >= 6 && memcmp(p,
                                 "\xfd"
                                 "7zXZ",
                                 5) == 0) ||
               (n >= 3 && memcmp(p, "BZh", 3) == 0);
}

/* --secret id=ID,src=FILE with a relative FILE: docker reads it relative to
 * the current directory, so it is made absolute here, where that is known. */
static char *secret_abs(const char *v)
{
        const char *src = NULL;
        _cleanup_free_ char *cwd = NULL;

        for (const char *f = v; f && *f; f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL) {
                if (str_has_prefix(f, "src="))
                        src = f + 4;
                else if (str_has_prefix(f, "source="))
                        src = f + 7;
        }
        if (!src || *src == '/' || *src == ',' || !*src)
                return strdup(v);
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return NULL;
        return str_printf("%.*s%s/%s", (int)(src - v), v, cwd, src);
}

static int fail(const char *msg)
{
        fprintf(stderr, "ERROR: %s\n", msg);
        return 1;
}

int cmd_engine_build(const cli_global_t *g, int argc, char **argv);
int cmd_engine_build(const cli_global_t *g, int argc, char **argv)
{
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_strv_ char **tags = NULL, **args = NULL, **labels = NULL, **secrets = NULL;
        _cleanup_free_ char *stdin_data = NULL, *tmp_dir = NULL;
        _cleanup_engine_ engine_t *e = NULL;
        build_opts_t o = {.context_tar_fd = -1, .source_date_epoch = -1};
        const char *iidfile = NULL, *file = NULL, *context;
        cell_error_t err = {0};
        char id[IMAGE_DIGEST_STR_SIZE];
        size_t stdin_len = 0;
        int opt, r;

        while ((opt = cli_docker_next(&p, build_options)) != 0) {
                const char *v = p.value;

                if (opt < 0) {
                        fprintf(stderr, "cell build: %s\nSee 'cell build --help'.\n", p.errbuf);
                        return 1;
                }
                switch (opt) {
                case O_TAG:
                        if (strv_push(&tags, v) < 0)
                                return fail("out of memory");
                        break;
                case O_FILE:
                        file = v;
                        break;
                case O_BUILD_ARG:
                        if (strv_push(&args, v) < 0)
                                return fail("out of memory");
                        break;
                case O_TARGET:
                        o.target = v;
                        break;
                case O_NO_CACHE:
                        o.no_cache = !v;
                        break;
                case O_LABEL:
                        if (strv_push(&labels, v) < 0)
                                return fail("out of memory");
                        break;
                case O_QUIET:
                        o.quiet = !v;
                        break;
                case O_CHECK:
                        o.check = !v;
                        break;
                case O_IIDFILE:
                        iidfile = v;
                        break;
                case O_NETWORK:
                        if (!str_eq(v, "host") && !str_eq(v, "none") && !str_eq(v, "default"))
                                return fail("--network: only host, none and default are supported (bridge "
                                            "networks come with cell's networks)");
                        o.network = v;
                        break;
                case O_PROGRESS:
                        if (!str_eq(v, "plain") && !str_eq(v, "tty") && !str_eq(v, "auto"))
                                return fail("--progress: plain, tty or auto");
                        break;
                case O_SECRET: {
                        _cleanup_free_ char *abs = secret_abs(v);

                        if (!strstr(v, "id=") || !abs || strv_push(&secrets, abs) < 0)
                                return fail("--secret: id=ID,src=FILE is expected");
                        break;
                }
                default:
                        break;
                }
        }
        if (p.index + 1 != argc) {
                fprintf(stderr, "\"cell build\" requires exactly 1 argument.\nSee 'cell build --help'.\n\n"
                                "Usage:  cell build [OPTIONS] PATH | -\n");
                return 1;
        }
        context = argv[p.index];
        {
                const char *sde = getenv("SOURCE_DATE_EPOCH");

                for (size_t i = 0; args && args[i]; i++)
                        if (str_has_prefix(args[i], "SOURCE_DATE_EPOCH="))
                                sde = args[i] + strlen("SOURCE_DATE_EPOCH=");
                if (storage_parse_source_date_epoch(sde, &o.source_date_epoch, &err) < 0) {
                        fprintf(stderr, "ERROR: SOURCE_DATE_EPOCH: %s\n", err.msg);
                        return 1;
                }
        }
        if (cli_open_engine(g, &e, &err) < 0) {
                fprintf(stderr, "ERROR: %s\n", err.msg);
                return 1;
        }
        if (str_eq(context, "-") || (file && str_eq(file, "-"))) {
                if (read_all(0, &stdin_data, &stdin_len) < 0)
                        return fail("reading standard input");
        }
        if (str_eq(context, "-")) {
                if (file && str_eq(file, "-"))
                        return fail("the context and the Dockerfile cannot both be standard input");
                tmp_dir = str_printf("%s/tmp", e->storage_root);
                if (!tmp_dir || fs_mkdir_p(tmp_dir, 0700, &err) < 0)
                        return fail(err.msg[0] ? err.msg : "out of memory");
                if (looks_like_archive(stdin_data, stdin_len)) {
                        /* A context as a tar stream: through an unnamed
                         * file, which the context extracts. */
                        int fd = open(tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

                        if (fd < 0)
                                return fail("a temporary file for the context");
                        if (write(fd, stdin_data, stdin_len) != (ssize_t)stdin_len ||
                            lseek(fd, 0, SEEK_SET) < 0) {
                                close(fd);
                                return fail("writing the context");
                        }
                        o.context_tar_fd = fd;
                        if (file)
                                o.dockerfile_path = file;
                } else {
                        /* docker build - < Dockerfile: no context at all. */
                        char tmpl[] = "/tmp/cell-build-empty.XXXXXX";

                        if (!mkdtemp(tmpl))
                                return fail("an empty context");
                        free(tmp_dir);
                        tmp_dir = strdup(tmpl);
                        o.context_dir = tmp_dir;
                        o.dockerfile_data = stdin_data;
                        o.dockerfile_len = stdin_len;
                }
        } else {
                struct stat sb;

                if (stat(context, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
                        fprintf(stderr, "ERROR: unable to prepare context: path \"%s\" not found\n", context);
                        return 1;
                }
                o.context_dir = context;
                if (file && str_eq(file, "-")) {
                        o.dockerfile_data = stdin_data;
                        o.dockerfile_len = stdin_len;
                } else if (file) {
                        o.dockerfile_path = file;
                }
        }
        o.tags = tags;
        o.build_args = args;
        o.labels = labels;
        o.secrets = secrets;
        r = build_run(e, &o, id, &err);
        if (o.context_tar_fd >= 0)
                close(o.context_tar_fd);
        if (o.context_dir && o.context_dir == tmp_dir)
                rmdir(tmp_dir);
        fflush(stdout);
        if (r < 0) {
                fprintf(stderr, "ERROR: %s\n", err.msg);
                return 1;
        }
        if (o.quiet)
                printf("%s\n", id);
        if (iidfile && fs_write_atomic(iidfile, id, strlen(id), 0644, &err) < 0) {
                fprintf(stderr, "ERROR: --iidfile: %s\n", err.msg);
                return 1;
        }
        return 0;
}
