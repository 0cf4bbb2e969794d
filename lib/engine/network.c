/* cell: networks: their records, their rules on the host, prune. See network.h and
 * docs/design/network.md. */
#include "network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni.h"
#include "firewall.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "netns.h"
#include "network_internal.h"
#include "proc.h"
#include "strutil.h"

/* The default network's subnet, and where user networks' /24s are taken
 * from: clear of docker's 172.17-31 and podman's 10.88-89. */
#define DEFAULT_SUBNET_A 10
#define DEFAULT_SUBNET_B 87
#define USER_SUBNET_B    86

/* ---- paths and locks ---- */

static char *net_dir(engine_t *e)
{
        return str_printf("%s/networks", e->storage_root);
}

static char *net_file(engine_t *e, const char *name)
{
        return str_printf("%s/networks/%s.json", e->storage_root, name);
}

char *net_attached_file(engine_t *e, const char *id)
{
        return str_printf("%s/networks/attached/%s.json", e->run_root, id);
}

char *engine_netns_path(engine_t *e, const char *id)
{
        return str_printf("%s/netns/%s", e->run_root, id);
}

/* STORAGE/networks/.lock: create, remove and prune exclude each other. */
static int net_lock(engine_t *e, int op, cell_error_t *err)
{
        _cleanup_free_ char *dir = net_dir(e), *p = str_printf("%s/networks/.lock", e->storage_root);

        if (!dir || !p)
                return cell_error_set(err, ENOMEM, "networks");
        if (fs_mkdir_p(dir, 0700, err) < 0)
                return -1;
        return fs_lock_file(p, op, err);
}

/* ---- IPv4 ---- */

uint32_t net_mask_of(int prefix)
{
        return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int net_cidr_parse(const char *s, cidr_t *ret)
{
        char buf[64];
        char *slash;
        struct in_addr a;
        long p;

        if (!str_copy(buf, sizeof(buf), s) || !(slash = strchr(buf, '/')))
                return -1;
        *slash = '\0';
        if (inet_pton(AF_INET, buf, &a) != 1 || str_to_long(slash + 1, 0, 32, &p) < 0)
                return -1;
        ret->addr = ntohl(a.s_addr);
        ret->prefix = (int)p;
        return 0;
}

int net_ip_parse(const char *s, uint32_t *ret)
{
        struct in_addr a;

        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return -1;
        *ret = ntohl(a.s_addr);
        return 0;
}

char *net_ip_str(uint32_t a)
{
        struct in_addr x = {.s_addr = htonl(a)};
        char buf[INET_ADDRSTRLEN];

        return strdup(inet_ntop(AF_INET, &x, buf, sizeof(buf)) ? buf : "");
}

static bool cidr_overlap(cidr_t a, cidr_t b)
{
        int p = a.prefix < b.prefix ? a.prefix : b.prefix;

        return (a.addr & net_mask_of(p)) == (b.addr & net_mask_of(p));
}

/* The subnets of the host's routes but the default one: an interface's
 * (docker0, podman0, another root's bridge, the uplink). */
static void host_routes(cidr_t **ret, size_t *ret_n)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
        char line[256];

        *ret = NULL;
        *ret_n = 0;
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char ifn[32];
                unsigned dst, gw, flags, mask;
                cidr_t *n;

                if (sscanf(line, "%31s %x %x %x %*s %*s %*s %x", ifn, &dst, &gw, &flags, &mask) != 5 ||
                    mask == 0)
                        continue;
                if (!(n = realloc(*ret, (*ret_n + 1) * sizeof(**ret))))
                        return;
                *ret = n;
                n[*ret_n].addr = ntohl(dst);
                n[*ret_n].prefix = __builtin_popcount(mask);
                (*ret_n)++;
        }
}

/* ---- records ---- */

static int record_read(engine_t *e, const char *name, json_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *p = net_file(e, name), *data = NULL;
        json_error_t je;
        size_t len;
        int r;

        if (!p)
                return cell_error_set(err, ENOMEM, "network");
        r = fs_read_file(p, 1 << 20, &data, &len, err);
        if (r < 0)
                return r;
        *ret = json_loadb(data, len, 0, &je);
        if (!*ret)
                return cell_error_plain(err, EINVAL, "%s: %s", p, je.text);
        return 0;
}

