// SPDX-License-Identifier: Apache-2.0
/* Signers: who vouches for a result. A signing key in this process or the agent's (attest
 * once, sign many: the key's evidence is fetched once and each result costs one Ed25519
 * signature), or fresh evidence per result from the guest API (REPORT_DATA = SHA-512 of the
 * job result message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result/result_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

enum signer_type { SIGNER_KEY, SIGNER_AGENT, SIGNER_AGENT_SELF, SIGNER_FRESH };

struct bptee_result_signer {
    int type;
    struct bptee_signing_key *key; /* SIGNER_KEY, borrowed */
    char *path;                    /* SIGNER_AGENT*: the job socket */
    int fd;                        /* SIGNER_AGENT_SELF: connected (the agent measures it) */
    struct bptee_guest_opts guest; /* SIGNER_FRESH, its strings owned (guest_strs) */
    char *guest_strs[4];
    uint8_t public_key[32];
    json_t *evidence; /* the signing key's evidence (not for SIGNER_FRESH) */
    char digest[65], provider[32], measurement[160];
};

void bptee_result_signer_free(struct bptee_result_signer *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    for (size_t i = 0; i < 4; i++)
        free(s->guest_strs[i]);
    json_decref(s->evidence);
    free(s);
}

static struct bptee_result_signer *signer_alloc(int type)
{
    struct bptee_result_signer *s = calloc(1, sizeof *s);
    if (s) {
        s->type = type;
        s->fd = -1;
    }
    return s;
}

/* Keep the signing key's evidence: its JSON tree (copied into every metadata object by
 * reference) and its tee.* values. The key it binds must be the key that signs. */
static int signer_take_evidence(struct bptee_result_signer *s, const char *json, size_t len)
{
    struct bptee_report *r = NULL;
    const uint8_t *pk = NULL;
    size_t pk_len = 0;
    int rc = json_parse_capped(json, len, BPTEE_REPORT_JSON_MAX, "signing key evidence",
                               &s->evidence);
    if (rc == 0)
        rc = bptee_report_load_json(json, len, &r);
    if (rc == 0)
        rc = evidence_summary(r, s->digest, s->provider, s->measurement);
    if (rc == 0 && (bptee_report_binding(r, &pk, &pk_len, NULL, NULL) != 1 || pk_len != 32 ||
                    memcmp(pk, s->public_key, 32) != 0))
        rc = fail(BPTEE_EVERIFY, "signing key evidence: its public-key binding is not the "
                                 "signing key");
    bptee_report_free(r);
    return rc;
}

