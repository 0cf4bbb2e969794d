/* cell: Config + HostConfig -> OCI runtime spec (see specgen.h).
 *
 * The defaults are Docker's, so that a container behaves the same under
 * either: its capability set, its seccomp profile, masked and read-only
 * paths, the mounts of /proc, /dev, /sys, a 64 MiB /dev/shm, and
 * /etc/hostname, /etc/hosts and /etc/resolv.conf bound from files the
 * engine writes. See docs/design/engine.md ("From image to spec"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jsonutil.h"
#include "cleanup.h"
#include "copy.h"
#include "fsutil.h"
#include "passwd.h"
#include "seccomp_profile.h"
#include "secdefaults.h"
#include "spec.h"
#include "specgen.h"
#include "network.h"
#include "volume.h"
#include "strutil.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- helpers ---- */

static bool json_strv_empty(json_t *a)
{
        return !a || !json_is_array(a) || json_array_size(a) == 0;
}

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static json_int_t jint(json_t *o, const char *key)
{
        return json_integer_value(json_object_get(o, key));
}

static bool jbool(json_t *o, const char *key)
{
        return json_is_true(json_object_get(o, key));
}

/* The index of NAME=... in an env array, or -1. */
static ssize_t env_find(json_t *env, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
        size_t i;
        json_t *v;

        json_array_foreach(env, i, v)
        {
                const char *s = json_string_value(v);

                if (s && strncmp(s, kv, n) == 0 && (s[n] == '=' || s[n] == '\0'))
                        return (ssize_t)i;
        }
        return -1;
}

static int env_set(json_t *env, const char *kv)
{
        ssize_t i = env_find(env, kv);

        if (i >= 0)
                return json_array_set_new(env, (size_t)i, json_string(kv));
        return json_array_append_new(env, json_string(kv));
}

/* ---- Config merge ---- */

int engine_config_merge(json_t *config, const image_run_config_t *image, cell_error_t *err)
{
        json_t *env = json_array(), *user_env = json_object_get(config, "Env");
        size_t i;
        json_t *v;

        if (!env)
                return cell_error_set(err, ENOMEM, "config");
        /* Docker's order (daemon/commit.go merge): the user's variables
         * first, then the image's that the user did not set. */
        json_array_foreach(user_env, i, v)
        {
                if (json_is_string(v))
                        env_set(env, json_string_value(v));
        }
        for (i = 0; image->env && image->env[i]; i++) {
                if (env_find(env, image->env[i]) < 0)
                        json_array_append_new(env, json_string(image->env[i]));
        }
        json_object_set_new(config, "Env", env);

        /* --entrypoint replaces the image's entrypoint and drops its Cmd;
         * --entrypoint "" (an empty array here) clears both. */
        if (!json_object_get(config, "Entrypoint")) {
                json_object_set_new(config, "Entrypoint",
                                    image->entrypoint
                                            ? json_string_array((const char *const *)image->entrypoint)
                                            : json_null());
                if (json_strv_empty(json_object_get(config, "Cmd")))
                        json_object_set_new(config, "Cmd",
                                            image->cmd ? json_string_array((const char *const *)image->cmd)
                                                       : json_null());
        } else if (json_strv_empty(json_object_get(config, "Entrypoint"))) {
                json_object_set_new(config, "Entrypoint", json_null());
        }
        if (!json_object_get(config, "Cmd"))
                json_object_set_new(config, "Cmd", json_null());
        if (!jstr(config, "WorkingDir") || !*jstr(config, "WorkingDir"))
                json_object_set_new(config, "WorkingDir",
                                    json_string(image->working_dir ? image->working_dir : ""));
        if (!jstr(config, "User") || !*jstr(config, "User"))
                json_object_set_new(config, "User", json_string(image->user ? image->user : ""));
        if (!jstr(config, "StopSignal") && image->stop_signal)
                json_object_set_new(config, "StopSignal", json_string(image->stop_signal));
        {
                json_t *labels = json_object_get(config, "Labels");

                if (!json_is_object(labels)) {
                        labels = json_object();
                        json_object_set_new(config, "Labels", labels);
                }
                for (i = 0; i < image->n_labels; i++)
                        if (!json_object_get(labels, image->labels[i].key))
                                json_object_set_new(labels, image->labels[i].key,
                                                    json_string(image->labels[i].value));
        }
        if (image->volumes) {
                json_t *vols = json_object();

                for (i = 0; image->volumes[i]; i++)
                        json_object_set_new(vols, image->volumes[i], json_object());
                json_object_set_new(config, "Volumes", vols);
        }
        if (image->exposed_ports) {
                json_t *ports = json_object();

                for (i = 0; image->exposed_ports[i]; i++)
                        json_object_set_new(ports, image->exposed_ports[i], json_object());
                json_object_set_new(config, "ExposedPorts", ports);
        }
        if (!json_object_get(config, "Healthcheck") && image->healthcheck && image->healthcheck->test) {
                json_t *h = json_pack("{s:o, s:I, s:I, s:I, s:I}", "Test",
                                      json_string_array((const char *const *)image->healthcheck->test),
                                      "Interval", (json_int_t)image->healthcheck->interval_ns, "Timeout",
                                      (json_int_t)image->healthcheck->timeout_ns, "StartPeriod",
                                      (json_int_t)image->healthcheck->start_period_ns, "Retries",
                                      (json_int_t)image->healthcheck->retries);
                json_object_set_new(config, "Healthcheck", h);
        }
        return 0;
}

