/* cell: `cell build` (see builder.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonutil.h"
#include "advice.h"
#include "builder.h"
#include "cleanup.h"
#include "config.h"
#include "context.h"
#include "copy.h"
#include "dockerfile.h"
#include "expand.h"
#include "fsutil.h"
#include "imagecommit.h"
#include "layers.h"
#include "lifecycle.h"
#include "passwd.h"
#include "proc.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"

/* The PATH BuildKit gives a stage whose image sets none. */
#define BUILD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ARGs every build knows without declaring them (Docker's predefined ones). */
static const char *const predefined_args[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                              "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                              "ALL_PROXY",  "all_proxy",  NULL};

typedef struct stage_state {
        storage_image_t img; /* the current image; img.id "" before the first one is written */
        char **args;         /* the ARGs in scope: NAME=VALUE, or NAME when declared without a value */
        bool built;
        int user_line; /* the line of the USER in effect (or of FROM): advice's */
        bool cmd_set;  /* a CMD of this stage's own (ENTRYPOINT keeps it) */
        /* ARGs with a value set after the last ENV of their name: BuildKit
         * keeps one environment per stage, in which an ARG declared later
         * overrides the image's ENV of that name (for substitution and for
         * RUN, not in the image's config); a later ENV overrides it again. */
        char **arg_env;
} stage_state_t;

typedef struct builder {
        engine_t *e;
        const build_opts_t *o;
        FILE *out;
        image_store_t *store;
        build_context_t *ctx;
        dockerfile_t *df;
        stage_state_t *stages;
        char **global_args; /* ARGs before the first FROM, as declared and overridden */
        int step, n_steps;
        char *cache_dir;
        build_advice_t advice;
        bool *deps; /* deps[s * n_stages + d]: stage s uses stage d */
        int *step_base;
} builder_t;

/* ---- small helpers ---- */

static const char *kv_value(char *const *v, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; v && v[i]; i++)
                if (strncmp(v[i], name, n) == 0 && v[i][n] == '=')
                        return v[i] + n + 1;
        return NULL;
}

/* Remove NAME=... from a vector, if there. */
static void kv_unset(char **v, const char *name)
{
        size_t n = strlen(name), j = 0;

        for (size_t i = 0; v && v[i]; i++) {
                if (strncmp(v[i], name, n) == 0 && v[i][n] == '=')
                        free(v[i]);
                else
                        v[j++] = v[i];
        }
        if (v)
                v[j] = NULL;
}

/* Set NAME (to "NAME=VALUE", or bare NAME when value is NULL) in a vector. */
static int kv_set(char ***v, const char *name, const char *value)
{
        _cleanup_free_ char *item = value ? str_printf("%s=%s", name, value) : strdup(name);
        size_t n = strlen(name);

        if (!item)
                return -ENOMEM;
        for (size_t i = 0; *v && (*v)[i]; i++)
                if (strncmp((*v)[i], name, n) == 0 && ((*v)[i][n] == '=' || (*v)[i][n] == '\0')) {
                        free((*v)[i]);
                        (*v)[i] = steal_pointer(&item);
                        return 0;
                }
        return strv_push(v, item);
}

/* The value a --build-arg gives NAME, or NULL. */
static const char *build_arg(const builder_t *b, const char *name, bool *ret_given)
{
        size_t n = strlen(name);

        *ret_given = false;
        for (size_t i = 0; b->o->build_args && b->o->build_args[i]; i++) {
                const char *a = b->o->build_args[i];

                if (strncmp(a, name, n) != 0)
                        continue;
                if (a[n] == '=') {
                        *ret_given = true;
                        return a + n + 1;
                }
                if (a[n] == '\0') {
                        /* --build-arg NAME: its value from the environment. */
                        *ret_given = getenv(name) != NULL;
                        return getenv(name);
                }
        }
        return NULL;
}

