/* cell: a network's iptables rules. See firewall.h.
 *
 * One iptables-save to see what is there and one iptables-restore
 * --noflush to change it: the change is one transaction (iptables-nft
 * commits a restore at once), and declaring a chain in a restore flushes
 * it, so installing again replaces the rules rather than adding copies. */
#include "firewall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "sbuf.h"
#include "subprocess.h"
#include "strutil.h"

static const char *tool(const char *name, char *buf, size_t n)
{
        static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(buf, n, "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        return NULL;
}

static int run_tool(const char *name, char *const argv[], const char *input, char **ret_out,
                    cell_error_t *err)
{
        char exe[64];
        spawn_result_t sr = {0};
        int r = 0;

        if (!tool(name, exe, sizeof(exe)))
                return cell_error_plain(err, ENOENT, "%s is not installed (Debian's iptables)", name);
        if (spawn_capture(exe, argv, NULL, input, &sr, err) < 0)
                return -1;
        if (sr.status != 0) {
                size_t n = strlen(sr.errtext);

                while (n && sr.errtext[n - 1] == '\n')
                        n--;
                r = cell_error_plain(err, EIO, "%s: %.*s (exit status %d)", name, (int)n, sr.errtext,
                                     sr.status);
        } else if (ret_out) {
                *ret_out = sr.out;
                sr.out = NULL;
        }
        spawn_result_clear(&sr);
        return r;
}

static int save(char **ret, cell_error_t *err)
{
        char a0[] = "iptables-save";
        char *argv[] = {a0, NULL};

        return run_tool("iptables-save", argv, NULL, ret, err);
}

static int restore(const char *rules, cell_error_t *err)
{
        char a0[] = "iptables-restore", a1[] = "--noflush", a2[] = "-w", a3[] = "5";
        char *argv[] = {a0, a1, a2, a3, NULL};

        return run_tool("iptables-restore", argv, rules, NULL, err);
}

/* TABLE's part of iptables-save's text: [*ret_begin, *ret_end). */
static bool table_of(const char *saved, const char *table, const char **ret_begin, const char **ret_end)
{
        _cleanup_free_ char *head = str_printf("*%s\n", table);
        const char *t = head ? strstr(saved, head) : NULL;

        if (!t)
                return false;
        *ret_begin = t;
        *ret_end = strstr(t, "\nCOMMIT");
        if (!*ret_end)
                *ret_end = t + strlen(t);
        return true;
}

/* The next line of [*p, end): its start and length; false past the end. */
static bool next_line(const char **p, const char *end, const char **ret_line, size_t *ret_len)
{
        const char *l = *p, *e;

        if (!l || l >= end)
                return false;
        e = strchr(l, '\n');
        *ret_line = l;
        *ret_len = e ? (size_t)(e - l) : strlen(l);
        *p = e ? e + 1 : NULL;
        return true;
}

/* Whether TABLE declares CHAIN. */
static bool has_chain(const char *saved, const char *table, const char *chain)
{
        _cleanup_free_ char *decl = str_printf("\n:%s ", chain);
        const char *b, *e, *p;

        if (!decl || !table_of(saved, table, &b, &e))
                return false;
        p = strstr(b, decl);
        return p && p < e;
}

/* Whether iptables-save's text has LINE in TABLE. */
static bool has_line(const char *saved, const char *table, const char *line)
{
        const char *t, *end;
        size_t n = strlen(line);

        if (!table_of(saved, table, &t, &end))
                return false;
        for (const char *p = strstr(t, line); p && p < end; p = strstr(p + 1, line))
                if (p[-1] == '\n' && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

int engine_firewall_add(const char *bridge, const char *subnet, bool internal, cell_error_t *err)
{
        _cleanup_free_ char *saved = NULL, *fwd_jump = NULL, *nat_jump = NULL;
        sbuf_t b = {0};
        int r;

        if (save(&saved, err) < 0)
                return cell_error_prefix(err, "network %s: reading the firewall", bridge);
        fwd_jump = str_printf("-A FORWARD -j CELL-%s", bridge);
        nat_jump = str_printf("-A POSTROUTING -j CELL-%s", bridge);
        if (!fwd_jump || !nat_jump)
                return cell_error_set(err, ENOMEM, "firewall");
        sbuf_addf(&b, "*filter\n:CELL-%s - [0:0]\n", bridge);
        /* Within the network: always. */
        sbuf_addf(&b, "-A CELL-%s -i %s -o %s -j ACCEPT\n", bridge, bridge, bridge);
        if (internal) {
                /* No way in or out: nothing is forwarded to or from it. */
                sbuf_addf(&b, "-A CELL-%s -i %s -j DROP\n-A CELL-%s -o %s -j DROP\n", bridge, bridge, bridge,
                          bridge);
        } else {
                /* Not to another cell network (docker's isolation of
                 * networks), out to anywhere else, in for replies and
                 * published ports (DNAT) only. */
                sbuf_addf(&b, "-A CELL-%s -i %s -o cell+ -j DROP\n", bridge, bridge);
                sbuf_addf(&b, "-A CELL-%s -i %s -j ACCEPT\n", bridge, bridge);
                sbuf_addf(&b, "-A CELL-%s -o %s -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT\n",
                          bridge, bridge);
                sbuf_addf(&b, "-A CELL-%s -o %s -j DROP\n", bridge, bridge);
        }
        /* First in FORWARD: ahead of a DROP policy or docker's chains. */
        if (!has_line(saved, "filter", fwd_jump))
                sbuf_addf(&b, "-I FORWARD 1 -j CELL-%s\n", bridge);
        sbuf_addf(&b, "COMMIT\n*nat\n:CELL-%s - [0:0]\n", bridge);
        if (!internal)
                sbuf_addf(&b, "-A CELL-%s -s %s ! -o %s -j MASQUERADE\n", bridge, subnet, bridge);
        if (!has_line(saved, "nat", nat_jump))
                sbuf_addf(&b, "-A POSTROUTING -j CELL-%s\n", bridge);
        sbuf_addf(&b, "COMMIT\n");
        if (b.oom) {
                free(b.s);
                return cell_error_set(err, ENOMEM, "firewall");
        }
        r = restore(b.s, err);
        free(b.s);
        if (r < 0)
                return cell_error_prefix(err, "network %s: setting the firewall rules", bridge);
        return 0;
}

int engine_firewall_remove(const char *bridge, cell_error_t *err)
{
        _cleanup_free_ char *saved = NULL, *fwd_jump = NULL, *nat_jump = NULL, *chain = NULL;
        sbuf_t b = {0};
        bool any = false;
        int r = 0;

        if (save(&saved, err) < 0)
                return cell_error_prefix(err, "network %s: reading the firewall", bridge);
        fwd_jump = str_printf("-A FORWARD -j CELL-%s", bridge);
        nat_jump = str_printf("-A POSTROUTING -j CELL-%s", bridge);
        chain = str_printf("CELL-%s", bridge);
        if (!fwd_jump || !nat_jump || !chain)
                return cell_error_set(err, ENOMEM, "firewall");
        /* Only what is there: -D or -X of something missing fails the
         * whole restore (a removal cut short before leaves half). */
        sbuf_addf(&b, "*filter\n");
        if (has_line(saved, "filter", fwd_jump)) {
                sbuf_addf(&b, "-D FORWARD -j %s\n", chain);
                any = true;
        }
        if (has_chain(saved, "filter", chain)) {
                sbuf_addf(&b, "-F %s\n-X %s\n", chain, chain);
                any = true;
        }
        /* Rules others made for the bridge in INPUT: dnsname's, which lets
         * the network's queries reach its dnsmasq. The bridge goes, so do
         * they. */
        {
                _cleanup_free_ char *needle = str_printf(" -i %s ", bridge);
                const char *t, *end, *l;
                size_t n;

                if (needle && table_of(saved, "filter", &t, &end))
                        while (next_line(&t, end, &l, &n)) {
                                if (str_has_prefix(l, "-A INPUT ") && memmem(l, n, needle, strlen(needle))) {
                                        sbuf_addf(&b, "-D%.*s\n", (int)(n - 2), l + 2);
                                        any = true;
                                }
                        }
        }
        sbuf_addf(&b, "COMMIT\n*nat\n");
        if (has_line(saved, "nat", nat_jump)) {
                sbuf_addf(&b, "-D POSTROUTING -j %s\n", chain);
                any = true;
        }
        if (has_chain(saved, "nat", chain)) {
                sbuf_addf(&b, "-F %s\n-X %s\n", chain, chain);
                any = true;
        }
        sbuf_addf(&b, "COMMIT\n");
        if (b.oom) {
                free(b.s);
                return cell_error_set(err, ENOMEM, "firewall");
        }
        if (any)
                r = restore(b.s, err);
        free(b.s);
        if (r < 0)
                return cell_error_prefix(err, "network %s: removing the firewall rules", bridge);
        return 0;
}

void engine_firewall_portmap_gc(void)
{
        static const char *const chains[] = {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK",
                                             "CNI-HOSTPORT-MASQ"};
        _cleanup_free_ char *saved = NULL;
        cell_error_t ignored = {0};
        sbuf_t b = {0};
        const char *nat, *end;
        size_t n;

        if (save(&saved, &ignored) < 0 || !table_of(saved, "nat", &nat, &end) ||
            !has_chain(saved, "nat", "CNI-HOSTPORT-DNAT"))
                return;
        /* A rule in DNAT, or a container's chain, means a published port
         * somewhere: leave them all. */
        for (const char *p = strstr(nat, "\n-A CNI-"); p && p < end; p = strstr(p + 1, "\n-A CNI-"))
                if (str_has_prefix(p + 1, "-A CNI-HOSTPORT-DNAT ") || str_has_prefix(p + 1, "-A CNI-DN-"))
                        return;
        sbuf_addf(&b, "*nat\n");
        /* The jumps into them from the built-in chains. */
        for (const char *p = nat, *l; next_line(&p, end, &l, &n);) {

                if (!str_has_prefix(l, "-A PREROUTING ") && !str_has_prefix(l, "-A OUTPUT ") &&
                    !str_has_prefix(l, "-A POSTROUTING "))
                        continue;
                for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
                        _cleanup_free_ char *j = str_printf(" -j %s", chains[i]);
                        size_t k = j ? strlen(j) : 0;

                        if (j && n > k && memcmp(l + n - k, j, k) == 0)
                                sbuf_addf(&b, "-D%.*s\n", (int)(n - 2), l + 2);
                }
        }
        for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
                if (has_chain(saved, "nat", chains[i]))
                        sbuf_addf(&b, "-F %s\n-X %s\n", chains[i], chains[i]);
        sbuf_addf(&b, "COMMIT\n");
        if (!b.oom)
                (void)restore(b.s, &ignored);
        free(b.s);
}
