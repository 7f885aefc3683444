// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the interposer's hand-down variables (docs/interposer.md), parsed by the very code
 * of interpose/spec.c and paths.c. The input is up to five lines, each one variable's value (a
 * missing line: the variable is unset):
 *   BPTEE_SECRETS, BPTEE_SECRET_FDS, BPTEE_SECRET_PAGE, BPTEE_JOB_ID,
 *   and the label of a memfd the agent would have made ("bptee:NAME@VERSION").
 * Descriptors 100 to 102 hold memfds as `bptee run` hands them down: a sealed one labelled
 * "bptee:db@7", an unsealed one, and a sealed one of another secret's label.
 * What must hold: every declared path is absolute and normalised, and names its own secret
 * when the job opens it; normalising a path twice changes nothing. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "preload_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SECRETS, FDS, PAGE, JOB_ID, LABEL, N_VARS };

#define SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

/* A memfd labelled label at descriptor fd, sealed when asked. */
static void handed_down(int fd, const char *label, int sealed)
{
    int m = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (m < 0 || write(m, "secret", 6) != 6 || (sealed && fcntl(m, F_ADD_SEALS, SEALS) < 0) ||
        dup2(m, fd) != fd)
        abort();
    close(m);
}

static void check_declarations(void)
{
    char again[PATH_MAX];
    for (size_t i = 0; i < bp_cfg.n; i++) {
        const struct bp_secret *s = &bp_cfg.secrets[i];
        ssize_t n = bp_path_normalize(s->path, again, sizeof again);
        if (s->path[0] != '/' || n != (ssize_t)s->path_len || strcmp(again, s->path) != 0)
            abort(); /* stored paths are normalised */
        if (bp_path_match(AT_FDCWD, s->path) != (int)i)
            abort(); /* and each names its own secret */
    }
}

/* The version in a memfd label the input names, checked against the first secret's name. */
static void label_version(const char *label)
{
    const char *name = bp_cfg.n ? bp_cfg.secrets[0].name : "db";
    uint64_t version;
    int fd = memfd_create(label, MFD_CLOEXEC);
    if (fd < 0)
        return; /* a label the kernel refuses (too long) */
    (void)bp_memfd_version(fd, name, strlen(name), &version);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        handed_down(100, "bptee:db@7", 1);
        handed_down(101, "bptee:api@1", 0);
        handed_down(102, "bptee:api@2", 1);
        ready = 1;
    }
    if (size > 16384)
        return 0;
    /* The lines, NUL-terminated like environment values. */
    char *text = malloc(size + 1), *var[N_VARS] = {0};
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *p = text;
    for (int i = 0; i < N_VARS && p; i++) {
        var[i] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    char err[256];
    int fd;
    preload_spec_reset();
    if (var[SECRETS] && bp_spec_parse_secrets(var[SECRETS], err, sizeof err) == 0) {
        check_declarations();
        if (var[FDS])
            (void)bp_spec_parse_fds(var[FDS], var[PAGE] ? 1 : 0, err, sizeof err);
    }
    if (var[PAGE])
        (void)bp_spec_parse_fd(var[PAGE], &fd);
    if (var[JOB_ID])
        bp_spec_job_id(var[JOB_ID]);
    if (var[LABEL])
        label_version(var[LABEL]);
    free(text);
    return 0;
}
