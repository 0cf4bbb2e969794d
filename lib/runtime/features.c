/* cell: `features` — what this runtime supports, as the OCI features
 * document describes it, so that higher-level engines can ask. */
#include "internal.h"

#include <sys/mount.h>

#include "seccomp.h"

json_t *runtime_features(void)
{
        static const char *const mount_options[] = {
                "async",        "atime",       "bind",          "dev",      "diratime",   "dirsync",
                "exec",         "idmap",       "iversion",      "lazytime", "loud",       "mand",
                "noatime",      "nodev",       "nodiratime",    "noexec",   "noiversion", "nolazytime",
                "nomand",       "norelatime",  "nostrictatime", "nosuid",   "private",    "rbind",
                "rdev",         "rdiratime",   "relatime",      "remount",  "rexec",      "ridmap",
                "rnoatime",     "rnodev",      "rnodiratime",   "rnoexec",  "rnosuid",    "ro",
                "rprivate",     "rrelatime",   "rro",           "rrw",      "rshared",    "rslave",
                "rstrictatime", "rsuid",       "runbindable",   "rw",       "shared",     "silent",
                "slave",        "strictatime", "suid",          "sync",     "unbindable",
        };
        static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
                                            "startContainer", "poststart",     "poststop"};
        static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
                                                 "pid",    "time", "user",  "uts"};
        json_t *f = json_object(), *arr, *caps, *lx;
        int last = spec_cap_last();

        json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
        json_object_set_new(f, "ociVersionMax", json_string("1.2.0"));
        arr = json_array();
        for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
                json_array_append_new(arr, json_string(hooks[i]));
        json_object_set_new(f, "hooks", arr);
        arr = json_array();
        for (size_t i = 0; i < sizeof(mount_options) / sizeof(mount_options[0]); i++)
                json_array_append_new(arr, json_string(mount_options[i]));
        json_object_set_new(f, "mountOptions", arr);
        lx = json_object();
        arr = json_array();
        for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
                json_array_append_new(arr, json_string(namespaces[i]));
        json_object_set_new(lx, "namespaces", arr);
        caps = json_array();
        for (int c = 0; c <= last; c++)
                if (spec_cap_name(c))
                        json_array_append_new(caps, json_string(spec_cap_name(c)));
        json_object_set_new(lx, "capabilities", caps);
        json_object_set_new(lx, "cgroup",
                            json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 1, "systemdUser",
                                      0, "rdma", 1));
        json_object_set_new(lx, "seccomp", seccomp_features());
        json_object_set_new(lx, "apparmor", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(lx, "selinux", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(lx, "intelRdt", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(lx, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
        json_object_set_new(f, "linux", lx);
        json_object_set_new(f, "annotations", json_pack("{s:s}", "io.github.cell.version", "0.1.0"));
        return f;
}
