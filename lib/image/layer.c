/* cell: applying an image layer to a directory (see layer.h).
 *
 * Two libarchive readers are chained. The outer one detects and removes the
 * compression (gzip, zstd, or none) and hands out the plain tar stream as a
 * "raw" archive; our read callback hashes every byte of it before passing it
 * to the inner reader, which parses tar headers only. So the diffID is the
 * sha256 of exactly the uncompressed stream, computed in one pass, and no
 * byte reaches the tar parser without having been hashed.
 *
 * Security model: the layer is hostile, the directory it lands in is ours.
 *  - Names are cleaned: leading '/' and "." components dropped, ".." refused
 *    (an error, as docker does: a layer with ".." was made to attack).
 *  - The parent of every entry is resolved from dirfd with openat2() and
 *    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: a symlink
 *    planted by an earlier entry ("link -> /etc", "link -> ../../..") resolves
 *    inside the directory, never outside it.
 *  - The final component is made with an *at() call on that parent fd and is
 *    never followed (O_CREAT|O_EXCL|O_NOFOLLOW, symlinkat, mknodat, linkat
 *    without AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW for chown and times).
 *  - Hardlinks: linkat(target parent fd, name, parent fd, name, 0) with both
 *    parents resolved in root. The kernel links the named inode itself (a
 *    symlink stays a symlink, never its target), so no CAP_DAC_READ_SEARCH
 *    (AT_EMPTY_PATH) and no /proc is needed.
 *  - Whatever sits at a name is removed before a different kind of entry is
 *    made there, walking fds with O_NOFOLLOW, so removal never follows a link.
 *  - xattrs named trusted.overlay.* or user.overlay.* are dropped: they steer
 *    overlayfs (redirect, metacopy, opaque) and only this code sets them.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive_load.h"
#include "cleanup.h"
#include "fsutil.h"
#include "layer.h"
#include "strutil.h"

#define LAYER_BLOCK (1024 * 1024)

typedef struct dir_time {
        char *path;
        struct timespec ts[2];
} dir_time_t;

/* The paths written by this layer, for opaque directories when flattening:
 * only what lower layers left in the directory is removed. */
typedef struct path_set {
        char **slots;
        size_t cap, len;
} path_set_t;

typedef struct applier {
        int rootfd;
        layer_apply_opts_t opts;
        struct archive *outer;
        struct archive *inner;
        EVP_MD_CTX *md;
        uint64_t tar_bytes;
        /* The parent of the previous entry: most entries share their parent
         * with the one before. Dropped whenever anything is removed, since a
         * removal can change what a path resolves to. */
        char *cache_path;
        int cache_fd;
        dir_time_t *dirs;
        size_t n_dirs, cap_dirs;
        path_set_t written;
        layer_apply_result_t res;
} applier_t;

/* ---- paths ---- */

/* Normalise a name from the tar: drop leading '/', empty and "." components;
 * refuse "..". out gets "a/b/c", or "" for the root itself. */
static int clean_path(const char *in, char *out, size_t n, cell_error_t *err)
{
        size_t len = 0;
        const char *p = in;

        while (*p) {
                const char *end;
                size_t clen;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                end = strchrnul(p, '/');
                clen = (size_t)(end - p);
                if (clen == 1 && p[0] == '.') {
                        p = end;
                        continue;
                }
                if (clen == 2 && p[0] == '.' && p[1] == '.')
                        return cell_error_set(err, EINVAL, "refusing a name with a '..' component: %s", in);
                if (clen > NAME_MAX)
                        return cell_error_set(err, ENAMETOOLONG, "a component of %s is too long", in);
                if (len + clen + 2 > n)
                        return cell_error_set(err, ENAMETOOLONG, "name too long: %.64s...", in);
                if (len > 0)
                        out[len++] = '/';
                memcpy(out + len, p, clen);
                len += clen;
                p = end;
        }
        out[len] = '\0';
        return 0;
}

