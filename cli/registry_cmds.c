/* cell: pull, push, login, logout — the registry commands, with Docker's
 * flags and output. The work is lib/registry's; this file parses the
 * command line and prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "distribution.h"
#include "fsutil.h"
#include "layers.h"
#include "listing.h"
#include "options.h"
#include "proto.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"

enum {
        OPT_QUIET = 1,
        OPT_ALL_TAGS,
        OPT_LIMIT,
        OPT_NO_TRUNC,
        OPT_USER,
        OPT_PASS,
        OPT_PASS_STDIN,
        OPT_HELP,
        OPT_TLS_VERIFY,
};

/* --tls-verify=false (podman's flag): this command reaches the registry
 * domain over plain HTTP, as CELL_INSECURE_REGISTRIES or registries.json's
 * insecure-registries do for every command. Only for this process. */
static int tls_off_for(const char *domain)
{
        _cleanup_free_ char *list = NULL;
        const char *old = getenv("CELL_INSECURE_REGISTRIES");

        list = old && *old ? str_printf("%s,%s", old, domain) : strdup(domain);
        if (!list || setenv("CELL_INSECURE_REGISTRIES", list, 1) < 0)
                return -ENOMEM;
        return 0;
}

/* Docker shows a layer by the first 12 hex digits of its digest. */
static const char *short_id(const char *digest)
{
        static __thread char buf[13];

        str_copy(buf, sizeof(buf), str_has_prefix(digest, "sha256:") ? digest + 7 : digest);
        return buf;
}

#define PROGRESS_ROWS 128

/* On a terminal, a pull keeps one line per layer and redraws it as bytes
 * come in (a bar, the bytes and the rate), as docker's does; otherwise each
 * change is a line of its own. */
typedef struct progress_row {
        char id[13];
        double start, last; /* seconds (monotonic) */
} progress_row_t;

typedef struct print_ctx {
        bool quiet;
        bool push;
        bool tty;
        progress_row_t rows[PROGRESS_ROWS];
        size_t n_rows;
} print_ctx_t;

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(double b, char *buf, size_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
        size_t u = 0;

        while (b >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
                b /= 1000;
                u++;
        }
        snprintf(buf, n, u ? "%.1f%s" : "%.0f%s", b, units[u]);
}

static progress_row_t *row_of(print_ctx_t *p, const char *digest, size_t *ret_i)
{
        const char *id = short_id(digest);

        for (size_t i = 0; i < p->n_rows; i++)
                if (strcmp(p->rows[i].id, id) == 0) {
                        *ret_i = i;
                        return &p->rows[i];
                }
        return NULL;
}

/* A new line for a layer (a row on a terminal). */
static void row_line(print_ctx_t *p, const char *digest, const char *text)
{
        printf("%s: %s\n", short_id(digest), text);
        if (p->tty && p->n_rows < PROGRESS_ROWS) {
                progress_row_t *r = &p->rows[p->n_rows++];

                str_copy(r->id, sizeof(r->id), short_id(digest));
                r->start = r->last = now_s();
        }
}

/* Rewrite a layer's row in place: up to it, clear it, write, back down. */
static void row_redraw(print_ctx_t *p, size_t i, const char *text)
{
        size_t up = p->n_rows - i;

        printf("\033[%zuA\r\033[K%s: %s\033[%zuB\r", up, p->rows[i].id, text, up);
        fflush(stdout);
}

