// SPDX-License-Identifier: Apache-2.0
/* bptee run, after the job: a TEE job that exited 0 gets its result attested (the metadata
 * injected into a JSON object, else a sidecar); any other job's output passes through
 * untouched and nothing is attested. The captured stdout of a TEE job is written out in
 * every case, so the job's output is never lost. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"

struct bytes {
    uint8_t *p;
    size_t len;
    bool mapped;
};

static void bytes_release(struct bytes *b)
{
    if (b->mapped && b->len)
        munmap(b->p, b->len);
    else if (!b->mapped)
        free(b->p);
    b->p = NULL;
    b->len = 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fail_status(const char *what, int rc)
{
    cli_error(what, rc);
    return RUN_EXIT_FAILURE;
}

/* The job's stdout, mapped from the capture memfd. */
static int read_capture(const struct run_job *job, struct bytes *out)
{
    struct stat st;
    if (fstat(job->capture_fd, &st) < 0) {
        fprintf(stderr, "bptee: run: captured output: %s\n", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    out->mapped = true;
    out->len = (size_t)st.st_size;
    if (out->len == 0)
        return 0;
    out->p = mmap(NULL, out->len, PROT_READ, MAP_PRIVATE, job->capture_fd, 0);
    if (out->p == MAP_FAILED) {
        out->p = NULL;
        out->len = 0;
        fprintf(stderr, "bptee: run: captured output: %s\n", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

static int emit(const uint8_t *p, size_t len)
{
    if (write_all(STDOUT_FILENO, p, len) < 0) {
        fprintf(stderr, "bptee: run: writing the job's output: %s\n", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

/* The sidecar is replaced atomically and only after the job succeeded: a failing job, a full
 * disk or a kill leaves the old one whole (it never verifies against other bytes). */
static int write_sidecar(const struct run_job *job, const struct bptee_result_meta *m)
{
    char *json = NULL;
    int rc = bptee_result_meta_to_json(m, &json);
    if (rc < 0)
        return fail_status("run: result metadata", rc);
    size_t n = strlen(json);
    json[n] = '\n'; /* the sidecar ends in a newline; verifiers accept it */
    rc = bptee_replace_file_at(AT_FDCWD, job->sidecar, json, n + 1, 0644, 0);
    bptee_free(json);
    return rc < 0 ? fail_status("run: sidecar", rc) : 0;
}

/* The metadata is in the result now: a sidecar from an earlier run would be taken for this
 * result's (verifiers look for NAME.tee.json first), so it goes, the job having succeeded.
 * Only a file or a link is removed, never what a link points to nor a device. */
static int remove_stale_sidecar(const struct run_job *job)
{
    struct stat st;
    if (!job->sidecar || lstat(job->sidecar, &st) != 0 ||
        (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) || unlink(job->sidecar) == 0)
        return 0;
    return run_say(RUN_EXIT_FAILURE, "cannot remove the old sidecar %s: %s", job->sidecar,
                   strerror(errno));
}

/* Attest data; put the metadata inside it (*out: the new bytes) when it is a JSON object
 * without "tee", else beside it in the sidecar. */
static int attest(const struct run_job *job, const struct bytes *data, uint8_t **out,
                  size_t *out_len)
{
    struct bptee_result_meta *m = NULL;
    int rc = bptee_result_attest(job->signer, &job->id, data->p, data->len, &m);
    if (rc < 0)
        return fail_status("run: attesting the result", rc);
    int status = 0;
    rc = bptee_result_inject(m, data->p, data->len, out, out_len);
    if (rc != BPTEE_EUNSUPPORTED) { /* injected, or a real failure */
        if (rc < 0)
            status = fail_status("run: result", rc);
    } else if (job->sidecar) {
        status = write_sidecar(job, m);
    } else {
        fprintf(stderr, "bptee: run: the job's stdout is not a JSON object and the spec names "
                        "no \"sidecar\": the result is not attested\n");
        status = RUN_EXIT_FAILURE;
    }
    bptee_result_meta_free(m);
    return status;
}

static int finish_stdout(struct run_job *job, bool success)
{
    struct bytes data = {0};
    uint8_t *injected = NULL;
    size_t injected_len = 0;
    int status = read_capture(job, &data), attest_status = 0;
    if (status)
        return status;
    if (success)
        attest_status = attest(job, &data, &injected, &injected_len);
    status = injected ? emit(injected, injected_len) : emit(data.p, data.len);
    if (status == 0 && injected)
        status = remove_stale_sidecar(job);
    bptee_free(injected);
    bytes_release(&data);
    return attest_status ? attest_status : status;
}

/* The file's size in bytes, read into memory (a child of the job still writing cannot make
 * the bytes attested differ from the bytes injected). */
static int read_exactly(int fd, size_t size, struct bytes *out)
{
    out->p = malloc(size ? size : 1);
    if (!out->p)
        return -1;
    while (out->len < size) {
        ssize_t r = read(fd, out->p + out->len, size - out->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            errno = r == 0 ? EIO : errno; /* shrunk while we read: not what the job left */
            return -1;
        }
        out->len += (size_t)r;
    }
    return 0;
}

/* The job's result file, as the job left it: a regular file, not followed through a
 * symlink (a link would have us attest, and rewrite, whatever it points to). */
static int read_result_file(const char *path, struct bytes *out)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP)
        return run_say(RUN_EXIT_FAILURE, "result file %s: is a symbolic link: refused", path);
    if (fd < 0)
        return run_say(RUN_EXIT_FAILURE, "result file %s: %s", path, strerror(errno));
    int status = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        status = run_say(RUN_EXIT_FAILURE, "result file %s: not a regular file", path);
    else if ((uint64_t)st.st_size > BPTEE_RESULT_MAX)
        status = run_say(RUN_EXIT_FAILURE, "result file %s: larger than %llu bytes", path,
                         (unsigned long long)BPTEE_RESULT_MAX);
    else if (read_exactly(fd, (size_t)st.st_size, out) < 0)
        status = run_say(RUN_EXIT_FAILURE, "result file %s: %s", path, strerror(errno));
    close(fd);
    if (status)
        bytes_release(out);
    return status;
}

static int finish_file(struct run_job *job)
{
    const char *path = bptee_job_spec_result_file(job->spec);
    struct bytes data = {0};
    uint8_t *injected = NULL;
    size_t injected_len = 0;
    int rc, status = read_result_file(path, &data);
    if (status)
        return status;
    status = attest(job, &data, &injected, &injected_len);
    /* The old bytes stay whole until the new ones are on disk (a full disk, a kill). */
    if (status == 0 && injected &&
        (rc = bptee_replace_file_at(AT_FDCWD, path, injected, injected_len, 0644,
                                    BPTEE_REPLACE_KEEP_ATTRS)) < 0)
        status = fail_status("run: result file", rc);
    else if (status == 0 && injected)
        status = remove_stale_sidecar(job);
    bptee_free(injected);
    bytes_release(&data);
    return status;
}

int run_finish(struct run_job *job, int wstatus)
{
    if (job->tee != BPTEE_ROUTE_TEE)
        return 0;
    bool success = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (job->capture_fd >= 0)
        return finish_stdout(job, success);
    return success ? finish_file(job) : 0;
}
