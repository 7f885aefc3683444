// SPDX-License-Identifier: Apache-2.0
/* Job result signatures (DESIGN.md contract 8): the signing key signs the result's digest
 * together with the identity of the program that produced it (its binary's measurement, its
 * argv digest and the job id), under a domain tag of its own. docs/formats.md, "Job result
 * signature", is the layout. */
#include <sodium.h>
#include <string.h>

#include "agent/agent_private.h"
#include "util/error.h"

int job_id_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '@' || c == '+' || c == '-';
}

int bptee_job_id_check(const char *job_id)
{
    if (!job_id)
        return fail(BPTEE_EINVAL, "job id: missing");
    size_t n = strnlen(job_id, BPTEE_JOB_ID_MAX + 1);
    if (n == 0 || n > BPTEE_JOB_ID_MAX)
        return fail(BPTEE_EINVAL, "job id: must be 1 to %d characters", BPTEE_JOB_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if (!job_id_char((unsigned char)job_id[i]))
            return fail(BPTEE_EINVAL,
                        "job id: character %zu is not one of A-Z a-z 0-9 . _ : @ "
                        "+ -",
                        i + 1);
    return 0;
}

void bptee_job_argv_digest(const char *const *argv, size_t argc, uint8_t out[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < argc; i++) /* each argument with its NUL, as in /proc/PID/cmdline */
        crypto_hash_sha256_update(&st, (const uint8_t *)argv[i], strlen(argv[i]) + 1);
    crypto_hash_sha256_final(&st, out);
}

int bptee_job_result_message(const uint8_t result_sha256[32], const uint8_t measurement[32],
                             const uint8_t argv_sha256[32], const char *job_id, uint8_t *out,
                             size_t cap, size_t *len)
{
    if (!result_sha256 || !measurement || !argv_sha256 || !out || !len)
        return fail(BPTEE_EINVAL, "job result: missing argument");
    int rc = bptee_job_id_check(job_id);
    if (rc < 0)
        return fail_prefix(rc, "job result");
    size_t id_len = strlen(job_id), need = JOB_RESULT_FIXED_LEN + id_len;
    if (cap < need)
        return fail(BPTEE_ELIMIT, "job result: message needs %zu bytes, buffer has %zu", need, cap);
    uint8_t *p = out;
    memcpy(p, BPTEE_JOB_RESULT_TAG, sizeof BPTEE_JOB_RESULT_TAG); /* tag and its 0x00 */
    p += sizeof BPTEE_JOB_RESULT_TAG;
    memcpy(p, result_sha256, 32);
    memcpy(p + 32, measurement, 32);
    memcpy(p + 64, argv_sha256, 32);
    memcpy(p + 96, job_id, id_len);
    *len = need;
    return 0;
}

int bptee_job_result_sign(const struct bptee_signing_key *k, const uint8_t result_sha256[32],
                          const uint8_t measurement[32], const uint8_t argv_sha256[32],
                          const char *job_id, uint8_t sig[64])
{
    uint8_t msg[JOB_RESULT_FIXED_LEN + BPTEE_JOB_ID_MAX];
    size_t len = 0;
    int rc = bptee_job_result_message(result_sha256, measurement, argv_sha256, job_id, msg,
                                      sizeof msg, &len);
    return rc < 0 ? rc : bptee_signing_key_sign(k, msg, len, sig);
}

int bptee_job_result_verify(const uint8_t public_key[32], const uint8_t sig[64],
                            const uint8_t result_sha256[32], const uint8_t measurement[32],
                            const uint8_t argv_sha256[32], const char *job_id)
{
    uint8_t msg[JOB_RESULT_FIXED_LEN + BPTEE_JOB_ID_MAX];
    size_t len = 0;
    if (!public_key || !sig)
        return fail(BPTEE_EINVAL, "job result: missing key or signature");
    int rc = bptee_job_result_message(result_sha256, measurement, argv_sha256, job_id, msg,
                                      sizeof msg, &len);
    if (rc < 0)
        return rc;
    if (crypto_sign_verify_detached(sig, msg, len, public_key) != 0)
        return fail(BPTEE_EVERIFY, "job result: the signature does not verify under the "
                                   "signing key");
    return 0;
}