static char *time_string(const builder_t *b)
{
        if (b->o->source_date_epoch >= 0) {
                time_t t = (time_t)b->o->source_date_epoch;
                struct tm tm;
                char buf[64];

                gmtime_r(&t, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                return strdup(buf);
        }
        return engine_time_now();
}

typedef struct lookup_ctx {
        char *const *arg_env;
        char *const *env;
        char *const *args;
} lookup_ctx_t;

/* Whichever of ENV and ARG set the name last wins (stage_state_t.arg_env). */
static const char *lookup(const char *name, void *ud)
{
        const lookup_ctx_t *l = ud;
        const char *v = kv_value(l->arg_env, name);

        if (!v)
                v = kv_value(l->env, name);
        return v ? v : kv_value(l->args, name);
}

static int expand(const builder_t *b, const stage_state_t *st, const char *in, char **ret, cell_error_t *err)
{
        lookup_ctx_t l = {.arg_env = st ? st->arg_env : NULL,
                          .env = st ? st->img.config->config.env : NULL,
                          .args = st ? st->args : b->global_args};

        return dockerfile_expand(in, b->df->escape, lookup, &l, ret, err);
}

static int expand_words(const builder_t *b, const stage_state_t *st, const char *in, char ***ret,
                        cell_error_t *err)
{
        lookup_ctx_t l = {.arg_env = st->arg_env, .env = st->img.config->config.env, .args = st->args};

        return dockerfile_expand_words(in, b->df->escape, lookup, &l, ret, err);
}

static int instr_error(const builder_t *b, const dockerfile_instr_t *in, cell_error_t *err)
{
        return cell_error_prefix(err, "%s:%d", b->df->name, in->line);
}

/* The owner BuildKit gives files and directories for USER or --chown
 * USER[:GROUP]: a user name is looked up in the image's etc/passwd (its uid
 * and primary gid), a numeric user is taken as it is with the same number
 * as its gid (no lookup); a group, by name from etc/group or by number,
 * replaces the gid. */
static int buildkit_owner(int rootfd, const char *spec, uid_t *ret_uid, gid_t *ret_gid, cell_error_t *err)
{
        _cleanup_free_ char *user = strdup(spec);
        char *group = user ? strchr(user, ':') : NULL;
        engine_user_t u = {0};

        if (!user)
                return cell_error_set(err, ENOMEM, "user %s", spec);
        if (group)
                *group++ = '\0';
        if (*user && strspn(user, "0123456789") == strlen(user)) {
                unsigned long n = strtoul(user, NULL, 10);

                if (n > UINT32_MAX - 1)
                        return cell_error_plain(err, ERANGE, "user %s: out of range", user);
                *ret_uid = (uid_t)n;
                *ret_gid = (gid_t)n;
        } else {
                if (engine_user_resolve(rootfd, user, &u, err) < 0)
                        return -1;
                *ret_uid = u.uid;
                *ret_gid = u.gid;
                engine_user_clear(&u);
        }
        if (group && *group) {
                _cleanup_free_ char *g = str_printf("0:%s", group);

                if (!g)
                        return cell_error_set(err, ENOMEM, "group %s", group);
                if (engine_user_resolve(rootfd, g, &u, err) < 0)
                        return -1;
                *ret_gid = u.gid;
                engine_user_clear(&u);
        }
        return 0;
}

/* ---- images ---- */

static int load_image(builder_t *b, const char *ref, storage_image_t *ret, cell_error_t *err)
{
        storage_image_clear(ret);
        return storage_image_find(b->store, ref, ret, err);
}

/* A scratch stage's starting point: an empty config, no layers. */
static int scratch_image(storage_image_t *ret, cell_error_t *err)
{
        /* BuildKit's empty image has a WorkingDir of "/" and the default
         * PATH. */
        static const char empty[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                                    "\"Env\":[\"PATH=" BUILD_DEFAULT_PATH "\"],\"WorkingDir\":\"/\"},"
                                    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

        storage_image_clear(ret);
        ret->config = image_config_parse(empty, sizeof(empty) - 1, err);
        ret->manifest = calloc(1, sizeof(*ret->manifest));
        if (!ret->config || !ret->manifest)
                return ret->config ? cell_error_set(err, ENOMEM, "scratch") : -1;
        ret->manifest->kind = IMAGE_DOC_OCI_MANIFEST;
        ret->id[0] = '\0';
        return 0;
}

/* One more history entry (and with layer, one more diff id), written as a
 * new image that becomes the stage's. */
static int write_step(builder_t *b, stage_state_t *st, const char *created_by,
                      const image_descriptor_t *layer, const char *diff_id, cell_error_t *err)
{
        image_config_t *c = st->img.config;
        _cleanup_free_ char *now = time_string(b);
        char id[IMAGE_DIGEST_STR_SIZE];

        if (!now)
                return cell_error_set(err, ENOMEM, "build");
        if (image_config_add_step(c, now, created_by, NULL, "buildkit.dockerfile.v0", layer ? diff_id : NULL,
                                  err) < 0)
                return -1;
        c->has_config = true;
        if (engine_image_write(b->store, c, st->img.manifest, layer, NULL, true, id, err) < 0)
                return -1;
        return load_image(b, id, &st->img, err);
}

/* ---- the cache ---- */

static int cache_key(const builder_t *b, const stage_state_t *st, const char *what, const char *extra,
                     char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_free_ char *args = NULL, *text = NULL;
        _cleanup_strv_ char **sorted = NULL;

        for (size_t i = 0; st->args && st->args[i]; i++)
                if (strv_push(&sorted, st->args[i]) < 0)
                        return cell_error_set(err, ENOMEM, "cache key");
        if (sorted)
                strv_sort(sorted, strv_length(sorted));
        args = sorted ? strv_join(sorted, "\n") : strdup("");
        {
                /* Which ARGs override an ENV changes what a step sees. */
                _cleanup_free_ char *over = st->arg_env ? strv_join(st->arg_env, "\n") : NULL;
                char *both = args ? str_printf("%s\narg_env:%s", args, over ? over : "") : NULL;

                free(args);
                args = both;
        }
        text = str_printf("cell-build-cache-v1\nparent=%s\nstep=%s\nargs=%s\nextra=%s\nsde=%lld\n",
                          st->img.id[0] ? st->img.id : "scratch", what, args ? args : "", extra ? extra : "",
                          (long long)b->o->source_date_epoch);
        if (!args || !text)
                return cell_error_set(err, ENOMEM, "cache key");
        return image_digest_data(text, strlen(text), ret, err);
}

/* The image a key gave before, if it is still in the store. */
static bool cache_get(builder_t *b, stage_state_t *st, const char *key)
{
        _cleanup_free_ char *path = str_printf("%s/%s", b->cache_dir, key + 7), *data = NULL;
        storage_image_t img = {0};
        size_t len = 0;

        if (b->o->no_cache || !path || fs_read_file(path, 128, &data, &len, NULL) < 0)
                return false;
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
                data[--len] = '\0';
        if (storage_image_find(b->store, data, &img, NULL) < 0 || !str_eq(img.id, data)) {
                storage_image_clear(&img);
                return false;
        }
        storage_image_clear(&st->img);
        st->img = img;
        return true;
}

static void cache_put(builder_t *b, const char *key, const char *id)
{
        _cleanup_free_ char *path = str_printf("%s/%s", b->cache_dir, key + 7);
        _cleanup_free_ char *line = str_printf("%s\n", id);

        if (path && line)
                fs_write_atomic(path, line, strlen(line), 0600, NULL);
}

/* ---- containers for RUN, COPY and ADD ---- */

/* The label on a step's container: "PID:STARTTIME" of the build. */
#define BUILD_STEP_LABEL "io.cell.build.step"

/* Step containers of builds that are gone (killed): removed, so a killed
 * build leaves nothing for long. A live build's are left alone. */
static void remove_stale_steps(engine_t *e)
{
        _cleanup_strv_ char **ids = NULL;

        if (engine_container_list(e, &ids, NULL) < 0)
                return;
        for (size_t i = 0; ids && ids[i]; i++) {
                json_t *rec = NULL;
                const char *owner;
                int pid = 0;
                unsigned long long start = 0;

                if (engine_record_read(e, ids[i], &rec, NULL) < 0)
                        continue;
                owner = json_string_value(json_object_get(
                        json_object_get(json_object_get(rec, "Config"), "Labels"), BUILD_STEP_LABEL));
                if (owner && sscanf(owner, "%d:%llu", &pid, &start) == 2 && !proc_alive((pid_t)pid, start)) {
                        cell_error_t ignored = {0};

                        engine_remove(e, ids[i], true, true, &ignored);
                }
                json_decref(rec);
        }
}

/* Make sure the stage has an image in the store (a scratch stage has none
 * before its first step): containers are made from image ids. */
static int ensure_image(builder_t *b, stage_state_t *st, cell_error_t *err)
{
        char id[IMAGE_DIGEST_STR_SIZE];

        if (st->img.id[0])
                return 0;
        if (engine_image_write(b->store, st->img.config, st->img.manifest, NULL, NULL, true, id, err) < 0)
                return -1;
        return load_image(b, id, &st->img, err);
}

/* A container of the stage's image, not started; ret_id gets its id.
 * mounts: HostConfig.Mounts for RUN --mount (taken; may be NULL). */
static int step_container(builder_t *b, stage_state_t *st, char *const *argv, json_t *mounts,
                          char ret_id[ENGINE_ID_LEN + 1], cell_error_t *err)
{
        const image_run_config_t *rc;
        json_t *config, *hc, *env, *labels = NULL;
        engine_create_req_t req;
        const char *net = b->o->network;
        int r;

        if (ensure_image(b, st, err) < 0) {
                json_decref(mounts);
                return -1;
        }
        /* Only now: ensure_image may replace st->img (and free its config). */
        rc = &st->img.config->config;
        /* RUN sees the ARGs in scope as environment, below the image's ENV
         * unless set after it (arg_env). */
        env = json_array();
        for (size_t i = 0; rc->env && rc->env[i]; i++) {
                _cleanup_free_ char *name = strndup(rc->env[i], strcspn(rc->env[i], "="));
                const char *over = name ? kv_value(st->arg_env, name) : NULL;
                _cleanup_free_ char *item = over ? str_printf("%s=%s", name, over) : strdup(rc->env[i]);

                if (item)
                        json_array_append_new(env, json_string(item));
        }
        for (size_t i = 0; st->args && st->args[i]; i++) {
                const char *eq = strchr(st->args[i], '=');
                _cleanup_free_ char *name = eq ? strndup(st->args[i], (size_t)(eq - st->args[i])) : NULL;

                if (eq && name && !kv_value(rc->env, name))
                        json_array_append_new(env, json_string(st->args[i]));
        }
        /* No health checks for a step (the image's HEALTHCHECK is for its
         * containers). */
        {
                /* Who made it: a build killed on the way leaves its step's
                 * container, which the next build removes (see
                 * remove_stale_steps). */
                char owner[64];

                snprintf(owner, sizeof(owner), "%d:%llu", (int)getpid(), proc_starttime(getpid(), NULL));
                labels = json_pack("{s:s}", BUILD_STEP_LABEL, owner);
        }
        config = json_pack(
                "{s:s, s:o, s:[], s:o, s:s, s:s, s:b, s:b, s:{s:[s]}, s:o}", "Image", st->img.id, "Cmd",
                json_string_array(argv ? (const char *const *)argv : (const char *const[]){"true", NULL}),
                "Entrypoint", "Env", env, "WorkingDir", rc->working_dir ? rc->working_dir : "", "User",
                rc->user ? rc->user : "", "Tty", 0, "OpenStdin", 0, "Healthcheck", "Test", "NONE", "Labels",
                labels ? labels : json_object());
        /* A RUN step has the host's network by default (BuildKit's without
         * a CNI set-up): a build fetches, and a step pays for no bridge. */
        hc = json_pack("{s:s, s:b, s:{s:s, s:{}}, s:b, s:o}", "NetworkMode",
                       net && str_eq(net, "none") ? "none" : "host", "AutoRemove", 0, "LogConfig", "Type",
                       "none", "Config", "CellBuildStep", 1, "Mounts", mounts ? mounts : json_array());
        if (!config || !hc) {
                json_decref(config);
                json_decref(hc);
                return cell_error_set(err, ENOMEM, "build");
        }
        req = (engine_create_req_t){.config = config, .host_config = hc, .name = NULL};
        r = engine_create(b->e, &req, ret_id, err);
        json_decref(config);
        json_decref(hc);
        return r;
}

static void drop_container(builder_t *b, const char *id)
{
        cell_error_t ignored = {0};

        engine_remove(b->e, id, true, true, &ignored);
}

/* The container's writable layer as the stage's next step. */
static int commit_container(builder_t *b, stage_state_t *st, const char *cid, const char *created_by,
                            cell_error_t *err)
{
        image_descriptor_t layer = {0};
        char diff_id[IMAGE_DIGEST_STR_SIZE];

        if (engine_commit_store_layer(b->e, b->store, cid, b->o->source_date_epoch, &layer, diff_id, err) < 0)
                return -1;
        return write_step(b, st, created_by, &layer, diff_id, err);
}

/* ---- instructions ---- */

static char **shell_of(const stage_state_t *st)
{
        static char *const sh[] = {(char *)"/bin/sh", (char *)"-c", NULL};
        char **shell = st->img.config->config.shell;

        return shell && shell[0] ? shell : (char **)sh;
}

/* argv of a RUN, CMD or ENTRYPOINT: exec form as given, shell form through
 * the stage's SHELL. A RUN whose command is only a here-document runs its
 * body as the script; other here-documents go to the shell as written. */
static int command_argv(const stage_state_t *st, const dockerfile_instr_t *in, bool run, char ***ret,
                        cell_error_t *err)
{
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *script = NULL;

        if (in->cmd.exec_form) {
                for (size_t i = 0; in->cmd.argv && in->cmd.argv[i]; i++)
                        if (strv_push(&v, in->cmd.argv[i]) < 0)
                                return cell_error_set(err, ENOMEM, "build");
                if (!v && !(v = calloc(1, sizeof(*v))))
                        return cell_error_set(err, ENOMEM, "build");
                *ret = steal_pointer(&v);
                return 0;
        }
        script = strdup(in->cmd.argv && in->cmd.argv[0] ? in->cmd.argv[0] : "");
        if (run && in->n_heredocs > 0) {
                const char *t = script;

                while (*t == ' ' || *t == '\t')
                        t++;
                if (in->n_heredocs == 1 && str_has_prefix(t, "<<") && !strpbrk(t + 2, " \t|&;><")) {
                        free(script);
                        script = strdup(in->heredocs[0].content);
                } else {
                        for (size_t i = 0; i < in->n_heredocs && script; i++) {
                                char *n = str_printf("%s\n%s%s", script, in->heredocs[i].content,
                                                     in->heredocs[i].name);

                                free(script);
                                script = n;
                        }
                }
        }
        if (!script)
                return cell_error_set(err, ENOMEM, "build");
        for (char **s = shell_of(st); *s; s++)
                if (strv_push(&v, *s) < 0)
                        return cell_error_set(err, ENOMEM, "build");
        if (strv_push(&v, script) < 0)
                return cell_error_set(err, ENOMEM, "build");
        *ret = steal_pointer(&v);
        return 0;
}

static char *argv_text(char *const *argv)
{
        return strv_join(argv, " ");
}

static int from_root(builder_t *b, const char *from, char ret_cid[ENGINE_ID_LEN + 1], int *ret_fd,
                     cell_error_t *err);

/* What RUN --mount needs after the step: the containers lent for
 * from=STAGE binds, the mount points that did not exist before (removed
 * from the layer again: a secret's place must not stay in the image). */
typedef struct run_mounts {
        json_t *mounts;
        char **lent;   /* container ids */
        char **stubs;  /* absolute paths in the container, made for a mount */
        char **leaves; /* the same, but the directories made above them stay */
} run_mounts_t;

static void run_mounts_clear(builder_t *b, run_mounts_t *rm)
{
        json_decref(rm->mounts);
        for (size_t i = 0; rm->lent && rm->lent[i]; i++)
                drop_container(b, rm->lent[i]);
        strv_free(rm->lent);
        strv_free(rm->stubs);
        strv_free(rm->leaves);
        memset(rm, 0, sizeof(*rm));
}

/* The file of secret id (--secret id=ID,src=FILE), newly allocated, or NULL. */
static char *secret_source(const builder_t *b, const char *id)
{
        for (size_t i = 0; b->o->secrets && b->o->secrets[i]; i++) {
                const char *s = b->o->secrets[i], *src = NULL;
                _cleanup_free_ char *copy = strdup(s);
                char *save = NULL;
                bool match = false;

                for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
                        if (str_has_prefix(t, "id="))
                                match = str_eq(t + 3, id);
                        else if (str_has_prefix(t, "src=") || str_has_prefix(t, "source="))
                                src = s + (strchr(t, '=') + 1 - copy);
                }
                if (match && src)
                        return strndup(src, strcspn(src, ","));
        }
        return NULL;
}

/* HostConfig.Mounts for a RUN's --mount flags. */
static int run_mounts_make(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, run_mounts_t *rm,
                           cell_error_t *err)
{
        rm->mounts = json_array();
        if (!rm->mounts)
                return cell_error_set(err, ENOMEM, "--mount");
        for (size_t i = 0; i < in->n_mounts; i++) {
                const dockerfile_mount_t *m = &in->mounts[i];
                _cleanup_free_ char *target = NULL, *src = NULL;
                json_t *j = NULL;

                if (!m->target)
                        return cell_error_plain(err, EINVAL, "RUN --mount: no target");
                if (expand(b, st, m->target, &target, err) < 0)
                        return -1;
                if (target[0] != '/') {
                        char *abs = str_printf(
                                "%s/%s",
                                st->img.config->config.working_dir ? st->img.config->config.working_dir : "",
                                target);

                        free(target);
                        target = abs;
                        if (!target)
                                return cell_error_set(err, ENOMEM, "--mount");
                }
                switch (m->type) {
                case DOCKERFILE_MOUNT_CACHE: {
                        /* One directory per cache id, kept across builds. */
                        char key[IMAGE_DIGEST_STR_SIZE];
                        const char *id = m->id ? m->id : target;

                        if (image_digest_data(id, strlen(id), key, err) < 0)
                                return -1;
                        src = str_printf("%s/build-cache-mounts/%.32s", b->e->storage_root, key + 7);
                        if (!src || fs_mkdir_p(src, 0755, err) < 0)
                                return src ? -1 : cell_error_set(err, ENOMEM, "--mount");
                        if (m->uid >= 0 || m->gid >= 0)
                                (void)!chown(src, m->uid >= 0 ? (uid_t)m->uid : (uid_t)-1,
                                             m->gid >= 0 ? (gid_t)m->gid : (gid_t)-1);
                        j = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", src, "Target", target,
                                      "ReadOnly", 0);
                        break;
                }
                case DOCKERFILE_MOUNT_SECRET: {
                        const char *id = m->id ? m->id : "";
                        _cleanup_free_ char *path = secret_source(b, id);

                        if (!path || access(path, R_OK) < 0) {
                                if (m->required)
                                        return cell_error_plain(
                                                err, ENOENT,
                                                "RUN --mount=type=secret: secret %s not provided "
                                                "(--secret id=%s,src=FILE)",
                                                id, id);
                                continue;
                        }
                        /* Read-only, never copied: the file stays on the
                         * host, and its mount point leaves the layer. */
                        j = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", path, "Target",
                                      target, "ReadOnly", 1);
                        break;
                }
                case DOCKERFILE_MOUNT_TMPFS:
                        j = json_pack("{s:s, s:s}", "Type", "tmpfs", "Target", target);
                        break;
                case DOCKERFILE_MOUNT_BIND: {
                        _cleanup_free_ char *source = NULL;
                        const char *base;

                        if (expand(b, st, m->source ? m->source : "/", &source, err) < 0)
                                return -1;
                        if (m->from) {
                                char cid[ENGINE_ID_LEN + 1];
                                _cleanup_close_ int fd = -1;

                                if (from_root(b, m->from, cid, &fd, err) < 0)
                                        return -1;
                                if (strv_push(&rm->lent, cid) < 0)
                                        return cell_error_set(err, ENOMEM, "--mount");
                                src = engine_container_path(b->e, cid, "merged");
                        } else {
                                src = strdup(build_context_dir(b->ctx));
                        }
                        if (!src)
                                return cell_error_set(err, ENOMEM, "--mount");
                        /* The source stays inside its root: resolved there
                         * (symlinks and .. cannot leave it), and the host
                         * path it resolved to is what is bound. */
                        {
                                _cleanup_close_ int root = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
                                int fd = root >= 0 ? fs_open_in_root(root, source, O_PATH | O_CLOEXEC, 0, err)
                                                   : -1;
                                char buf[64], real[4096];
                                ssize_t k;

                                if (fd < 0)
                                        return root >= 0 ? cell_error_prefix(err, "RUN --mount source %s",
                                                                             source)
                                                         : cell_error_errno(err, "open %s", src);
                                base = fs_fd_path(fd, buf, sizeof(buf));
                                k = readlink(base, real, sizeof(real) - 1);
                                close(fd);
                                if (k <= 0)
                                        return cell_error_errno(err, "RUN --mount source %s", source);
                                real[k] = '\0';
                                free(src);
                                src = strdup(real);
                                if (!src)
                                        return cell_error_set(err, ENOMEM, "--mount");
                        }
                        j = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", src, "Target", target,
                                      "ReadOnly", m->readonly);
                        break;
                }
                case DOCKERFILE_MOUNT_SSH:
                default:
                        return cell_error_plain(err, ENOTSUP, "RUN --mount=type=ssh is not supported");
                }
                if (!j || json_array_append_new(rm->mounts, j) < 0)
                        return cell_error_set(err, ENOMEM, "--mount");
                /* BuildKit (docker 20.10) leaves the mount points of bind,
                 * cache and tmpfs mounts in the layer (empty directories
                 * when the image had none); of a secret's it removes the
                 * file but keeps the directories made for it
                 * (/run/secrets). */
                if (m->type == DOCKERFILE_MOUNT_SECRET && strv_push(&rm->leaves, target) < 0)
                        return cell_error_set(err, ENOMEM, "--mount");
        }
        /* The runtime makes these as mount points for the host's files when
         * the image lacks them; BuildKit's RUN leaves none of them behind. */
        if (strv_push(&rm->stubs, "/etc/hosts") < 0 || strv_push(&rm->stubs, "/etc/resolv.conf") < 0 ||
            strv_push(&rm->stubs, "/etc/hostname") < 0)
                return cell_error_set(err, ENOMEM, "--mount");
        return 0;
}

