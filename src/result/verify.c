// SPDX-License-Identifier: Apache-2.0
/* Verifying an attested result (docs/results.md, "Verification"): the bytes, then the
 * evidence under the policy and what it binds, then the signature, then the metadata's own
 * claims against the verified evidence, then the results policy. Each step fails closed with
 * the reason. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "result/result_policy.h"
#include "result/result_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

/* The attested bytes: doc[0..a) followed by doc[b..len) (a == b: the whole document). */
static int digest_pieces(const uint8_t *doc, size_t len, size_t a, size_t b, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, doc, a) && EVP_DigestUpdate(ctx, doc + b, len - b) &&
             EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "result: SHA-256");
}

/* The metadata must be byte for byte what bptee writes for it: edits that keep the JSON's
 * meaning (spacing, key order, escapes) are tampering too. */
static int check_canonical(const struct bptee_result_meta *m, const uint8_t *bytes, size_t len)
{
    _cleanup_free_ char *canon = NULL;
    size_t n = 0;
    int rc = meta_serialize(m, m->covers, &canon, &n);
    if (rc < 0)
        return rc;
    if (n != len || memcmp(canon, bytes, n) != 0)
        return fail(BPTEE_EVERIFY, "result metadata: not the bytes bptee writes (edited after "
                                   "attestation?)");
    return 0;
}

static int load_meta(const uint8_t *bytes, size_t len, const char *covers,
                     struct bptee_result_meta **out)
{
    _cleanup_json_ json_t *t = NULL;
    struct bptee_result_meta *m = NULL;
    int rc = json_parse_capped((const char *)bytes, len, BPTEE_RESULT_META_MAX,
                               "result metadata", &t);
    if (rc == 0)
        rc = meta_from_tree(t, &m);
    if (rc == 0 && strcmp(m->covers, covers))
        rc = fail(BPTEE_EVERIFY, "result metadata: result.covers is \"%s\", expected \"%s\" "
                  "here", m->covers, covers);
    if (rc == 0)
        rc = check_canonical(m, bytes, len);
    if (rc < 0) {
        bptee_result_meta_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Find the metadata and hash the bytes it attests. */
static int locate(const uint8_t *doc, size_t len, const struct bptee_result_verify_opts *o,
                  struct bptee_result_meta **m, uint8_t digest[32], uint64_t *size,
                  int *injected)
{
    size_t v, ve, a = 0, b = 0;
    int rc;
    *injected = !o->sidecar;
    if (o->sidecar) {
        size_t n = o->sidecar_len;
        if (n && o->sidecar[n - 1] == '\n')
            n--;
        rc = load_meta(o->sidecar, n, COVERS_BYTES, m);
        if (rc < 0)
            return fail_prefix(rc, "sidecar");
    } else {
        if ((rc = inject_locate(doc, len, &v, &ve, &a, &b)) < 0 ||
            (rc = load_meta(doc + v, ve - v, COVERS_JSON, m)) < 0)
            return rc;
    }
    *size = len - (b - a);
    return digest_pieces(doc, len, a, b, digest);
}

static int evidence_report(const struct bptee_result_meta *m, struct bptee_report **out)
{
    _cleanup_free_ char *json = json_dumps(m->evidence, JSON_COMPACT);
    if (!json)
        return fail(BPTEE_ENOMEM, "result: out of memory");
    int rc = bptee_report_load_json(json, strlen(json), out);
    return rc < 0 ? fail_prefix(rc, "result metadata: evidence") : 0;
}

static int check_signed(const struct bptee_result_meta *m, const struct bptee_report *ev,
                        const struct bptee_verify_opts *vo, struct bptee_report **verified)
{
    uint8_t pk[32];
    int rc = bptee_signing_key_verify_evidence(ev, vo, pk, verified);
    if (rc < 0)
        return fail_prefix(rc, "signing key evidence");
    if (memcmp(pk, m->public_key, 32) != 0)
        return fail(BPTEE_EVERIFY, "signature.public_key: not the key the evidence binds");
    rc = bptee_job_result_verify(m->public_key, m->signature, m->result, m->binary, m->argv,
                                 m->job_id);
    return rc < 0 ? fail(BPTEE_EVERIFY, "signature: does not verify over this result and job "
                                        "identity") : 0;
}

static int check_fresh(const struct bptee_result_meta *m, const struct bptee_report *ev,
                       const struct bptee_verify_opts *vo, struct bptee_report **verified)
{
    uint8_t msg[256], rd[64];
    const uint8_t *ud = NULL;
    size_t len = 0, ud_len = 0;
    int rc = meta_message(m, msg, sizeof msg, &len);
    if (rc < 0)
        return rc;
    if ((rc = bptee_verify_report(ev, vo, verified)) < 0)
        return fail_prefix(rc, "result evidence");
    sha512(msg, len, rd);
    if (bptee_report_user_data(*verified, &ud, &ud_len) != 1 || ud_len != 64 ||
        memcmp(ud, rd, 64) != 0)
        return fail(BPTEE_EVERIFY, "result evidence: REPORT_DATA does not bind this result and "
                                   "job identity");
    return 0;
}

/* a is b, or (objects) each member of a is in b with a value that a's member is part of. */
static bool json_part_of(const json_t *a, const json_t *b)
{
    if (!json_is_object(a))
        return json_equal(a, b);
    if (!json_is_object(b))
        return false;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)a, k, v) {
        if (!json_part_of(v, json_object_get(b, k)))
            return false;
    }
    return true;
}

/* The evidence document's claims and simulated flag are not covered by the hardware's
 * signature: whatever it states must be what verification derived from the signed report. */