static int resolve_in_root(int rootfd, const char *path, int flags, uint64_t extra)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV | extra,
        };
        int fd;

        for (int i = 0; i < 16; i++) {
                fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
                /* EAGAIN: a rename raced the in-root walk; the kernel asks us to retry. */
                if (fd >= 0 || (errno != EINTR && errno != EAGAIN))
                        break;
        }
        return fd;
}

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static bool path_set_has(const path_set_t *s, const char *path)
{
        if (s->cap == 0)
                return false;
        for (size_t i = hash_str(path) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
                if (!s->slots[i])
                        return false;
                if (strcmp(s->slots[i], path) == 0)
                        return true;
        }
}

static int path_set_add(path_set_t *s, const char *path)
{
        if (path_set_has(s, path))
                return 0;
        if ((s->len + 1) * 2 > s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 1024;
                char **nslots = calloc(ncap, sizeof(char *));

                if (!nslots)
                        return -ENOMEM;
                for (size_t j = 0; j < s->cap; j++) {
                        size_t i;

                        if (!s->slots[j])
                                continue;
                        for (i = hash_str(s->slots[j]) & (ncap - 1); nslots[i]; i = (i + 1) & (ncap - 1))
                                ;
                        nslots[i] = s->slots[j];
                }
                free(s->slots);
                s->slots = nslots;
                s->cap = ncap;
        }
        size_t i;
        for (i = hash_str(path) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
                ;
        s->slots[i] = strdup(path);
        if (!s->slots[i])
                return -ENOMEM;
        s->len++;
        return 0;
}

static void path_set_free(path_set_t *s)
{
        for (size_t i = 0; i < s->cap; i++)
                free(s->slots[i]);
        free(s->slots);
}

static int note_written(applier_t *ap, const char *path, cell_error_t *err)
{
        if (!ap->opts.apply_whiteouts_directly)
                return 0;
        if (path_set_add(&ap->written, path) < 0)
                return cell_error_set(err, ENOMEM, "remembering %s", path);
        return 0;
}

/* Forget which path the cached parent is; its fd stays open (the caller of
 * make_room is still using it) until the next get_parent() replaces it. */
static void drop_cache(applier_t *ap)
{
        free(ap->cache_path);
        ap->cache_path = NULL;
}

static void close_cache(applier_t *ap)
{
        drop_cache(ap);
        if (ap->cache_fd >= 0)
                close(ap->cache_fd);
        ap->cache_fd = -1;
}

/* Make room at parent/name for an entry of kind type. Returns 1 when an
 * existing directory stays (a directory over a directory merges), 0 when the
 * name is free. */
static int make_room(applier_t *ap, int parentfd, const char *name, mode_t type, cell_error_t *err)
{
        struct stat st;
        int r;

        if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return cell_error_errno(err, "stat the existing entry");
        }
        if (S_ISDIR(st.st_mode) && type == S_IFDIR)
                return 1;
        drop_cache(ap);
        r = fs_rm_rf_at(parentfd, name);
        if (r < 0)
                return cell_error_set(err, -r, "remove the existing entry");
        return 0;
}

/* ---- parents ---- */

/* An O_PATH fd of the directory parent (resolved in root), creating missing
 * directories (0755, owned by the caller) as tar does. Borrowed: owned by
 * the cache. */
