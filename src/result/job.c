// SPDX-License-Identifier: Apache-2.0
/* The C API for new programs (include/bptee/job.h): secrets, result attestation and the job
 * context over the agent's job socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bptee/job.h>

#include "result/result_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

static const char *job_socket(const char *given)
{
    if (given && given[0])
        return given;
    const char *s = secure_getenv("BPTEE_AGENT_SOCKET");
    if (s && s[0])
        return s;
    s = secure_getenv("BPTEE_JOB_SOCKET");
    return s && s[0] ? s : NULL;
}

int bptee_job_secret_read(const char *socket, const char *name, uint8_t *buf, size_t cap,
                          size_t *len)
{
    const char *path = job_socket(socket);
    if (!name || (!buf && cap) || !len)
        return fail(BPTEE_EINVAL, "job: missing argument");
    if (!path)
        return fail(BPTEE_ENOTFOUND, "job: no agent socket (not a TEE job?)");
    _cleanup_close_ int fd = -1, memfd = -1;
    uint64_t size = 0, version = 0;
    int rc = bptee_job_connect(path, &fd);
    if (rc == 0)
        rc = bptee_job_secret(fd, name, &memfd, &size, &version);
    if (rc < 0)
        return rc;
    if (memfd < 0)
        return fail(BPTEE_EIO, "job: agent sent no descriptor for secret %s", name);
    *len = (size_t)size;
    if (size > cap)
        return fail(BPTEE_ELIMIT, "job: secret %s has %llu bytes, the buffer %zu", name,
                    (unsigned long long)size, cap);
    for (size_t off = 0; off < size;) {
        ssize_t n = pread(memfd, buf + off, (size_t)size - off, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(BPTEE_EIO, "job: secret %s: short read", name);
        off += (size_t)n;
    }
    return 0;
}

int bptee_job_attest_result(const char *socket, const char *job_id, const uint8_t *result,
                            size_t len, struct bptee_result_meta **out)
{
    const char *path = job_socket(socket);
    if ((!result && len) || !out)
        return fail(BPTEE_EINVAL, "job: missing argument");
    if (!job_id)
        job_id = secure_getenv("BPTEE_JOB_ID");
    if (!path)
        return fail(BPTEE_ENOTFOUND, "job: no agent socket (not a TEE job?)");
    if (!job_id)
        return fail(BPTEE_EINVAL, "job: no job id (BPTEE_JOB_ID is not set)");
    uint8_t digest[32];
    sha256(result, len, digest);
    struct bptee_result_signer *s = NULL;
    int rc = signer_from_agent_self(path, &s);
    if (rc == 0)
        rc = signer_sign_self(s, job_id, digest, len, out);
    bptee_result_signer_free(s);
    return rc;
}
