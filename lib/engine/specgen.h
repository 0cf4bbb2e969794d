/* cell: a container's record (Docker's Config and HostConfig, merged with
 * its image's config at create) becomes an OCI runtime spec. */
#pragma once

#include <jansson.h>

#include "config.h"
#include "error.h"

/* Merge the image's run config into the create request's Config the way
 * Docker does at create: Env (image first, the request's override by
 * name), Cmd (the image's unless given; an --entrypoint clears the image's
 * Cmd), Entrypoint, WorkingDir, User, Labels, StopSignal, Healthcheck,
 * Volumes, ExposedPorts. CONFIG is changed in place. */
int engine_config_merge(json_t *config, const image_run_config_t *image, cell_error_t *err);

typedef struct engine_spec_in {
        const char *id;
        json_t *config;          /* the merged Config */
        json_t *host_config;     /* HostConfig */
        const char *rootfs;      /* the mounted root file system */
        const char *dir;         /* the container's directory: hostname, hosts, resolv.conf */
        const char *volumes_dir; /* STORAGE/volumes: named volumes */
        json_t *mounts_out;      /* gets Docker's inspect "Mounts" entries */
        const char *netns;       /* the network namespace's file (RUN/netns/<id>), but for host */
} engine_spec_in_t;

/* The OCI spec. Files the container needs (etc/hostname, hosts,
 * resolv.conf) are written into DIR; named volumes are made under
 * VOLUMES_DIR. Errors name the option ("--user: unable to find user x..."). */
int engine_spec_generate(const engine_spec_in_t *in, json_t **ret, cell_error_t *err);

/* A process's groups as docker's daemon makes them: the primary gid first,
 * then etc/group's supplementary ones, then HostConfig.GroupAdd's (group_add:
 * an array of names or gids, or NULL). u comes from engine_user_resolve. */
struct engine_user;
int engine_user_groups_docker(int rootfd, json_t *group_add, struct engine_user *u, cell_error_t *err);