static int get_parent(applier_t *ap, const char *parent, cell_error_t *err)
{
        char prefix[PATH_MAX];
        int fd;

        if (ap->cache_path && strcmp(ap->cache_path, parent) == 0)
                return ap->cache_fd;
        close_cache(ap);
        fd = resolve_in_root(ap->rootfd, parent, O_PATH | O_DIRECTORY, 0);
        if (fd < 0 && errno == ENOENT) {
                const char *p = parent;
                size_t plen = 0;

                prefix[0] = '\0';

                /* Walk from the top, resolving each prefix again in root, so a
                 * symlink met on the way is followed only inside it, and each
                 * mkdirat() happens in a directory resolved inside it. */
                while (*p) {
                        const char *end = strchrnul(p, '/');
                        size_t clen = (size_t)(end - p);
                        _cleanup_close_ int cur = -1;
                        char name[NAME_MAX + 1];

                        cur = resolve_in_root(ap->rootfd, prefix, O_PATH | O_DIRECTORY, 0);
                        if (cur < 0)
                                return cell_error_errno(err, "open parent directory %s", plen ? prefix : "/");
                        memcpy(name, p, clen);
                        name[clen] = '\0';
                        if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
                                return cell_error_errno(err, "create parent directory %s", parent);
                        if (plen > 0)
                                prefix[plen++] = '/';
                        memcpy(prefix + plen, p, clen);
                        plen += clen;
                        prefix[plen] = '\0';
                        if (note_written(ap, prefix, err) < 0)
                                return -1;
                        p = *end ? end + 1 : end;
                }
                fd = resolve_in_root(ap->rootfd, parent, O_PATH | O_DIRECTORY, 0);
        }
        if (fd < 0) {
                if (errno == ENOTDIR)
                        return cell_error_set(err, ENOTDIR, "parent %s is not a directory", parent);
                return cell_error_errno(err, "open parent directory %s", parent);
        }
        ap->cache_path = strdup(parent);
        if (!ap->cache_path) {
                close(fd);
                return cell_error_set(err, ENOMEM, "open parent directory");
        }
        ap->cache_fd = fd;
        return fd;
}

/* ---- metadata ---- */

static int map_id(const layer_id_map_t *map, size_t n, uint32_t id, uint32_t *ret)
{
        if (n == 0) {
                *ret = id;
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].container_id && id - map[i].container_id < map[i].size) {
                        *ret = map[i].host_id + (id - map[i].container_id);
                        return 0;
                }
        return -1;
}

static bool is_overlay_xattr(const char *name)
{
        return str_has_prefix(name, "trusted.overlay.") || str_has_prefix(name, "user.overlay.");
}

/* Owner, mode, xattrs and (except for directories) times of a made entry.
 * fd is an open fd of it (regular files, directories), or -1 and the entry is
 * parentfd/name (symlinks, devices, fifos), never followed. */
