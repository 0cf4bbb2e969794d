/* cell: pull, push, login, logout — the registry commands, with Docker's
 * flags and output. The work is lib/registry's; this file parses the
 * command line and prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "distribution.h"
#include "fsutil.h"
#include "layers.h"
#include "options.h"
#include "proto.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"

enum {
        OPT_QUIET = 1,
        OPT_USER,
        OPT_PASS,
        OPT_PASS_STDIN,
        OPT_HELP,
};

/* Docker shows a layer by the first 12 hex digits of its digest. */
static const char *short_id(const char *digest)
{
        static __thread char buf[13];

        str_copy(buf, sizeof(buf), str_has_prefix(digest, "sha256:") ? digest + 7 : digest);
        return buf;
}

typedef struct print_ctx {
        bool quiet;
        bool push;
} print_ctx_t;

static void on_event(void *ctx, registry_event_kind_t kind, const char *digest)
{
        print_ctx_t *p = ctx;

        if (p->quiet)
                return;
        switch (kind) {
        case REGISTRY_EV_LAYER_EXISTS:
                printf("%s: %s\n", short_id(digest), p->push ? "Layer already exists" : "Already exists");
                break;
        case REGISTRY_EV_LAYER_WAITING:
                printf("%s: Pulling fs layer\n", short_id(digest));
                break;
        case REGISTRY_EV_LAYER_COMPLETE:
                printf("%s: %s\n", short_id(digest), p->push ? "Pushed" : "Pull complete");
                break;
        case REGISTRY_EV_MIRROR:
                printf("Pulling from the mirror %s\n", digest);
                break;
        case REGISTRY_EV_RESOLVED:
        default:
                break;
        }
        fflush(stdout);
}

static char *familiar(const char *ref)
{
        _cleanup_image_ref_ image_ref_t *r = NULL;

        if (image_ref_parse(ref, &r, NULL) < 0)
                return strdup(ref);
        return image_ref_familiar(r);
}

int cmd_pull(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, OPT_QUIET},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_storage_stage_ storage_stage_t *stage = NULL;
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_free_ char *fam = NULL;
        registry_pull_result_t res = {0};
        print_ctx_t pc = {0};
        registry_events_t ev = {.ctx = &pc, .event = on_event};
        cell_error_t err = {0};
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_QUIET:
                        pc.quiet = !p.value;
                        break;
                case OPT_HELP:
                        printf("usage: cell pull [-q] NAME[:TAG|@DIGEST]\n\n"
                               "Download an image from a registry.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("pull", "%s", p.errbuf);
                }
        }
        if (p.index >= argc)
                return cli_usage_error("pull", "missing NAME[:TAG|@DIGEST]");
        if (p.index + 1 < argc)
                return cli_usage_error("pull", "unexpected argument \"%s\"", argv[p.index + 1]);
        if (image_ref_parse(argv[p.index], &rr, &err) < 0)
                return cli_fail("pull", &err);
        if (!pc.quiet) {
                printf("%s: Pulling from %s\n", rr->digest ? rr->digest : rr->tag, rr->path);
                fflush(stdout);
        }
        /* Layers are unpacked while they arrive (the stage of cell load):
         * the image is ready to run when pull returns. */
        if (cli_open_image_store(g, &s, &err) < 0 || storage_open(g->storage_root, &st, &err) < 0 ||
            storage_stage_new(st, s, &stage, &err) < 0 ||
            registry_pull(s, argv[p.index], storage_stage_sink(stage), &ev, &res, &err) < 0)
                return cli_fail("pull", &err);
        fam = familiar(res.name);
        if (!pc.quiet) {
                printf("Digest: %s\n", res.digest);
                printf("Status: %s for %s\n",
                       res.downloaded ? "Downloaded newer image" : "Image is up to date",
                       fam ? fam : res.name);
        }
        printf("%s\n", res.name);
        registry_pull_result_clear(&res);
        return 0;
}

int cmd_push(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, OPT_QUIET},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_free_ char *name = NULL;
        registry_push_result_t res = {0};
        print_ctx_t pc = {.push = true};
        registry_events_t ev = {.ctx = &pc, .event = on_event};
        cell_error_t err = {0};
        const char *src, *dest;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_QUIET:
                        pc.quiet = !p.value;
                        break;
                case OPT_HELP:
                        printf("usage: cell push [-q] IMAGE [DESTINATION]\n\n"
                               "Upload an image to a registry: IMAGE's own name, or DESTINATION.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("push", "%s", p.errbuf);
                }
        }
        if (p.index >= argc)
                return cli_usage_error("push", "missing IMAGE");
        if (p.index + 2 < argc)
                return cli_usage_error("push", "unexpected argument \"%s\"", argv[p.index + 2]);
        src = argv[p.index];
        dest = p.index + 1 < argc ? argv[p.index + 1] : NULL;
        if (image_ref_parse(dest ? dest : src, &rr, &err) < 0)
                return cli_fail("push", &err);
        name = image_ref_name(rr);
        if (!pc.quiet && name) {
                printf("The push refers to repository [%s]\n", name);
                fflush(stdout);
        }
        if (cli_open_image_store(g, &s, &err) < 0 || registry_push(s, src, dest, &ev, &res, &err) < 0)
                return cli_fail("push", &err);
        if (!pc.quiet)
                printf("%s: digest: %s size: %llu\n", res.tag ? res.tag : res.digest, res.digest,
                       (unsigned long long)res.size);
        else
                printf("%s%s%s\n", res.name, res.tag ? ":" : "@", res.tag ? res.tag : res.digest);
        registry_push_result_clear(&res);
        return 0;
}

