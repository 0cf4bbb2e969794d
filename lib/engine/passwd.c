/* cell: --user resolved inside a container's root (see passwd.h).
 *
 * Security: the root is attacker-controlled. Paths are resolved by openat2()
 * with RESOLVE_IN_ROOT, so an absolute symlink or ".." in etc/ ends inside
 * the root (or nowhere), never at the host's /etc/passwd. The file is first
 * opened O_PATH and checked to be a regular file before it is opened for
 * reading, so that a FIFO cannot block us and a device node is never opened;
 * the read is capped. Only then is the text parsed, and every number in it
 * is range-checked. */
#include "passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#define PASSWD_FILE_MAX (4u << 20)
/* The largest id accepted: the project's rule is 2^31-2, one below the
 * 2^31-1 that runc's user package allows. */
#define ENGINE_ID_MAX 2147483646L

/* Read path inside root into *ret. Returns 1 when read, 0 when there is no
 * such file inside the root (missing, a dangling or looping symlink), or a
 * negative errno. */
static int read_in_root(int rootfd, const char *path, char **ret, cell_error_t *err)
{
        _cleanup_close_ int pfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        char proc[64];
        struct stat st;
        size_t len = 0;

        pfd = fs_open_in_root(rootfd, path, O_PATH, 0, err);
        if (pfd == -ENOENT || pfd == -ENOTDIR || pfd == -ELOOP) {
                cell_error_clear(err);
                return 0;
        }
        if (pfd < 0)
                return pfd;
        if (fstat(pfd, &st) < 0)
                return cell_error_errno(err, "stat %s in the container root", path);
        if (!S_ISREG(st.st_mode))
                return cell_error_plain(err, EINVAL, "%s in the container root is not a regular file", path);
        /* Reopen the very inode that was checked, for reading. */
        fd = TEMP_FAILURE_RETRY_INT(
                open(fs_fd_path(pfd, proc, sizeof(proc)), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
        if (fd < 0)
                return cell_error_errno(err, "open %s in the container root", path);
        buf = malloc(PASSWD_FILE_MAX + 2);
        if (!buf)
                return cell_error_set(err, ENOMEM, "read %s in the container root", path);
        for (;;) {
                ssize_t n = TEMP_FAILURE_RETRY_INT(read(fd, buf + len, PASSWD_FILE_MAX + 1 - len));

                if (n < 0)
                        return cell_error_errno(err, "read %s in the container root", path);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > PASSWD_FILE_MAX)
                        return cell_error_plain(err, EFBIG,
                                                "%s in the container root is larger than %u bytes", path,
                                                PASSWD_FILE_MAX);
        }
        buf[len] = '\0';
        *ret = steal_pointer(&buf);
        return 1;
}

/* Split line at ':' into at most n fields (missing ones are ""). */
static void split_fields(char *line, char **fields, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char *c;

                fields[i] = line;
                c = strchr(line, ':');
                if (c) {
                        *c = '\0';
                        line = c + 1;
                } else {
                        line += strlen(line);
                }
        }
}

/* Next line of *p (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p)
{
        char *line = *p, *nl;

        if (!line || *line == '\0')
                return NULL;
        nl = strchr(line, '\n');
        if (nl) {
                *nl = '\0';
                *p = nl + 1;
        } else {
                *p = line + strlen(line);
        }
        return line;
}

/* An id field of a file: digits only, in range. */
static bool parse_file_id(const char *s, long *ret)
{
        return s[0] >= '0' && s[0] <= '9' && str_to_long(s, 0, LONG_MAX, ret) == 0;
}

/* A spec part: is it a number, and is that number an id? */
static bool looks_numeric(const char *s)
{
        if (*s == '-')
                s++;
        if (*s == '\0')
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
        }
        return true;
}

static int parse_spec_id(const char *s, long *ret, cell_error_t *err)
{
        if (str_to_long(s, 0, ENGINE_ID_MAX, ret) < 0)
                return cell_error_plain(err, ERANGE, "uids and gids must be in range 0-%ld", ENGINE_ID_MAX);
        return 0;
}

static bool is_comment_or_blank(const char *line)
{
        return line[0] == '\0' || line[0] == '#';
}

typedef struct {
        long uid, gid;
        char *name;
        char *home;
        bool found;
} pw_match_t;