static int set_meta(applier_t *ap, int fd, int parentfd, const char *name, struct archive_entry *e,
                    mode_t type, cell_error_t *err)
{
        mode_t mode = archive_entry_perm(e) & 07777;
        char procpath[64 + NAME_MAX];
        const char *xname;
        const void *xval;
        size_t xsize;

        if (!ap->opts.no_chown) {
                uint32_t uid, gid;
                int r;

                if (archive_entry_uid(e) < 0 || archive_entry_uid(e) > UINT32_MAX - 1 ||
                    archive_entry_gid(e) < 0 || archive_entry_gid(e) > UINT32_MAX - 1)
                        return cell_error_set(err, EINVAL, "owner %lld:%lld out of range",
                                              (long long)archive_entry_uid(e),
                                              (long long)archive_entry_gid(e));
                if (map_id(ap->opts.uid_map, ap->opts.n_uid_map, (uint32_t)archive_entry_uid(e), &uid) < 0 ||
                    map_id(ap->opts.gid_map, ap->opts.n_gid_map, (uint32_t)archive_entry_gid(e), &gid) < 0)
                        return cell_error_set(err, EINVAL, "owner %lld:%lld is not in the id mapping",
                                              (long long)archive_entry_uid(e),
                                              (long long)archive_entry_gid(e));
                if (fd >= 0)
                        r = fchown(fd, uid, gid);
                else
                        r = fchownat(parentfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return cell_error_errno(err, "chown %u:%u", uid, gid);
        }
        /* The mode after chown: chown clears setuid and setgid. */
        if (type != S_IFLNK) {
                int r;

                if (fd >= 0)
                        r = fchmod(fd, mode);
                else
                        r = fchmodat(parentfd, name, mode, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return cell_error_errno(err, "chmod %04o", mode);
        }
        /* xattrs after chown too: chown drops security.capability. Without an
         * open fd, the entry is reached as /proc/self/fd/PARENT/NAME with the
         * l* calls: the magic link is the parent resolved in root, and the
         * final component is not followed. */
        if (fd < 0)
                snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d/%s", parentfd, name);
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &xname, &xval, &xsize) == ARCHIVE_OK) {
                int r;

                if (!xname || is_overlay_xattr(xname))
                        continue;
                if (fd >= 0)
                        r = fsetxattr(fd, xname, xval, xsize, 0);
                else
                        r = lsetxattr(procpath, xname, xval, xsize, 0);
                if (r < 0)
                        return cell_error_errno(err, "set xattr %s", xname);
        }
        if (type != S_IFDIR && archive_entry_mtime_is_set(e)) {
                struct timespec ts[2];
                int r;

                ts[1].tv_sec = archive_entry_mtime(e);
                ts[1].tv_nsec = archive_entry_mtime_nsec(e);
                if (archive_entry_atime_is_set(e)) {
                        ts[0].tv_sec = archive_entry_atime(e);
                        ts[0].tv_nsec = archive_entry_atime_nsec(e);
                } else {
                        ts[0] = ts[1];
                }
                if (fd >= 0)
                        r = futimens(fd, ts);
                else
                        r = utimensat(parentfd, name, ts, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return cell_error_errno(err, "set times");
        }
        return 0;
}

/* Directory times are set at the end: making entries inside a directory
 * changes its mtime. */
static int defer_dir_time(applier_t *ap, const char *path, struct archive_entry *e, cell_error_t *err)
{
        dir_time_t *d;

        if (!archive_entry_mtime_is_set(e))
                return 0;
        if (ap->n_dirs == ap->cap_dirs) {
                size_t ncap = ap->cap_dirs ? ap->cap_dirs * 2 : 64;
                dir_time_t *n = realloc(ap->dirs, ncap * sizeof(*n));

                if (!n)
                        return cell_error_set(err, ENOMEM, "remember directory times");
                ap->dirs = n;
                ap->cap_dirs = ncap;
        }
        d = &ap->dirs[ap->n_dirs];
        d->path = strdup(path);
        if (!d->path)
                return cell_error_set(err, ENOMEM, "remember directory times");
        d->ts[1].tv_sec = archive_entry_mtime(e);
        d->ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        if (archive_entry_atime_is_set(e)) {
                d->ts[0].tv_sec = archive_entry_atime(e);
                d->ts[0].tv_nsec = archive_entry_atime_nsec(e);
        } else {
                d->ts[0] = d->ts[1];
        }
        ap->n_dirs++;
        return 0;
}

static int apply_dir_times(applier_t *ap, cell_error_t *err)
{
        for (size_t i = ap->n_dirs; i-- > 0;) {
                _cleanup_close_ int fd = -1;

                /* RESOLVE_NO_SYMLINKS: a later entry may have replaced the
                 * directory by a symlink; then its time is not ours to set. */
                fd = resolve_in_root(ap->rootfd, ap->dirs[i].path, O_RDONLY | O_DIRECTORY,
                                     RESOLVE_NO_SYMLINKS);
                if (fd < 0)
                        continue;
                if (futimens(fd, ap->dirs[i].ts) < 0)
                        return cell_error_errno(err, "set the times of %s", ap->dirs[i].path);
        }
        return 0;
}

/* ---- entries ---- */

static int archive_fail(struct archive *a, cell_error_t *err, const char *what)
{
        int code = archive_errno(a);
        const char *msg = archive_error_string(a);

        /* libarchive reports a malformed archive as EILSEQ
         * (ARCHIVE_ERRNO_FILE_FORMAT) or -1: its own message says it all, and
         * "Invalid or incomplete multibyte character" would only mislead. */
        if (code <= 0 || code == EILSEQ) {
                cell_error_set(err, 0, "%s: %s", what, msg ? msg : "malformed archive");
                if (err)
                        err->code = EINVAL;
                return -EINVAL;
        }
        return cell_error_set(err, code, "%s: %s", what, msg ? msg : "unknown error");
}

static int write_data(applier_t *ap, int fd, struct archive_entry *e, cell_error_t *err)
{
        int64_t end = 0;

        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t off;
                int r = archive_read_data_block(ap->inner, &buf, &size, &off);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        char what[96];

                        snprintf(what, sizeof(what), "reading the data (stream offset %llu)",
                                 (unsigned long long)ap->tar_bytes);
                        return archive_fail(ap->inner, err, what);
                }
                /* Holes between blocks of a sparse entry are left unwritten. */
                for (size_t done = 0; done < size;) {
                        ssize_t w = pwrite(fd, (const char *)buf + done, size - done, off + (off_t)done);

                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return cell_error_errno(err, "write");
                        done += (size_t)w;
                }
                if (off + (int64_t)size > end)
                        end = off + (int64_t)size;
        }
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
            ftruncate(fd, archive_entry_size(e)) < 0)
                return cell_error_errno(err, "extend to %lld bytes", (long long)archive_entry_size(e));
        return 0;
}