/* ---- mounts ---- */

static json_t *mount_new(const char *dst, const char *type, const char *src, const char *opts)
{
        json_t *o = json_array();
        _cleanup_free_ char *copy = strdup(opts);
        char *save = NULL;

        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(o, json_string(t));
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src, "options",
                         o);
}

static bool mount_has_dest(json_t *mounts, const char *dst)
{
        size_t i;
        json_t *m;

        json_array_foreach(mounts, i, m)
        {
                if (str_eq(jstr(m, "destination"), dst))
                        return true;
        }
        return false;
}

/* Drop a default mount the user replaces with their own. */
static void mount_remove_dest(json_t *mounts, const char *dst)
{
        for (size_t i = json_array_size(mounts); i-- > 0;)
                if (str_eq(jstr(json_array_get(mounts, i), "destination"), dst))
                        json_array_remove(mounts, i);
}

static int check_target(const char *opt, const char *dst, cell_error_t *err)
{
        if (!dst || dst[0] != '/')
                return cell_error_plain(err, EINVAL,
                                        "%s: invalid mount path: '%s' mount path must be absolute", opt,
                                        dst ? dst : "");
        if (str_eq(dst, "/"))
                return cell_error_plain(err, EINVAL, "%s: invalid specification: destination can't be '/'",
                                        opt);
        return 0;
}

/* STORAGE/volumes/<name>/_data, made when missing. */
static char *volume_path(const engine_spec_in_t *in, const char *name, cell_error_t *err)
{
        _cleanup_free_ char *p = str_printf("%s/%s/_data", in->volumes_dir, name);

        if (!p) {
                cell_error_set(err, ENOMEM, "volume");
                return NULL;
        }
        if (fs_mkdir_p(p, 0755, err) < 0)
                return NULL;
        return steal_pointer(&p);
}

static bool volume_empty(const char *path)
{
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (!str_eq(de->d_name, ".") && !str_eq(de->d_name, ".."))
                        return false;
        return d != NULL;
}

static int copy_up(const engine_spec_in_t *in, const char *dst, const char *vpath, cell_error_t *err)
{
        _cleanup_close_ int rootfd = open(in->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dirfd = -1;
        _cleanup_free_ char *src = NULL;
        engine_copy_opts_t o = {.archive = true};

        if (rootfd < 0)
                return cell_error_errno(err, "open %s", in->rootfs);
        dirfd = fs_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY, 0, NULL);
        if (dirfd < 0)
                return 0; /* not a directory of the image: nothing to copy */
        src = str_printf("%s/.", dst);
        if (!src)
                return cell_error_set(err, ENOMEM, "volume");
        return engine_copy_out(rootfd, src, vpath, &o, err);
}

