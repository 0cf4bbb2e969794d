/* cell: unit tests for the config.json parser (lib/runtime/spec.c).
 *
 * A valid document must come out as the typed structs the rest of the runtime
 * trusts, and every invalid one must be refused with a message that names the
 * field, since that message is all a user gets to find the mistake. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "spec.h"
#include "strutil.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY  0x00000001
#define MOUNT_ATTR_NOSUID  0x00000002
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR__ATIME  0x00000070
#endif

#define CAP_BIT(name) (1ULL << (unsigned)spec_cap_from_name(name))

static spec_t *parse_ok(const char *doc)
{
        cell_error_t err = {0};
        spec_t *s = spec_parse(doc, strlen(doc), &err);

        if (!s)
                fail_msg("spec_parse failed: %s\n--- document:\n%s", err.msg, doc);
        return s;
}

static const spec_mount_t *find_mount(const spec_t *s, const char *dest)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (strcmp(s->mounts[i].destination, dest) == 0)
                        return &s->mounts[i];
        fail_msg("no mount at %s", dest);
        return NULL;
}

/* ---- the default config round-trips ---- */

static void test_default_spec_parses(void **state)
{
        json_t *def = spec_default(false);
        char *doc;
        spec_t *s;
        const spec_mount_t *m;

        assert_non_null(def);
        doc = json_dumps(def, JSON_INDENT(2));
        assert_non_null(doc);
        s = parse_ok(doc);

        assert_string_equal(s->oci_version, "1.2.0");
        assert_string_equal(s->root_path, "rootfs");
        assert_true(s->root_readonly);
        assert_string_equal(s->hostname, "cell");
        assert_true(s->has_process);
        assert_true(s->process.terminal);
        assert_string_equal(s->process.args[0], "sh");
        assert_null(s->process.args[1]);
        assert_string_equal(s->process.cwd, "/");
        assert_true(s->process.no_new_privileges);
        assert_int_equal(s->process.n_rlimits, 1);
        assert_int_equal(s->process.rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(s->process.rlimits[0].hard, 1024);
        assert_int_equal(s->process.rlimits[0].soft, 1024);

        assert_true(s->process.has_capabilities);
        {
                uint64_t want =
                        CAP_BIT("CAP_AUDIT_WRITE") | CAP_BIT("CAP_KILL") | CAP_BIT("CAP_NET_BIND_SERVICE");

                assert_int_equal(s->process.caps[SPEC_CAP_BOUNDING], want);
                assert_int_equal(s->process.caps[SPEC_CAP_EFFECTIVE], want);
                assert_int_equal(s->process.caps[SPEC_CAP_PERMITTED], want);
                assert_int_equal(s->process.caps[SPEC_CAP_AMBIENT], want);
                assert_false(s->process.cap_listed[SPEC_CAP_INHERITABLE]);
                assert_int_equal(s->process.caps[SPEC_CAP_INHERITABLE], 0);
        }

        assert_int_equal(s->n_mounts, 7);
        m = find_mount(s, "/dev");
        assert_string_equal(m->type, "tmpfs");
        assert_int_equal(m->flags, MS_NOSUID | MS_STRICTATIME);
        assert_string_equal(m->data, "mode=755,size=65536k");
        m = find_mount(s, "/sys");
        assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
        assert_null(m->data);
        assert_false(m->bind);

        assert_true(s->namespaces[SPEC_NS_PID].present);
        assert_true(s->namespaces[SPEC_NS_NET].present);
        assert_true(s->namespaces[SPEC_NS_IPC].present);
        assert_true(s->namespaces[SPEC_NS_UTS].present);
        assert_true(s->namespaces[SPEC_NS_MOUNT].present);
        assert_true(s->namespaces[SPEC_NS_CGROUP].present);
        assert_false(s->namespaces[SPEC_NS_USER].present);
        assert_false(s->namespaces[SPEC_NS_TIME].present);
        assert_null(s->namespaces[SPEC_NS_PID].path);
        assert_non_null(s->resources);
        assert_null(s->seccomp);
        assert_int_equal(strv_length(s->masked_paths), 10);
        assert_int_equal(strv_length(s->readonly_paths), 5);

        spec_free(s);
        free(doc);
        json_decref(def);
}

static void test_default_rootless_spec_parses(void **state)
{
        json_t *def = spec_default(true);
        char *doc = json_dumps(def, JSON_COMPACT);
        spec_t *s = parse_ok(doc);

        assert_true(s->namespaces[SPEC_NS_USER].present);
        assert_false(s->namespaces[SPEC_NS_NET].present);
        assert_int_equal(s->n_uid_mappings, 1);
        assert_int_equal(s->uid_mappings[0].container_id, 0);
        assert_int_equal(s->uid_mappings[0].host_id, getuid());
        assert_int_equal(s->uid_mappings[0].size, 1);
        assert_int_equal(s->n_gid_mappings, 1);
        assert_int_equal(s->gid_mappings[0].host_id, getgid());
        assert_null(s->resources);
        assert_true(find_mount(s, "/sys")->bind);
        assert_true(find_mount(s, "/sys")->recursive_bind);
        for (size_t i = 0; i < s->n_mounts; i++)
                assert_string_not_equal(s->mounts[i].destination, "/sys/fs/cgroup");
        spec_free(s);
        free(doc);
        json_decref(def);
}

/* ---- a config with every section ---- */

#define HEAD_FOR_RLIMIT "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"

static const char full_config[] =
        "{\n"
        "  \"ociVersion\": \"1.2.0\",\n"
        "  \"root\": {\"path\": \"/var/lib/box/rootfs\", \"readonly\": false},\n"
        "  \"hostname\": \"box\",\n"
        "  \"domainname\": \"example.org\",\n"
        "  \"mounts\": [\n"
        "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
        "    {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
        "     \"options\": [\"nosuid\", \"nodev\", \"noexec\", \"mode=1777\", \"rw\", \"size=64k\", "
        "\"strictatime\"]},\n"
        "    {\"destination\": \"/data\", \"source\": \"/srv/data\",\n"
        "     \"options\": [\"rbind\", \"ro\", \"rprivate\", \"rnosuid\", \"rro\"]},\n"
        "    {\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"/srv/b\",\n"
        "     \"options\": [\"suid\", \"dev\", \"exec\", \"shared\", \"slave\"]},\n"
        "    {\"destination\": \"/c\", \"type\": \"none\", \"source\": \"/srv/c\",\n"
        "     \"options\": [\"bind\", \"noatime\", \"rnoatime\", \"runbindable\", \"z\", \"tmpcopyup\"]},\n"
        "    {\"destination\": \"/d\", \"type\": \"none\", \"source\": \"/srv/d\",\n"
        "     \"options\": [\"bind\", \"ro\", \"rw\", \"rrw\", \"rrelatime\"]}\n"
        "  ],\n"
        "  \"process\": {\n"
        "    \"terminal\": false,\n"
        "    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
        "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
        "    \"args\": [\"/bin/app\", \"--flag\", \"\"],\n"
        "    \"env\": [\"PATH=/usr/bin:/bin\", \"EMPTY=\"],\n"
        "    \"cwd\": \"/srv\",\n"
        "    \"capabilities\": {\n"
        "      \"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_SYS_ADMIN\"],\n"
        "      \"effective\": [\"CAP_KILL\"],\n"
        "      \"inheritable\": [],\n"
        "      \"permitted\": [\"CAP_CHOWN\", \"CAP_KILL\"],\n"
        "      \"ambient\": [\"net_bind_service\"]\n"
        "    },\n"
        "    \"rlimits\": [\n"
        "      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": 1024},\n"
        "      {\"type\": \"RLIMIT_CORE\", \"hard\": 1.8446744073709552e19, \"soft\": 0}\n"
        "    ],\n"
        "    \"noNewPrivileges\": true,\n"
        "    \"apparmorProfile\": \"cell-default\",\n"
        "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\",\n"
        "    \"oomScoreAdj\": -500,\n"
        "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 4}\n"
        "  },\n"
        "  \"hooks\": {\n"
        "    \"prestart\": [{\"path\": \"/hooks/a\", \"args\": [\"a\", \"x\"], \"env\": [\"K=V\"], "
        "\"timeout\": 1}],\n"
        "    \"createRuntime\": [{\"path\": \"/hooks/b\", \"timeout\": 2}, {\"path\": \"/hooks/b2\"}],\n"
        "    \"createContainer\": [{\"path\": \"/hooks/c\", \"timeout\": 3}],\n"
        "    \"startContainer\": [{\"path\": \"/hooks/d\", \"timeout\": 4}],\n"
        "    \"poststart\": [{\"path\": \"/hooks/e\", \"timeout\": 5}],\n"
        "    \"poststop\": [{\"path\": \"/hooks/f\", \"timeout\": 6}]\n"
        "  },\n"
        "  \"annotations\": {\"org.example.key\": \"value\"},\n"
        "  \"linux\": {\n"
        "    \"namespaces\": [\n"
        "      {\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"},\n"
        "      {\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"\"}, {\"type\": \"uts\"},\n"
        "      {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}\n"
        "    ],\n"
        "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
        "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1},\n"
        "                    {\"containerID\": 1, \"hostID\": 300000, \"size\": 1000}],\n"
        "    \"timeOffsets\": {\"monotonic\": {\"secs\": 86400, \"nanosecs\": 5},\n"
        "                    \"boottime\": {\"secs\": -3}},\n"
        "    \"devices\": [\n"
        "      {\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
        "       \"fileMode\": 438, \"uid\": 0, \"gid\": 5},\n"
        "      {\"path\": \"/dev/loop9\", \"type\": \"b\", \"major\": 7, \"minor\": 9},\n"
        "      {\"path\": \"/dev/fifo\", \"type\": \"p\"}\n"
        "    ],\n"
        "    \"cgroupsPath\": \"/cell/box\",\n"
        "    \"resources\": {\"memory\": {\"limit\": 1048576}},\n"
        "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"},\n"
        "    \"rootfsPropagation\": \"rslave\",\n"
        "    \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],\n"
        "    \"readonlyPaths\": [\"/proc/sys\"],\n"
        "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"4096\"},\n"
        "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\",\n"
        "    \"personality\": {\"domain\": \"LINUX32\"}\n"
        "  }\n"
        "}\n";