static int apply_whiteout(applier_t *ap, const char *parent, int parentfd, const char *name,
                          cell_error_t *err)
{
        if (strcmp(name, ".wh..wh..opq") == 0) {
                _cleanup_close_ int dfd = -1;
                const char *xattr = ap->opts.userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque";

                dfd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return cell_error_errno(err, "open the opaque directory");
                ap->res.whiteouts++;
                if (ap->opts.apply_whiteouts_directly) {
                        _cleanup_closedir_ DIR *d = NULL;
                        struct dirent *de;
                        int lfd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

                        if (lfd < 0 || !(d = fdopendir(lfd))) {
                                if (lfd >= 0)
                                        close(lfd);
                                return cell_error_errno(err, "list the opaque directory");
                        }
                        /* Empty the directory of what lower layers left in it. */
                        while ((de = readdir(d))) {
                                char child[PATH_MAX];
                                int r;

                                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                        continue;
                                snprintf(child, sizeof(child), "%s%s%s", parent, *parent ? "/" : "",
                                         de->d_name);
                                if (path_set_has(&ap->written, child))
                                        continue;
                                drop_cache(ap);
                                r = fs_rm_rf_at(dfd, de->d_name);
                                if (r < 0)
                                        return cell_error_set(err, -r, "remove %s", child);
                        }
                        return 0;
                }
                if (fsetxattr(dfd, xattr, "y", 1, 0) < 0)
                        return cell_error_errno(err, "set %s", xattr);
                return 0;
        }
        if (str_has_prefix(name, ".wh..wh."))
                return 0; /* aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): nothing to do */
        const char *target = name + strlen(".wh.");
        /* The name comes from one path component, so it has no '/'; what is
         * left to refuse is the names that are not a sibling. */
        if (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
                return cell_error_set(err, EINVAL, "refusing a whiteout of '%s'", target);
        ap->res.whiteouts++;
        if (make_room(ap, parentfd, target, 0, err) < 0)
                return -1;
        if (ap->opts.apply_whiteouts_directly)
                return 0;
        /* An overlayfs whiteout: a 0:0 character device (allowed in user
         * namespaces since Linux 5.8). */
        if (mknodat(parentfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
                return cell_error_errno(err, "make the overlay whiteout %s", target);
        return 0;
}

static int apply_hardlink(applier_t *ap, int parentfd, const char *name, const char *path, const char *link,
                          cell_error_t *err)
{
        char target[PATH_MAX];
        _cleanup_close_ int tparentfd = -1;
        const char *tname;
        struct stat st;

        if (clean_path(link, target, sizeof(target), err) < 0)
                return cell_error_prefix(err, "hardlink target");
        if (!*target)
                return cell_error_set(err, EINVAL, "hardlink to the layer root");
        if (strcmp(target, path) == 0)
                return 0;
        char *slash = strrchr(target, '/');
        if (slash) {
                *slash = '\0';
                tname = slash + 1;
                tparentfd = resolve_in_root(ap->rootfd, target, O_PATH | O_DIRECTORY, 0);
        } else {
                tname = target;
                tparentfd = resolve_in_root(ap->rootfd, "", O_PATH | O_DIRECTORY, 0);
        }
        if (tparentfd < 0)
                return cell_error_errno(err, "hardlink target %s", link);
        if (fstatat(tparentfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(err, "hardlink target %s", link);
        if (S_ISDIR(st.st_mode))
                return cell_error_set(err, EPERM, "hardlink target %s is a directory", link);
        if (make_room(ap, parentfd, name, S_IFREG, err) < 0)
                return -1;
        /* The target may have gone with make_room (a link over its own
         * parent): linkat then fails, it never reaches another file. No
         * AT_SYMLINK_FOLLOW: a symlink target is linked as the symlink. */
        if (linkat(tparentfd, tname, parentfd, name, 0) < 0)
                return cell_error_errno(err, "hardlink to %s", link);
        return 0;
}

static int apply_entry(applier_t *ap, struct archive_entry *e, const char *path, cell_error_t *err)
{
        char parent[PATH_MAX];
        const char *name;
        mode_t type = archive_entry_filetype(e);
        /* The _utf8 forms when the name cannot be converted to the locale's
         * charset (pax names are UTF-8; under "C" the plain form is NULL). */
        const char *hardlink =
                archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_hardlink_utf8(e);
        int parentfd;
        int r;

        if (!*path) {
                _cleanup_close_ int fd = -1;

                /* "./": the layer's root directory itself. */
                if (type != AE_IFDIR || hardlink)
                        return cell_error_set(err, EINVAL, "the layer root must be a directory");
                fd = resolve_in_root(ap->rootfd, "", O_RDONLY | O_DIRECTORY, 0);
                if (fd < 0)
                        return cell_error_errno(err, "open the layer root");
                if (set_meta(ap, fd, -1, NULL, e, S_IFDIR, err) < 0)
                        return -1;
                return defer_dir_time(ap, "", e, err);
        }
        if (!str_copy(parent, sizeof(parent), path))
                return cell_error_set(err, ENAMETOOLONG, "name too long");
        char *slash = strrchr(parent, '/');
        if (slash) {
                *slash = '\0';
                name = path + (slash - parent) + 1;
        } else {
                parent[0] = '\0';
                name = path;
        }
        parentfd = get_parent(ap, parent, err);
        if (parentfd < 0)
                return -1;
        if (str_has_prefix(name, ".wh."))
                return apply_whiteout(ap, parent, parentfd, name, err);
        if (note_written(ap, path, err) < 0)
                return -1;
        if (hardlink)
                return apply_hardlink(ap, parentfd, name, path, hardlink, err);

        switch (type) {
        case AE_IFREG: {
                _cleanup_close_ int fd = -1;

                if (make_room(ap, parentfd, name, S_IFREG, err) < 0)
                        return -1;
                /* O_EXCL|O_NOFOLLOW: the name was just cleared; if anything
                 * appeared there, fail rather than write through it. */
                fd = openat(parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return cell_error_errno(err, "create");
                if (write_data(ap, fd, e, err) < 0)
                        return -1;
                if (archive_entry_size_is_set(e))
                        ap->res.unpacked_size += (uint64_t)archive_entry_size(e);
                return set_meta(ap, fd, parentfd, name, e, S_IFREG, err);
        }
        case AE_IFDIR: {
                _cleanup_close_ int fd = -1;

                r = make_room(ap, parentfd, name, S_IFDIR, err);
                if (r < 0)
                        return -1;
                if (r == 0 && mkdirat(parentfd, name, 0700) < 0)
                        return cell_error_errno(err, "mkdir");
                fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return cell_error_errno(err, "open the directory");
                if (set_meta(ap, fd, parentfd, name, e, S_IFDIR, err) < 0)
                        return -1;
                return defer_dir_time(ap, path, e, err);
        }
        case AE_IFLNK: {
                const char *target = archive_entry_symlink(e);

                if (!target)
                        target = archive_entry_symlink_utf8(e);
                if (!target || !*target)
                        return cell_error_set(err, EINVAL, "symlink without a target");
                if (make_room(ap, parentfd, name, S_IFLNK, err) < 0)
                        return -1;
                /* The target is kept verbatim: it is only ever resolved later,
                 * inside the root (here by openat2, at run time by the
                 * container's own root). */
                if (symlinkat(target, parentfd, name) < 0)
                        return cell_error_errno(err, "symlink");
                return set_meta(ap, -1, parentfd, name, e, S_IFLNK, err);
        }
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO: {
                dev_t dev = type == AE_IFIFO
                                    ? 0
                                    : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));

                if (make_room(ap, parentfd, name, type, err) < 0)
                        return -1;
                if (mknodat(parentfd, name, type | 0600, dev) < 0) {
                        if (errno == EPERM && type != AE_IFIFO && ap->opts.skip_devices) {
                                ap->res.skipped_devices++;
                                return 0;
                        }
                        if (errno == EPERM && type != AE_IFIFO)
                                return cell_error_errno(err,
                                                        "mknod (devices need CAP_MKNOD in the initial user "
                                                        "namespace; skip_devices leaves them out)");
                        return cell_error_errno(err, "mknod");
                }
                return set_meta(ap, -1, parentfd, name, e, type, err);
        }
        case AE_IFSOCK:
                return 0; /* a socket in a tar carries nothing: tar skips it too */
        default:
                return cell_error_set(err, EINVAL, "unknown entry type 0%o", (unsigned)type);
        }
}

/* ---- the streams ---- */

/* The inner reader's source: blocks of the decompressed stream, each hashed
 * before the tar parser sees it. The block stays valid until the next call,
 * as libarchive requires. */
static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
        applier_t *ap = data;

        for (;;) {
                size_t size;
                la_int64_t off;
                int r = archive_read_data_block(ap->outer, buf, &size, &off);

                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN) {
                        archive_set_error(a, archive_errno(ap->outer) > 0 ? archive_errno(ap->outer) : EIO,
                                          "%s",
                                          archive_error_string(ap->outer) ? archive_error_string(ap->outer)
                                                                          : "decompression failed");
                        return -1;
                }
                if (size == 0)
                        continue;
                if (ap->opts.max_size && ap->tar_bytes + size > ap->opts.max_size) {
                        archive_set_error(a, EFBIG, "the uncompressed layer is larger than %llu bytes",
                                          (unsigned long long)ap->opts.max_size);
                        return -1;
                }
                EVP_DigestUpdate(ap->md, *buf, size);
                ap->tar_bytes += size;
                return (la_ssize_t)size;
        }
}

static int open_streams(applier_t *ap, int tar_fd, cell_error_t *err)
{
        struct archive_entry *raw;

        if (image_archive_ready(err) < 0)
                return -1;
        ap->outer = archive_read_new();
        ap->inner = archive_read_new();
        ap->md = EVP_MD_CTX_new();
        if (!ap->outer || !ap->inner || !ap->md)
                return cell_error_set(err, ENOMEM, "layer reader");
        if (EVP_DigestInit_ex(ap->md, EVP_sha256(), NULL) != 1)
                return cell_error_set(err, EIO, "sha256 init");
        /* Only gzip and zstd, in process: ARCHIVE_WARN would mean libarchive
         * falls back to running an external program on untrusted input. */
        if (archive_read_support_filter_gzip(ap->outer) != ARCHIVE_OK ||
            archive_read_support_filter_zstd(ap->outer) != ARCHIVE_OK ||
            archive_read_support_format_raw(ap->outer) != ARCHIVE_OK)
                return archive_fail(ap->outer, err, "layer reader (gzip, zstd)");
        /* The tar reader handles ustar, pax and GNU tar, sparse entries included. */
        if (archive_read_support_format_tar(ap->inner) != ARCHIVE_OK)
                return archive_fail(ap->inner, err, "layer reader (tar)");
        if (archive_read_open_fd(ap->outer, tar_fd, LAYER_BLOCK) != ARCHIVE_OK)
                return archive_fail(ap->outer, err, "reading the layer");
        if (archive_read_next_header(ap->outer, &raw) != ARCHIVE_OK)
                return archive_fail(ap->outer, err, "reading the layer");
        if (archive_read_open(ap->inner, ap, NULL, inner_read, NULL) != ARCHIVE_OK)
                return archive_fail(ap->inner, err, "reading the layer as tar");
        return 0;
}

/* The diffID covers the whole stream, the padding after the end-of-archive
 * blocks too, which the tar parser does not read. */
static int drain_and_digest(applier_t *ap, cell_error_t *err)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        const void *buf;

        for (;;) {
                la_ssize_t n = inner_read(ap->inner, ap, &buf);

                if (n == 0)
                        break;
                if (n < 0)
                        return archive_fail(ap->inner, err, "reading the end of the layer");
        }
        if (EVP_DigestFinal_ex(ap->md, md, &mdlen) != 1 || mdlen != 32)
                return cell_error_set(err, EIO, "sha256");
        memcpy(ap->res.diff_id, "sha256:", 7);
        for (unsigned i = 0; i < mdlen; i++) {
                static const char hex[] = "0123456789abcdef";

                ap->res.diff_id[7 + 2 * i] = hex[md[i] >> 4];
                ap->res.diff_id[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        ap->res.diff_id[7 + 2 * mdlen] = '\0';
        ap->res.tar_size = ap->tar_bytes;
        return 0;
}

static int apply_all(applier_t *ap, cell_error_t *err)
{
        const char *last = NULL;
        char lastbuf[128] = "";

        for (;;) {
                struct archive_entry *e;
                char path[PATH_MAX];
                la_int64_t pos;
                int r = archive_read_next_header(ap->inner, &e);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
                        archive_fail(ap->inner, err, "reading a tar header");
                        if (last)
                                return cell_error_prefix(err, "layer: after entry %s, at offset %llu",
                                                         lastbuf, (unsigned long long)ap->tar_bytes);
                        return cell_error_prefix(err, "layer: at offset %llu",
                                                 (unsigned long long)ap->tar_bytes);
                }
                pos = archive_read_header_position(ap->inner);
                const char *raw = archive_entry_pathname(e);
                if (!raw)
                        raw = archive_entry_pathname_utf8(e);
                if (!raw)
                        return cell_error_set(err, EINVAL, "layer: entry at offset %lld has no usable name",
                                              (long long)pos);
                ap->res.entries++;
                if (clean_path(raw, path, sizeof(path), err) < 0 || apply_entry(ap, e, path, err) < 0)
                        return cell_error_prefix(err, "layer: entry %.1024s (header at offset %lld)", raw,
                                                 (long long)pos);
                snprintf(lastbuf, sizeof(lastbuf), "%s", raw);
                last = lastbuf;
        }
        return 0;
}

int layer_apply(int dirfd, int tar_fd, const layer_apply_opts_t *opts, layer_apply_result_t *ret,
                cell_error_t *err)
{
        applier_t ap = {.cache_fd = -1};
        int r;

        if (opts)
                ap.opts = *opts;
        ap.rootfd = dirfd;
        r = open_streams(&ap, tar_fd, err);
        if (r >= 0)
                r = apply_all(&ap, err);
        if (r >= 0)
                r = drain_and_digest(&ap, err);
        if (r >= 0)
                r = apply_dir_times(&ap, err);
        if (r >= 0 && ret)
                *ret = ap.res;

        close_cache(&ap);
        for (size_t i = 0; i < ap.n_dirs; i++)
                free(ap.dirs[i].path);
        free(ap.dirs);
        path_set_free(&ap.written);
        if (ap.inner)
                archive_read_free(ap.inner);
        if (ap.outer)
                archive_read_free(ap.outer);
        EVP_MD_CTX_free(ap.md);
        return r < 0 ? r : 0;
}
