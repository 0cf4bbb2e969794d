/* cell: the container's terminal. The pty is made inside the container's
 * own devpts instance, so the container never holds a host pty; the master
 * goes to whoever asked for it through --console-socket. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_open_in_root(int rootfd, unsigned rows, unsigned cols, int *ret_master, int *ret_slave,
                          cell_error_t *err)
{
        _cleanup_close_ int master = -1;
        _cleanup_close_ int slave = -1;
        int unlock = 0;

        master = fs_open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, err);
        if (master < 0)
                return cell_error_prefix(err, "terminal");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return cell_error_errno(err, "terminal: unlock the pty");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return cell_error_errno(err, "terminal: open the pty peer");
        if (rows || cols) {
                struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
                ioctl(slave, TIOCSWINSZ, &ws);
        }
        *ret_master = steal_fd(&master);
        *ret_slave = steal_fd(&slave);
        return 0;
}

int terminal_send_to_socket(const char *socket_path, int master, cell_error_t *err)
{
        _cleanup_close_ int s = -1;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        char name[] = "/dev/ptmx";
        struct iovec iov = {name, sizeof(name) - 1};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        struct cmsghdr *c;

        if (!str_copy(addr.sun_path, sizeof(addr.sun_path), socket_path))
                return cell_error_set(err, ENAMETOOLONG, "--console-socket %s", socket_path);
        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return cell_error_errno(err, "--console-socket: socket");
        if (TEMP_FAILURE_RETRY_INT(connect(s, (struct sockaddr *)&addr, sizeof(addr))) < 0)
                return cell_error_errno(err, "--console-socket: connect %s", socket_path);
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &master, sizeof(int));
        if (TEMP_FAILURE_RETRY_INT(sendmsg(s, &msg, MSG_NOSIGNAL)) < 0)
                return cell_error_errno(err, "--console-socket: send the pty to %s", socket_path);
        return 0;
}

int terminal_make_controlling(int slave, cell_error_t *err)
{
        if (setsid() < 0)
                return cell_error_errno(err, "terminal: setsid");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return cell_error_errno(err, "terminal: make the pty the controlling terminal");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return cell_error_errno(err, "terminal: dup2");
        if (slave > 2)
                close(slave);
        return 0;
}
