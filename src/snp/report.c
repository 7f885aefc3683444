// SPDX-License-Identifier: Apache-2.0
/* The 1184-byte ATTESTATION_REPORT: parsing with the firmware ABI's checks, and the exact
 * serialization the simulator signs. */
#include <stddef.h>
#include <string.h>

#include <bptee/snp.h>

#include "util/bytes.h"
#include "util/error.h"

_Static_assert(BPTEE_SNP_SIG_S_OFFSET == BPTEE_SNP_SIG_R_OFFSET + 72, "R then S");

#define OFF_SIGNER 0x048
#define OFF_CPUID 0x188
#define OFF_CPUID_RSVD 0x18B
#define OFF_CHIP_ID 0x1A0
#define OFF_MIT 0x1F8
#define OFF_RSVD_TAIL 0x208
#define OFF_SIG_TAIL (BPTEE_SNP_SIG_S_OFFSET + 72)

#define POLICY_MBZ (~0ull << 26)
#define SIGNER_MBZ (~0u << 5)

/* A byte range that must be zero, and the report versions it applies to. */
struct mbz_range {
    size_t off, len;
    uint32_t below_version; /* range is MBZ when version < this (UINT32_MAX: always) */
};

static const struct mbz_range mbz_ranges[] = {
    {0x04C, 4, UINT32_MAX},
    {OFF_CPUID, OFF_CPUID_RSVD - OFF_CPUID, 3}, /* v2 has no CPUID fields */
    {OFF_CPUID_RSVD, OFF_CHIP_ID - OFF_CPUID_RSVD, UINT32_MAX},
    {0x1EB, 1, UINT32_MAX},
    {0x1EF, 1, UINT32_MAX},
    {OFF_MIT, 16, 5}, /* mitigation vectors arrived with v5 */
    {OFF_RSVD_TAIL, BPTEE_SNP_SIGNED_SIZE - OFF_RSVD_TAIL, UINT32_MAX},
    {OFF_SIG_TAIL, BPTEE_SNP_REPORT_SIZE - OFF_SIG_TAIL, UINT32_MAX},
};

static int check_header(const uint8_t *buf)
{
    uint32_t version = load_le32(buf);
    if (version < 2 || version > 5)
        return fail(BPTEE_EUNSUPPORTED, "snp: report VERSION %u is not supported (2 to 5)",
                    version);
    uint32_t algo = load_le32(buf + 0x034);
    if (algo != 1)
        return fail(BPTEE_EUNSUPPORTED,
                    "snp: report SIGNATURE_ALGO %u is not supported (1 = ECDSA P-384 SHA-384)",
                    algo);
    uint64_t policy = load_le64(buf + 0x008);
    if (!(policy & BPTEE_SNP_POLICY_RESERVED1))
        return fail(BPTEE_EPARSE, "snp: report POLICY bit 17 (reserved, must be 1) is clear");
    if (policy & POLICY_MBZ)
        return fail(BPTEE_EPARSE, "snp: report POLICY bits 63:26 (MBZ) are not zero: 0x%llx",
                    (unsigned long long)policy);
    uint32_t signer = load_le32(buf + OFF_SIGNER);
    if (signer & SIGNER_MBZ)
        return fail(BPTEE_EPARSE, "snp: report signer info bits 31:5 (MBZ) are not zero: 0x%x",
                    signer);
    uint32_t key = BPTEE_SNP_SIGNING_KEY(signer);
    if (key != BPTEE_SNP_KEY_VCEK && key != BPTEE_SNP_KEY_VLEK && key != BPTEE_SNP_KEY_NONE)
        return fail(BPTEE_EPARSE, "snp: report SIGNING_KEY %u is reserved (0 VCEK, 1 VLEK, 7 none)",
                    key);
    for (size_t i = 0; i < sizeof mbz_ranges / sizeof mbz_ranges[0]; i++) {
        const struct mbz_range *m = &mbz_ranges[i];
        if (version < m->below_version && !all_zero(buf + m->off, m->len))
            return fail(BPTEE_EPARSE,
                        "snp: report reserved bytes 0x%03zx..0x%03zx (MBZ for version %u) are "
                        "not zero",
                        m->off, m->off + m->len - 1, version);
    }
    return 0;
}

