/* cell: the engine's container records.
 *
 *   STORAGE/containers/<id>/container.json  the record: Docker's inspect shape
 *                                           (Id, Name, Created, Config,
 *                                           HostConfig, State, ...)
 *   STORAGE/containers/<id>/config.json     the OCI runtime spec (the bundle)
 *   STORAGE/containers/<id>/<id>-json.log   the json-file log
 *   STORAGE/containers/<id>/upper|work|merged  the root file system (lib/storage)
 *   STORAGE/containers/.names/<name>        a symlink to the id: the name is
 *                                           taken exactly when it exists
 *                                           (symlinkat's EEXIST decides races)
 *   RUN/runtime/                            the runtime's state root
 *
 * A record is rewritten whole (temporary file, rename) by whoever changes
 * it, under the record's own flock (STORAGE/containers/<id>/.lock), so
 * concurrent commands never see or write half a record. See
 * docs/design/engine.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

#define ENGINE_ID_LEN 64
/* Docker's "never" for StartedAt/FinishedAt. */
#define ENGINE_ZERO_TIME "0001-01-01T00:00:00Z"

typedef struct engine {
        char *storage_root; /* /var/lib/cell */
        char *run_root;     /* /run/cell */
        char *containers;   /* STORAGE/containers */
        char *runtime_root; /* RUN/runtime */
} engine_t;

int engine_open(const char *storage_root, const char *run_root, engine_t **ret, cell_error_t *err);
void engine_close(engine_t *e);
static inline void engine_closep(engine_t **e)
{
        engine_close(*e);
}
#define _cleanup_engine_ __attribute__((cleanup(engine_closep)))

/* A new random container id (64 hex digits). */
int engine_new_id(char ret[ENGINE_ID_LEN + 1], cell_error_t *err);

/* Docker's name rules: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/' is
 * dropped). */
int engine_check_name(const char *name, cell_error_t *err);

/* Reserve NAME for ID (NULL NAME: a generated adjective_noun name, returned
 * in ret_name). -EEXIST with Docker's message when it is taken. */
int engine_name_reserve(engine_t *e, const char *name, const char *id, char **ret_name, cell_error_t *err);
void engine_name_release(engine_t *e, const char *name, const char *id);

/* Find a container by full id, name, or unique id prefix. ret_id gets the
 * full id. -ENOENT: "No such container: X". */
int engine_container_find(engine_t *e, const char *name_or_id, char ret_id[ENGINE_ID_LEN + 1],
                          cell_error_t *err);

/* Every container id (NULL-terminated, sorted by creation, newest first). */
int engine_container_list(engine_t *e, char ***ret, cell_error_t *err);

/* STORAGE/containers/<id>/<name> (name may be NULL: the directory). */
char *engine_container_path(engine_t *e, const char *id, const char *name);

/* Read, and write atomically, a record. */
int engine_record_read(engine_t *e, const char *id, json_t **ret, cell_error_t *err);
int engine_record_write(engine_t *e, const char *id, json_t *rec, cell_error_t *err);

/* The record's State object (made when missing). */
json_t *engine_record_state(json_t *rec);

/* Lock a record for a read-modify-write: an fd holding the flock. */
int engine_record_lock(engine_t *e, const char *id, cell_error_t *err);

/* The time now as Docker prints it: RFC 3339 with nanoseconds, UTC. */
char *engine_time_now(void);
/* Parse that form back (0 on success). */
int engine_time_parse(const char *s, int64_t *ret_unix_ns);
