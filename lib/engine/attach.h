/* cell: attaching to a running container — `cell attach`, served by the
 * container's monitor (or by the foreground `cell run` that supervises it).
 *
 * The monitor listens on a unix SOCK_SEQPACKET socket, RUN/attach/<id>
 * (mode 0700 directory: attaching is full control of the container). Every
 * message is one packet: a type byte, then its payload.
 *
 *   client -> monitor   'H' hello: three bytes, stdin/stdout/stderr wanted
 *                       'I' stdin bytes      'E' stdin ended
 *                       'W' window size: rows, cols (two uint16)
 *                       'S' a signal for the container (int32)
 *   monitor -> client   '1' stdout bytes     '2' stderr bytes
 *                       'X' the container exited: its code (int32), then
 *                           the monitor closes the connection
 *
 * Several clients may attach at once; each gets the output from the moment
 * it attached (history is `cell logs`). A client that does not read within
 * a second is dropped rather than let it stall the container's output. See
 * docs/design/engine.md ("attach"). */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"

#define ENGINE_ATTACH_MAX_CLIENTS 16
/* Entries engine_attach_pollfds fills at most: the listener, stdin's
 * destination and the clients. */
#define ENGINE_ATTACH_POLLFDS (2 + ENGINE_ATTACH_MAX_CLIENTS)

enum {
        ENGINE_ATTACH_HELLO = 'H',
        ENGINE_ATTACH_STDIN = 'I',
        ENGINE_ATTACH_STDIN_EOF = 'E',
        ENGINE_ATTACH_RESIZE = 'W',
        ENGINE_ATTACH_SIGNAL = 'S',
        ENGINE_ATTACH_STDOUT = '1',
        ENGINE_ATTACH_STDERR = '2',
        ENGINE_ATTACH_EXIT = 'X',
};

typedef struct engine_attach_client {
        int fd;
        bool in, out, err, hello;
} engine_attach_client_t;

typedef struct engine_attach_srv {
        int listen_fd; /* -1: not listening */
        char *path;
        engine_attach_client_t clients[ENGINE_ATTACH_MAX_CLIENTS];
        /* Where attached stdin goes (the container's stdin pipe or its pty
         * master), -1 for none; owned when in_owned (the pipe). */
        int in_fd;
        bool in_owned, in_once;
        int winsize_fd; /* the pty master, -1 without a terminal */
        pid_t pid;      /* signals go there */
        /* Stdin the container has not read yet: while some is pending no
         * client is read, so a container that does not read its stdin
         * slows its writers instead of growing this buffer. */
        char *pend;
        size_t pend_len, pend_off;
        bool close_in_after; /* StdinOnce: close stdin once pend is written */
} engine_attach_srv_t;

#define ENGINE_ATTACH_SRV_INIT                                                                               \
        {                                                                                                    \
                .listen_fd = -1, .in_fd = -1, .winsize_fd = -1                                               \
        }

/* RUN/attach/<id>; NULL on allocation failure. */
char *engine_attach_socket_path(engine_t *e, const char *id);

/* Listen on the container's attach socket (replacing a stale one). */
int engine_attach_listen(engine_t *e, const char *id, engine_attach_srv_t *s, cell_error_t *err);
/* The container's stdin destination, window and pid for this run. */
void engine_attach_set_target(engine_attach_srv_t *s, int in_fd, bool in_owned, bool in_once, int winsize_fd,
                              pid_t pid);
/* Forget this run's target (closing an owned stdin pipe). */
void engine_attach_clear_target(engine_attach_srv_t *s);
/* Fill p with what to poll; returns the count (<= ENGINE_ATTACH_POLLFDS). */
size_t engine_attach_pollfds(const engine_attach_srv_t *s, struct pollfd *p);
/* Handle what poll reported for the entries engine_attach_pollfds filled. */
void engine_attach_events(engine_attach_srv_t *s, const struct pollfd *p, size_t n);
/* Copy the container's output (stream 1 or 2) to the clients that want it. */
void engine_attach_output(engine_attach_srv_t *s, int stream, const char *data, size_t len);
/* Tell every client the container exited with code, and close them. */
void engine_attach_exit(engine_attach_srv_t *s, int code);
/* Close everything and remove the socket. */
void engine_attach_close(engine_attach_srv_t *s);

typedef struct engine_attach_opts {
        bool no_stdin;
        bool sig_proxy;
        const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
        /* out */
        int exit_code;
        bool detached; /* the detach keys were typed */
} engine_attach_opts_t;

/* Parse docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-@"...) into
 * bytes; returns the count or -1 with err set. */
int engine_attach_parse_keys(const char *spec, char *keys, size_t size, cell_error_t *err);

/* `cell attach`: relay this process's stdin/stdout/stderr to the running
 * container id until it exits (o->exit_code) or the detach keys are typed
 * (o->detached). */
int engine_attach(engine_t *e, const char *id, engine_attach_opts_t *o, cell_error_t *err);