static void test_full_config_top_level(void **state)
{
        spec_t *s = parse_ok(full_config);

        assert_string_equal(s->oci_version, "1.2.0");
        assert_string_equal(s->root_path, "/var/lib/box/rootfs");
        assert_false(s->root_readonly);
        assert_string_equal(s->hostname, "box");
        assert_string_equal(s->domainname, "example.org");
        assert_non_null(s->annotations);
        assert_string_equal(json_string_value(json_object_get(s->annotations, "org.example.key")), "value");
        assert_non_null(s->raw);
        spec_free(s);
}

static void test_full_config_mounts(void **state)
{
        spec_t *s = parse_ok(full_config);
        const spec_mount_t *m;

        assert_int_equal(s->n_mounts, 6);

        m = find_mount(s, "/proc");
        assert_string_equal(m->type, "proc");
        assert_string_equal(m->source, "proc");
        assert_null(m->options);
        assert_int_equal(m->flags, 0);
        assert_int_equal(m->clear_flags, 0);
        assert_false(m->bind);
        assert_int_equal(m->n_propagation, 0);
        assert_null(m->data);

        /* flags set and cleared, file-system data kept in order */
        m = find_mount(s, "/tmp");
        assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME);
        assert_int_equal(m->clear_flags, MS_RDONLY);
        assert_string_equal(m->data, "mode=1777,size=64k");
        assert_false(m->bind);
        assert_int_equal(m->attr_set, 0);

        /* rbind without a type; recursive attributes and propagation */
        m = find_mount(s, "/data");
        assert_null(m->type);
        assert_true(m->bind);
        assert_true(m->recursive_bind);
        assert_int_equal(m->flags, MS_RDONLY);
        assert_int_equal(m->attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
        assert_int_equal(m->attr_clr, 0);
        assert_int_equal(m->n_propagation, 1);
        assert_int_equal(m->propagation[0].flag, MS_PRIVATE);
        assert_true(m->propagation[0].recursive);
        assert_null(m->data);

        /* type "bind" alone means a (non-recursive) bind mount */
        m = find_mount(s, "/b");
        assert_true(m->bind);
        assert_false(m->recursive_bind);
        assert_int_equal(m->flags, 0);
        assert_int_equal(m->clear_flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
        assert_int_equal(m->n_propagation, 2);
        assert_int_equal(m->propagation[0].flag, MS_SHARED);
        assert_false(m->propagation[0].recursive);
        assert_int_equal(m->propagation[1].flag, MS_SLAVE);
        assert_false(m->propagation[1].recursive);

        /* atime attributes clear the whole atime field; options of other
         * runtimes (z, tmpcopyup) are not passed to the kernel */
        m = find_mount(s, "/c");
        assert_true(m->bind);
        assert_false(m->recursive_bind);
        assert_int_equal(m->flags, MS_NOATIME);
        assert_int_equal(m->attr_set, MOUNT_ATTR_NOATIME);
        assert_int_equal(m->attr_clr, MOUNT_ATTR__ATIME);
        assert_int_equal(m->n_propagation, 1);
        assert_int_equal(m->propagation[0].flag, MS_UNBINDABLE);
        assert_true(m->propagation[0].recursive);
        assert_null(m->data);

        /* the last of ro/rw wins */
        m = find_mount(s, "/d");
        assert_int_equal(m->flags & MS_RDONLY, 0);
        assert_int_equal(m->clear_flags, MS_RDONLY);
        assert_int_equal(m->attr_set, 0);
        assert_int_equal(m->attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME);
        spec_free(s);
}

static void test_full_config_process(void **state)
{
        spec_t *s = parse_ok(full_config);
        const spec_process_t *p = &s->process;

        assert_true(s->has_process);
        assert_false(p->terminal);
        assert_int_equal(p->console_height, 24);
        assert_int_equal(p->console_width, 80);
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->gid, 1001);
        assert_true(p->has_umask);
        assert_int_equal(p->umask, 18);
        assert_int_equal(p->n_additional_gids, 2);
        assert_int_equal(p->additional_gids[0], 5);
        assert_int_equal(p->additional_gids[1], 6);
        assert_int_equal(strv_length(p->args), 3);
        assert_string_equal(p->args[0], "/bin/app");
        assert_string_equal(p->args[2], "");
        assert_int_equal(strv_length(p->env), 2);
        assert_string_equal(p->env[1], "EMPTY=");
        assert_string_equal(p->cwd, "/srv");

        assert_true(p->has_capabilities);
        assert_int_equal(p->caps[SPEC_CAP_BOUNDING],
                         CAP_BIT("CAP_CHOWN") | CAP_BIT("CAP_KILL") | CAP_BIT("CAP_SYS_ADMIN"));
        assert_int_equal(p->caps[SPEC_CAP_BOUNDING], (1ULL << 0) | (1ULL << 5) | (1ULL << 21));
        assert_int_equal(p->caps[SPEC_CAP_EFFECTIVE], 1ULL << 5);
        assert_true(p->cap_listed[SPEC_CAP_INHERITABLE]);
        assert_int_equal(p->caps[SPEC_CAP_INHERITABLE], 0);
        assert_int_equal(p->caps[SPEC_CAP_PERMITTED], (1ULL << 0) | (1ULL << 5));
        assert_int_equal(p->caps[SPEC_CAP_AMBIENT], 1ULL << 10);
        for (int i = 0; i < SPEC_CAP__MAX; i++)
                assert_true(p->cap_listed[i]);

        assert_int_equal(p->n_rlimits, 2);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].hard, 4096);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
        assert_true(p->rlimits[1].hard == UINT64_MAX);
        assert_int_equal(p->rlimits[1].soft, 0);

        assert_true(p->no_new_privileges);
        assert_string_equal(p->apparmor_profile, "cell-default");
        assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
        assert_true(p->has_oom_score_adj);
        assert_int_equal(p->oom_score_adj, -500);
        assert_true(p->has_io_priority);
        assert_int_equal(p->io_priority_class, 2); /* IOPRIO_CLASS_BE */
        assert_int_equal(p->io_priority, 4);
        spec_free(s);
}

