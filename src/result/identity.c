// SPDX-License-Identifier: Apache-2.0
/* A job's identity (DESIGN.md contract 8): its id, its binary's measurement and its argv
 * digest, in the layouts the agent signs (docs/formats.md). */
#include <string.h>

#include <bptee/elf.h>

#include "result/result_private.h"
#include "util/codec.h"
#include "util/error.h"

int bptee_job_identity_init(struct bptee_job_identity *id, const char *job_id,
                            const char *executable, const char *const *argv, size_t argc)
{
    if (!id || !executable || (!argv && argc))
        return fail(BPTEE_EINVAL, "job identity: missing argument");
    int rc = bptee_job_id_check(job_id);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < argc; i++)
        if (!argv[i])
            return fail(BPTEE_EINVAL, "job identity: argv[%zu] is NULL", i);
    char hex[BPTEE_ELF_MEASUREMENT_SIZE];
    memset(id, 0, sizeof *id);
    if ((rc = bptee_elf_measure(executable, hex)) < 0 ||
        (rc = hex_decode_exact(hex, id->binary_sha256, 32, "measurement")) < 0)
        return fail_prefix(rc, "job identity");
    id->job_id = job_id;
    bptee_job_argv_digest(argv, argc, id->argv_sha256);
    return 0;
}

int bptee_result_report_data(const struct bptee_job_identity *id,
                             const uint8_t result_sha256[32], uint8_t out[64])
{
    if (!id || !result_sha256 || !out)
        return fail(BPTEE_EINVAL, "result: missing argument");
    uint8_t msg[256];
    size_t len = 0;
    int rc = bptee_job_result_message(result_sha256, id->binary_sha256, id->argv_sha256,
                                      id->job_id, msg, sizeof msg, &len);
    if (rc < 0)
        return rc;
    sha512(msg, len, out);
    return 0;
}
