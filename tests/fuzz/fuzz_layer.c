/* cell: libFuzzer target for the layer unpacker (lib/image/layer.c).
 *
 * A layer is a tar from anywhere: arbitrary bytes are applied as a layer into
 * a fresh directory BASE/layer, and the fuzzer traps when anything appears
 * next to it in BASE or when the sentinel file beside it changes. Escapes to
 * absolute host paths are kept out by the same resolution (openat2 in root)
 * that keeps BASE clean. The uncompressed size is capped so a decompression
 * bomb stays fast. Build and run: scripts/fuzz.sh 60 layer (as root, so
 * devices, chown and trusted.* xattrs are exercised too). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX], layer[PATH_MAX], sentinel[PATH_MAX];

static void remove_base(void)
{
        cell_error_t err;

        fs_rm_rf(base, &err);
}

static void setup_once(void)
{
        int fd;

        if (base[0])
                return;
        atexit(remove_base);
        snprintf(base, sizeof(base), "/var/tmp/cell-fuzz-layer-XXXXXX");
        if (!mkdtemp(base))
                abort();
        snprintf(layer, sizeof(layer), "%s/layer", base);
        snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
        fd = open(sentinel, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "sentinel", 8) != 8)
                abort();
        close(fd);
}

static void check_outside(void)
{
        DIR *d = opendir(base);
        struct dirent *de;
        struct stat st;
        char buf[16] = "";
        int fd;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "layer") &&
                    strcmp(de->d_name, "sentinel"))
                        __builtin_trap(); /* something was written outside the layer */
        closedir(d);
        if (lstat(sentinel, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size != 8)
                __builtin_trap();
        fd = open(sentinel, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf)) != 8 || memcmp(buf, "sentinel", 8) != 0)
                __builtin_trap();
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        layer_apply_opts_t opts = {.max_size = 16u << 20, .skip_devices = true};
        layer_apply_result_t res;
        cell_error_t err = {0};
        int dfd, mfd, r;

        setup_once();
        if (mkdir(layer, 0755) < 0)
                abort();
        mfd = memfd_create("layer", MFD_CLOEXEC);
        if (mfd < 0 || (size && write(mfd, data, size) != (ssize_t)size) || lseek(mfd, 0, SEEK_SET) != 0)
                abort();
        dfd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                abort();
        r = layer_apply(dfd, mfd, &opts, &res, &err);
        /* A refusal always says why. */
        if (r < 0 && err.msg[0] == '\0')
                __builtin_trap();
        close(dfd);
        close(mfd);
        check_outside();
        /* The layer may have left itself unwritable (mode 0): fs_rm_rf runs as
         * root, which is how this target is meant to run. */
        if (fs_rm_rf(layer, &err) < 0)
                abort();
        return 0;
}
