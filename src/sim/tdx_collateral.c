// SPDX-License-Identifier: Apache-2.0
/* Collateral for the simulated platform, shaped and signed as Intel PCS serves it: TCB info
 * (one level matching the platform, with the status asked for, and the TDX_01 module identity),
 * the TD QE identity, the TCB signing chain, and the root and PCK CA CRLs. The JSON bodies are
 * signed over their exact serialized bytes, then wrapped as {"tcbInfo":...,"signature":"hex"}. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/tdx_sim.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define VALIDITY (30L * 24 * 3600)
#define ZERO48 "000000000000000000000000000000000000000000000000000000000000000000000000" \
               "000000000000000000000000"

static json_t *iso_time(int64_t t)
{
    char s[32];
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(s);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char *h = hex_encode(p, n);
    json_t *j = h ? json_string(h) : NULL;
    free(h);
    return j;
}

static json_t *svn_list(const uint8_t svn[16])
{
    json_t *a = json_array();
    for (int i = 0; a && i < 16; i++)
        if (json_array_append_new(a, json_pack("{s:i}", "svn", svn[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *module_identities(int64_t t)
{
    char id[8];
    snprintf(id, sizeof id, "TDX_%02X", tdx_sim_tcb.tee_tcb_svn[1]);
    return json_pack("[{s:s,s:s,s:s,s:s,s:[{s:{s:i},s:o,s:s}]}]", "id", id, "mrsigner", ZERO48,
                     "attributes", "0000000000000000", "attributesMask", "FFFFFFFFFFFFFFFF",
                     "tcbLevels", "tcb", "isvsvn", tdx_sim_tcb.tee_tcb_svn[0], "tcbDate",
                     iso_time(t), "tcbStatus", "UpToDate");
}

static json_t *platform_levels(int64_t t, int status)
{
    json_t *level = json_pack("{s:{s:o,s:i,s:o},s:o,s:s}", "tcb", "sgxtcbcomponents",
                              svn_list(tdx_sim_tcb.comp_svn), "pcesvn", tdx_sim_tcb.pcesvn,
                              "tdxtcbcomponents", svn_list(tdx_sim_tcb.tee_tcb_svn), "tcbDate",
                              iso_time(t), "tcbStatus", bptee_tdx_tcb_status_name(status));
    if (level && status != BPTEE_TDX_TCB_UP_TO_DATE &&
        json_object_set_new(level, "advisoryIDs", json_pack("[s]", "INTEL-SA-00000")) < 0) {
        json_decref(level);
        return NULL;
    }
    return level ? json_pack("[o]", level) : NULL;
}

static json_t *tcb_info(int64_t t, int status)
{
    return json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:i,s:i,s:{s:s,s:s,s:s},s:o,s:o}", "id", "TDX",
                     "version", 3, "issueDate", iso_time(t), "nextUpdate", iso_time(t + VALIDITY),
                     "fmspc", hex_json(tdx_sim_tcb.fmspc, 6), "pceId",
                     hex_json(tdx_sim_tcb.pceid, 2), "tcbType", 0, "tcbEvaluationDataNumber", 17,
                     "tdxModule", "mrsigner", ZERO48, "attributes", "0000000000000000",
                     "attributesMask", "FFFFFFFFFFFFFFFF", "tdxModuleIdentities",
                     module_identities(t), "tcbLevels", platform_levels(t, status));
}

static json_t *qe_identity(int64_t t)
{
    return json_pack("{s:s,s:i,s:o,s:o,s:i,s:s,s:s,s:s,s:s,s:o,s:i,s:[{s:{s:i},s:o,s:s}]}", "id",
                     "TD_QE", "version", 2, "issueDate", iso_time(t), "nextUpdate",
                     iso_time(t + VALIDITY), "tcbEvaluationDataNumber", 17, "miscselect",
                     "00000000", "miscselectMask", "FFFFFFFF", "attributes",
                     "11000000000000000000000000000000", "attributesMask",
                     "FBFFFFFFFFFFFFFF0000000000000000", "mrsigner",
                     hex_json(tdx_sim_qe_mrsigner, 32), "isvprodid", TDX_SIM_QE_ISVPRODID,
                     "tcbLevels", "tcb", "isvsvn", tdx_sim_tcb.qe_isvsvn, "tcbDate", iso_time(t),
                     "tcbStatus", "UpToDate");
}

/* {"<key>":<body>,"signature":"<r||s hex>"} with the signature over body's exact bytes. */
static int sign_json(const struct bptee_tdx_sim *sim, const char *key, json_t *body,
                     uint8_t **out, size_t *out_len)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (!text)
        return fail(BPTEE_ENOMEM, "sim: tdx: cannot build the %s collateral", key);
    uint8_t sig[64];
    char *hex = NULL, *doc = NULL;
    int rc = tdx_sim_sign(sim->key[TDX_SIM_SIGNER], (const uint8_t *)text, strlen(text), sig);
    if (rc == 0 && !(hex = hex_encode(sig, 64)))
        rc = fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    int n = rc == 0 ? asprintf(&doc, "{\"%s\":%s,\"signature\":\"%s\"}", key, text, hex) : -1;
    free(text);
    free(hex);
    if (rc == 0 && n < 0)
        rc = fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    if (rc < 0)
        return rc;
    *out = (uint8_t *)doc;
    *out_len = (size_t)n;
    return 0;
}