static int check_evidence_claims(const struct bptee_result_meta *m,
                                 const struct bptee_report *verified)
{
    _cleanup_free_ char *json = NULL;
    _cleanup_json_ json_t *v = NULL;
    int rc = bptee_report_save_json(verified, 0, &json);
    if (rc == 0)
        rc = json_parse_capped(json, strlen(json), BPTEE_REPORT_JSON_MAX, "evidence", &v);
    if (rc < 0)
        return rc;
    const json_t *claims = json_object_get(m->evidence, "claims");
    if (claims && !json_part_of(claims, json_object_get(v, "claims")))
        return fail(BPTEE_EVERIFY, "evidence: its claims differ from what the evidence itself "
                                   "proves");
    bool sim_in = json_is_true(json_object_get(m->evidence, "simulated"));
    if (sim_in != (bptee_report_simulated(verified) == 1))
        return fail(BPTEE_EVERIFY, "evidence: its \"simulated\" flag is wrong");
    return 0;
}

/* The metadata's blueprint-tee keys and the evidence's own header must say what the verified
 * evidence says. */
static int check_claims(const struct bptee_result_meta *m, const struct bptee_report *ev,
                        const struct bptee_report *verified)
{
    char digest[65], provider[32], meas[160];
    int rc = evidence_summary(verified, digest, provider, meas);
    if (rc < 0)
        return rc;
    if (strcmp(m->digest, digest))
        return fail(BPTEE_EVERIFY, "tee.attestation.digest: %s is not the evidence's %s",
                    m->digest, digest);
    if (strcmp(m->provider, provider))
        return fail(BPTEE_EVERIFY, "tee.provider: \"%s\" is not the evidence's \"%s\"",
                    m->provider, provider);
    if (strcmp(m->measurement, meas))
        return fail(BPTEE_EVERIFY, "tee.measurement: \"%s\" is not the evidence's \"%s\"",
                    m->measurement, meas);
    if (bptee_report_provider(ev) != bptee_report_provider(verified) ||
        bptee_report_format(ev) != bptee_report_format(verified) ||
        !bptee_report_measurement_equal(ev, verified))
        return fail(BPTEE_EVERIFY, "evidence: its provider, format or measurement field "
                                   "differs from what the evidence itself proves");
    return check_evidence_claims(m, verified);
}

static void hex_into(char out[65], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void fill_out(const struct bptee_result_meta *m, const struct bptee_report *verified,
                     int injected, struct bptee_result_verified *out)
{
    memset(out, 0, sizeof *out);
    out->kind = m->kind;
    out->injected = injected;
    out->provider = bptee_report_provider(verified);
    out->simulated = bptee_report_simulated(verified);
    snprintf(out->job_id, sizeof out->job_id, "%s", m->job_id);
    hex_into(out->binary_sha256, m->binary);
    hex_into(out->argv_sha256, m->argv);
    hex_into(out->result_sha256, m->result);
    out->result_size = m->size;
    snprintf(out->attestation_digest, sizeof out->attestation_digest, "%s", m->digest);
    snprintf(out->measurement, sizeof out->measurement, "%s", m->measurement);
    if (m->kind == BPTEE_RESULT_SIGNED)
        hex_into(out->public_key, m->public_key);
}

static int verify_meta(const struct bptee_result_meta *m, const uint8_t digest[32],
                       uint64_t size, const struct bptee_result_verify_opts *o,
                       struct bptee_report **verified)
{
    struct bptee_report *ev = NULL;
    char have[65], want[65];
    if (memcmp(digest, m->result, 32) != 0 || size != m->size) {
        hex_into(have, digest);
        hex_into(want, m->result);
        return fail(BPTEE_EVERIFY, "result: the bytes are not the attested ones (SHA-256 %s, "
                    "%llu bytes; attested %s, %llu bytes)", have, (unsigned long long)size,
                    want, (unsigned long long)m->size);
    }
    BPTEE_OPTS(bptee_verify_opts, defaults);
    const struct bptee_verify_opts *vo = o->evidence ? o->evidence : &defaults;
    int rc = evidence_report(m, &ev);
    if (rc == 0)
        rc = m->kind == BPTEE_RESULT_SIGNED ? check_signed(m, ev, vo, verified)
                                            : check_fresh(m, ev, vo, verified);
    if (rc == 0)
        rc = check_claims(m, ev, *verified);
    if (rc == 0 && o->policy)
        rc = result_policy_check(o->policy, m);
    bptee_report_free(ev);
    return rc;
}

int bptee_result_verify(const uint8_t *doc, size_t len, const struct bptee_result_verify_opts *opts,
                        struct bptee_result_verified *out, struct bptee_report **evidence)
{
    if ((!doc && len) || !out)
        return fail(BPTEE_EINVAL, "result: missing argument");
    struct bptee_result_verify_opts o = {0};
    if (opts)
        memcpy(&o, opts, opts->sz < sizeof o ? opts->sz : sizeof o);
    struct bptee_result_meta *m = NULL;
    struct bptee_report *verified = NULL;
    uint8_t digest[32];
    uint64_t size = 0;
    int injected = 0;
    int rc = locate(doc, len, &o, &m, digest, &size, &injected);
    if (rc == 0)
        rc = verify_meta(m, digest, size, &o, &verified);
    if (rc == 0)
        fill_out(m, verified, injected, out);
    if (rc == 0 && evidence)
        *evidence = verified;
    else
        bptee_report_free(verified);
    bptee_result_meta_free(m);
    return rc;
}
