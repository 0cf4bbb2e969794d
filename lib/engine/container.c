/* cell: the engine's container records (see container.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "strutil.h"

int engine_open(const char *storage_root, const char *run_root, engine_t **ret, cell_error_t *err)
{
        engine_t *e = calloc(1, sizeof(*e));

        if (!e)
                return cell_error_set(err, ENOMEM, "engine");
        e->storage_root = strdup(storage_root);
        e->run_root = strdup(run_root);
        e->containers = str_printf("%s/containers", storage_root);
        e->runtime_root = str_printf("%s/runtime", run_root);
        if (!e->storage_root || !e->run_root || !e->containers || !e->runtime_root) {
                engine_close(e);
                return cell_error_set(err, ENOMEM, "engine");
        }
        {
                _cleanup_free_ char *names = str_printf("%s/.names", e->containers);

                if (!names || fs_mkdir_p(names, 0700, err) < 0 ||
                    fs_mkdir_p(e->runtime_root, 0700, err) < 0) {
                        engine_close(e);
                        return -1;
                }
        }
        *ret = e;
        return 0;
}

void engine_close(engine_t *e)
{
        if (!e)
                return;
        free(e->storage_root);
        free(e->run_root);
        free(e->containers);
        free(e->runtime_root);
        free(e);
}

int engine_new_id(char ret[ENGINE_ID_LEN + 1], cell_error_t *err)
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[ENGINE_ID_LEN / 2];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return cell_error_errno(err, "getrandom");
        for (size_t i = 0; i < sizeof(b); i++) {
                ret[2 * i] = hex[b[i] >> 4];
                ret[2 * i + 1] = hex[b[i] & 15];
        }
        ret[ENGINE_ID_LEN] = '\0';
        return 0;
}

static bool name_char(char c, bool first)
{
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                return true;
        return !first && (c == '_' || c == '.' || c == '-');
}

int engine_check_name(const char *name, cell_error_t *err)
{
        const char *n = name[0] == '/' ? name + 1 : name;
        size_t len = strlen(n);

        if (len < 2 || len > 253)
                goto bad;
        for (size_t i = 0; i < len; i++)
                if (!name_char(n[i], i == 0))
                        goto bad;
        return 0;
bad:
        return cell_error_plain(
                err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
}

/* Docker-like generated names: an adjective and a noun. Our own lists. */
static const char *const name_adjectives[] = {
        "agile", "bold",    "brave",  "bright", "calm",  "clever", "cosmic",  "crisp", "daring", "eager",
        "fancy", "fervent", "gentle", "happy",  "hardy", "jolly",  "keen",    "kind",  "lively", "lucid",
        "merry", "nimble",  "noble",  "plucky", "quiet", "rapid",  "serene",  "sharp", "snappy", "steady",
        "swift", "tender",  "tidy",   "vivid",  "wise",  "witty",  "zealous", "zen",
};
static const char *const name_nouns[] = {
        "acorn",   "badger", "beacon", "birch",  "canyon",  "cedar",  "comet",  "coral",  "delta",
        "ember",   "falcon", "fern",   "fjord",  "glacier", "harbor", "heron",  "island", "lagoon",
        "lantern", "maple",  "meadow", "nebula", "otter",   "pebble", "pine",   "quartz", "raven",
        "reef",    "ridge",  "river",  "summit", "thistle", "tundra", "valley", "willow", "wren",
};

static char *generated_name(unsigned attempt)
{
        uint32_t r[2];

        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                r[0] = r[1] = (uint32_t)time(NULL) + attempt;
        if (attempt < 10)
                return str_printf("%s_%s", name_adjectives[r[0] % ARRAY_SIZE(name_adjectives)],
                                  name_nouns[r[1] % ARRAY_SIZE(name_nouns)]);
        return str_printf("%s_%s%u", name_adjectives[r[0] % ARRAY_SIZE(name_adjectives)],
                          name_nouns[r[1] % ARRAY_SIZE(name_nouns)], r[0] % 100);
}

