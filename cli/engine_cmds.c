/* cell: the engine's container commands with Docker's flags, output and
 * exit codes: run, create, start, stop, kill, restart, rm, ps, logs, wait,
 * inspect, exec, pause, unpause, rename. The command line is parsed here
 * into Docker's create request (Config + HostConfig), which lib/engine
 * turns into a container. Exit codes as docker's: the container's own,
 * 125 for cell's errors, 126 when the command cannot run, 127 when it is
 * not found. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "dockeropt.h"
#include "envfile.h"
#include "lifecycle.h"
#include "passwd.h"
#include "runtime.h"
#include "strutil.h"
#include "template.h"
#include "units.h"

#define EXIT_ENGINE 125

static int engine_fail(const char *cmd, const cell_error_t *err, int code)
{
        fprintf(stderr, "cell %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
        return code;
}

static int engine_usage(const char *cmd, const char *msg)
{
        fprintf(stderr, "cell %s: %s\nSee 'cell %s --help'.\n", cmd, msg, cmd);
        return EXIT_ENGINE;
}

int cli_open_engine(const cli_global_t *g, engine_t **ret, cell_error_t *err)
{
        return engine_open(g->storage_root, g->run_root, ret, err);
}

/* ---- run / create: the command line -> Config + HostConfig ---- */

enum {
        O_DETACH = 1,
        O_INTERACTIVE,
        O_TTY,
        O_RM,
        O_NAME,
        O_ENV,
        O_ENV_FILE,
        O_WORKDIR,
        O_USER,
        O_HOSTNAME,
        O_ENTRYPOINT,
        O_VOLUME,
        O_MOUNT,
        O_TMPFS,
        O_READ_ONLY,
        O_PRIVILEGED,
        O_CAP_ADD,
        O_CAP_DROP,
        O_SECURITY_OPT,
        O_DEVICE,
        O_MEMORY,
        O_MEMORY_SWAP,
        O_CPUS,
        O_CPU_SHARES,
        O_CPUSET_CPUS,
        O_PIDS_LIMIT,
        O_OOM_SCORE_ADJ,
        O_SHM_SIZE,
        O_GROUP_ADD,
        O_ULIMIT,
        O_PID,
        O_IPC,
        O_UTS,
        O_NETWORK,
        O_INIT,
        O_RESTART,
        O_STOP_SIGNAL,
        O_STOP_TIMEOUT,
        O_HEALTH_CMD,
        O_HEALTH_INTERVAL,
        O_HEALTH_TIMEOUT,
        O_HEALTH_RETRIES,
        O_HEALTH_START,
        O_NO_HEALTHCHECK,
        O_LABEL,
        O_LOG_DRIVER,
        O_LOG_OPT,
        O_SIG_PROXY,
        O_SYSCTL,
        O_PUBLISH,
        O_PUBLISH_ALL,
        O_EXPOSE,
        O_IP,
        O_DNS,
        O_DNS_SEARCH,
        O_DNS_OPTION,
        O_ADD_HOST,
        O_NETWORK_ALIAS,
        O_QUIET,
        O_HELP,
};

static const cli_option_t run_opts[] = {
        {"detach", 'd', false, O_DETACH},
        {"interactive", 'i', false, O_INTERACTIVE},
        {"tty", 't', false, O_TTY},
        {"rm", 0, false, O_RM},
        {"name", 0, true, O_NAME},
        {"env", 'e', true, O_ENV},
        {"env-file", 0, true, O_ENV_FILE},
        {"workdir", 'w', true, O_WORKDIR},
        {"user", 'u', true, O_USER},
        {"hostname", 'h', true, O_HOSTNAME},
        {"entrypoint", 0, true, O_ENTRYPOINT},
        {"volume", 'v', true, O_VOLUME},
        {"mount", 0, true, O_MOUNT},
        {"tmpfs", 0, true, O_TMPFS},
        {"read-only", 0, false, O_READ_ONLY},
        {"privileged", 0, false, O_PRIVILEGED},
        {"cap-add", 0, true, O_CAP_ADD},
        {"cap-drop", 0, true, O_CAP_DROP},
        {"security-opt", 0, true, O_SECURITY_OPT},
        {"device", 0, true, O_DEVICE},
        {"memory", 'm', true, O_MEMORY},
        {"memory-swap", 0, true, O_MEMORY_SWAP},
        {"cpus", 0, true, O_CPUS},
        {"cpu-shares", 'c', true, O_CPU_SHARES},
        {"cpuset-cpus", 0, true, O_CPUSET_CPUS},
        {"pids-limit", 0, true, O_PIDS_LIMIT},
        {"oom-score-adj", 0, true, O_OOM_SCORE_ADJ},
        {"shm-size", 0, true, O_SHM_SIZE},
        {"group-add", 0, true, O_GROUP_ADD},
        {"ulimit", 0, true, O_ULIMIT},
        {"pid", 0, true, O_PID},
        {"ipc", 0, true, O_IPC},
        {"uts", 0, true, O_UTS},
        {"network", 0, true, O_NETWORK},
        {"net", 0, true, O_NETWORK},
        {"init", 0, false, O_INIT},
        {"restart", 0, true, O_RESTART},
        {"stop-signal", 0, true, O_STOP_SIGNAL},
        {"stop-timeout", 0, true, O_STOP_TIMEOUT},
        {"health-cmd", 0, true, O_HEALTH_CMD},
        {"health-interval", 0, true, O_HEALTH_INTERVAL},
        {"health-timeout", 0, true, O_HEALTH_TIMEOUT},
        {"health-retries", 0, true, O_HEALTH_RETRIES},
        {"health-start-period", 0, true, O_HEALTH_START},
        {"no-healthcheck", 0, false, O_NO_HEALTHCHECK},
        {"label", 'l', true, O_LABEL},
        {"log-driver", 0, true, O_LOG_DRIVER},
        {"log-opt", 0, true, O_LOG_OPT},
        {"sig-proxy", 0, false, O_SIG_PROXY},
        {"sysctl", 0, true, O_SYSCTL},
        {"publish", 'p', true, O_PUBLISH},
        {"publish-all", 'P', false, O_PUBLISH_ALL},
        {"expose", 0, true, O_EXPOSE},
        {"ip", 0, true, O_IP},
        {"dns", 0, true, O_DNS},
        {"dns-search", 0, true, O_DNS_SEARCH},
        {"dns-option", 0, true, O_DNS_OPTION},
        {"dns-opt", 0, true, O_DNS_OPTION},
        {"add-host", 0, true, O_ADD_HOST},
        {"network-alias", 0, true, O_NETWORK_ALIAS},
        {"quiet", 'q', false, O_QUIET},
        {"help", 0, false, O_HELP},
        {NULL, 0, false, 0},
};