static int record_write(engine_t *e, json_t *rec, cell_error_t *err)
{
        _cleanup_free_ char *p = net_file(e, jstr(rec, "Name")),
                            *data = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);

        if (!p || !data)
                return cell_error_set(err, ENOMEM, "network");
        return fs_write_atomic(p, data, strlen(data), 0600, err);
}

char *net_new_id(void)
{
        char id[ENGINE_ID_LEN + 1];
        cell_error_t ignored = {0};

        if (engine_new_id(id, &ignored) < 0)
                return NULL;
        return strdup(id);
}

static json_t *names_of(engine_t *e)
{
        _cleanup_free_ char *dir = net_dir(e);
        _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
        json_t *names = json_array();
        struct dirent *de;

        while (d && (de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                json_array_append_new(names, json_stringn(de->d_name, n - 5));
        }
        return names;
}

static bool bridge_taken(engine_t *e, const char *br)
{
        json_t *names = names_of(e), *v;
        bool taken = if_nametoindex(br) != 0;
        size_t i;

        json_array_foreach(names, i, v)
        {
                json_t *rec = NULL;
                cell_error_t ignored = {0};

                if (taken)
                        break;
                if (record_read(e, json_string_value(v), &rec, &ignored) == 0 &&
                    str_eq(jstr(json_object_get(rec, "Options"), "com.docker.network.bridge.name"), br))
                        taken = true;
                json_decref(rec);
        }
        json_decref(names);
        return taken;
}

/* Whether C overlaps a subnet of this root's networks or of the host's
 * routes. */
static bool subnet_taken(engine_t *e, cidr_t c)
{
        json_t *names = names_of(e), *v;
        _cleanup_free_ cidr_t *routes = NULL;
        size_t nroutes, i;
        bool taken = false;

        host_routes(&routes, &nroutes);
        for (i = 0; i < nroutes && !taken; i++)
                taken = cidr_overlap(c, routes[i]);
        json_array_foreach(names, i, v)
        {
                json_t *rec = NULL, *cfg;
                cell_error_t ignored = {0};
                size_t k;

                if (taken)
                        break;
                if (record_read(e, json_string_value(v), &rec, &ignored) < 0)
                        continue;
                json_array_foreach(json_object_get(json_object_get(rec, "IPAM"), "Config"), k, cfg)
                {
                        cidr_t o;

                        if (jstr(cfg, "Subnet") && net_cidr_parse(jstr(cfg, "Subnet"), &o) == 0 &&
                            cidr_overlap(c, o))
                                taken = true;
                }
                json_decref(rec);
        }
        json_decref(names);
        return taken;
}

static json_t *record_new(const char *name, const char *driver, const char *id)
{
        _cleanup_free_ char *now = engine_time_now();

        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:{}, s:[]}, s:b, s:b, s:b, s:{s:s}, s:b, "
                         "s:{}, s:{}}",
                         "Name", name, "Id", id, "Created", now ? now : ENGINE_ZERO_TIME, "Scope", "local",
                         "Driver", driver, "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config",
                         "Internal", 0, "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "",
                         "ConfigOnly", 0, "Options", "Labels");
}

static int next_bridge(engine_t *e, char *buf, size_t n, cell_error_t *err)
{
        /* cell0 is the default bridge's. */
        for (int i = 1; i < 1000; i++) {
                snprintf(buf, n, "cell%d", i);
                if (!bridge_taken(e, buf))
                        return 0;
        }
        return cell_error_plain(err, ENOSPC, "no free bridge name (cell1 to cell999 are taken)");
}

