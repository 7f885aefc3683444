// SPDX-License-Identifier: Apache-2.0
/* The claims a verified SEV-SNP report supports, in the evidence model: measurement, debug,
 * firmware, product, report data, and every other field as custom claims (docs/formats.md). */
#include <stdio.h>
#include <stdlib.h>

#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"
#include "verify/internal.h"

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char *h = hex_encode(p, n);
    json_t *j = h ? json_string(h) : NULL;
    free(h);
    return j;
}

static json_t *u64_hex(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%llx", (unsigned long long)v);
    return json_string(s);
}

static json_t *tcb_json(uint64_t raw, const struct bptee_snp_tcb *t, int product)
{
    json_t *j = json_pack("{s:o,s:i,s:i,s:i,s:i}", "raw", u64_hex(raw), "bootloader",
                          t->bootloader, "tee", t->tee, "snp", t->snp, "microcode", t->microcode);
    if (j && product == BPTEE_SNP_PRODUCT_TURIN)
        json_object_set_new(j, "fmc", json_integer(t->fmc));
    return j;
}

static json_t *policy_json(uint64_t p)
{
    return json_pack("{s:o,s:i,s:i,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "raw", u64_hex(p),
                     "abi_major", (int)((p >> 8) & 0xff), "abi_minor", (int)(p & 0xff), "smt",
                     !!(p & BPTEE_SNP_POLICY_SMT), "migrate_ma", !!(p & BPTEE_SNP_POLICY_MIGRATE_MA),
                     "debug", !!(p & BPTEE_SNP_POLICY_DEBUG), "single_socket",
                     !!(p & BPTEE_SNP_POLICY_SINGLE_SOCKET), "cxl_allow",
                     !!(p & BPTEE_SNP_POLICY_CXL_ALLOW), "mem_aes_256_xts",
                     !!(p & BPTEE_SNP_POLICY_MEM_AES_256_XTS), "rapl_dis",
                     !!(p & BPTEE_SNP_POLICY_RAPL_DIS), "ciphertext_hiding",
                     !!(p & BPTEE_SNP_POLICY_CIPHERTEXT_HIDING), "page_swap_disable",
                     !!(p & BPTEE_SNP_POLICY_PAGE_SWAP_DISABLE));
}

static json_t *platform_json(uint64_t p)
{
    return json_pack("{s:o,s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "raw", u64_hex(p), "smt_en",
                     !!(p & BPTEE_SNP_PLATFORM_SMT_EN), "tsme_en",
                     !!(p & BPTEE_SNP_PLATFORM_TSME_EN), "ecc_en",
                     !!(p & BPTEE_SNP_PLATFORM_ECC_EN), "rapl_dis",
                     !!(p & BPTEE_SNP_PLATFORM_RAPL_DIS), "ciphertext_hiding_en",
                     !!(p & BPTEE_SNP_PLATFORM_CIPHERTEXT_HIDING), "alias_check_complete",
                     !!(p & BPTEE_SNP_PLATFORM_ALIAS_CHECK_COMPLETE), "tio_en",
                     !!(p & BPTEE_SNP_PLATFORM_TIO_EN));
}

static json_t *fw_string(uint8_t major, uint8_t minor, uint8_t build)
{
    char s[16];
    snprintf(s, sizeof s, "%u.%u.%u", major, minor, build);
    return json_string(s);
}

/* Every custom claim in one object, so a failed allocation is caught once. */
static json_t *custom_claims(const struct bptee_snp_verified *v)
{
    const struct bptee_snp_report *r = &v->report;
    int p = v->product;
    return json_pack(
        "{s:s,s:i,s:i,s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
        "s:b,s:o}",
        "product", bptee_snp_product_name(p), "report_version", (int)r->version, "guest_svn",
        (json_int_t)r->guest_svn, "policy", policy_json(r->policy), "platform_info",
        platform_json(r->platform_info), "vmpl", (json_int_t)r->vmpl, "report_data",
        hex_json(r->report_data, 64), "host_data", hex_json(r->host_data, 32), "chip_id",
        hex_json(r->chip_id, 64), "family_id", hex_json(r->family_id, 16), "image_id",
        hex_json(r->image_id, 16), "id_key_digest", hex_json(r->id_key_digest, 48),
        "author_key_digest", hex_json(r->author_key_digest, 48), "report_id",
        hex_json(r->report_id, 32), "signing_key",
        v->signing_key == BPTEE_SNP_KEY_VLEK ? "vlek" : "vcek", "reported_tcb",
        tcb_json(r->reported_tcb, &v->reported_tcb, p), "current_tcb",
        tcb_json(r->current_tcb, &v->current_tcb, p), "committed_tcb",
        tcb_json(r->committed_tcb, &v->committed_tcb, p), "launch_tcb",
        tcb_json(r->launch_tcb, &v->launch_tcb, p), "committed_firmware",
        fw_string(r->committed_major, r->committed_minor, r->committed_build), "ark_sha256",
        hex_json(v->ark_sha256, 32), "simulated", v->simulated, "chain_not_after",
        json_integer(v->chain_not_after));
}

static int set_custom_all(struct bptee_report *out, const json_t *custom)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)custom, key, val)
    {
        char *text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            return fail(BPTEE_ENOMEM, "verify: out of memory");
        int rc = bptee_report_set_custom(out, key, text);
        free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int set_binding(struct bptee_report *out, const struct bptee_snp_verified *v,
                       const struct snp_policy *p)
{
    if (p->rd_rule != RD_X25519)
        return 0;
    char *digest = hex_encode(v->report.report_data, 64);
    if (!digest)
        return fail(BPTEE_ENOMEM, "verify: out of memory");
    int rc = bptee_report_set_binding(out, p->public_key, 32, "x25519", digest);
    free(digest);
    return rc;
}

int snp_claims_fill(struct bptee_report *out, const struct bptee_snp_verified *v,
                    const struct snp_policy *p)
{
    const struct bptee_snp_report *r = &v->report;
    char *meas = hex_encode(r->measurement, 48);
    char fw[16];
    snprintf(fw, sizeof fw, "%u.%u.%u", r->current_major, r->current_minor, r->current_build);
    int rc = meas ? bptee_report_set_measurement_sha384(out, meas)
                  : fail(BPTEE_ENOMEM, "verify: out of memory");
    free(meas);
    if (rc == 0)
        rc = bptee_report_set_platform_version(out, fw);
    if (rc == 0)
        rc = bptee_report_set_product_id(out, bptee_snp_product_name(v->product));
    if (rc == 0)
        rc = bptee_report_set_debug_mode(out, !!(r->policy & BPTEE_SNP_POLICY_DEBUG));
    if (rc == 0)
        rc = bptee_report_set_user_data(out, r->report_data, sizeof r->report_data);
    if (rc == 0)
        rc = bptee_report_set_simulated(out, v->simulated);
    if (rc == 0)
        rc = set_binding(out, v, p);
    if (rc < 0)
        return rc;
    json_t *custom = custom_claims(v);
    if (!custom)
        return fail(BPTEE_ENOMEM, "verify: cannot build the SEV-SNP claims");
    rc = set_custom_all(out, custom);
    json_decref(custom);
    return rc;
}
