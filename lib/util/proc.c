/* cell: facts about a process from /proc (see proc.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "proc.h"

/* /proc/PID/stat from field 3 (state) on, in buf; NULL when gone. comm may
 * hold spaces and parentheses: the fields start after the last ')'. */
static char *stat_fields(pid_t pid, char *buf, size_t size)
{
        char path[64];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        char *p;

        if (pid <= 0)
                return NULL;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, size - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || p[1] != ' ' || !p[2])
                return NULL;
        return p + 2;
}

/* Field k (k >= 3) of the fields stat_fields returned. */
static const char *stat_field(const char *p, int k)
{
        for (int field = 3; field < k && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p;
}

unsigned long long proc_starttime(pid_t pid, bool *zombie)
{
        char buf[1024];
        const char *p = stat_fields(pid, buf, sizeof(buf));

        if (zombie)
                *zombie = p && (*p == 'Z' || *p == 'X');
        p = p ? stat_field(p, 22) : NULL;
        return p ? strtoull(p, NULL, 10) : 0;
}

pid_t proc_ppid(pid_t pid)
{
        char buf[1024];
        const char *p = stat_fields(pid, buf, sizeof(buf));

        p = p ? stat_field(p, 4) : NULL;
        return p ? (pid_t)strtol(p, NULL, 10) : -1;
}

int proc_pidfd_open(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool proc_alive(pid_t pid, unsigned long long starttime)
{
        bool zombie = false;
        unsigned long long s = proc_starttime(pid, &zombie);

        return s != 0 && s == starttime && !zombie;
}
