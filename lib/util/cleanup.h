/* cell: ownership helpers built on __attribute__((cleanup)).
 *
 * Every owned local starts NULL or -1 and is released when it leaves scope;
 * ownership is handed over with steal_pointer()/steal_fd(). */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
        free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void cleanup_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static inline void cleanup_strvp(char ***v)
{
        if (*v) {
                for (char **i = *v; *i; i++)
                        free(*i);
                free(*v);
        }
}

/* A child that must not outlive the scope that started it: killed and reaped. */
static inline void cleanup_pidp(pid_t *pid)
{
        if (*pid > 0) {
                int saved = errno;
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                errno = saved;
        }
}

#define _cleanup_free_     __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_    __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_   __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_     __attribute__((cleanup(cleanup_strvp)))
#define _cleanup_pid_      __attribute__((cleanup(cleanup_pidp)))

static inline void *steal_pointer_impl(void *pp)
{
        void **p = pp;
        void *v = *p;
        *p = NULL;
        return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_pointer_impl(pp))

static inline int steal_fd(int *fd)
{
        int v = *fd;
        *fd = -1;
        return v;
}

#define TEMP_FAILURE_RETRY_INT(expr)                                                                         \
        ({                                                                                                   \
                long _r;                                                                                     \
                do                                                                                           \
                        _r = (long)(expr);                                                                   \
                while (_r == -1 && errno == EINTR);                                                          \
                _r;                                                                                          \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
