/* cell: libFuzzer target for the image archive reader.
 *
 * `cell load` reads archives from anyone (a file, stdin), so the reader must
 * refuse anything malformed with an error, never crash, leak, loop or read
 * out of bounds, whatever the tar headers, links and JSON members say; and
 * the callback must be given exactly the bytes each member's header
 * announces. Build: scripts/fuzz.sh 30 imgarchive. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imgarchive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_member(const char *path, const char *digest, int64_t size, image_archive_read_fn read,
                     void *ctx, void *userdata, cell_error_t *err)
{
        char buf[4096];
        int64_t got = 0;
        ssize_t r;

        (void)path;
        (void)digest;
        (void)userdata;
        while ((r = read(ctx, buf, sizeof buf, err)) > 0)
                got += r;
        if (r < 0)
                return (int)r;
        if (got > size)
                __builtin_trap();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        image_platform_t p = {0};
        image_archive_t *a;
        int fd = memfd_create("fuzz", MFD_CLOEXEC);

        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
                close(fd);
                return 0;
        }
        if (image_platform_parse("linux/amd64", &p, &err) < 0)
                __builtin_trap();
        a = image_archive_read(fd, on_member, NULL, &p, &err);
        if (a) {
                for (size_t i = 0; i < a->n_images; i++)
                        for (size_t k = 0; k < a->images[i].n_layers; k++)
                                (void)strlen(a->images[i].layers[k].path);
                image_archive_free(a);
        } else if (err.msg[0] == '\0') {
                __builtin_trap();
        }
        image_platform_free(&p);
        close(fd);
        return 0;
}