static void read_fields(struct cursor *c, struct bptee_snp_report *r)
{
    r->version = cursor_le32(c);
    r->guest_svn = cursor_le32(c);
    r->policy = cursor_le64(c);
    cursor_bytes(c, r->family_id, sizeof r->family_id);
    cursor_bytes(c, r->image_id, sizeof r->image_id);
    r->vmpl = cursor_le32(c);
    r->signature_algo = cursor_le32(c);
    r->current_tcb = cursor_le64(c);
    r->platform_info = cursor_le64(c);
    r->signer_info = cursor_le32(c);
    cursor_skip(c, 4);
    cursor_bytes(c, r->report_data, sizeof r->report_data);
    cursor_bytes(c, r->measurement, sizeof r->measurement);
    cursor_bytes(c, r->host_data, sizeof r->host_data);
    cursor_bytes(c, r->id_key_digest, sizeof r->id_key_digest);
    cursor_bytes(c, r->author_key_digest, sizeof r->author_key_digest);
    cursor_bytes(c, r->report_id, sizeof r->report_id);
    cursor_bytes(c, r->report_id_ma, sizeof r->report_id_ma);
    r->reported_tcb = cursor_le64(c);
    r->cpuid_fam_id = cursor_u8(c);
    r->cpuid_mod_id = cursor_u8(c);
    r->cpuid_step = cursor_u8(c);
    cursor_skip(c, OFF_CHIP_ID - OFF_CPUID_RSVD);
    cursor_bytes(c, r->chip_id, sizeof r->chip_id);
    r->committed_tcb = cursor_le64(c);
    r->current_build = cursor_u8(c);
    r->current_minor = cursor_u8(c);
    r->current_major = cursor_u8(c);
    cursor_skip(c, 1);
    r->committed_build = cursor_u8(c);
    r->committed_minor = cursor_u8(c);
    r->committed_major = cursor_u8(c);
    cursor_skip(c, 1);
    r->launch_tcb = cursor_le64(c);
    r->launch_mit_vector = cursor_le64(c);
    r->current_mit_vector = cursor_le64(c);
    cursor_skip(c, BPTEE_SNP_SIG_R_OFFSET - OFF_RSVD_TAIL);
    cursor_bytes(c, r->signature_r, sizeof r->signature_r);
    cursor_bytes(c, r->signature_s, sizeof r->signature_s);
}

int bptee_snp_report_parse(const uint8_t *buf, size_t len, struct bptee_snp_report *out)
{
    if (!buf || !out)
        return fail(BPTEE_EINVAL, "snp: report parse: missing argument");
    if (len != BPTEE_SNP_REPORT_SIZE)
        return fail(BPTEE_EPARSE, "snp: report is %zu bytes, expected %d", len,
                    BPTEE_SNP_REPORT_SIZE);
    int rc = check_header(buf);
    if (rc < 0)
        return rc;
    struct bptee_snp_report r;
    memset(&r, 0, sizeof r);
    struct cursor c = cursor_init(buf, len);
    read_fields(&c, &r);
    if (c.bad || c.left != BPTEE_SNP_REPORT_SIZE - OFF_SIG_TAIL)
        return fail(BPTEE_EPARSE, "snp: report layout error"); /* unreachable: fixed size */
    *out = r;
    return 0;
}

static void write_fields(struct writer *w, const struct bptee_snp_report *r)
{
    put_le32(w, r->version);
    put_le32(w, r->guest_svn);
    put_le64(w, r->policy);
    put_bytes(w, r->family_id, sizeof r->family_id);
    put_bytes(w, r->image_id, sizeof r->image_id);
    put_le32(w, r->vmpl);
    put_le32(w, r->signature_algo);
    put_le64(w, r->current_tcb);
    put_le64(w, r->platform_info);
    put_le32(w, r->signer_info);
    put_zero(w, 4);
    put_bytes(w, r->report_data, sizeof r->report_data);
    put_bytes(w, r->measurement, sizeof r->measurement);
    put_bytes(w, r->host_data, sizeof r->host_data);
    put_bytes(w, r->id_key_digest, sizeof r->id_key_digest);
    put_bytes(w, r->author_key_digest, sizeof r->author_key_digest);
    put_bytes(w, r->report_id, sizeof r->report_id);
    put_bytes(w, r->report_id_ma, sizeof r->report_id_ma);
    put_le64(w, r->reported_tcb);
    put_u8(w, r->cpuid_fam_id);
    put_u8(w, r->cpuid_mod_id);
    put_u8(w, r->cpuid_step);
    put_zero(w, OFF_CHIP_ID - OFF_CPUID_RSVD);
    put_bytes(w, r->chip_id, sizeof r->chip_id);
    put_le64(w, r->committed_tcb);
    put_u8(w, r->current_build);
    put_u8(w, r->current_minor);
    put_u8(w, r->current_major);
    put_zero(w, 1);
    put_u8(w, r->committed_build);
    put_u8(w, r->committed_minor);
    put_u8(w, r->committed_major);
    put_zero(w, 1);
    put_le64(w, r->launch_tcb);
    put_le64(w, r->launch_mit_vector);
    put_le64(w, r->current_mit_vector);
    put_zero(w, BPTEE_SNP_SIG_R_OFFSET - OFF_RSVD_TAIL);
    put_bytes(w, r->signature_r, sizeof r->signature_r);
    put_bytes(w, r->signature_s, sizeof r->signature_s);
}

int bptee_snp_report_serialize(const struct bptee_snp_report *r, uint8_t *out, size_t out_len)
{
    if (!r || !out)
        return fail(BPTEE_EINVAL, "snp: report serialize: missing argument");
    if (out_len < BPTEE_SNP_REPORT_SIZE)
        return fail(BPTEE_ELIMIT, "snp: report serialize: buffer of %zu bytes, need %d", out_len,
                    BPTEE_SNP_REPORT_SIZE);
    memset(out, 0, BPTEE_SNP_REPORT_SIZE);
    struct writer w = {.p = out, .left = BPTEE_SNP_REPORT_SIZE};
    write_fields(&w, r); /* in the order read_fields reads: every field at its ABI offset */
    return 0;
}
