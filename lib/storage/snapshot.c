/* cell: overlay snapshots of unpacked layers, and the changes of a
 * writable layer (see snapshot.h). */
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "strutil.h"

static int sys_fsopen(const char *fs, unsigned flags)
{
        return (int)syscall(SYS_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
        return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
        return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static int sys_move_mount(int from, const char *from_path, int to, const char *to_path, unsigned flags)
{
        return (int)syscall(SYS_move_mount, from, from_path, to, to_path, flags);
}

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
        return (int)syscall(SYS_open_tree, dfd, path, flags);
}

/* The kernel explains a refused overlay in the context's log ("e overlay:
 * failed to resolve ..."): that beats a bare EINVAL. */
static int fs_context_error(int fsfd, int e, cell_error_t *err, const char *what)
{
        char buf[512];
        ssize_t n = fsfd >= 0 ? read(fsfd, buf, sizeof(buf) - 1) : -1;

        if (n > 2) {
                buf[n] = '\0';
                if (buf[n - 1] == '\n')
                        buf[n - 1] = '\0';
                return cell_error_set(err, e, "%s: %s", what, buf + 2);
        }
        return cell_error_set(err, e, "%s", what);
}

static int bind_to(const char *source, const char *target, bool readonly, cell_error_t *err)
{
        _cleanup_close_ int tree = sys_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (tree < 0)
                return cell_error_errno(err, "snapshot: bind %s", source);
        if (readonly) {
                struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
                if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                        return cell_error_errno(err, "snapshot: read-only %s", source);
        }
        if (sys_move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return cell_error_errno(err, "snapshot: mount on %s", target);
        return 0;
}

int snapshot_mount(const snapshot_overlay_t *o, const char *target, cell_error_t *err)
{
        _cleanup_close_ int fsfd = -1;
        _cleanup_close_ int mfd = -1;

        if (o->n_layers == 0) {
                if (!o->upper)
                        return cell_error_set(err, EINVAL, "snapshot: no layer and no upper directory");
                return bind_to(o->upper, target, false, err);
        }
        if (o->n_layers == 1 && !o->upper)
                return bind_to(o->layers[0], target, true, err);
        if (o->upper && !o->work)
                return cell_error_set(err, EINVAL, "snapshot: an upper directory needs a work directory");

        fsfd = sys_fsopen("overlay", FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return cell_error_errno(err, "snapshot: fsopen overlay");
        /* Top-most first, as overlayfs stacks them; one layer a call, so no
         * option string has to hold them all. */
        for (size_t i = o->n_layers; i-- > 0;) {
                if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", o->layers[i], 0) < 0) {
                        _cleanup_free_ char *what = str_printf("snapshot: layer %zu (%s)", i, o->layers[i]);
                        return fs_context_error(fsfd, errno, err, what ? what : "snapshot: layer");
                }
        }
        if (o->upper && (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", o->upper, 0) < 0 ||
                         sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", o->work, 0) < 0))
                return fs_context_error(fsfd, errno, err, "snapshot: upper/work directory");
        /* No inode index: layers are shared by many snapshots, and an index
         * would tie each lower to the first upper that used it. */
        if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "index", "off", 0) < 0 && errno != EINVAL)
                return fs_context_error(fsfd, errno, err, "snapshot: index=off");
        if (o->userxattr && sys_fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
                return fs_context_error(fsfd, errno, err, "snapshot: userxattr");
        if (sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_context_error(fsfd, errno, err, "snapshot: overlay");
        mfd = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, o->upper ? 0 : MOUNT_ATTR_RDONLY);
        if (mfd < 0)
                return cell_error_errno(err, "snapshot: fsmount overlay");
        if (sys_move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return cell_error_errno(err, "snapshot: mount overlay on %s", target);
        return 0;
}

/* ---- diff ---- */

enum { DIFF_CHANGED = 0, DIFF_ADDED = 1, DIFF_DELETED = 2 };

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque_fd(int fd)
{
        char v[2];

        if (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y')
                return true;
        return fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static bool is_opaque_path(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        return fd >= 0 && is_opaque_fd(fd);
}

/* Whether rel ("etc/passwd") exists in the merged view of the layers:
 * top-most layer first; a whiteout or an opaque parent ends the search. */
static bool lower_exists(const char *const *layers, size_t n, const char *rel)
{
        for (size_t i = n; i-- > 0;) {
                _cleanup_free_ char *p = str_printf("%s/%s", layers[i], rel);
                struct stat st;
                bool hidden_below = false;

                if (!p)
                        return false;
                if (lstat(p, &st) == 0)
                        return !is_whiteout(&st);
                /* A parent made opaque in this layer hides the lower ones. */
                for (char *s = strrchr(p, '/'); s && s > p + strlen(layers[i]); s = strrchr(p, '/')) {
                        *s = '\0';
                        if (is_opaque_path(p)) {
                                hidden_below = true;
                                break;
                        }
                }
                if (hidden_below)
                        return false;
        }
        return false;
}

static int add_change(json_t *arr, const char *rel, int kind)
{
        _cleanup_free_ char *path = str_printf("/%s", rel);

        if (!path || json_array_append_new(arr, json_pack("{s:s,s:i}", "Path", path, "Kind", kind)) < 0)
                return -ENOMEM;
        return 0;
}

/* Lower entries under rel that an opaque upper directory hides. */
static int hidden_by_opaque(const char *const *layers, size_t n, const char *rel, int dirfd, json_t *arr)
{
        for (size_t i = n; i-- > 0;) {
                _cleanup_free_ char *p = str_printf("%s/%s", layers[i], rel);
                _cleanup_closedir_ DIR *d = p ? opendir(p) : NULL;
                struct dirent *de;

                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        struct stat st;
                        _cleanup_free_ char *child = NULL;
                        bool seen = false;

                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                continue; /* still there, in the upper layer */
                        child = str_printf("%s/%s", rel, de->d_name);
                        if (!child)
                                return -ENOMEM;
                        for (size_t k = 0; k < json_array_size(arr); k++) {
                                const char *q =
                                        json_string_value(json_object_get(json_array_get(arr, k), "Path"));
                                if (q && strcmp(q + 1, child) == 0)
                                        seen = true;
                        }
                        if (!seen && lower_exists(layers, n, child) &&
                            add_change(arr, child, DIFF_DELETED) < 0)
                                return -ENOMEM;
                }
                if (is_opaque_path(p))
                        break; /* nothing below this layer shows through */
        }
        return 0;
}

static int walk(int dirfd, const char *rel, const char *const *layers, size_t n, json_t *arr,
                cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd = dup(dirfd);

        if (fd < 0)
                return cell_error_errno(err, "diff: %s", rel[0] ? rel : "/");
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return cell_error_errno(err, "diff: %s", rel[0] ? rel : "/");
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                child = rel[0] ? str_printf("%s/%s", rel, de->d_name) : strdup(de->d_name);
                if (!child)
                        return cell_error_set(err, ENOMEM, "diff");
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return cell_error_errno(err, "diff: /%s", child);
                if (is_whiteout(&st)) {
                        if (add_change(arr, child, DIFF_DELETED) < 0)
                                return cell_error_set(err, ENOMEM, "diff");
                        continue;
                }
                if (add_change(arr, child, lower_exists(layers, n, child) ? DIFF_CHANGED : DIFF_ADDED) < 0)
                        return cell_error_set(err, ENOMEM, "diff");
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub =
                                openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (sub < 0)
                                return cell_error_errno(err, "diff: /%s", child);
                        if (is_opaque_fd(sub) && hidden_by_opaque(layers, n, child, sub, arr) < 0)
                                return cell_error_set(err, ENOMEM, "diff");
                        if (walk(sub, child, layers, n, arr, err) < 0)
                                return -1;
                }
        }
        return 0;
}

static int by_path(const void *a, const void *b)
{
        json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

        return strcmp(json_string_value(json_object_get(x, "Path")),
                      json_string_value(json_object_get(y, "Path")));
}

int snapshot_diff(const char *upper, const char *const *layers, size_t n_layers, json_t **ret,
                  cell_error_t *err)
{
        _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_t *arr = json_array(), *sorted;
        size_t n;
        json_t **items;

        *ret = NULL;
        if (!arr)
                return cell_error_set(err, ENOMEM, "diff");
        if (fd < 0) {
                json_decref(arr);
                return cell_error_errno(err, "diff: %s", upper);
        }
        if (walk(fd, "", layers, n_layers, arr, err) < 0) {
                json_decref(arr);
                return -1;
        }
        n = json_array_size(arr);
        items = calloc(n ? n : 1, sizeof(*items));
        sorted = json_array();
        if (!items || !sorted) {
                free(items);
                json_decref(sorted);
                json_decref(arr);
                return cell_error_set(err, ENOMEM, "diff");
        }
        for (size_t i = 0; i < n; i++)
                items[i] = json_array_get(arr, i);
        qsort(items, n, sizeof(*items), by_path);
        for (size_t i = 0; i < n; i++)
                json_array_append(sorted, items[i]);
        free(items);
        json_decref(arr);
        *ret = sorted;
        return 0;
}

bool snapshot_lower_exists(const char *const *layers, size_t n_layers, const char *rel)
{
        return lower_exists(layers, n_layers, rel);
}
