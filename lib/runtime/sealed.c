/* cell: run from a sealed copy of our own binary.
 *
 * A container process can reach the runtime's executable through
 * /proc/PID/exe (of the init before it execs, or by making the init exec
 * "#!/proc/self/exe"). If that is the host's file, it can be opened for
 * writing once the runtime stops executing it, and every later container
 * runs the attacker's code as root (CVE-2019-5736). Executing from a memfd
 * sealed against writes leaves nothing on the host to overwrite. */
#include "internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "strutil.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

bool sealed_running_sealed(void)
{
        _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        int seals = exe >= 0 ? fcntl(exe, F_GET_SEALS) : -1;

        return seals >= 0 && (seals & F_SEAL_WRITE);
}

int runtime_ensure_sealed_binary(char **argv, char **envp, cell_error_t *err)
{
        _cleanup_close_ int exe = -1;
        _cleanup_close_ int mfd = -1;
        struct stat st;
        int seals;
        off_t left;

        exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe < 0)
                return cell_error_errno(err, "open /proc/self/exe");
        seals = fcntl(exe, F_GET_SEALS);
        if (seals >= 0 && (seals & F_SEAL_WRITE))
                return 0; /* already running from the sealed copy */
        if (fstat(exe, &st) < 0)
                return cell_error_errno(err, "stat /proc/self/exe");
        mfd = memfd_create("cell", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return cell_error_errno(err, "memfd_create");
        for (left = st.st_size; left > 0;) {
                ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return cell_error_errno(err, "copy the runtime binary");
                }
                if (n == 0)
                        break;
                left -= n;
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return cell_error_errno(err, "seal the runtime binary");
        fexecve(mfd, argv, envp);
        return cell_error_errno(err, "execute the sealed runtime binary");
}

/* When may create and run skip the copy? A container process can reach
 * /proc/PID/exe of a runtime process only while that process is in the
 * container's pid namespace and has not yet executed the user's program:
 * that is the init before start. With a new pid namespace of its own the
 * only other processes there before start are exec'd ones (`cell exec`
 * always runs sealed, but the program it starts is the container's) and
 * startContainer hooks (a path inside the container's root). So the copy
 * can be skipped when
 *   - the container gets a new pid namespace, and has no startContainer
 *     hooks, and
 *   - either it has no user namespace and no CAP_SYS_PTRACE in its bounding
 *     set: the init is then non-dumpable (init.c), and /proc/1/exe of a
 *     non-dumpable process opens only for CAP_SYS_PTRACE in the initial
 *     user namespace (exec refuses to add that capability to a container
 *     that was created this way and is not started yet);
 *   - or it has a user namespace that maps neither the binary's owner nor
 *     host root, and the binary is writable only by its owner: the
 *     container's root can then open it but not write it. */
bool runtime_needs_sealed_binary(const char *bundle, const char *config_path)
{
        _cleanup_free_ char *path = NULL;
        struct stat exe;
        spec_t *spec;
        bool needed = true;

        path = config_path ? strdup(config_path) : str_printf("%s/config.json", bundle ? bundle : ".");
        spec = path ? spec_load(path, NULL) : NULL;
        if (!spec)
                return true;
        if (!spec->namespaces[SPEC_NS_PID].present || spec->namespaces[SPEC_NS_PID].path ||
            spec->n_hooks[SPEC_HOOK_START_CONTAINER] > 0)
                goto out;
        if (!spec->namespaces[SPEC_NS_USER].present) {
                needed = spec->has_process && spec->process.has_capabilities &&
                         (spec->process.caps[SPEC_CAP_BOUNDING] & (1ULL << CAP_SYS_PTRACE));
                goto out;
        }
        if (stat("/proc/self/exe", &exe) < 0 || (exe.st_mode & (S_IWGRP | S_IWOTH)))
                goto out;
        needed = false;
        for (size_t i = 0; i < spec->n_uid_mappings; i++) {
                const spec_id_map_t *m = &spec->uid_mappings[i];
                uint64_t lo = m->host_id, hi = (uint64_t)m->host_id + m->size;

                if ((exe.st_uid >= lo && exe.st_uid < hi) || (0 >= lo && 0 < hi))
                        needed = true;
        }
out:
        spec_free(spec);
        return needed;
}
