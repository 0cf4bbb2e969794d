/* cell: linux.seccomp, compiled with libseccomp and loaded by hand.
 *
 * The filter is compiled in the runtime before the container's init is
 * cloned (an unknown syscall name or action is an error before anything
 * exists, and the child inherits the compiled program), then installed by
 * the init with seccomp(2) as late as possible: just before execve when
 * no_new_privileges is set, otherwise just before the capabilities are
 * dropped (installing a filter without no_new_privs needs CAP_SYS_ADMIN).
 * A filter with a listener (SCMP_ACT_NOTIFY + listenerPath) is installed
 * before the init reports "created", so that the runtime can hand the
 * listener fd to the agent at listenerPath. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

typedef struct seccomp_prog seccomp_prog_t;

/* Compile the OCI linux.seccomp object. NULL seccomp gives *ret = NULL. */
int seccomp_compile(json_t *seccomp, seccomp_prog_t **ret, cell_error_t *err);
/* The same, keeping compiled programs in cache_dir (NULL: no cache; see
 * seccomp.c for why a hit is safe): what the runtime uses, under its state
 * root. */
int seccomp_compile_cached(json_t *seccomp, const char *cache_dir, seccomp_prog_t **ret, cell_error_t *err);
void seccomp_prog_free(seccomp_prog_t *p);

/* True when the filter asks for a notification listener: listenerPath set
 * and SCMP_ACT_NOTIFY used (the spec ignores listenerPath otherwise, and a
 * notifying profile without listenerPath is refused by seccomp_compile). */
bool seccomp_has_listener(const seccomp_prog_t *p);
const char *seccomp_listener_path(const seccomp_prog_t *p);

/* Install the filter in the calling thread (the flags of the OCI section
 * are passed to seccomp(2)). *ret_listener gets the notify fd when the
 * filter has a listener, else -1. Async-signal-safe after compile: no
 * allocation. */
int seccomp_install(const seccomp_prog_t *p, int *ret_listener, cell_error_t *err);

/* Send the listener fd to the agent at the filter's listenerPath as the
 * runtime-spec describes: one message carrying the container process state
 * JSON (ociVersion, fds ["seccompFd"], pid, metadata, state) with the fd
 * attached by SCM_RIGHTS. */
int seccomp_send_listener(const seccomp_prog_t *p, int listener_fd, pid_t pid, const char *state_json,
                          cell_error_t *err);

/* linux.seccomp of the OCI features document: enabled, actions, operators,
 * archs, knownFlags, supportedFlags. */
json_t *seccomp_features(void);
