// SPDX-License-Identifier: Apache-2.0
/* What the simulated TD and its quoting enclave produce: a TDREPORT built as the TDX module
 * builds one (hashes of TEE_TCB_INFO and TDINFO, a MAC under the state's key), and a quote made
 * from it as the QE makes one (the TD body copied from the TDREPORT, signed by the attestation
 * key, with the QE report that binds that key, signed by the PCK key). */
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdlib.h>

#include "sim/tdx_sim.h"
#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"

const uint8_t tdx_sim_qe_mrsigner[32] = {
    0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
    0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5,
};

int tdx_sim_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, der, &der_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *es = ok ? d2i_ECDSA_SIG(NULL, &p, (long)der_len) : NULL;
    ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
    ECDSA_SIG_free(es);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: tdx: ECDSA signature");
}

/* The QE report: Intel's TD QE identity, REPORTDATA = SHA-256(attestation key || auth data). */
int tdx_sim_qe_setup(struct bptee_tdx_sim *sim)
{
    struct bptee_tdx_sgx_report *r = &sim->qe_report;
    uint8_t msg[64 + TDX_SIM_QE_AUTH_SIZE], raw[BPTEE_TDX_SGX_REPORT_SIZE];
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < TDX_SIM_QE_AUTH_SIZE; i++)
        sim->qe_auth[i] = (uint8_t)i; /* what Intel's QE writes */
    memcpy(r->cpusvn, tdx_sim_tcb.cpusvn, 16);
    r->attributes[0] = 0x15; /* INIT | MODE64BIT | PROVISIONKEY */
    r->attributes[8] = 0xe7; /* XFRM */
    sha256("bptee simulated TD QE", strlen("bptee simulated TD QE"), r->mrenclave);
    memcpy(r->mrsigner, tdx_sim_qe_mrsigner, 32);
    r->isvprodid = TDX_SIM_QE_ISVPRODID;
    r->isvsvn = tdx_sim_tcb.qe_isvsvn;
    memcpy(msg, sim->attest_xy, 64);
    memcpy(msg + 64, sim->qe_auth, TDX_SIM_QE_AUTH_SIZE);
    sha256(msg, sizeof msg, r->report_data);
    struct writer w = {.p = raw, .left = sizeof raw};
    tdx_sgx_report_write(&w, r);
    if (w.bad || w.left)
        return fail(BPTEE_EINVAL, "sim: tdx: QE report layout");
    return tdx_sim_sign(sim->key[TDX_SIM_PCK], raw, sizeof raw, sim->qe_report_signature);
}

static void fill_tdreport(const struct bptee_tdx_sim *sim, const uint8_t rd[64],
                          struct bptee_tdx_tdreport *r)
{
    memset(r, 0, sizeof *r);
    r->report_type[0] = BPTEE_TDX_TEE_TYPE;
    r->report_type[2] = sim->body_type == BPTEE_TDX_BODY_TD15 ? 1 : 0;
    memcpy(r->cpusvn, tdx_sim_tcb.cpusvn, 16);
    memcpy(r->report_data, rd, 64);
    r->tcb_info_valid[0] = 0xff;
    r->tcb_info_valid[1] = 0x01;
    memcpy(r->tee_tcb_svn, tdx_sim_tcb.tee_tcb_svn, 16);
    memcpy(r->mrseam, tdx_sim_tcb.mrseam, 48);
    if (sim->body_type == BPTEE_TDX_BODY_TD15)
        memcpy(r->tee_tcb_svn2, tdx_sim_tcb.tee_tcb_svn, 16);
    r->td_attributes = sim->td_attributes;
    r->xfam = sim->xfam;
    memcpy(r->mrtd, sim->mrtd, 48);
    memcpy(r->mrconfigid, sim->mrconfigid, 48);
    memcpy(r->mrowner, sim->mrowner, 48);
    memcpy(r->mrownerconfig, sim->mrownerconfig, 48);
    memcpy(r->rtmr, sim->rtmr, sizeof r->rtmr);
}

