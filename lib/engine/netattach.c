/* cell: a container's part in networks: its /etc/hosts and
 * /etc/resolv.conf, published ports, the CNI calls that set its networks
 * up and undo them, connect and disconnect. See network.h and
 * docs/design/network.md. */
#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni.h"
#include "firewall.h"
#include "fsutil.h"
#include "netns.h"
#include "network_internal.h"
#include "proc.h"
#include "strutil.h"

/* ---- a container's /etc/hosts and /etc/resolv.conf ---- */

char *engine_hosts_text(json_t *host_config, const char *hostname, const char *ip, bool host_net)
{
        _cleanup_free_ char *base = NULL;
        size_t len, i;
        json_t *v;
        char *out;
        FILE *f;

        if (!host_net || fs_read_file("/etc/hosts", 1 << 20, &base, &len, NULL) < 0) {
                free(base);
                base = strdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                              "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                              "ff02::2\tip6-allrouters\n");
        }
        if (!base || !(f = open_memstream(&out, &len)))
                return NULL;
        fputs(base, f);
        if (*base && base[strlen(base) - 1] != '\n')
                fputc('\n', f);
        /* --add-host name:ip, as docker writes them: ip, a tab, the name. */
        json_array_foreach(json_object_get(host_config, "ExtraHosts"), i, v)
        {
                const char *s = json_string_value(v), *c = s ? strchr(s, ':') : NULL;

                if (c)
                        fprintf(f, "%s\t%.*s\n", c + 1, (int)(c - s), s);
        }
        if (ip && *ip)
                fprintf(f, "%s\t%s\n", ip, hostname);
        fclose(f);
        return out;
}

