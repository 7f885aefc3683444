// SPDX-License-Identifier: Apache-2.0
/* Products and TCB_VERSION layouts: Milan and Genoa put the boot loader in byte 0, Turin
 * moved it to byte 1 to make room for the FMC (virtee/sev from_turin_bytes). */
#include <string.h>
#include <strings.h>

#include <bptee/snp.h>

#include "util/error.h"

static const char *const product_names[] = {
    [BPTEE_SNP_PRODUCT_MILAN] = "Milan",
    [BPTEE_SNP_PRODUCT_GENOA] = "Genoa",
    [BPTEE_SNP_PRODUCT_TURIN] = "Turin",
};

const char *bptee_snp_product_name(int product)
{
    if (product < BPTEE_SNP_PRODUCT_MILAN || product > BPTEE_SNP_PRODUCT_TURIN)
        return NULL;
    return product_names[product];
}

int bptee_snp_product_parse(const char *name, int *product)
{
    if (!name || !product)
        return fail(BPTEE_EINVAL, "snp: product parse: missing argument");
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p <= BPTEE_SNP_PRODUCT_TURIN; p++) {
        size_t n = strlen(product_names[p]);
        /* productName carries a stepping suffix ("Milan-B0"); the KDS path does not. */
        if (!strncasecmp(name, product_names[p], n) && (name[n] == '\0' || name[n] == '-')) {
            *product = p;
            return 0;
        }
    }
    return fail(BPTEE_EPARSE, "snp: unknown product '%s' (expected Milan, Genoa or Turin)", name);
}

/* CPUID family/model as go-sev-guest maps them: Zen 3 (family 0x19, models 0x00-0x0F) is
 * Milan, Zen 4 (0x19, 0x10-0x1F and 0xA0-0xAF) is Genoa, Zen 5 (family 0x1A) is Turin. */
int bptee_snp_report_product(const struct bptee_snp_report *r)
{
    if (!r || r->version < 3)
        return BPTEE_SNP_PRODUCT_UNKNOWN;
    uint8_t fam = r->cpuid_fam_id, model = r->cpuid_mod_id;
    if (fam == 0x19 && model <= 0x0F)
        return BPTEE_SNP_PRODUCT_MILAN;
    if (fam == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)))
        return BPTEE_SNP_PRODUCT_GENOA;
    if (fam == 0x1A && model <= 0x1F)
        return BPTEE_SNP_PRODUCT_TURIN;
    return BPTEE_SNP_PRODUCT_UNKNOWN;
}

static uint8_t byte_at(uint64_t v, int i)
{
    return (uint8_t)(v >> (8 * i));
}

int bptee_snp_tcb_decode(uint64_t tcb, int product, struct bptee_snp_tcb *out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "snp: tcb decode: missing argument");
    switch (product) {
    case BPTEE_SNP_PRODUCT_MILAN:
    case BPTEE_SNP_PRODUCT_GENOA:
        *out = (struct bptee_snp_tcb){.bootloader = byte_at(tcb, 0), .tee = byte_at(tcb, 1),
                                      .snp = byte_at(tcb, 6), .microcode = byte_at(tcb, 7)};
        return 0;
    case BPTEE_SNP_PRODUCT_TURIN:
        *out = (struct bptee_snp_tcb){.fmc = byte_at(tcb, 0), .bootloader = byte_at(tcb, 1),
                                      .tee = byte_at(tcb, 2), .snp = byte_at(tcb, 3),
                                      .microcode = byte_at(tcb, 7)};
        return 0;
    default:
        return fail(BPTEE_EUNSUPPORTED, "snp: TCB layout of product %d is unknown", product);
    }
}

int bptee_snp_tcb_encode(const struct bptee_snp_tcb *t, int product, uint64_t *out)
{
    if (!t || !out)
        return fail(BPTEE_EINVAL, "snp: tcb encode: missing argument");
    switch (product) {
    case BPTEE_SNP_PRODUCT_MILAN:
    case BPTEE_SNP_PRODUCT_GENOA:
        if (t->fmc)
            return fail(BPTEE_EINVAL, "snp: %s TCB has no FMC component",
                        bptee_snp_product_name(product));
        *out = (uint64_t)t->bootloader | (uint64_t)t->tee << 8 | (uint64_t)t->snp << 48 |
               (uint64_t)t->microcode << 56;
        return 0;
    case BPTEE_SNP_PRODUCT_TURIN:
        *out = (uint64_t)t->fmc | (uint64_t)t->bootloader << 8 | (uint64_t)t->tee << 16 |
               (uint64_t)t->snp << 24 | (uint64_t)t->microcode << 56;
        return 0;
    default:
        return fail(BPTEE_EUNSUPPORTED, "snp: TCB layout of product %d is unknown", product);
    }
}