static int add_user_mount(const engine_spec_in_t *in, json_t *mounts, json_t *out, const char *opt,
                          const char *type, const char *src, const char *dst, bool ro, const char *tmpfs_opts,
                          cell_error_t *err)
{
        _cleanup_free_ char *vpath = NULL, *opts = NULL;
        const char *name = NULL;

        if (check_target(opt, dst, err) < 0)
                return -EINVAL;
        mount_remove_dest(mounts, dst);
        if (str_eq(type, "tmpfs")) {
                opts = str_printf("nosuid,nodev,noexec%s%s%s", ro ? ",ro" : "",
                                  tmpfs_opts && *tmpfs_opts ? "," : "", tmpfs_opts ? tmpfs_opts : "");
                if (!opts)
                        return cell_error_set(err, ENOMEM, "mount");
                json_array_append_new(mounts, mount_new(dst, "tmpfs", "tmpfs", opts));
                json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "tmpfs",
                                                     "Source", "", "Destination", dst, "Mode", "", "RW", !ro,
                                                     "Propagation", ""));
                return 0;
        }
        if (str_eq(type, "volume")) {
                if (!src || !*src) {
                        char id[65];
                        static const char hex[] = "0123456789abcdef";
                        unsigned char b[32];

                        if (getentropy(b, sizeof(b)) < 0)
                                return cell_error_errno(err, "getentropy");
                        for (size_t i = 0; i < 32; i++) {
                                id[2 * i] = hex[b[i] >> 4];
                                id[2 * i + 1] = hex[b[i] & 15];
                        }
                        id[64] = '\0';
                        vpath = volume_path(in, id, err);
                        name = NULL;
                        if (!vpath)
                                return -1;
                        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b}",
                                                             "Type", "volume", "Name", id, "Source", vpath,
                                                             "Destination", dst, "Driver", "local", "RW", !ro,
                                                             "Propagation", "", "Anonymous", 1));
                } else {
                        if (!engine_volume_name_valid(src))
                                return cell_error_plain(
                                        err, EINVAL,
                                        "%s: \"%s\" includes invalid characters for a local volume "
                                        "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                                        opt, src);
                        name = src;
                        vpath = volume_path(in, name, err);
                        if (!vpath)
                                return -1;
                        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
                                                             "volume", "Name", name, "Source", vpath,
                                                             "Destination", dst, "Driver", "local", "RW", !ro,
                                                             "Propagation", ""));
                }
                /* A volume that is empty when first mounted over a
                 * directory of the image gets that directory's content, as
                 * docker's do; copied from inside the container's root
                 * (never following its symlinks out). */
                if (volume_empty(vpath) && copy_up(in, dst, vpath, err) < 0)
                        return cell_error_prefix(err, "%s: copying %s into the volume", opt, dst);
                if (str_eq(opt, "-v") && name)
                        json_object_set_new(json_array_get(out, json_array_size(out) - 1), "Mode",
                                            json_string("z"));
                src = vpath;
        } else {
                struct stat st;

                if (!src || src[0] != '/')
                        return cell_error_plain(err, EINVAL, "%s: invalid mount config for type \"bind\": %s",
                                                opt, "bind source path must be absolute");
                /* -v makes a missing source directory on the host, as
                 * docker's -v (its --mount refuses one). */
                if (stat(src, &st) < 0 && errno == ENOENT && strcmp(opt, "-v") == 0) {
                        if (fs_mkdir_p(src, 0755, err) < 0)
                                return cell_error_prefix(err, "%s: making the bind source %s", opt, src);
                }
                if (stat(src, &st) < 0)
                        return cell_error_plain(
                                err, ENOENT,
                                "%s: invalid mount config for type \"bind\": bind source path does "
                                "not exist: %s",
                                opt, src);
                json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind",
                                                     "Source", src, "Destination", dst, "Mode",
                                                     ro ? "ro" : "", "RW", !ro, "Propagation", "rprivate"));
        }
        opts = str_printf("rbind,rprivate%s", ro ? ",ro" : "");
        if (!opts)
                return cell_error_set(err, ENOMEM, "mount");
        json_array_append_new(mounts, mount_new(dst, "bind", src, opts));
        return 0;
}

/* -v SRC:DST[:OPTS], -v DST (anonymous volume), --mount, --tmpfs, and the
 * image's VOLUMEs not covered by them. */
