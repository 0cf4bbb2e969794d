/* cell: the Dockerfile (Containerfile) parser: bytes -> typed instructions
 * grouped into stages. Nothing is executed and nothing is expanded here:
 * words are kept as written (quotes included) and the executor expands them
 * with dockerfile_expand() (expand.h) against the ARG/ENV values in effect
 * when the instruction runs. Errors name the place: "Dockerfile:7: ...". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum dockerfile_kind {
        DOCKERFILE_FROM,
        DOCKERFILE_RUN,
        DOCKERFILE_CMD,
        DOCKERFILE_ENTRYPOINT,
        DOCKERFILE_ENV,
        DOCKERFILE_ARG,
        DOCKERFILE_LABEL,
        DOCKERFILE_EXPOSE,
        DOCKERFILE_WORKDIR,
        DOCKERFILE_USER,
        DOCKERFILE_VOLUME,
        DOCKERFILE_COPY,
        DOCKERFILE_ADD,
        DOCKERFILE_STOPSIGNAL,
        DOCKERFILE_HEALTHCHECK,
        DOCKERFILE_ONBUILD,
        DOCKERFILE_MAINTAINER,
        DOCKERFILE_SHELL,
} dockerfile_kind_t;

/* "FROM", "RUN", ... */
const char *dockerfile_kind_name(dockerfile_kind_t kind);

/* ENV, LABEL, ARG: key and value as written (expand the value); an ARG
 * without "=" has has_value false and value NULL. */
typedef struct dockerfile_kv {
        char *key;
        char *value;
        bool has_value;
} dockerfile_kv_t;

/* A here-document of RUN, COPY or ADD: <<NAME, <<-NAME (leading tabs
 * stripped from the body and the terminator), <<"NAME"/<<'NAME' (expand
 * false: no substitution in the body). content ends with a newline per line.
 * The command line or the COPY/ADD sources keep the marker words as written
 * ("<<EOF", "<<-\"EOF\""): the k-th marker is heredocs[k]. */
typedef struct dockerfile_heredoc {
        char *name;
        char *content;
        bool expand;
        bool strip_tabs;
} dockerfile_heredoc_t;

/* RUN or CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD: exec form (JSON array,
 * argv as given) or shell form (argv = {command line as written}). */
typedef struct dockerfile_command {
        bool exec_form;
        char **argv;
} dockerfile_command_t;

typedef enum dockerfile_mount_type {
        DOCKERFILE_MOUNT_BIND,
        DOCKERFILE_MOUNT_CACHE,
        DOCKERFILE_MOUNT_TMPFS,
        DOCKERFILE_MOUNT_SECRET,
        DOCKERFILE_MOUNT_SSH,
} dockerfile_mount_type_t;

typedef enum dockerfile_sharing {
        DOCKERFILE_SHARING_SHARED,
        DOCKERFILE_SHARING_PRIVATE,
        DOCKERFILE_SHARING_LOCKED,
} dockerfile_sharing_t;

/* RUN --mount=...: strings as written (NULL when absent); uid/gid -1 when
 * absent; readonly defaults to true for bind, false otherwise. */
typedef struct dockerfile_mount {
        dockerfile_mount_type_t type;
        char *target;
        char *source;
        char *from;
        char *id;
        char *mode;
        char *env;
        char *size;
        dockerfile_sharing_t sharing;
        bool required;
        bool readonly;
        long uid, gid;
} dockerfile_mount_t;

typedef struct dockerfile_instr dockerfile_instr_t;

/* One instruction; which fields are used depends on kind. */
struct dockerfile_instr {
        dockerfile_kind_t kind;
        int line;       /* first line of the instruction, from 1 */
        char *original; /* the logical line (continuations joined) */
        /* FROM: image, optional "AS name" (lowercased), --platform */
        char *image;
        char *stage_name;
        char *platform;
        /* RUN, CMD, ENTRYPOINT, SHELL; HEALTHCHECK CMD */
        dockerfile_command_t cmd;
        /* RUN: --mount (in order), --network (none/host/default), --security */
        dockerfile_mount_t *mounts;
        size_t n_mounts;
        char *network;
        char *security;
        /* ENV, LABEL, ARG */
        dockerfile_kv_t *kvs;
        size_t n_kvs;
        /* EXPOSE, VOLUME: the words; COPY, ADD: sources then the destination
         * last (n_args >= 2); WORKDIR, USER, STOPSIGNAL, MAINTAINER: args[0]
         * is the whole argument. NULL-terminated. */
        char **args;
        size_t n_args;
        /* COPY, ADD flags */
        char *from;
        char *chown;
        char *chmod;
        char *checksum;
        char **excludes;
        bool link;
        bool parents;
        bool keep_git_dir;
        /* RUN, COPY, ADD: here-documents, in the order they appear */
        dockerfile_heredoc_t *heredocs;
        size_t n_heredocs;
        /* HEALTHCHECK: NONE, or the options (0 when not given) and cmd */
        bool health_none;
        int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
        int retries; /* -1 when not given */
        /* ONBUILD: the instruction it registers */
        dockerfile_instr_t *trigger;
};

/* A stage: instrs[first] is its FROM; count includes it. */
typedef struct dockerfile_stage {
        char *name; /* lowercased "AS" name or NULL */
        size_t first;
        size_t count;
} dockerfile_stage_t;

typedef struct dockerfile {
        char *name;   /* display name used in errors, e.g. "Dockerfile" */
        char escape;  /* '\\' or '`' (# escape= directive) */
        char *syntax; /* # syntax= directive, or NULL */
        char *check;  /* # check= directive, or NULL */
        dockerfile_instr_t *instrs;
        size_t n_instrs;
        size_t n_global_args; /* instrs[0 .. n_global_args) are ARGs before the first FROM */
        dockerfile_stage_t *stages;
        size_t n_stages;
} dockerfile_t;

/* Parse data (len bytes; need not be NUL-terminated). On failure returns
 * negative, *ret untouched, err "NAME:LINE: message". */
int dockerfile_parse(const char *data, size_t len, const char *name, dockerfile_t **ret, cell_error_t *err);
void dockerfile_free(dockerfile_t *df);

/* A stage by name (case-insensitive) or by decimal index, or NULL. */
const dockerfile_stage_t *dockerfile_find_stage(const dockerfile_t *df, const char *name_or_index);

/* Go duration syntax ("1m30s", "500ms", "0"): the HEALTHCHECK options. */
int dockerfile_parse_duration(const char *s, int64_t *ret_ns);
