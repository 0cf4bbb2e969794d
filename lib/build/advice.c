/* cell: advice on what makes an image unsafe (see advice.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "advice.h"
#include "cleanup.h"
#include "fsutil.h"
#include "snapshot.h"
#include "strutil.h"

#define SETID_SHOWN 5

void build_advice_clear(build_advice_t *a)
{
        strv_free(a->lines);
        a->lines = NULL;
}

static void say(build_advice_t *a, const dockerfile_t *df, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void say(build_advice_t *a, const dockerfile_t *df, int line, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL, *full = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        full = msg ? str_printf("%s:%d: warning: %s", df->name, line, msg) : NULL;
        if (full)
                strv_push(&a->lines, full);
}

void build_advice_from(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in,
                       const char *ref)
{
        const char *last = strrchr(ref, '/'), *colon;

        if (strchr(ref, '@'))
                return; /* a digest pins it */
        colon = strrchr(last ? last : ref, ':');
        if (!colon || strcmp(colon + 1, "latest") == 0)
                say(a, df, in->line,
                    "FROM %s: the base image is not pinned (no tag other than latest, no digest): a rebuild "
                    "may "
                    "get another image",
                    ref);
}

static bool contains_ci(const char *s, const char *word)
{
        size_t n = strlen(word);

        for (; *s; s++)
                if (strncasecmp(s, word, n) == 0)
                        return true;
        return false;
}

/* Names that say secret, and values that look like one whatever their
 * name (key formats with a recognisable prefix). */
static bool secret_name(const char *name)
{
        static const char *const words[] = {
                "password",   "passwd",     "secret",    "token",      "apikey", "api_key", "private_key",
                "privatekey", "access_key", "accesskey", "credential", "auth",   NULL};

        for (size_t i = 0; words[i]; i++)
                if (contains_ci(name, words[i]))
                        return true;
        return false;
}

static bool secret_value(const char *v)
{
        static const char *const prefixes[] = {"AKIA",        "ASIA",       "ghp_",  "gho_",
                                               "github_pat_", "glpat-",     "xoxb-", "xoxp-",
                                               "sk_live_",    "-----BEGIN", NULL};

        for (size_t i = 0; prefixes[i]; i++)
                if (str_has_prefix(v, prefixes[i]) && strlen(v) >= 16)
                        return true;
        return strstr(v, "PRIVATE KEY-----") != NULL;
}

void build_advice_kv(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in,
                     const char *name, const char *value)
{
        const char *kind = in->kind == DOCKERFILE_ARG ? "ARG" : "ENV";

        if (value && *value && (secret_name(name) || secret_value(value)))
                say(a, df, in->line,
                    "%s %s: a secret-looking value is kept in the image's %s: use --secret and RUN "
                    "--mount=type=secret",
                    kind, name, in->kind == DOCKERFILE_ARG ? "history" : "config");
        else if (!value && in->kind == DOCKERFILE_ARG && secret_name(name))
                say(a, df, in->line,
                    "ARG %s: a secret passed as a build argument is kept in the image's history: use "
                    "--secret "
                    "and RUN --mount=type=secret",
                    name);
}

/* An archive ADD unpacks: its first bytes (gzip, bzip2, xz, zstd, tar). */
static bool is_archive(int rootfd, const char *path)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_RDONLY | O_CLOEXEC, 0, NULL);
        unsigned char b[512];
        ssize_t k;

        if (fd < 0)
                return false;
        k = read(fd, b, sizeof(b));
        if (k >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return true;
        if (k >= 3 && memcmp(b, "BZh", 3) == 0)
                return true;
        if (k >= 6 && memcmp(b,
                             "\xfd"
                             "7zXZ",
                             5) == 0)
                return true;
        if (k >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
                return true;
        return k >= 262 && memcmp(b + 257, "ustar", 5) == 0;
}

void build_advice_add(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in, int rootfd,
                      char *const *sources)
{
        for (size_t i = 0; sources && sources[i]; i++) {
                struct stat sb;
                _cleanup_close_ int fd = fs_open_in_root(rootfd, sources[i], O_PATH | O_CLOEXEC, 0, NULL);

                if (fd < 0 || fstat(fd, &sb) < 0)
                        continue;
                if (S_ISREG(sb.st_mode) && is_archive(rootfd, sources[i]))
                        return;
        }
        say(a, df, in->line,
            "ADD of files that are not archives: COPY does the same, without ADD's unpacking");
}

/* ---- the final image ---- */

typedef struct walk_state {
        char **found;
        size_t n;
} walk_state_t;

/* Every regular file with a setuid or setgid bit under dirfd (path: its
 * name in the image), not following symlinks nor leaving the file system. */
static void walk_dir(int dirfd, const char *path, dev_t dev, int depth, walk_state_t *w)
{
        DIR *d;
        struct dirent *de;

        if (depth > 256)
                return;
        d = fdopendir(dirfd);
        if (!d) {
                close(dirfd);
                return;
        }
        while ((de = readdir(d))) {
                struct stat sb;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(sb.st_mode) && (sb.st_mode & (S_ISUID | S_ISGID))) {
                        _cleanup_free_ char *p = str_printf("%s/%s", path, de->d_name);

                        if (++w->n <= SETID_SHOWN && p)
                                strv_push(&w->found, p);
                } else if (S_ISDIR(sb.st_mode) && sb.st_dev == dev) {
                        _cleanup_free_ char *p = str_printf("%s/%s", path, de->d_name);
                        int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (fd >= 0 && p)
                                walk_dir(fd, p, dev, depth + 1, w);
                        else if (fd >= 0)
                                close(fd);
                }
        }
        closedir(d);
}