static int user_mounts(const engine_spec_in_t *in, json_t *mounts, json_t *out, cell_error_t *err)
{
        json_t *hc = in->host_config, *v;
        size_t i;

        json_array_foreach(json_object_get(hc, "Binds"), i, v)
        {
                _cleanup_strv_ char **parts = NULL;
                _cleanup_free_ char *copy = strdup(json_string_value(v) ? json_string_value(v) : "");
                char *save = NULL;
                size_t n;
                bool ro = false;

                for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
                        if (strv_push(&parts, t) < 0)
                                return cell_error_set(err, ENOMEM, "-v");
                n = strv_length(parts);
                if (n < 1 || n > 3)
                        return cell_error_plain(err, EINVAL, "-v: invalid volume specification: '%s'",
                                                json_string_value(v));
                if (n == 1) {
                        if (add_user_mount(in, mounts, out, "-v", "volume", NULL, parts[0], false, NULL,
                                           err) < 0)
                                return -1;
                        continue;
                }
                if (n == 3) {
                        _cleanup_free_ char *o = strdup(parts[2]);
                        char *s2 = NULL;

                        for (char *t = o ? strtok_r(o, ",", &s2) : NULL; t; t = strtok_r(NULL, ",", &s2)) {
                                if (str_eq(t, "ro"))
                                        ro = true;
                                else if (!str_eq(t, "rw") && !str_eq(t, "z") && !str_eq(t, "Z") &&
                                         !str_eq(t, "rprivate") && !str_eq(t, "private") &&
                                         !str_eq(t, "rslave") && !str_eq(t, "nocopy"))
                                        return cell_error_plain(err, EINVAL, "-v: invalid mode: %s (in '%s')",
                                                                t, json_string_value(v));
                        }
                }
                if (add_user_mount(in, mounts, out, "-v", parts[0][0] == '/' ? "bind" : "volume", parts[0],
                                   parts[1], ro, NULL, err) < 0)
                        return -1;
        }
        json_array_foreach(json_object_get(hc, "Mounts"), i, v)
        {
                const char *type = jstr(v, "Type");
                json_t *to = json_object_get(v, "TmpfsOptions");
                _cleanup_free_ char *topts = NULL;

                if (!type || (!str_eq(type, "bind") && !str_eq(type, "volume") && !str_eq(type, "tmpfs")))
                        return cell_error_plain(err, EINVAL, "--mount: unknown mount type \"%s\"",
                                                type ? type : "");
                if (str_eq(type, "tmpfs")) {
                        json_int_t size = jint(to, "SizeBytes"), mode = jint(to, "Mode");

                        if (size > 0 && mode > 0)
                                topts = str_printf("size=%lld,mode=%llo", (long long)size,
                                                   (unsigned long long)mode);
                        else if (size > 0)
                                topts = str_printf("size=%lld", (long long)size);
                        else if (mode > 0)
                                topts = str_printf("mode=%llo", (unsigned long long)mode);
                }
                if (add_user_mount(in, mounts, out, "--mount", type, jstr(v, "Source"), jstr(v, "Target"),
                                   jbool(v, "ReadOnly"), topts, err) < 0)
                        return -1;
        }
        {
                const char *dst;

                json_object_foreach(json_object_get(hc, "Tmpfs"), dst, v)
                {
                        if (add_user_mount(in, mounts, out, "--tmpfs", "tmpfs", NULL, dst, false,
                                           json_string_value(v), err) < 0)
                                return -1;
                }
                /* A `cell build` step (HostConfig.CellBuildStep) writes into
                 * its image's VOLUME paths as BuildKit's RUN does: no
                 * volumes are made for them. */
                json_object_foreach(json_object_get(in->config, "Volumes"), dst, v)
                {
                        if (json_is_true(json_object_get(hc, "CellBuildStep")))
                                break;
                        if (mount_has_dest(mounts, dst))
                                continue;
                        if (add_user_mount(in, mounts, out, "VOLUME", "volume", NULL, dst, false, NULL, err) <
                            0)
                                return -1;
                }
        }
        return 0;
}

static int write_file(const char *dir, const char *name, const char *data, cell_error_t *err)
{
        _cleanup_free_ char *p = str_printf("%s/%s", dir, name);

        if (!p)
                return cell_error_set(err, ENOMEM, "%s", name);
        return fs_write_replace(p, data, strlen(data), 0644, err);
}

/* /etc/hostname, /etc/hosts, /etc/resolv.conf of the container: written
 * again with its address and its network's resolver once its networks are
 * set up (engine_net_finish). */
static int etc_files(const engine_spec_in_t *in, const char *hostname, bool host_net, json_t *mounts,
                     cell_error_t *err)
{
        _cleanup_free_ char *hostname_data = str_printf("%s\n", hostname);
        _cleanup_free_ char *hosts = engine_hosts_text(in->host_config, hostname, NULL, host_net),
                            *resolv = engine_resolv_text(in->host_config, NULL, host_net);
        /* In the order of docker's mounts (container.NetworkMounts). */
        static const char *const files[] = {"resolv.conf", "hostname", "hosts"};

        if (!hostname_data || !hosts || !resolv)
                return cell_error_set(err, ENOMEM, "hosts");
        if (write_file(in->dir, "hostname", hostname_data, err) < 0 ||
            write_file(in->dir, "hosts", hosts, err) < 0 ||
            write_file(in->dir, "resolv.conf", resolv, err) < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *src = str_printf("%s/%s", in->dir, files[i]);
                _cleanup_free_ char *dst = str_printf("/etc/%s", files[i]);

                if (!src || !dst)
                        return cell_error_set(err, ENOMEM, "mounts");
                if (!mount_has_dest(mounts, dst))
                        json_array_append_new(mounts, mount_new(dst, "bind", src, "rbind,rprivate"));
        }
        return 0;
}

