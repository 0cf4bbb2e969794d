/* cell: unit tests for the Dockerfile parser and variable substitution
 * (lib/build/dockerfile.c, lib/build/expand.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dockerfile.h"
#include "expand.h"
#include "strutil.h"

static dockerfile_t *parse_ok(const char *text)
{
        dockerfile_t *df = NULL;
        cell_error_t e = {0};

        if (dockerfile_parse(text, strlen(text), "Dockerfile", &df, &e) < 0)
                fail_msg("dockerfile_parse: %s", e.msg);
        assert_non_null(df);
        return df;
}

static void parse_err(const char *text, const char *message)
{
        dockerfile_t *sentinel = (dockerfile_t *)(uintptr_t)0x1;
        dockerfile_t *df = sentinel;
        cell_error_t e = {0};

        if (dockerfile_parse(text, strlen(text), "Dockerfile", &df, &e) >= 0)
                fail_msg("parsed, expected: %s", message);
        assert_string_equal(e.msg, message);
        /* Nothing half-returned. */
        assert_ptr_equal(df, sentinel);
}

/* The one instruction of a stage-less check: FROM a + text, instrs[1]. */
#define ONE(text) parse_ok("FROM a\n" text)

static void test_from(void **state)
{
        dockerfile_t *df = parse_ok("FROM --platform=linux/arm64 golang:1.22 AS Build\n");

        assert_int_equal(df->n_instrs, 1);
        assert_int_equal(df->instrs[0].kind, DOCKERFILE_FROM);
        assert_int_equal(df->instrs[0].line, 1);
        assert_string_equal(df->instrs[0].image, "golang:1.22");
        assert_string_equal(df->instrs[0].stage_name, "build");
        assert_string_equal(df->instrs[0].platform, "linux/arm64");
        assert_int_equal(df->n_stages, 1);
        assert_string_equal(df->stages[0].name, "build");
        dockerfile_free(df);

        df = parse_ok("from alpine");
        assert_string_equal(df->instrs[0].image, "alpine");
        assert_null(df->instrs[0].stage_name);
        assert_null(df->instrs[0].platform);
        dockerfile_free(df);
}

static void test_from_errors(void **state)
{
        parse_err("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments");
        parse_err("FROM\n", "Dockerfile:1: FROM requires either one or three arguments");
        parse_err("FROM a AS b c\n", "Dockerfile:1: FROM requires either one or three arguments");
        parse_err("FROM a AS 1x\n",
                  "Dockerfile:1: invalid name for build stage: \"1x\", name can't start with a "
                  "number or contain symbols");
        parse_err("FROM a AS x\nFROM b AS X\n", "Dockerfile:2: duplicate stage name \"x\"");
        parse_err("FROM --platform a\n", "Dockerfile:1: missing a value on flag: platform");
        parse_err("FROM --foo=1 a\n", "Dockerfile:1: unknown flag: foo");
}

static void test_stages_and_global_args(void **state)
{
        dockerfile_t *df = parse_ok("ARG V=1\n"
                                    "ARG BASE\n"
                                    "FROM a:$V AS one\n"
                                    "RUN x\n"
                                    "ENV A=1\n"
                                    "FROM one\n"
                                    "COPY --from=one /a /b\n");
        const dockerfile_stage_t *s;

        assert_int_equal(df->n_instrs, 7);
        assert_int_equal(df->n_global_args, 2);
        assert_int_equal(df->n_stages, 2);
        assert_string_equal(df->stages[0].name, "one");
        assert_int_equal(df->stages[0].first, 2);
        assert_int_equal(df->stages[0].count, 3);
        assert_null(df->stages[1].name);
        assert_int_equal(df->stages[1].first, 5);
        assert_int_equal(df->stages[1].count, 2);
        assert_string_equal(df->instrs[2].image, "a:$V");
        s = dockerfile_find_stage(df, "ONE");
        assert_ptr_equal(s, &df->stages[0]);
        assert_ptr_equal(dockerfile_find_stage(df, "1"), &df->stages[1]);
        assert_null(dockerfile_find_stage(df, "2"));
        assert_null(dockerfile_find_stage(df, "two"));
        dockerfile_free(df);
}

static void test_structure_errors(void **state)
{
        parse_err("", "Dockerfile: file with no instructions");
        parse_err("# only\n\n   \n# comments\n", "Dockerfile: file with no instructions");
        parse_err("RUN x\nFROM a\n", "Dockerfile:1: no build stage in current context");
        parse_err("ARG a\nENV b=1\nFROM a\n", "Dockerfile:2: no build stage in current context");
        parse_err("ARG a\n", "Dockerfile:1: no FROM instruction: a build needs at least one stage");
        parse_err("FROM a\n\n# c\nfoo bar\n", "Dockerfile:4: unknown instruction: FOO");
        parse_err("FROM a\nRUN a \\\n b\nfrobnicate\n", "Dockerfile:4: unknown instruction: FROBNICATE");
}

