// SPDX-License-Identifier: Apache-2.0
/* JWT evidence: Azure Attestation and GCP Confidential Space tokens. Which of the two a raw
 * token is comes from its (not yet verified) issuer; the jwt module then verifies it against
 * the caller's JWKS and the section of that kind holds its claims to the policy. Every claim of
 * a verified token is a verified claim, so all of them are carried over as custom claims
 * (Azure's x-ms-isolation-tee with its SEV-SNP claims among them). */
#include <stdlib.h>
#include <string.h>

#include <bptee/jwt.h>

#include "util/error.h"
#include "util/json.h"
#include "verify/internal.h"

#define GCP_ISSUER "https://confidentialcomputing.googleapis.com"

/* Which kind of token: by iss, or Azure's x-ms-ver when iss is not Google's. */
int jwt_evidence(const uint8_t *d, size_t n, struct bptee_report **out)
{
    char *hdr = NULL, *pay = NULL;
    json_t *p = NULL;
    int rc = bptee_jwt_decode(d, n, &hdr, &pay);
    if (rc == 0)
        rc = json_parse_capped(pay, strlen(pay), BPTEE_JWT_MAX, "jwt: payload", &p);
    const char *iss = rc == 0 ? json_string_value(json_object_get(p, "iss")) : NULL;
    int provider = -1, format = -1;
    if (rc == 0 && iss && !strcmp(iss, GCP_ISSUER)) {
        provider = BPTEE_PROVIDER_GCP_CONFIDENTIAL;
        format = BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN;
    } else if (rc == 0 && (json_object_get(p, "x-ms-ver") || (iss && strstr(iss, ".azure.net")))) {
        provider = BPTEE_PROVIDER_AZURE_SNP;
        format = BPTEE_FORMAT_AZURE_MAA_TOKEN;
    } else if (rc == 0) {
        rc = fail(BPTEE_EUNSUPPORTED, "unsupported evidence: a JWT from issuer '%.100s', neither "
                                      "Azure Attestation nor GCP Confidential Space",
                  iss ? iss : "(none)");
    }
    struct bptee_report *r = NULL;
    if (rc == 0 && (rc = bptee_report_new(&r)) == 0 &&
        (rc = bptee_report_set_provider(r, provider)) == 0 &&
        (rc = bptee_report_set_format(r, format)) == 0 &&
        (rc = bptee_report_set_evidence(r, d, n)) == 0) {
        *out = r;
        r = NULL;
    }
    bptee_report_free(r);
    json_decref(p);
    free(hdr);
    free(pay);
    return rc;
}

static int set_claims(struct bptee_report *r, json_t *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(c, key, v)
    {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        int rc = text ? bptee_report_set_custom(r, key, text)
                      : fail(BPTEE_ENOMEM, "verify: out of memory");
        free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The measurement a token names: Azure's SNP launch measurement or SGX MRENCLAVE, GCP's
 * container image digest; "unknown" with an empty digest when it names none. */
static int set_measurement(struct bptee_report *r, const json_t *c)
{
    const json_t *tee = json_object_get(c, "x-ms-isolation-tee");
    const char *m = json_string_value(json_object_get(tee, "x-ms-sevsnpvm-launchmeasurement"));
    if (!m)
        m = json_string_value(json_object_get(c, "x-ms-sevsnpvm-launchmeasurement"));
    if (m)
        return bptee_report_set_measurement_sha384(r, m);
    if ((m = json_string_value(json_object_get(c, "x-ms-sgx-mrenclave"))))
        return bptee_report_set_measurement_sha256(r, m);
    m = json_string_value(
        json_object_get(json_object_get(json_object_get(c, "submods"), "container"),
                        "image_digest"));
    if (m && !strncmp(m, "sha256:", 7))
        return bptee_report_set_measurement_sha256(r, m + 7);
    return bptee_report_set_measurement(r, "unknown", "");
}

static int build_output(const struct bptee_report *ev, json_t *c, bool azure,
                        struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    size_t len = 0;
    const uint8_t *tok = bptee_report_evidence(ev, &len);
    const json_t *iat = json_object_get(c, "iat");
    int rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_provider(r, bptee_report_provider(ev));
    if (rc == 0)
        rc = bptee_report_set_format(r, bptee_report_format(ev));
    if (rc == 0 && json_is_integer(iat) && json_integer_value(iat) > 0)
        rc = bptee_report_set_issued_at(r, (uint64_t)json_integer_value(iat));
    if (rc == 0)
        rc = set_measurement(r, c);
    if (rc == 0)
        rc = bptee_report_set_debug_mode(r, policy_jwt_debug(c, azure));
    if (rc == 0)
        rc = bptee_report_set_evidence(r, tok, len);
    if (rc == 0)
        rc = set_claims(r, c);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int verify_jwt(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out)
{
    bool azure = bptee_report_format(ev) == BPTEE_FORMAT_AZURE_MAA_TOKEN;
    const struct jwt_policy *jp = azure ? &p->azure : &p->gcp;
    size_t len = 0;
    const uint8_t *tok = bptee_report_evidence(ev, &len);
    if (!tok || len == 0)
        return fail(BPTEE_EPARSE, "verify: evidence carries no token");
    BPTEE_OPTS(bptee_jwt_verify_opts, jo, .at = o->at, .jwks = o->jwks,
               .leeway_secs = jp->leeway_secs, .x5c_roots = o->chain,
               .x5c_roots_len = o->chain_len);
    char *payload = NULL;
    json_t *claims = NULL;
    int rc = bptee_jwt_verify(tok, len, &jo, &payload);
    if (rc == 0)
        rc = json_parse_capped(payload, strlen(payload), BPTEE_JWT_MAX, "jwt: payload", &claims);
    if (rc == 0)
        rc = policy_jwt_check(jp, claims, azure);
    if (rc == 0)
        rc = build_output(ev, claims, azure, out);
    json_decref(claims);
    free(payload);
    return rc;
}
