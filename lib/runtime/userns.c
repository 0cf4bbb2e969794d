/* cell: user namespaces: the uid and gid maps of a new user namespace.
 *
 * Written by the runtime (the parent), since a process cannot map ids for
 * itself beyond its own. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

static int write_id_map(pid_t pid, const char *file, const spec_id_map_t *maps, size_t n, cell_error_t *err)
{
        char path[64], buf[4096];
        size_t len = 0;

        for (size_t i = 0; i < n && len < sizeof(buf); i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[i].container_id,
                                        maps[i].host_id, maps[i].size);
        if (len >= sizeof(buf))
                return cell_error_set(err, E2BIG, "linux.%s: too many mappings", file);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        if (len > 0 && fs_write_existing(path, buf, len, err) < 0)
                return cell_error_prefix(err, "linux.%s",
                                         strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
        return 0;
}

int userns_write_maps(const spec_t *spec, pid_t pid, cell_error_t *err)
{
        if (geteuid() != 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
                fs_write_existing(path, "deny", 4, NULL);
        }
        if (write_id_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err) < 0)
                return -1;
        return write_id_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err);
}