static int walk_setid(const char *root, char ***ret, size_t *ret_n, cell_error_t *err)
{
        walk_state_t w = {0};
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat sb;

        if (fd < 0 || fstat(fd, &sb) < 0) {
                if (fd >= 0)
                        close(fd);
                return cell_error_errno(err, "walk %s", root);
        }
        walk_dir(fd, "", sb.st_dev, 0, &w);
        *ret = w.found;
        *ret_n = w.n;
        return 0;
}

/* "N\npath\npath..." kept under the image id. */
static int setid_cached(const char *cache_dir, const char *id, char ***ret, size_t *ret_n)
{
        _cleanup_free_ char *path = str_printf("%s/advice-%s", cache_dir, id + 7), *data = NULL;
        size_t len = 0;
        char *save = NULL, *tok;
        long n;

        if (!path || fs_read_file(path, 64 * 1024, &data, &len, NULL) < 0)
                return -1;
        tok = strtok_r(data, "\n", &save);
        if (!tok || str_to_long(tok, 0, 1L << 40, &n) < 0)
                return -1;
        *ret_n = (size_t)n;
        *ret = calloc(1, sizeof(char *));
        for (tok = strtok_r(NULL, "\n", &save); tok && *ret; tok = strtok_r(NULL, "\n", &save))
                strv_push(ret, tok);
        return *ret ? 0 : -1;
}

static void setid_store(const char *cache_dir, const char *id, char *const *found, size_t n)
{
        _cleanup_free_ char *path = str_printf("%s/advice-%s", cache_dir, id + 7);
        _cleanup_free_ char *lines = strv_join(found, "\n");
        _cleanup_free_ char *data = lines ? str_printf("%zu\n%s%s", n, lines, *lines ? "\n" : "") : NULL;

        if (path && data)
                fs_write_atomic(path, data, strlen(data), 0600, NULL);
}

int build_advice_final(build_advice_t *a, const dockerfile_t *df, int user_line, storage_t *st,
                       image_store_t *store, const storage_image_t *img, const char *cache_dir,
                       const char *tmp_dir, cell_error_t *err)
{
        const char *user = img->config->config.user;
        _cleanup_strv_ char **found = NULL;
        size_t n = 0;

        if (!user || !*user || str_eq(user, "root") || str_eq(user, "0") || str_has_prefix(user, "root:") ||
            str_has_prefix(user, "0:"))
                say(a, df, user_line, "the image runs as root (%s): add a USER that is not root",
                    user && *user ? user : "no USER");
        if (!img->id[0] || img->manifest->n_layers == 0)
                return 0;
        if (setid_cached(cache_dir, img->id, &found, &n) < 0) {
                _cleanup_strv_ char **dirs = NULL;
                _cleanup_free_ char *mnt = str_printf("%s/advice-XXXXXX", tmp_dir);
                snapshot_overlay_t o = {0};
                int r;

                if (!mnt)
                        return cell_error_set(err, ENOMEM, "advice");
                if (storage_gc_lock_shared(st, err) < 0)
                        return -1;
                r = storage_layers_ensure(st, store, img->manifest, img->config, &dirs, NULL, err);
                if (r >= 0 && !mkdtemp(mnt))
                        r = cell_error_errno(err, "mkdtemp %s", mnt);
                if (r >= 0) {
                        o.layers = (const char *const *)dirs;
                        o.n_layers = strv_length(dirs);
                        r = snapshot_mount(&o, mnt, err);
                        if (r >= 0) {
                                r = walk_setid(mnt, &found, &n, err);
                                umount2(mnt, MNT_DETACH);
                        }
                        rmdir(mnt);
                }
                storage_gc_unlock(st);
                if (r < 0)
                        return -1;
                setid_store(cache_dir, img->id, found, n);
        }
        if (n > 0) {
                _cleanup_free_ char *list = strv_join(found, ", ");

                say(a, df, user_line,
                    "%zu setuid or setgid file%s in the image (%s%s): remove the bits unless "
                    "needed (chmod u-s,g-s)",
                    n, n == 1 ? "" : "s", list ? list : "", n > SETID_SHOWN ? ", ..." : "");
        }
        return 0;
}
