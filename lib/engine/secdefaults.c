/* cell: Docker's security defaults (capabilities, masked and read-only
 * paths) in OCI runtime-spec form.
 *
 * The lists are Docker's because that is what an image expects: an image
 * built and tested with `docker run` relies on CAP_CHOWN, CAP_SETUID and
 * the like being there, and a user who moves to cell expects the same
 * things to be refused. */
#include "jsonutil.h"
#include "secdefaults.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <strings.h>
#include <sys/capability.h>
#include <unistd.h>

#include "cleanup.h"
#include "strutil.h"

/* Capability numbers fit a 64-bit set: the kernel's bitmaps are two 32-bit
 * words and cap_last_cap is 40 on Linux 6.x. */
#define ENGINE_CAP_MAX 64

/* Docker's default set: what a process needs to act as root inside its
 * own file tree (own files, change ids, bind low ports, make device nodes
 * that the device cgroup still guards) and nothing that reaches beyond the
 * container (no CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE,
 * CAP_SYS_MODULE, CAP_DAC_READ_SEARCH...). */
static const char *const engine_caps_default[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
        NULL,
};

const char *const *engine_default_caps(void)
{
        return engine_caps_default;
}

/* The highest capability number the running kernel knows. */
static int engine_cap_last(int *ret, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        char buf[32];
        ssize_t n;
        long v;

        fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cell_error_errno(err, "reading /proc/sys/kernel/cap_last_cap");
        n = TEMP_FAILURE_RETRY_INT(read(fd, buf, sizeof(buf) - 1));
        if (n < 0)
                return cell_error_errno(err, "reading /proc/sys/kernel/cap_last_cap");
        buf[n] = '\0';
        if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
        if (str_to_long(buf, 0, ENGINE_CAP_MAX - 1, &v) < 0)
                return cell_error_plain(err, EINVAL, "/proc/sys/kernel/cap_last_cap: unexpected \"%s\"", buf);
        *ret = (int)v;
        return 0;
}

/* A capability name as the user wrote it ("sys_admin", "CAP_SYS_ADMIN",
 * "Cap_Sys_Admin") → its number. *ret_all is set for "ALL". libcap's
 * cap_from_name also takes numbers ("21"); Docker does not, and neither do
 * we: only letters, digits after the first letter, and '_'. */
static int engine_cap_parse(const char *flag, const char *name, bool *ret_all, int *ret, cell_error_t *err)
{
        char lower[64] = "cap_";
        const char *s = name;
        size_t n = 4;
        cap_value_t v;

        *ret_all = false;
        if (strcasecmp(name, "ALL") == 0) {
                *ret_all = true;
                return 0;
        }
        if (strncasecmp(s, "CAP_", 4) == 0)
                s += 4;
        if (!isalpha((unsigned char)*s))
                goto unknown;
        for (; *s; s++) {
                if (!isalnum((unsigned char)*s) && *s != '_')
                        goto unknown;
                if (n + 1 >= sizeof(lower))
                        goto unknown;
                lower[n++] = (char)tolower((unsigned char)*s);
        }
        lower[n] = '\0';
        if (cap_from_name(lower, &v) < 0 || v < 0 || v >= ENGINE_CAP_MAX)
                goto unknown;
        *ret = (int)v;
        return 0;
unknown:
        return cell_error_plain(err, EINVAL, "%s: unknown capability \"%s\"", flag, name);
}

/* Parse a list into a set; *ret_all when it holds "ALL". */
static int engine_cap_list(const char *flag, char *const *list, bool set[ENGINE_CAP_MAX], bool *ret_all,
                           cell_error_t *err)
{
        *ret_all = false;
        for (size_t i = 0; list && list[i]; i++) {
                bool all;
                int v, r;

                if ((r = engine_cap_parse(flag, list[i], &all, &v, err)) < 0)
                        return r;
                if (all)
                        *ret_all = true;
                else
                        set[v] = true;
        }
        return 0;
}

