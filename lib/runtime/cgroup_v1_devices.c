/* cell: the cgroup v1 device controller (devices.allow, devices.deny).
 *
 * The rules apply in order over a deny-all start (runc's semantics: the list
 * is the whole policy, not additions to the parent's). The v1 file API has
 * no "all types" with a device number, so such a rule becomes a char and a
 * block rule; "a" alone (all devices, all access) resets the list.
 *
 * At creation the list is written as it is. An update must not do that: the
 * deny-all start would take every device away from the running container
 * for a moment (a process opening /dev/null then fails). So an update works
 * out the exception list the kernel would end with, reads the current one
 * from devices.list and writes only the difference, allows first, so that
 * nothing the container keeps is ever denied. Where devices.list cannot
 * tell (a default-allow list shows only "a *:* rwm"), the list is written
 * in full. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"

typedef struct {
        char type; /* 'c' or 'b' */
        int64_t major, minor;
        unsigned access;
} dev_ex_t;

/* The kernel's view: a default and a list of exceptions to it. */
typedef struct {
        bool default_allow;
        dev_ex_t *v;
        size_t n, cap;
} dev_state_t;

static bool is_reset(const cg_dev_rule_t *d)
{
        return d->type == 'a' && d->major < 0 && d->minor < 0 && d->access == CG_DEV_ALL;
}

static const char *access_str(unsigned a, char buf[4])
{
        size_t n = 0;

        if (a & CG_DEV_READ)
                buf[n++] = 'r';
        if (a & CG_DEV_WRITE)
                buf[n++] = 'w';
        if (a & CG_DEV_MKNOD)
                buf[n++] = 'm';
        buf[n] = '\0';
        return buf;
}

static dev_ex_t *ex_find(dev_state_t *s, char type, int64_t major, int64_t minor)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].type == type && s->v[i].major == major && s->v[i].minor == minor)
                        return &s->v[i];
        return NULL;
}

/* The kernel merges access into an entry for the very same device (no
 * wildcard matching) or appends one. */
static int ex_add(dev_state_t *s, const dev_ex_t *e)
{
        dev_ex_t *old = ex_find(s, e->type, e->major, e->minor);

        if (old) {
                old->access |= e->access;
                return 0;
        }
        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 16;
                dev_ex_t *nv = realloc(s->v, nc * sizeof(*nv));

                if (!nv)
                        return -ENOMEM;
                s->v = nv;
                s->cap = nc;
        }
        s->v[s->n++] = *e;
        return 0;
}

/* ... and takes access away from the very same device's entry, dropping it
 * when nothing is left. */
static void ex_rm(dev_state_t *s, const dev_ex_t *e)
{
        dev_ex_t *old = ex_find(s, e->type, e->major, e->minor);

        if (!old)
                return;
        old->access &= ~e->access;
        if (!old->access) {
                size_t i = (size_t)(old - s->v);

                memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
                s->n--;
        }
}

/* The state the full write of the rules leaves the kernel in. */
static int emulate(const cg_res_t *res, dev_state_t *s)
{
        s->default_allow = false;
        s->n = 0;
        for (size_t i = 0; i < res->n_devices; i++) {
                const cg_dev_rule_t *d = &res->devices[i];
                const char *types = d->type == 'a' ? "cb" : d->type == 'c' ? "c" : "b";

                if (is_reset(d)) {
                        s->default_allow = d->allow;
                        s->n = 0;
                        continue;
                }
                for (const char *t = types; *t; t++) {
                        dev_ex_t e = {*t, d->major, d->minor, d->access};

                        /* Against the default: an exception; with it: less of one. */
                        if (d->allow != s->default_allow) {
                                if (ex_add(s, &e) < 0)
                                        return -ENOMEM;
                        } else {
                                ex_rm(s, &e);
                        }
                }
        }
        return 0;
}

static int parse_num(const char *s, int64_t *ret)
{
        char *end;

        if (strcmp(s, "*") == 0) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        *ret = (int64_t)strtoll(s, &end, 10);
        return errno || end == s || *end ? -EINVAL : 0;
}

/* devices.list: "c 1:3 rwm" lines, or "a *:* rwm" alone for default-allow
 * (whose exceptions the kernel does not show: returns 1). */
