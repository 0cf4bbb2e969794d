/* cell: load, save and import — images in and out of the store as files,
 * with Docker's flags and output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "layers.h"
#include "options.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"
#include "transfer.h"

enum {
        OPT_INPUT = 1,
        OPT_QUIET,
        OPT_OUTPUT,
        OPT_FORMAT,
        OPT_CHANGE,
        OPT_MESSAGE,
        OPT_HELP,
};

int cli_open_image_store(const cli_global_t *g, image_store_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *root = str_printf("%s/images", g->storage_root);

        if (!root)
                return cell_error_set(err, ENOMEM, "store");
        if (mkdir(g->storage_root, 0700) < 0 && errno != EEXIST)
                return cell_error_errno(err, "mkdir %s", g->storage_root);
        return image_store_open(root, ret, err);
}

int cmd_load(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"input", 'i', true, OPT_INPUT},
                {"quiet", 'q', false, OPT_QUIET},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_storage_stage_ storage_stage_t *stage = NULL;
        _cleanup_close_ int fd = -1;
        const char *input = NULL;
        image_loaded_t *loaded = NULL;
        cell_error_t err = {0};
        size_t n = 0;
        bool quiet = false;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_INPUT:
                        input = p.value;
                        break;
                case OPT_QUIET:
                        quiet = !p.value;
                        break;
                case OPT_HELP:
                        printf("usage: cell load [-i FILE] [-q]\n\n"
                               "Load images from a docker-archive or an OCI archive (plain or compressed),\n"
                               "read from FILE or from stdin.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("load", "%s", p.errbuf);
                }
        }
        if (p.index < argc)
                return cli_usage_error("load", "unexpected argument \"%s\"", argv[p.index]);
        if (!input && isatty(STDIN_FILENO))
                return cli_usage_error("load", "requested load from stdin, but stdin is empty (use -i FILE)");
        if (input) {
                fd = open(input, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        cell_error_errno(&err, "open %s", input);
                        return cli_fail("load", &err);
                }
        }
        /* Each layer is unpacked into the cache as it streams by, like
         * docker load and podman load: the image is ready to run when load
         * returns, from one read of the archive. */
        if (cli_open_image_store(g, &s, &err) < 0 || storage_open(g->storage_root, &st, &err) < 0 ||
            storage_stage_new(st, s, &stage, &err) < 0 ||
            image_load_sink(s, fd >= 0 ? fd : STDIN_FILENO, NULL, storage_stage_sink(stage), &loaded, &n,
                            &err) < 0)
                return cli_fail("load", &err);
        for (size_t i = 0; i < n && !quiet; i++) {
                if (!loaded[i].names[0])
                        printf("Loaded image ID: %s\n", loaded[i].id);
                for (size_t j = 0; loaded[i].names[j]; j++) {
                        _cleanup_image_ref_ image_ref_t *r = NULL;
                        _cleanup_free_ char *fam = NULL;

                        if (image_ref_parse(loaded[i].names[j], &r, NULL) == 0)
                                fam = image_ref_familiar(r);
                        printf("Loaded image: %s\n", fam ? fam : loaded[i].names[j]);
                }
        }
        image_loaded_free(loaded, n);
        return 0;
}

