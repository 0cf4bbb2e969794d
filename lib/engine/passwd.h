/* cell: --user (and an image's User) resolved inside a container's root.
 *
 * The root file system is the image author's: etc/passwd and etc/group may
 * be symlinks aimed at the host's files, FIFOs that never answer, or huge.
 * Both are opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * below the root's directory fd, must be regular files, and are read up to
 * 4 MiB. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

typedef struct engine_user {
        uid_t uid;
        gid_t gid;
        gid_t *additional_gids; /* groups of etc/group that list the user by name */
        size_t n_additional_gids;
        char *home; /* from etc/passwd, "/" when there is none */
} engine_user_t;

/* spec: "", "name", "uid", "name:group", "uid:gid", "name:gid",
 * "uid:group" (docker's and runc's rules):
 * - "" is uid 0;
 * - a name must be in etc/passwd ("unable to find user NAME: no matching
 *   entries in passwd file"); a number need not be (gid 0, home "/");
 * - a user found in etc/passwd brings its gid and home;
 * - an explicit group is looked up by name or gid in etc/group; a name that
 *   is not there is "unable to find group NAME: no matching entries in group
 *   file", a number that is not there is used as it is; with an explicit
 *   group there are no additional gids (as docker);
 * - ids above 2147483646 are refused;
 * - a missing etc/passwd or etc/group is an empty one.
 * rootfd is a directory fd of the container's root. On success *ret owns
 * memory: engine_user_clear() frees it. */
int engine_user_resolve(int rootfd, const char *spec, engine_user_t *ret, cell_error_t *err);
void engine_user_clear(engine_user_t *u);

/* Puts u->gid first in u->additional_gids (once), as docker's daemon builds
 * a process's groups: its primary gid, then the supplementary ones
 * (`id` in the container shows groups=GID,...). */
int engine_user_add_primary_gid(engine_user_t *u, cell_error_t *err);

/* --group-add: appends each of groups (n of them; names or gids) to
 * u->additional_gids, once, looked up in the root's etc/group as docker's
 * (user.GetAdditionalGroups): a name or gid found there is its gid, a number
 * that is not is used as it is, a name that is not is "Unable to find group
 * NAME: no matching entries in group file". */
int engine_user_add_groups(int rootfd, const char *const *groups, size_t n, engine_user_t *u,
                           cell_error_t *err);
