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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

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
