/* SPDX-License-Identifier: Apache-2.0 */
/* The verify module's per-evidence-kind verifiers (private). Each takes the evidence report
 * and the resolved options and policy, and returns the verified report. */
#ifndef BPTEE_VERIFY_INTERNAL_H
#define BPTEE_VERIFY_INTERNAL_H

#include <jansson.h>

#include <bptee/snp.h>
#include <bptee/verify.h>

#include "verify/policy.h"

typedef int (*verify_kind_fn)(const struct bptee_report *ev, const struct bptee_verify_opts *o,
                              const struct bptee_policy *p, struct bptee_report **out);

/* verify_snp.c */
int verify_snp(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out);

/* verify_snp.c: a SEV-SNP report verified with the evidence's certificates (or the caller's)
 * under the policy's trust settings; no policy check. */
int snp_verify_report(const struct bptee_report *ev, const uint8_t *report, size_t len,
                      const struct bptee_verify_opts *o, const struct bptee_policy *p,
                      struct bptee_snp_verified *v);
/* A new output report: provider, format sev_snp_report, and the evidence's issued_at, bytes and
 * certificates; the caller adds the verified claims. */
int snp_output_base(const struct bptee_report *ev, int provider, struct bptee_report **out);

/* verify_azure.c: Azure vTPM evidence (HCL report, SEV-SNP report, AK, TPM2 quote). */
int verify_azure(const struct bptee_report *ev, const struct bptee_verify_opts *o,
                 const struct bptee_policy *p, struct bptee_report **out);

/* verify_tdx.c */
int verify_tdx(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out);

/* verify_nitro.c */
int verify_nitro(const struct bptee_report *ev, const struct bptee_verify_opts *o,
                 const struct bptee_policy *p, struct bptee_report **out);

/* verify_jwt.c: Azure Attestation and GCP Confidential Space tokens; jwt_evidence makes the
 * evidence report of a raw token (its kind from the unverified issuer). */
int verify_jwt(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out);
int jwt_evidence(const uint8_t *d, size_t n, struct bptee_report **out);

/* snp_claims.c: the verified SEV-SNP claims onto the output report. */
int snp_claims_fill(struct bptee_report *out, const struct bptee_snp_verified *v,
                    const struct snp_policy *p);

#endif