static int read_current(cg_hier_t *h, dev_state_t *s)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        s->default_allow = false;
        s->n = 0;
        if (cg_read_alloc(h, "devices.list", &text, NULL) < 0)
                return 1;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char type, num[64], acc[8], *colon;
                dev_ex_t e = {0};

                if (sscanf(line, "%c %63s %7s", &type, num, acc) != 3)
                        return 1;
                if (type == 'a')
                        return 1;
                colon = strchr(num, ':');
                if ((type != 'c' && type != 'b') || !colon)
                        return 1;
                *colon = '\0';
                if (parse_num(num, &e.major) < 0 || parse_num(colon + 1, &e.minor) < 0)
                        return 1;
                e.type = type;
                for (const char *c = acc; *c; c++)
                        e.access |= *c == 'r'   ? CG_DEV_READ
                                    : *c == 'w' ? CG_DEV_WRITE
                                    : *c == 'm' ? CG_DEV_MKNOD
                                                : 0;
                if (ex_add(s, &e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int write_rule(int fd, cg_hier_t *h, bool allow, const char *line, const char *field,
                      cell_error_t *err)
{
        if (TEMP_FAILURE_RETRY_INT(write(fd, line, strlen(line))) < 0)
                return cell_error_errno(err, "%s: write \"%s\" to %s/%s", field, line, h->path,
                                        allow ? "devices.allow" : "devices.deny");
        return 0;
}

/* From the current list to the target one without a moment of less access
 * than both: the missing access first, then what is no longer wanted. */
static int transition(cg_hier_t *h, int allow_fd, int deny_fd, dev_state_t *cur, dev_state_t *want,
                      cell_error_t *err)
{
        const char *field = "linux.resources.devices";
        char line[96], dev[48], acc[4];
        int r;

        for (size_t i = 0; i < want->n; i++) {
                const dev_ex_t *w = &want->v[i];
                dev_ex_t *c = ex_find(cur, w->type, w->major, w->minor);
                unsigned missing = w->access & ~(c ? c->access : 0);

                if (!missing)
                        continue;
                snprintf(line, sizeof(line), "%c %s %s", w->type,
                         cg_devnum(dev, sizeof(dev), w->major, w->minor), access_str(missing, acc));
                if ((r = write_rule(allow_fd, h, true, line, field, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < cur->n; i++) {
                const dev_ex_t *c = &cur->v[i];
                dev_ex_t *w = ex_find(want, c->type, c->major, c->minor);
                unsigned extra = c->access & ~(w ? w->access : 0);

                if (!extra)
                        continue;
                snprintf(line, sizeof(line), "%c %s %s", c->type,
                         cg_devnum(dev, sizeof(dev), c->major, c->minor), access_str(extra, acc));
                if ((r = write_rule(deny_fd, h, false, line, field, err)) < 0)
                        return r;
        }
        return 0;
}

/* Every rule in order, over the deny-all start. */
static int write_all(cg_hier_t *h, int allow_fd, int deny_fd, const cg_res_t *res, cell_error_t *err)
{
        char field[64], line[96], dev[48], acc[4];
        int r;

        for (size_t i = 0; i <= res->n_devices; i++) {
                /* i == 0 is the deny-all start, then rule i - 1. */
                const cg_dev_rule_t *d = i ? &res->devices[i - 1] : NULL;
                bool reset = !d || is_reset(d);
                const char *types = reset ? "a" : d->type == 'a' ? "cb" : d->type == 'c' ? "c" : "b";
                bool allow = d && d->allow;

                /* The start is redundant when the list begins with a reset. */
                if (i == 0 && res->n_devices && is_reset(&res->devices[0]))
                        continue;
                if (d)
                        snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i - 1);
                else
                        snprintf(field, sizeof(field), "linux.resources.devices");
                for (const char *t = types; *t; t++) {
                        if (reset)
                                snprintf(line, sizeof(line), "a");
                        else
                                snprintf(line, sizeof(line), "%c %s %s", *t,
                                         cg_devnum(dev, sizeof(dev), d->major, d->minor),
                                         access_str(d->access, acc));
                        if ((r = write_rule(allow ? allow_fd : deny_fd, h, allow, line, field, err)) < 0)
                                return r;
                }
        }
        return 0;
}

int cgroup_v1_devices(cg_hier_t *h, const cg_res_t *res, bool update, cell_error_t *err)
{
        _cleanup_close_ int allow_fd = -1, deny_fd = -1;
        dev_state_t cur = {0}, want = {0};
        int r;

        /* One open of each file for the whole list: every write() is one rule. */
        allow_fd = cg_open(h, "devices.allow", O_WRONLY);
        if (allow_fd < 0)
                return cell_error_errno(err, "linux.resources.devices: write %s/devices.allow", h->path);
        deny_fd = cg_open(h, "devices.deny", O_WRONLY);
        if (deny_fd < 0)
                return cell_error_errno(err, "linux.resources.devices: write %s/devices.deny", h->path);
        if (!update)
                return write_all(h, allow_fd, deny_fd, res, err);
        if (emulate(res, &want) < 0 || (r = read_current(h, &cur)) < 0) {
                r = cell_error_set(err, ENOMEM, "linux.resources.devices");
                goto out;
        }
        if (r == 1 || want.default_allow)
                r = write_all(h, allow_fd, deny_fd, res, err);
        else
                r = transition(h, allow_fd, deny_fd, &cur, &want, err);
out:
        free(cur.v);
        free(want.v);
        return r;
}
