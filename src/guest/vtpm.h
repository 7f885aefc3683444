/* SPDX-License-Identifier: Apache-2.0 */
/* The vTPM commands Azure evidence needs, over ESYS (private): read an NV index whole, read a
 * persistent key's public area, quote PCRs with qualifying data, read PCR values. Errors name
 * the command, the handle and the TPM's response code. */
#ifndef BPTEE_GUEST_VTPM_H
#define BPTEE_GUEST_VTPM_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/tss.h"

#define VTPM_PCRS 24

struct vtpm {
    const struct tss *t;
    const char *tcti; /* the loader's configuration string, for messages */
    TSS2_TCTI_CONTEXT *tcti_ctx;
    ESYS_CONTEXT *esys;
};

int vtpm_open(struct vtpm *v, const char *tcti);
void vtpm_close(struct vtpm *v);

/* The NV index's whole contents (malloc'd), read with owner authorization (empty password) in
 * chunks every TPM accepts. BPTEE_ENOTFOUND when the TPM has no such index. */
int vtpm_nv_read(struct vtpm *v, uint32_t index, uint8_t **out, size_t *len);

/* The persistent key at handle: its ESYS handle and its public key (RSA only).
 * BPTEE_ENOTFOUND when the TPM has no such key. */
int vtpm_key(struct vtpm *v, uint32_t handle, ESYS_TR *key, EVP_PKEY **pub);

/* TPM2_Quote by key (RSASSA SHA-256) over SHA-256 PCRs 0..23 with qualifying data qd; the
 * TPMS_ATTEST bytes and the signature, malloc'd. */
struct vtpm_quote {
    uint8_t *attest, *sig;
    size_t attest_len, sig_len;
};
int vtpm_quote(struct vtpm *v, ESYS_TR key, const uint8_t *qd, size_t qd_len, struct vtpm_quote *q);
void vtpm_quote_release(struct vtpm_quote *q);

/* SHA-256 PCRs 0..23, in index order. */
int vtpm_pcrs(struct vtpm *v, uint8_t out[VTPM_PCRS][32]);

#endif
