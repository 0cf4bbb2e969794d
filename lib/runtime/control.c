/* cell: what the runtime does to a running container through its cgroup:
 * pause and resume (the freezer), update (resources), ps (its processes),
 * stats and events (usage, OOM kills). */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

/* Load the state and the cgroup of a container. */
static int open_container(const char *root, const char *id, runtime_state_t **ret_st, char **ret_dir,
                          cgroup_t **ret_cg, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        char *dir = NULL;

        if (state_load(root, id, &st, &dir, err) < 0)
                return -1;
        if (!st->cgroup) {
                state_free(st);
                free(dir);
                return cell_error_set(
                        err, ENOTSUP,
                        "container \"%s\" has no cgroup (a rootless container without resources)", id);
        }
        if (cgroup_load(st->cgroup, ret_cg, err) < 0) {
                state_free(st);
                free(dir);
                return cell_error_prefix(err, "container \"%s\"", id);
        }
        *ret_st = st;
        *ret_dir = dir;
        return 0;
}

static int freeze(const char *root, const char *id, bool frozen, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        cgroup_t *cg = NULL;
        runtime_status_t status;
        int r;

        if (open_container(root, id, &st, &dir, &cg, err) < 0)
                return -1;
        status = state_status(dir, st);
        if (frozen && status != RUNTIME_RUNNING && status != RUNTIME_CREATED)
                r = cell_error_set(err, EINVAL, "container \"%s\" is %s, not running: cannot pause it", id,
                                   runtime_status_name(status));
        else if (!frozen && status != RUNTIME_PAUSED)
                r = cell_error_set(err, EINVAL, "container \"%s\" is %s, not paused: cannot resume it", id,
                                   runtime_status_name(status));
        else
                r = cgroup_freeze(cg, frozen, err);
        cgroup_free(cg);
        state_free(st);
        return r < 0 ? -1 : 0;
}

int runtime_pause(const char *root, const char *id, cell_error_t *err)
{
        return freeze(root, id, true, err);
}

int runtime_resume(const char *root, const char *id, cell_error_t *err)
{
        return freeze(root, id, false, err);
}

/* Merge `from` into `into` recursively: objects merge, anything else replaces. */
static void merge_json(json_t *into, json_t *from)
{
        const char *key;
        json_t *v;

        json_object_foreach(from, key, v)
        {
                json_t *cur = json_object_get(into, key);

                if (json_is_object(cur) && json_is_object(v))
                        merge_json(cur, v);
                else
                        json_object_set(into, key, v);
        }
}

int runtime_update(const char *root, const char *id, json_t *resources, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *config = NULL;
        _cleanup_free_ char *doc = NULL;
        cgroup_t *cg = NULL;
        json_t *cfg = NULL, *lx, *res;
        runtime_status_t status;
        int r = -1;

        if (!json_is_object(resources))
                return cell_error_set(err, EINVAL, "update: the resources must be a JSON object");
        if (open_container(root, id, &st, &dir, &cg, err) < 0)
                return -1;
        status = state_status(dir, st);
        if (status == RUNTIME_STOPPED) {
                cell_error_set(err, EINVAL, "container \"%s\" is stopped: cannot update it", id);
                goto out;
        }
        /* The same checks as config.json's linux.resources get. */
        {
                json_t *probe = json_pack("{s:s,s:{s:s},s:{s:O}}", "ociVersion", "1.0.2", "root", "path",
                                          "rootfs", "linux", "resources", resources);
                _cleanup_free_ char *text = probe ? json_dumps(probe, JSON_COMPACT) : NULL;
                spec_t *checked;

                json_decref(probe);
                if (!text) {
                        cell_error_set(err, ENOMEM, "update");
                        goto out;
                }
                checked = spec_parse(text, strlen(text), err);
                if (!checked)
                        goto out;
                spec_free(checked);
        }
        if (cgroup_update(cg, resources, err) < 0)
                goto out;
        /* Keep the container's config in step, so that what `state` and a
         * later exec read is what the cgroup has. */
        config = str_printf("%s/config.json", dir);
        cfg = config ? json_load_file(config, 0, NULL) : NULL;
        if (cfg) {
                lx = json_object_get(cfg, "linux");
                if (!json_is_object(lx)) {
                        lx = json_object();
                        json_object_set_new(cfg, "linux", lx);
                }
                res = json_object_get(lx, "resources");
                if (!json_is_object(res)) {
                        res = json_object();
                        json_object_set_new(lx, "resources", res);
                }
                merge_json(res, resources);
                doc = json_dumps(cfg, JSON_COMPACT);
                if (doc && fs_write_replace(config, doc, strlen(doc), 0600, err) < 0)
                        goto out;
        }
        r = 0;
out:
        json_decref(cfg);
        cgroup_free(cg);
        state_free(st);
        return r;
}

int runtime_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        cgroup_t *cg = NULL;
        int r;

        if (open_container(root, id, &st, &dir, &cg, err) < 0)
                return -1;
        r = cgroup_pids(cg, ret, ret_n, err);
        cgroup_free(cg);
        state_free(st);
        return r < 0 ? -1 : 0;
}

int runtime_stats(const char *root, const char *id, json_t **ret, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        cgroup_t *cg = NULL;
        json_t *data = NULL;
        int r;

        if (open_container(root, id, &st, &dir, &cg, err) < 0)
                return -1;
        r = cgroup_stats(cg, &data, err);
        if (r == 0) {
                *ret = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data);
                if (!*ret)
                        r = cell_error_set(err, ENOMEM, "stats");
        }
        cgroup_free(cg);
        state_free(st);
        return r < 0 ? -1 : 0;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int runtime_events(const char *root, const char *id, unsigned interval_ms, runtime_event_fn emit, void *data,
                   cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        cgroup_t *cg = NULL;
        uint64_t ooms;
        long long next_stats;
        int r = 0;

        if (open_container(root, id, &st, &dir, &cg, err) < 0)
                return -1;
        ooms = cgroup_oom_kills(cg);
        next_stats = now_ms() + interval_ms;
        /* OOM kills are looked for often, stats at the interval; the loop
         * ends when the container stops or the consumer says so. */
        while (state_status(dir, st) != RUNTIME_STOPPED) {
                uint64_t o = cgroup_oom_kills(cg);

                if (o > ooms) {
                        json_t *ev = json_pack("{s:s,s:s}", "type", "oom", "id", id);
                        ooms = o;
                        if (ev && emit(ev, data) < 0) {
                                json_decref(ev);
                                break;
                        }
                        json_decref(ev);
                }
                if (now_ms() >= next_stats) {
                        json_t *stats = NULL;

                        next_stats += interval_ms;
                        if (cgroup_stats(cg, &stats, NULL) == 0) {
                                json_t *ev =
                                        json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", stats);
                                int er = ev ? emit(ev, data) : 0;

                                json_decref(ev);
                                if (er < 0)
                                        break;
                        }
                }
                poll(NULL, 0, 100);
        }
        cgroup_free(cg);
        state_free(st);
        return r;
}