static void test_nul_byte(void **state)
{
        dockerfile_t *df = NULL;
        cell_error_t e = {0};

        assert_true(dockerfile_parse("FROM a\0b", 8, "Containerfile", &df, &e) < 0);
        assert_string_equal(e.msg, "Containerfile: not a text file (it holds a NUL byte)");
        assert_null(df);
}

static void test_comments_continuations(void **state)
{
        dockerfile_t *df = parse_ok("FROM a\n"
                                    "RUN echo a \\\n"
                                    "  # a comment inside\n"
                                    "\n"
                                    "  && echo b\n"
                                    "   # indented comment\n"
                                    "USER x\n"
                                    "RUN one \\  \n"
                                    "two\n");

        assert_int_equal(df->n_instrs, 4);
        assert_int_equal(df->instrs[1].kind, DOCKERFILE_RUN);
        assert_int_equal(df->instrs[1].line, 2);
        assert_false(df->instrs[1].cmd.exec_form);
        assert_string_equal(df->instrs[1].cmd.argv[0], "echo a   && echo b");
        assert_null(df->instrs[1].cmd.argv[1]);
        assert_int_equal(df->instrs[2].kind, DOCKERFILE_USER);
        assert_int_equal(df->instrs[2].line, 7);
        assert_string_equal(df->instrs[3].cmd.argv[0], "one two");
        assert_int_equal(df->instrs[3].line, 8);
        dockerfile_free(df);
}

static void test_crlf_bom(void **state)
{
        dockerfile_t *df = parse_ok("\xef\xbb\xbf"
                                    "FROM a\r\nRUN x \\\r\n y\r\nUSER u\r\n");

        assert_int_equal(df->n_instrs, 3);
        assert_string_equal(df->instrs[1].cmd.argv[0], "x  y");
        assert_string_equal(df->instrs[2].args[0], "u");
        assert_int_equal(df->instrs[2].line, 4);
        dockerfile_free(df);
}

static void test_directives(void **state)
{
        dockerfile_t *df = parse_ok("# syntax=docker/dockerfile:1.7\n"
                                    "#escape = `\n"
                                    "# check=skip=all\n"
                                    "FROM a\n"
                                    "RUN dir c:\\ `\n"
                                    "  /w\n");

        assert_string_equal(df->syntax, "docker/dockerfile:1.7");
        assert_string_equal(df->check, "skip=all");
        assert_int_equal(df->escape, '`');
        assert_string_equal(df->instrs[1].cmd.argv[0], "dir c:\\   /w");
        dockerfile_free(df);

        /* A plain comment ends the directives: escape stays '\'. */
        df = parse_ok("# hello\n# escape=`\nFROM a\nRUN a \\\n b\n");
        assert_int_equal(df->escape, '\\');
        assert_null(df->syntax);
        assert_string_equal(df->instrs[1].cmd.argv[0], "a  b");
        dockerfile_free(df);

        /* So does an empty line. */
        df = parse_ok("\n# escape=`\nFROM a\n");
        assert_int_equal(df->escape, '\\');
        dockerfile_free(df);

        /* Unknown directives are comments. */
        df = parse_ok("# foo=bar\n# escape=`\nFROM a\n");
        assert_int_equal(df->escape, '`');
        dockerfile_free(df);

        parse_err("# escape=`\n# escape=\\\nFROM a\n",
                  "Dockerfile:2: only one escape parser directive can be used");
        parse_err("# escape=x\nFROM a\n", "Dockerfile:1: invalid escape token 'x' does not validate");
        parse_err("# syntax=a\n# syntax=b\nFROM a\n",
                  "Dockerfile:2: only one syntax parser directive can be used");
}

