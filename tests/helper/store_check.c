/* store_check ROOT: run image_store_check on an image store and print each
 * problem; exit 0 when clean, 1 when not, 2 on an error. The system tests
 * use it until the CLI has a store check command. */
#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "strutil.h"

int main(int argc, char **argv)
{
        image_store_t *s = NULL;
        cell_error_t err = {0};
        char **problems = NULL;
        int n;

        if (argc != 2) {
                fprintf(stderr, "usage: store_check ROOT\n");
                return 2;
        }
        if (image_store_open(argv[1], &s, &err) < 0) {
                fprintf(stderr, "store_check: %s\n", err.msg);
                return 2;
        }
        n = image_store_check(s, false, &problems, &err);
        image_store_close(s);
        if (n < 0) {
                fprintf(stderr, "store_check: %s\n", err.msg);
                return 2;
        }
        for (size_t i = 0; problems && problems[i]; i++)
                printf("%s\n", problems[i]);
        strv_free(problems);
        return n == 0 ? 0 : 1;
}
