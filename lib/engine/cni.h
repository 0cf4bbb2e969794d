/* cell: the CNI plugin protocol (the Container Network Interface spec,
 * 0.4.0): a network is a list of plugins (bridge with host-local address
 * management, portmap, dnsname), each an executable given its part of the
 * list on stdin and the call in CNI_* variables, answering a result (or an
 * error) on stdout. ADD runs the list in order, each plugin getting the
 * result so far; DEL runs it backwards. See docs/design/network.md. */
#pragma once

#include <jansson.h>

#include "error.h"

#define ENGINE_CNI_VERSION "0.4.0"

typedef struct engine_cni_call {
        const char *container_id;
        const char *netns;      /* a path; "" for a DEL once the namespace is gone */
        const char *ifname;     /* eth0, eth1, ... */
        const char *args;       /* CNI_ARGS ("IgnoreUnknown=1;K8S_POD_NAME=web") or NULL */
        json_t *runtime_config; /* portMappings, aliases, ...: each plugin gets those it asks for */
} engine_cni_call_t;

/* ADD the container to the network of CONFLIST; *ret_result is the last
 * plugin's result. A plugin that fails has the ones before it undone
 * (DEL), so a failed ADD leaves nothing behind. */
int engine_cni_add(json_t *conflist, const engine_cni_call_t *call, json_t **ret_result, cell_error_t *err);

/* DEL, last plugin first, each given PREV_RESULT (the ADD's result, or
 * NULL). Every plugin is called even when one fails; the first error is
 * returned. Deleting twice is not an error (the plugins' own rule). */
int engine_cni_del(json_t *conflist, const engine_cni_call_t *call, json_t *prev_result, cell_error_t *err);