typedef struct run_cli {
        json_t *config, *host_config;
        json_t *endpoint; /* EndpointSettings: --network-alias, --ip */
        const char *name;
        bool detach, interactive, tty, rm;
        char **env;
} run_cli_t;

static json_t *obj_get_or_new(json_t *o, const char *key, bool array)
{
        json_t *v = json_object_get(o, key);

        if (!v) {
                v = array ? json_array() : json_object();
                json_object_set_new(o, key, v);
        }
        return v;
}

static int add_str(json_t *o, const char *key, const char *s)
{
        return json_array_append_new(obj_get_or_new(o, key, true), json_string(s));
}

/* --mount type=bind,source=/a,target=/b,readonly */
static int parse_mount(const char *spec, json_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *copy = strdup(spec);
        json_t *m = json_object(), *tmpfs = NULL;
        char *save = NULL;

        if (!copy || !m)
                return cell_error_set(err, ENOMEM, "--mount");
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                const char *val = eq ? eq + 1 : NULL;

                if (eq)
                        *eq = '\0';
                if (str_eq(kv, "type") && val)
                        json_object_set_new(m, "Type", json_string(val));
                else if ((str_eq(kv, "source") || str_eq(kv, "src")) && val)
                        json_object_set_new(m, "Source", json_string(val));
                else if ((str_eq(kv, "target") || str_eq(kv, "destination") || str_eq(kv, "dst")) && val)
                        json_object_set_new(m, "Target", json_string(val));
                else if (str_eq(kv, "readonly") || str_eq(kv, "ro"))
                        json_object_set_new(m, "ReadOnly",
                                            json_boolean(!val || str_eq(val, "true") || str_eq(val, "1")));
                else if (str_eq(kv, "tmpfs-size") && val) {
                        int64_t size;

                        if (engine_parse_bytes(val, &size, err) < 0) {
                                json_decref(m);
                                return cell_error_prefix(err, "--mount");
                        }
                        if (!tmpfs)
                                tmpfs = obj_get_or_new(m, "TmpfsOptions", false);
                        json_object_set_new(tmpfs, "SizeBytes", json_integer(size));
                } else if (str_eq(kv, "tmpfs-mode") && val) {
                        if (!tmpfs)
                                tmpfs = obj_get_or_new(m, "TmpfsOptions", false);
                        json_object_set_new(tmpfs, "Mode", json_integer(strtol(val, NULL, 8)));
                } else if (str_eq(kv, "bind-propagation") || str_eq(kv, "volume-nocopy") ||
                           str_eq(kv, "consistency")) {
                        continue;
                } else {
                        json_decref(m);
                        return cell_error_plain(err, EINVAL,
                                                "invalid argument \"%s\" for \"--mount\" flag: "
                                                "unexpected key '%s' in '%s'",
                                                spec, kv, spec);
                }
        }
        if (!json_object_get(m, "Type"))
                json_object_set_new(m, "Type", json_string("volume"));
        if (!json_object_get(m, "Target")) {
                json_decref(m);
                return cell_error_plain(err, EINVAL,
                                        "invalid argument \"%s\" for \"--mount\" flag: target is required",
                                        spec);
        }
        *ret = m;
        return 0;
}