static void on_progress(void *ctx, const char *digest, uint64_t done, int64_t total)
{
        print_ctx_t *p = ctx;
        progress_row_t *r;
        size_t i = 0, width = 40, fill;
        char bar[64], have[16], all[16], rate[16], text[160];
        double t;

        if (p->quiet || !p->tty || !(r = row_of(p, digest, &i)))
                return;
        t = now_s();
        if (t - r->last < 0.1 && (total < 0 || done < (uint64_t)total))
                return;
        r->last = t;
        fill = total > 0 ? (size_t)((double)done * (double)width / (double)total) : 0;
        if (fill > width)
                fill = width;
        memset(bar, '=', fill);
        bar[fill] = fill < width ? '>' : '=';
        memset(bar + fill + 1, ' ', fill < width ? width - fill - 1 : 0);
        bar[width] = '\0';
        human_bytes((double)done, have, sizeof(have));
        human_bytes(total > 0 ? (double)total : 0, all, sizeof(all));
        human_bytes(t > r->start ? (double)done / (t - r->start) : 0, rate, sizeof(rate));
        snprintf(text, sizeof(text), "%s [%s] %s/%s %s/s", p->push ? "Pushing" : "Downloading", bar, have,
                 total > 0 ? all : "?", rate);
        row_redraw(p, i, text);
}