int bptee_tdx_sim_tdreport(struct bptee_tdx_sim *sim, const uint8_t *report_data,
                           size_t report_data_len, uint8_t *out, size_t out_len)
{
    uint8_t rd[64] = {0};
    if (!sim || !out || (report_data_len && !report_data))
        return fail(BPTEE_EINVAL, "sim: tdx: TDREPORT: missing argument");
    if (report_data_len > sizeof rd)
        return fail(BPTEE_EINVAL, "sim: tdx: report data is %zu bytes, at most 64",
                    report_data_len);
    if (report_data_len)
        memcpy(rd, report_data, report_data_len);
    struct bptee_tdx_tdreport r;
    fill_tdreport(sim, rd, &r);
    int rc = bptee_tdx_tdreport_serialize(&r, out, out_len);
    if (rc < 0)
        return rc;
    /* As the module does: hashes of TEE_TCB_INFO (239 bytes) and TDINFO, then the MAC. */
    sha384(out + 0x100, 239, r.tee_tcb_info_hash);
    sha384(out + 0x200, 512, r.tee_info_hash);
    if ((rc = bptee_tdx_tdreport_serialize(&r, out, out_len)) < 0)
        return rc;
    crypto_auth_hmacsha256(r.mac, out, 0xE0, sim->mac_key);
    return bptee_tdx_tdreport_serialize(&r, out, out_len);
}

/* The quote the QE makes from a TDREPORT. */
static void quote_from_tdreport(const struct bptee_tdx_sim *sim,
                                const struct bptee_tdx_tdreport *t, struct bptee_tdx_quote *q)
{
    uint8_t id[32];
    memset(q, 0, sizeof *q);
    q->version = sim->version;
    q->att_key_type = BPTEE_TDX_ATT_KEY_ECDSA_P256;
    q->tee_type = BPTEE_TDX_TEE_TYPE;
    memcpy(q->qe_vendor_id, tdx_intel_qe_vendor_id, 16);
    sha256(sim->attest_xy, 64, id); /* the QE's identifier of this platform's key */
    memcpy(q->user_data, id, 20);
    q->body_type = sim->version == 4 ? BPTEE_TDX_BODY_TD10 : sim->body_type;
    struct bptee_tdx_body *b = &q->body;
    memcpy(b->tee_tcb_svn, t->tee_tcb_svn, 16);
    memcpy(b->mrseam, t->mrseam, 48);
    memcpy(b->mrsignerseam, t->mrsignerseam, 48);
    b->seam_attributes = t->seam_attributes;
    b->td_attributes = t->td_attributes;
    b->xfam = t->xfam;
    memcpy(b->mrtd, t->mrtd, 48);
    memcpy(b->mrconfigid, t->mrconfigid, 48);
    memcpy(b->mrowner, t->mrowner, 48);
    memcpy(b->mrownerconfig, t->mrownerconfig, 48);
    memcpy(b->rtmr, t->rtmr, sizeof b->rtmr);
    memcpy(b->report_data, t->report_data, 64);
    memcpy(b->tee_tcb_svn2, t->tee_tcb_svn2, 16);
    memcpy(b->mrservicetd, t->servtd_hash, 48);
    memcpy(q->attest_key, sim->attest_xy, 64);
    q->qe_report = sim->qe_report;
    memcpy(q->qe_report_signature, sim->qe_report_signature, 64);
    q->qe_auth_data = sim->qe_auth;
    q->qe_auth_data_len = TDX_SIM_QE_AUTH_SIZE;
    q->pck_chain = (const uint8_t *)sim->pck_chain;
    q->pck_chain_len = sim->pck_chain_len;
}

int bptee_tdx_sim_quote(struct bptee_tdx_sim *sim, const uint8_t *report_data,
                        size_t report_data_len, uint8_t **out, size_t *out_len)
{
    if (!sim || !out || !out_len)
        return fail(BPTEE_EINVAL, "sim: tdx: quote: missing argument");
    uint8_t raw[BPTEE_TDX_TDREPORT_SIZE];
    struct bptee_tdx_tdreport t;
    struct bptee_tdx_quote q;
    int rc = bptee_tdx_sim_tdreport(sim, report_data, report_data_len, raw, sizeof raw);
    if (rc == 0)
        rc = bptee_tdx_tdreport_parse(raw, sizeof raw, &t);
    if (rc < 0)
        return rc;
    quote_from_tdreport(sim, &t, &q);
    uint8_t *buf = NULL;
    size_t len = 0;
    if ((rc = bptee_tdx_quote_serialize(&q, &buf, &len)) < 0)
        return rc;
    /* The signature data starts after the signed bytes and their u32 length. */
    if ((rc = tdx_sim_sign(sim->attest_key, buf, q.signed_len, buf + q.signed_len + 4)) < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}
