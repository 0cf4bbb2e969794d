/* cell: libFuzzer target for the Dockerfile parser, variable substitution
 * and .dockerignore (lib/build/dockerfile.c, expand.c, ignore.c).
 *
 * Dockerfiles and .dockerignore files come with the build context, often
 * from someone else's repository. Each input is parsed as a Dockerfile and
 * every word of every instruction is expanded (one word and split), then
 * the same bytes are read as a .dockerignore and matched against a few
 * paths. A refusal must carry a message and return nothing; an accepted
 * file must be consistent (lines in range, stages covering the
 * instructions). Leaks are findings. Build: scripts/fuzz.sh 60 dockerfile. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "expand.h"
#include "ignore.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Some names set, one empty, the rest unset: every branch of the modifiers. */
static const char *lookup(const char *name, void *ud)
{
        (void)ud;
        if (name[0] == 'A')
                return "x  y";
        if (name[0] == 'E')
                return "";
        if (name[0] == 'Q')
                return "'\"$A\\";
        return NULL;
}

static void expand_one(const char *s, char esc)
{
        cell_error_t err = {0};
        char *v = NULL, **w = NULL;

        if (!s)
                return;
        if (dockerfile_expand(s, esc, lookup, NULL, &v, &err) < 0) {
                if (err.msg[0] == '\0' || v)
                        __builtin_trap();
        } else if (!v) {
                __builtin_trap();
        }
        free(v);
        cell_error_clear(&err);
        if (dockerfile_expand_words(s, esc, lookup, NULL, &w, &err) < 0) {
                if (err.msg[0] == '\0' || w)
                        __builtin_trap();
        } else if (!w) {
                __builtin_trap();
        }
        strv_free(w);
}

static void expand_vec(char **v, char esc)
{
        for (size_t i = 0; v && v[i]; i++)
                expand_one(v[i], esc);
}

static void walk(const dockerfile_instr_t *in, char esc, int max_line)
{
        if (in->line < 1 || in->line > max_line || !in->original)
                __builtin_trap();
        expand_one(in->image, esc);
        expand_one(in->platform, esc);
        expand_one(in->from, esc);
        expand_one(in->chown, esc);
        expand_one(in->chmod, esc);
        expand_vec(in->args, esc);
        if (strv_length(in->args) != in->n_args && in->kind != DOCKERFILE_SHELL)
                __builtin_trap();
        if ((in->kind == DOCKERFILE_COPY || in->kind == DOCKERFILE_ADD) && in->n_args < 2)
                __builtin_trap();
        if (!in->cmd.exec_form)
                expand_vec(in->cmd.argv, esc);
        for (size_t i = 0; i < in->n_kvs; i++) {
                expand_one(in->kvs[i].key, esc);
                expand_one(in->kvs[i].value, esc);
        }
        for (size_t i = 0; i < in->n_mounts; i++) {
                expand_one(in->mounts[i].target, esc);
                expand_one(in->mounts[i].id, esc);
        }
        for (size_t i = 0; i < in->n_heredocs; i++) {
                cell_error_t err = {0};
                char *v = NULL;

                if (!in->heredocs[i].expand)
                        continue;
                if (dockerfile_expand_heredoc(in->heredocs[i].content, esc, lookup, NULL, &v, &err) < 0) {
                        if (err.msg[0] == '\0' || v)
                                __builtin_trap();
                } else if (!v) {
                        __builtin_trap();
                }
                free(v);
        }
        if (in->kind == DOCKERFILE_ONBUILD) {
                if (!in->trigger)
                        __builtin_trap();
                walk(in->trigger, esc, max_line);
        }
}

static void check_dockerfile(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        dockerfile_t *df = NULL;
        size_t covered;
        int lines = 1;

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        if (dockerfile_parse((const char *)data, size, "Dockerfile", &df, &err) < 0) {
                if (err.msg[0] == '\0' || df)
                        __builtin_trap();
                return;
        }
        if (!df || df->n_stages == 0 || (df->escape != '\\' && df->escape != '`'))
                __builtin_trap();
        covered = df->n_global_args;
        for (size_t s = 0; s < df->n_stages; s++) {
                if (df->stages[s].first != covered || df->instrs[covered].kind != DOCKERFILE_FROM)
                        __builtin_trap();
                covered += df->stages[s].count;
        }
        if (covered != df->n_instrs)
                __builtin_trap();
        for (size_t i = 0; i < df->n_instrs; i++)
                walk(&df->instrs[i], df->escape, lines);
        dockerfile_free(df);
}

static void check_ignore(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                "a",     "a/b",          "src/main.c", "node_modules/x/y", ".git/HEAD", "docs/README.md",
                "x.log", "build/out/bin"};
        cell_error_t err = {0};
        dockerignore_t *ig = NULL;

        if (dockerignore_parse((const char *)data, size, &ig, &err) < 0) {
                if (err.msg[0] == '\0' || ig)
                        __builtin_trap();
                return;
        }
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                (void)dockerignore_excluded(ig, paths[i]);
                (void)dockerignore_may_reinclude(ig, paths[i]);
        }
        /* Each pattern against each other one taken as a path (path-sized:
         * real paths stop at PATH_MAX). */
        for (size_t i = 0; i < dockerignore_count(ig) && i < 16; i++) {
                const char *pat = dockerignore_pattern(ig, i, NULL);

                for (size_t j = 0; j < dockerignore_count(ig) && j < 16; j++) {
                        const char *path = dockerignore_pattern(ig, j, NULL);

                        if (strlen(pat) <= 4096 && strlen(path) <= 4096)
                                (void)dockerignore_match(pat, path);
                }
        }
        dockerignore_free(ig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        check_dockerfile(data, size);
        check_ignore(data, size);
        return 0;
}
