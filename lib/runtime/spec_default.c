/* cell: the config.json that `cell spec` writes: the same defaults runc
 * writes, so that people and tools moving from runc find what they know. */
#include "spec.h"

#include <string.h>
#include <unistd.h>

static const char default_spec[] =
        "{"
        "\"ociVersion\":\"1.2.0\","
        "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
        "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
        "\"cwd\":\"/\","
        "\"capabilities\":{"
        "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
        "\"noNewPrivileges\":true},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"cell\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
        "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
        "\"linux\":{"
        "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
        "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
        "{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
        "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/"
        "latency_stats\","
        "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
        "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}"
        "}";

json_t *spec_default(bool rootless)
{
        json_t *s = json_loads(default_spec, 0, NULL);
        json_t *lx, *ns, *mounts;
        size_t i;
        json_t *e;

        if (!s || !rootless)
                return s;
        /* Rootless: a user namespace mapping the caller to root, no network
         * namespace of its own (it could not be configured), /sys bound from
         * the host since sysfs cannot be mounted without a network namespace
         * owned by the user namespace, and no cgroup mount or device rules
         * that an unprivileged user cannot apply. */
        lx = json_object_get(s, "linux");
        json_object_del(lx, "resources");
        ns = json_array();
        json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
        json_object_set_new(lx, "namespaces", ns);
        json_object_set_new(lx, "uidMappings",
                            json_pack("[{s:I,s:I,s:I}]", "containerID", (json_int_t)0, "hostID",
                                      (json_int_t)getuid(), "size", (json_int_t)1));
        json_object_set_new(lx, "gidMappings",
                            json_pack("[{s:I,s:I,s:I}]", "containerID", (json_int_t)0, "hostID",
                                      (json_int_t)getgid(), "size", (json_int_t)1));
        mounts = json_object_get(s, "mounts");
        json_array_foreach(mounts, i, e)
        {
                const char *dest = json_string_value(json_object_get(e, "destination"));

                if (dest && strcmp(dest, "/sys") == 0) {
                        json_object_set_new(e, "type", json_string("none"));
                        json_object_set_new(e, "source", json_string("/sys"));
                        json_object_set_new(
                                e, "options",
                                json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
                }
                if (dest && strcmp(dest, "/dev/pts") == 0) {
                        json_t *opts = json_object_get(e, "options");
                        json_array_remove(opts, json_array_size(opts) - 1); /* gid=5 may be unmapped */
                }
        }
        for (i = json_array_size(mounts); i-- > 0;) {
                const char *dest =
                        json_string_value(json_object_get(json_array_get(mounts, i), "destination"));
                if (dest && strcmp(dest, "/sys/fs/cgroup") == 0)
                        json_array_remove(mounts, i);
        }
        return s;
}