static void on_event(void *ctx, registry_event_kind_t kind, const char *digest)
{
        print_ctx_t *p = ctx;
        size_t i = 0;

        if (p->quiet)
                return;
        switch (kind) {
        case REGISTRY_EV_LAYER_EXISTS:
                if (p->push && p->tty && row_of(p, digest, &i))
                        row_redraw(p, i, "Layer already exists");
                else
                        row_line(p, digest, p->push ? "Layer already exists" : "Already exists");
                break;
        case REGISTRY_EV_LAYER_WAITING:
                /* A push shows its layers' rows on a terminal only; its
                 * plain output is one line per layer when it is done. */
                if (!p->push)
                        row_line(p, digest, "Pulling fs layer");
                else if (p->tty)
                        row_line(p, digest, "Preparing");
                break;
        case REGISTRY_EV_LAYER_COMPLETE:
                if (p->tty && row_of(p, digest, &i))
                        row_redraw(p, i, p->push ? "Pushed" : "Pull complete");
                else
                        printf("%s: %s\n", short_id(digest), p->push ? "Pushed" : "Pull complete");
                break;
        case REGISTRY_EV_LAYER_MOUNTED: {
                const char *sp = strchr(digest, ' ');
                _cleanup_free_ char *d = sp ? strndup(digest, (size_t)(sp - digest)) : strdup(digest);

                _cleanup_free_ char *text = str_printf("Mounted from %s", sp ? sp + 1 : "another repository");

                if (p->tty && row_of(p, d ? d : digest, &i))
                        row_redraw(p, i, text ? text : "Mounted");
                else
                        printf("%s: %s\n", short_id(d ? d : digest), text ? text : "Mounted");
                break;
        }
        case REGISTRY_EV_LAYER_RESUMED:
                if (p->tty && row_of(p, digest, &i))
                        row_redraw(p, i, "Resuming download");
                else
                        row_line(p, digest, "Resuming download");
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

/* One pull, with docker's lines. The stage unpacks layers while they
 * arrive (cell load's): the image is ready to run when pull returns. */
static int pull_one(const cli_global_t *g, image_store_t *s, storage_t *st, const char *ref, print_ctx_t *pc,
                    bool last_line, cell_error_t *err)
{
        _cleanup_storage_stage_ storage_stage_t *stage = NULL;
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_free_ char *fam = NULL;
        registry_pull_result_t res = {0};
        registry_events_t ev = {.ctx = pc, .event = on_event, .progress = on_progress};

        (void)g;
        pc->tty = isatty(1) == 1;
        pc->n_rows = 0;
        if (image_ref_parse(ref, &rr, err) < 0)
                return -1;
        if (!pc->quiet) {
                printf("%s: Pulling from %s\n", rr->digest ? rr->digest : rr->tag, rr->path);
                fflush(stdout);
        }
        if (storage_stage_new(st, s, &stage, err) < 0 ||
            registry_pull(s, ref, storage_stage_sink(stage), &ev, &res, err) < 0)
                return -1;
        fam = familiar(res.name);
        if (!pc->quiet) {
                printf("Digest: %s\n", res.digest);
                printf("Status: %s for %s\n",
                       res.downloaded ? "Downloaded newer image" : "Image is up to date",
                       fam ? fam : res.name);
        }
        if (last_line)
                printf("%s\n", res.name);
        fflush(stdout);
        registry_pull_result_clear(&res);
        return 0;
}

/* --all-tags: every tag the registry lists for REPO, one pull each, then
 * the repository's name (docker's last line). */
static int pull_all_tags(const cli_global_t *g, image_store_t *s, storage_t *st, const char *repo,
                         print_ctx_t *pc, cell_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_strv_ char **tags = NULL;

        if (registry_list_tags(repo, &name, &tags, err) < 0)
                return -1;
        if (!tags || !tags[0])
                return cell_error_plain(err, ENOENT, "%s: the registry lists no tags", name);
        for (size_t i = 0; tags[i]; i++) {
                _cleanup_free_ char *ref = str_printf("%s:%s", name, tags[i]);

                if (!ref)
                        return cell_error_set(err, ENOMEM, "pull");
                if (pull_one(g, s, st, ref, pc, false, err) < 0)
                        return -1;
        }
        printf("%s\n", name);
        return 0;
}

int cmd_pull(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, OPT_QUIET},
                {"all-tags", 'a', false, OPT_ALL_TAGS},
                {"tls-verify", 0, false, OPT_TLS_VERIFY},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        print_ctx_t pc = {0};
        bool all_tags = false, tls_off = false;
        cell_error_t err = {0};
        const char *last;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_QUIET:
                        pc.quiet = !p.value;
                        break;
                case OPT_ALL_TAGS:
                        all_tags = !p.value;
                        break;
                case OPT_TLS_VERIFY:
                        tls_off = p.value != NULL && str_eq(p.value, "false");
                        break;
                case OPT_HELP:
                        printf("usage: cell pull [-q] [-a|--all-tags] [--tls-verify=false] "
                               "NAME[:TAG|@DIGEST]\n\n"
                               "Download an image from a registry; with --all-tags, every tag of\n"
                               "the repository NAME.\n");
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
        if (tls_off && tls_off_for(rr->domain) < 0)
                return 1;
        /* The parser fills in "latest"; docker refuses a tag the user wrote. */
        last = strrchr(argv[p.index], '/');
        if (all_tags && (rr->digest || strchr(last ? last : argv[p.index], ':')))
                return cli_usage_error("pull", "tag can't be used with --all-tags/-a");
        if (cli_open_image_store(g, &s, &err) < 0 || storage_open(g->storage_root, &st, &err) < 0)
                return cli_fail("pull", &err);
        if (all_tags ? pull_all_tags(g, s, st, argv[p.index], &pc, &err)
                     : pull_one(g, s, st, argv[p.index], &pc, true, &err))
                return cli_fail("pull", &err);
        return 0;
}

/* docker's table: a column is as wide as its widest cell plus 3, at least
 * 20 (its tabwriter's settings); the last one is not padded. */
static void search_print(char **names, size_t n, const char *domain, bool no_trunc)
{
        int w = 20;

        (void)no_trunc; /* no descriptions to cut: a catalog has none */
        for (size_t i = 0; i < n; i++) {
                int l = (int)(strlen(domain) + 1 + strlen(names[i]) + 3);

                if (l > w)
                        w = l;
        }
        printf("%-*s%-*s%-*s%s\n", w, "NAME", 20, "DESCRIPTION", 20, "STARS", "OFFICIAL");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *name = str_printf("%s/%s", domain, names[i]);

                printf("%-*s%-*s%-*s%s\n", w, name ? name : names[i], 20, "", 20, "0", "");
        }
}

