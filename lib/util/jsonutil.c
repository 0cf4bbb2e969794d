/* cell: small jansson helpers (see jsonutil.h). */
#include "jsonutil.h"

json_t *json_string_array(const char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; a && v && v[i]; i++) {
                if (json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}