static void test_run_forms(void **state)
{
        dockerfile_t *df = ONE("RUN [\"echo\", \"a b\"]\n"
                               "RUN [echo a]\n"
                               "RUN echo $HOME && ls\n"
                               "RUN [\"sh\"] trailing\n"
                               "CMD [\"a\"]\n"
                               "CMD a b\n"
                               "ENTRYPOINT []\n"
                               "ENTRYPOINT exec x\n");
        dockerfile_instr_t *in = df->instrs;

        assert_true(in[1].cmd.exec_form);
        assert_string_equal(in[1].cmd.argv[0], "echo");
        assert_string_equal(in[1].cmd.argv[1], "a b");
        assert_null(in[1].cmd.argv[2]);
        assert_false(in[2].cmd.exec_form);
        assert_string_equal(in[2].cmd.argv[0], "[echo a]");
        assert_false(in[3].cmd.exec_form);
        assert_string_equal(in[3].cmd.argv[0], "echo $HOME && ls");
        assert_true(in[4].cmd.exec_form); /* Docker's decoder stops after the array */
        assert_int_equal(in[5].kind, DOCKERFILE_CMD);
        assert_true(in[5].cmd.exec_form);
        assert_false(in[6].cmd.exec_form);
        assert_string_equal(in[6].cmd.argv[0], "a b");
        assert_int_equal(in[7].kind, DOCKERFILE_ENTRYPOINT);
        assert_true(in[7].cmd.exec_form);
        assert_null(in[7].cmd.argv[0]);
        assert_false(in[8].cmd.exec_form);
        dockerfile_free(df);

        parse_err("FROM a\nCMD [\"a\", 1]\n",
                  "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
        parse_err("FROM a\nRUN\n", "Dockerfile:2: RUN requires at least one argument");
        parse_err("FROM a\nCMD\n", "Dockerfile:2: CMD requires at least one argument");
}

static void test_run_flags(void **state)
{
        dockerfile_t *df = ONE("RUN --mount=type=secret,id=tok,target=/t,required=true "
                               "--mount=type=cache,target=/root/.cache,sharing=locked,uid=1000 "
                               "--mount=type=secret,target=/run/x/npmrc --mount=target=/src,rw "
                               "--mount=type=ssh --network=none --security=insecure make all\n");
        dockerfile_instr_t *in = &df->instrs[1];

        assert_int_equal(in->n_mounts, 5);
        assert_int_equal(in->mounts[0].type, DOCKERFILE_MOUNT_SECRET);
        assert_string_equal(in->mounts[0].id, "tok");
        assert_string_equal(in->mounts[0].target, "/t");
        assert_true(in->mounts[0].required);
        assert_int_equal(in->mounts[1].type, DOCKERFILE_MOUNT_CACHE);
        assert_string_equal(in->mounts[1].target, "/root/.cache");
        assert_string_equal(in->mounts[1].id, "/root/.cache");
        assert_int_equal(in->mounts[1].sharing, DOCKERFILE_SHARING_LOCKED);
        assert_int_equal(in->mounts[1].uid, 1000);
        assert_int_equal(in->mounts[1].gid, -1);
        assert_string_equal(in->mounts[2].id, "npmrc");
        assert_false(in->mounts[2].required);
        assert_int_equal(in->mounts[3].type, DOCKERFILE_MOUNT_BIND);
        assert_false(in->mounts[3].readonly);
        assert_int_equal(in->mounts[4].type, DOCKERFILE_MOUNT_SSH);
        assert_string_equal(in->mounts[4].id, "default");
        assert_string_equal(in->network, "none");
        assert_string_equal(in->security, "insecure");
        assert_string_equal(in->cmd.argv[0], "make all");
        dockerfile_free(df);

        df = ONE("RUN --mount=type=secret,id=aws cat /run/secrets/aws\nRUN "
                 "--mount=type=bind,source=a,target=/b x\n");
        assert_string_equal(df->instrs[1].mounts[0].target, "/run/secrets/aws");
        assert_true(df->instrs[2].mounts[0].readonly);
        assert_string_equal(df->instrs[2].mounts[0].source, "a");
        dockerfile_free(df);

        parse_err("FROM a\nRUN --network=bogus x\n", "Dockerfile:2: unsupported network mode \"bogus\"");
        parse_err("FROM a\nRUN --mount=type=nfs,target=/x x\n",
                  "Dockerfile:2: --mount: unsupported mount type \"nfs\"");
        parse_err("FROM a\nRUN --mount=type=cache x\n",
                  "Dockerfile:2: --mount: a cache mount needs a target");
        parse_err("FROM a\nRUN --mount=type=cache,target=/a,sharing=x x\n",
                  "Dockerfile:2: --mount: unsupported sharing value \"x\"");
        parse_err("FROM a\nRUN --mount=type=cache,target=/a,bogus=1 x\n",
                  "Dockerfile:2: --mount: unexpected key 'bogus' in 'bogus=1'");
        parse_err("FROM a\nRUN --mount=type=secret x\n",
                  "Dockerfile:2: --mount: a secret mount needs an id or a target");
        parse_err("FROM a\nRUN --foo=bar x\n", "Dockerfile:2: unknown flag: foo");
        parse_err("FROM a\nRUN --network=host --network=none x\n",
                  "Dockerfile:2: duplicate flag specified: network");
}

static void test_env_label(void **state)
{
        dockerfile_t *df = ONE("ENV a=1 b=\"two words\" c=three\\ four\n"
                               "ENV legacy value with  spaces\n"
                               "LABEL org.opencontainers.image.title=\"cell\" \"quoted key\"=v e=\n"
                               "LABEL x y\n");
        dockerfile_instr_t *in = df->instrs;
        char *v = NULL;
        cell_error_t e = {0};

        assert_int_equal(in[1].kind, DOCKERFILE_ENV);
        assert_int_equal(in[1].n_kvs, 3);
        assert_string_equal(in[1].kvs[0].key, "a");
        assert_string_equal(in[1].kvs[0].value, "1");
        assert_string_equal(in[1].kvs[1].key, "b");
        assert_string_equal(in[1].kvs[1].value, "\"two words\"");
        assert_string_equal(in[1].kvs[2].value, "three\\ four");
        assert_int_equal(dockerfile_expand(in[1].kvs[1].value, '\\', NULL, NULL, &v, &e), 0);
        assert_string_equal(v, "two words");
        free(v);
        assert_int_equal(dockerfile_expand(in[1].kvs[2].value, '\\', NULL, NULL, &v, &e), 0);
        assert_string_equal(v, "three four");
        free(v);
        assert_int_equal(in[2].n_kvs, 1);
        assert_string_equal(in[2].kvs[0].key, "legacy");
        assert_string_equal(in[2].kvs[0].value, "value with  spaces");
        assert_int_equal(in[3].kind, DOCKERFILE_LABEL);
        assert_int_equal(in[3].n_kvs, 3);
        assert_string_equal(in[3].kvs[0].key, "org.opencontainers.image.title");
        assert_string_equal(in[3].kvs[1].key, "\"quoted key\"");
        assert_string_equal(in[3].kvs[2].value, "");
        assert_true(in[3].kvs[2].has_value);
        assert_string_equal(in[4].kvs[0].key, "x");
        assert_string_equal(in[4].kvs[0].value, "y");
        dockerfile_free(df);

        parse_err("FROM a\nENV k\n", "Dockerfile:2: ENV must have two arguments");
        parse_err("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument");
        parse_err("FROM a\nENV =x\n", "Dockerfile:2: ENV names can not be blank");
        parse_err("FROM a\nLABEL =x\n", "Dockerfile:2: LABEL names can not be blank");
        parse_err("FROM a\nENV a=1 b\n",
                  "Dockerfile:2: Syntax error - can't find = in \"b\". Must be of the form: name=value");
}

static void test_arg(void **state)
{
        dockerfile_t *df = ONE("ARG a b=2 c=\"\" d='x y'\n");
        dockerfile_instr_t *in = &df->instrs[1];

        assert_int_equal(in->n_kvs, 4);
        assert_string_equal(in->kvs[0].key, "a");
        assert_false(in->kvs[0].has_value);
        assert_null(in->kvs[0].value);
        assert_string_equal(in->kvs[1].value, "2");
        assert_true(in->kvs[2].has_value);
        assert_string_equal(in->kvs[2].value, "\"\"");
        assert_string_equal(in->kvs[3].value, "'x y'");
        dockerfile_free(df);

        parse_err("FROM a\nARG\n", "Dockerfile:2: ARG requires at least one argument");
        parse_err("FROM a\nARG =1\n", "Dockerfile:2: ARG names can not be blank");
}

static void test_simple_instructions(void **state)
{
        dockerfile_t *df = ONE("EXPOSE 80/tcp  443\n"
                               "WORKDIR /app dir\n"
                               "USER 1000:1000\n"
                               "STOPSIGNAL SIGTERM\n"
                               "MAINTAINER someone <a@b.c>\n"
                               "VOLUME [\"/data\", \"/logs\"]\n"
                               "VOLUME /a /b\n"
                               "SHELL [\"/bin/bash\", \"-c\"]\n");
        dockerfile_instr_t *in = df->instrs;

        assert_int_equal(in[1].n_args, 2);
        assert_string_equal(in[1].args[0], "80/tcp");
        assert_string_equal(in[1].args[1], "443");
        assert_string_equal(in[2].args[0], "/app dir");
        assert_string_equal(in[3].args[0], "1000:1000");
        assert_int_equal(in[4].kind, DOCKERFILE_STOPSIGNAL);
        assert_string_equal(in[4].args[0], "SIGTERM");
        assert_int_equal(in[5].kind, DOCKERFILE_MAINTAINER);
        assert_string_equal(in[5].args[0], "someone <a@b.c>");
        assert_int_equal(in[6].n_args, 2);
        assert_string_equal(in[6].args[1], "/logs");
        assert_int_equal(in[7].n_args, 2);
        assert_string_equal(in[7].args[0], "/a");
        assert_true(in[8].cmd.exec_form);
        assert_string_equal(in[8].cmd.argv[0], "/bin/bash");
        assert_string_equal(in[8].cmd.argv[1], "-c");
        assert_int_equal(in[8].line, 9);
        dockerfile_free(df);

        parse_err("FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument");
        parse_err("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument");
        parse_err("FROM a\nUSER   \n", "Dockerfile:2: USER requires exactly one argument");
        parse_err("FROM a\nSTOPSIGNAL\n", "Dockerfile:2: STOPSIGNAL requires exactly one argument");
        parse_err("FROM a\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one argument");
        parse_err("FROM a\nVOLUME [\"\"]\n", "Dockerfile:2: VOLUME specified can not be an empty string");
        parse_err("FROM a\nSHELL /bin/sh -c\n",
                  "Dockerfile:2: SHELL requires the arguments to be in JSON form");
        parse_err("FROM a\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument");
        parse_err("FROM a\nUSER --x=1 u\n", "Dockerfile:2: unknown flag: x");
}

static void test_copy_add(void **state)
{
        dockerfile_t *df = ONE("COPY --from=build --chown=1:1 --chmod=755 --link a b /dst/\n"
                               "COPY [\"a b\", \"/c d/\"]\n"
                               "ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.tgz /z\n"
                               "COPY --parents --exclude=*.tmp --exclude=.git src/ /app/\n"
                               "ADD --link=false a b\n");
        dockerfile_instr_t *in = df->instrs;

        assert_int_equal(in[1].kind, DOCKERFILE_COPY);
        assert_string_equal(in[1].from, "build");
        assert_string_equal(in[1].chown, "1:1");
        assert_string_equal(in[1].chmod, "755");
        assert_true(in[1].link);
        assert_int_equal(in[1].n_args, 3);
        assert_string_equal(in[1].args[2], "/dst/");
        assert_int_equal(in[2].n_args, 2);
        assert_string_equal(in[2].args[0], "a b");
        assert_string_equal(in[2].args[1], "/c d/");
        assert_int_equal(in[3].kind, DOCKERFILE_ADD);
        assert_string_equal(in[3].checksum, "sha256:abc");
        assert_true(in[3].keep_git_dir);
        assert_true(in[4].parents);
        assert_int_equal(strv_length(in[4].excludes), 2);
        assert_string_equal(in[4].excludes[1], ".git");
        assert_false(in[5].link);
        dockerfile_free(df);

        parse_err("FROM a\n\n\n\n\n\nCOPY a\n",
                  "Dockerfile:7: COPY requires at least two arguments, but only "
                  "one was provided. Destination could not be determined.");
        parse_err("FROM a\nADD\n", "Dockerfile:2: ADD requires at least two arguments");
        parse_err("FROM a\nCOPY [\"a\"]\n",
                  "Dockerfile:2: COPY requires at least two arguments, but only one "
                  "was provided. Destination could not be determined.");
        parse_err("FROM a\nADD --from=x a b\n", "Dockerfile:2: unknown flag: from");
        parse_err("FROM a\nCOPY --link=maybe a b\n",
                  "Dockerfile:2: expecting boolean value for flag link, not: maybe");
        parse_err("FROM a\nCOPY --from a b\n", "Dockerfile:2: missing a value on flag: from");
}

static void test_heredocs(void **state)
{
        dockerfile_t *df = ONE("RUN <<EOF\n"
                               "echo hi\n"
                               "\n"
                               "# not a comment here\n"
                               "EOF\n"
                               "RUN <<-EOT bash\n"
                               "\t\techo tab\n"
                               "\tEOT\n"
                               "COPY <<A <<\"B\" /dest/\n"
                               "a $X\n"
                               "A\n"
                               "b $X\n"
                               "B\n"
                               "RUN python3 <<'PY' > out\n"
                               "print(1)\n"
                               "PY\n"
                               "RUN echo '<<NOT' \"<<NOPE\" a<<b\n"
                               "USER u\n");
        dockerfile_instr_t *in = df->instrs;

        assert_int_equal(df->n_instrs, 7);
        assert_int_equal(in[1].line, 2);
        assert_string_equal(in[1].cmd.argv[0], "<<EOF");
        assert_int_equal(in[1].n_heredocs, 1);
        assert_string_equal(in[1].heredocs[0].name, "EOF");
        assert_string_equal(in[1].heredocs[0].content, "echo hi\n\n# not a comment here\n");
        assert_true(in[1].heredocs[0].expand);
        assert_false(in[1].heredocs[0].strip_tabs);
        assert_int_equal(in[2].line, 7);
        assert_true(in[2].heredocs[0].strip_tabs);
        assert_string_equal(in[2].heredocs[0].content, "echo tab\n");
        assert_int_equal(in[3].kind, DOCKERFILE_COPY);
        assert_int_equal(in[3].line, 10);
        assert_int_equal(in[3].n_heredocs, 2);
        assert_string_equal(in[3].heredocs[0].name, "A");
        assert_string_equal(in[3].heredocs[0].content, "a $X\n");
        assert_true(in[3].heredocs[0].expand);
        assert_string_equal(in[3].heredocs[1].name, "B");
        assert_string_equal(in[3].heredocs[1].content, "b $X\n");
        assert_false(in[3].heredocs[1].expand);
        assert_int_equal(in[3].n_args, 3);
        assert_string_equal(in[3].args[2], "/dest/");
        assert_string_equal(in[4].heredocs[0].name, "PY");
        assert_false(in[4].heredocs[0].expand);
        assert_string_equal(in[4].cmd.argv[0], "python3 <<'PY' > out");
        assert_int_equal(in[5].n_heredocs, 0);
        assert_int_equal(in[6].kind, DOCKERFILE_USER);
        assert_int_equal(in[6].line, 19);
        dockerfile_free(df);

        parse_err("FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc EOF");
        parse_err("FROM a\nRUN <<EOF cat <<EOG\na\nEOF\n", "Dockerfile:2: unterminated heredoc EOG");
}

static void test_healthcheck(void **state)
{
        dockerfile_t *df = ONE("HEALTHCHECK NONE\n"
                               "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms "
                               "--start-interval=1.5s --retries=3 CMD curl -f http://localhost/\n"
                               "HEALTHCHECK CMD [\"/bin/check\"]\n");
        dockerfile_instr_t *in = df->instrs;

        assert_true(in[1].health_none);
        assert_false(in[2].health_none);
        assert_int_equal(in[2].interval_ns, 30000000000LL);
        assert_int_equal(in[2].timeout_ns, 90000000000LL);
        assert_int_equal(in[2].start_period_ns, 500000000LL);
        assert_int_equal(in[2].start_interval_ns, 1500000000LL);
        assert_int_equal(in[2].retries, 3);
        assert_false(in[2].cmd.exec_form);
        assert_string_equal(in[2].cmd.argv[0], "curl -f http://localhost/");
        assert_true(in[3].cmd.exec_form);
        assert_int_equal(in[3].retries, -1);
        dockerfile_free(df);

        parse_err("FROM a\nHEALTHCHECK\n", "Dockerfile:2: HEALTHCHECK requires at least one argument");
        parse_err("FROM a\nHEALTHCHECK FOO x\n",
                  "Dockerfile:2: Unknown type \"FOO\" in HEALTHCHECK (try CMD)");
        parse_err("FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
        parse_err("FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
                  "Dockerfile:2: --retries cannot be negative (-1)");
        parse_err("FROM a\nHEALTHCHECK --interval=1ns CMD x\n",
                  "Dockerfile:2: Interval \"interval\" cannot be less than 1ms");
        parse_err("FROM a\nHEALTHCHECK --timeout=abc CMD x\n",
                  "Dockerfile:2: invalid duration for --timeout: abc");
        parse_err("FROM a\nHEALTHCHECK CMD\n",
                  "Dockerfile:2: HEALTHCHECK CMD requires at least one argument");
}

static void test_onbuild(void **state)
{
        dockerfile_t *df = ONE("ONBUILD RUN --network=none make\nONBUILD copy . /src\n");
        dockerfile_instr_t *in = df->instrs;

        assert_int_equal(in[1].kind, DOCKERFILE_ONBUILD);
        assert_non_null(in[1].trigger);
        assert_int_equal(in[1].trigger->kind, DOCKERFILE_RUN);
        assert_string_equal(in[1].trigger->network, "none");
        assert_string_equal(in[1].trigger->cmd.argv[0], "make");
        assert_string_equal(in[1].trigger->original, "RUN --network=none make");
        assert_int_equal(in[2].trigger->kind, DOCKERFILE_COPY);
        assert_int_equal(in[2].trigger->line, 3);
        dockerfile_free(df);

        parse_err("FROM a\nONBUILD ONBUILD RUN x\n",
                  "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        parse_err("FROM a\nONBUILD FROM x\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
        parse_err("FROM a\nONBUILD MAINTAINER x\n",
                  "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
        parse_err("FROM a\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument");
        parse_err("FROM a\nONBUILD BOGUS x\n", "Dockerfile:2: unknown instruction: BOGUS");
        parse_err("FROM a\nONBUILD COPY a\n",
                  "Dockerfile:2: COPY requires at least two arguments, but only one "
                  "was provided. Destination could not be determined.");
}

static void test_original_and_kind_names(void **state)
{
        dockerfile_t *df = ONE("  run   echo  a   \n");

        assert_string_equal(df->instrs[1].original, "run   echo  a");
        assert_string_equal(dockerfile_kind_name(DOCKERFILE_HEALTHCHECK), "HEALTHCHECK");
        assert_string_equal(dockerfile_kind_name(df->instrs[1].kind), "RUN");
        dockerfile_free(df);
}

static void test_duration(void **state)
{
        int64_t v;

        assert_int_equal(dockerfile_parse_duration("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(dockerfile_parse_duration("1h2m3s", &v), 0);
        assert_int_equal(v, 3723000000000LL);
        assert_int_equal(dockerfile_parse_duration("1.5ms", &v), 0);
        assert_int_equal(v, 1500000);
        assert_int_equal(dockerfile_parse_duration("10us", &v), 0);
        assert_int_equal(v, 10000);
        assert_int_equal(dockerfile_parse_duration("-2s", &v), 0);
        assert_int_equal(v, -2000000000LL);
        assert_true(dockerfile_parse_duration("", &v) < 0);
        assert_true(dockerfile_parse_duration("5", &v) < 0);
        assert_true(dockerfile_parse_duration("s", &v) < 0);
        assert_true(dockerfile_parse_duration("1d", &v) < 0);
        assert_true(dockerfile_parse_duration("99999999999999999999h", &v) < 0);
}

static void test_edge_lines(void **state)
{
        dockerfile_t *df = parse_ok("FROM a\n"
                                    "\\\n"
                                    "RUN x\n"
                                    "EXPOSE\t80\t\t81\n"
                                    "RUN last \\");

        assert_int_equal(df->n_instrs, 4);
        assert_int_equal(df->instrs[1].line, 2);
        assert_string_equal(df->instrs[1].cmd.argv[0], "x");
        assert_int_equal(df->instrs[2].n_args, 2);
        assert_string_equal(df->instrs[2].args[1], "81");
        /* A continuation at the end of the file ends the instruction. */
        assert_string_equal(df->instrs[3].cmd.argv[0], "last");
        assert_int_equal(df->instrs[3].line, 5);
        dockerfile_free(df);

        /* No here-documents in the exec form: the next line is an instruction. */
        parse_err("FROM a\nRUN [\"cat\", \"<<EOF\"]\nEOF\n", "Dockerfile:3: unknown instruction: EOF");
        /* A here-document's body is not read as instructions. */
        df = ONE("RUN <<EOF\nFROM b\nnonsense\nEOF\n");
        assert_int_equal(df->n_instrs, 2);
        assert_int_equal(df->n_stages, 1);
        dockerfile_free(df);
}

static void test_backtick_words(void **state)
{
        dockerfile_t *df = parse_ok("# escape=`\n"
                                    "FROM a\n"
                                    "ENV P=c:\\dir` x Q=\"a`\"b\"\n"
                                    "COPY [\"c:\\\\src\", \"c:\\\\dst\"]\n");
        char *v = NULL;
        cell_error_t e = {0};

        assert_int_equal(df->instrs[1].n_kvs, 2);
        assert_string_equal(df->instrs[1].kvs[0].value, "c:\\dir` x");
        assert_int_equal(dockerfile_expand(df->instrs[1].kvs[0].value, df->escape, NULL, NULL, &v, &e), 0);
        assert_string_equal(v, "c:\\dir x");
        free(v);
        assert_int_equal(dockerfile_expand(df->instrs[1].kvs[1].value, df->escape, NULL, NULL, &v, &e), 0);
        assert_string_equal(v, "a\"b");
        free(v);
        assert_string_equal(df->instrs[2].args[0], "c:\\src");
        dockerfile_free(df);
}

/* ---- expansion ---- */

static const char *env_lookup(const char *name, void *ud)
{
        static const char *const env[][2] = {
                {"A", "1"}, {"E", ""}, {"L", "x  y"}, {"HOME", "/root"}, {"_u9", "u"},
        };

        for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
                if (strcmp(env[i][0], name) == 0)
                        return env[i][1];
        return NULL;
}

static void expand_is(const char *in, char esc, const char *want)
{
        char *v = NULL;
        cell_error_t e = {0};

        if (dockerfile_expand(in, esc, env_lookup, NULL, &v, &e) < 0)
                fail_msg("expand(%s): %s", in, e.msg);
        if (strcmp(v, want) != 0)
                fail_msg("expand(%s) = \"%s\", want \"%s\"", in, v, want);
        free(v);
}

static void expand_fails(const char *in, const char *message)
{
        char *v = (char *)"untouched";
        cell_error_t e = {0};

        assert_true(dockerfile_expand(in, '\\', env_lookup, NULL, &v, &e) < 0);
        assert_string_equal(e.msg, message);
        assert_string_equal(v, "untouched");
}

static void test_expand_basic(void **state)
{
        expand_is("", '\\', "");
        expand_is("plain", '\\', "plain");
        expand_is("$A", '\\', "1");
        expand_is("${A}", '\\', "1");
        expand_is("a${A}b$A/c", '\\', "a1b1/c");
        expand_is("$HOME/x", '\\', "/root/x");
        expand_is("$_u9.", '\\', "u.");
        expand_is("$UNSET|${UNSET}", '\\', "|");
        expand_is("$", '\\', "$");
        expand_is("a$", '\\', "a$");
        expand_is("$-x $/ $.", '\\', "x $/ $.");
        expand_is("$1abc ${12}d $$", '\\', "abc d ");
        expand_is("${#}", '\\', "");
        expand_is("100%", '\\', "100%");
}

static void test_expand_modifiers(void **state)
{
        expand_is("${UNSET:-def}", '\\', "def");
        expand_is("${E:-def}", '\\', "def");
        expand_is("${A:-def}", '\\', "1");
        expand_is("${UNSET-def}", '\\', "def");
        expand_is("${E-def}", '\\', "");
        expand_is("${A:+alt}", '\\', "alt");
        expand_is("${E:+alt}", '\\', "");
        expand_is("${E+alt}", '\\', "alt");
        expand_is("${UNSET+alt}", '\\', "");
        expand_is("${UNSET:-${A}x}", '\\', "1x");
        expand_is("${UNSET:-\"a b\"}", '\\', "a b");
        expand_is("${UNSET:-a\\}b}", '\\', "a}b");
        expand_is("${A:?must}", '\\', "1");
        expand_fails("${UNSET:?must be set}", "UNSET: must be set");
        expand_fails("${E:?}", "E: is not allowed to be unset");
        expand_is("${E?x}", '\\', "");
        expand_fails("${A", "missing '}' in ${A");
        expand_fails("${A:-x", "missing '}'");
        expand_fails("${}", "bad substitution");
        expand_fails("${A/x/y}", "unsupported modifier (/) in substitution of A");
        expand_fails("${A:x}", "unsupported modifier (x) in substitution of A");
}

static void test_expand_quotes_escapes(void **state)
{
        expand_is("\\$A", '\\', "$A");
        expand_is("\\\\$A", '\\', "\\1");
        expand_is("'$A'", '\\', "$A");
        expand_is("\"$A b\"", '\\', "1 b");
        expand_is("\"\\$A\"", '\\', "$A");
        expand_is("\"a\\\"b\"", '\\', "a\"b");
        expand_is("\"a\\nb\"", '\\', "a\\nb");
        expand_is("'a\\nb'", '\\', "a\\nb");
        expand_is("a\\ b", '\\', "a b");
        expand_is("x\\", '\\', "x");
        expand_is("'it'\"'\"'s'", '\\', "it's");
        expand_is("`$A", '`', "$A");
        expand_is("c:\\dir`$A", '`', "c:\\dir$A");
        expand_is("c:\\$A", '`', "c:\\1");
        expand_fails("'abc", "unexpected end of statement while looking for matching single-quote");
        expand_fails("\"abc", "unexpected end of statement while looking for matching double-quote");
}

static void test_expand_heredoc(void **state)
{
        char *v = NULL;
        cell_error_t e = {0};

        assert_int_equal(dockerfile_expand_heredoc("it's \"$A\" '$A' \\$A \\\\ \\n ${U:-d}\n$\n", '\\',
                                                   env_lookup, NULL, &v, &e),
                         0);
        assert_string_equal(v, "it's \"1\" '1' $A \\ \\n d\n$\n");
        free(v);
        v = (char *)"untouched";
        assert_true(dockerfile_expand_heredoc("${A", '\\', env_lookup, NULL, &v, &e) < 0);
        assert_string_equal(e.msg, "missing '}' in ${A");
        assert_string_equal(v, "untouched");
}

static void words_are(const char *in, const char *const *want, size_t n)
{
        char **w = NULL;
        cell_error_t e = {0};

        if (dockerfile_expand_words(in, '\\', env_lookup, NULL, &w, &e) < 0)
                fail_msg("expand_words(%s): %s", in, e.msg);
        if (strv_length(w) != n)
                fail_msg("expand_words(%s): %zu words, want %zu", in, strv_length(w), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(w[i], want[i]);
        strv_free(w);
}

static void test_expand_words(void **state)
{
        words_are("a $L 'c d' \"\"", (const char *const[]){"a", "x", "y", "c d", ""}, 5);
        words_are("  80  443/udp ", (const char *const[]){"80", "443/udp"}, 2);
        words_are("\"$L\" pre$L", (const char *const[]){"x  y", "prex", "y"}, 3);
        words_are("a\\ b", (const char *const[]){"a b"}, 1);
        words_are("", NULL, 0);
        words_are("   ", NULL, 0);
        words_are("$UNSET", NULL, 0);
        words_are("${UNSET:-}x", (const char *const[]){"x"}, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_from),
                cmocka_unit_test(test_from_errors),
                cmocka_unit_test(test_stages_and_global_args),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_comments_continuations),
                cmocka_unit_test(test_crlf_bom),
                cmocka_unit_test(test_directives),
                cmocka_unit_test(test_run_forms),
                cmocka_unit_test(test_run_flags),
                cmocka_unit_test(test_env_label),
                cmocka_unit_test(test_arg),
                cmocka_unit_test(test_simple_instructions),
                cmocka_unit_test(test_copy_add),
                cmocka_unit_test(test_heredocs),
                cmocka_unit_test(test_healthcheck),
                cmocka_unit_test(test_onbuild),
                cmocka_unit_test(test_original_and_kind_names),
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_edge_lines),
                cmocka_unit_test(test_backtick_words),
                cmocka_unit_test(test_expand_basic),
                cmocka_unit_test(test_expand_modifiers),
                cmocka_unit_test(test_expand_quotes_escapes),
                cmocka_unit_test(test_expand_words),
                cmocka_unit_test(test_expand_heredoc),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