/* Before the RUN: keep only the mount points (and their parents) that the
 * image lacks; those the runtime makes are removed from the layer after. */
static int stubs_keep_missing(builder_t *b, const char *cid, run_mounts_t *rm, cell_error_t *err)
{
        _cleanup_free_ char *merged = engine_container_path(b->e, cid, "merged");
        _cleanup_close_ int root = merged ? open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        _cleanup_strv_ char **missing = NULL;

        if (root < 0)
                return cell_error_errno(err, "open %s", merged ? merged : "the root");
        for (size_t i = 0; rm->stubs && rm->stubs[i]; i++) {
                _cleanup_free_ char *p = strdup(rm->stubs[i]);

                /* The target, then each parent, while it does not exist. */
                while (p && strlen(p) > 1) {
                        int fd = fs_open_in_root(root, p, O_PATH | O_CLOEXEC, 0, NULL);
                        char *slash;

                        if (fd >= 0) {
                                close(fd);
                                break;
                        }
                        if (strv_push(&missing, p) < 0)
                                return cell_error_set(err, ENOMEM, "--mount");
                        slash = strrchr(p, '/');
                        if (!slash)
                                break;
                        *slash = '\0';
                }
        }
        for (size_t i = 0; rm->leaves && rm->leaves[i]; i++) {
                int fd = fs_open_in_root(root, rm->leaves[i], O_PATH | O_CLOEXEC, 0, NULL);

                if (fd >= 0)
                        close(fd);
                else if (strv_push(&missing, rm->leaves[i]) < 0)
                        return cell_error_set(err, ENOMEM, "--mount");
        }
        strv_free(rm->stubs);
        rm->stubs = steal_pointer(&missing);
        return 0;
}

static int by_depth_desc(const void *a, const void *b)
{
        return (int)strlen(*(char *const *)b) - (int)strlen(*(char *const *)a);
}

/* After the RUN: an empty file or directory the runtime made for a mount
 * point goes from the writable layer (resolved inside it). */
