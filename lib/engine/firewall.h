/* cell: a network's firewall rules (iptables, as the CNI portmap plugin
 * and docker use, so that they live with theirs): set once when the network
 * is first used, not per container, so starting a container runs no
 * iptables. Per network, chains CELL-<bridge> in the filter table (jumped
 * to first from FORWARD: forwarding in and out of the bridge, isolation
 * from other cell networks, an internal network shut in) and in the nat
 * table (from POSTROUTING: masquerading what leaves the subnet). See
 * docs/design/network.md. */
#pragma once

#include <stdbool.h>

#include "error.h"

/* Install (or replace) the rules of the network on BRIDGE with SUBNET. */
int engine_firewall_add(const char *bridge, const char *subnet, bool internal, cell_error_t *err);

/* Remove them, and the chains; missing ones are no error. */
int engine_firewall_remove(const char *bridge, cell_error_t *err);

/* portmap's chains (CNI-HOSTPORT-*) and their jumps, removed when they are
 * empty: the last published port is gone and no other user (podman's
 * CNI networks) has one, so the host's rules are as they were. */
void engine_firewall_portmap_gc(void);
