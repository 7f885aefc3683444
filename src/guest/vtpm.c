// SPDX-License-Identifier: Apache-2.0
/* ESYS calls for Azure vTPM evidence. Every response is freed with Esys_Free on every path;
 * nothing from the TPM is trusted here beyond its sizes (the verifier checks the rest, and
 * attest_azure.c verifies what it collected before handing it out). */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "guest/vtpm.h"
#include "util/error.h"

#define NV_CHUNK 512 /* every TPM's NV buffer takes this much (PC client spec minimum) */
#define PCR_MASK_ALL 0xffffffu

static int tpm_fail(const struct vtpm *v, TSS2_RC rc, const char *what, uint32_t handle)
{
    char text[256];
    tss_rc_text(v->t, rc, text, sizeof text);
    /* TPM_RC_HANDLE (format one): the TPM has nothing at that handle. */
    if ((rc & 0x80) && (rc & 0x3f) == 0x0b)
        return fail(BPTEE_ENOTFOUND, "guest: vTPM (%s): %s: nothing at handle 0x%08x: %s", v->tcti,
                    what, handle, text);
    return fail(BPTEE_EIO, "guest: vTPM (%s): %s 0x%08x: %s", v->tcti, what, handle, text);
}

int vtpm_open(struct vtpm *v, const char *tcti)
{
    memset(v, 0, sizeof *v);
    v->tcti = tcti;
    int rc = tss_load(&v->t);
    if (rc < 0)
        return rc;
    TSS2_RC r = v->t->tctildr_init(tcti, &v->tcti_ctx);
    if (r != TSS2_RC_SUCCESS) {
        char text[256];
        tss_rc_text(v->t, r, text, sizeof text);
        return fail(BPTEE_ENOTFOUND, "guest: vTPM: cannot open TCTI '%s': %s", tcti, text);
    }
    r = v->t->init(&v->esys, v->tcti_ctx, NULL);
    if (r != TSS2_RC_SUCCESS) {
        rc = tpm_fail(v, r, "Esys_Initialize", 0);
        v->t->tctildr_fini(&v->tcti_ctx);
    }
    return rc;
}

void vtpm_close(struct vtpm *v)
{
    if (v->esys)
        v->t->fini(&v->esys);
    if (v->tcti_ctx)
        v->t->tctildr_fini(&v->tcti_ctx);
}

static int nv_size(struct vtpm *v, ESYS_TR nv, uint32_t index, size_t *size)
{
    TPM2B_NV_PUBLIC *pub = NULL;
    TPM2B_NAME *name = NULL;
    TSS2_RC r = v->t->nv_read_public(v->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
                                     &name);
    if (r != TSS2_RC_SUCCESS)
        return tpm_fail(v, r, "NV_ReadPublic", index);
    *size = pub->nvPublic.dataSize;
    v->t->free(pub);
    v->t->free(name);
    return 0;
}