/* --device /dev/x[:/dev/y][:rwm] */
static json_t *parse_device(const char *spec)
{
        _cleanup_free_ char *copy = strdup(spec);
        char *a, *b = NULL, *c = NULL;

        if (!copy)
                return NULL;
        a = copy;
        if ((b = strchr(a, ':'))) {
                *b++ = '\0';
                if ((c = strchr(b, ':')))
                        *c++ = '\0';
                else if (strspn(b, "rwm") == strlen(b) && b[0] != '/') {
                        c = b;
                        b = NULL;
                }
        }
        return json_pack("{s:s, s:s, s:s}", "PathOnHost", a, "PathInContainer", b && *b ? b : a,
                         "CgroupPermissions", c && *c ? c : "rwm");
}

/* "8000-8010" or "80" -> [lo, hi]; "" -> 0, 0 (none given). */
static int port_range(const char *s, long *lo, long *hi)
{
        char buf[32];
        char *dash;

        *lo = *hi = 0;
        if (!*s)
                return 0;
        if (!str_copy(buf, sizeof(buf), s))
                return -1;
        dash = strchr(buf, '-');
        if (dash)
                *dash = '\0';
        if (str_to_long(buf, 1, 65535, lo) < 0 || (dash && str_to_long(dash + 1, 1, 65535, hi) < 0))
                return -1;
        if (!dash)
                *hi = *lo;
        return *hi < *lo ? -1 : 0;
}

/* --expose 80[-90][/proto] and -p [ip:][hostPort[-hi]:]containerPort[-hi][/proto], as docker's
 * nat.ParsePortSpec: each container port exposed, and bound to its host
 * port (none: one the kernel picks at start). */
static int parse_ports(json_t *c, json_t *hc, const char *spec, bool publish, cell_error_t *err)
{
        _cleanup_free_ char *copy = strdup(spec);
        char *proto = NULL, *parts[3] = {NULL, NULL, NULL}, *q;
        const char *ip = "", *host = "", *ctr;
        long clo, chi, hlo, hhi;
        int n = 0;

        if (!copy)
                return cell_error_set(err, ENOMEM, "ports");
        if ((proto = strchr(copy, '/')))
                *proto++ = '\0';
        if (proto && !str_eq(proto, "tcp") && !str_eq(proto, "udp") && !str_eq(proto, "sctp"))
                return cell_error_plain(err, EINVAL, "invalid proto: %s", proto);
        for (q = copy; n < 3;) {
                parts[n++] = q;
                if (!(q = strchr(q, ':')))
                        break;
                *q++ = '\0';
        }
        if (q || (!publish && n > 1))
                return cell_error_plain(err, EINVAL, "invalid port format for --%s: %s",
                                        publish ? "publish" : "expose", spec);
        ctr = parts[n - 1];
        if (n == 2)
                host = parts[0];
        if (n == 3) {
                ip = parts[0];
                host = parts[1];
        }
        if (*ip) {
                struct in_addr a;

                if (inet_pton(AF_INET, ip, &a) != 1)
                        return cell_error_plain(err, EINVAL, "invalid IP address: %s", ip);
        }
        if (port_range(ctr, &clo, &chi) < 0 || clo == 0)
                return cell_error_plain(err, EINVAL, "invalid containerPort: %s", ctr);
        if (port_range(host, &hlo, &hhi) < 0)
                return cell_error_plain(err, EINVAL, "invalid hostPort: %s", host);
        if (hlo && hhi - hlo != chi - clo && chi != clo)
                return cell_error_plain(err, EINVAL,
                                        "invalid ranges specified for container and host Ports: %s and %s",
                                        ctr, host);
        for (long p = clo; p <= chi; p++) {
                char key[32], hp[16] = "";
                json_t *list;

                snprintf(key, sizeof(key), "%ld/%s", p, proto ? proto : "tcp");
                json_object_set_new(obj_get_or_new(c, "ExposedPorts", false), key, json_object());
                if (!publish)
                        continue;
                if (hlo)
                        snprintf(hp, sizeof(hp), "%ld", chi == clo && hhi != hlo ? hlo : hlo + (p - clo));
                list = obj_get_or_new(obj_get_or_new(hc, "PortBindings", false), key, true);
                json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hp));
        }
        return 0;
}

