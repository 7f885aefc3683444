/* SPDX-License-Identifier: Apache-2.0 */
/* One verification entry point for every kind of evidence: evidence in, verified claims out,
 * under a verification policy (JSON, docs/policy.md). Fails closed: any check that cannot be
 * made rejects, with bptee_last_error() naming it. */
#ifndef BPTEE_VERIFY_H
#define BPTEE_VERIFY_H

#include <bptee/common.h>
#include <bptee/evidence.h>

/* Largest policy file accepted. */
#define BPTEE_POLICY_JSON_MAX (1u << 20)

/* A parsed verification policy (opaque). */
struct bptee_policy;
/* Intel TDX collateral (include/bptee/tdx.h). */
struct bptee_tdx_collateral;
/* A JSON Web Key Set (include/bptee/jwt.h). */
struct bptee_jwks;

/* Parse a policy; unknown keys are errors naming the key ("policy: unknown key
 * 'sev_snp.allow_debgu'"), so a typo can never weaken a policy. "{}" is the default policy. */
BPTEE_API int bptee_policy_parse(const char *json, size_t len, struct bptee_policy **out);
BPTEE_API int bptee_policy_load(const char *path, struct bptee_policy **out);
BPTEE_API void bptee_policy_free(struct bptee_policy *p);
/* Bound the age of the evidence the policy accepts by secs (a TEE config's
 * max_attestation_age_secs): the stricter of this and the policy's own max_age_secs holds.
 * Evidence that carries no time is then refused, as under max_age_secs. */
BPTEE_API int bptee_policy_bound_max_age(struct bptee_policy *p, uint64_t secs);

/* The key set the policy names for tokens of `format` (BPTEE_FORMAT_AZURE_MAA_TOKEN: the
 * "azure_maa.jwks" key; BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN: "gcp_confidential.jwks"): 1 with
 * *location as written (an http(s) URL, or a file path that is relative to the policy file's
 * directory: the caller resolves it, as bptee_policy_parse knows no file) and *key the policy key
 * for messages, both owned by p; 0 when it names none (p NULL, another format). The library
 * never reads or fetches it: load it (bptee_jwks_load) into bptee_verify_opts.jwks. */
BPTEE_API int bptee_policy_jwks(const struct bptee_policy *p, int format, const char **location, const char **key);

struct bptee_verify_opts {
    size_t sz;
    int64_t at;                        /* verification time, unix seconds; 0 = now */
    const struct bptee_policy *policy; /* NULL = the default policy */
    /* SEV-SNP: the VCEK/VLEK (DER or PEM) and ASK/ARK (PEM bundle or DER) given apart from
     * the evidence; they override certificates the evidence carries. */
    const uint8_t *vcek;
    size_t vcek_len;
    const uint8_t *chain;
    size_t chain_len;
    /* JWT: `chain` holds the roots pinned for a token header's x5c (bptee_jwt_verify_opts
     * x5c_roots). TDX: `chain` overrides the quote's PCK chain (PEM leaf, CA, root). Optional collateral
     * (TCB info, QE identity, CRLs: bptee_tdx_collateral_load_dir) is judged at
     * tdx_collateral_at (0 = at): Intel's TCB signing certificate may have expired since the
     * collateral was issued, so judge collateral at its own issue date. */
    const struct bptee_tdx_collateral *tdx_collateral;
    int64_t tdx_collateral_at;
    /* Azure Attestation and GCP Confidential Space tokens: the key set they are verified
     * against (bptee_jwks_load); a token without one is rejected. */
    const struct bptee_jwks *jwks;
};

/* Read what a user hands to `verify` or `inspect`: evidence JSON (bptee_report_load_json), a
 * raw 1184-byte SEV-SNP report, a raw TDX quote, or either's ASCII hex. Raw reports become an
 * evidence report (provider amd_sev_snp, format sev_snp_report; or intel_tdx, tdx_quote;
 * issued_at 0, no certificates). A raw 1024-byte TDREPORT is refused (BPTEE_EUNSUPPORTED): it is
 * MAC'd for the local CPU, not signed. Nothing is verified. */
BPTEE_API int bptee_verify_input_load(const uint8_t *data, size_t len, struct bptee_report **out);

/* Verify evidence under opts->policy. On success *out is a new report (bptee_report_free):
 * provider, format, issued_at, measurement, the raw evidence and its certificates, and the
 * verified claims (debug_mode, platform_version, product_id, user_data = report data, custom
 * claims per provider, simulated). Failures: BPTEE_EVERIFY (signature, chain, binding),
 * BPTEE_EEXPIRED (validity, max age), BPTEE_EPOLICY (policy), BPTEE_EPARSE, BPTEE_EUNSUPPORTED. */
BPTEE_API int bptee_verify_report(const struct bptee_report *evidence, const struct bptee_verify_opts *opts, struct bptee_report **out);

/* bptee_verify_input_load then bptee_verify_report. */
BPTEE_API int bptee_verify(const uint8_t *data, size_t len, const struct bptee_verify_opts *opts, struct bptee_report **out);

#endif