int cmd_search(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"limit", 0, true, OPT_LIMIT},
                {"no-trunc", 0, false, OPT_NO_TRUNC},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_strv_ char **names = NULL, **hits = NULL;
        _cleanup_free_ char *domain = NULL;
        const char *term, *slash;
        unsigned long limit = 25;
        bool no_trunc = false;
        cell_error_t err = {0};
        char *end = NULL;
        size_t n = 0;
        int id;

        (void)g;
        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_LIMIT:
                        errno = 0;
                        limit = strtoul(p.value, &end, 10);
                        if (errno || !end || *end || end == p.value || limit < 1 || limit > 100)
                                return cli_usage_error("search", "invalid limit \"%s\": not in [1, 100]",
                                                       p.value);
                        break;
                case OPT_NO_TRUNC:
                        no_trunc = !p.value;
                        break;
                case OPT_HELP:
                        printf("usage: cell search [--limit N] [--no-trunc] [REGISTRY/]TERM\n\n"
                               "List the repositories of a registry whose name contains TERM, from its\n"
                               "catalog (/v2/_catalog). REGISTRY defaults to docker.io, which does not\n"
                               "offer one.\n");
                        return 0;
                case -1:
                default:
                        return cli_usage_error("search", "%s", p.errbuf);
                }
        }
        if (p.index >= argc)
                return cli_usage_error("search", "missing TERM");
        if (p.index + 1 < argc)
                return cli_usage_error("search", "unexpected argument \"%s\"", argv[p.index + 1]);
        term = argv[p.index];
        slash = strchr(term, '/');
        /* "HOST/term" names a registry as a reference's domain does: a dot,
         * a port or localhost before the first slash. */
        if (slash &&
            (memchr(term, '.', (size_t)(slash - term)) || memchr(term, ':', (size_t)(slash - term)) ||
             (slash - term == 9 && strncmp(term, "localhost", 9) == 0))) {
                domain = strndup(term, (size_t)(slash - term));
                term = slash + 1;
        } else {
                domain = strdup("docker.io");
        }
        if (!domain)
                return cli_usage_error("search", "out of memory");
        if (registry_catalog(domain, 0, &names, &err) < 0)
                return cli_fail("search", &err);
        hits = calloc(1, sizeof(char *));
        if (!hits)
                return cli_usage_error("search", "out of memory");
        for (size_t i = 0; names && names[i] && n < limit; i++)
                if (strstr(names[i], term)) {
                        if (strv_push(&hits, names[i]) < 0)
                                return cli_usage_error("search", "out of memory");
                        n++;
                }
        search_print(hits, n, domain, no_trunc);
        return 0;
}

int cmd_push(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, OPT_QUIET},
                {"tls-verify", 0, false, OPT_TLS_VERIFY},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_free_ char *name = NULL;
        registry_push_result_t res = {0};
        print_ctx_t pc = {.push = true, .tty = isatty(1) == 1};
        registry_events_t ev = {.ctx = &pc, .event = on_event, .progress = on_progress};
        cell_error_t err = {0};
        const char *src, *dest;
        bool tls_off = false;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case OPT_QUIET:
                        pc.quiet = !p.value;
                        break;
                case OPT_TLS_VERIFY:
                        tls_off = p.value != NULL && str_eq(p.value, "false");
                        break;
                case OPT_HELP:
                        printf("usage: cell push [-q] [--tls-verify=false] IMAGE [DESTINATION]\n\n"
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
        if (tls_off && tls_off_for(rr->domain) < 0)
                return 1;
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
                {"tls-verify", 0, false, OPT_TLS_VERIFY},
                {"help", 'h', false, OPT_HELP},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_free_ char *key = NULL, *stdin_pass = NULL;
        const char *user = NULL, *pass = NULL;
        bool pass_stdin = false;
        cell_error_t err = {0};
        bool tls_off = false;
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
                case OPT_TLS_VERIFY:
                        tls_off = p.value != NULL && str_eq(p.value, "false");
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
        if (tls_off && tls_off_for(key) < 0)
                return 1;
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
