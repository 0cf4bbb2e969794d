/* cell: seccomp profiles in Docker's format, and cell's default profile.
 *
 * Docker's profile format (the one of `docker run --security-opt
 * seccomp=profile.json`) is the OCI linux.seccomp object plus what lets one
 * file serve every machine and every capability set: archMap (an
 * architecture and the sub-architectures a filter for it must also cover),
 * "name" beside "names", and per-syscall "includes"/"excludes" conditions
 * on capabilities, architectures and the kernel version. Converting it for
 * one container on one host resolves those conditions and leaves the OCI
 * object that lib/runtime's seccomp_compile takes. */
#pragma once

#include <jansson.h>

#include "error.h"

/* Convert a Docker-format (or OCI-format) seccomp profile into an OCI
 * linux.seccomp object for a container with the capabilities CAPS ("CAP_"
 * names, as engine_caps_resolve gives them; NULL for none) on this host
 * (uname: the native architecture and the kernel release).
 *
 * A syscall entry is kept when all of its includes.caps are in CAPS, none
 * of its excludes.caps is, includes.arches (if any) names the native
 * architecture and excludes.arches does not, and the kernel is at least
 * includes.minKernel and below excludes.minKernel. Architectures are the
 * native one and its sub-architectures from archMap (or the profile's own
 * "architectures" list, kept as it is). A mistake in the document is an
 * error naming its place: "syscalls[12].args[0].op: expected a string".
 * Returns a new object, or NULL with err set. PROFILE is not changed. */
json_t *engine_seccomp_from_docker(json_t *profile, char *const *caps, cell_error_t *err);

/* The same for a given machine (uname -m: "x86_64", "aarch64"...) and
 * kernel release (uname -r: "6.1.0-18-amd64"): for tests, and for a
 * profile meant for another host. */
json_t *engine_seccomp_convert(json_t *profile, char *const *caps, const char *machine, const char *release,
                               cell_error_t *err);

/* cell's built-in default profile in Docker's format (a new object): the
 * same effect as Docker's default profile. */
json_t *engine_seccomp_default_profile(void);

/* The default profile converted for CAPS on this host: what a container
 * gets when no profile is asked for. */
json_t *engine_seccomp_default(char *const *caps, cell_error_t *err);