int bptee_result_signer_from_key(struct bptee_signing_key *key, struct bptee_result_signer **out)
{
    if (!key || !out)
        return fail(BPTEE_EINVAL, "result signer: missing argument");
    struct bptee_result_signer *s = signer_alloc(SIGNER_KEY);
    _cleanup_free_ char *json = NULL;
    if (!s)
        return fail(BPTEE_ENOMEM, "result signer: out of memory");
    s->key = key;
    bptee_signing_key_public(key, s->public_key);
    int rc = bptee_signing_key_evidence_json(key, 0, &json);
    if (rc == 0)
        rc = signer_take_evidence(s, json, strlen(json));
    if (rc < 0) {
        bptee_result_signer_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int agent_signer(int type, const char *path, struct bptee_result_signer **out)
{
    if (!path || !out)
        return fail(BPTEE_EINVAL, "result signer: missing argument");
    struct bptee_result_signer *s = signer_alloc(type);
    _cleanup_free_ char *json = NULL;
    size_t len = 0;
    if (!s || !(s->path = strdup(path))) {
        bptee_result_signer_free(s);
        return fail(BPTEE_ENOMEM, "result signer: out of memory");
    }
    int rc = bptee_job_connect(path, &s->fd);
    if (rc == 0)
        rc = bptee_job_attest(s->fd, 0, &json, &len, s->public_key);
    if (rc == 0)
        rc = signer_take_evidence(s, json, len);
    /* A runner signs after its job, which may run for days: it connects again then. */
    if (rc == 0 && type == SIGNER_AGENT) {
        close(s->fd);
        s->fd = -1;
    }
    if (rc < 0) {
        bptee_result_signer_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int bptee_result_signer_from_agent(const char *socket_path, struct bptee_result_signer **out)
{
    return agent_signer(SIGNER_AGENT, socket_path, out);
}

int signer_from_agent_self(const char *socket_path, struct bptee_result_signer **out)
{
    return agent_signer(SIGNER_AGENT_SELF, socket_path, out);
}

int bptee_result_signer_fresh(const struct bptee_guest_opts *opts,
                              struct bptee_result_signer **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "result signer: missing output");
    struct bptee_result_signer *s = signer_alloc(SIGNER_FRESH);
    if (!s)
        return fail(BPTEE_ENOMEM, "result signer: out of memory");
    if (opts)
        memcpy(&s->guest, opts, opts->sz < sizeof s->guest ? opts->sz : sizeof s->guest);
    s->guest.sz = sizeof s->guest;
    /* The signer outlives the caller's strings: keep copies. */
    const char **fields[4] = {&s->guest.tsm_path, &s->guest.device, &s->guest.state_dir,
                              &s->guest.tdx_device};
    for (size_t i = 0; i < 4; i++) {
        if (*fields[i] && !(s->guest_strs[i] = strdup(*fields[i]))) {
            bptee_result_signer_free(s);
            return fail(BPTEE_ENOMEM, "result signer: out of memory");
        }
        *fields[i] = s->guest_strs[i];
    }
    *out = s;
    return 0;
}

static char *hex32(const uint8_t b[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return out;
}

/* SIGN on behalf of the job's binary (docs/protocol.md, "Acting for a job binary"): the
 * runner asks after its job exited, and the agent's own reading of the peer would name bptee. */
static int agent_sign(struct bptee_result_signer *s, struct bptee_result_meta *m)
{
    char a[65], b[65];
    struct bptee_job_reply rep;
    _cleanup_close_ int fd = -1;
    int rc = bptee_job_connect(s->path, &fd);
    if (rc == 0)
        rc = bptee_job_sign_for(fd, m->job_id, m->result, m->argv, m->binary, &rep);
    if (rc < 0)
        return rc;
    if (memcmp(rep.measurement, m->binary, 32) != 0)
        return fail(BPTEE_EVERIFY, "agent signed for binary %s, not the job's %s",
                    hex32(rep.measurement, a), hex32(m->binary, b));
    if (memcmp(rep.result_sha256, m->result, 32) || memcmp(rep.argv_sha256, m->argv, 32))
        return fail(BPTEE_EVERIFY, "agent signed another result or argv than asked");
    memcpy(m->signature, rep.signature, 64);
    rc = bptee_job_result_verify(s->public_key, m->signature, m->result, m->binary, m->argv,
                                 m->job_id);
    return rc < 0 ? fail_prefix(rc, "agent signature") : 0;
}

static int fresh_attest(struct bptee_result_signer *s, struct bptee_result_meta *m)
{
    uint8_t msg[256], rd[64];
    size_t len = 0;
    struct bptee_report *r = NULL;
    _cleanup_free_ char *json = NULL;
    int rc = meta_message(m, msg, sizeof msg, &len);
    if (rc < 0)
        return rc;
    sha512(msg, len, rd);
    if ((rc = bptee_guest_attest(&s->guest, rd, sizeof rd, &r, NULL)) == 0 &&
        (rc = evidence_summary(r, m->digest, m->provider, m->measurement)) == 0 &&
        (rc = bptee_report_save_json(r, 0, &json)) == 0)
        rc = json_parse_capped(json, strlen(json), BPTEE_REPORT_JSON_MAX, "evidence",
                               &m->evidence);
    bptee_report_free(r);
    return rc < 0 ? fail_prefix(rc, "fresh result attestation") : 0;
}

int bptee_result_attest_digest(struct bptee_result_signer *s,
                               const struct bptee_job_identity *id,
                               const uint8_t result_sha256[32], uint64_t size,
                               struct bptee_result_meta **out)
{
    if (!s || !id || !result_sha256 || !out)
        return fail(BPTEE_EINVAL, "result: missing argument");
    if (s->type == SIGNER_AGENT_SELF)
        return fail(BPTEE_EINVAL, "result: this signer signs only as the calling job");
    struct bptee_result_meta *m = NULL;
    int fresh = s->type == SIGNER_FRESH;
    int rc = meta_new(fresh ? BPTEE_RESULT_FRESH : BPTEE_RESULT_SIGNED, id, result_sha256, size,
                      s->evidence, s->digest, s->provider, s->measurement, &m);
    if (rc < 0)
        return rc;
    memcpy(m->public_key, s->public_key, 32);
    if (s->type == SIGNER_KEY)
        rc = bptee_job_result_sign(s->key, m->result, m->binary, m->argv, m->job_id,
                                   m->signature);
    else if (s->type == SIGNER_AGENT)
        rc = agent_sign(s, m);
    else
        rc = fresh_attest(s, m);
    if (rc < 0) {
        bptee_result_meta_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int bptee_result_attest(struct bptee_result_signer *s, const struct bptee_job_identity *id,
                        const uint8_t *result, size_t len, struct bptee_result_meta **out)
{
    if (!result && len)
        return fail(BPTEE_EINVAL, "result: missing bytes");
    uint8_t digest[32];
    sha256(result, len, digest);
    return bptee_result_attest_digest(s, id, digest, len, out);
}

int signer_sign_self(struct bptee_result_signer *s, const char *job_id,
                     const uint8_t result[32], uint64_t size, struct bptee_result_meta **out)
{
    struct bptee_job_reply rep;
    struct bptee_job_identity id = {.job_id = job_id};
    if (s->type != SIGNER_AGENT_SELF)
        return fail(BPTEE_EINVAL, "result: not a signer for the calling job");
    int rc = bptee_job_sign(s->fd, job_id, result, NULL, &rep);
    if (rc < 0)
        return rc;
    if (memcmp(rep.result_sha256, result, 32) != 0)
        return fail(BPTEE_EVERIFY, "agent signed another result than asked");
    memcpy(id.binary_sha256, rep.measurement, 32);
    memcpy(id.argv_sha256, rep.argv_sha256, 32);
    struct bptee_result_meta *m = NULL;
    rc = meta_new(BPTEE_RESULT_SIGNED, &id, result, size, s->evidence, s->digest, s->provider,
                  s->measurement, &m);
    if (rc < 0)
        return rc;
    memcpy(m->public_key, s->public_key, 32);
    memcpy(m->signature, rep.signature, 64);
    *out = m;
    return 0;
}
