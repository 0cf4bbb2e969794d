/* cell: messages between the runtime and the container's init. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "cleanup.h"

int sync_send(int fd, sync_type_t type, int code, pid_t pid, const void *payload, size_t len, int pass_fd)
{
        sync_hdr_t hdr = {.type = (int)type, .code = code, .pid = pid, .len = (unsigned)len};
        struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, len}};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

        if (len > SYNC_PAYLOAD_MAX)
                return -E2BIG;
        if (pass_fd >= 0) {
                struct cmsghdr *c;

                memset(&ctl, 0, sizeof(ctl));
                msg.msg_control = ctl.buf;
                msg.msg_controllen = sizeof(ctl.buf);
                c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        if (TEMP_FAILURE_RETRY_INT(sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0)
                return -errno;
        return 0;
}

int sync_recv(int fd, sync_hdr_t *hdr, char **payload, int *ret_fd)
{
        _cleanup_free_ char *buf = NULL;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct iovec iov[2];
        struct msghdr msg = {0};
        ssize_t n;

        if (ret_fd)
                *ret_fd = -1;
        if (payload)
                *payload = NULL;
        buf = malloc(SYNC_PAYLOAD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        iov[0] = (struct iovec){hdr, sizeof(*hdr)};
        iov[1] = (struct iovec){buf, SYNC_PAYLOAD_MAX};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        n = TEMP_FAILURE_RETRY_INT(recvmsg(fd, &msg, MSG_CMSG_CLOEXEC));
        if (n < 0)
                return -errno;
        if (n == 0)
                return -EPIPE;
        if ((size_t)n < sizeof(*hdr) || hdr->len != (size_t)n - sizeof(*hdr))
                return -EBADMSG;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int got;
                        memcpy(&got, CMSG_DATA(c), sizeof(int));
                        if (ret_fd)
                                *ret_fd = got;
                        else
                                close(got);
                }
        }
        buf[hdr->len] = '\0';
        if (payload && hdr->len > 0)
                *payload = steal_pointer(&buf);
        return 0;
}

int sync_send_error(int fd, const cell_error_t *err)
{
        return sync_send(fd, SYNC_ERROR, err->code, 0, err->msg, strlen(err->msg), -1);
}