static X509 *cert_of(const struct bptee_tdx_sim *sim, int which)
{
    const unsigned char *p = sim->der[which];
    return d2i_X509(NULL, &p, (long)sim->der_len[which]);
}

/* A CRL by `issuer`, current for 30 days from t, revoking `revoke` when not NULL. */
static int make_crl(const struct bptee_tdx_sim *sim, int issuer, X509 *revoke, int64_t t,
                    uint8_t **out, size_t *out_len)
{
    X509 *ix = cert_of(sim, issuer);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)t), *next = ASN1_TIME_set(NULL, (time_t)(t + VALIDITY));
    X509_REVOKED *rev = revoke ? X509_REVOKED_new() : NULL;
    int ok = ix && crl && last && next && X509_CRL_set_version(crl, 1) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(ix)) &&
             X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next);
    if (ok && revoke) {
        ok = rev && X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(revoke)) &&
             X509_REVOKED_set_revocationDate(rev, last) && X509_CRL_add0_revoked(crl, rev);
        if (ok)
            rev = NULL; /* owned by crl */
        ok = ok && X509_CRL_sort(crl);
    }
    unsigned char *der = NULL;
    int n = ok && X509_CRL_sign(crl, sim->key[issuer], EVP_sha256()) > 0 ? i2d_X509_CRL(crl, &der)
                                                                          : -1;
    X509_REVOKED_free(rev);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    X509_free(ix);
    if (n <= 0)
        return fail_openssl(BPTEE_ECRYPTO, "sim: tdx: CRL");
    *out = malloc((size_t)n);
    if (*out) {
        memcpy(*out, der, (size_t)n);
        *out_len = (size_t)n;
    }
    OPENSSL_free(der);
    return *out ? 0 : fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
}

static int signing_chain(const struct bptee_tdx_sim *sim, uint8_t **out, size_t *out_len)
{
    BIO *b = BIO_new(BIO_s_mem());
    X509 *signer = cert_of(sim, TDX_SIM_SIGNER), *root = cert_of(sim, TDX_SIM_ROOT);
    char *data = NULL;
    long n = b && signer && root && PEM_write_bio_X509(b, signer) && PEM_write_bio_X509(b, root)
                 ? BIO_get_mem_data(b, &data)
                 : 0;
    if (n > 0 && (*out = malloc((size_t)n)) != NULL) {
        memcpy(*out, data, (size_t)n);
        *out_len = (size_t)n;
    }
    BIO_free(b);
    X509_free(signer);
    X509_free(root);
    return n > 0 && *out ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: tdx: TCB signing chain");
}

int bptee_tdx_sim_collateral(const struct bptee_tdx_sim *sim, int kind,
                             const struct bptee_tdx_sim_collateral_opts *opts, uint8_t **out,
                             size_t *out_len)
{
    if (!sim || !out || !out_len)
        return fail(BPTEE_EINVAL, "sim: tdx: collateral: missing argument");
    if (opts && opts->sz < sizeof *opts)
        return fail(BPTEE_EINVAL, "sim: tdx: collateral options struct too small");
    int64_t t = opts && opts->issue_time ? opts->issue_time : (int64_t)time(NULL);
    int status = opts && opts->tcb_status ? opts->tcb_status : BPTEE_TDX_TCB_UP_TO_DATE;
    if (!bptee_tdx_tcb_status_name(status) || status == BPTEE_TDX_TCB_NOT_EVALUATED)
        return fail(BPTEE_EINVAL, "sim: tdx: collateral: TCB status %d", status);
    *out = NULL;
    switch (kind) {
    case BPTEE_TDX_COLL_TCB_INFO: return sign_json(sim, "tcbInfo", tcb_info(t, status), out, out_len);
    case BPTEE_TDX_COLL_QE_IDENTITY:
        return sign_json(sim, "enclaveIdentity", qe_identity(t), out, out_len);
    case BPTEE_TDX_COLL_SIGNING_CHAIN: return signing_chain(sim, out, out_len);
    case BPTEE_TDX_COLL_ROOT_CRL: return make_crl(sim, TDX_SIM_ROOT, NULL, t, out, out_len);
    case BPTEE_TDX_COLL_PCK_CRL: {
        X509 *pck = opts && opts->revoke_pck ? cert_of(sim, TDX_SIM_PCK) : NULL;
        int rc = make_crl(sim, TDX_SIM_PCK_CA, pck, t, out, out_len);
        X509_free(pck);
        return rc;
    }
    default: return fail(BPTEE_EINVAL, "sim: tdx: collateral kind %d is unknown", kind);
    }
}