static void test_full_config_hooks(void **state)
{
        spec_t *s = parse_ok(full_config);
        static const char *const paths[SPEC_HOOK__MAX] = {"/hooks/a", "/hooks/b", "/hooks/c",
                                                          "/hooks/d", "/hooks/e", "/hooks/f"};

        for (int k = 0; k < SPEC_HOOK__MAX; k++) {
                assert_int_equal(s->n_hooks[k], k == SPEC_HOOK_CREATE_RUNTIME ? 2 : 1);
                assert_string_equal(s->hooks[k][0].path, paths[k]);
                assert_int_equal(s->hooks[k][0].timeout, k + 1);
        }
        assert_string_equal(spec_hook_name(SPEC_HOOK_PRESTART), "prestart");
        assert_string_equal(spec_hook_name(SPEC_HOOK_POSTSTOP), "poststop");
        assert_string_equal(s->hooks[SPEC_HOOK_PRESTART][0].args[1], "x");
        assert_string_equal(s->hooks[SPEC_HOOK_PRESTART][0].env[0], "K=V");
        assert_string_equal(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].path, "/hooks/b2");
        assert_int_equal(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].timeout, 0);
        assert_null(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].args);
        spec_free(s);
}

static void test_full_config_linux(void **state)
{
        spec_t *s = parse_ok(full_config);

        for (int n = 0; n < SPEC_NS__MAX; n++)
                assert_true(s->namespaces[n].present);
        assert_string_equal(s->namespaces[SPEC_NS_NET].path, "/proc/1/ns/net");
        assert_null(s->namespaces[SPEC_NS_IPC].path); /* "" means a new one */
        assert_null(s->namespaces[SPEC_NS_PID].path);
        assert_string_equal(spec_ns_name(SPEC_NS_NET), "network");

        assert_int_equal(s->n_uid_mappings, 1);
        assert_int_equal(s->uid_mappings[0].container_id, 0);
        assert_int_equal(s->uid_mappings[0].host_id, 100000);
        assert_int_equal(s->uid_mappings[0].size, 65536);
        assert_int_equal(s->n_gid_mappings, 2);
        assert_int_equal(s->gid_mappings[1].container_id, 1);
        assert_int_equal(s->gid_mappings[1].host_id, 300000);
        assert_int_equal(s->gid_mappings[1].size, 1000);

        assert_true(s->has_time_offsets);
        assert_int_equal(s->time_offset_secs[0], 86400);
        assert_int_equal(s->time_offset_nsecs[0], 5);
        assert_true(s->time_offset_secs[1] == -3);
        assert_int_equal(s->time_offset_nsecs[1], 0);

        assert_int_equal(s->n_devices, 3);
        assert_string_equal(s->devices[0].path, "/dev/fuse");
        assert_int_equal(s->devices[0].type, 'c');
        assert_int_equal(s->devices[0].major, 10);
        assert_int_equal(s->devices[0].minor, 229);
        assert_true(s->devices[0].has_file_mode);
        assert_int_equal(s->devices[0].file_mode, 0666);
        assert_true(s->devices[0].has_uid);
        assert_true(s->devices[0].has_gid);
        assert_int_equal(s->devices[0].gid, 5);
        assert_int_equal(s->devices[1].type, 'b');
        assert_false(s->devices[1].has_file_mode);
        assert_false(s->devices[1].has_uid);
        assert_int_equal(s->devices[2].type, 'p');

        assert_string_equal(s->cgroups_path, "/cell/box");
        assert_non_null(s->resources);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(s->resources, "memory"), "limit")),
                1048576);
        assert_non_null(s->seccomp);
        assert_true(s->has_rootfs_propagation);
        assert_int_equal(s->rootfs_propagation, MS_SLAVE | MS_REC);
        assert_int_equal(strv_length(s->masked_paths), 2);
        assert_string_equal(s->masked_paths[1], "/sys/firmware");
        assert_int_equal(strv_length(s->readonly_paths), 1);
        assert_int_equal(s->n_sysctl, 2);
        for (size_t i = 0; i < s->n_sysctl; i++) {
                if (strcmp(s->sysctl[i].key, "net.ipv4.ip_forward") == 0)
                        assert_string_equal(s->sysctl[i].value, "1");
                else
                        assert_string_equal(s->sysctl[i].key, "kernel.shmmax");
        }
        assert_string_equal(s->mount_label, "system_u:object_r:container_file_t:s0");
        assert_true(s->has_personality);
        assert_int_equal(s->personality, PER_LINUX32);
        spec_free(s);
}

