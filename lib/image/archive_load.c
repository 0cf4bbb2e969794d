/* cell: libarchive, loaded when first needed (see archive_load.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "archive_load.h"

/* libarchive's soname: Debian 12's libarchive13. */
#define ARCHIVE_SONAME "libarchive.so.13"

static void *archive_handle;
static char archive_error[256];
static pthread_once_t archive_once = PTHREAD_ONCE_INIT;

static void archive_load(void)
{
        archive_handle = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_GLOBAL);
        if (!archive_handle) {
                const char *why = dlerror();

                snprintf(archive_error, sizeof(archive_error), "%s", why ? why : "unknown error");
        }
}

int image_archive_ready(cell_error_t *err)
{
        pthread_once(&archive_once, archive_load);
        if (!archive_handle)
                return cell_error_plain(err, ENOENT, "cannot load %s (package libarchive13): %s",
                                        ARCHIVE_SONAME, archive_error);
        return 0;
}