int engine_name_reserve(engine_t *e, const char *name, const char *id, char **ret_name, cell_error_t *err)
{
        for (unsigned attempt = 0; attempt < 50; attempt++) {
                _cleanup_free_ char *n = NULL, *link = NULL;

                if (name) {
                        if (engine_check_name(name, err) < 0)
                                return -EINVAL;
                        n = strdup(name[0] == '/' ? name + 1 : name);
                } else {
                        n = generated_name(attempt);
                }
                if (!n)
                        return cell_error_set(err, ENOMEM, "name");
                link = str_printf("%s/.names/%s", e->containers, n);
                if (!link)
                        return cell_error_set(err, ENOMEM, "name");
                if (symlink(id, link) == 0) {
                        if (ret_name)
                                *ret_name = steal_pointer(&n);
                        return 0;
                }
                if (errno != EEXIST)
                        return cell_error_errno(err, "reserve the name %s", n);
                if (name) {
                        char owner[ENGINE_ID_LEN + 1];
                        ssize_t k = readlink(link, owner, sizeof(owner) - 1);

                        owner[k > 0 ? k : 0] = '\0';
                        return cell_error_plain(err, EEXIST,
                                                "Conflict. The container name \"/%s\" is already in use by "
                                                "container \"%s\". You have to remove (or rename) that "
                                                "container to be able to reuse that name.",
                                                n, owner);
                }
        }
        return cell_error_plain(err, EEXIST, "could not generate a free container name");
}

void engine_name_release(engine_t *e, const char *name, const char *id)
{
        _cleanup_free_ char *link = NULL;
        char owner[ENGINE_ID_LEN + 1];
        ssize_t k;

        if (!name)
                return;
        link = str_printf("%s/.names/%s", e->containers, name[0] == '/' ? name + 1 : name);
        if (!link)
                return;
        /* Only our own: a name released and taken again by another
         * container stays with it. */
        k = readlink(link, owner, sizeof(owner) - 1);
        if (k <= 0)
                return;
        owner[k] = '\0';
        if (str_eq(owner, id))
                unlink(link);
}