static void test_minimal_config(void **state)
{
        static const char doc[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\"}}";
        spec_t *s = parse_ok(doc);

        assert_false(s->has_process);
        assert_false(s->root_readonly);
        assert_int_equal(s->n_mounts, 0);
        assert_null(s->hostname);
        for (int n = 0; n < SPEC_NS__MAX; n++)
                assert_false(s->namespaces[n].present);
        spec_free(s);
}

/* RLIM_INFINITY as an integer, the way Go's encoding/json writes a uint64
 * (containerd, podman and docker configs with an "unlimited" ulimit). */
static void test_rlimit_unlimited_integer(void **state)
{
        static const char doc[] =
                HEAD_FOR_RLIMIT "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":["
                                "{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,"
                                "\"soft\":18446744073709551615},"
                                "{\"type\":\"RLIMIT_CORE\",\"hard\":9223372036854775808,\"soft\":1}]}}";
        spec_t *s = parse_ok(doc);

        assert_int_equal(s->process.n_rlimits, 2);
        assert_true(s->process.rlimits[0].hard == UINT64_MAX);
        assert_true(s->process.rlimits[0].soft == UINT64_MAX);
        assert_true(s->process.rlimits[1].hard == 9223372036854775808ULL);
        spec_free(s);
}

/* An empty hostname needs no uts namespace: there is nothing to set. */
static void test_empty_hostname_without_uts(void **state)
{
        static const char doc[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"hostname\":\"\"}";

        spec_free(parse_ok(doc));
}

/* ---- idmapped mounts: mounts[].uidMappings/gidMappings, idmap, ridmap ---- */

static const char idmap_config[] =
        "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"},\n"
        " \"mounts\": [\n"
        "  {\"destination\": \"/own\", \"type\": \"bind\", \"source\": \"/src\", \"options\": [\"idmap\"],\n"
        "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000},\n"
        "                   {\"containerID\": 1000, \"hostID\": 200000, \"size\": 10}],\n"
        "   \"gidMappings\": [{\"containerID\": 5, \"hostID\": 300000, \"size\": 1}]},\n"
        "  {\"destination\": \"/rec\", \"source\": \"/src\", \"options\": [\"rbind\", \"ridmap\"]},\n"
        "  {\"destination\": \"/noopt\", \"source\": \"/src\", \"options\": [\"bind\"],\n"
        "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}],\n"
        "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]},\n"
        "  {\"destination\": \"/plain\", \"source\": \"/src\", \"options\": [\"bind\"],\n"
        "   \"uidMappings\": null, \"gidMappings\": []}\n"
        " ],\n"
        " \"linux\": {\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"mount\"}]}}\n";

static void test_mount_id_maps(void **state)
{
        spec_t *s = parse_ok(idmap_config);
        const spec_mount_t *m;

        /* its own mappings, uid and gid lists of different lengths */
        m = find_mount(s, "/own");
        assert_true(m->idmap);
        assert_false(m->idmap_recursive);
        assert_int_equal(m->n_uid_mappings, 2);
        assert_int_equal(m->uid_mappings[0].container_id, 0);
        assert_int_equal(m->uid_mappings[0].host_id, 100000);
        assert_int_equal(m->uid_mappings[0].size, 1000);
        assert_int_equal(m->uid_mappings[1].container_id, 1000);
        assert_int_equal(m->uid_mappings[1].host_id, 200000);
        assert_int_equal(m->uid_mappings[1].size, 10);
        assert_int_equal(m->n_gid_mappings, 1);
        assert_int_equal(m->gid_mappings[0].container_id, 5);
        assert_int_equal(m->gid_mappings[0].host_id, 300000);
        /* the option is not passed to the kernel */
        assert_null(m->data);

        /* ridmap without mappings: recursive, the container's user namespace */
        m = find_mount(s, "/rec");
        assert_true(m->idmap);
        assert_true(m->idmap_recursive);
        assert_true(m->recursive_bind);
        assert_int_equal(m->n_uid_mappings, 0);
        assert_null(m->data);

        /* mappings without the option still ask for an idmapped mount */
        m = find_mount(s, "/noopt");
        assert_true(m->idmap);
        assert_int_equal(m->n_uid_mappings, 1);

        /* null and empty lists are no mapping at all */
        m = find_mount(s, "/plain");
        assert_false(m->idmap);
        assert_int_equal(m->n_uid_mappings, 0);
        assert_int_equal(m->n_gid_mappings, 0);
        spec_free(s);
}

/* The linux maps take several ranges, and the checks that apply to them
 * (range end, overlap) are the same code as for mounts. */
static void test_linux_id_maps_several_ranges(void **state)
{
        static const char doc[] =
                "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}, \"linux\": {"
                "\"namespaces\": [{\"type\": \"user\"}],"
                "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1},"
                "                  {\"containerID\": 1, \"hostID\": 100000, \"size\": 65536},"
                "                  {\"containerID\": 65537, \"hostID\": 4294901759, \"size\": 65536}],"
                "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}}";
        spec_t *s = parse_ok(doc);

        assert_int_equal(s->n_uid_mappings, 3);
        assert_int_equal(s->uid_mappings[2].host_id, 4294901759u);
        assert_int_equal(s->uid_mappings[2].size, 65536);
        assert_int_equal(s->n_gid_mappings, 1);
        spec_free(s);
}

/* ---- invalid documents: each is refused, naming the field ---- */

typedef struct {
        const char *name;
        const char *doc;
        const char *field; /* must appear in the error message */
} bad_case_t;

#define HEAD     "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
#define PROC     "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\""
#define NS(list) "\"linux\":{\"namespaces\":[" list "]"

static const bad_case_t bad_cases[] = {
        {"missing ociVersion", "{\"root\":{\"path\":\"rootfs\"}}", "ociVersion"},
        {"ociVersion not a string", "{\"ociVersion\":1,\"root\":{\"path\":\"rootfs\"}}", "ociVersion"},
        {"root missing", "{\"ociVersion\":\"1.2.0\"}", "root"},
        {"root not an object", "{\"ociVersion\":\"1.2.0\",\"root\":\"rootfs\"}", "root"},
        {"root.path missing", "{\"ociVersion\":\"1.2.0\",\"root\":{}}", "root.path"},
        {"root.readonly not a bool",
         "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}", "root.readonly"},
        {"document not an object", "[1, 2, 3]", "config.json"},
        {"relative cwd", HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}}", "process.cwd"},
        {"cwd missing", HEAD "\"process\":{\"args\":[\"sh\"]}}", "process.cwd"},
        {"args missing", HEAD "\"process\":{\"cwd\":\"/\"}}", "process.args"},
        {"args empty", HEAD "\"process\":{\"args\":[],\"cwd\":\"/\"}}", "process.args"},
        {"args not strings", HEAD "\"process\":{\"args\":[\"sh\",1],\"cwd\":\"/\"}}", "process.args[1]"},
        {"env without =", HEAD PROC ",\"env\":[\"A=1\",\"NOEQUALS\"]}}", "process.env[1]"},
        {"env starting with =", HEAD PROC ",\"env\":[\"=x\"]}}", "process.env[0]"},
        {"uid a string", HEAD PROC ",\"user\":{\"uid\":\"0\",\"gid\":0}}}", "process.user.uid"},
        {"uid negative", HEAD PROC ",\"user\":{\"uid\":-1,\"gid\":0}}}", "process.user.uid"},
        {"gid too large", HEAD PROC ",\"user\":{\"uid\":0,\"gid\":4294967296}}}", "process.user.gid"},
        {"uid a fraction", HEAD PROC ",\"user\":{\"uid\":1.5,\"gid\":0}}}", "process.user.uid"},
        {"uid a huge real", HEAD PROC ",\"user\":{\"uid\":1e300,\"gid\":0}}}", "process.user.uid"},
        {"umask too large", HEAD PROC ",\"user\":{\"umask\":512}}}", "process.user.umask"},
        {"additionalGids bad", HEAD PROC ",\"user\":{\"additionalGids\":[1,\"x\"]}}}",
         "process.user.additionalGids[1]"},
        {"terminal a string", HEAD PROC ",\"terminal\":\"true\"}}", "process.terminal"},
        {"consoleSize too large", HEAD PROC ",\"consoleSize\":{\"height\":70000,\"width\":1}}}",
         "process.consoleSize.height"},
        {"process not an object", HEAD "\"process\":[]}", "process"},
        {"unknown rlimit", HEAD PROC ",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"hard\":1,\"soft\":1}]}}",
         "process.rlimits[0].type"},
        {"duplicate rlimit",
         HEAD PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1},"
                   "{\"type\":\"RLIMIT_NOFILE\",\"hard\":2,\"soft\":2}]}}",
         "process.rlimits[1].type"},
        {"rlimit hard missing", HEAD PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}}",
         "process.rlimits[0].hard"},
        {"rlimit negative", HEAD PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":-1}]}}",
         "process.rlimits[0].soft"},
        {"rlimit soft a string",
         HEAD PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":\"1\"}]}}",
         "process.rlimits[0].soft"},
        {"unknown capability", HEAD PROC ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_BOGUS\"]}}}",
         "process.capabilities.bounding[1]"},
        {"capability set not an array", HEAD PROC ",\"capabilities\":{\"effective\":\"CAP_CHOWN\"}}}",
         "process.capabilities.effective"},
        {"oomScoreAdj out of range", HEAD PROC ",\"oomScoreAdj\":1001}}", "process.oomScoreAdj"},
        {"ioPriority bad class", HEAD PROC ",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_X\"}}}",
         "process.ioPriority.class"},
        {"ioPriority out of range",
         HEAD PROC ",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}}}",
         "process.ioPriority.priority"},
        {"unknown namespace type", HEAD NS("{\"type\":\"pid\"},{\"type\":\"bogus\"}") "}}",
         "linux.namespaces[1].type"},
        {"duplicate namespace", HEAD NS("{\"type\":\"pid\"},{\"type\":\"pid\"}") "}}",
         "linux.namespaces[1].type"},
        {"namespace type net (not network)", HEAD NS("{\"type\":\"net\"}") "}}", "linux.namespaces[0].type"},
        {"duplicate namespace later",
         HEAD NS("{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"pid\"}") "}}",
         "linux.namespaces[2].type"},
        {"namespace relative path", HEAD NS("{\"type\":\"net\",\"path\":\"proc/1/ns/net\"}") "}}",
         "linux.namespaces[0]"},
        {"namespace without type", HEAD NS("{\"path\":\"/proc/1/ns/net\"}") "}}", "linux.namespaces[0].type"},
        {"relative mount destination",
         HEAD "\"mounts\":[{\"destination\":\"proc\",\"type\":\"proc\",\"source\":\"proc\"}]}",
         "mounts[0].destination"},
        {"mount destination missing", HEAD "\"mounts\":[{\"type\":\"proc\",\"source\":\"proc\"}]}",
         "mounts[0].destination"},
        {"bind without source",
         HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
              "{\"destination\":\"/x\",\"options\":[\"rbind\"]}]}",
         "mounts[1].source"},
        {"bind type without source", HEAD "\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}]}",
         "mounts[0].source"},
        {"mount without type", HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"tmpfs\"}]}",
         "mounts[0].type"},
        {"mount options not strings",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\","
              "\"options\":[\"ro\",7]}]}",
         "mounts[0].options[1]"},
        {"too many propagation options",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\","
              "\"options\":[\"private\",\"shared\",\"slave\",\"rprivate\",\"rslave\"]}]}",
         "mounts[0].options"},
        {"mounts not an array", HEAD "\"mounts\":{}}", "mounts"},
        {"hook with relative path", HEAD "\"hooks\":{\"prestart\":[{\"path\":\"bin/hook\"}]}}",
         "hooks.prestart[0].path"},
        {"hook without path", HEAD "\"hooks\":{\"poststop\":[{\"args\":[\"x\"]}]}}",
         "hooks.poststop[0].path"},
        {"hook timeout 0", HEAD "\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/h\",\"timeout\":0}]}}",
         "hooks.createRuntime[0].timeout"},
        {"hook timeout negative", HEAD "\"hooks\":{\"poststart\":[{\"path\":\"/bin/h\",\"timeout\":-5}]}}",
         "hooks.poststart[0].timeout"},
        {"hook timeout a string",
         HEAD "\"hooks\":{\"startContainer\":[{\"path\":\"/bin/h\",\"timeout\":\"5\"}]}}",
         "hooks.startContainer[0].timeout"},
        {"hooks kind not an array", HEAD "\"hooks\":{\"createContainer\":{}}}", "hooks.createContainer"},
        {"bad device type",
         HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]}}",
         "linux.devices[0].type"},
        {"device type too long",
         HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"cb\",\"major\":1,\"minor\":1}]}}",
         "linux.devices[0].type"},
        {"device relative path",
         HEAD "\"linux\":{\"devices\":[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,"
              "\"minor\":1}]}}",
         "linux.devices[0].path"},
        {"char device without major",
         HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\","
              "\"minor\":1}]}}",
         "linux.devices[0].major"},
        {"device fileMode too large",
         HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"p\","
              "\"fileMode\":65536}]}}",
         "linux.devices[0].fileMode"},
        {"uidMappings without a user namespace",
         HEAD NS("{\"type\":\"pid\"}") ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}}",
         "linux.uidMappings"},
        {"gidMappings without a user namespace",
         HEAD "\"linux\":{\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}}",
         "linux.gidMappings"},
        {"id mapping without size",
         HEAD NS("{\"type\":\"user\"}") ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1000}]}}",
         "linux.uidMappings[0].size"},
        {"id mapping hostID a string",
         HEAD NS("{\"type\":\"user\"}") ",\"gidMappings\":[{\"containerID\":0,\"hostID\":\"1000\",\"size\":1}"
                                        "]}}",
         "linux.gidMappings[0].hostID"},
        {"id mappings overlapping in containerID",
         HEAD NS("{\"type\":\"user\"}") ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10},"
                                        "{\"containerID\":9,\"hostID\":5000,\"size\":1}]}}",
         "linux.uidMappings[1]: its containerID range overlaps entry 0"},
        {"id mappings overlapping in hostID",
         HEAD NS("{\"type\":\"user\"}") ",\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10},"
                                        "{\"containerID\":10,\"hostID\":1005,\"size\":1}]}}",
         "linux.gidMappings[1]: its hostID range overlaps entry 0"},
        {"id mapping past the last id",
         HEAD NS("{\"type\":\"user\"}") ",\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":0,"
                                        "\"size\":1}]}}",
         "linux.uidMappings[0]: containerID + size"},
        {"mount uidMappings without gidMappings",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\",\"idmap\"],"
              "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
         "mounts[0].gidMappings: missing"},
        {"mount gidMappings without uidMappings",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\"],"
              "\"uidMappings\":[],\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
         "mounts[0].uidMappings: missing"},
        {"mount uidMappings not an array",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\"],"
              "\"uidMappings\":{},\"gidMappings\":[]}]}",
         "mounts[0].uidMappings"},
        {"mount mapping without size",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\"],"
              "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}],"
              "\"gidMappings\":[{\"containerID\":0,\"hostID\":1}]}]}",
         "mounts[0].gidMappings[0].size"},
        {"mount mapping hostID negative",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\"],"
              "\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}],"
              "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
         "mounts[0].uidMappings[0].hostID"},
        {"mount mappings overlapping",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"bind\"],"
              "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":5},"
              "{\"containerID\":4,\"hostID\":100,\"size\":5}],"
              "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
         "mounts[0].uidMappings[1]: its containerID range overlaps entry 0"},
        {"idmap on a mount that is not a bind",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
              "\"options\":[\"idmap\"]}]}",
         "mounts[0].options: an idmapped mount must be a bind mount"},
        {"mount mappings on a mount that is not a bind",
         HEAD "\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
              "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}],"
              "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
         "mounts[0].options: an idmapped mount must be a bind mount"},
        {"idmap without mappings or a user namespace",
         HEAD "\"mounts\":[{\"destination\":\"/p\",\"type\":\"proc\",\"source\":\"proc\"},"
              "{\"destination\":\"/x\",\"source\":\"/s\",\"options\":[\"rbind\",\"ridmap\"]}]," NS(
                      "{\"type\":\"mount\"}") "}}",
         "mounts[1]: idmap without uidMappings and gidMappings"},
        {"hostname without a uts namespace", HEAD "\"hostname\":\"box\"}", "hostname"},
        {"hostname without a uts namespace, others listed",
         HEAD "\"hostname\":\"box\"," NS("{\"type\":\"pid\"}") "}}", "hostname"},
        {"domainname without a uts namespace", HEAD "\"domainname\":\"example.org\"}", "domainname"},
        {"hostname a number", HEAD "\"hostname\":5}", "hostname"},
        {"timeOffsets without a time namespace",
         HEAD "\"linux\":{\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}}", "linux.timeOffsets"},
        {"timeOffsets unknown clock", HEAD NS("{\"type\":\"time\"}") ",\"timeOffsets\":{\"realtime\":{}}}}",
         "linux.timeOffsets.realtime"},
        {"timeOffsets nanosecs too large",
         HEAD NS("{\"type\":\"time\"}") ",\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}}}",
         "linux.timeOffsets.boottime.nanosecs"},
        {"unknown rootfsPropagation", HEAD "\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
         "linux.rootfsPropagation"},
        {"relative maskedPaths", HEAD "\"linux\":{\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]}}",
         "linux.maskedPaths[1]"},
        {"relative readonlyPaths", HEAD "\"linux\":{\"readonlyPaths\":[\"proc/sys\"]}}",
         "linux.readonlyPaths[0]"},
        {"sysctl value not a string", HEAD "\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":1}}}",
         "linux.sysctl.net.ipv4.ip_forward"},
        {"sysctl name with ..", HEAD "\"linux\":{\"sysctl\":{\"net/../../x\":\"1\"}}}", "linux.sysctl"},
        {"unknown personality", HEAD "\"linux\":{\"personality\":{\"domain\":\"WINDOWS\"}}}",
         "linux.personality.domain"},
        {"resources not an object", HEAD "\"linux\":{\"resources\":[]}}", "linux.resources"},
        {"seccomp not an object", HEAD "\"linux\":{\"seccomp\":true}}", "linux.seccomp"},
        {"linux not an object", HEAD "\"linux\":[]}", "linux"},
        {"annotation not a string", HEAD "\"annotations\":{\"a\":1}}", "annotations.a"},
        {"duplicate key", HEAD "\"hostname\":\"a\",\"hostname\":\"b\"}", "config.json"},
        {"not JSON", "{\n  \"ociVersion\": \"1.2.0\",\n  \"root\": {\"path\": }\n}\n", "line 3, column"},
        {"truncated JSON", HEAD, "config.json: line 1"},
        {"empty document", "", "config.json"},
};

