// SPDX-License-Identifier: Apache-2.0
/* SNP_GET_DERIVED_KEY, simulated: HKDF-SHA-256 from the state directory's secret root key, with
 * the request's root selector, VMPL and the guest fields it selects in the info string, so a
 * key changes exactly when firmware's would. The request is checked as firmware checks
 * MSG_KEY_REQ: known root and field bits only, a VMPL the guest may ask for, and no guest_svn
 * or TCB component above the current one (a guest can derive keys of older versions, never
 * of newer ones). */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#include "sim/sim_private.h"
#include "util/bytes.h"
#include "util/error.h"

#define KEY_SIZE 32
#define FIELD_ALL 0x7full /* bits 0..6: policy .. launch_mit_vector */
#define SALT "bptee-sim SNP_GET_DERIVED_KEY v1"

static int check_request(const struct bptee_sim *sim, const struct bptee_guest_key_request *q)
{
    if (q->root_key_select > BPTEE_GUEST_KEY_ROOT_VMRK)
        return fail(BPTEE_EINVAL,
                    "sim: derived key: root_key_select %u is not 0 (VCEK) or 1 "
                    "(VMRK)",
                    q->root_key_select);
    if (q->guest_field_select & ~FIELD_ALL)
        return fail(BPTEE_EINVAL,
                    "sim: derived key: guest_field_select 0x%llx has reserved "
                    "bits set",
                    (unsigned long long)q->guest_field_select);
    if (q->vmpl > 3)
        return fail(BPTEE_EINVAL, "sim: derived key: VMPL %u is out of range (0 to 3)", q->vmpl);
    if (q->guest_svn > sim->guest_svn)
        return fail(BPTEE_EINVAL, "sim: derived key: guest_svn %u is above the guest's %u",
                    q->guest_svn, sim->guest_svn);
    for (int i = 0; i < 8; i++) {
        unsigned want = (unsigned)(q->tcb_version >> (8 * i)) & 0xff;
        unsigned have = (unsigned)(sim->tcb >> (8 * i)) & 0xff;
        if (want > have)
            return fail(BPTEE_EINVAL,
                        "sim: derived key: tcb_version 0x%016llx is above the "
                        "current TCB 0x%016llx (byte %d)",
                        (unsigned long long)q->tcb_version, (unsigned long long)sim->tcb, i);
    }
    return 0;
}

/* The HKDF info: the request's fixed part, then each selected field in bit order. */
static size_t build_info(const struct bptee_sim *sim, const struct bptee_guest_key_request *q,
                         uint8_t *info)
{
    uint8_t *p = info;
    store_le32(p, q->root_key_select);
    store_le64(p + 4, q->guest_field_select);
    store_le32(p + 12, q->vmpl);
    p += 16;
    uint64_t sel = q->guest_field_select;
    if (sel & BPTEE_GUEST_KEY_FIELD_POLICY)
        store_le64(p, sim->policy), p += 8;
    if (sel & BPTEE_GUEST_KEY_FIELD_IMAGE_ID)
        memcpy(p, sim->image_id, 16), p += 16;
    if (sel & BPTEE_GUEST_KEY_FIELD_FAMILY_ID)
        memcpy(p, sim->family_id, 16), p += 16;
    if (sel & BPTEE_GUEST_KEY_FIELD_MEASUREMENT)
        memcpy(p, sim->measurement, 48), p += 48;
    if (sel & BPTEE_GUEST_KEY_FIELD_GUEST_SVN)
        store_le32(p, q->guest_svn), p += 4;
    if (sel & BPTEE_GUEST_KEY_FIELD_TCB_VERSION)
        store_le64(p, q->tcb_version), p += 8;
    if (sel & BPTEE_GUEST_KEY_FIELD_LAUNCH_MIT_VECTOR)
        store_le64(p, 0), p += 8; /* the simulated launch has no mitigation vector */
    return (size_t)(p - info);
}

static int hkdf(const uint8_t *ikm, const uint8_t *info, size_t info_len, uint8_t *key)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, SIM_ROOT_KEY_SIZE),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)SALT, strlen(SALT)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx && EVP_KDF_derive(ctx, key, KEY_SIZE, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: derived key: HKDF");
}

int bptee_sim_derived_key(const struct bptee_sim *sim, const struct bptee_guest_key_request *req,
                          uint8_t *key, size_t key_len)
{
    if (!sim || !req || !key)
        return fail(BPTEE_EINVAL, "sim: derived key: missing argument");
    if (key_len != KEY_SIZE)
        return fail(BPTEE_EINVAL, "sim: derived key: key buffer is %zu bytes (must be %d)", key_len,
                    KEY_SIZE);
    int r = check_request(sim, req);
    if (r < 0)
        return r;
    uint8_t info[16 + 8 + 16 + 16 + 48 + 4 + 8 + 8];
    size_t n = build_info(sim, req, info);
    r = hkdf(sim->root_key, info, n, key);
    sodium_memzero(info, sizeof info); /* holds guest fields; cheap to be tidy */
    if (r < 0)
        sodium_memzero(key, key_len);
    return r;
}
