/* cell: the build context (see context.h). */
#include "context.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_load.h"
#include "cleanup.h"
#include "fsutil.h"
#include "layer.h"
#include "strutil.h"

#define CONTEXT_FILE_MAX (64u << 20)

struct build_context {
        int rootfd;
        char *dir;
        bool temporary; /* dir was made for a tar context: removed on free */
        dockerignore_t *ignore;
};

void build_context_free(build_context_t *c)
{
        if (!c)
                return;
        if (c->rootfd >= 0)
                close(c->rootfd);
        if (c->temporary && c->dir)
                fs_rm_rf(c->dir, NULL);
        dockerignore_free(c->ignore);
        free(c->dir);
        free(c);
}

int build_context_rootfd(const build_context_t *c)
{
        return c->rootfd;
}

const dockerignore_t *build_context_ignore(const build_context_t *c)
{
        return c->ignore;
}

const char *build_context_dir(const build_context_t *c)
{
        return c->dir;
}

/* Read a regular file resolved inside rootfd; ENOENT is returned as -ENOENT
 * without touching err when missing_ok. */
static int read_in_root(int rootfd, const char *relpath, bool missing_ok, char **ret, size_t *ret_len,
                        cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        char path[64];
        struct stat st;

        fd = fs_open_in_root(rootfd, relpath, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, NULL);
        if (fd < 0) {
                if (errno == ENOENT && missing_ok)
                        return -ENOENT;
                return cell_error_errno(err, "open %s in the build context", relpath);
        }
        if (fstat(fd, &st) < 0)
                return cell_error_errno(err, "stat %s in the build context", relpath);
        if (!S_ISREG(st.st_mode))
                return cell_error_plain(err, EINVAL, "%s in the build context is not a regular file",
                                        relpath);
        /* Through the fd already opened: the name is not resolved twice. */
        if (fs_read_file_at(AT_FDCWD, fs_fd_path(fd, path, sizeof(path)), CONTEXT_FILE_MAX, &buf, ret_len,
                            err) < 0)
                return cell_error_prefix(err, "read %s in the build context", relpath);
        *ret = steal_pointer(&buf);
        return 0;
}

static int context_init(build_context_t *c, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        c->rootfd = TEMP_FAILURE_RETRY_INT(open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (c->rootfd < 0)
                return cell_error_errno(err, "open the build context %s", c->dir);
        r = read_in_root(c->rootfd, ".dockerignore", true, &data, &len, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return dockerignore_parse(data, len, &c->ignore, err);
}

int build_context_open(const char *dir, build_context_t **ret, cell_error_t *err)
{
        build_context_t *c = NULL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return cell_error_set(err, ENOMEM, "build context");
        c->rootfd = -1;
        c->dir = strdup(dir);
        if (!c->dir) {
                build_context_free(c);
                return cell_error_set(err, ENOMEM, "build context");
        }
        if (context_init(c, err) < 0) {
                build_context_free(c);
                return -1;
        }
        *ret = c;
        return 0;
}

int build_context_from_tar(int fd, const char *tmp_parent, build_context_t **ret, cell_error_t *err)
{
        /* Whiteouts are applied as deletions: a context holds no overlay
         * markers, and devices made from them would be meaningless. */
        layer_apply_opts_t opts = {.apply_whiteouts_directly = true};
        _cleanup_close_ int dirfd = -1;
        build_context_t *c = NULL;

        if (image_archive_ready(err) < 0)
                return cell_error_prefix(err, "build context from a tar stream");
        c = calloc(1, sizeof(*c));
        if (!c)
                return cell_error_set(err, ENOMEM, "build context");
        c->rootfd = -1;
        c->dir = str_printf("%s/cell-build-context-XXXXXX", tmp_parent);
        if (!c->dir) {
                build_context_free(c);
                return cell_error_set(err, ENOMEM, "build context");
        }
        if (!mkdtemp(c->dir)) {
                cell_error_errno(err, "build context: create a directory in %s", tmp_parent);
                build_context_free(c);
                return -1;
        }
        c->temporary = true;
        dirfd = TEMP_FAILURE_RETRY_INT(open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dirfd < 0) {
                cell_error_errno(err, "open %s", c->dir);
                build_context_free(c);
                return -1;
        }
        if (layer_apply(dirfd, fd, &opts, NULL, err) < 0) {
                cell_error_prefix(err, "build context from a tar stream");
                build_context_free(c);
                return -1;
        }
        if (context_init(c, err) < 0) {
                build_context_free(c);
                return -1;
        }
        *ret = c;
        return 0;
}

int build_context_read_file(build_context_t *c, const char *relpath, char **ret, size_t *ret_len,
                            cell_error_t *err)
{
        return read_in_root(c->rootfd, relpath, false, ret, ret_len, err);
}