static int engine_cap_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int engine_caps_resolve(char *const *add, char *const *drop, bool privileged, char ***ret, cell_error_t *err)
{
        bool add_set[ENGINE_CAP_MAX] = {false}, drop_set[ENGINE_CAP_MAX] = {false};
        bool result[ENGINE_CAP_MAX] = {false};
        bool add_all, drop_all;
        _cleanup_strv_ char **out = NULL;
        int last = -1, r;

        *ret = NULL;
        if ((r = engine_cap_list("--cap-add", add, add_set, &add_all, err)) < 0)
                return r;
        if ((r = engine_cap_list("--cap-drop", drop, drop_set, &drop_all, err)) < 0)
                return r;
        if ((r = engine_cap_last(&last, err)) < 0)
                return r;

        if (privileged || add_all) {
                /* Docker: --privileged ignores --cap-drop; --cap-add ALL
                 * keeps it. "Every capability" is every one this process
                 * can give: a capability outside our own bounding set (a
                 * sandbox without CAP_SYS_RESOURCE) cannot be granted, and
                 * asking for it would fail the container. */
                for (int v = 0; v <= last; v++)
                        result[v] = (privileged || !drop_set[v]) && prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1;
        } else if (drop_all) {
                memcpy(result, add_set, sizeof(result));
        } else {
                for (size_t i = 0; engine_caps_default[i]; i++) {
                        bool all;
                        int v;

                        if ((r = engine_cap_parse("default capabilities", engine_caps_default[i], &all, &v,
                                                  err)) < 0)
                                return r;
                        result[v] = !drop_set[v];
                }
                for (int v = 0; v < ENGINE_CAP_MAX; v++)
                        result[v] = result[v] || add_set[v];
        }

        out = calloc(1, sizeof(*out));
        if (!out)
                return cell_error_set(err, ENOMEM, "capabilities");
        for (int v = 0; v < ENGINE_CAP_MAX; v++) {
                _cleanup_free_ char *upper = NULL;
                char *name;

                if (!result[v])
                        continue;
                name = cap_to_name((cap_value_t)v);
                if (!name)
                        return cell_error_set(err, ENOMEM, "capabilities");
                /* libcap spells a capability newer than itself as its
                 * number: it has no name a runtime could take, so it is
                 * left out. */
                if (isdigit((unsigned char)name[0])) {
                        cap_free(name);
                        continue;
                }
                upper = str_printf("%s", name);
                cap_free(name);
                if (!upper)
                        return cell_error_set(err, ENOMEM, "capabilities");
                for (char *c = upper; *c; c++)
                        *c = (char)toupper((unsigned char)*c);
                if (!str_has_prefix(upper, "CAP_"))
                        return cell_error_plain(err, EINVAL, "libcap names capability %d \"%s\"", v, upper);
                if (strv_push(&out, upper) < 0)
                        return cell_error_set(err, ENOMEM, "capabilities");
        }
        qsort(out, strv_length(out), sizeof(*out), engine_cap_cmp);
        *ret = steal_pointer(&out);
        return 0;
}

json_t *engine_default_masked_paths(void)
{
        /* Files that leak the host (kernel memory, keys of other users,
         * timers and scheduling of every process, firmware tables) or
         * that drive hardware: bind-mounted over with /dev/null, or an
         * empty read-only tmpfs for a directory. */
        static const char *const paths[] = {
                "/proc/asound",
                "/proc/acpi",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/proc/scsi",
                "/sys/firmware",
                "/sys/devices/virtual/powercap",
                NULL,
        };

        return json_string_array(paths);
}

json_t *engine_default_readonly_paths(void)
{
        /* Files that are read by ordinary programs but whose writes
         * change the whole machine (sysctls, irq affinity, sysrq). */
        static const char *const paths[] = {
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
        };

        return json_string_array(paths);
}