char *engine_resolv_text(json_t *host_config, const char *dns_server, bool host_net)
{
        _cleanup_free_ char *host = NULL;
        json_t *dns = json_object_get(host_config, "Dns"),
               *search = json_object_get(host_config, "DnsSearch"),
               *opts = json_object_get(host_config, "DnsOptions"), *v;
        bool any_ns = false;
        size_t len, i;
        char *out, *save = NULL;
        FILE *f;

        if (fs_read_file("/etc/resolv.conf", 1 << 20, &host, &len, NULL) < 0)
                host = strdup("");
        if (!host || !(f = open_memstream(&out, &len)))
                return NULL;
        if (dns_server) {
                /* The network's resolver (dnsmasq on the bridge's address)
                 * answers for containers and asks the host's for the rest. */
                fprintf(f, "nameserver %s\n", dns_server);
                any_ns = true;
        }
        json_array_foreach(dns, i, v)
        {
                fprintf(f, "nameserver %s\n", json_string_value(v) ? json_string_value(v) : "");
                any_ns = true;
        }
        for (char *l = strtok_r(host, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                bool ns = str_has_prefix(l, "nameserver");

                if (ns && (dns_server || json_array_size(dns)))
                        continue;
                /* A loopback resolver would be the container's own
                 * loopback: docker drops those (not on the host's network). */
                if (ns && !host_net && (strstr(l, " 127.") || strstr(l, " ::1")))
                        continue;
                if ((str_has_prefix(l, "search") || str_has_prefix(l, "domain")) && json_array_size(search))
                        continue;
                if (str_has_prefix(l, "options") && json_array_size(opts))
                        continue;
                if (ns)
                        any_ns = true;
                fprintf(f, "%s\n", l);
        }
        if (!any_ns && !host_net)
                fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", f);
        if (json_array_size(search)) {
                fputs("search", f);
                json_array_foreach(search, i, v)
                        fprintf(f, " %s", json_string_value(v) ? json_string_value(v) : "");
                fputc('\n', f);
        } else if (dns_server) {
                fputs("search " DNS_DOMAIN "\n", f);
        }
        if (json_array_size(opts)) {
                fputs("options", f);
                json_array_foreach(opts, i, v)
                        fprintf(f, " %s", json_string_value(v) ? json_string_value(v) : "");
                fputc('\n', f);
        }
        fclose(f);
        return out;
}

/* Rewrite a file the container has bound: in place, the same inode. */
static int rewrite_in_place(const char *path, const char *text, cell_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return cell_error_errno(err, "open %s", path);
        if (fs_write_all(fd, text, strlen(text)) < 0)
                return cell_error_errno(err, "write %s", path);
        return 0;
}

/* ---- a container's endpoints ---- */

static json_t *endpoint_new(json_t *net, json_t *ep)
{
        json_t *aliases = json_object_get(ep, "Aliases"), *ipam = json_object_get(ep, "IPAMConfig");

        return json_pack("{s:O?, s:n, s:O?, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}", "IPAMConfig",
                         ipam, "Links", "Aliases", aliases, "NetworkID", jstr(net, "Id"), "EndpointID", "",
                         "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
                         "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "", "DriverOpts");
}

static bool is_user_network(json_t *net)
{
        return str_eq(jstr(net, "Driver"), "bridge") && !str_eq(jstr(net, "Name"), "bridge");
}

static int check_endpoint(json_t *net, json_t *ep, cell_error_t *err)
{
        const char *ip = jstr(json_object_get(ep, "IPAMConfig"), "IPv4Address");

        if (!is_user_network(net)) {
                if (json_array_size(json_object_get(ep, "Aliases")))
                        return cell_error_plain(
                                err, EINVAL,
                                "network-scoped alias is supported only for containers in user "
                                "defined networks");
                if (ip && *ip)
                        return cell_error_plain(
                                err, EINVAL,
                                "user specified IP address is supported on user defined networks "
                                "only");
        } else if (ip && *ip) {
                cidr_t c;
                uint32_t a;

                if (net_ip_parse(ip, &a) < 0)
                        return cell_error_plain(err, EINVAL, "invalid IPv4 address: %s", ip);
                if (net_cidr_parse(net_subnet_of(net), &c) == 0 && (a & net_mask_of(c.prefix)) != c.addr)
                        return cell_error_plain(err, EINVAL, "no configured subnet contains IP address %s",
                                                ip);
        }
        return 0;
}

int engine_network_settings_init(engine_t *e, json_t *host_config, json_t *endpoint, json_t **ret_settings,
                                 cell_error_t *err)
{
        const char *mode = jstr(host_config, "NetworkMode");
        json_t *net = NULL, *nets = json_object();

        *ret_settings = NULL;
        if (!mode || !*mode || str_eq(mode, "default"))
                mode = "bridge";
        if (str_has_prefix(mode, "container:")) {
                char cid[ENGINE_ID_LEN + 1];

                if (engine_container_find(e, mode + 10, cid, err) < 0) {
                        json_decref(nets);
                        return -1;
                }
        } else {
                if (engine_network_get(e, mode, &net, err) < 0 || check_endpoint(net, endpoint, err) < 0) {
                        json_decref(net);
                        json_decref(nets);
                        return -1;
                }
                json_object_set_new(nets, jstr(net, "Name"), endpoint_new(net, endpoint));
                json_decref(net);
        }
        *ret_settings = json_pack("{s:s, s:s, s:b, s:n, s:{}, s:s, s:o}", "Bridge", "", "SandboxID", "",
                                  "HairpinMode", 0, "LinkLocalIPv6Address", "Ports", "SandboxKey", "",
                                  "Networks", nets);
        return *ret_settings ? 0 : cell_error_set(err, ENOMEM, "NetworkSettings");
}

/* ---- published ports ---- */

/* "80/tcp" -> 80, "tcp". */
static int port_key(const char *key, int *ret_port, char proto[8])
{
        long p;
        char buf[32];
        char *slash;

        if (!str_copy(buf, sizeof(buf), key))
                return -1;
        slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        if (str_to_long(buf, 1, 65535, &p) < 0)
                return -1;
        *ret_port = (int)p;
        str_copy(proto, 8, slash ? slash + 1 : "tcp");
        return 0;
}

/* A free port of the host's (the kernel picks it, as docker's allocator
 * picks from the ephemeral range). */
static int free_port(const char *proto, cell_error_t *err)
{
        _cleanup_close_ int s =
                socket(AF_INET, (str_eq(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t n = sizeof(a);

        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            getsockname(s, (struct sockaddr *)&a, &n) < 0)
                return cell_error_errno(err, "finding a free host port");
        return ntohs(a.sin_port);
}

/* Whether a program of the host holds the port: its packets would go to
 * the container instead, so docker's refusal. */
static bool port_in_use(const char *host_ip, int port, const char *proto)
{
        _cleanup_close_ int s =
                socket(AF_INET, (str_eq(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        int one = 1;

        if (s < 0)
                return false;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (host_ip && *host_ip)
                inet_pton(AF_INET, host_ip, &a.sin_addr);
        return bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRINUSE;
}

/* Another cell container's mapping of the same host port. */
static bool port_mapped(json_t *all, const char *self, int port, const char *proto)
{
        json_t *a, *nets, *ep, *m;
        const char *cid, *name;
        size_t i;

        json_object_foreach(all, cid, a)
        {
                if (str_eq(cid, self))
                        continue;
                nets = json_object_get(a, "networks");
                json_object_foreach(nets, name, ep) json_array_foreach(
                        json_object_get(json_object_get(ep, "runtimeConfig"), "portMappings"), i, m)
                {
                        if (json_integer_value(json_object_get(m, "hostPort")) == port &&
                            str_eq(jstr(m, "protocol"), proto))
                                return true;
                }
        }
        return false;
}

/* HostConfig.PortBindings (and -P's ExposedPorts) -> portmap's
 * portMappings, host ports chosen where none was given. */
static int port_mappings(engine_t *e, const char *id, json_t *rec, json_t **ret, cell_error_t *err)
{
        json_t *hc = json_object_get(rec, "HostConfig"), *pb = json_object_get(hc, "PortBindings"),
               *exposed = json_object_get(json_object_get(rec, "Config"), "ExposedPorts"),
               *maps = json_array(), *want = json_object(), *all = NULL, *list, *b;
        const char *key;
        size_t i;
        int r = 0;

        json_object_foreach(pb, key, list) json_object_set(want, key, list);
        if (json_is_true(json_object_get(hc, "PublishAllPorts")))
                json_object_foreach(exposed, key, list) if (!json_object_get(want, key)) json_object_set_new(
                        want, key, json_pack("[{s:s, s:s}]", "HostIp", "", "HostPort", ""));
        if (json_object_size(want))
                all = net_attached_all(e);
        json_object_foreach(want, key, list)
        {
                char proto[8];
                int cport;

                if (port_key(key, &cport, proto) < 0) {
                        r = cell_error_plain(err, EINVAL, "invalid port \"%s\"", key);
                        break;
                }
                json_array_foreach(list, i, b)
                {
                        const char *hip = jstr(b, "HostIp"), *hp = jstr(b, "HostPort");
                        long hport = 0;

                        if (hp && *hp && str_to_long(hp, 1, 65535, &hport) < 0) {
                                r = cell_error_plain(err, EINVAL, "invalid host port \"%s\"", hp);
                                break;
                        }
                        if (!hport) {
                                hport = free_port(proto, err);
                                if (hport < 0) {
                                        r = -1;
                                        break;
                                }
                        } else if (port_in_use(hip, (int)hport, proto) ||
                                   port_mapped(all, id, (int)hport, proto)) {
                                r = cell_error_plain(
                                        err, EADDRINUSE,
                                        "driver failed programming external connectivity on endpoint: "
                                        "Bind for %s:%ld failed: port is already allocated",
                                        hip && *hip ? hip : "0.0.0.0", hport);
                                break;
                        }
                        json_array_append_new(maps,
                                              json_pack("{s:i, s:i, s:s, s:s}", "hostPort", (int)hport,
                                                        "containerPort", cport, "protocol", proto, "hostIP",
                                                        hip && !str_eq(hip, "0.0.0.0") ? hip : ""));
                }
                if (r < 0)
                        break;
        }
        json_decref(all);
        json_decref(want);
        if (r < 0) {
                json_decref(maps);
                return -1;
        }
        *ret = maps;
        return 0;
}

/* ---- a container's networks: plan, set up, undo ---- */

/* The CNI list for a container on NET: bridge (+ host-local), portmap
 * when it publishes ports, dnsname on user networks. Built per container
 * so that no plugin runs for nothing. */
static json_t *conflist_for(engine_t *e, json_t *net, bool ports)
{
        _cleanup_free_ char *cn = net_cni_name(net), *ipam_dir = str_printf("%s/ipam", NET_STATE_DIR);
        bool internal = json_is_true(json_object_get(net, "Internal"));
        json_t *range = json_pack("{s:s?, s:s?}", "subnet", net_subnet_of(net), "gateway",
                                  net_gateway_of(net)),
               *ipam, *plugins,
               *cfg = json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0);

        if (!cn || !ipam_dir || !range)
                return NULL;
        if (jstr(cfg, "IPRange")) {
                cidr_t r;

                if (net_cidr_parse(jstr(cfg, "IPRange"), &r) == 0) {
                        _cleanup_free_ char *lo = net_ip_str(r.addr + 1),
                                            *hi = net_ip_str((r.addr | ~net_mask_of(r.prefix)) - 1);

                        json_object_set_new(range, "rangeStart", json_string(lo ? lo : ""));
                        json_object_set_new(range, "rangeEnd", json_string(hi ? hi : ""));
                }
        }
        ipam = json_pack("{s:s, s:[[o]], s:s}", "type", "host-local", "ranges", range, "dataDir", ipam_dir);
        /* An internal network's containers get no default route: nothing
         * outside the subnet is reachable, the firewall aside. */
        plugins = json_pack("[{s:s, s:s, s:b, s:b, s:b, s:b, s:o}]", "type", "bridge", "bridge",
                            net_bridge_of(net), "isGateway", 1, "isDefaultGateway", !internal, "ipMasq", 0,
                            "hairpinMode", 1, "ipam", ipam);
        if (ports && !internal)
                json_array_append_new(plugins, json_pack("{s:s, s:{s:b}, s:b}", "type", "portmap",
                                                         "capabilities", "portMappings", 1, "snat", 1));
        if (is_user_network(net))
                json_array_append_new(plugins,
                                      json_pack("{s:s, s:s, s:{s:b}}", "type", "dnsname", "domainName",
                                                DNS_DOMAIN, "capabilities", "aliases", 1));
        return json_pack("{s:s, s:s, s:o}", "cniVersion", ENGINE_CNI_VERSION, "name", cn, "plugins", plugins);
}

static char *container_name(json_t *rec)
{
        const char *n = jstr(rec, "Name");

        return strdup(n ? (n[0] == '/' ? n + 1 : n) : "");
}

/* One network's entry in the attachment file. */
static json_t *attachment_for(engine_t *e, const char *id, json_t *rec, json_t *net, json_t *ep,
                              const char *ifname, json_t *maps, cell_error_t *err)
{
        _cleanup_free_ char *name = container_name(rec), *cn = net_cni_name(net), *args = NULL;
        const char *ip = jstr(json_object_get(ep, "IPAMConfig"), "IPv4Address");
        json_t *rc = json_object(), *aliases = json_array(), *v, *conflist;
        char shortid[13];
        size_t i;

        if (!name || !cn || !rc || !aliases)
                goto oom;
        str_copy(shortid, sizeof(shortid), id);
        json_array_foreach(json_object_get(ep, "Aliases"), i, v) json_array_append(aliases, v);
        json_array_append_new(aliases, json_string(shortid));
        json_object_set_new(rc, "aliases", json_pack("{s:o}", cn, aliases));
        aliases = NULL;
        if (json_array_size(maps))
                json_object_set(rc, "portMappings", maps);
        args = str_printf("IgnoreUnknown=1;K8S_POD_NAME=%s%s%s", name, ip && *ip ? ";IP=" : "",
                          ip && *ip ? ip : "");
        conflist = conflist_for(e, net, json_array_size(maps) > 0);
        if (!args || !conflist)
                goto oom;
        return json_pack("{s:o, s:s, s:s, s:o, s:s}", "conflist", conflist, "ifname", ifname, "args", args,
                         "runtimeConfig", rc, "network_id", jstr(net, "Id"));
oom:
        json_decref(rc);
        json_decref(aliases);
        cell_error_set(err, ENOMEM, "network");
        return NULL;
}

static int attached_write(engine_t *e, const char *id, json_t *a, cell_error_t *err)
{
        _cleanup_free_ char *p = net_attached_file(e, id),
                            *dir = str_printf("%s/networks/attached", e->run_root),
                            *data = json_dumps(a, JSON_COMPACT);

        if (!p || !dir || !data)
                return cell_error_set(err, ENOMEM, "network");
        if (fs_mkdir_p(dir, 0700, err) < 0)
                return -1;
        return fs_write_replace(p, data, strlen(data), 0600, err);
}

static json_t *attached_read(engine_t *e, const char *id)
{
        _cleanup_free_ char *p = net_attached_file(e, id);

        return p ? net_read_json(p) : NULL;
}

static engine_cni_call_t call_of(const char *id, const char *netns, json_t *ep)
{
        return (engine_cni_call_t){.container_id = id,
                                   .netns = netns,
                                   .ifname = jstr(ep, "ifname"),
                                   .args = jstr(ep, "args"),
                                   .runtime_config = json_object_get(ep, "runtimeConfig")};
}

/* The container's networks in order: the NetworkMode's first (eth0),
 * then the others by name. */
static json_t *network_order(json_t *rec)
{
        json_t *nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks"),
               *order = json_array(), *rest = json_array(), *v;
        const char *mode = jstr(json_object_get(rec, "HostConfig"), "NetworkMode"), *name;
        size_t i;

        if (!mode || !*mode || str_eq(mode, "default"))
                mode = "bridge";
        json_object_foreach(nets, name, v)
        {
                if (str_eq(name, mode) || str_eq(jstr(v, "NetworkID"), mode))
                        json_array_insert_new(order, 0, json_string(name));
                else
                        json_array_append_new(rest, json_string(name));
        }
        {
                size_t n = json_array_size(rest);
                _cleanup_free_ char **names = calloc(n + 1, sizeof(char *));

                for (i = 0; names && i < n; i++)
                        names[i] = (char *)json_string_value(json_array_get(rest, i));
                if (names)
                        strv_sort(names, n);
                for (i = 0; names && i < n; i++)
                        json_array_append_new(order, json_string(names[i]));
        }
        json_decref(rest);
        return order;
}

struct engine_net_setup {
        pid_t child;
        int fd;
        json_t *attached;
};

static void setup_free(engine_net_setup_t *s)
{
        if (!s)
                return;
        if (s->fd >= 0)
                close(s->fd);
        json_decref(s->attached);
        free(s);
}

/* The child: ADD each network in order; on a failure, DEL those done. Its
 * answer on FD: {"results": {...}} or {"error": "..."}. */
_Noreturn static void setup_child(const char *id, json_t *attached, int fd)
{
        json_t *nets = json_object_get(attached, "networks"), *ep, *results = json_object(), *out;
        const char *netns = jstr(attached, "netns"), *name;
        cell_error_t err = {0};
        sigset_t none;
        char *text;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        json_object_foreach(nets, name, ep)
        {
                engine_cni_call_t call = call_of(id, netns, ep);
                json_t *res = NULL;

                if (engine_cni_add(json_object_get(ep, "conflist"), &call, &res, &err) < 0) {
                        const char *n2;
                        json_t *ep2;

                        cell_error_prefix(&err, "network %s", name);
                        json_object_foreach(results, n2, ep2)
                        {
                                engine_cni_call_t c2 = call_of(id, netns, json_object_get(nets, n2));
                                cell_error_t ignored = {0};

                                engine_cni_del(json_object_get(json_object_get(nets, n2), "conflist"), &c2,
                                               ep2, &ignored);
                        }
                        break;
                }
                json_object_set_new(results, name, res ? res : json_object());
        }
        out = err.msg[0] ? json_pack("{s:s}", "error", err.msg) : json_pack("{s:o}", "results", results);
        text = out ? json_dumps(out, JSON_COMPACT) : NULL;
        if (text)
                (void)fs_write_all(fd, text, strlen(text));
        _exit(text && !err.msg[0] ? 0 : 1);
}

int engine_net_begin(engine_t *e, const char *id, json_t *given, engine_net_setup_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *path = engine_netns_path(e, id), *dir = str_printf("%s/netns", e->run_root);
        json_t *rec = NULL, *order = NULL, *attached = NULL, *nets, *maps = NULL, *v;
        const char *mode;
        engine_net_setup_t *s = NULL;
        int p[2] = {-1, -1};
        size_t i;
        int r = -1;

        *ret = NULL;
        if (!path || !dir)
                return cell_error_set(err, ENOMEM, "network");
        if (given)
                rec = json_incref(given);
        else if (engine_record_read(e, id, &rec, err) < 0)
                return -1;
        mode = jstr(json_object_get(rec, "HostConfig"), "NetworkMode");
        if (str_eq(mode, "host")) {
                json_decref(rec);
                return 0;
        }
        /* What a run before left (its monitor killed) goes first. */
        engine_net_end(e, id, true);
        if (fs_mkdir_p(dir, 0755, err) < 0)
                goto out;
        if (mode && str_has_prefix(mode, "container:")) {
                char cid[ENGINE_ID_LEN + 1];
                json_t *other = NULL;
                _cleanup_free_ char *src = NULL;
                json_int_t pid;

                if (engine_container_find(e, mode + 10, cid, err) < 0 ||
                    engine_record_read(e, cid, &other, err) < 0)
                        goto out;
                pid = json_integer_value(json_object_get(json_object_get(other, "State"), "Pid"));
                json_decref(other);
                if (pid <= 0) {
                        r = cell_error_plain(err, EINVAL,
                                             "cannot join network of a non running container: %s", mode + 10);
                        goto out;
                }
                src = str_printf("/proc/%lld/ns/net", (long long)pid);
                r = src ? engine_netns_bind(path, src, err) : cell_error_set(err, ENOMEM, "network");
                goto out;
        }
        if (engine_netns_create(path, err) < 0)
                goto out;
        if (str_eq(mode, "none")) {
                r = 0;
                goto out;
        }
        nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks");
        order = network_order(rec);
        attached = json_pack("{s:s, s:s, s:{}}", "netns", path, "name",
                             jstr(rec, "Name") ? jstr(rec, "Name") + 1 : "", "networks");
        json_array_foreach(order, i, v)
        {
                const char *name = json_string_value(v);
                json_t *net = NULL, *a;
                char ifname[16];

                if (engine_network_get(e, name, &net, err) < 0) {
                        cell_error_prefix(err, "network %s", name);
                        goto undo;
                }
                if (!str_eq(jstr(net, "Driver"), "bridge")) {
                        json_decref(net);
                        continue;
                }
                if (net_activate(e, net, err) < 0) {
                        json_decref(net);
                        goto undo;
                }
                if (i == 0 && port_mappings(e, id, rec, &maps, err) < 0) {
                        json_decref(net);
                        goto undo;
                }
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                a = attachment_for(e, id, rec, net, json_object_get(nets, name), ifname, i == 0 ? maps : NULL,
                                   err);
                json_decref(net);
                if (!a)
                        goto undo;
                json_object_set_new(json_object_get(attached, "networks"), name, a);
        }
        if (json_object_size(json_object_get(attached, "networks")) == 0) {
                r = 0;
                goto out;
        }
        /* Written before anything is set up: a monitor killed from here
         * on leaves what its successor needs to undo it. */
        if (attached_write(e, id, attached, err) < 0)
                goto undo;
        if (pipe2(p, O_CLOEXEC) < 0) {
                cell_error_errno(err, "pipe");
                goto undo;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                cell_error_set(err, ENOMEM, "network");
                goto undo;
        }
        s->child = fork();
        if (s->child < 0) {
                cell_error_errno(err, "fork");
                goto undo;
        }
        if (s->child == 0) {
                close(p[0]);
                setup_child(id, attached, p[1]);
        }
        close(p[1]);
        p[1] = -1;
        s->fd = p[0];
        p[0] = -1;
        s->attached = steal_pointer(&attached);
        *ret = steal_pointer(&s);
        r = 0;
        goto out;
undo:
        free(s);
        s = NULL;
        engine_net_end(e, id, true);
        r = -1;
out:
        if (r < 0 && !attached)
                engine_netns_remove(path);
        if (p[0] >= 0)
                close(p[0]);
        if (p[1] >= 0)
                close(p[1]);
        json_decref(attached);
        json_decref(order);
        json_decref(maps);
        json_decref(rec);
        return r;
}

/* The CNI result's first address of the container: "10.87.0.2/16",
 * gateway, MAC. */
static void result_address(json_t *res, const char **ret_addr, const char **ret_gw, const char **ret_mac)
{
        json_t *ip = json_array_get(json_object_get(res, "ips"), 0);
        json_t *ifc = json_array_get(json_object_get(res, "interfaces"),
                                     (size_t)json_integer_value(json_object_get(ip, "interface")));

        *ret_addr = jstr(ip, "address");
        *ret_gw = jstr(ip, "gateway");
        *ret_mac = jstr(ifc, "mac");
}

static void endpoint_fill(json_t *ep, json_t *res, const char *endpoint_id)
{
        const char *addr, *gw, *mac;
        char ip[64] = "";
        char *slash;

        result_address(res, &addr, &gw, &mac);
        str_copy(ip, sizeof(ip), addr ? addr : "");
        slash = strchr(ip, '/');
        if (slash)
                *slash = '\0';
        json_object_set_new(ep, "IPAddress", json_string(ip));
        json_object_set_new(ep, "IPPrefixLen", json_integer(slash ? atoi(slash + 1) : 0));
        json_object_set_new(ep, "Gateway", json_string(gw ? gw : ""));
        json_object_set_new(ep, "MacAddress", json_string(mac ? mac : ""));
        json_object_set_new(ep, "EndpointID", json_string(endpoint_id ? endpoint_id : ""));
}

/* NetworkSettings' own IPAddress, IPPrefixLen, Gateway, MacAddress and
 * EndpointID: docker's copy of the default network's endpoint (EP, or
 * NULL: none). */
static void settings_top(json_t *settings, json_t *ep)
{
        static const char *const keys[] = {"IPAddress", "IPPrefixLen", "Gateway", "MacAddress", "EndpointID"};

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                json_t *v = json_object_get(ep, keys[i]);

                json_object_set_new(settings, keys[i],
                                    v                                ? json_incref(v)
                                    : str_eq(keys[i], "IPPrefixLen") ? json_integer(0)
                                                                     : json_string(""));
        }
}

/* Docker's NetworkSettings.Ports: every exposed port, with its host
 * bindings or null. */
static json_t *ports_of(json_t *rec, json_t *maps)
{
        json_t *ports = json_object(), *m, *v;
        const char *key;
        size_t i;

        json_object_foreach(json_object_get(json_object_get(rec, "Config"), "ExposedPorts"), key, v)
                json_object_set_new(ports, key, json_null());
        json_array_foreach(maps, i, m)
        {
                _cleanup_free_ char *k = str_printf(
                        "%lld/%s", (long long)json_integer_value(json_object_get(m, "containerPort")),
                        jstr(m, "protocol"));
                _cleanup_free_ char *hp =
                        str_printf("%lld", (long long)json_integer_value(json_object_get(m, "hostPort")));
                json_t *list;

                if (!k || !hp)
                        continue;
                list = json_object_get(ports, k);
                if (!json_is_array(list)) {
                        list = json_array();
                        json_object_set_new(ports, k, list);
                }
                json_array_append_new(
                        list,
                        json_pack("{s:s, s:s}", "HostIp",
                                  jstr(m, "hostIP") && *jstr(m, "hostIP") ? jstr(m, "hostIP") : "0.0.0.0",
                                  "HostPort", hp));
        }
        return ports;
}

static int write_etc(engine_t *e, const char *id, json_t *rec, const char *ip, const char *dns_server,
                     cell_error_t *err)
{
        _cleanup_free_ char *dir = engine_container_path(e, id, NULL), *hosts_p = NULL, *resolv_p = NULL,
                            *hosts = NULL, *resolv = NULL;
        json_t *hc = json_object_get(rec, "HostConfig");
        const char *hn = jstr(json_object_get(rec, "Config"), "Hostname");
        char shortid[13];

        str_copy(shortid, sizeof(shortid), id);
        hosts_p = str_printf("%s/hosts", dir ? dir : "");
        resolv_p = str_printf("%s/resolv.conf", dir ? dir : "");
        hosts = engine_hosts_text(hc, hn && *hn ? hn : shortid, ip, false);
        resolv = engine_resolv_text(hc, dns_server, false);
        if (!dir || !hosts_p || !resolv_p || !hosts || !resolv)
                return cell_error_set(err, ENOMEM, "network");
        if (rewrite_in_place(hosts_p, hosts, err) < 0 || rewrite_in_place(resolv_p, resolv, err) < 0)
                return -1;
        return 0;
}

/* Write the endpoints of ATTACHED (with results) into the record; the
 * record as written in *RET_REC when it is not NULL. */
static int record_endpoints(engine_t *e, const char *id, json_t *attached, json_t **ret_rec,
                            cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        json_t *rec = NULL, *settings, *nets, *ep, *a;
        const char *name;
        int r;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        settings = json_object_get(rec, "NetworkSettings");
        if (!json_is_object(settings)) {
                settings = json_object();
                json_object_set_new(rec, "NetworkSettings", settings);
        }
        nets = json_object_get(settings, "Networks");
        json_object_set_new(settings, "SandboxKey",
                            json_string(jstr(attached, "netns") ? jstr(attached, "netns") : ""));
        json_object_set_new(settings, "SandboxID", json_string(id));
        json_object_foreach(json_object_get(attached, "networks"), name, a)
        {
                ep = json_object_get(nets, name);
                if (!ep)
                        continue;
                /* No result: an endpoint without addresses. */
                endpoint_fill(ep, json_object_get(a, "result"), jstr(a, "endpoint"));
                if (str_eq(jstr(a, "ifname"), "eth0"))
                        json_object_set_new(settings, "Ports",
                                            ports_of(rec, json_object_get(json_object_get(a, "runtimeConfig"),
                                                                          "portMappings")));
        }
        settings_top(settings, json_object_get(nets, "bridge"));
        r = engine_record_write(e, id, rec, err);
        if (r == 0 && ret_rec)
                *ret_rec = json_incref(rec);
        json_decref(rec);
        return r;
}

int engine_net_finish(engine_t *e, const char *id, engine_net_setup_t *s, cell_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, cap = 0;
        json_t *answer = NULL, *results, *rec = NULL, *a, *primary = NULL;
        const char *primary_name = NULL;
        const char *name;
        int status = 0, r = -1;

        if (!s)
                return 0;
        for (;;) {
                char buf[4096];
                ssize_t n = read(s->fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (len + (size_t)n + 1 > cap) {
                        char *t = realloc(text, cap = (len + (size_t)n + 1) * 2);

                        if (!t)
                                break;
                        text = t;
                }
                memcpy(text + len, buf, (size_t)n);
                len += (size_t)n;
                text[len] = '\0';
        }
        while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
                ;
        answer = text ? json_loads(text, 0, NULL) : NULL;
        if (!answer || jstr(answer, "error")) {
                r = cell_error_plain(err, EIO, "%s",
                                     jstr(answer, "error") ? jstr(answer, "error")
                                                           : "setting up the container's networks failed");
                goto fail;
        }
        results = json_object_get(answer, "results");
        json_object_foreach(json_object_get(s->attached, "networks"), name, a)
        {
                _cleanup_free_ char *ep_id = net_new_id();

                json_object_set(a, "result", json_object_get(results, name));
                json_object_set_new(a, "endpoint", json_string(ep_id ? ep_id : ""));
                if (str_eq(jstr(a, "ifname"), "eth0")) {
                        primary = a;
                        primary_name = name;
                }
        }
        if (attached_write(e, id, s->attached, err) < 0 ||
            record_endpoints(e, id, s->attached, &rec, err) < 0)
                goto fail;
        {
                /* The primary network's endpoint as the record has it now. */
                json_t *ep = json_object_get(
                               json_object_get(json_object_get(rec, "NetworkSettings"), "Networks"),
                               primary_name),
                       *plugins = json_object_get(json_object_get(primary, "conflist"), "plugins"), *p;
                bool dns = false;
                size_t i;

                json_array_foreach(plugins, i, p) if (str_eq(jstr(p, "type"), "dnsname")) dns = true;
                if (write_etc(e, id, rec, jstr(ep, "IPAddress"), dns ? jstr(ep, "Gateway") : NULL, err) < 0)
                        goto fail;
        }
        r = 0;
        goto out;
fail:
        engine_net_end(e, id, true);
out:
        json_decref(rec);
        json_decref(answer);
        setup_free(s);
        return r;
}

void engine_net_record_clear(json_t *rec)
{
        json_t *settings = json_object_get(rec, "NetworkSettings"), *ep;
        const char *name;

        if (!json_is_object(settings))
                return;
        json_object_foreach(json_object_get(settings, "Networks"), name, ep) endpoint_fill(ep, NULL, NULL);
        settings_top(settings, NULL);
        json_object_set_new(settings, "Ports", json_object());
        json_object_set_new(settings, "SandboxKey", json_string(""));
}

void engine_net_cancel(engine_t *e, const char *id, engine_net_setup_t *s)
{
        cell_error_t ignored = {0};

        if (!s)
                return;
        if (engine_net_finish(e, id, s, &ignored) == 0)
                engine_net_end(e, id, true);
}

static char *ending_file(engine_t *e, const char *id)
{
        return str_printf("%s/networks/ending/%s.json", e->run_root, id);
}

/* DEL each network of A (the namespace is gone with its processes, its
 * interfaces with it: DEL without one releases the address and the rest,
 * and waits for no interface's removal), then FILE goes, then the
 * record's addresses. */
static void teardown(engine_t *e, const char *id, json_t *a, const char *file, bool record)
{
        json_t *ep;
        const char *name;
        bool ports = false;
        cell_error_t ignored = {0};

        json_object_foreach(json_object_get(a, "networks"), name, ep)
        {
                engine_cni_call_t call = call_of(id, "", ep);
                cell_error_t e1 = {0};

                if (json_array_size(json_object_get(json_object_get(ep, "runtimeConfig"), "portMappings")))
                        ports = true;
                engine_cni_del(json_object_get(ep, "conflist"), &call, json_object_get(ep, "result"), &e1);
        }
        unlink(file);
        if (ports)
                engine_firewall_portmap_gc();
        if (!record)
                return;
        json_object_foreach(json_object_get(a, "networks"), name, ep) json_object_del(ep, "result");
        record_endpoints(e, id, a, NULL, &ignored);
}

void engine_net_end(engine_t *e, const char *id, bool wait_ending)
{
        _cleanup_free_ char *path = engine_netns_path(e, id), *af = net_attached_file(e, id),
                            *ef = ending_file(e, id);
        json_t *a;

        if (!path || !af || !ef)
                return;
        if (fs_exists(path))
                engine_netns_remove(path);
        if (wait_ending && fs_exists(ef)) {
                /* A teardown under way (engine_net_release's): give it
                 * 5 s, then do it here (DEL twice is no error). */
                for (int i = 0; i < 500 && fs_exists(ef); i++) {
                        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

                        nanosleep(&ts, NULL);
                }
                if ((a = net_read_json(ef))) {
                        teardown(e, id, a, ef, true);
                        json_decref(a);
                }
        }
        if ((a = net_read_json(af))) {
                teardown(e, id, a, af, true);
                json_decref(a);
        } else {
                unlink(af);
        }
}

void engine_net_release(engine_t *e, const char *id)
{
        _cleanup_free_ char *path = engine_netns_path(e, id), *af = net_attached_file(e, id),
                            *ef = ending_file(e, id), *dir = str_printf("%s/networks/ending", e->run_root);
        cell_error_t ignored = {0};
        json_t *a;
        pid_t pid;

        if (!path || !af || !ef || !dir)
                return;
        if (fs_exists(path))
                engine_netns_remove(path);
        if (!fs_exists(af))
                return;
        if (fs_mkdir_p(dir, 0700, &ignored) < 0 || rename(af, ef) < 0) {
                engine_net_end(e, id, true);
                return;
        }
        /* A grandchild, so nobody waits for it or has to reap it: the
         * caller returns the container's exit at once while the plugins
         * release its address (two Go programs: ~10 ms here). */
        pid = fork();
        if (pid < 0) {
                engine_net_end(e, id, true);
                return;
        }
        if (pid == 0) {
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                setsid();
                if (fork() != 0)
                        _exit(0);
                if ((a = net_read_json(ef))) {
                        teardown(e, id, a, ef, false);
                        json_decref(a);
                } else {
                        unlink(ef);
                }
                _exit(0);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* ---- connect, disconnect, prune ---- */

/* Running by its record, and its monitor or its init still alive (the
 * record of a container whose monitor was killed says running). */
bool net_container_running(engine_t *e, const char *id)
{
        json_t *rec = NULL, *st;
        bool running = false;

        if (engine_record_read(e, id, &rec, NULL) < 0)
                return false;
        st = json_object_get(rec, "State");
        if (json_is_true(json_object_get(st, "Running"))) {
                json_int_t mp = json_integer_value(json_object_get(rec, "MonitorPid")),
                           ms = json_integer_value(json_object_get(rec, "MonitorStart")),
                           ip = json_integer_value(json_object_get(st, "Pid")),
                           is = json_integer_value(json_object_get(rec, "PidStart"));

                running = (mp > 0 && proc_alive((pid_t)mp, (unsigned long long)ms)) ||
                          (ip > 0 && proc_alive((pid_t)ip, (unsigned long long)is));
        }
        json_decref(rec);
        return running;
}

int engine_network_connect(engine_t *e, const char *network, const char *container, json_t *endpoint,
                           cell_error_t *err)
{
        char id[ENGINE_ID_LEN + 1];
        json_t *net = NULL, *rec = NULL, *nets, *attached = NULL, *a = NULL, *res = NULL;
        const char *mode;
        int r = -1;

        if (engine_network_get(e, network, &net, err) < 0 || engine_container_find(e, container, id, err) < 0)
                goto out;
        if (check_endpoint(net, endpoint, err) < 0)
                goto out;
        {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);

                if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                        goto out;
                mode = jstr(json_object_get(rec, "HostConfig"), "NetworkMode");
                if (str_eq(mode, "host") || str_eq(mode, "none") ||
                    (mode && str_has_prefix(mode, "container:")) || !str_eq(jstr(net, "Driver"), "bridge")) {
                        r = cell_error_plain(
                                err, EINVAL,
                                "container cannot be disconnected from host network or connected to "
                                "host network");
                        if (!str_eq(jstr(net, "Driver"), "bridge") || str_eq(mode, "host"))
                                goto out;
                        r = cell_error_plain(err, EINVAL,
                                             "container sharing network namespace with another "
                                             "container or host cannot be connected to any other network");
                        goto out;
                }
                nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks");
                if (json_object_get(nets, jstr(net, "Name"))) {
                        _cleanup_free_ char *n = container_name(rec);

                        r = cell_error_plain(err, EEXIST,
                                             "endpoint with name %s already exists in network %s", n ? n : id,
                                             jstr(net, "Name"));
                        goto out;
                }
                json_object_set_new(nets, jstr(net, "Name"), endpoint_new(net, endpoint));
                if (engine_record_write(e, id, rec, err) < 0)
                        goto out;
        }
        attached = attached_read(e, id);
        if (!attached || !net_container_running(e, id)) {
                r = 0;
                goto out;
        }
        {
                char ifname[16];
                engine_cni_call_t call;
                _cleanup_free_ char *ep_id = net_new_id();

                snprintf(ifname, sizeof(ifname), "eth%zu",
                         json_object_size(json_object_get(attached, "networks")));
                if (net_activate(e, net, err) < 0)
                        goto undo;
                a = attachment_for(e, id, rec, net, endpoint, ifname, NULL, err);
                if (!a)
                        goto undo;
                json_object_set(json_object_get(attached, "networks"), jstr(net, "Name"), a);
                if (attached_write(e, id, attached, err) < 0)
                        goto undo;
                call = call_of(id, jstr(attached, "netns"), a);
                if (engine_cni_add(json_object_get(a, "conflist"), &call, &res, err) < 0) {
                        json_object_del(json_object_get(attached, "networks"), jstr(net, "Name"));
                        attached_write(e, id, attached, NULL);
                        goto undo;
                }
                json_object_set_new(a, "result", res ? res : json_object());
                json_object_set_new(a, "endpoint", json_string(ep_id ? ep_id : ""));
                if (attached_write(e, id, attached, err) < 0 ||
                    record_endpoints(e, id, attached, NULL, err) < 0)
                        goto out;
        }
        r = 0;
        goto out;
undo : {
        _cleanup_close_ int lock = engine_record_lock(e, id, NULL);
        json_t *rec2 = NULL;

        if (lock >= 0 && engine_record_read(e, id, &rec2, NULL) == 0) {
                json_object_del(json_object_get(json_object_get(rec2, "NetworkSettings"), "Networks"),
                                jstr(net, "Name"));
                engine_record_write(e, id, rec2, NULL);
        }
        json_decref(rec2);
        r = -1;
}
out:
        json_decref(a);
        json_decref(attached);
        json_decref(rec);
        json_decref(net);
        return r;
}

int engine_network_disconnect(engine_t *e, const char *network, const char *container, bool force,
                              cell_error_t *err)
{
        char id[ENGINE_ID_LEN + 1];
        json_t *net = NULL, *rec = NULL, *attached = NULL, *a;
        const char *name;
        int r = -1;

        (void)force;
        if (engine_network_get(e, network, &net, err) < 0 || engine_container_find(e, container, id, err) < 0)
                goto out;
        name = jstr(net, "Name");
        attached = attached_read(e, id);
        a = json_object_get(json_object_get(attached, "networks"), name);
        if (a) {
                engine_cni_call_t call = call_of(id, jstr(attached, "netns"), a);

                if (engine_cni_del(json_object_get(a, "conflist"), &call, json_object_get(a, "result"), err) <
                    0)
                        goto out;
                json_object_del(json_object_get(attached, "networks"), name);
                if (attached_write(e, id, attached, err) < 0)
                        goto out;
        }
        {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);
                json_t *nets;

                if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                        goto out;
                nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks");
                if (!json_object_get(nets, name)) {
                        _cleanup_free_ char *n = container_name(rec);

                        r = cell_error_plain(err, ENOENT, "container %s is not connected to network %s",
                                             n ? n : id, name);
                        goto out;
                }
                json_object_del(nets, name);
                if (str_eq(name, "bridge"))
                        settings_top(json_object_get(rec, "NetworkSettings"), NULL);
                if (engine_record_write(e, id, rec, err) < 0)
                        goto out;
        }
        r = 0;
out:
        json_decref(attached);
        json_decref(rec);
        json_decref(net);
        return r;
}
