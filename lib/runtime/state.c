/* cell: the state directory of a container, and its status.
 *
 * Status is derived, never stored: a process whose start time matches the
 * recorded one is alive; while exec.fifo exists the init is still waiting
 * for start (created), afterwards it runs the user's program (running). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

const char *runtime_status_name(runtime_status_t s)
{
        switch (s) {
        case RUNTIME_CREATING:
                return "creating";
        case RUNTIME_CREATED:
                return "created";
        case RUNTIME_RUNNING:
                return "running";
        case RUNTIME_PAUSED:
                return "paused";
        case RUNTIME_STOPPED:
                return "stopped";
        default:
                return "unknown";
        }
}

int runtime_check_id(const char *id, cell_error_t *err)
{
        size_t n;

        if (!id || !*id)
                return cell_error_set(err, EINVAL, "container id: missing");
        n = strlen(id);
        if (n > 1024)
                return cell_error_set(err, EINVAL, "container id: longer than 1024 bytes");
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return cell_error_set(err, EINVAL, "container id \"%s\": not a valid id", id);
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '+' || c == '-' || c == '.'))
                        return cell_error_set(
                                err, EINVAL, "container id \"%s\": only letters, digits and _+.- are allowed",
                                id);
        }
        return 0;
}

char *state_dir(const char *root, const char *id)
{
        return str_printf("%s/%s", root, id);
}

bool state_pid_alive(const runtime_state_t *st)
{
        bool zombie = false;
        unsigned long long s = proc_starttime(st->pid, &zombie);

        return s != 0 && s == st->starttime && !zombie;
}

runtime_status_t state_status(const char *dir, const runtime_state_t *st)
{
        char path[4096];

        if (!state_pid_alive(st))
                return RUNTIME_STOPPED;
        snprintf(path, sizeof(path), "%s/exec.fifo", dir);
        if (fs_exists(path))
                return RUNTIME_CREATED;
        if (st->cgroup) {
                cgroup_t *cg = NULL;
                bool frozen = cgroup_load(st->cgroup, &cg, NULL) == 0 && cgroup_is_frozen(cg);

                cgroup_free(cg);
                if (frozen)
                        return RUNTIME_PAUSED;
        }
        return RUNTIME_RUNNING;
}

int state_save(const char *dir, const runtime_state_t *st, cell_error_t *err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *s = NULL;
        json_t *o;

        o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:i,s:b}", "ociVersion", st->oci_version, "id", st->id,
                      "bundle", st->bundle, "rootfs", st->rootfs, "created", st->created, "pid", (int)st->pid,
                      "starttime", (json_int_t)st->starttime, "owner", (int)st->owner, "own_pidns",
                      st->own_pidns);
        if (!o)
                return cell_error_set(err, ENOMEM, "state");
        if (st->annotations)
                json_object_set(o, "annotations", st->annotations);
        if (st->no_pivot)
                json_object_set_new(o, "no_pivot", json_true());
        if (st->init_unsealed)
                json_object_set_new(o, "init_unsealed", json_true());
        if (st->cgroup)
                json_object_set(o, "cgroup", st->cgroup);
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        path = str_printf("%s/state.json", dir);
        if (!s || !path)
                return cell_error_set(err, ENOMEM, "state");
        return fs_write_replace(path, s, strlen(s), 0600, err);
}

void state_free(runtime_state_t *st)
{
        if (!st)
                return;
        free(st->id);
        free(st->bundle);
        free(st->rootfs);
        free(st->created);
        free(st->oci_version);
        json_decref(st->annotations);
        json_decref(st->cgroup);
        free(st);
}

static char *dup_field(json_t *o, const char *key)
{
        const char *v = json_string_value(json_object_get(o, key));

        return strdup(v ? v : "");
}

int state_load(const char *root, const char *id, runtime_state_t **ret, char **ret_dir, cell_error_t *err)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *data = NULL;
        runtime_state_t *st;
        json_error_t jerr;
        json_t *o;

        if (runtime_check_id(id, err) < 0)
                return -EINVAL;
        dir = state_dir(root, id);
        path = str_printf("%s/state.json", dir);
        if (!dir || !path)
                return cell_error_set(err, ENOMEM, "state");
        if (fs_read_file(path, 1u << 20, &data, NULL, err) < 0) {
                if (err && err->code == ENOENT)
                        return cell_error_set(err, ENOENT, "container \"%s\" does not exist", id);
                return -EIO;
        }
        o = json_loads(data, 0, &jerr);
        if (!o)
                return cell_error_set(err, EINVAL, "%s: %s", path, jerr.text);
        st = calloc(1, sizeof(*st));
        if (!st) {
                json_decref(o);
                return cell_error_set(err, ENOMEM, "state");
        }
        st->id = dup_field(o, "id");
        st->bundle = dup_field(o, "bundle");
        st->rootfs = dup_field(o, "rootfs");
        st->created = dup_field(o, "created");
        st->oci_version = dup_field(o, "ociVersion");
        st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        st->starttime = (unsigned long long)json_integer_value(json_object_get(o, "starttime"));
        st->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
        st->own_pidns = json_is_true(json_object_get(o, "own_pidns"));
        st->no_pivot = json_is_true(json_object_get(o, "no_pivot"));
        st->init_unsealed = json_is_true(json_object_get(o, "init_unsealed"));
        st->annotations = json_incref(json_object_get(o, "annotations"));
        st->cgroup = json_incref(json_object_get(o, "cgroup"));
        json_decref(o);
        *ret = st;
        if (ret_dir)
                *ret_dir = steal_pointer(&dir);
        return 0;
}

json_t *state_to_oci(const runtime_state_t *st, runtime_status_t status)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:i}", "ociVersion", st->oci_version, "id",
                              st->id, "status", runtime_status_name(status), "pid",
                              status == RUNTIME_STOPPED ? 0 : (int)st->pid, "bundle", st->bundle, "rootfs",
                              st->rootfs, "created", st->created, "owner", (int)st->owner);

        if (o)
                json_object_set_new(o, "annotations",
                                    st->annotations ? json_copy(st->annotations) : json_object());
        return o;
}

char *state_to_oci_string(const runtime_state_t *st, runtime_status_t status)
{
        json_t *o = state_to_oci(st, status);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

        json_decref(o);
        return s;
}
