/* cell: network namespaces bound to files. See netns.h. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "strutil.h"

static int make_target(const char *path, cell_error_t *err)
{
        int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);

        if (fd < 0)
                return cell_error_errno(err, "creating %s", path);
        close(fd);
        return 0;
}

int engine_link_set_up(const char *name, bool up, cell_error_t *err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};

        if (s < 0)
                return cell_error_errno(err, "socket");
        str_copy(ifr.ifr_name, sizeof(ifr.ifr_name), name);
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return cell_error_errno(err, "%s: SIOCGIFFLAGS", name);
        if (up)
                ifr.ifr_flags |= IFF_UP;
        else
                ifr.ifr_flags &= ~IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return cell_error_errno(err, "%s: bringing it %s", name, up ? "up" : "down");
        return 0;
}

int engine_netns_create(const char *path, cell_error_t *err)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int r;

        if (self < 0)
                return cell_error_errno(err, "open /proc/thread-self/ns/net");
        if (make_target(path, err) < 0)
                return -1;
        /* unshare and setns back on this thread: cheaper than a child, and
         * a network namespace is per thread, so nothing else here moves. */
        if (unshare(CLONE_NEWNET) < 0) {
                r = cell_error_errno(err, "creating a network namespace");
                unlink(path);
                return r;
        }
        /* Docker's containers have 127.0.0.1 whatever their network. */
        r = engine_link_set_up("lo", true, err);
        if (r == 0 && mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                r = cell_error_errno(err, "binding the network namespace at %s", path);
        if (setns(self, CLONE_NEWNET) < 0) {
                /* The process would go on in the container's namespace:
                 * nothing it does after could be trusted. */
                abort();
        }
        if (r < 0) {
                umount2(path, MNT_DETACH);
                unlink(path);
        }
        return r;
}

int engine_netns_bind(const char *path, const char *source, cell_error_t *err)
{
        if (make_target(path, err) < 0)
                return -1;
        if (mount(source, path, NULL, MS_BIND, NULL) < 0) {
                int r = cell_error_errno(err, "binding %s at %s", source, path);

                unlink(path);
                return r;
        }
        return 0;
}

void engine_netns_remove(const char *path)
{
        while (umount2(path, MNT_DETACH) == 0)
                ;
        unlink(path);
}
