// SPDX-License-Identifier: Apache-2.0
/* RESULT on the job socket (docs/protocol.md): a job run with the interposer preloaded by hand
 * (no `bptee run`) hands its result file and the file's directory over at a successful exit,
 * and the agent attests it as `bptee run` would (docs/results.md): the metadata injected into a
 * JSON object as its "tee" member, else a sidecar NAME.tee.json beside it. The job's binary and
 * argv are the agent's own readings of the peer (/proc/PID/exe, /proc/PID/cmdline): the job
 * names only its job id. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd/daemon.h"

/* Put the reason in why and return code. */
static int whyf(char *why, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int whyf(char *why, size_t cap, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* The result file's name in its directory, from the descriptor (the kernel's view), checked
 * to be that very file in the directory given. */
static int result_name(int file, int dir, char *name, size_t cap, char *why, size_t wcap)
{
    char link[64], path[4096];
    struct stat fst, dst, nst;
    snprintf(link, sizeof link, "/proc/self/fd/%d", file);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (fstat(file, &fst) != 0 || !S_ISREG(fst.st_mode) || fstat(dir, &dst) != 0 ||
        !S_ISDIR(dst.st_mode) || n <= 0)
        return whyf(why, wcap, -1, "RESULT needs the result file (a regular file) and its "
                                   "directory");
    path[n] = '\0';
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strlen(base) + sizeof ".tee.json" > cap || !base[0])
        return whyf(why, wcap, -1, "result file name too long");
    memcpy(name, base, strlen(base) + 1); /* length checked above */
    if (fstatat(dir, name, &nst, AT_SYMLINK_NOFOLLOW) != 0 || nst.st_dev != fst.st_dev ||
        nst.st_ino != fst.st_ino)
        return whyf(why, wcap, -1, "the result file %s is not in the directory given", name);
    return 0;
}

/* The file's bytes (malloc'd), at most BPTEE_RESULT_MAX. */
static int read_result(int fd, uint8_t **out, size_t *len, char *why, size_t wcap)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > BPTEE_RESULT_MAX)
        return whyf(why, wcap, -1, "result file larger than %llu bytes",
                    (unsigned long long)BPTEE_RESULT_MAX);
    size_t want = (size_t)st.st_size, have = 0;
    uint8_t *p = malloc(want ? want : 1);
    while (p && have < want) {
        ssize_t r = pread(fd, p + have, want - have, (off_t)have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    if (!p || have != want) {
        free(p);
        return whyf(why, wcap, -1, "cannot read the result file");
    }
    *out = p;
    *len = want;
    return 0;
}

/* The metadata beside the result: NAME.tee.json, created (never replaced) in dir, atomically
 * (a full disk leaves no partial sidecar). */
static int write_sidecar(int dir, const char *name, const struct bptee_result_meta *m, char *why,
                         size_t wcap)
{
    char side[4096];
    char *json = NULL;
    snprintf(side, sizeof side, "%s.tee.json", name);
    if (bptee_result_meta_to_json(m, &json) < 0)
        return whyf(why, wcap, -1, "result metadata: %s", bptee_last_error());
    size_t n = strlen(json);
    json[n] = '\n'; /* the sidecar ends in a newline; verifiers accept it */
    int rc = bptee_replace_file_at(dir, side, json, n + 1, 0644, BPTEE_REPLACE_NEW_ONLY);
    if (rc < 0)
        whyf(why, wcap, -1, "sidecar %s", bptee_last_error());
    bptee_free(json);
    return rc < 0 ? -1 : 0;
}

/* Attest data for the peer; inject or write the sidecar. */
static int attest(struct agent *a, const struct bptee_job_identity *id, int dir, const char *name,
                  const uint8_t *data, size_t len, char *why, size_t wcap)
{
    struct bptee_result_signer *signer = NULL;
    struct bptee_result_meta *m = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = bptee_result_signer_from_key(a->key, &signer);
    if (rc == 0)
        rc = bptee_result_attest(signer, id, data, len, &m);
    bptee_result_signer_free(signer);
    if (rc < 0)
        return whyf(why, wcap, rc, "attesting the result: %s", bptee_last_error());
    rc = bptee_result_inject(m, data, len, &out, &out_len);
    if (rc == BPTEE_EUNSUPPORTED) {
        rc = write_sidecar(dir, name, m, why, wcap) < 0 ? BPTEE_EIO : 0;
    } else if (rc < 0) {
        snprintf(why, wcap, "result: %s", bptee_last_error());
    } else if ((rc = bptee_replace_file_at(dir, name, out, out_len, 0644,
                                           BPTEE_REPLACE_KEEP_ATTRS)) < 0) {
        /* Replaced, never rewritten in place: the job's bytes stay whole on a full disk. */
        snprintf(why, wcap, "writing the attested result: %s", bptee_last_error());
    }
    bptee_free(out);
    bptee_result_meta_free(m);
    return rc;
}

int jobsock_result(struct agent *a, const struct bptee_job_request *req,
                   const struct bptee_peer *p, const int fds[2], char *why, size_t wcap)
{
    char name[1024];
    uint8_t *data = NULL;
    size_t len = 0;
    struct bptee_job_identity id = {.job_id = req->job_id};
    if (!p->measured)
        return whyf(why, wcap, BPTEE_EDENIED, "cannot measure the peer's binary");
    if (result_name(fds[0], fds[1], name, sizeof name, why, wcap) < 0)
        return BPTEE_EINVAL;
    memcpy(id.binary_sha256, p->measurement, 32);
    int rc = bptee_peer_measure_cmdline(p->pid, id.argv_sha256);
    if (rc < 0)
        return whyf(why, wcap, rc, "%s", bptee_last_error());
    if (read_result(fds[0], &data, &len, why, wcap) < 0)
        return BPTEE_EIO;
    rc = attest(a, &id, fds[1], name, data, len, why, wcap);
    free(data);
    if (rc == 0)
        agent_log("job socket: result %s of job %s attested for pid %d binary %.16s", name,
                  req->job_id, (int)p->pid, p->measurement_hex);
    return rc;
}