/* The predefined networks, made the first time they are asked for. */
static int predefined(engine_t *e, const char *name, json_t **ret, cell_error_t *err)
{
        _cleanup_close_ int lock = -1;
        _cleanup_free_ char *id = NULL;
        json_t *rec;

        /* Made already: no lock (readers never see half a record). */
        if (record_read(e, name, ret, NULL) == 0)
                return 0;
        lock = net_lock(e, LOCK_EX, err);
        if (lock < 0)
                return -1;
        if (record_read(e, name, ret, NULL) == 0)
                return 0;
        if (!(id = net_new_id()))
                return cell_error_set(err, ENOMEM, "network");
        rec = record_new(name,
                         str_eq(name, "bridge") ? "bridge"
                         : str_eq(name, "host") ? "host"
                                                : "null",
                         id);
        if (!rec)
                return cell_error_set(err, ENOMEM, "network");
        if (str_eq(name, "bridge")) {
                /* The host's one default bridge, whatever the root: cell0
                 * on 10.87.0.0/16, as docker0 is docker's (its addresses
                 * are leased host-wide: NET_STATE_DIR). */
                const char *br = DEFAULT_BRIDGE;
                cidr_t c = {.addr = (DEFAULT_SUBNET_A << 24) | (DEFAULT_SUBNET_B << 16), .prefix = 16};
                _cleanup_free_ char *net = NULL, *gw = NULL, *subnet = NULL;
                json_t *o = json_object_get(rec, "Options");

                net = net_ip_str(c.addr);
                gw = net_ip_str(c.addr + 1);
                subnet = str_printf("%s/%d", net ? net : "", c.prefix);
                json_array_append_new(
                        json_object_get(json_object_get(rec, "IPAM"), "Config"),
                        json_pack("{s:s, s:s}", "Subnet", subnet ? subnet : "", "Gateway", gw ? gw : ""));
                json_object_set_new(o, "com.docker.network.bridge.default_bridge", json_string("true"));
                json_object_set_new(o, "com.docker.network.bridge.enable_icc", json_string("true"));
                json_object_set_new(o, "com.docker.network.bridge.enable_ip_masquerade", json_string("true"));
                json_object_set_new(o, "com.docker.network.bridge.name", json_string(br));
                json_object_set_new(o, "com.docker.network.driver.mtu", json_string("1500"));
        }
        if (record_write(e, rec, err) < 0) {
                json_decref(rec);
                return -1;
        }
        *ret = rec;
        return 0;
}

bool engine_network_is_predefined(const char *name)
{
        return str_eq(name, "bridge") || str_eq(name, "host") || str_eq(name, "none");
}

int engine_network_get(engine_t *e, const char *name_or_id, json_t **ret, cell_error_t *err)
{
        json_t *names, *v, *found = NULL;
        size_t i, n = strlen(name_or_id), matches = 0;

        *ret = NULL;
        if (str_eq(name_or_id, "default"))
                name_or_id = "bridge";
        if (engine_network_is_predefined(name_or_id))
                return predefined(e, name_or_id, ret, err);
        if (!strchr(name_or_id, '/') && name_or_id[0] != '.' && record_read(e, name_or_id, ret, NULL) == 0)
                return 0;
        names = names_of(e);
        json_array_foreach(names, i, v)
        {
                json_t *rec = NULL;
                const char *id;

                if (record_read(e, json_string_value(v), &rec, NULL) < 0)
                        continue;
                id = jstr(rec, "Id");
                if (n > 0 && id && strncmp(id, name_or_id, n) == 0) {
                        if (strlen(id) == n) {
                                json_decref(found);
                                found = rec;
                                matches = 1;
                                break;
                        }
                        matches++;
                        json_decref(found);
                        found = rec;
                        continue;
                }
                json_decref(rec);
        }
        json_decref(names);
        if (matches == 1) {
                *ret = found;
                return 0;
        }
        json_decref(found);
        if (matches > 1)
                return cell_error_plain(err, EINVAL,
                                        "network %s is ambiguous (%zu matches found based on ID prefix)",
                                        name_or_id, matches);
        return cell_error_plain(err, ENOENT, "network %s not found", name_or_id);
}

