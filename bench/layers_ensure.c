/* cell: the driver of bench/unpack.sh — one layer through the layer cache.
 *
 * layers_ensure_bench LAYER DIFFID STORE STORAGE: puts LAYER (a tar, .gz or
 * .zst) into the image store at STORE as the one layer of an image whose
 * config says DIFFID, then times storage_layers_ensure into STORAGE (unpack
 * into a temporary directory, diffID check, syncfs, rename). Prints
 * "<diff dir> <seconds of ensure>". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "layers.h"
#include "store.h"
#include "strutil.h"

static int die(const cell_error_t *err)
{
        fprintf(stderr, "layers_ensure_bench: %s\n", err->msg);
        return 1;
}

static const char *layer_type(const char *file)
{
        size_t n = strlen(file);

        if (n > 3 && strcmp(file + n - 3, ".gz") == 0)
                return "application/vnd.oci.image.layer.v1.tar+gzip";
        if (n > 4 && strcmp(file + n - 4, ".zst") == 0)
                return "application/vnd.oci.image.layer.v1.tar+zstd";
        return "application/vnd.oci.image.layer.v1.tar";
}

int main(int argc, char **argv)
{
        cell_error_t err = {0};
        image_store_t *store = NULL;
        storage_t *st = NULL;
        image_blob_writer_t *w = NULL;
        char layer[IMAGE_DIGEST_STR_SIZE], cfg[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
        static char buf[1 << 20];
        char *cdata, *mdata, **dirs = NULL;
        storage_image_t img = {0};
        struct timespec t0, t1;
        off_t size = 0;
        ssize_t n;
        int fd;

        if (argc != 5) {
                fprintf(stderr, "usage: %s LAYER DIFFID STORE STORAGE\n", argv[0]);
                return 2;
        }
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                perror(argv[1]);
                return 1;
        }
        if (image_store_open(argv[3], &store, &err) < 0 || storage_open(argv[4], &st, &err) < 0 ||
            image_store_blob_begin(store, &w, &err) < 0)
                return die(&err);
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                if (image_store_blob_write(w, buf, (size_t)n, &err) < 0)
                        return die(&err);
                size += n;
        }
        close(fd);
        if (n < 0 || image_store_blob_commit(w, NULL, layer, &err) < 0)
                return die(&err);
        cdata = str_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                           "\"diff_ids\":[\"%s\"]}}",
                           argv[2]);
        if (!cdata || image_store_blob_put(store, cdata, strlen(cdata), NULL, cfg, &err) < 0)
                return die(&err);
        mdata = str_printf(
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
                "\"size\":%lld}]}",
                cfg, strlen(cdata), layer_type(argv[1]), layer, (long long)size);
        if (!mdata || image_store_blob_put(store, mdata, strlen(mdata), NULL, man, &err) < 0 ||
            image_store_tag(store, "bench/unpack", "application/vnd.oci.image.manifest.v1+json", man,
                            (int64_t)strlen(mdata), &err) < 0 ||
            storage_image_find(store, "bench/unpack", &img, &err) < 0)
                return die(&err);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (storage_layers_ensure(st, store, img.manifest, img.config, &dirs, NULL, &err) < 0)
                return die(&err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%s %.3f\n", dirs[0],
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        strv_free(dirs);
        storage_image_clear(&img);
        free(cdata);
        free(mdata);
        storage_close(st);
        image_store_close(store);
        return 0;
}