static void stubs_remove(builder_t *b, const char *cid, run_mounts_t *rm)
{
        _cleanup_free_ char *upper = engine_container_path(b->e, cid, "upper");
        _cleanup_close_ int root = upper ? open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

        if (root < 0 || !rm->stubs)
                return;
        qsort(rm->stubs, strv_length(rm->stubs), sizeof(char *), by_depth_desc);
        for (size_t i = 0; rm->stubs[i]; i++) {
                _cleanup_free_ char *parent = strdup(rm->stubs[i]);
                char *slash = parent ? strrchr(parent, '/') : NULL;
                _cleanup_close_ int pfd = -1;
                struct stat sb;

                if (!slash)
                        continue;
                *slash = '\0';
                pfd = fs_open_in_root(root, *parent ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                                      NULL);
                if (pfd < 0 || fstatat(pfd, slash + 1, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(sb.st_mode))
                        unlinkat(pfd, slash + 1, AT_REMOVEDIR); /* only when empty */
                else if (S_ISREG(sb.st_mode) && sb.st_size == 0)
                        unlinkat(pfd, slash + 1, 0);
        }
}

static int do_run(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        run_mounts_t rm = {0};
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *text = NULL, *created_by = NULL;
        char key[IMAGE_DIGEST_STR_SIZE], cid[ENGINE_ID_LEN + 1];
        engine_start_opts_t so = {.foreground = true};
        int saved[2] = {-1, -1}, r;

        if (command_argv(st, in, true, &argv, err) < 0)
                return -1;
        text = argv_text(argv);
        created_by = str_printf("RUN %s # buildkit", text ? text : "");
        if (!text || !created_by)
                return cell_error_set(err, ENOMEM, "build");
        {
                /* The mounts' kinds and targets are part of the step (not a
                 * cache's or a secret's content). */
                _cleanup_free_ char *extra = NULL;

                for (size_t i = 0; i < in->n_mounts; i++) {
                        char *n = str_printf("%s|%d:%s:%s:%s:%s", extra ? extra : "", (int)in->mounts[i].type,
                                             in->mounts[i].target ? in->mounts[i].target : "",
                                             in->mounts[i].id ? in->mounts[i].id : "",
                                             in->mounts[i].source ? in->mounts[i].source : "",
                                             in->mounts[i].from ? in->mounts[i].from : "");

                        free(extra);
                        extra = n;
                }
                {
                        _cleanup_free_ char *all =
                                str_printf("%s%s", b->o->network ? b->o->network : "", extra ? extra : "");

                        if (!all || cache_key(b, st, created_by, all, key, err) < 0)
                                return all ? -1 : cell_error_set(err, ENOMEM, "build");
                }
        }
        if (cache_get(b, st, key))
                return 1;
        if (run_mounts_make(b, st, in, &rm, err) < 0) {
                run_mounts_clear(b, &rm);
                return -1;
        }
        r = step_container(b, st, argv, rm.mounts, cid, err);
        rm.mounts = NULL; /* taken */
        if (r < 0) {
                run_mounts_clear(b, &rm);
                return -1;
        }
        if (stubs_keep_missing(b, cid, &rm, err) < 0) {
                drop_container(b, cid);
                run_mounts_clear(b, &rm);
                return -1;
        }
        fflush(b->out);
        fflush(stdout);
        fflush(stderr);
        /* The step's output is the build's, or nobody's with -q. */
        if (b->o->quiet || b->out != stdout) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                saved[0] = fcntl(1, F_DUPFD_CLOEXEC, 3);
                saved[1] = fcntl(2, F_DUPFD_CLOEXEC, 3);
                if (b->o->quiet) {
                        dup2(null, 1);
                        dup2(null, 2);
                } else {
                        dup2(fileno(b->out), 1);
                        dup2(fileno(b->out), 2);
                }
                if (null >= 0)
                        close(null);
        }
        r = engine_start(b->e, cid, &so, err);
        for (int i = 0; i < 2; i++)
                if (saved[i] >= 0) {
                        dup2(saved[i], i + 1);
                        close(saved[i]);
                }
        if (r < 0 || so.exit_code != 0) {
                drop_container(b, cid);
                run_mounts_clear(b, &rm);
                return r < 0 ? -1
                             : cell_error_plain(err, EIO,
                                                "RUN: the command \"%s\" returned a non-zero code: %d", text,
                                                so.exit_code);
        }
        stubs_remove(b, cid, &rm);
        r = commit_container(b, st, cid, created_by, err);
        drop_container(b, cid);
        run_mounts_clear(b, &rm);
        if (r < 0)
                return -1;
        cache_put(b, key, st->img.id);
        return 0;
}

/* The root file system of an earlier stage or of an image, for COPY
 * --from: a container of it that is never started. */
static int from_root(builder_t *b, const char *from, char ret_cid[ENGINE_ID_LEN + 1], int *ret_fd,
                     cell_error_t *err)
{
        const dockerfile_stage_t *ds = dockerfile_find_stage(b->df, from);
        stage_state_t tmp = {0};
        _cleanup_free_ char *merged = NULL;
        int r;

        if (ds) {
                stage_state_t *src = &b->stages[ds - b->df->stages];

                if (!src->built)
                        return cell_error_plain(err, EINVAL, "stage %s is not built before it is used", from);
                if (ensure_image(b, src, err) < 0)
                        return -1;
                r = load_image(b, src->img.id, &tmp.img, err);
        } else {
                r = load_image(b, from, &tmp.img, err);
                if (r < 0)
                        cell_error_prefix(err, "COPY --from=%s", from);
        }
        if (r < 0) {
                storage_image_clear(&tmp.img);
                return -1;
        }
        r = step_container(b, &tmp, NULL, NULL, ret_cid, err);
        storage_image_clear(&tmp.img);
        if (r < 0)
                return -1;
        merged = engine_container_path(b->e, ret_cid, "merged");
        *ret_fd = merged ? open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (*ret_fd < 0) {
                drop_container(b, ret_cid);
                return cell_error_errno(err, "open %s", merged ? merged : "the root");
        }
        return 0;
}

/* COPY <<EOF /dest: each here-document becomes a file (named after its
 * delimiter, 0644, its body expanded unless the delimiter was quoted) in a
 * new directory that is the step's source root; ret_srcs gets the names. */
static int heredoc_sources(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, char ***ret_srcs,
                           char **ret_dir, cell_error_t *err)
{
        _cleanup_free_ char *dir = str_printf("%s/tmp/heredoc-XXXXXX", b->e->storage_root);
        _cleanup_close_ int dfd = -1;
        size_t k = 0;

        if (!dir)
                return cell_error_set(err, ENOMEM, "build");
        if (!mkdtemp(dir))
                return cell_error_errno(err, "mkdtemp %s", dir);
        *ret_dir = strdup(dir);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!*ret_dir || dfd < 0)
                return cell_error_errno(err, "open %s", dir);
        for (size_t i = 0; i + 1 < in->n_args; i++) {
                const dockerfile_heredoc_t *h = k < in->n_heredocs ? &in->heredocs[k] : NULL;
                _cleanup_free_ char *body = NULL;
                _cleanup_close_ int fd = -1;
                lookup_ctx_t l = {.env = st->img.config->config.env, .args = st->args};

                if (!str_has_prefix(in->args[i], "<<") || !h)
                        return cell_error_plain(
                                err, ENOTSUP,
                                "here-documents and files in one COPY are not supported yet: %s",
                                in->args[i]);
                k++;
                if (!h->name || !*h->name || strchr(h->name, '/') || str_eq(h->name, ".") ||
                    str_eq(h->name, ".."))
                        return cell_error_plain(err, EINVAL, "here-document name \"%s\"",
                                                h->name ? h->name : "");
                if (h->expand) {
                        if (dockerfile_expand_heredoc(h->content, b->df->escape, lookup, &l, &body, err) < 0)
                                return -1;
                } else if (!(body = strdup(h->content))) {
                        return cell_error_set(err, ENOMEM, "build");
                }
                fd = openat(dfd, h->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body))
                        return cell_error_errno(err, "write the here-document %s", h->name);
                fchmod(fd, 0644);
                if (strv_push(ret_srcs, h->name) < 0)
                        return cell_error_set(err, ENOMEM, "build");
        }
        return 0;
}

static int do_copy(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        bool add = in->kind == DOCKERFILE_ADD;
        _cleanup_strv_ char **srcs = NULL, **matched = NULL;
        _cleanup_free_ char *dest = NULL, *chown = NULL, *chmod_s = NULL, *what = NULL, *merged = NULL;
        _cleanup_close_ int src_fd = -1, dst_fd = -1;
        char key[IMAGE_DIGEST_STR_SIZE], hash[IMAGE_DIGEST_STR_SIZE], cid[ENGINE_ID_LEN + 1],
                from_cid[ENGINE_ID_LEN + 1] = "";
        const dockerignore_t *ig = NULL;
        build_copy_opts_t co = {0};
        _cleanup_free_ char *hd_dir = NULL;
        int r = -1;

        if (in->n_heredocs > 0) {
                r = heredoc_sources(b, st, in, &srcs, &hd_dir, err);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; !hd_dir && i + 1 < in->n_args; i++) {
                char *s = NULL;

                if (expand(b, st, in->args[i], &s, err) < 0)
                        return -1;
                if (strv_push(&srcs, s) < 0) {
                        free(s);
                        return cell_error_set(err, ENOMEM, "build");
                }
                free(s);
        }
        r = -1;
        if (expand(b, st, in->args[in->n_args - 1], &dest, err) < 0)
                goto out;
        if (in->chown && expand(b, st, in->chown, &chown, err) < 0)
                goto out;
        if (in->chmod && expand(b, st, in->chmod, &chmod_s, err) < 0)
                goto out;
        if (chmod_s) {
                char *end = NULL;
                unsigned long m = strtoul(chmod_s, &end, 8);

                if (!*chmod_s || *end || m > 07777) {
                        cell_error_plain(err, EINVAL, "invalid --chmod=%s: an octal mode is expected",
                                         chmod_s);
                        goto out;
                }
                co.have_chmod = true;
                co.chmod = (mode_t)m;
        }
        if (hd_dir) {
                src_fd = open(hd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (src_fd < 0) {
                        cell_error_errno(err, "open %s", hd_dir);
                        goto out;
                }
        } else if (in->from) {
                _cleanup_free_ char *from = NULL;

                if (expand(b, st, in->from, &from, err) < 0 || from_root(b, from, from_cid, &src_fd, err) < 0)
                        goto out;
        } else {
                src_fd = fcntl(build_context_rootfd(b->ctx), F_DUPFD_CLOEXEC, 3);
                ig = build_context_ignore(b->ctx);
                if (src_fd < 0) {
                        r = cell_error_errno(err, "the build context");
                        goto out;
                }
        }
        for (size_t i = 0; srcs && srcs[i]; i++) {
                _cleanup_strv_ char **m = NULL;

                if (build_sources_match(src_fd, ig, srcs[i], &m, err) < 0)
                        goto out;
                for (size_t j = 0; m && m[j]; j++)
                        if (strv_push(&matched, m[j]) < 0) {
                                r = cell_error_set(err, ENOMEM, "build");
                                goto out;
                        }
        }
        if (add && !in->from)
                build_advice_add(&b->advice, b->df, in, src_fd, matched);
        if (build_sources_hash(src_fd, ig, matched, hash, err) < 0)
                goto out;
        {
                _cleanup_free_ char *joined = strv_join(srcs, " ");

                what = str_printf("%s%s%s%s%s%s%s %s %s # buildkit", add ? "ADD" : "COPY",
                                  in->from ? " --from=" : "", in->from ? in->from : "",
                                  chown ? " --chown=" : "", chown ? chown : "", chmod_s ? " --chmod=" : "",
                                  chmod_s ? chmod_s : "", joined ? joined : "", dest);
        }
        if (!what) {
                r = cell_error_set(err, ENOMEM, "build");
                goto out;
        }
        if (cache_key(b, st, what, hash, key, err) < 0)
                goto out;
        if (cache_get(b, st, key)) {
                r = 1;
                goto out;
        }
        if (step_container(b, st, NULL, NULL, cid, err) < 0)
                goto out;
        merged = engine_container_path(b->e, cid, "merged");
        dst_fd = merged ? open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dst_fd < 0) {
                r = cell_error_errno(err, "open %s", merged ? merged : "the root");
                drop_container(b, cid);
                goto out;
        }
        if (chown) {
                /* Names are the image's, from its /etc/passwd and group. */
                if (buildkit_owner(dst_fd, chown, &co.uid, &co.gid, err) < 0) {
                        drop_container(b, cid);
                        goto out;
                }
                co.have_chown = true;
        }
        co.add = add;
        co.workdir = st->img.config->config.working_dir;
        r = build_copy(src_fd, ig, matched, dst_fd, dest, &co, err);
        if (r >= 0)
                r = commit_container(b, st, cid, what, err);
        drop_container(b, cid);
        if (r >= 0)
                cache_put(b, key, st->img.id);
out:
        if (from_cid[0])
                drop_container(b, from_cid);
        if (hd_dir)
                fs_rm_rf(hd_dir, NULL);
        return r < 0 ? -1 : r;
}