static int parse_run(const char *cmd, int argc, char **argv, run_cli_t *rc, int *ret_index)
{
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        json_t *c = json_object(), *hc = json_object();
        cell_error_t err = {0};
        int id;

        rc->config = c;
        rc->host_config = hc;
        json_object_set_new(hc, "NetworkMode", json_string("default"));
        json_object_set_new(hc, "LogConfig", json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
        json_object_set_new(hc, "RestartPolicy",
                            json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
        while ((id = cli_docker_next(&p, run_opts)) != 0) {
                const char *v = p.value;

                switch (id) {
                case -1:
                        return engine_usage(cmd, p.errbuf);
                case O_HELP:
                        printf("usage: cell %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                               "Create%s a new container from an image, with docker's flags.\n",
                               cmd, str_eq(cmd, "run") ? " and run" : "");
                        return -1000;
                case O_DETACH:
                        rc->detach = !v;
                        break;
                case O_INTERACTIVE:
                        rc->interactive = !v;
                        break;
                case O_TTY:
                        rc->tty = !v;
                        break;
                case O_RM:
                        rc->rm = !v;
                        break;
                case O_NAME:
                        rc->name = v;
                        break;
                case O_ENV:
                        if (engine_env_merge(&rc->env, v, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        break;
                case O_ENV_FILE: {
                        _cleanup_strv_ char **fenv = NULL;

                        if (engine_env_file_read(v, &fenv, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        for (size_t i = 0; fenv && fenv[i]; i++)
                                if (engine_env_merge(&rc->env, fenv[i], &err) < 0)
                                        return engine_fail(cmd, &err, EXIT_ENGINE);
                        break;
                }
                case O_WORKDIR:
                        if (v[0] != '/') {
                                cell_error_plain(&err, EINVAL,
                                                 "the working directory '%s' is invalid, it needs "
                                                 "to be an absolute path",
                                                 v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(c, "WorkingDir", json_string(v));
                        break;
                case O_USER:
                        json_object_set_new(c, "User", json_string(v));
                        break;
                case O_HOSTNAME:
                        json_object_set_new(c, "Hostname", json_string(v));
                        break;
                case O_ENTRYPOINT: {
                        json_t *ep = json_array();

                        if (*v)
                                json_array_append_new(ep, json_string(v));
                        json_object_set_new(c, "Entrypoint", ep);
                        break;
                }
                case O_VOLUME:
                        add_str(hc, "Binds", v);
                        break;
                case O_MOUNT: {
                        json_t *m = NULL;

                        if (parse_mount(v, &m, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        json_array_append_new(obj_get_or_new(hc, "Mounts", true), m);
                        break;
                }
                case O_TMPFS: {
                        _cleanup_free_ char *dst = strdup(v);
                        char *colon = dst ? strchr(dst, ':') : NULL;

                        if (!dst)
                                return EXIT_ENGINE;
                        if (colon)
                                *colon = '\0';
                        json_object_set_new(obj_get_or_new(hc, "Tmpfs", false), dst,
                                            json_string(colon ? colon + 1 : ""));
                        break;
                }
                case O_READ_ONLY:
                        json_object_set_new(hc, "ReadonlyRootfs", json_boolean(!v));
                        break;
                case O_PRIVILEGED:
                        json_object_set_new(hc, "Privileged", json_boolean(!v));
                        break;
                case O_CAP_ADD:
                        add_str(hc, "CapAdd", v);
                        break;
                case O_CAP_DROP:
                        add_str(hc, "CapDrop", v);
                        break;
                case O_SECURITY_OPT:
                        add_str(hc, "SecurityOpt", v);
                        break;
                case O_DEVICE: {
                        json_t *d = parse_device(v);

                        if (!d)
                                return EXIT_ENGINE;
                        json_array_append_new(obj_get_or_new(hc, "Devices", true), d);
                        break;
                }
                case O_MEMORY: {
                        int64_t n;

                        if (engine_parse_bytes(v, &n, &err) < 0) {
                                cell_error_prefix(&err, "invalid argument \"%s\" for \"-m, --memory\" flag",
                                                  v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, "Memory", json_integer(n));
                        break;
                }
                case O_MEMORY_SWAP: {
                        int64_t n;

                        if (engine_parse_bytes_or_unlimited(v, &n, &err) < 0) {
                                cell_error_prefix(&err, "invalid argument \"%s\" for \"--memory-swap\" flag",
                                                  v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, "MemorySwap", json_integer(n));
                        break;
                }
                case O_CPUS: {
                        int64_t n;

                        if (engine_parse_cpus(v, &n, &err) < 0) {
                                cell_error_prefix(&err, "invalid argument \"%s\" for \"--cpus\" flag", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, "NanoCpus", json_integer(n));
                        break;
                }
                case O_CPU_SHARES:
                case O_PIDS_LIMIT:
                case O_STOP_TIMEOUT:
                case O_HEALTH_RETRIES: {
                        long n;

                        if (str_to_long(v, id == O_PIDS_LIMIT ? -1 : 0, 1L << 40, &n) < 0) {
                                cell_error_plain(&err, EINVAL, "invalid argument \"%s\": expected an integer",
                                                 v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        if (id == O_CPU_SHARES)
                                json_object_set_new(hc, "CpuShares", json_integer(n));
                        else if (id == O_PIDS_LIMIT)
                                json_object_set_new(hc, "PidsLimit", json_integer(n));
                        else if (id == O_STOP_TIMEOUT)
                                json_object_set_new(c, "StopTimeout", json_integer(n));
                        else
                                json_object_set_new(obj_get_or_new(c, "Healthcheck", false), "Retries",
                                                    json_integer(n));
                        break;
                }
                case O_GROUP_ADD:
                        json_array_append_new(obj_get_or_new(hc, "GroupAdd", true), json_string(v));
                        break;
                case O_SHM_SIZE: {
                        int64_t n;

                        if (engine_parse_bytes(v, &n, &err) < 0) {
                                cell_error_prefix(&err, "invalid argument \"%s\" for \"--shm-size\" flag", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, "ShmSize", json_integer(n));
                        break;
                }
                case O_OOM_SCORE_ADJ: {
                        long n;

                        if (str_to_long(v, LONG_MIN, LONG_MAX, &n) < 0) {
                                cell_error_plain(&err, EINVAL,
                                                 "invalid argument \"%s\" for \"--oom-score-adj\" flag: "
                                                 "expected an integer",
                                                 v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        if (n < -1000 || n > 1000) {
                                cell_error_plain(
                                        &err, EINVAL,
                                        "Invalid value %ld, range for oom score adj is [-1000, 1000]", n);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, "OomScoreAdj", json_integer(n));
                        break;
                }
                case O_CPUSET_CPUS:
                        json_object_set_new(hc, "CpusetCpus", json_string(v));
                        break;
                case O_ULIMIT: {
                        engine_ulimit_t u;
                        char name[32];

                        if (engine_parse_ulimit(v, &u, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        snprintf(name, sizeof(name), "%s", u.type + strlen("RLIMIT_"));
                        for (char *q = name; *q; q++)
                                *q = (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
                        json_array_append_new(obj_get_or_new(hc, "Ulimits", true),
                                              json_pack("{s:s, s:I, s:I}", "Name", name, "Soft",
                                                        (json_int_t)u.soft, "Hard", (json_int_t)u.hard));
                        break;
                }
                case O_PID:
                case O_IPC:
                case O_UTS:
                case O_NETWORK: {
                        const char *key = id == O_PID   ? "PidMode"
                                          : id == O_IPC ? "IpcMode"
                                          : id == O_UTS ? "UTSMode"
                                                        : "NetworkMode";
                        /* A network's name is checked at create. */
                        bool ok = str_eq(v, "host") || (id == O_NETWORK && *v) ||
                                  (id == O_IPC &&
                                   (str_eq(v, "private") || str_eq(v, "shareable") || str_eq(v, "none"))) ||
                                  str_has_prefix(v, "container:") || (id == O_UTS && !*v) ||
                                  (id == O_PID && !*v);

                        if (!ok) {
                                cell_error_plain(&err, EINVAL, "--%s: invalid mode \"%s\"",
                                                 run_opts[0].name ? (id == O_PID   ? "pid"
                                                                     : id == O_IPC ? "ipc"
                                                                     : id == O_UTS ? "uts"
                                                                                   : "network")
                                                                  : "",
                                                 v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(hc, key, json_string(v));
                        break;
                }
                case O_INIT:
                        json_object_set_new(hc, "Init", json_boolean(!v));
                        break;
                case O_RESTART: {
                        engine_restart_t r;

                        if (engine_parse_restart(v, &r, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        json_object_set_new(hc, "RestartPolicy",
                                            json_pack("{s:s, s:i}", "Name", engine_restart_mode_name(r.mode),
                                                      "MaximumRetryCount", r.max_retries));
                        break;
                }
                case O_STOP_SIGNAL: {
                        int sig;

                        if (engine_parse_signal(v, &sig, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        json_object_set_new(c, "StopSignal", json_string(v));
                        break;
                }
                case O_HEALTH_CMD:
                        json_object_set_new(obj_get_or_new(c, "Healthcheck", false), "Test",
                                            json_pack("[s, s]", "CMD-SHELL", v));
                        break;
                case O_HEALTH_INTERVAL:
                case O_HEALTH_TIMEOUT:
                case O_HEALTH_START: {
                        int64_t ns;

                        if (engine_parse_duration(v, &ns, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        json_object_set_new(obj_get_or_new(c, "Healthcheck", false),
                                            id == O_HEALTH_INTERVAL  ? "Interval"
                                            : id == O_HEALTH_TIMEOUT ? "Timeout"
                                                                     : "StartPeriod",
                                            json_integer(ns));
                        break;
                }
                case O_NO_HEALTHCHECK:
                        json_object_set_new(obj_get_or_new(c, "Healthcheck", false), "Test",
                                            json_pack("[s]", "NONE"));
                        break;
                case O_LABEL: {
                        _cleanup_free_ char *kv = strdup(v);
                        char *eq = kv ? strchr(kv, '=') : NULL;

                        if (!kv)
                                return EXIT_ENGINE;
                        if (eq)
                                *eq = '\0';
                        json_object_set_new(obj_get_or_new(c, "Labels", false), kv,
                                            json_string(eq ? eq + 1 : ""));
                        break;
                }
                case O_LOG_DRIVER:
                        if (!str_eq(v, "json-file") && !str_eq(v, "none") && !str_eq(v, "local")) {
                                cell_error_plain(&err, EINVAL,
                                                 "logger: no log driver named '%s' is registered", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        json_object_set_new(json_object_get(hc, "LogConfig"), "Type",
                                            json_string(str_eq(v, "local") ? "json-file" : v));
                        break;
                case O_LOG_OPT: {
                        _cleanup_free_ char *kv = strdup(v);
                        char *eq = kv ? strchr(kv, '=') : NULL;

                        if (!kv || !eq) {
                                cell_error_plain(&err, EINVAL, "invalid log opt '%s'", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        *eq = '\0';
                        json_object_set_new(json_object_get(json_object_get(hc, "LogConfig"), "Config"), kv,
                                            json_string(eq + 1));
                        break;
                }
                case O_SYSCTL: {
                        _cleanup_free_ char *kv = strdup(v);
                        char *eq = kv ? strchr(kv, '=') : NULL;

                        if (!kv || !eq) {
                                cell_error_plain(&err, EINVAL,
                                                 "invalid argument \"%s\" for \"--sysctl\" flag", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        *eq = '\0';
                        json_object_set_new(obj_get_or_new(hc, "Sysctls", false), kv, json_string(eq + 1));
                        break;
                }
                case O_PUBLISH:
                case O_EXPOSE:
                        if (parse_ports(c, hc, v, id == O_PUBLISH, &err) < 0)
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        break;
                case O_PUBLISH_ALL:
                        json_object_set_new(hc, "PublishAllPorts", json_boolean(!v));
                        break;
                case O_IP: {
                        struct in_addr a;

                        if (inet_pton(AF_INET, v, &a) != 1) {
                                cell_error_plain(
                                        &err, EINVAL,
                                        "invalid argument \"%s\" for \"--ip\" flag: invalid IPv4 address", v);
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        if (!rc->endpoint)
                                rc->endpoint = json_object();
                        json_object_set_new(rc->endpoint, "IPAMConfig", json_pack("{s:s}", "IPv4Address", v));
                        break;
                }
                case O_NETWORK_ALIAS:
                        if (!rc->endpoint)
                                rc->endpoint = json_object();
                        add_str(rc->endpoint, "Aliases", v);
                        break;
                case O_DNS:
                case O_DNS_SEARCH:
                case O_DNS_OPTION:
                        add_str(hc, id == O_DNS ? "Dns" : id == O_DNS_SEARCH ? "DnsSearch" : "DnsOptions", v);
                        break;
                case O_ADD_HOST: {
                        const char *colon = strchr(v, ':');
                        struct in_addr a;

                        if (!colon || colon == v || inet_pton(AF_INET, colon + 1, &a) != 1) {
                                cell_error_plain(&err, EINVAL,
                                                 "invalid argument \"%s\" for \"--add-host\" flag: invalid "
                                                 "IP address in add-host: \"%s\"",
                                                 v, colon ? colon + 1 : "");
                                return engine_fail(cmd, &err, EXIT_ENGINE);
                        }
                        add_str(hc, "ExtraHosts", v);
                        break;
                }
                case O_SIG_PROXY:
                case O_QUIET:
                default:
                        break;
                }
        }
        if (p.index >= argc)
                return engine_usage(cmd, "\"cell "
                                         "run\" requires at least 1 argument.");
        if (rc->rm && json_object_get(hc, "RestartPolicy") &&
            !str_eq(json_string_value(json_object_get(json_object_get(hc, "RestartPolicy"), "Name")), "no")) {
                cell_error_plain(&err, EINVAL, "Conflicting options: --restart and --rm");
                return engine_fail(cmd, &err, EXIT_ENGINE);
        }
        json_object_set_new(c, "Image", json_string(argv[p.index]));
        if (p.index + 1 < argc) {
                json_t *cmdv = json_array();

                for (int i = p.index + 1; i < argc; i++)
                        json_array_append_new(cmdv, json_string(argv[i]));
                json_object_set_new(c, "Cmd", cmdv);
        }
        {
                json_t *env = json_array();

                for (size_t i = 0; rc->env && rc->env[i]; i++)
                        json_array_append_new(env, json_string(rc->env[i]));
                json_object_set_new(c, "Env", env);
        }
        json_object_set_new(c, "Tty", json_boolean(rc->tty));
        json_object_set_new(c, "OpenStdin", json_boolean(rc->interactive));
        json_object_set_new(c, "AttachStdin", json_boolean(rc->interactive && !rc->detach));
        /* docker: stdin is closed when the attached client detaches. */
        json_object_set_new(c, "StdinOnce", json_boolean(rc->interactive && !rc->detach));
        json_object_set_new(c, "AttachStdout", json_boolean(!rc->detach));
        json_object_set_new(c, "AttachStderr", json_boolean(!rc->detach));
        json_object_set_new(hc, "AutoRemove", json_boolean(rc->rm));
        *ret_index = p.index;
        return 0;
}

static void run_cli_clear(run_cli_t *rc)
{
        json_decref(rc->config);
        json_decref(rc->endpoint);
        json_decref(rc->host_config);
        strv_free(rc->env);
}

/* Docker's exit code for a container that could not start: 127 when the
 * command was not found, 126 when it could not be run, else 125. */
static int start_failure_code(const cell_error_t *err)
{
        if (err->code == ENOENT && strstr(err->msg, "exec"))
                return 127;
        if ((err->code == EACCES || err->code == ENOEXEC || err->code == EISDIR) && strstr(err->msg, "exec"))
                return 126;
        if (strstr(err->msg, "No such file or directory") && strstr(err->msg, "exec"))
                return 127;
        if (strstr(err->msg, "Permission denied") && strstr(err->msg, "exec"))
                return 126;
        return EXIT_ENGINE;
}

static int create_or_run(const cli_global_t *g, int argc, char **argv, bool run)
{
        const char *cmd = run ? "run" : "create";
        _cleanup_engine_ engine_t *e = NULL;
        run_cli_t rc = {0};
        cell_error_t err = {0};
        char id[ENGINE_ID_LEN + 1];
        struct engine_net_setup *net = NULL;
        int index = 0, r;

        r = parse_run(cmd, argc, argv, &rc, &index);
        if (r != 0) {
                run_cli_clear(&rc);
                return r == -1000 ? 0 : r;
        }
        /* docker run: 125 for every error of its own; docker create: 125
         * for the command line (parse_run), 1 for the daemon's errors. */
        if (cli_open_engine(g, &e, &err) < 0) {
                run_cli_clear(&rc);
                return engine_fail(cmd, &err, run ? EXIT_ENGINE : 1);
        }
        {
                engine_create_req_t req = {.config = rc.config,
                                           .host_config = rc.host_config,
                                           .name = rc.name,
                                           .endpoint = rc.endpoint,
                                           .ret_net = run && !rc.detach ? &net : NULL};

                r = engine_create(e, &req, id, &err);
        }
        if (r < 0) {
                run_cli_clear(&rc);
                return engine_fail(cmd, &err, run ? EXIT_ENGINE : 1);
        }
        if (!run) {
                printf("%s\n", id);
                run_cli_clear(&rc);
                return 0;
        }
        {
                engine_start_opts_t so = {
                        .foreground = !rc.detach, .interactive = rc.interactive, .net = net};

                fflush(stdout);
                r = engine_start(e, id, &so, &err);
                if (r < 0) {
                        int code = start_failure_code(&err);

                        /* A container that could not start: docker keeps
                         * it (Created), unless --rm. */
                        if (rc.rm) {
                                cell_error_t ignored = {0};

                                engine_remove(e, id, true, true, &ignored);
                        }
                        run_cli_clear(&rc);
                        return engine_fail(cmd, &err, code);
                }
                run_cli_clear(&rc);
                if (rc.detach) {
                        printf("%s\n", id);
                        return 0;
                }
                return so.exit_code;
        }
}

int cmd_engine_run(const cli_global_t *g, int argc, char **argv);
int cmd_engine_run(const cli_global_t *g, int argc, char **argv)
{
        return create_or_run(g, argc, argv, true);
}

int cmd_engine_create(const cli_global_t *g, int argc, char **argv);
int cmd_engine_create(const cli_global_t *g, int argc, char **argv)
{
        return create_or_run(g, argc, argv, false);
}

/* ---- commands on existing containers ---- */

/* For each container argument: find it and call fn; docker's output (the
 * name as given) on success, the error on stderr; exit 1 if any failed. */
typedef int (*each_fn)(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err);

static int for_each_container(const cli_global_t *g, const char *cmd, int argc, char **argv, int first,
                              each_fn fn, void *data, bool print)
{
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        int rc = 0;

        if (first >= argc) {
                fprintf(stderr, "cell %s: \"cell %s\" requires at least 1 argument.\n", cmd, cmd);
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0)
                return engine_fail(cmd, &err, 1);
        for (int i = first; i < argc; i++) {
                char id[ENGINE_ID_LEN + 1];

                cell_error_clear(&err);
                if (engine_container_find(e, argv[i], id, &err) < 0 || fn(e, id, argv[i], data, &err) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                        rc = 1;
                        continue;
                }
                if (print)
                        printf("%s\n", argv[i]);
        }
        return rc;
}

static int simple_opts(const char *cmd, int argc, char **argv, const cli_option_t *opts,
                       int (*on)(int id, const char *v, void *d), void *d, int *ret_index)
{
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return engine_usage(cmd, p.errbuf);
                if (on(id, p.value, d) < 0)
                        return EXIT_ENGINE;
        }
        *ret_index = p.index;
        return 0;
}

typedef struct stop_args {
        int timeout;
        int sig;
        bool force, volumes, attach, interactive;
        int exit_code;
        const char *bad_sig; /* -s that is no signal: docker's daemon refuses it per container */
} stop_args_t;

static int check_sig(const stop_args_t *a, cell_error_t *err)
{
        if (a->bad_sig)
                return cell_error_plain(err, EINVAL, "Invalid signal: %s", a->bad_sig);
        return 0;
}

static int on_stop_opt(int id, const char *v, void *d)
{
        stop_args_t *a = d;
        long n;

        switch (id) {
        case 1:
                if (str_to_long(v, -1, 1L << 30, &n) < 0) {
                        fprintf(stderr, "invalid argument \"%s\" for \"-t, --time\" flag\n", v);
                        return -1;
                }
                a->timeout = (int)n;
                return 0;
        case 2: {
                cell_error_t err = {0};

                /* Refused later, for each container, as docker's daemon
                 * does ("Invalid signal: 0", exit 1), not as a flag error. */
                if (engine_parse_signal(v, &a->sig, &err) < 0)
                        a->bad_sig = v;
                return 0;
        }
        case 3:
                a->force = !v;
                return 0;
        case 4:
                a->volumes = !v;
                return 0;
        case 5:
                a->attach = !v;
                return 0;
        case 6:
                a->interactive = !v;
                return 0;
        default:
                return 0;
        }
}

static int do_stop(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        stop_args_t *a = data;

        if (check_sig(a, err) < 0)
                return -1;
        return engine_stop(e, id, a->sig, a->timeout, err);
}

static int do_kill(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        stop_args_t *a = data;

        if (check_sig(a, err) < 0)
                return -1;
        return engine_kill(e, id, a->sig, err);
}

static int do_restart(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        stop_args_t *a = data;
        engine_start_opts_t so = {0};

        if (engine_stop(e, id, a->sig, a->timeout, err) < 0)
                return -1;
        return engine_start(e, id, &so, err);
}

static int do_start(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        engine_start_opts_t so = {0};

        return engine_start(e, id, &so, err);
}

static int do_rm(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        stop_args_t *a = data;

        return engine_remove(e, id, a->force, a->volumes, err);
}

static int do_pause(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        return engine_pause(e, id, true, err);
}

static int do_unpause(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        return engine_pause(e, id, false, err);
}

static int do_wait(engine_t *e, const char *id, const char *given, void *data, cell_error_t *err)
{
        int code = 0;

        if (engine_wait(e, id, &code, err) < 0)
                return -1;
        printf("%d\n", code);
        return 0;
}

#define STOP_OPTS                                                                                            \
        static const cli_option_t opts[] = {                                                                 \
                {"time", 't', true, 1},         {"timeout", 0, true, 1},    {"signal", 's', true, 2},        \
                {"force", 'f', false, 3},       {"volumes", 'v', false, 4}, {"attach", 'a', false, 5},       \
                {"interactive", 'i', false, 6}, {NULL, 0, false, 0},                                         \
        }

int cmd_engine_stop(const cli_global_t *g, int argc, char **argv);
int cmd_engine_stop(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {.timeout = -1};
        int index, r = simple_opts("stop", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "stop", argc, argv, index, do_stop, &a, true);
}

int cmd_engine_kill(const cli_global_t *g, int argc, char **argv);
int cmd_engine_kill(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {.sig = SIGKILL};
        int index, r = simple_opts("kill", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "kill", argc, argv, index, do_kill, &a, true);
}

int cmd_engine_restart(const cli_global_t *g, int argc, char **argv);
int cmd_engine_restart(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {.timeout = -1};
        int index, r = simple_opts("restart", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "restart", argc, argv, index, do_restart, &a, true);
}

int cmd_engine_rm(const cli_global_t *g, int argc, char **argv);
int cmd_engine_rm(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {0};
        int index, r = simple_opts("rm", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "rm", argc, argv, index, do_rm, &a, true);
}

int cmd_engine_pause(const cli_global_t *g, int argc, char **argv);
int cmd_engine_pause(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {0};
        int index, r = simple_opts("pause", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "pause", argc, argv, index, do_pause, &a, true);
}

int cmd_engine_unpause(const cli_global_t *g, int argc, char **argv);
int cmd_engine_unpause(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {0};
        int index, r = simple_opts("unpause", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "unpause", argc, argv, index, do_unpause, &a, true);
}

int cmd_engine_wait(const cli_global_t *g, int argc, char **argv);
int cmd_engine_wait(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {0};
        int index, r = simple_opts("wait", argc, argv, opts, on_stop_opt, &a, &index);

        return r ? r : for_each_container(g, "wait", argc, argv, index, do_wait, &a, false);
}

int cmd_engine_start(const cli_global_t *g, int argc, char **argv);
int cmd_engine_start(const cli_global_t *g, int argc, char **argv)
{
        STOP_OPTS;
        stop_args_t a = {0};
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        char id[ENGINE_ID_LEN + 1];
        int index, r = simple_opts("start", argc, argv, opts, on_stop_opt, &a, &index);

        if (r)
                return r;
        if (!a.attach)
                return for_each_container(g, "start", argc, argv, index, do_start, &a, true);
        /* start -a: one container, in the foreground, its exit code. */
        if (index + 1 != argc) {
                fprintf(stderr, "cell start: you cannot start and attach multiple containers at once\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_find(e, argv[index], id, &err) < 0)
                return engine_fail("start", &err, 1);
        {
                engine_start_opts_t so = {.foreground = true, .interactive = a.interactive};

                if (engine_start(e, id, &so, &err) < 0)
                        return engine_fail(
                                "start", &err,
                                start_failure_code(&err) == EXIT_ENGINE ? 1 : start_failure_code(&err));
                return so.exit_code;
        }
}
