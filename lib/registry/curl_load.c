/* cell: libcurl, loaded when first needed (see curl_load.h). */
#include "curl_load.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static void *curl_handle;
static char curl_error[256];
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
        curl_handle = dlopen(REGISTRY_CURL_SONAME, RTLD_NOW | RTLD_GLOBAL);
        if (!curl_handle) {
                const char *why = dlerror();

                snprintf(curl_error, sizeof(curl_error), "%s", why ? why : "unknown error");
        }
}

int registry_curl_ready(cell_error_t *err)
{
        pthread_once(&curl_once, curl_load);
        if (!curl_handle)
                return cell_error_plain(err, ENOENT, "cannot load %s (package libcurl4): %s",
                                        REGISTRY_CURL_SONAME, curl_error);
        return 0;
}
