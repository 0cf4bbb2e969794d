/* cell: the engine's named volumes (Docker's "local" driver).
 *
 *   STORAGE/volumes/<name>/_data      what containers mount
 *   STORAGE/volumes/<name>/meta.json  {"CreatedAt", "Labels", "Options"}:
 *                                     written by `volume create`; a volume
 *                                     made by `run -v name:/x` (specgen.c)
 *                                     has none and is read as created at
 *                                     its directory's mtime, no labels
 *
 * Who uses a volume is not stored with the volume: it is read from the
 * containers' records (their "Mounts", Type "volume"), so a record is the
 * one truth and nothing goes stale when a container goes. See
 * docs/design/engine.md, "Volumes and prune". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "container.h"
#include "error.h"

typedef struct engine_volume {
        char *name;
        char *mountpoint; /* STORAGE/volumes/<name>/_data */
        char *created_at; /* RFC 3339, seconds, UTC */
        json_t *labels;   /* an object; NULL when none was recorded */
        json_t *options;  /* an object; NULL when none was recorded */
} engine_volume_t;

void engine_volume_free(engine_volume_t *v);
static inline void engine_volume_freep(engine_volume_t **v)
{
        engine_volume_free(*v);
}
#define _cleanup_engine_volume_ __attribute__((cleanup(engine_volume_freep)))

/* Docker's rule for a local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
bool engine_volume_name_valid(const char *name);

/* Create a volume (NULL name: a generated 64-hex one). An existing volume
 * of that name is returned as it is (docker's create is idempotent).
 * labels and options may be NULL; they are copied. */
int engine_volume_create(engine_t *e, const char *name, json_t *labels, json_t *options,
                         engine_volume_t **ret, cell_error_t *err);

/* One volume; -ENOENT "no such volume" when it does not exist. */
int engine_volume_get(engine_t *e, const char *name, engine_volume_t **ret, cell_error_t *err);

/* Every volume's name, sorted (NULL-terminated; never NULL on success). */
int engine_volume_list(engine_t *e, char ***ret, cell_error_t *err);

/* Which containers use which volume: an object mapping a volume's name to
 * an array of container ids, from every record's Mounts (running or not). */
int engine_volume_users(engine_t *e, json_t **ret, cell_error_t *err);

/* Remove a volume. -EBUSY with docker's "remove NAME: volume is in use -
 * [ID ...]" when a container (running or stopped) names it; -ENOENT when
 * there is none. ret_bytes (may be NULL): the size of what was removed. */
int engine_volume_remove(engine_t *e, const char *name, uint64_t *ret_bytes, cell_error_t *err);

/* STORAGE/volumes/.lock, flock'ed: shared by container creation (from the
 * volumes it names until its record names them), exclusive by a volume's
 * removal (from "is it in use?" to the rm), so a volume is never removed
 * from under a container being made. Returns the fd to close. */
int engine_volumes_lock(engine_t *e, bool exclusive, cell_error_t *err);

/* docker volume inspect's object for a volume. */
json_t *engine_volume_json(const engine_volume_t *v);

/* The bytes of the files under path (directories count nothing; a file
 * with several links counts once), as docker's reclaimed space counts. */
uint64_t engine_path_size(const char *path);