static int find_user(char *text, const char *user_arg, bool numeric, long uid_arg, pw_match_t *m,
                     cell_error_t *err)
{
        char *p = text, *line;

        while ((line = next_line(&p))) {
                char *f[7];
                long uid, gid;

                if (is_comment_or_blank(line))
                        continue;
                split_fields(line, f, ARRAY_SIZE(f));
                if (!parse_file_id(f[2], &uid) || !parse_file_id(f[3], &gid))
                        continue;
                if (numeric ? uid != uid_arg : !str_eq(f[0], user_arg))
                        continue;
                m->uid = uid;
                m->gid = gid;
                m->name = strdup(f[0]);
                m->home = strdup(f[5][0] ? f[5] : "/");
                if (!m->name || !m->home)
                        return cell_error_set(err, ENOMEM, "reading etc/passwd");
                m->found = true;
                return 0;
        }
        return 0;
}

static bool member_of(char *list, const char *name)
{
        char *save = NULL;

        for (char *u = strtok_r(list, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
                if (str_eq(u, name))
                        return true;
        }
        return false;
}

/* The group named (or numbered) group_arg: 1 found, 0 not. */
static int find_group(char *text, const char *group_arg, long *ret_gid)
{
        char *p = text, *line;
        long want = -1;

        if (looks_numeric(group_arg) && str_to_long(group_arg, 0, LONG_MAX, &want) < 0)
                want = -1;
        while ((line = next_line(&p))) {
                char *f[4];
                long gid;

                if (is_comment_or_blank(line))
                        continue;
                split_fields(line, f, ARRAY_SIZE(f));
                if (!parse_file_id(f[2], &gid))
                        continue;
                if (str_eq(f[0], group_arg) || (want >= 0 && gid == want)) {
                        *ret_gid = gid;
                        return 1;
                }
        }
        return 0;
}

static int supplementary_groups(char *text, const char *user, engine_user_t *u, cell_error_t *err)
{
        char *p = text, *line;

        while ((line = next_line(&p))) {
                char *f[4];
                long gid;
                gid_t *n;

                if (is_comment_or_blank(line))
                        continue;
                split_fields(line, f, ARRAY_SIZE(f));
                if (!parse_file_id(f[2], &gid) || !member_of(f[3], user))
                        continue;
                if (gid > ENGINE_ID_MAX)
                        return cell_error_plain(err, ERANGE,
                                                "etc/group: group %s: uids and gids must be in range 0-%ld",
                                                f[0], ENGINE_ID_MAX);
                n = reallocarray(u->additional_gids, u->n_additional_gids + 1, sizeof(gid_t));
                if (!n)
                        return cell_error_set(err, ENOMEM, "reading etc/group");
                u->additional_gids = n;
                u->additional_gids[u->n_additional_gids++] = (gid_t)gid;
        }
        return 0;
}

void engine_user_clear(engine_user_t *u)
{
        if (!u)
                return;
        free(u->additional_gids);
        free(u->home);
        *u = (engine_user_t){0};
}

int engine_user_add_primary_gid(engine_user_t *u, cell_error_t *err)
{
        gid_t *n;
        size_t i, k = 0;

        n = calloc(u->n_additional_gids + 1, sizeof(gid_t));
        if (!n)
                return cell_error_set(err, ENOMEM, "groups");
        n[k++] = u->gid;
        for (i = 0; i < u->n_additional_gids; i++) {
                if (u->additional_gids[i] != u->gid)
                        n[k++] = u->additional_gids[i];
        }
        free(u->additional_gids);
        u->additional_gids = n;
        u->n_additional_gids = k;
        return 0;
}

static int add_gid(engine_user_t *u, gid_t gid, cell_error_t *err)
{
        gid_t *n;

        for (size_t i = 0; i < u->n_additional_gids; i++)
                if (u->additional_gids[i] == gid)
                        return 0;
        n = reallocarray(u->additional_gids, u->n_additional_gids + 1, sizeof(gid_t));
        if (!n)
                return cell_error_set(err, ENOMEM, "groups");
        u->additional_gids = n;
        u->additional_gids[u->n_additional_gids++] = gid;
        return 0;
}

int engine_user_add_groups(int rootfd, const char *const *groups, size_t n, engine_user_t *u,
                           cell_error_t *err)
{
        _cleanup_free_ char *group = NULL;
        int r;

        if (n == 0)
                return 0;
        r = read_in_root(rootfd, "etc/group", &group, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *text = group ? strdup(group) : NULL;
                long gid = -1;

                if (group && !text)
                        return cell_error_set(err, ENOMEM, "reading etc/group");
                if (text && find_group(text, groups[i], &gid) > 0) {
                        if (gid > ENGINE_ID_MAX)
                                return cell_error_plain(
                                        err, ERANGE,
                                        "etc/group: group %s: uids and gids must be in range 0-%ld",
                                        groups[i], ENGINE_ID_MAX);
                } else if (looks_numeric(groups[i])) {
                        r = parse_spec_id(groups[i], &gid, err);
                        if (r < 0)
                                return r;
                } else {
                        return cell_error_plain(err, ENOENT,
                                                "Unable to find group %s: no matching entries in group file",
                                                groups[i]);
                }
                r = add_gid(u, (gid_t)gid, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int engine_user_resolve(int rootfd, const char *spec, engine_user_t *ret, cell_error_t *err)
{
        _cleanup_free_ char *spec_copy = NULL, *passwd = NULL, *group = NULL;
        engine_user_t u = {0};
        pw_match_t m = {0};
        const char *user_arg, *group_arg = NULL;
        char *colon;
        bool numeric;
        long uid_arg = -1, gid;
        int r;

        spec_copy = strdup(spec ? spec : "");
        if (!spec_copy)
                return cell_error_set(err, ENOMEM, "user %s", spec);
        colon = strchr(spec_copy, ':');
        if (colon) {
                *colon = '\0';
                if (colon[1])
                        group_arg = colon + 1;
        }
        user_arg = spec_copy[0] ? spec_copy : "0";
        numeric = looks_numeric(user_arg);
        if (numeric) {
                r = parse_spec_id(user_arg, &uid_arg, err);
                if (r < 0)
                        return r;
        }

        r = read_in_root(rootfd, "etc/passwd", &passwd, err);
        if (r < 0)
                return r;
        if (r > 0) {
                r = find_user(passwd, user_arg, numeric, uid_arg, &m, err);
                if (r < 0)
                        goto fail;
        }
        if (m.found) {
                if (m.uid > ENGINE_ID_MAX || m.gid > ENGINE_ID_MAX) {
                        r = cell_error_plain(err, ERANGE,
                                             "etc/passwd: user %s: uids and gids must be in range 0-%ld",
                                             m.name, ENGINE_ID_MAX);
                        goto fail;
                }
                u.uid = (uid_t)m.uid;
                u.gid = (gid_t)m.gid;
                u.home = steal_pointer(&m.home);
        } else if (numeric) {
                u.uid = (uid_t)uid_arg;
                u.gid = 0;
                u.home = strdup("/");
                if (!u.home) {
                        r = cell_error_set(err, ENOMEM, "user %s", spec);
                        goto fail;
                }
        } else {
                r = cell_error_plain(err, ENOENT,
                                     "unable to find user %s: no matching entries in passwd file", user_arg);
                goto fail;
        }

        if (group_arg || m.found) {
                r = read_in_root(rootfd, "etc/group", &group, err);
                if (r < 0)
                        goto fail;
        }
        if (group_arg) {
                if (group && find_group(group, group_arg, &gid) > 0) {
                        if (gid > ENGINE_ID_MAX) {
                                r = cell_error_plain(
                                        err, ERANGE,
                                        "etc/group: group %s: uids and gids must be in range 0-%ld",
                                        group_arg, ENGINE_ID_MAX);
                                goto fail;
                        }
                } else if (looks_numeric(group_arg)) {
                        r = parse_spec_id(group_arg, &gid, err);
                        if (r < 0)
                                goto fail;
                } else {
                        r = cell_error_plain(err, ENOENT,
                                             "unable to find group %s: no matching entries in group file",
                                             group_arg);
                        goto fail;
                }
                u.gid = (gid_t)gid;
        } else if (m.found && group) {
                /* Supplementary groups only in the implicit form, as docker. */
                r = supplementary_groups(group, m.name, &u, err);
                if (r < 0)
                        goto fail;
        }
        free(m.name);
        *ret = u;
        return 0;
fail:
        free(m.name);
        free(m.home);
        engine_user_clear(&u);
        return r;
}