static json_t *default_mounts(bool privileged, json_int_t shm_size)
{
        json_t *m = json_array();
        char shm_opts[96];

        /* docker's 64 MiB unless --shm-size. */
        snprintf(shm_opts, sizeof(shm_opts), "nosuid,noexec,nodev,mode=1777,size=%lld",
                 (long long)(shm_size > 0 ? shm_size : 67108864));

        json_array_append_new(m, mount_new("/proc", "proc", "proc", "nosuid,noexec,nodev"));
        json_array_append_new(m,
                              mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
        json_array_append_new(m, mount_new("/dev/pts", "devpts", "devpts",
                                           "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
        json_array_append_new(m, mount_new("/sys", "sysfs", "sysfs",
                                           privileged ? "nosuid,noexec,nodev,rw" : "nosuid,noexec,nodev,ro"));
        json_array_append_new(m, mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
                                           privileged ? "nosuid,noexec,nodev,relatime,rw"
                                                      : "nosuid,noexec,nodev,relatime,ro"));
        json_array_append_new(m, mount_new("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
        json_array_append_new(m, mount_new("/dev/shm", "tmpfs", "shm", shm_opts));
        return m;
}

/* --privileged: every device of the host, as docker gives it. */
static json_t *host_devices(void)
{
        json_t *a = json_array();
        _cleanup_closedir_ DIR *d = opendir("/dev");
        struct dirent *de;

        while (d && (de = readdir(d))) {
                struct stat st;
                _cleanup_free_ char *p = str_printf("/dev/%s", de->d_name);

                if (!p || lstat(p, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                        continue;
                /* The container gets its own console, ptmx and tty. */
                if (str_eq(de->d_name, "console") || str_eq(de->d_name, "ptmx") || str_eq(de->d_name, "tty"))
                        continue;
                json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:i}", "path", p, "type",
                                                   S_ISCHR(st.st_mode) ? "c" : "b", "major",
                                                   (json_int_t)major(st.st_rdev), "minor",
                                                   (json_int_t)minor(st.st_rdev), "fileMode",
                                                   (json_int_t)(st.st_mode & 07777), "uid", 0, "gid", 0));
        }
        return a;
}

/* --device /dev/x[:/dev/y[:rwm]] (HostConfig.Devices). */
static int user_devices(json_t *hc, json_t *devices, json_t *allow, cell_error_t *err)
{
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(hc, "Devices"), i, v)
        {
                const char *host = jstr(v, "PathOnHost"), *ctr = jstr(v, "PathInContainer");
                const char *perm = jstr(v, "CgroupPermissions");
                struct stat st;

                if (!host || stat(host, &st) < 0)
                        return cell_error_plain(err, ENOENT,
                                                "--device: error gathering device information while "
                                                "adding custom device \"%s\": no such file or directory",
                                                host ? host : "");
                if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                        return cell_error_plain(err, EINVAL, "--device: %s is not a device", host);
                json_array_append_new(
                        devices,
                        json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:i}", "path", ctr && *ctr ? ctr : host,
                                  "type", S_ISCHR(st.st_mode) ? "c" : "b", "major",
                                  (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                                  "fileMode", (json_int_t)(st.st_mode & 07777), "uid", 0, "gid", 0));
                json_array_append_new(allow, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type",
                                                       S_ISCHR(st.st_mode) ? "c" : "b", "major",
                                                       (json_int_t)major(st.st_rdev), "minor",
                                                       (json_int_t)minor(st.st_rdev), "access",
                                                       perm && *perm ? perm : "rwm"));
        }
        return 0;
}

static json_t *resources(json_t *hc, bool privileged)
{
        json_t *r = json_object(), *devs = json_array();
        json_int_t mem = jint(hc, "Memory"), swap = jint(hc, "MemorySwap"), nano = jint(hc, "NanoCpus");
        json_int_t shares = jint(hc, "CpuShares"), pids = jint(hc, "PidsLimit");
        const char *cpuset = jstr(hc, "CpusetCpus");

        json_array_append_new(devs, json_pack("{s:b, s:s}", "allow", privileged ? 1 : 0, "access", "rwm"));
        json_object_set_new(r, "devices", devs);
        if (mem > 0) {
                json_t *m = json_pack("{s:I}", "limit", mem);

                /* Docker: swap unset is twice the memory; -1 unlimited. */
                if (swap == 0)
                        json_object_set_new(m, "swap", json_integer(2 * mem));
                else
                        json_object_set_new(m, "swap", json_integer(swap));
                json_object_set_new(r, "memory", m);
        }
        if (nano > 0 || shares > 0 || (cpuset && *cpuset)) {
                json_t *c = json_object();

                if (shares > 0)
                        json_object_set_new(c, "shares", json_integer(shares));
                if (nano > 0) {
                        json_object_set_new(c, "period", json_integer(100000));
                        json_object_set_new(c, "quota", json_integer(nano / 10000));
                }
                if (cpuset && *cpuset)
                        json_object_set_new(c, "cpus", json_string(cpuset));
                json_object_set_new(r, "cpu", c);
        }
        if (pids > 0)
                json_object_set_new(r, "pids", json_pack("{s:I}", "limit", pids));
        return r;
}

/* "host", "container:<pid path>", "" (private), "private", "shareable". */
static int namespace_add(json_t *ns, const char *type, const char *mode, const char *opt, cell_error_t *err)
{
        if (!mode || !*mode || str_eq(mode, "private") || str_eq(mode, "shareable") || str_eq(mode, "none") ||
            str_eq(mode, "default") || str_eq(mode, "bridge"))
                return json_array_append_new(ns, json_pack("{s:s}", "type", type));
        if (str_eq(mode, "host"))
                return 0;
        if (str_has_prefix(mode, "ns:"))
                return json_array_append_new(ns, json_pack("{s:s, s:s}", "type", type, "path", mode + 3));
        return cell_error_plain(err, EINVAL, "%s: invalid mode \"%s\"", opt, mode);
}