static int check_name(const char *name, cell_error_t *err)
{
        size_t n = strlen(name);

        if (n == 0 || n > 128 ||
            !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
              (name[0] >= '0' && name[0] <= '9')) ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
                return cell_error_plain(
                        err, EINVAL,
                        "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
        return 0;
}

const char *net_bridge_of(json_t *rec)
{
        return jstr(json_object_get(rec, "Options"), "com.docker.network.bridge.name");
}

const char *net_subnet_of(json_t *rec)
{
        return jstr(json_array_get(json_object_get(json_object_get(rec, "IPAM"), "Config"), 0), "Subnet");
}

const char *net_gateway_of(json_t *rec)
{
        return jstr(json_array_get(json_object_get(json_object_get(rec, "IPAM"), "Config"), 0), "Gateway");
}

/* ---- activation: a network's firewall rules ---- */

/* Bridges, their addresses and their rules are the host's, not a root's:
 * what says they are set up lives in NET_STATE_DIR, by bridge name. */
static char *active_marker(json_t *rec)
{
        return str_printf("%s/active/%s", NET_STATE_DIR, net_bridge_of(rec));
}

/* NET_STATE_DIR/.lock: the host's rules change one command at a time
 * (two first containers at once would each add the FORWARD jump). */
static int host_lock(cell_error_t *err)
{
        _cleanup_free_ char *dir = str_printf("%s/active", NET_STATE_DIR),
                            *p = str_printf("%s/.lock", NET_STATE_DIR);

        if (!dir || !p)
                return cell_error_set(err, ENOMEM, "network");
        if (fs_mkdir_p(dir, 0700, err) < 0)
                return -1;
        return fs_lock_file(p, LOCK_EX, err);
}

int net_activate(engine_t *e, json_t *rec, cell_error_t *err)
{
        _cleanup_free_ char *m = active_marker(rec);
        _cleanup_close_ int lock = -1;

        if (!m)
                return cell_error_set(err, ENOMEM, "network");
        /* Once per boot and bridge: the usual answer costs a stat. */
        if (fs_exists(m))
                return 0;
        lock = host_lock(err);
        if (lock < 0)
                return -1;
        if (fs_exists(m))
                return 0;
        if (engine_firewall_add(net_bridge_of(rec), net_subnet_of(rec),
                                json_is_true(json_object_get(rec, "Internal")), err) < 0)
                return -1;
        return fs_write_replace(m, "", 0, 0600, err);
}

/* The bridge down and deleted (SIOCBRDELBR wants it down). */
static void bridge_delete(const char *br)
{
        _cleanup_close_ int s = -1;
        cell_error_t ignored = {0};

        if (!if_nametoindex(br))
                return;
        (void)engine_link_set_up(br, false, &ignored);
        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s >= 0)
                (void)ioctl(s, SIOCBRDELBR, br);
}

char *net_cni_name(json_t *rec)
{
        /* Unique on the host: two roots may each have a network "n1"
         * (dnsname's and host-local's state go by this name). */
        if (str_eq(jstr(rec, "Name"), "bridge"))
                return strdup("cell-bridge");
        return str_printf("cell-%.12s", jstr(rec, "Id"));
}

/* Whether anything is attached to BRIDGE now, from any root. */
bool net_bridge_busy(const char *bridge)
{
        _cleanup_free_ char *p = str_printf("/sys/class/net/%s/brif", bridge);
        _cleanup_closedir_ DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        return true;
        return false;
}

/* Take a network off the host: rules, bridge, leases, dnsname's files. */
static int deactivate(engine_t *e, json_t *rec, cell_error_t *err)
{
        _cleanup_free_ char *m = active_marker(rec), *cn = net_cni_name(rec), *ipam = NULL, *dns = NULL;
        _cleanup_close_ int lock = -1;

        if (!m || !cn)
                return cell_error_set(err, ENOMEM, "network");
        lock = host_lock(err);
        if (lock < 0)
                return -1;
        if (!str_eq(jstr(rec, "Driver"), "bridge"))
                return 0;
        if (engine_firewall_remove(net_bridge_of(rec), err) < 0)
                return -1;
        bridge_delete(net_bridge_of(rec));
        ipam = str_printf("%s/ipam/%s", NET_STATE_DIR, cn);
        dns = str_printf("/run/containers/cni/dnsname/%s", cn);
        if (ipam)
                fs_rm_rf(ipam, NULL);
        if (dns)
                fs_rm_rf(dns, NULL);
        unlink(m);
        return 0;
}

/* ---- create, list, remove ---- */

