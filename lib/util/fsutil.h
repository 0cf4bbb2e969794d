/* cell: file system helpers, with safe resolution inside a root.
 *
 * Every path that lives inside a container's rootfs (or, later, an image
 * layer) is resolved relative to a directory fd with openat2() and
 * RESOLVE_IN_ROOT, so that no symlink or ".." in the untrusted tree can lead
 * outside it (the CVE-2021-30465 class of mount races and redirections). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file (at most max bytes; 0 = 64 MiB). The result is NUL-terminated. */
int fs_read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, cell_error_t *err);
int fs_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cell_error_t *err);

/* Write data to an existing file (no create, no truncate), as for /proc and /sys knobs. */
int fs_write_existing(const char *path, const char *data, size_t len, cell_error_t *err);

/* Atomically replace path with data: temporary file, fsync, rename. */
int fs_write_atomic(const char *path, const char *data, size_t len, mode_t mode, cell_error_t *err);
/* The same without fsync: readers never see a half-written file, but a
 * crash may lose it. For volatile runtime state (under /run), where a crash
 * loses the containers too and an fsync per file would be most of the cost
 * of starting one on a disk-backed /run. */
int fs_write_replace(const char *path, const char *data, size_t len, mode_t mode, cell_error_t *err);

/* mkdir -p on the host. */
int fs_mkdir_p(const char *path, mode_t mode, cell_error_t *err);

/* Open path inside root (a directory fd); absolute paths, symlinks and ".."
 * never leave root. flags get O_CLOEXEC added. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, cell_error_t *err);
/* The same without an error object: -1 and errno (EINTR/EAGAIN retried). */
int fs_openat2_in_root(int rootfd, const char *path, int flags, mode_t mode);

/* Write all n bytes (retrying EINTR and short writes); -1 with errno. */
int fs_write_all(int fd, const void *p, size_t n);

/* Create every missing directory of path inside root; returns an O_PATH fd of
 * the last one. */
int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, cell_error_t *err);

/* Make sure path exists inside root as a regular file (creating missing
 * parents), and return an O_PATH fd to it. An existing non-directory is
 * accepted as it is. */
int fs_mkfile_in_root(int rootfd, const char *path, mode_t mode, cell_error_t *err);

/* "/proc/self/fd/N" for fd, in buf. */
const char *fs_fd_path(int fd, char *buf, size_t n);

/* Remove a directory tree (host path). Missing is not an error. */
/* Remove parent/name recursively without following a symlink anywhere
 * (at most 4096 levels deep); returns 0 or -errno. A missing one is fine. */
int fs_rm_rf_at(int parent, const char *name);
int fs_rm_rf(const char *path, cell_error_t *err);

bool fs_exists(const char *path);

/* Open (creating it, 0600) the lock file PATH and flock it with OP
 * (LOCK_EX or LOCK_SH, waiting); the fd holds the lock. */
int fs_lock_file(const char *path, int op, cell_error_t *err);