static int security_opts(json_t *hc, const char **ret_seccomp, bool *ret_nnp, cell_error_t *err)
{
        size_t i;
        json_t *v;

        *ret_seccomp = NULL;
        *ret_nnp = false;
        json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
        {
                const char *s = json_string_value(v);

                if (!s)
                        continue;
                if (str_eq(s, "no-new-privileges") || str_eq(s, "no-new-privileges:true") ||
                    str_eq(s, "no-new-privileges=true"))
                        *ret_nnp = true;
                else if (str_eq(s, "no-new-privileges:false") || str_eq(s, "no-new-privileges=false"))
                        *ret_nnp = false;
                else if (str_has_prefix(s, "seccomp=") || str_has_prefix(s, "seccomp:"))
                        *ret_seccomp = s + 8;
                else if (str_has_prefix(s, "apparmor=") || str_has_prefix(s, "label=") ||
                         str_has_prefix(s, "apparmor:") || str_has_prefix(s, "label:"))
                        continue; /* no LSM is applied yet: accepted and ignored, as docker does without one */
                else
                        return cell_error_plain(err, EINVAL, "--security-opt: invalid option \"%s\"", s);
        }
        return 0;
}

static json_t *seccomp_section(const char *profile, char *const *caps, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        json_error_t jerr;
        size_t len;
        json_t *p, *out;

        if (!profile)
                return engine_seccomp_default(caps, err);
        if (fs_read_file(profile, 16 << 20, &data, &len, err) < 0) {
                cell_error_prefix(err, "--security-opt seccomp");
                return NULL;
        }
        p = json_loadb(data, len, 0, &jerr);
        if (!p) {
                cell_error_plain(err, EINVAL, "--security-opt seccomp: %s:%d: %s", profile, jerr.line,
                                 jerr.text);
                return NULL;
        }
        out = engine_seccomp_from_docker(p, caps, err);
        json_decref(p);
        if (!out)
                cell_error_prefix(err, "--security-opt seccomp: %s", profile);
        return out;
}

static json_t *json_strv_copy(json_t *a)
{
        return json_is_array(a) ? json_deep_copy(a) : json_array();
}

int engine_user_groups_docker(int rootfd, json_t *group_add, engine_user_t *u, cell_error_t *err)
{
        _cleanup_free_ const char **v = NULL;
        size_t n = 0, i;
        json_t *e;
        int r;

        r = engine_user_add_primary_gid(u, err);
        if (r < 0 || !json_is_array(group_add) || json_array_size(group_add) == 0)
                return r;
        v = calloc(json_array_size(group_add), sizeof(*v));
        if (!v)
                return cell_error_set(err, ENOMEM, "groups");
        json_array_foreach(group_add, i, e)
        {
                if (json_is_string(e))
                        v[n++] = json_string_value(e);
        }
        return engine_user_add_groups(rootfd, v, n, u, err);
}