int engine_network_create(engine_t *e, const engine_network_create_req_t *req, json_t **ret,
                          cell_error_t *err)
{
        _cleanup_close_ int lock = -1;
        _cleanup_free_ char *id = NULL, *subnet = NULL, *gw = NULL;
        const char *driver = req->driver && *req->driver ? req->driver : "bridge";
        char br[IFNAMSIZ];
        json_t *rec = NULL, *existing = NULL, *cfg;
        cidr_t c;

        if (check_name(req->name, err) < 0)
                return -1;
        if (!str_eq(driver, "bridge"))
                return cell_error_plain(err, EINVAL, "plugin \"%s\" not found (cell's networks are bridges)",
                                        driver);
        if (engine_network_is_predefined(req->name) || str_eq(req->name, "default"))
                return cell_error_plain(err, EEXIST, "network with name %s already exists", req->name);
        lock = net_lock(e, LOCK_EX, err);
        if (lock < 0)
                return -1;
        if (record_read(e, req->name, &existing, NULL) == 0) {
                json_decref(existing);
                return cell_error_plain(err, EEXIST, "network with name %s already exists", req->name);
        }
        if (req->subnet) {
                if (net_cidr_parse(req->subnet, &c) < 0 || c.prefix > 30)
                        return cell_error_plain(err, EINVAL,
                                                "invalid subnet %s: an IPv4 CIDR (a.b.c.d/n, n <= 30)",
                                                req->subnet);
                if ((c.addr & ~net_mask_of(c.prefix)) != 0)
                        return cell_error_plain(err, EINVAL, "invalid subnet %s: it has bits set past /%d",
                                                req->subnet, c.prefix);
                if (subnet_taken(e, c))
                        return cell_error_plain(err, EEXIST,
                                                "Pool overlaps with other one on this address space");
        } else {
                uint32_t k;

                for (k = 0; k < 512; k++) {
                        c.addr = (10u << 24) | ((uint32_t)(USER_SUBNET_B - k / 256) << 16) | ((k % 256) << 8);
                        c.prefix = 24;
                        if (!subnet_taken(e, c))
                                break;
                }
                if (k == 512)
                        return cell_error_plain(
                                err, ENOSPC,
                                "could not find an available, non-overlapping IPv4 address pool "
                                "among the defaults to assign to the network (give --subnet)");
        }
        {
                _cleanup_free_ char *a = net_ip_str(c.addr);

                subnet = str_printf("%s/%d", a ? a : "", c.prefix);
        }
        if (req->gateway) {
                uint32_t g;

                if (net_ip_parse(req->gateway, &g) < 0)
                        return cell_error_plain(err, EINVAL, "invalid gateway %s", req->gateway);
                if ((g & net_mask_of(c.prefix)) != c.addr || g == c.addr ||
                    g == (c.addr | ~net_mask_of(c.prefix)))
                        return cell_error_plain(err, EINVAL, "no matching subnet for gateway %s",
                                                req->gateway);
                gw = strdup(req->gateway);
        } else {
                gw = net_ip_str(c.addr + 1);
        }
        if (req->options && jstr(req->options, "com.docker.network.bridge.name")) {
                const char *want = jstr(req->options, "com.docker.network.bridge.name");

                if (strlen(want) >= IFNAMSIZ || !*want || strchr(want, '/'))
                        return cell_error_plain(err, EINVAL, "invalid bridge name \"%s\"", want);
                if (bridge_taken(e, want))
                        return cell_error_plain(err, EEXIST, "bridge name %s is in use", want);
                str_copy(br, sizeof(br), want);
        } else if (next_bridge(e, br, sizeof(br), err) < 0) {
                return -1;
        }
        if (!(id = net_new_id()) || !subnet || !gw || !(rec = record_new(req->name, "bridge", id)))
                return cell_error_set(err, ENOMEM, "network");
        cfg = json_pack("{s:s, s:s}", "Subnet", subnet, "Gateway", gw);
        if (req->ip_range)
                json_object_set_new(cfg, "IPRange", json_string(req->ip_range));
        json_array_append_new(json_object_get(json_object_get(rec, "IPAM"), "Config"), cfg);
        json_object_set_new(rec, "Internal", json_boolean(req->internal));
        if (req->labels)
                json_object_update(json_object_get(rec, "Labels"), req->labels);
        if (req->options)
                json_object_update(json_object_get(rec, "Options"), req->options);
        json_object_set_new(json_object_get(rec, "Options"), "com.docker.network.bridge.name",
                            json_string(br));
        /* A marker a bridge of this name left (its rules since removed by
         * hand, say) must not stand for this network's rules. */
        {
                _cleanup_free_ char *m = active_marker(rec);

                if (m)
                        unlink(m);
        }
        if (record_write(e, rec, err) < 0 || net_activate(e, rec, err) < 0) {
                _cleanup_free_ char *p = net_file(e, req->name);

                if (p)
                        unlink(p);
                json_decref(rec);
                return -1;
        }
        *ret = rec;
        return 0;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(jstr(*(json_t *const *)a, "Name"), jstr(*(json_t *const *)b, "Name"));
}

