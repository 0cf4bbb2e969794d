/* cell: bench driver for layer_apply — apply one layer file into a directory
 * and print the diffID, sizes and the wall time (used by bench/layer.sh). */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "layer.h"

int main(int argc, char **argv)
{
        layer_apply_result_t res;
        cell_error_t err = {0};
        struct timespec a, b;
        int dfd, tfd;

        if (argc != 3) {
                fprintf(stderr, "usage: %s LAYER DIR\n", argv[0]);
                return 2;
        }
        tfd = open(argv[1], O_RDONLY | O_CLOEXEC);
        dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0 || dfd < 0) {
                perror("open");
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (layer_apply(dfd, tfd, NULL, &res, &err) < 0) {
                fprintf(stderr, "layer_apply: %s\n", err.msg);
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%s tar=%llu unpacked=%llu entries=%llu %.3fs\n", res.diff_id,
               (unsigned long long)res.tar_size, (unsigned long long)res.unpacked_size,
               (unsigned long long)res.entries,
               (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
        return 0;
}