/* The process: args, env, user, cwd, terminal, capabilities, rlimits. */
static int process_section(const engine_spec_in_t *in, json_t *spec, const char *hostname, char **caps,
                           bool nnp, cell_error_t *err)
{
        json_t *c = in->config, *hc = in->host_config;
        json_t *args = json_strv_copy(json_object_get(c, "Entrypoint")), *cmd = json_object_get(c, "Cmd");
        json_t *env = json_strv_copy(json_object_get(c, "Env")), *proc, *capset, *rl = json_array(), *v;
        _cleanup_close_ int rootfd = -1;
        engine_user_t user = {0};
        const char *cwd = jstr(c, "WorkingDir");
        size_t i;
        int r;

        json_array_extend(args, json_is_array(cmd) ? cmd : json_array());
        if (json_array_size(args) == 0) {
                json_decref(args);
                json_decref(env);
                json_decref(rl);
                return cell_error_plain(err, EINVAL, "No command specified");
        }
        if (jbool(hc, "Init")) {
                json_array_insert_new(args, 0, json_string("--"));
                json_array_insert_new(args, 0, json_string("/sbin/docker-init"));
        }
        rootfd = open(in->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = cell_error_errno(err, "open %s", in->rootfs);
                goto fail;
        }
        /* A working directory that the image lacks is made (root's, 0755),
         * as docker's daemon does (container.SetupWorkingDirectory). */
        if (cwd && *cwd && strcmp(cwd, "/") != 0) {
                int dfd = fs_mkdir_p_in_root(rootfd, cwd, 0755, err);

                if (dfd < 0) {
                        r = dfd;
                        cell_error_prefix(err, "Cannot mkdir: %s", cwd);
                        goto fail;
                }
                close(dfd);
        }
        r = engine_user_resolve(rootfd, jstr(c, "User") ? jstr(c, "User") : "", &user, err);
        if (r < 0)
                goto fail;
        if (json_is_true(json_object_get(hc, "CellBuildStep"))) {
                /* BuildKit's RUN: the groups of etc/group that list the
                 * user, without the primary gid in front; none at all for
                 * a numeric UID:GID, which it takes without reading
                 * etc/passwd or etc/group. */
                const char *us = jstr(c, "User") ? jstr(c, "User") : "";
                const char *colon = strchr(us, ':');

                if (colon && colon > us && colon[1] && strspn(us, "0123456789") == (size_t)(colon - us) &&
                    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
                        free(user.additional_gids);
                        user.additional_gids = NULL;
                        user.n_additional_gids = 0;
                }
        } else {
                r = engine_user_groups_docker(rootfd, json_object_get(hc, "GroupAdd"), &user, err);
                if (r < 0)
                        goto fail;
        }
        if (env_find(env, "PATH=") < 0)
                json_array_insert_new(env, 0, json_string(DEFAULT_PATH));
        {
                _cleanup_free_ char *h = str_printf("HOSTNAME=%s", hostname);
                _cleanup_free_ char *home = str_printf("HOME=%s", user.home ? user.home : "/");

                if (env_find(env, "HOSTNAME=") < 0)
                        json_array_insert_new(env, 1, json_string(h));
                if (jbool(c, "Tty") && env_find(env, "TERM=") < 0)
                        json_array_append_new(env, json_string("TERM=xterm"));
                if (env_find(env, "HOME=") < 0)
                        json_array_append_new(env, json_string(home));
        }
        capset = json_string_array((const char *const *)caps);
        proc = json_pack("{s:b, s:{s:I, s:I}, s:o, s:o, s:s, s:{s:O, s:O, s:O, s:[]}, s:b}", "terminal",
                         jbool(c, "Tty"), "user", "uid", (json_int_t)user.uid, "gid", (json_int_t)user.gid,
                         "args", args, "env", env, "cwd", cwd && *cwd ? cwd : "/", "capabilities", "bounding",
                         capset, "effective", capset, "permitted", capset, "inheritable", "noNewPrivileges",
                         nnp);
        json_decref(capset);
        args = env = NULL;
        if (!proc) {
                r = cell_error_set(err, ENOMEM, "process");
                goto fail;
        }
        /* Only with --oom-score-adj: docker writes 0 otherwise, which a
         * caller whose own score is higher (a systemd user session's) may
         * not lower to; the inherited score is left as it is. */
        if (json_object_get(hc, "OomScoreAdj"))
                json_object_set_new(proc, "oomScoreAdj", json_integer(jint(hc, "OomScoreAdj")));
        if (user.n_additional_gids > 0) {
                json_t *g = json_array();

                for (size_t k = 0; k < user.n_additional_gids; k++)
                        json_array_append_new(g, json_integer(user.additional_gids[k]));
                json_object_set_new(json_object_get(proc, "user"), "additionalGids", g);
        }
        json_array_foreach(json_object_get(hc, "Ulimits"), i, v)
        {
                _cleanup_free_ char *name = NULL;
                const char *n = jstr(v, "Name");

                if (!n)
                        continue;
                name = str_printf("RLIMIT_%s", n);
                for (char *p = name; p && *p; p++)
                        *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
                json_array_append_new(rl, json_pack("{s:s, s:I, s:I}", "type", name, "soft", jint(v, "Soft"),
                                                    "hard", jint(v, "Hard")));
        }
        if (json_array_size(rl) > 0)
                json_object_set(proc, "rlimits", rl);
        json_decref(rl);
        rl = NULL;
        json_object_set_new(spec, "process", proc);
        engine_user_clear(&user);
        return 0;
fail:
        engine_user_clear(&user);
        json_decref(args);
        json_decref(env);
        json_decref(rl);
        return r;
}