int engine_network_list(engine_t *e, json_t **ret, cell_error_t *err)
{
        json_t *names, *v, *list = json_array(), *tmp = NULL;
        _cleanup_free_ json_t **arr = NULL;
        size_t i, n = 0;

        for (i = 0; i < 3; i++) {
                static const char *const pre[] = {"bridge", "host", "none"};

                if (engine_network_get(e, pre[i], &tmp, err) < 0) {
                        json_decref(list);
                        return -1;
                }
                json_decref(tmp);
        }
        names = names_of(e);
        arr = calloc(json_array_size(names) + 1, sizeof(*arr));
        json_array_foreach(names, i, v)
        {
                json_t *rec = NULL;

                if (arr && record_read(e, json_string_value(v), &rec, NULL) == 0 && jstr(rec, "Name"))
                        arr[n++] = rec;
                else
                        json_decref(rec);
        }
        json_decref(names);
        if (n)
                qsort(arr, n, sizeof(*arr), cmp_name);
        for (i = 0; i < n; i++)
                json_array_append_new(list, arr[i]);
        *ret = list;
        return 0;
}

json_t *net_read_json(const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len;

        if (fs_read_file(path, 1 << 22, &data, &len, NULL) < 0)
                return NULL;
        return json_loadb(data, len, 0, NULL);
}

/* The containers whose networks are set up now (RUN/networks/attached). */
json_t *net_attached_all(engine_t *e)
{
        _cleanup_free_ char *dir = str_printf("%s/networks/attached", e->run_root);
        _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
        json_t *all = json_object();
        struct dirent *de;

        while (d && (de = readdir(d))) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *p = NULL, *id = NULL;
                json_t *a;

                if (n != ENGINE_ID_LEN + 5 || strcmp(de->d_name + ENGINE_ID_LEN, ".json") != 0)
                        continue;
                p = str_printf("%s/%s", dir, de->d_name);
                id = strndup(de->d_name, ENGINE_ID_LEN);
                if (p && id && (a = net_read_json(p)))
                        json_object_set_new(all, id, a);
        }
        return all;
}

int engine_network_inspect(engine_t *e, const char *name_or_id, json_t **ret, cell_error_t *err)
{
        json_t *rec = NULL, *all, *containers = json_object(), *a;
        const char *cid;

        if (engine_network_get(e, name_or_id, &rec, err) < 0) {
                json_decref(containers);
                return -1;
        }
        all = net_attached_all(e);
        json_object_foreach(all, cid, a)
        {
                json_t *ep = json_object_get(json_object_get(a, "networks"), jstr(rec, "Name")), *res, *ip,
                       *ifc;

                if (!ep || !(res = json_object_get(ep, "result")))
                        continue;
                ip = json_array_get(json_object_get(res, "ips"), 0);
                ifc = json_array_get(json_object_get(res, "interfaces"),
                                     (size_t)json_integer_value(json_object_get(ip, "interface")));
                json_object_set_new(
                        containers, cid,
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", jstr(a, "name") ? jstr(a, "name") : "",
                                  "EndpointID", jstr(ep, "endpoint") ? jstr(ep, "endpoint") : "",
                                  "MacAddress", jstr(ifc, "mac") ? jstr(ifc, "mac") : "", "IPv4Address",
                                  jstr(ip, "address") ? jstr(ip, "address") : "", "IPv6Address", ""));
        }
        json_decref(all);
        json_object_set_new(rec, "Containers", containers);
        *ret = rec;
        return 0;
}

/* Whether a container (any state) names the network in its record. */
static bool network_referenced(engine_t *e, const char *name)
{
        _cleanup_strv_ char **ids = NULL;
        cell_error_t ignored = {0};
        bool used = false;

        if (engine_container_list(e, &ids, &ignored) < 0)
                return true;
        for (size_t i = 0; ids && ids[i] && !used; i++) {
                json_t *rec = NULL;

                if (engine_record_read(e, ids[i], &rec, NULL) < 0)
                        continue;
                used = json_object_get(json_object_get(json_object_get(rec, "NetworkSettings"), "Networks"),
                                       name) ||
                       str_eq(jstr(json_object_get(rec, "HostConfig"), "NetworkMode"), name);
                json_decref(rec);
        }
        return used;
}