static void test_bad_config(void **state)
{
        const bad_case_t *c = *state;
        cell_error_t err = {0};
        spec_t *s = spec_parse(c->doc, strlen(c->doc), &err);

        if (s) {
                spec_free(s);
                fail_msg("accepted an invalid config (%s):\n%s", c->name, c->doc);
        }
        if (!strstr(err.msg, c->field))
                fail_msg("error \"%s\" does not name \"%s\"", err.msg, c->field);
        assert_int_not_equal(err.code, 0);
}

/* spec_parse takes a length: bytes after it are not part of the document. */
static void test_length_is_respected(void **state)
{
        static const char doc[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"}}GARBAGE";
        cell_error_t err = {0};
        spec_t *s = spec_parse(doc, strlen(doc) - strlen("GARBAGE"), &err);

        assert_non_null(s);
        spec_free(s);
        s = spec_parse(doc, strlen(doc), &err);
        assert_null(s);
        assert_non_null(strstr(err.msg, "config.json"));
}

/* A NULL error object is allowed. */
static void test_null_error_object(void **state)
{
        assert_null(spec_parse("{}", 2, NULL));
        spec_free(NULL);
}

/* ---- signals and capabilities by name ---- */

static void test_parse_signal(void **state)
{
        assert_int_equal(spec_parse_signal("KILL"), SIGKILL);
        assert_int_equal(spec_parse_signal("SIGKILL"), SIGKILL);
        assert_int_equal(spec_parse_signal("9"), 9);
        assert_int_equal(spec_parse_signal("sigterm"), SIGTERM);
        assert_int_equal(spec_parse_signal("term"), SIGTERM);
        assert_int_equal(spec_parse_signal("HUP"), SIGHUP);
        assert_int_equal(spec_parse_signal("SIGCHLD"), SIGCHLD);
        assert_int_equal(spec_parse_signal("RTMIN"), SIGRTMIN);
        assert_int_equal(spec_parse_signal("RTMIN+3"), SIGRTMIN + 3);
        assert_int_equal(spec_parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
        assert_int_equal(spec_parse_signal("RTMAX-2"), SIGRTMAX - 2);
        assert_int_equal(spec_parse_signal("RTMAX"), SIGRTMAX);
        assert_int_equal(spec_parse_signal("64"), 64);

        assert_int_equal(spec_parse_signal("bogus"), -1);
        assert_int_equal(spec_parse_signal("SIGBOGUS"), -1);
        assert_int_equal(spec_parse_signal(""), -1);
        assert_int_equal(spec_parse_signal(NULL), -1);
        assert_int_equal(spec_parse_signal("0"), -1);
        assert_int_equal(spec_parse_signal("65"), -1);
        assert_int_equal(spec_parse_signal("-9"), -1);
        assert_int_equal(spec_parse_signal("RTMAX+1"), -1);
        assert_int_equal(spec_parse_signal("RTMIN-1"), -1);
        assert_int_equal(spec_parse_signal("RTMINX"), -1);
        assert_int_equal(spec_parse_signal("RTMIN+"), -1);
        assert_int_equal(spec_parse_signal("SIG"), -1);
}

static void test_cap_from_name(void **state)
{
        assert_int_equal(spec_cap_from_name("CAP_SYS_ADMIN"), 21);
        assert_int_equal(spec_cap_from_name("sys_admin"), 21);
        assert_int_equal(spec_cap_from_name("cap_sys_admin"), 21);
        assert_int_equal(spec_cap_from_name("CAP_CHOWN"), 0);
        assert_int_equal(spec_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
        assert_int_equal(spec_cap_from_name("bogus"), -1);
        assert_int_equal(spec_cap_from_name("CAP_BOGUS"), -1);
        assert_int_equal(spec_cap_from_name(""), -1);
        assert_string_equal(spec_cap_name(21), "CAP_SYS_ADMIN");
        assert_null(spec_cap_name(-1));
        assert_null(spec_cap_name(1000));
        for (int c = 0; spec_cap_name(c); c++)
                assert_int_equal(spec_cap_from_name(spec_cap_name(c)), c);
        assert_true(spec_cap_last() >= 0 && spec_cap_last() <= 63);
}

static void test_rlimit_name(void **state)
{
        assert_string_equal(spec_rlimit_name(RLIMIT_NOFILE), "RLIMIT_NOFILE");
        assert_string_equal(spec_rlimit_name(RLIMIT_RTTIME), "RLIMIT_RTTIME");
        assert_string_equal(spec_rlimit_name(-1), "RLIMIT_?");
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_default_spec_parses),
                cmocka_unit_test(test_default_rootless_spec_parses),
                cmocka_unit_test(test_full_config_top_level),
                cmocka_unit_test(test_full_config_mounts),
                cmocka_unit_test(test_full_config_process),
                cmocka_unit_test(test_full_config_hooks),
                cmocka_unit_test(test_full_config_linux),
                cmocka_unit_test(test_minimal_config),
                cmocka_unit_test(test_empty_hostname_without_uts),
                cmocka_unit_test(test_rlimit_unlimited_integer),
                cmocka_unit_test(test_mount_id_maps),
                cmocka_unit_test(test_linux_id_maps_several_ranges),
                cmocka_unit_test(test_length_is_respected),
                cmocka_unit_test(test_null_error_object),
                cmocka_unit_test(test_parse_signal),
                cmocka_unit_test(test_cap_from_name),
                cmocka_unit_test(test_rlimit_name),
        };
        size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
        size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
        struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof(*tests));
        int r;

        if (!tests)
                return 1;
        memcpy(tests, fixed, sizeof(fixed));
        /* One test per invalid document, named after what is wrong with it. */
        for (size_t i = 0; i < n_bad; i++) {
                tests[n_fixed + i].name = bad_cases[i].name;
                tests[n_fixed + i].test_func = test_bad_config;
                tests[n_fixed + i].initial_state = (void *)&bad_cases[i];
        }
        r = _cmocka_run_group_tests("spec", tests, n_fixed + n_bad, NULL, NULL);
        free(tests);
        return r;
}