int engine_spec_generate(const engine_spec_in_t *in, json_t **ret, cell_error_t *err)
{
        json_t *c = in->config, *hc = in->host_config;
        bool privileged = jbool(hc, "Privileged"), nnp = false;
        const char *net = jstr(hc, "NetworkMode"), *seccomp_opt = NULL;
        bool host_net = str_eq(net, "host"), host_uts = str_eq(jstr(hc, "UTSMode"), "host");
        _cleanup_strv_ char **caps = NULL, **add = NULL, **drop = NULL;
        json_t *spec = NULL, *mounts = NULL, *linux_ = NULL, *ns = NULL, *res, *devices,
               *mounts_out = in->mounts_out;
        char hostname[256];
        size_t i;
        json_t *v;
        int r = -1;

        if (jstr(c, "Hostname") && *jstr(c, "Hostname"))
                str_copy(hostname, sizeof(hostname), jstr(c, "Hostname"));
        else if (host_net || host_uts)
                gethostname(hostname, sizeof(hostname));
        else
                snprintf(hostname, sizeof(hostname), "%.12s", in->id);
        json_array_foreach(json_object_get(hc, "CapAdd"), i, v) strv_push(&add, json_string_value(v));
        json_array_foreach(json_object_get(hc, "CapDrop"), i, v) strv_push(&drop, json_string_value(v));
        if (engine_caps_resolve(add, drop, privileged, &caps, err) < 0)
                goto out;
        if (security_opts(hc, &seccomp_opt, &nnp, err) < 0)
                goto out;

        spec = json_pack("{s:s, s:{s:s, s:b}, s:s}", "ociVersion", "1.0.2", "root", "path", in->rootfs,
                         "readonly", jbool(hc, "ReadonlyRootfs"), "hostname", hostname);
        if (!spec) {
                r = cell_error_set(err, ENOMEM, "spec");
                goto out;
        }
        if (process_section(in, spec, hostname, caps, nnp, err) < 0)
                goto out;

        mounts = default_mounts(privileged, jint(hc, "ShmSize"));
        if (etc_files(in, hostname, host_net, mounts, err) < 0 ||
            user_mounts(in, mounts, mounts_out, err) < 0)
                goto out;
        if (jbool(hc, "Init")) {
                const char *tini = access("/usr/bin/tini-static", X_OK) == 0 ? "/usr/bin/tini-static" : NULL;

                if (!tini) {
                        r = cell_error_plain(err, ENOENT,
                                             "--init: /usr/bin/tini-static is missing (Debian's tini)");
                        goto out;
                }
                json_array_append_new(mounts,
                                      mount_new("/sbin/docker-init", "bind", tini, "bind,ro,nosuid,nodev"));
        }
        json_object_set_new(spec, "mounts", mounts);
        mounts = NULL;

        ns = json_array();
        if (namespace_add(ns, "pid", jstr(hc, "PidMode"), "--pid", err) < 0 ||
            namespace_add(ns, "ipc", jstr(hc, "IpcMode"), "--ipc", err) < 0 ||
            namespace_add(ns, "uts", jstr(hc, "UTSMode"), "--uts", err) < 0 ||
            (!host_net && in->netns &&
             json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", in->netns)) < 0) ||
            (!host_net && !in->netns && namespace_add(ns, "network", net, "--network", err) < 0))
                goto out;
        json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
        if (host_uts || host_net)
                json_object_del(spec, "hostname");

        res = resources(hc, privileged);
        devices = privileged ? host_devices() : json_array();
        if (user_devices(hc, devices, json_object_get(res, "devices"), err) < 0) {
                json_decref(res);
                json_decref(devices);
                goto out;
        }
        linux_ = json_pack("{s:o, s:o, s:o, s:s}", "namespaces", ns, "resources", res, "devices", devices,
                           "cgroupsPath", "");
        ns = NULL;
        {
                _cleanup_free_ char *cg = str_printf("/cell/%s", in->id);

                json_object_set_new(linux_, "cgroupsPath", json_string(cg ? cg : ""));
        }
        if (!privileged) {
                json_object_set_new(linux_, "maskedPaths", engine_default_masked_paths());
                json_object_set_new(linux_, "readonlyPaths", engine_default_readonly_paths());
        }
        if (!privileged && !str_eq(seccomp_opt, "unconfined")) {
                json_t *sc = seccomp_section(seccomp_opt, caps, err);

                if (!sc)
                        goto out;
                json_object_set_new(linux_, "seccomp", sc);
        }
        {
                json_t *sysctl = json_object_get(hc, "Sysctls");

                if (json_is_object(sysctl) && json_object_size(sysctl) > 0)
                        json_object_set(linux_, "sysctl", sysctl);
        }
        json_object_set_new(spec, "linux", linux_);
        linux_ = NULL;
        /* Docker lists a container's mounts by destination. */
        {
                size_t n = json_array_size(mounts_out);

                for (size_t k = 1; k < n; k++)
                        for (size_t j = k; j > 0; j--) {
                                json_t *x = json_array_get(mounts_out, j - 1),
                                       *y = json_array_get(mounts_out, j);

                                if (strcmp(jstr(x, "Destination") ? jstr(x, "Destination") : "",
                                           jstr(y, "Destination") ? jstr(y, "Destination") : "") <= 0)
                                        break;
                                json_incref(x);
                                json_array_set(mounts_out, j - 1, y);
                                json_array_set_new(mounts_out, j, x);
                        }
        }
        *ret = steal_pointer(&spec);
        r = 0;
out:
        json_decref(spec);
        json_decref(mounts);
        json_decref(linux_);
        json_decref(ns);
        return r;
}
