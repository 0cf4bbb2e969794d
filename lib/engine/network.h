/* cell: networks. A network is a record (Docker's `network inspect`
 * shape) under STORAGE/networks/<name>.json; a bridge network is run by
 * the CNI plugins (bridge with host-local addresses, portmap for published
 * ports, dnsname for names on user networks) and firewall rules of its own
 * (firewall.h). A container's network namespace is a file bound at
 * RUN/netns/<id>, made before the runtime builds the container; the
 * networks are set up in a child while the runtime works (begin), and
 * waited for before the container's program starts (finish). What was
 * set up is written to RUN/networks/attached/<id>.json before it is done,
 * so whoever finds the container dead (its monitor killed) undoes it.
 * See docs/design/network.md. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "container.h"
#include "error.h"

/* The record of a network by name, full id or unique id prefix. The
 * predefined bridge, host and none exist once asked for. -ENOENT:
 * "network X not found". */
int engine_network_get(engine_t *e, const char *name_or_id, json_t **ret, cell_error_t *err);

/* bridge, host and none: made by cell, never removed. */
bool engine_network_is_predefined(const char *name);

typedef struct engine_network_create_req {
        const char *name;
        const char *driver;  /* NULL: bridge */
        const char *subnet;  /* NULL: a free /24 */
        const char *gateway; /* NULL: the subnet's first address */
        const char *ip_range;
        bool internal;
        json_t *labels;  /* object or NULL */
        json_t *options; /* object or NULL: com.docker.network.bridge.name */
} engine_network_create_req_t;

int engine_network_create(engine_t *e, const engine_network_create_req_t *req, json_t **ret,
                          cell_error_t *err);

/* Every network's record, sorted by name. */
int engine_network_list(engine_t *e, json_t **ret, cell_error_t *err);

/* The record with Docker's "Containers" (running containers' endpoints). */
int engine_network_inspect(engine_t *e, const char *name_or_id, json_t **ret, cell_error_t *err);

/* Refused for the predefined ones and while a container is connected. */
int engine_network_remove(engine_t *e, const char *name_or_id, cell_error_t *err);

/* Remove the user networks no container refers to (names in *ret_removed),
 * undo the networks of containers that died without doing it, and take
 * down an unused default bridge. */
int engine_network_prune(engine_t *e, char ***ret_removed, cell_error_t *err);

/* `network connect`: add the network to a container's (now, if it runs).
 * endpoint: Docker's EndpointSettings ({"Aliases": [...], "IPAMConfig":
 * {"IPv4Address": ...}}) or NULL. */
int engine_network_connect(engine_t *e, const char *network, const char *container, json_t *endpoint,
                           cell_error_t *err);
int engine_network_disconnect(engine_t *e, const char *network, const char *container, bool force,
                              cell_error_t *err);

/* At create: HostConfig.NetworkMode ("default" becomes "bridge") checked,
 * and the record's NetworkSettings.Networks made from it and ENDPOINT
 * (for the NetworkMode's network; may be NULL). */
int engine_network_settings_init(engine_t *e, json_t *host_config, json_t *endpoint, json_t **ret_settings,
                                 cell_error_t *err);

/* RUN/netns/<id>: where a container's spec finds its network namespace
 * (every mode but host). */
char *engine_netns_path(engine_t *e, const char *id);

typedef struct engine_net_setup engine_net_setup_t;

/* Before the runtime creates container ID: its namespace, and its
 * networks set up in a child (*ret NULL: nothing to wait for). REC: its
 * record (Name, Config, HostConfig, NetworkSettings), or NULL to read it. */
int engine_net_begin(engine_t *e, const char *id, json_t *rec, engine_net_setup_t **ret, cell_error_t *err);

/* Wait for the child; write /etc/hosts and /etc/resolv.conf and the
 * record's NetworkSettings. On failure everything begin did is undone.
 * Frees S. */
int engine_net_finish(engine_t *e, const char *id, engine_net_setup_t *s, cell_error_t *err);

/* A record's NetworkSettings as docker has them for a container that does
 * not run: endpoints without addresses, no ports. */
void engine_net_record_clear(json_t *rec);

/* A setup begun and not wanted (NULL: nothing): waited for and undone. */
void engine_net_cancel(engine_t *e, const char *id, engine_net_setup_t *s);

/* Undo what was set up for container ID (nothing: no error): the
 * namespace's file, each network (CNI DEL), the record's addresses. With
 * WAIT_ENDING, a teardown engine_net_release started is waited for (and
 * finished here if it does not end); without, it is left to itself. */
void engine_net_end(engine_t *e, const char *id, bool wait_ending);

/* The same, with the CNI DELs in a detached process: after a container
 * exits, its exit is recorded and returned without waiting for them. The
 * file moves to RUN/networks/ending/<id>.json until they are done. */
void engine_net_release(engine_t *e, const char *id);

/* A container's /etc/hosts and /etc/resolv.conf: HostConfig's ExtraHosts,
 * Dns, DnsSearch and DnsOptions; the container's own address (IP, may be
 * NULL) under its hostname; DNS_SERVER (its network's resolver, or NULL)
 * before the host's resolvers. */
char *engine_hosts_text(json_t *host_config, const char *hostname, const char *ip, bool host_net);
char *engine_resolv_text(json_t *host_config, const char *dns_server, bool host_net);