/* An absolute path cleaned as Go's path.Clean: no "." or ".." elements
 * (".." at the root stays there), no repeated or trailing slashes. */
static char *clean_abs(const char *p)
{
        size_t n = strlen(p);
        char *out = malloc(n + 2);
        size_t len = 0;

        if (!out)
                return NULL;
        while (*p) {
                const char *end;
                size_t k;

                while (*p == '/')
                        p++;
                end = strchrnul(p, '/');
                k = (size_t)(end - p);
                if (k == 0 || (k == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (k == 2 && p[0] == '.' && p[1] == '.') {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--; /* the slash before the dropped element */
                } else {
                        out[len++] = '/';
                        memcpy(out + len, p, k);
                        len += k;
                }
                p = end;
        }
        if (len == 0)
                out[len++] = '/';
        out[len] = '\0';
        return out;
}

/* WORKDIR makes its directory when the image lacks it, as docker's. */
static int do_workdir(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        image_run_config_t *rc = &st->img.config->config;
        _cleanup_free_ char *dir = NULL, *abs = NULL, *merged = NULL, *what = NULL;
        char key[IMAGE_DIGEST_STR_SIZE], cid[ENGINE_ID_LEN + 1];
        _cleanup_close_ int root = -1;
        struct stat sb;
        bool exists;
        int r;

        if (expand(b, st, in->args[0], &dir, err) < 0)
                return -1;
        {
                /* Cleaned, as docker's (WORKDIR /a/../b is /b). */
                _cleanup_free_ char *raw =
                        dir[0] == '/'
                                ? strdup(dir)
                                : str_printf("%s/%s",
                                             rc->working_dir && *rc->working_dir ? rc->working_dir : "", dir);

                abs = raw ? clean_abs(raw) : NULL;
        }
        what = abs ? str_printf("WORKDIR %s", abs) : NULL;
        if (!what)
                return cell_error_set(err, ENOMEM, "build");
        if (cache_key(b, st, what, NULL, key, err) < 0)
                return -1;
        if (cache_get(b, st, key))
                return 1;
        /* The container has the parent's working directory: with the new
         * one the engine would make it at create time, outside the layer
         * committed here. */
        if (step_container(b, st, NULL, NULL, cid, err) < 0)
                return -1;
        rc = &st->img.config->config; /* step_container may have reloaded it */
        free(rc->working_dir);
        rc->working_dir = strdup(abs);
        if (!rc->working_dir) {
                drop_container(b, cid);
                return cell_error_set(err, ENOMEM, "build");
        }
        merged = engine_container_path(b->e, cid, "merged");
        root = merged ? open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (root < 0) {
                drop_container(b, cid);
                return cell_error_errno(err, "open the root");
        }
        {
                int fd = fs_open_in_root(root, abs, O_PATH | O_CLOEXEC, 0, NULL);

                exists = fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode);
                if (fd >= 0)
                        close(fd);
        }
        if (exists) {
                drop_container(b, cid);
                r = write_step(b, st, what, NULL, NULL, err);
        } else {
                _cleanup_strv_ char **made = NULL;

                /* BuildKit makes the missing directories as the stage's
                 * USER (its uid and primary group from the image's
                 * passwd): note which are missing, make them, chown them. */
                for (_cleanup_free_ char *p = strdup(abs); p && strlen(p) > 1;) {
                        int fd = fs_open_in_root(root, p, O_PATH | O_CLOEXEC, 0, NULL);
                        char *slash;

                        if (fd >= 0) {
                                close(fd);
                                break;
                        }
                        if (strv_push(&made, p) < 0) {
                                drop_container(b, cid);
                                return cell_error_set(err, ENOMEM, "WORKDIR");
                        }
                        slash = strrchr(p, '/');
                        if (!slash)
                                break;
                        *slash = '\0';
                }
                r = fs_mkdir_p_in_root(root, abs, 0755, err);
                if (r >= 0 && rc->user && *rc->user && made) {
                        uid_t uid = 0;
                        gid_t gid = 0;

                        r = buildkit_owner(root, rc->user, &uid, &gid, err);
                        for (size_t i = 0; r >= 0 && made[i]; i++) {
                                int fd = fs_open_in_root(root, made[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                                                         err);

                                if (fd < 0 || fchown(fd, uid, gid) < 0)
                                        r = fd < 0 ? -1 : cell_error_errno(err, "chown %s", made[i]);
                                if (fd >= 0)
                                        close(fd);
                        }
                }
                if (r >= 0)
                        r = commit_container(b, st, cid, what, err);
                drop_container(b, cid);
        }
        if (r >= 0)
                cache_put(b, key, st->img.id);
        return r < 0 ? -1 : 0;
}

static int set_labels(image_run_config_t *rc, const char *key, const char *value, cell_error_t *err)
{
        image_kv_t *kv;
        size_t i;

        for (i = 0; i < rc->n_labels; i++)
                if (str_eq(rc->labels[i].key, key)) {
                        free(rc->labels[i].value);
                        rc->labels[i].value = strdup(value);
                        return rc->labels[i].value ? 0 : cell_error_set(err, ENOMEM, "LABEL");
                }
        kv = realloc(rc->labels, (rc->n_labels + 1) * sizeof(*kv));
        if (!kv)
                return cell_error_set(err, ENOMEM, "LABEL");
        rc->labels = kv;
        /* Sorted, as the config keeps them. */
        for (i = rc->n_labels; i > 0 && strcmp(kv[i - 1].key, key) > 0; i--)
                kv[i] = kv[i - 1];
        kv[i].key = strdup(key);
        kv[i].value = strdup(value);
        rc->n_labels++;
        return kv[i].key && kv[i].value ? 0 : cell_error_set(err, ENOMEM, "LABEL");
}

static int sorted_add(char ***v, const char *s)
{
        size_t n;

        for (size_t i = 0; *v && (*v)[i]; i++)
                if (str_eq((*v)[i], s))
                        return 0;
        if (strv_push(v, s) < 0)
                return -ENOMEM;
        n = strv_length(*v);
        strv_sort(*v, n);
        return 0;
}

/* EXPOSE PORT[-END][/PROTO]: a range is one port each, as docker's
 * nat.ParsePortSpecs gives them; the protocol defaults to tcp. */
static int expose_add(image_run_config_t *rc, const char *word, cell_error_t *err)
{
        const char *slash = strchr(word, '/');
        const char *proto = slash ? slash + 1 : "tcp";
        char *end = NULL;
        unsigned long lo, hi;

        lo = strtoul(word, &end, 10);
        hi = lo;
        if (end != word && *end == '-') {
                const char *p = end + 1;

                hi = strtoul(p, &end, 10);
                if (end == p)
                        end = (char *)word;
        }
        if (end == word || (*end != '\0' && *end != '/') || !word[0] || word[0] == '-' || lo > 65535 ||
            hi > 65535 || hi < lo || !*proto)
                return cell_error_plain(err, EINVAL, "EXPOSE: invalid port \"%s\"", word);
        for (unsigned long port = lo; port <= hi; port++) {
                _cleanup_free_ char *p = str_printf("%lu/%s", port, proto);

                if (!p)
                        return cell_error_set(err, ENOMEM, "EXPOSE");
                /* The protocol in lower case (80/TCP is 80/tcp), as docker. */
                for (char *c = strchr(p, '/'); *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                if (sorted_add(&rc->exposed_ports, p) < 0)
                        return cell_error_set(err, ENOMEM, "EXPOSE");
        }
        return 0;
}

static char **strv_dup_or_empty(char *const *v)
{
        char **out = calloc(1, sizeof(*out));

        for (size_t i = 0; out && v && v[i]; i++)
                if (strv_push(&out, v[i]) < 0) {
                        strv_free(out);
                        return NULL;
                }
        return out;
}

/* ENV, LABEL, CMD and the rest: a new config, no layer. */
static int do_meta(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        image_run_config_t *rc = &st->img.config->config;
        _cleanup_free_ char *what = NULL;
        char key[IMAGE_DIGEST_STR_SIZE];
        int r = 0;

        switch (in->kind) {
        case DOCKERFILE_ENV: {
                /* Every value is expanded before any is set: `ENV A=1
                 * B=$A` gives B what A was before the line, as BuildKit. */
                _cleanup_strv_ char **vals = NULL;

                for (size_t i = 0; i < in->n_kvs && r == 0; i++) {
                        _cleanup_free_ char *v = NULL;

                        r = expand(b, st, in->kvs[i].value ? in->kvs[i].value : "", &v, err);
                        if (r == 0)
                                build_advice_kv(&b->advice, b->df, in, in->kvs[i].key, v);
                        if (r == 0 && strv_push(&vals, v) < 0)
                                r = cell_error_set(err, ENOMEM, "ENV");
                }
                for (size_t i = 0; i < in->n_kvs && r == 0; i++) {
                        if (kv_set(&rc->env, in->kvs[i].key, vals[i]) < 0)
                                r = cell_error_set(err, ENOMEM, "ENV");
                        kv_unset(st->arg_env, in->kvs[i].key);
                }
                break;
        }
        case DOCKERFILE_LABEL:
                for (size_t i = 0; i < in->n_kvs && r == 0; i++) {
                        _cleanup_free_ char *k = NULL, *v = NULL;

                        r = expand(b, st, in->kvs[i].key, &k, err);
                        if (r == 0)
                                r = expand(b, st, in->kvs[i].value ? in->kvs[i].value : "", &v, err);
                        if (r == 0)
                                r = set_labels(rc, k, v, err);
                }
                break;
        case DOCKERFILE_EXPOSE:
        case DOCKERFILE_VOLUME:
                for (size_t i = 0; i < in->n_args && r == 0; i++) {
                        _cleanup_strv_ char **words = NULL;

                        r = expand_words(b, st, in->args[i], &words, err);
                        for (size_t j = 0; r == 0 && words && words[j]; j++) {
                                if (in->kind == DOCKERFILE_VOLUME) {
                                        r = sorted_add(&rc->volumes, words[j]);
                                        continue;
                                }
                                r = expose_add(rc, words[j], err);
                        }
                }
                break;
        case DOCKERFILE_USER:
        case DOCKERFILE_STOPSIGNAL: {
                char *v = NULL;

                r = expand(b, st, in->args[0], &v, err);
                if (r == 0 && in->kind == DOCKERFILE_USER) {
                        free(rc->user);
                        rc->user = v;
                        st->user_line = in->line;
                } else if (r == 0) {
                        free(rc->stop_signal);
                        rc->stop_signal = v;
                }
                break;
        }
        case DOCKERFILE_MAINTAINER:
                free(st->img.config->author);
                st->img.config->author = strdup(in->args[0]);
                break;
        case DOCKERFILE_CMD:
        case DOCKERFILE_ENTRYPOINT:
        case DOCKERFILE_SHELL: {
                char **argv = NULL;

                r = command_argv(st, in, false, &argv, err);
                if (r < 0)
                        break;
                if (in->kind == DOCKERFILE_CMD) {
                        strv_free(rc->cmd);
                        rc->cmd = argv;
                        st->cmd_set = true;
                } else if (in->kind == DOCKERFILE_ENTRYPOINT) {
                        strv_free(rc->entrypoint);
                        rc->entrypoint = argv;
                        /* Docker: a new ENTRYPOINT drops the CMD the stage
                         * inherited from its base, not one the stage set
                         * itself before it. */
                        if (!st->cmd_set) {
                                strv_free(rc->cmd);
                                rc->cmd = NULL;
                        }
                } else {
                        strv_free(rc->shell);
                        rc->shell = argv;
                }
                break;
        }
        case DOCKERFILE_HEALTHCHECK: {
                image_healthcheck_t *h = calloc(1, sizeof(*h));

                if (!h) {
                        r = cell_error_set(err, ENOMEM, "HEALTHCHECK");
                        break;
                }
                if (in->health_none) {
                        h->test = calloc(2, sizeof(char *));
                        if (h->test)
                                h->test[0] = strdup("NONE");
                } else {
                        char **argv = NULL;

                        r = command_argv(st, in, false, &argv, err);
                        if (r == 0) {
                                if (in->cmd.exec_form) {
                                        h->test = calloc(1, sizeof(char *));
                                        strv_push(&h->test, "CMD");
                                        for (size_t i = 0; argv[i]; i++)
                                                strv_push(&h->test, argv[i]);
                                } else {
                                        h->test = calloc(1, sizeof(char *));
                                        strv_push(&h->test, "CMD-SHELL");
                                        strv_push(&h->test, in->cmd.argv[0]);
                                }
                                strv_free(argv);
                        }
                        h->interval_ns = in->interval_ns;
                        h->timeout_ns = in->timeout_ns;
                        h->start_period_ns = in->start_period_ns;
                        h->start_interval_ns = in->start_interval_ns;
                        h->retries = in->retries > 0 ? in->retries : 0;
                }
                if (rc->healthcheck) {
                        strv_free(rc->healthcheck->test);
                        free(rc->healthcheck);
                }
                rc->healthcheck = h;
                break;
        }
        case DOCKERFILE_ONBUILD: {
                /* The trigger as written: the line after "ONBUILD". */
                const char *t = in->original + strspn(in->original, " \t");

                t += strcspn(t, " \t");
                t += strspn(t, " \t");
                if (strv_push(&rc->on_build, t) < 0)
                        r = cell_error_set(err, ENOMEM, "ONBUILD");
        } break;
        default:
                r = cell_error_plain(err, EINVAL, "%s: not a metadata instruction",
                                     dockerfile_kind_name(in->kind));
                break;
        }
        if (r < 0)
                return -1;
        if (rc->cmd == NULL && in->kind == DOCKERFILE_CMD)
                rc->cmd = strv_dup_or_empty(NULL);
        what = str_printf("%s", in->original);
        if (!what)
                return cell_error_set(err, ENOMEM, "build");
        /* The config as it now is decides the key: the same text can mean
         * other values (ENV A=$B). */
        {
                _cleanup_free_ char *cfg = NULL;
                size_t len = 0;

                cfg = image_config_serialize(st->img.config, &len, err);
                if (!cfg)
                        return -1;
                if (cache_key(b, st, what, cfg, key, err) < 0)
                        return -1;
        }
        if (cache_get(b, st, key))
                return 1;
        if (write_step(b, st, what, NULL, NULL, err) < 0)
                return -1;
        cache_put(b, key, st->img.id);
        return 0;
}

static int do_arg(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        for (size_t i = 0; i < in->n_kvs; i++) {
                const char *name = in->kvs[i].key;
                bool given = false;
                const char *v = build_arg(b, name, &given);
                _cleanup_free_ char *def = NULL;

                if (!given && in->kvs[i].has_value) {
                        if (expand(b, st, in->kvs[i].value, &def, err) < 0)
                                return -1;
                        v = def;
                } else if (!given && st) {
                        /* ARG NAME in a stage: the global default, if any. */
                        v = kv_value(b->global_args, name);
                }
                build_advice_kv(&b->advice, b->df, in, name, given || v ? v : NULL);
                if (kv_set(st ? &st->args : &b->global_args, name, given || v ? v : NULL) < 0)
                        return cell_error_set(err, ENOMEM, "ARG");
                if (st && (given || v) && kv_set(&st->arg_env, name, v ? v : "") < 0)
                        return cell_error_set(err, ENOMEM, "ARG");
        }
        return 0;
}

/* ---- stages ---- */

static int stage_index_of(const builder_t *b, const char *name)
{
        const dockerfile_stage_t *ds = dockerfile_find_stage(b->df, name);

        return ds ? (int)(ds - b->df->stages) : -1;
}

/* Which stages the target needs: itself, the stages its FROM and its
 * COPY --from and RUN --mount from= name, and theirs. */
static int mark_needed(builder_t *b, size_t s, bool *need, cell_error_t *err)
{
        const dockerfile_stage_t *ds = &b->df->stages[s];
        size_t n = b->df->n_stages;

        if (need[s])
                return 0;
        need[s] = true;
        for (size_t i = ds->first; i < ds->first + ds->count; i++) {
                const dockerfile_instr_t *in = &b->df->instrs[i];
                _cleanup_free_ char *ref = NULL;
                int dep = -1;

                if (in->kind == DOCKERFILE_FROM) {
                        if (expand(b, NULL, in->image, &ref, err) < 0)
                                return instr_error(b, in, err);
                        dep = stage_index_of(b, ref);
                } else if ((in->kind == DOCKERFILE_COPY || in->kind == DOCKERFILE_ADD) && in->from) {
                        dep = stage_index_of(b, in->from);
                }
                for (size_t m = 0; in->kind == DOCKERFILE_RUN && m < in->n_mounts; m++) {
                        int md = in->mounts[m].from ? stage_index_of(b, in->mounts[m].from) : -1;

                        if (md >= 0 && (size_t)md < s)
                                b->deps[s * n + (size_t)md] = true;
                        if (md >= 0 && mark_needed(b, (size_t)md, need, err) < 0)
                                return -1;
                }
                if (dep >= 0 && (size_t)dep < s)
                        b->deps[s * n + (size_t)dep] = true;
                if (dep >= 0 && (size_t)dep >= s)
                        return cell_error_plain(err, EINVAL,
                                                "%s:%d: stage \"%s\" is not defined before it is used",
                                                b->df->name, in->line, ref ? ref : in->from);
                if (dep >= 0 && mark_needed(b, (size_t)dep, need, err) < 0)
                        return -1;
        }
        return 0;
}

static void step_line(builder_t *b, const dockerfile_instr_t *in)
{
        b->step++;
        if (!b->o->quiet)
                fprintf(b->out, "Step %d/%d : %s\n", b->step, b->n_steps, in->original);
}

/* One instruction of a stage (not FROM). */
static int run_instr(builder_t *b, stage_state_t *st, const dockerfile_instr_t *in, cell_error_t *err)
{
        int r;

        switch (in->kind) {
        case DOCKERFILE_ARG:
                r = do_arg(b, st, in, err);
                break;
        case DOCKERFILE_RUN:
                r = do_run(b, st, in, err);
                break;
        case DOCKERFILE_COPY:
        case DOCKERFILE_ADD:
                r = do_copy(b, st, in, err);
                break;
        case DOCKERFILE_WORKDIR:
                r = do_workdir(b, st, in, err);
                break;
        default:
                r = do_meta(b, st, in, err);
                break;
        }
        if (r < 0)
                return -1;
        if (!b->o->quiet && in->kind != DOCKERFILE_ARG) {
                if (r == 1)
                        fprintf(b->out, " ---> Using cache\n");
                fprintf(b->out, " ---> %.12s\n", st->img.id[0] ? st->img.id + 7 : "scratch");
        }
        return 0;
}

/* The base image's ONBUILD triggers run first, as instructions of the
 * stage, and the stage's image no longer carries them (BuildKit runs them
 * when a stage starts FROM an image or an earlier stage that has them). */
static int run_triggers(builder_t *b, stage_state_t *st, cell_error_t *err)
{
        char **triggers = st->img.config->config.on_build;
        _cleanup_free_ char *body = NULL, *text = NULL;
        dockerfile_t *df = NULL;
        int r = 0;

        if (!triggers || !triggers[0])
                return 0;
        body = strv_join(triggers, "\n");
        text = body ? str_printf("FROM scratch\n%s\n", body) : NULL;
        if (!text)
                return cell_error_set(err, ENOMEM, "ONBUILD");
        if (dockerfile_parse(text, strlen(text), "ONBUILD", &df, err) < 0)
                return -1;
        /* The triggers taken off the config first, so that their steps'
         * images do not carry them. */
        st->img.config->config.on_build = NULL;
        strv_free(triggers);
        if (st->img.id[0]) {
                st->img.id[0] = '\0';
                r = ensure_image(b, st, err);
        }
        for (size_t i = 1; r >= 0 && i < df->n_instrs; i++) {
                const dockerfile_instr_t *in = &df->instrs[i];

                if (!b->o->quiet)
                        fprintf(b->out, "Trigger: %s\n", in->original);
                r = run_instr(b, st, in, err);
                if (r < 0)
                        cell_error_prefix(err, "ONBUILD %s", in->original);
        }
        dockerfile_free(df);
        return r < 0 ? -1 : 0;
}

static int build_stage(builder_t *b, size_t s, cell_error_t *err)
{
        const dockerfile_stage_t *ds = &b->df->stages[s];
        stage_state_t *st = &b->stages[s];
        const dockerfile_instr_t *from = &b->df->instrs[ds->first];
        _cleanup_free_ char *ref = NULL;
        int dep, r;

        /* The predefined ARGs (proxies) reach RUN when given, undeclared. */
        for (size_t i = 0; predefined_args[i]; i++) {
                bool given = false;
                const char *v = build_arg(b, predefined_args[i], &given);

                if (given && kv_set(&st->args, predefined_args[i], v) < 0)
                        return cell_error_set(err, ENOMEM, "build");
        }
        step_line(b, from);
        if (expand(b, NULL, from->image, &ref, err) < 0)
                return instr_error(b, from, err);
        dep = stage_index_of(b, ref);
        if (dep >= 0 && (size_t)dep < s) {
                r = load_image(b, b->stages[dep].img.id, &st->img, err);
                if (r < 0 && !b->stages[dep].img.id[0])
                        r = scratch_image(&st->img, err);
        } else if (str_eq(ref, "scratch")) {
                r = scratch_image(&st->img, err);
        } else {
                build_advice_from(&b->advice, b->df, from, ref);
                r = load_image(b, ref, &st->img, err);
                if (r < 0)
                        cell_error_prefix(err, "FROM %s", ref);
        }
        if (r < 0)
                return instr_error(b, from, err);
        st->user_line = from->line;
        if (dep >= 0 && (size_t)dep < s)
                st->user_line = b->stages[dep].user_line;
        if (!kv_value(st->img.config->config.env, "PATH")) {
                /* BuildKit makes sure every stage has a PATH, appended to
                 * the image's ENV: the stage starts from that config. */
                if (kv_set(&st->img.config->config.env, "PATH", BUILD_DEFAULT_PATH) < 0)
                        return cell_error_set(err, ENOMEM, "build");
                if (st->img.id[0]) {
                        st->img.id[0] = '\0';
                        if (ensure_image(b, st, err) < 0)
                                return instr_error(b, from, err);
                }
        }
        if (!b->o->quiet)
                fprintf(b->out, " ---> %.12s\n", st->img.id[0] ? st->img.id + 7 : "scratch");
        if (run_triggers(b, st, err) < 0)
                return instr_error(b, from, err);
        for (size_t i = ds->first + 1; i < ds->first + ds->count; i++) {
                const dockerfile_instr_t *in = &b->df->instrs[i];

                step_line(b, in);
                if (run_instr(b, st, in, err) < 0)
                        return instr_error(b, in, err);
        }
        st->built = true;
        return 0;
}

/* ---- stages at the same time ---- */

/* A stage built in a child process: the child writes "ID\nUSER_LINE\n"
 * then its advice lines to a pipe, and its progress to a file the parent
 * prints when it has it; or "!message" when it failed. */
typedef struct child_build {
        pid_t pid;
        size_t stage;
        int result_fd;
        FILE *log;
} child_build_t;

static void child_main(builder_t *b, size_t s, int wfd, FILE *log)
{
        cell_error_t err = {0};
        _cleanup_free_ char *msg = NULL;
        int r;

        b->out = log;
        b->step = b->step_base[s];
        {
                /* Its own store: the inherited one's lock files are the
                 * parent's open file descriptions, and flock on them would
                 * not keep the two apart (nor may the child unlock them). */
                _cleanup_free_ char *images = str_printf("%s/images", b->e->storage_root);
                image_store_t *own = NULL;

                if (!images || image_store_open(images, &own, &err) < 0 || image_store_pin(own, &err) < 0) {
                        msg = str_printf("!%s\n", err.msg[0] ? err.msg : "out of memory");
                        if (msg)
                                (void)!write(wfd, msg, strlen(msg));
                        _exit(1);
                }
                b->store = own;
        }
        r = build_stage(b, s, &err);
        if (r == 0)
                r = ensure_image(b, &b->stages[s], &err);
        fflush(log);
        if (r < 0) {
                msg = str_printf("!%s\n", err.msg);
        } else {
                msg = str_printf("%s\n%d\n", b->stages[s].img.id, b->stages[s].user_line);
                for (size_t i = 0; msg && b->advice.lines && b->advice.lines[i]; i++) {
                        char *m = str_printf("%s%s\n", msg, b->advice.lines[i]);

                        free(msg);
                        msg = m;
                }
        }
        if (msg)
                (void)!write(wfd, msg, strlen(msg));
        _exit(r < 0 ? 1 : 0);
}

static int child_start(builder_t *b, size_t s, child_build_t *c, cell_error_t *err)
{
        int p[2];

        c->stage = s;
        c->log = tmpfile();
        if (!c->log || pipe2(p, O_CLOEXEC) < 0)
                return cell_error_errno(err, "a stage's process");
        fflush(b->out);
        fflush(stdout);
        fflush(stderr);
        c->pid = fork();
        if (c->pid < 0) {
                close(p[0]);
                close(p[1]);
                return cell_error_errno(err, "fork");
        }
        if (c->pid == 0) {
                close(p[0]);
                child_main(b, s, p[1], c->log);
        }
        close(p[1]);
        c->result_fd = p[0];
        return 0;
}

/* Wait for the child, print its progress, take its image as the stage's. */
static int child_finish(builder_t *b, child_build_t *c, cell_error_t *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        char tmp[4096];
        ssize_t k;
        int status = 0, r = 0;

        while ((k = read(c->result_fd, tmp, sizeof(tmp))) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;
                if (len + (size_t)k + 1 > cap) {
                        char *nb = realloc(buf, cap = (len + (size_t)k + 1) * 2);

                        if (!nb)
                                break;
                        buf = nb;
                }
                memcpy(buf + len, tmp, (size_t)k);
                len += (size_t)k;
                buf[len] = '\0';
        }
        close(c->result_fd);
        waitpid(c->pid, &status, 0);
        rewind(c->log);
        while ((k = (ssize_t)fread(tmp, 1, sizeof(tmp), c->log)) > 0)
                fwrite(tmp, 1, (size_t)k, b->out);
        fclose(c->log);
        c->log = NULL;
        if (!buf || buf[0] == '!' || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (buf && buf[0] == '!') {
                        buf[strcspn(buf, "\n")] = '\0';
                        return cell_error_plain(err, EIO, "%s", buf + 1);
                }
                return cell_error_plain(err, EIO, "the build of stage %zu ended without a result", c->stage);
        }
        {
                char *save = NULL, *id = strtok_r(buf, "\n", &save), *line = strtok_r(NULL, "\n", &save);
                stage_state_t *st = &b->stages[c->stage];

                r = load_image(b, id, &st->img, err);
                st->user_line = line ? atoi(line) : 0;
                st->built = r == 0;
                for (char *a = strtok_r(NULL, "\n", &save); a; a = strtok_r(NULL, "\n", &save))
                        strv_push(&b->advice.lines, a);
        }
        return r;
}

/* Every needed stage, each once its stages are built; stages ready
 * together build at the same time, all but the first in child processes
 * (the engine's RUN owns the process's stdio, so not threads). */
static int build_stages(builder_t *b, const bool *need, size_t target, cell_error_t *err)
{
        size_t n = b->df->n_stages;
        int base = 0;

        for (size_t s = 0; s <= target; s++) {
                b->step_base[s] = base;
                if (need[s])
                        base += (int)b->df->stages[s].count;
        }
        for (;;) {
                _cleanup_free_ size_t *ready = calloc(n, sizeof(*ready));
                _cleanup_free_ child_build_t *kids = calloc(n, sizeof(*kids));
                size_t nr = 0, nk = 0;
                int r = 0;

                if (!ready || !kids)
                        return cell_error_set(err, ENOMEM, "build");
                for (size_t s = 0; s <= target; s++) {
                        bool ok = need[s] && !b->stages[s].built;

                        for (size_t d = 0; ok && d < s; d++)
                                if (b->deps[s * n + d] && !b->stages[d].built)
                                        ok = false;
                        if (ok)
                                ready[nr++] = s;
                }
                if (nr == 0)
                        return 0;
                for (size_t i = 1; i < nr && r == 0; i++)
                        if ((r = child_start(b, ready[i], &kids[nk], err)) == 0)
                                nk++;
                if (r == 0) {
                        b->step = b->step_base[ready[0]];
                        r = build_stage(b, ready[0], err);
                }
                for (size_t i = 0; i < nk; i++) {
                        cell_error_t e2 = {0};

                        if (child_finish(b, &kids[i], r == 0 ? err : &e2) < 0)
                                r = -1;
                }
                if (r < 0)
                        return -1;
        }
}

/* ---- the whole build ---- */

static int read_dockerfile(builder_t *b, char **ret, size_t *ret_len, const char **ret_name,
                           cell_error_t *err)
{
        const build_opts_t *o = b->o;

        *ret_name = "Dockerfile";
        if (o->dockerfile_data) {
                *ret = malloc(o->dockerfile_len + 1);
                if (!*ret)
                        return cell_error_set(err, ENOMEM, "Dockerfile");
                memcpy(*ret, o->dockerfile_data, o->dockerfile_len);
                (*ret)[o->dockerfile_len] = '\0';
                *ret_len = o->dockerfile_len;
                return 0;
        }
        if (o->dockerfile_path) {
                const char *base = strrchr(o->dockerfile_path, '/');

                *ret_name = base ? base + 1 : o->dockerfile_path;
                return fs_read_file(o->dockerfile_path, 16 * 1024 * 1024, ret, ret_len, err);
        }
        if (build_context_read_file(b->ctx, "Dockerfile", ret, ret_len, NULL) == 0)
                return 0;
        *ret_name = "Containerfile";
        if (build_context_read_file(b->ctx, "Containerfile", ret, ret_len, NULL) == 0)
                return 0;
        return cell_error_plain(err, ENOENT,
                                "failed to read the Dockerfile: no Dockerfile or Containerfile in %s",
                                o->context_dir ? o->context_dir : "the context");
}

static int set_final_labels(builder_t *b, stage_state_t *st, cell_error_t *err)
{
        image_run_config_t *rc = &st->img.config->config;
        _cleanup_free_ char *what = NULL;

        if (!b->o->labels || !b->o->labels[0])
                return 0;
        for (size_t i = 0; b->o->labels[i]; i++) {
                _cleanup_free_ char *k = strdup(b->o->labels[i]);
                char *eq = k ? strchr(k, '=') : NULL;

                if (!k)
                        return cell_error_set(err, ENOMEM, "--label");
                if (eq)
                        *eq = '\0';
                if (set_labels(rc, k, eq ? eq + 1 : "", err) < 0)
                        return -1;
        }
        what = strv_join(b->o->labels, " ");
        {
                _cleanup_free_ char *cb = what ? str_printf("LABEL %s", what) : NULL;

                if (!cb)
                        return cell_error_set(err, ENOMEM, "--label");
                return write_step(b, st, cb, NULL, NULL, err);
        }
}

int build_run(engine_t *e, const build_opts_t *o, char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        builder_t b = {.e = e, .o = o, .out = o->out ? o->out : stdout};
        _cleanup_free_ char *images = str_printf("%s/images", e->storage_root), *data = NULL, *tmp = NULL;
        _cleanup_free_ bool *need = NULL;
        _cleanup_strv_ char **names = NULL;
        const char *dfname = NULL;
        size_t len = 0, target;
        int r = -1;

        b.cache_dir = str_printf("%s/build-cache", e->storage_root);
        tmp = str_printf("%s/tmp", e->storage_root);
        if (!images || !b.cache_dir || !tmp)
                return cell_error_set(err, ENOMEM, "build");
        /* Tags are checked before anything runs. */
        for (size_t i = 0; o->tags && o->tags[i]; i++) {
                _cleanup_free_ char *n = NULL;

                if (image_ref_normalize(o->tags[i], &n, err) < 0) {
                        cell_error_prefix(err, "invalid tag \"%s\"", o->tags[i]);
                        goto out;
                }
                if (strv_push(&names, n) < 0) {
                        r = cell_error_set(err, ENOMEM, "build");
                        goto out;
                }
        }
        if (fs_mkdir_p(b.cache_dir, 0700, err) < 0 || fs_mkdir_p(tmp, 0700, err) < 0)
                goto out;
        if (o->context_dir ? build_context_open(o->context_dir, &b.ctx, err)
                           : build_context_from_tar(o->context_tar_fd, tmp, &b.ctx, err) < 0)
                goto out;
        if (!b.ctx)
                goto out;
        if (read_dockerfile(&b, &data, &len, &dfname, err) < 0)
                goto out;
        if (dockerfile_parse(data, len, dfname, &b.df, err) < 0)
                goto out;
        if (b.df->n_stages == 0) {
                r = cell_error_plain(err, EINVAL, "%s: no FROM instruction: nothing to build", dfname);
                goto out;
        }
        if (image_store_open(images, &b.store, err) < 0)
                goto out;
        remove_stale_steps(e);
        b.stages = calloc(b.df->n_stages, sizeof(*b.stages));
        need = calloc(b.df->n_stages, sizeof(*need));
        b.deps = calloc(b.df->n_stages * b.df->n_stages, sizeof(*b.deps));
        b.step_base = calloc(b.df->n_stages, sizeof(*b.step_base));
        if (!b.stages || !need || !b.deps || !b.step_base) {
                r = cell_error_set(err, ENOMEM, "build");
                goto out;
        }
        for (size_t i = 0; i < b.df->n_global_args; i++)
                if (do_arg(&b, NULL, &b.df->instrs[i], err) < 0) {
                        instr_error(&b, &b.df->instrs[i], err);
                        goto out;
                }
        target = b.df->n_stages - 1;
        if (o->target) {
                const dockerfile_stage_t *ds = dockerfile_find_stage(b.df, o->target);

                if (!ds || !ds->name) {
                        r = cell_error_plain(err, ENOENT, "target stage \"%s\" could not be found",
                                             o->target);
                        goto out;
                }
                target = (size_t)(ds - b.df->stages);
        }
        if (mark_needed(&b, target, need, err) < 0)
                goto out;
        for (size_t s = 0; s <= target; s++)
                if (need[s])
                        b.n_steps += (int)b.df->stages[s].count;
        if (image_store_pin(b.store, err) < 0)
                goto out;
        r = build_stages(&b, need, target, err);
        if (r == 0)
                r = set_final_labels(&b, &b.stages[target], err);
        if (r == 0)
                r = ensure_image(&b, &b.stages[target], err);
        if (r == 0) {
                _cleanup_storage_ storage_t *stg = NULL;

                r = storage_open(e->storage_root, &stg, err);
                if (r == 0)
                        r = build_advice_final(&b.advice, b.df, b.stages[target].user_line, stg, b.store,
                                               &b.stages[target].img, b.cache_dir, tmp, err);
        }
        for (size_t i = 0; r == 0 && b.advice.lines && b.advice.lines[i]; i++)
                fprintf(stderr, "%s\n", b.advice.lines[i]);
        if (r == 0 && o->check && b.advice.lines) {
                /* --check: the advice fails the build; nothing is tagged. */
                r = cell_error_plain(err, EPERM, "%zu warning%s (--check)", strv_length(b.advice.lines),
                                     strv_length(b.advice.lines) == 1 ? "" : "s");
        }
        if (r == 0) {
                /* The result: under each tag, and (untagged) no longer an
                 * intermediate image: `images` lists it, as docker's. */
                char id[IMAGE_DIGEST_STR_SIZE];

                r = engine_image_write(b.store, b.stages[target].img.config, b.stages[target].img.manifest,
                                       NULL, names, false, id, err);
                if (r == 0 && !str_eq(id, b.stages[target].img.id))
                        r = cell_error_plain(err, EIO, "the tagged image's id changed (%s, %s)", id,
                                             b.stages[target].img.id);
        }
        image_store_unpin(b.store);
        if (r == 0) {
                str_copy(ret_id, IMAGE_DIGEST_STR_SIZE, b.stages[target].img.id);
                if (!o->quiet) {
                        fprintf(b.out, "Successfully built %.12s\n", ret_id + 7);
                        for (size_t i = 0; o->tags && o->tags[i]; i++) {
                                _cleanup_image_ref_ image_ref_t *ref = NULL;
                                _cleanup_free_ char *fam = NULL;

                                if (image_ref_parse(names[i], &ref, NULL) == 0)
                                        fam = image_ref_familiar(ref);
                                fprintf(b.out, "Successfully tagged %s\n", fam ? fam : names[i]);
                        }
                }
        }
out:
        for (size_t i = 0; b.df && b.stages && i < b.df->n_stages; i++) {
                storage_image_clear(&b.stages[i].img);
                strv_free(b.stages[i].args);
                strv_free(b.stages[i].arg_env);
        }
        free(b.stages);
        free(b.deps);
        free(b.step_base);
        strv_free(b.global_args);
        build_advice_clear(&b.advice);
        dockerfile_free(b.df);
        build_context_free(b.ctx);
        image_store_close(b.store);
        free(b.cache_dir);
        return r < 0 ? -1 : 0;
}