int vtpm_nv_read(struct vtpm *v, uint32_t index, uint8_t **out, size_t *len)
{
    ESYS_TR nv = ESYS_TR_NONE;
    size_t size = 0;
    TSS2_RC r = v->t->tr_from_public(v->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
    if (r != TSS2_RC_SUCCESS)
        return tpm_fail(v, r, "NV index", index);
    int rc = nv_size(v, nv, index, &size);
    if (rc < 0)
        return rc;
    if (size == 0)
        return fail(BPTEE_EPARSE, "guest: vTPM (%s): NV index 0x%08x is empty", v->tcti, index);
    uint8_t *buf = malloc(size);
    if (!buf)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    for (size_t off = 0; off < size && rc == 0;) {
        UINT16 n = (UINT16)(size - off < NV_CHUNK ? size - off : NV_CHUNK);
        TPM2B_MAX_NV_BUFFER *data = NULL;
        r = v->t->nv_read(v->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, n, (UINT16)off, &data);
        if (r != TSS2_RC_SUCCESS)
            rc = tpm_fail(v, r, "NV_Read (owner authorization) of index", index);
        else if (data->size != n)
            rc = fail(BPTEE_EIO, "guest: vTPM: NV_Read of 0x%08x returned %u bytes, not %u", index,
                      data->size, n);
        else
            memcpy(buf + off, data->buffer, n);
        v->t->free(data);
        off += n;
    }
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = size;
    return 0;
}

static int rsa_key(const TPMT_PUBLIC *p, EVP_PKEY **out)
{
    const TPM2B_PUBLIC_KEY_RSA *n = &p->unique.rsa;
    uint32_t e = p->parameters.rsaDetail.exponent ? p->parameters.rsaDetail.exponent : 65537;
    uint8_t ebuf[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    BIGNUM *bn_n = BN_bin2bn(n->buffer, n->size, NULL), *bn_e = BN_bin2bn(ebuf, 4, NULL);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    int ok = bn_n && bn_e && b && ctx && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
             (params = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(ctx) == 1 &&
             EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    BN_free(bn_n);
    BN_free(bn_e);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "guest: vTPM: the AK's RSA public key");
}

int vtpm_key(struct vtpm *v, uint32_t handle, ESYS_TR *key, EVP_PKEY **pub)
{
    TPM2B_PUBLIC *out = NULL;
    TPM2B_NAME *name = NULL, *qname = NULL;
    TSS2_RC r = v->t->tr_from_public(v->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     key);
    if (r != TSS2_RC_SUCCESS)
        return tpm_fail(v, r, "attestation key", handle);
    r = v->t->read_public(v->esys, *key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &out, &name,
                          &qname);
    if (r != TSS2_RC_SUCCESS)
        return tpm_fail(v, r, "ReadPublic of the attestation key", handle);
    int rc = out->publicArea.type == TPM2_ALG_RSA
                 ? rsa_key(&out->publicArea, pub)
                 : fail(BPTEE_EUNSUPPORTED, "guest: vTPM: the attestation key at 0x%08x is not "
                                            "RSA (Azure's AK is RSA-2048)",
                        handle);
    v->t->free(out);
    v->t->free(name);
    v->t->free(qname);
    return rc;
}

static void pcr_selection(TPML_PCR_SELECTION *sel, uint32_t mask)
{
    memset(sel, 0, sizeof *sel);
    sel->count = 1;
    sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel->pcrSelections[0].sizeofSelect = 3;
    for (int i = 0; i < 3; i++)
        sel->pcrSelections[0].pcrSelect[i] = (uint8_t)(mask >> (8 * i));
}

static int dup_bytes(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len)
{
    *out = malloc(n ? n : 1);
    if (!*out)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    memcpy(*out, p, n);
    *out_len = n;
    return 0;
}

int vtpm_quote(struct vtpm *v, ESYS_TR key, const uint8_t *qd, size_t qd_len, struct vtpm_quote *q)
{
    TPM2B_DATA data = {.size = (UINT16)qd_len};
    TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_RSASSA,
                              .details.rsassa.hashAlg = TPM2_ALG_SHA256};
    TPML_PCR_SELECTION sel;
    TPM2B_ATTEST *attest = NULL;
    TPMT_SIGNATURE *sig = NULL;
    memset(q, 0, sizeof *q);
    if (qd_len > sizeof data.buffer)
        return fail(BPTEE_EINVAL, "guest: vTPM: qualifying data of %zu bytes", qd_len);
    memcpy(data.buffer, qd, qd_len);
    pcr_selection(&sel, PCR_MASK_ALL);
    TSS2_RC r = v->t->quote(v->esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data,
                            &scheme, &sel, &attest, &sig);
    if (r != TSS2_RC_SUCCESS)
        return tpm_fail(v, r, "Quote with the attestation key", 0);
    int rc = sig->sigAlg == TPM2_ALG_RSASSA
                 ? 0
                 : fail(BPTEE_EUNSUPPORTED, "guest: vTPM: the quote is not signed RSASSA");
    if (rc == 0)
        rc = dup_bytes(attest->attestationData, attest->size, &q->attest, &q->attest_len);
    if (rc == 0)
        rc = dup_bytes(sig->signature.rsassa.sig.buffer, sig->signature.rsassa.sig.size, &q->sig,
                       &q->sig_len);
    v->t->free(attest);
    v->t->free(sig);
    if (rc < 0)
        vtpm_quote_release(q);
    return rc;
}

void vtpm_quote_release(struct vtpm_quote *q)
{
    free(q->attest);
    free(q->sig);
    memset(q, 0, sizeof *q);
}

/* PCR_Read answers at most 8 digests a call and says which it answered: ask for the rest until
 * none are left. */
int vtpm_pcrs(struct vtpm *v, uint8_t out[VTPM_PCRS][32])
{
    uint32_t left = PCR_MASK_ALL;
    while (left) {
        TPML_PCR_SELECTION sel, *got = NULL;
        TPML_DIGEST *vals = NULL;
        UINT32 counter = 0;
        pcr_selection(&sel, left);
        TSS2_RC r = v->t->pcr_read(v->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
                                   &counter, &got, &vals);
        if (r != TSS2_RC_SUCCESS)
            return tpm_fail(v, r, "PCR_Read", 0);
        uint32_t answered = 0;
        if (got->count == 1 && got->pcrSelections[0].hash == TPM2_ALG_SHA256)
            for (int i = 0; i < 3 && i < got->pcrSelections[0].sizeofSelect; i++)
                answered |= (uint32_t)got->pcrSelections[0].pcrSelect[i] << (8 * i);
        answered &= left;
        size_t k = 0;
        int rc = answered ? 0 : fail(BPTEE_EIO, "guest: vTPM: PCR_Read answered no SHA-256 PCR");
        for (int i = 0; rc == 0 && i < VTPM_PCRS; i++) {
            if (!(answered & (1u << i)))
                continue;
            if (k >= vals->count || vals->digests[k].size != 32)
                rc = fail(BPTEE_EIO, "guest: vTPM: PCR_Read returned a short answer");
            else
                memcpy(out[i], vals->digests[k++].buffer, 32);
        }
        v->t->free(got);
        v->t->free(vals);
        if (rc < 0)
            return rc;
        left &= ~answered;
    }
    return 0;
}
