// SPDX-License-Identifier: Apache-2.0
/* bptee inspect: every field of an attestation report (SEV-SNP report, TDX quote or TDREPORT,
 * Nitro document, JWT token), readable. Nothing is verified. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/inspect_cloud.h"
#include "cli/inspect_tdx.h"

#define INPUT_MAX (8u << 20)

static void inspect_usage(FILE *out)
{
    fprintf(out, "usage: bptee inspect FILE\n\n"
                 "Print every field of the attestation evidence in FILE ('-' reads stdin):\n"
                 "evidence JSON (bptee attest), a raw 1184-byte SEV-SNP report, a raw TDX\n"
                 "quote, hex of either, a raw 1024-byte TDREPORT (bptee attest --tdreport),\n"
                 "an AWS Nitro attestation document, or an Azure/GCP attestation token.\n"
                 "Nothing is verified; use 'bptee verify' for that.\n\n"
                 "Exit status: 0 printed, 1 unreadable or malformed, 2 usage error.\n");
}

static void hex_line(const char *name, const uint8_t *p, size_t n)
{
    printf("  %-20s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static void tcb_line(const char *name, uint64_t raw, int product)
{
    struct bptee_snp_tcb t;
    int layout = product ? product : BPTEE_SNP_PRODUCT_MILAN;
    printf("  %-20s 0x%016" PRIx64, name, raw);
    if (bptee_snp_tcb_decode(raw, layout, &t) == 0) {
        printf(" (bootloader %u, tee %u, snp %u, microcode %u", t.bootloader, t.tee, t.snp,
               t.microcode);
        if (layout == BPTEE_SNP_PRODUCT_TURIN)
            printf(", fmc %u", t.fmc);
        putchar(')');
    }
    putchar('\n');
}

static const char *onoff(uint64_t v, uint64_t bit)
{
    return (v & bit) ? "on" : "off";
}

static void policy_line(uint64_t p)
{
    printf("  %-20s 0x%" PRIx64 " (ABI %u.%u, SMT %s, MIGRATE_MA %s, DEBUG %s, SINGLE_SOCKET %s, "
           "CXL_ALLOW %s, MEM_AES_256_XTS %s, RAPL_DIS %s, CIPHERTEXT_HIDING %s, "
           "PAGE_SWAP_DISABLE %s)\n",
           "policy", p, (unsigned)(p >> 8) & 0xff, (unsigned)p & 0xff,
           onoff(p, BPTEE_SNP_POLICY_SMT), onoff(p, BPTEE_SNP_POLICY_MIGRATE_MA),
           onoff(p, BPTEE_SNP_POLICY_DEBUG), onoff(p, BPTEE_SNP_POLICY_SINGLE_SOCKET),
           onoff(p, BPTEE_SNP_POLICY_CXL_ALLOW), onoff(p, BPTEE_SNP_POLICY_MEM_AES_256_XTS),
           onoff(p, BPTEE_SNP_POLICY_RAPL_DIS), onoff(p, BPTEE_SNP_POLICY_CIPHERTEXT_HIDING),
           onoff(p, BPTEE_SNP_POLICY_PAGE_SWAP_DISABLE));
}

static void platform_line(uint64_t p)
{
    printf("  %-20s 0x%" PRIx64 " (SMT_EN %s, TSME_EN %s, ECC_EN %s, RAPL_DIS %s, "
           "CIPHERTEXT_HIDING_EN %s, ALIAS_CHECK_COMPLETE %s, TIO_EN %s)\n",
           "platform_info", p, onoff(p, BPTEE_SNP_PLATFORM_SMT_EN),
           onoff(p, BPTEE_SNP_PLATFORM_TSME_EN), onoff(p, BPTEE_SNP_PLATFORM_ECC_EN),
           onoff(p, BPTEE_SNP_PLATFORM_RAPL_DIS), onoff(p, BPTEE_SNP_PLATFORM_CIPHERTEXT_HIDING),
           onoff(p, BPTEE_SNP_PLATFORM_ALIAS_CHECK_COMPLETE), onoff(p, BPTEE_SNP_PLATFORM_TIO_EN));
}

static void signer_line(uint32_t s)
{
    static const char *const keys[8] = {"VCEK", "VLEK", "reserved", "reserved",
                                        "reserved", "reserved", "reserved", "none"};
    printf("  %-20s 0x%x (SIGNING_KEY %s, AUTHOR_KEY_EN %s, MASK_CHIP_KEY %s)\n", "signer_info",
           s, keys[BPTEE_SNP_SIGNING_KEY(s)], onoff(s, BPTEE_SNP_SIGNER_AUTHOR_KEY_EN),
           onoff(s, BPTEE_SNP_SIGNER_MASK_CHIP_KEY));
}

static void cpuid_lines(const struct bptee_snp_report *r, int product)
{
    if (r->version < 3)
        printf("  %-20s not in version %u reports\n", "cpuid", r->version);
    else
        printf("  %-20s family 0x%02x, model 0x%02x, stepping 0x%02x\n", "cpuid",
               r->cpuid_fam_id, r->cpuid_mod_id, r->cpuid_step);
    if (product)
        printf("  %-20s %s (from CPUID)\n", "product", bptee_snp_product_name(product));
    else
        printf("  %-20s unknown without the VCEK (TCBs below use the Milan/Genoa layout)\n",
               "product");
}

static void identity_lines(const struct bptee_snp_report *r)
{
    printf("  %-20s %u\n", "version", r->version);
    printf("  %-20s %u\n", "guest_svn", r->guest_svn);
    policy_line(r->policy);
    hex_line("family_id", r->family_id, sizeof r->family_id);
    hex_line("image_id", r->image_id, sizeof r->image_id);
    printf("  %-20s %u\n", "vmpl", r->vmpl);
    printf("  %-20s %u%s\n", "signature_algo", r->signature_algo,
           r->signature_algo == 1 ? " (ECDSA P-384 with SHA-384)" : "");
}

static void print_report(const struct bptee_snp_report *r)
{
    int product = bptee_snp_report_product(r);
    printf("SEV-SNP attestation report (%d bytes)\n", BPTEE_SNP_REPORT_SIZE);
    identity_lines(r);
    tcb_line("current_tcb", r->current_tcb, product);
    platform_line(r->platform_info);
    signer_line(r->signer_info);
    hex_line("report_data", r->report_data, sizeof r->report_data);
    hex_line("measurement", r->measurement, sizeof r->measurement);
    hex_line("host_data", r->host_data, sizeof r->host_data);
    hex_line("id_key_digest", r->id_key_digest, sizeof r->id_key_digest);
    hex_line("author_key_digest", r->author_key_digest, sizeof r->author_key_digest);
    hex_line("report_id", r->report_id, sizeof r->report_id);
    hex_line("report_id_ma", r->report_id_ma, sizeof r->report_id_ma);
    tcb_line("reported_tcb", r->reported_tcb, product);
    cpuid_lines(r, product);
    hex_line("chip_id", r->chip_id, sizeof r->chip_id);
    tcb_line("committed_tcb", r->committed_tcb, product);
    printf("  %-20s %u.%u.%u\n", "current_firmware", r->current_major, r->current_minor,
           r->current_build);
    printf("  %-20s %u.%u.%u\n", "committed_firmware", r->committed_major, r->committed_minor,
           r->committed_build);
    tcb_line("launch_tcb", r->launch_tcb, product);
    if (r->version >= 5) {
        printf("  %-20s 0x%" PRIx64 "\n", "launch_mit_vector", r->launch_mit_vector);
        printf("  %-20s 0x%" PRIx64 "\n", "current_mit_vector", r->current_mit_vector);
    }
    hex_line("signature_r (LE)", r->signature_r, sizeof r->signature_r);
    hex_line("signature_s (LE)", r->signature_s, sizeof r->signature_s);
}

static void print_envelope(const struct bptee_report *ev)
{
    const char *prov = bptee_provider_name(bptee_report_provider(ev));
    const char *fmt = bptee_format_name(bptee_report_format(ev));
    printf("evidence\n  %-20s %s\n  %-20s %s\n", "provider", prov ? prov : "(unset)", "format",
           fmt ? fmt : "(unset)");
    uint64_t issued = bptee_report_issued_at(ev);
    if (issued) {
        char when[32];
        time_t t = (time_t)issued;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        printf("  %-20s %s (%" PRIu64 ")\n", "issued_at", when, issued);
    }
    if (bptee_report_simulated(ev))
        printf("  %-20s SIMULATED evidence (software TEE, not hardware)\n", "simulated");
    for (size_t i = 0; i < bptee_report_certificate_count(ev); i++) {
        const char *kind;
        const uint8_t *der;
        size_t len;
        if (bptee_report_certificate(ev, i, &kind, &der, &len) == 0)
            printf("  %-20s %s (%zu bytes DER)\n", i ? "" : "certificates", kind, len);
    }
}

static int inspect_snp(const uint8_t *raw, size_t len)
{
    struct bptee_snp_report r;
    int rc = bptee_snp_report_parse(raw ? raw : (const uint8_t *)"", len, &r);
    if (rc == 0)
        print_report(&r);
    return rc;
}

static int inspect_evidence(const char *path, const uint8_t *data, size_t len)
{
    struct bptee_report *ev = NULL;
    int rc = bptee_verify_input_load(data, len, &ev);
    if (rc < 0)
        return cli_error(path, rc);
    size_t ev_len = 0;
    const uint8_t *raw = bptee_report_evidence(ev, &ev_len);
    int format = bptee_report_format(ev);
    print_envelope(ev);
    if (format == BPTEE_FORMAT_TDX_QUOTE)
        rc = inspect_tdx_quote(raw ? raw : (const uint8_t *)"", ev_len);
    else if (format == BPTEE_FORMAT_SEV_SNP_REPORT)
        rc = inspect_snp(raw, ev_len);
    else if (format == BPTEE_FORMAT_NITRO_DOCUMENT)
        rc = inspect_nitro(raw ? raw : (const uint8_t *)"", ev_len);
    else if (format == BPTEE_FORMAT_AZURE_MAA_TOKEN ||
             format == BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN)
        rc = inspect_jwt(raw ? raw : (const uint8_t *)"", ev_len);
    else {
        const char *name = bptee_format_name(format);
        fprintf(stderr, "bptee: %s: %s evidence carries nothing bptee can inspect\n", path,
                name ? name : "unknown");
        bptee_report_free(ev);
        return 1;
    }
    bptee_report_free(ev);
    return rc < 0 ? cli_error(path, rc) : 0;
}

static int inspect(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = bptee_read_file(path, INPUT_MAX, &data, &len);
    if (rc < 0)
        return cli_error("inspect", rc);
    /* A TDREPORT is no evidence (bptee_verify_input_load refuses it), but it can be read. */
    int status = inspect_tdx_tdreport(data, len) ? 0 : inspect_evidence(path, data, len);
    bptee_free(data);
    if (status)
        return status;
    return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_inspect(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            inspect_usage(stdout);
            return 0;
        }
    if (argc != 2)
        return cli_usage_error("inspect: expected one FILE (see --help)");
    if (argv[1][0] == '-' && argv[1][1] != '\0')
        return cli_usage_error("inspect: unknown option '%s' (see --help)", argv[1]);
    return inspect(argv[1]);
}
