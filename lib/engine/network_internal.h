/* cell: what network.c (the networks) and netattach.c (a container's part
 * in them) share. Not for other files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "container.h"
#include "error.h"

/* Host-wide network state (the bridges are the host's): the address
 * leases (host-local's dataDir, ipam/<cni name>) and which bridges have
 * their rules (active/<bridge>). Volatile, as the bridges are. */
#define NET_STATE_DIR  "/run/cell-networks"
#define DEFAULT_BRIDGE "cell0"

/* The search domain of names on user networks (dnsname's domainName). */
#define DNS_DOMAIN "dns.cell"

static inline const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

typedef struct cidr {
        uint32_t addr; /* host order */
        int prefix;
} cidr_t;

uint32_t net_mask_of(int prefix);
int net_cidr_parse(const char *s, cidr_t *ret);
int net_ip_parse(const char *s, uint32_t *ret);
char *net_ip_str(uint32_t a);
char *net_new_id(void);

const char *net_bridge_of(json_t *rec);
const char *net_subnet_of(json_t *rec);
const char *net_gateway_of(json_t *rec);
/* The name the CNI plugins know the network by: cell-<name>. */
char *net_cni_name(json_t *rec);
/* The network's firewall rules, once per boot (RUN/networks/active). */
int net_activate(engine_t *e, json_t *rec, cell_error_t *err);

/* A JSON file of cell's own state (an attachment file), or NULL. */
json_t *net_read_json(const char *path);

/* RUN/networks/attached/<id>.json, and all of them by container id. */
char *net_attached_file(engine_t *e, const char *id);
json_t *net_attached_all(engine_t *e);

bool net_container_running(engine_t *e, const char *id);
/* Whether an interface is attached to BRIDGE (from any root). */
bool net_bridge_busy(const char *bridge);
