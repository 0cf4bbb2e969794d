/* cell: libFuzzer target for --user resolution (lib/engine/passwd.c).
 *
 * etc/passwd and etc/group come from images, which anyone may build: the
 * parser must survive any bytes and never hand out an id out of range. An
 * input is "spec NUL passwd NUL group"; a missing part is a missing file.
 * The files are written into a temporary root under /var/tmp, made once per
 * process. Build: scripts/fuzz.sh 30 passwd. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static int rootfd = -1;

static void put(const char *name, const uint8_t *p, size_t n, int present)
{
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "%s/etc/%s", root, name);
        unlink(path);
        if (!present)
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                __builtin_trap();
        if (n > 0 && write(fd, p, n) != (ssize_t)n)
                __builtin_trap();
        close(fd);
}

/* The temporary root goes when the fuzzer exits. */
static void remove_root(void)
{
        char path[128];

        snprintf(path, sizeof(path), "%s/etc/passwd", root);
        unlink(path);
        snprintf(path, sizeof(path), "%s/etc/group", root);
        unlink(path);
        snprintf(path, sizeof(path), "%s/etc", root);
        rmdir(path);
        rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *end = data + size, *p1, *p2 = NULL;
        char spec[256];
        size_t slen;
        engine_user_t u = {0};
        cell_error_t err = {0};

        if (rootfd < 0) {
                char etc[96];

                snprintf(root, sizeof(root), "/var/tmp/cell-fuzz-passwd-XXXXXX");
                if (!mkdtemp(root))
                        __builtin_trap();
                atexit(remove_root);
                snprintf(etc, sizeof(etc), "%s/etc", root);
                if (mkdir(etc, 0755) < 0)
                        __builtin_trap();
                rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        __builtin_trap();
        }
        p1 = memchr(data, '\0', size);
        slen = p1 ? (size_t)(p1 - data) : size;
        if (slen >= sizeof(spec))
                return 0;
        memcpy(spec, data, slen);
        spec[slen] = '\0';
        if (p1) {
                p1++;
                p2 = memchr(p1, '\0', (size_t)(end - p1));
                put("passwd", p1, (size_t)((p2 ? p2 : end) - p1), 1);
        } else {
                put("passwd", NULL, 0, 0);
        }
        if (p2) {
                p2++;
                put("group", p2, (size_t)(end - p2), 1);
        } else {
                put("group", NULL, 0, 0);
        }
        if (engine_user_resolve(rootfd, spec, &u, &err) == 0) {
                if (!u.home || u.uid > 2147483646u || u.gid > 2147483646u)
                        __builtin_trap();
                if (u.n_additional_gids > 0 && !u.additional_gids)
                        __builtin_trap();
                for (size_t i = 0; i < u.n_additional_gids; i++) {
                        if (u.additional_gids[i] > 2147483646u)
                                __builtin_trap();
                }
                engine_user_clear(&u);
        } else if (err.msg[0] == '\0') {
                __builtin_trap();
        }
        return 0;
}