static bool has_endpoints(engine_t *e, const char *name)
{
        json_t *all = net_attached_all(e), *a;
        const char *cid;
        bool any = false;

        json_object_foreach(all, cid, a) if (json_object_get(json_object_get(a, "networks"), name)) any =
                true;
        json_decref(all);
        return any;
}

/* Teardowns under way (engine_net_release) finish first: a network goes
 * once nothing of it is left. */
static void wait_ending(engine_t *e)
{
        _cleanup_free_ char *dir = str_printf("%s/networks/ending", e->run_root);

        for (int i = 0; dir && i < 500; i++) {
                _cleanup_closedir_ DIR *d = opendir(dir);
                struct dirent *de;
                bool any = false;

                while (d && (de = readdir(d)))
                        if (de->d_name[0] != '.')
                                any = true;
                if (!any)
                        return;
                {
                        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

                        nanosleep(&ts, NULL);
                }
        }
}

/* Whether BRIDGE is left with no interface within 2 s: the host ends of
 * the veths of containers that just ended go when the kernel has cleaned
 * up their namespaces, a moment after. A container of another root still
 * on it keeps it busy. */
static bool bridge_settles(const char *bridge)
{
        for (int i = 0; i < 200; i++) {
                struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

                if (!net_bridge_busy(bridge))
                        return true;
                nanosleep(&ts, NULL);
        }
        return false;
}

static int remove_locked(engine_t *e, json_t *rec, cell_error_t *err)
{
        _cleanup_free_ char *p = net_file(e, jstr(rec, "Name"));

        if (engine_network_is_predefined(jstr(rec, "Name")))
                return cell_error_plain(err, EPERM, "%s is a pre-defined network and cannot be removed",
                                        jstr(rec, "Name"));
        wait_ending(e);
        if (has_endpoints(e, jstr(rec, "Name")))
                return cell_error_plain(err, EBUSY,
                                        "error while removing network: network %s id %s has active endpoints",
                                        jstr(rec, "Name"), jstr(rec, "Id"));
        if (deactivate(e, rec, err) < 0)
                return -1;
        if (!p || unlink(p) < 0)
                return cell_error_errno(err, "removing %s", p ? p : "network");
        return 0;
}

int engine_network_remove(engine_t *e, const char *name_or_id, cell_error_t *err)
{
        _cleanup_close_ int lock = -1;
        json_t *rec = NULL;
        int r;

        if (engine_network_get(e, name_or_id, &rec, err) < 0)
                return -1;
        lock = net_lock(e, LOCK_EX, err);
        r = lock < 0 ? -1 : remove_locked(e, rec, err);
        json_decref(rec);
        return r;
}

int engine_network_prune(engine_t *e, char ***ret_removed, cell_error_t *err)
{
        _cleanup_close_ int lock = -1;
        json_t *all, *a, *list = NULL, *rec;
        const char *cid;
        size_t i;

        *ret_removed = NULL;
        /* Containers that died without undoing their networks. */
        all = net_attached_all(e);
        json_object_foreach(all, cid, a) if (!net_container_running(e, cid)) engine_net_end(e, cid, true);
        json_decref(all);
        wait_ending(e);
        /* The list first: it may make the predefined networks, under the
         * lock (a second flock of it here would wait for ourselves). */
        if (engine_network_list(e, &list, err) < 0)
                return -1;
        lock = net_lock(e, LOCK_EX, err);
        if (lock < 0) {
                json_decref(list);
                return -1;
        }
        json_array_foreach(list, i, rec)
        {
                const char *name = jstr(rec, "Name");
                cell_error_t e1 = {0};

                if (engine_network_is_predefined(name)) {
                        /* An unused default bridge comes off the host; the
                         * next container on it puts it back. */
                        if (str_eq(name, "bridge") && !has_endpoints(e, name) &&
                            bridge_settles(DEFAULT_BRIDGE))
                                (void)deactivate(e, rec, &e1);
                        continue;
                }
                if (network_referenced(e, name))
                        continue;
                if (remove_locked(e, rec, &e1) == 0)
                        strv_push(ret_removed, name);
        }
        json_decref(list);
        return 0;
}