int cmd_save(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"output", 'o', true, OPT_OUTPUT},
                {"format", 0, true, OPT_FORMAT},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *tmp = NULL;
        const char *output = NULL;
        image_save_format_t format = IMAGE_SAVE_DOCKER_ARCHIVE;
        cell_error_t err = {0};
        int id, r;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_OUTPUT:
                        output = p.value;
                        break;
                case OPT_FORMAT:
                        if (str_eq(p.value, "docker-archive"))
                                format = IMAGE_SAVE_DOCKER_ARCHIVE;
                        else if (str_eq(p.value, "oci-archive"))
                                format = IMAGE_SAVE_OCI_ARCHIVE;
                        else
                                return cli_usage_error(
                                        "save",
                                        "--format: expected docker-archive or oci-archive, not \"%s\"",
                                        p.value);
                        break;
                case OPT_HELP:
                        printf("usage: cell save [-o FILE] [--format docker-archive|oci-archive] IMAGE...\n\n"
                               "Write images to a tar archive (docker-archive by default), to FILE or "
                               "stdout.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("save", "%s", p.errbuf);
                }
        }
        if (p.index >= argc)
                return cli_usage_error("save", "missing IMAGE");
        if (!output && isatty(STDOUT_FILENO))
                return cli_usage_error("save",
                                       "cowardly refusing to write to a terminal (use -o FILE or redirect)");
        if (cli_open_image_store(g, &s, &err) < 0)
                return cli_fail("save", &err);
        if (output) {
                struct stat st;

                /* -o /dev/stdout, a fifo: written as it is. */
                if (stat(output, &st) == 0 && !S_ISREG(st.st_mode)) {
                        fd = open(output, O_WRONLY | O_CLOEXEC);
                        if (fd < 0) {
                                cell_error_errno(&err, "open %s", output);
                                return cli_fail("save", &err);
                        }
                        output = NULL;
                }
        }
        if (output) {
                /* Written beside the target and renamed: a failed save leaves no
                 * partial archive under the name asked for. */
                tmp = str_printf("%s.cell-tmp-%d", output, (int)getpid());
                if (!tmp)
                        return cli_fail("save", &(cell_error_t){.code = ENOMEM, .msg = "out of memory"});
                fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        cell_error_errno(&err, "open %s", tmp);
                        return cli_fail("save", &err);
                }
        }
        r = image_save(s, argv + p.index, (size_t)(argc - p.index), format, fd >= 0 ? fd : STDOUT_FILENO,
                       &err);
        if (r == 0 && output && fsync(fd) < 0)
                r = cell_error_errno(&err, "fsync %s", tmp);
        if (r == 0 && output && rename(tmp, output) < 0)
                r = cell_error_errno(&err, "rename %s", output);
        if (r < 0) {
                if (tmp)
                        unlink(tmp);
                return cli_fail("save", &err);
        }
        return 0;
}

int cmd_import(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"change", 'c', true, OPT_CHANGE},
                {"message", 'm', true, OPT_MESSAGE},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_strv_ char **changes = NULL;
        _cleanup_close_ int fd = -1;
        const char *message = NULL, *file, *ref = NULL;
        char id_buf[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_CHANGE:
                        if (strv_push(&changes, p.value) < 0)
                                return cli_usage_error("import", "out of memory");
                        break;
                case OPT_MESSAGE:
                        message = p.value;
                        break;
                case OPT_HELP:
                        printf("usage: cell import [-c CHANGE]... [-m MESSAGE] FILE|- [REFERENCE]\n\n"
                               "Make a one-layer image from a root file system tarball.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("import", "%s", p.errbuf);
                }
        }
        if (p.index >= argc)
                return cli_usage_error("import", "missing FILE (or - for stdin)");
        if (argc - p.index > 2)
                return cli_usage_error("import", "unexpected argument \"%s\"", argv[p.index + 2]);
        file = argv[p.index];
        if (argc - p.index == 2)
                ref = argv[p.index + 1];
        if (!str_eq(file, "-")) {
                fd = open(file, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        cell_error_errno(&err, "open %s", file);
                        return cli_fail("import", &err);
                }
        }
        if (cli_open_image_store(g, &s, &err) < 0 ||
            image_import(s, fd >= 0 ? fd : STDIN_FILENO, ref, changes, message, id_buf, &err) < 0)
                return cli_fail("import", &err);
        printf("%s\n", id_buf);
        return 0;
}

/* `cell image load|save|import`. The other `image` subcommands live with
 * the listing commands; this dispatcher is the merge point. */
