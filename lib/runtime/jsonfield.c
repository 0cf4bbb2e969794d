/* cell: named JSON members with errors that name the field. */
#include "jsonfield.h"

#include <errno.h>

int jf_type_error(cell_error_t *err, const char *field, const char *what)
{
        return cell_error_set(err, EINVAL, "%s: expected %s", field, what);
}

static json_t *member_of_type(json_t *obj, const char *key, const char *field, json_type type,
                              const char *what, int *r, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        *r = 0;
        if (!v || json_is_null(v))
                return NULL;
        if (json_typeof(v) != type) {
                *r = jf_type_error(err, field, what);
                return NULL;
        }
        return v;
}

json_t *jf_object(json_t *obj, const char *key, const char *field, int *r, cell_error_t *err)
{
        return member_of_type(obj, key, field, JSON_OBJECT, "an object", r, err);
}

json_t *jf_array(json_t *obj, const char *key, const char *field, int *r, cell_error_t *err)
{
        return member_of_type(obj, key, field, JSON_ARRAY, "an array", r, err);
}