static bool is_id(const char *s)
{
        size_t n = strlen(s);

        if (n != ENGINE_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

char *engine_container_path(engine_t *e, const char *id, const char *name)
{
        return name ? str_printf("%s/%s/%s", e->containers, id, name)
                    : str_printf("%s/%s", e->containers, id);
}

static bool record_exists(engine_t *e, const char *id)
{
        _cleanup_free_ char *p = engine_container_path(e, id, "container.json");

        return p && access(p, F_OK) == 0;
}

int engine_container_find(engine_t *e, const char *name_or_id, char ret_id[ENGINE_ID_LEN + 1],
                          cell_error_t *err)
{
        const char *q = name_or_id[0] == '/' ? name_or_id + 1 : name_or_id;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        size_t qlen = strlen(q);
        int found = 0;

        if (qlen == 0)
                goto none;
        if (is_id(q) && record_exists(e, q)) {
                str_copy(ret_id, ENGINE_ID_LEN + 1, q);
                return 0;
        }
        /* A name, as docker looks it up before prefixes. */
        if (!strchr(q, '/')) {
                _cleanup_free_ char *link = str_printf("%s/.names/%s", e->containers, q);
                char owner[ENGINE_ID_LEN + 1];
                ssize_t k = link ? readlink(link, owner, sizeof(owner) - 1) : -1;

                if (k == ENGINE_ID_LEN) {
                        owner[k] = '\0';
                        if (record_exists(e, owner)) {
                                str_copy(ret_id, ENGINE_ID_LEN + 1, owner);
                                return 0;
                        }
                }
        }
        d = opendir(e->containers);
        if (!d)
                return cell_error_errno(err, "read %s", e->containers);
        while ((de = readdir(d))) {
                if (!is_id(de->d_name) || strncmp(de->d_name, q, qlen) != 0 || !record_exists(e, de->d_name))
                        continue;
                if (found++)
                        return cell_error_plain(err, EINVAL,
                                                "Error: multiple IDs found with provided prefix: %s", q);
                str_copy(ret_id, ENGINE_ID_LEN + 1, de->d_name);
        }
        if (found)
                return 0;
none:
        return cell_error_plain(err, ENOENT, "No such container: %s", name_or_id);
}

typedef struct listed {
        char *id;
        int64_t created;
} listed_t;

static int cmp_listed(const void *a, const void *b)
{
        const listed_t *x = a, *y = b;

        if (x->created != y->created)
                return x->created > y->created ? -1 : 1;
        return strcmp(x->id, y->id);
}

int engine_container_list(engine_t *e, char ***ret, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = opendir(e->containers);
        _cleanup_free_ listed_t *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        char **out;

        if (!d)
                return cell_error_errno(err, "read %s", e->containers);
        while ((de = readdir(d))) {
                json_t *rec = NULL;
                int64_t created = 0;

                if (!is_id(de->d_name))
                        continue;
                if (engine_record_read(e, de->d_name, &rec, NULL) < 0)
                        continue; /* being created or removed */
                engine_time_parse(json_string_value(json_object_get(rec, "Created")), &created);
                json_decref(rec);
                if (n == cap) {
                        listed_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

                        if (!nv)
                                goto oom;
                        v = nv;
                }
                v[n].id = strdup(de->d_name);
                if (!v[n].id)
                        goto oom;
                v[n++].created = created;
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_listed);
        out = calloc(n + 1, sizeof(*out));
        if (!out)
                goto oom;
        for (size_t i = 0; i < n; i++)
                out[i] = v[i].id;
        *ret = out;
        return 0;
oom:
        for (size_t i = 0; i < n; i++)
                free(v[i].id);
        return cell_error_set(err, ENOMEM, "list containers");
}

int engine_record_read(engine_t *e, const char *id, json_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *p = engine_container_path(e, id, "container.json");
        _cleanup_free_ char *data = NULL;
        json_error_t jerr;
        size_t len = 0;
        json_t *j;

        if (!p)
                return cell_error_set(err, ENOMEM, "record");
        if (fs_read_file(p, 16 << 20, &data, &len, err) < 0)
                return -1;
        j = json_loadb(data, len, 0, &jerr);
        if (!j || !json_is_object(j)) {
                json_decref(j);
                return cell_error_plain(err, EINVAL, "%s: %s", p, jerr.text);
        }
        *ret = j;
        return 0;
}

int engine_record_write(engine_t *e, const char *id, json_t *rec, cell_error_t *err)
{
        _cleanup_free_ char *p = engine_container_path(e, id, "container.json");
        _cleanup_free_ char *data = json_dumps(rec, JSON_COMPACT);

        if (!p || !data)
                return cell_error_set(err, ENOMEM, "record");
        /* Not fsynced: like the runtime's state, a record is rewritten at
         * every state change of the container, and after a crash the
         * containers are gone anyway; the rename keeps it whole. */
        return fs_write_replace(p, data, strlen(data), 0600, err);
}

json_t *engine_record_state(json_t *rec)
{
        json_t *s = json_object_get(rec, "State");

        if (!json_is_object(s)) {
                s = json_object();
                json_object_set_new(rec, "State", s);
        }
        return s;
}

int engine_record_lock(engine_t *e, const char *id, cell_error_t *err)
{
        _cleanup_free_ char *p = engine_container_path(e, id, ".lock");

        if (!p)
                return cell_error_set(err, ENOMEM, "lock");
        return fs_lock_file(p, LOCK_EX, err);
}

char *engine_time_now(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return str_printf("%s.%09ldZ", buf, ts.tv_nsec);
}

int engine_time_parse(const char *s, int64_t *ret_unix_ns)
{
        struct tm tm = {0};
        const char *p;
        int64_t ns = 0, scale = 100000000;

        if (!s)
                return -EINVAL;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        if (*p == '.') {
                for (p++; *p >= '0' && *p <= '9'; p++) {
                        ns += (*p - '0') * scale;
                        scale /= 10;
                }
        }
        *ret_unix_ns = (int64_t)timegm(&tm) * 1000000000LL + ns;
        return 0;
}