/* The password from stdin, without its final newline. */
static char *read_password_stdin(cell_error_t *err)
{
        char *buf = NULL;
        size_t n = 0;
        ssize_t k = getline(&buf, &n, stdin);

        if (k < 0) {
                free(buf);
                cell_error_plain(err, EINVAL, "--password-stdin: nothing on stdin");
                return NULL;
        }
        while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == '\r'))
                buf[--k] = '\0';
        return buf;
}

static int auth_file_update(const char *key, const char *user, const char *pass, bool *ret_found,
                            cell_error_t *err)
{
        _cleanup_free_ char *path = registry_auth_write_path();
        _cleanup_free_ char *data = NULL, *out = NULL, *dir = NULL;
        size_t len = 0;
        char *slash;
        int k;

        if (!path)
                return cell_error_set(err, ENOMEM, "credentials");
        if (fs_exists(path) && fs_read_file(path, 1 << 20, &data, &len, err) < 0)
                return -1;
        out = registry_auth_update(data, len, key, user, pass, ret_found, err);
        if (data)
                explicit_bzero(data, len);
        if (!out)
                return cell_error_prefix(err, "%s", path);
        dir = strdup(path);
        slash = dir ? strrchr(dir, '/') : NULL;
        if (slash && slash != dir) {
                *slash = '\0';
                if (fs_mkdir_p(dir, 0700, err) < 0)
                        return -1;
        }
        /* 0600 from the start, and renamed into place: the file is never
         * readable by others, nor half-written. */
        k = fs_write_atomic(path, out, strlen(out), 0600, err);
        explicit_bzero(out, strlen(out));
        return k;
}

int cmd_login(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"username", 'u', true, OPT_USER},
                {"password", 'p', true, OPT_PASS},
                {"password-stdin", 0, false, OPT_PASS_STDIN},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_free_ char *key = NULL, *stdin_pass = NULL;
        const char *user = NULL, *pass = NULL;
        bool pass_stdin = false;
        cell_error_t err = {0};
        int id;

        (void)g;
        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_USER:
                        user = p.value;
                        break;
                case OPT_PASS:
                        pass = p.value;
                        break;
                case OPT_PASS_STDIN:
                        pass_stdin = true;
                        break;
                case OPT_HELP:
                        printf("usage: cell login -u USER (-p PASSWORD | --password-stdin) [SERVER]\n\n"
                               "Check credentials against a registry and keep them in $CELL_AUTH_FILE\n"
                               "(else ~/.docker/config.json). SERVER defaults to docker.io.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("login", "%s", p.errbuf);
                }
        }
        if (p.index + 1 < argc)
                return cli_usage_error("login", "unexpected argument \"%s\"", argv[p.index + 1]);
        if (pass && pass_stdin)
                return cli_usage_error("login", "--password and --password-stdin are mutually exclusive");
        if (!user)
                return cli_usage_error("login", "a username is needed (-u USER)");
        if (pass_stdin) {
                stdin_pass = read_password_stdin(&err);
                if (!stdin_pass)
                        return cli_fail("login", &err);
                pass = stdin_pass;
        }
        if (!pass)
                return cli_usage_error("login", "a password is needed (-p PASSWORD or --password-stdin)");
        if (!pass_stdin)
                fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
        key = registry_server_key(p.index < argc ? argv[p.index] : "docker.io");
        if (!key)
                return cli_usage_error("login", "invalid server \"%s\"", argv[p.index]);
        if (registry_login_check(key, user, pass, &err) < 0 ||
            auth_file_update(key, user, pass, NULL, &err) < 0) {
                if (stdin_pass)
                        explicit_bzero(stdin_pass, strlen(stdin_pass));
                return cli_fail("login", &err);
        }
        if (stdin_pass)
                explicit_bzero(stdin_pass, strlen(stdin_pass));
        printf("Login Succeeded\n");
        return 0;
}

int cmd_logout(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_free_ char *key = NULL;
        cell_error_t err = {0};
        bool found = false;
        int id;

        (void)g;
        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_HELP:
                        printf("usage: cell logout [SERVER]\n\nForget the credentials kept for SERVER "
                               "(docker.io by default).\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("logout", "%s", p.errbuf);
                }
        }
        if (p.index + 1 < argc)
                return cli_usage_error("logout", "unexpected argument \"%s\"", argv[p.index + 1]);
        key = registry_server_key(p.index < argc ? argv[p.index] : "docker.io");
        if (!key)
                return cli_usage_error("logout", "invalid server \"%s\"", argv[p.index]);
        if (auth_file_update(key, NULL, NULL, &found, &err) < 0)
                return cli_fail("logout", &err);
        if (found)
                printf("Removing login credentials for %s\n", key);
        else
                printf("Not logged in to %s\n", key);
        return 0;
}
