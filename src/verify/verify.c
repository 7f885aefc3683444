// SPDX-License-Identifier: Apache-2.0
/* The provider-neutral entry point: read the input (evidence JSON, a raw SEV-SNP report or TDX
 * quote, hex of either), pick the verifier for the evidence format, then apply the policy's
 * top-level limits. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee/jwt.h>
#include <bptee/nitro.h>
#include <bptee/tdx.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "verify/internal.h"

/* One row per evidence format bptee verifies; a new kind adds a row. */
static const struct {
    int format;
    int provider;
    verify_kind_fn fn;
} kinds[] = {
    {BPTEE_FORMAT_SEV_SNP_REPORT, BPTEE_PROVIDER_AMD_SEV_SNP, verify_snp},
    {BPTEE_FORMAT_TDX_QUOTE, BPTEE_PROVIDER_INTEL_TDX, verify_tdx},
    {BPTEE_FORMAT_NITRO_DOCUMENT, BPTEE_PROVIDER_AWS_NITRO, verify_nitro},
    {BPTEE_FORMAT_AZURE_MAA_TOKEN, BPTEE_PROVIDER_AZURE_SNP, verify_jwt},
    {BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN, BPTEE_PROVIDER_GCP_CONFIDENTIAL, verify_jwt},
};

static size_t skip_space(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && isspace(p[i]))
        i++;
    return i;
}

/* ASCII hex with any whitespace (virtee's report.hex wraps lines) into bytes. */
static int hex_text(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
    char *hex = malloc(len + 1);
    size_t n = 0;
    if (!hex)
        return fail(BPTEE_ENOMEM, "verify: out of memory");
    for (size_t i = 0; i < len; i++) {
        if (isspace(data[i]))
            continue;
        if (!isxdigit(data[i])) {
            free(hex);
            return fail(BPTEE_EPARSE, "evidence: not evidence JSON, a %d-byte SEV-SNP report, a "
                                      "TDX quote, or hex of either",
                        BPTEE_SNP_REPORT_SIZE);
        }
        hex[n++] = (char)data[i];
    }
    hex[n] = '\0';
    int rc = hex_decode_alloc(hex, out, out_len, "evidence hex");
    free(hex);
    return rc;
}

static int raw_report(const uint8_t *data, size_t len, int provider, int format,
                      struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    int rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_provider(r, provider);
    if (rc == 0)
        rc = bptee_report_set_format(r, format);
    if (rc == 0)
        rc = bptee_report_set_evidence(r, data, len);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* A TDX quote's header (version 4 or 5, ECDSA P-256 key, TEE type TDX): such bytes are parsed
 * as a quote even when damaged, so the error says what is wrong with the quote. */
static bool tdx_header(const uint8_t *d, size_t n)
{
    if (n < BPTEE_TDX_HEADER_SIZE)
        return false;
    uint16_t version = load_le16(d);
    return (version == 4 || version == 5) && load_le16(d + 2) == BPTEE_TDX_ATT_KEY_ECDSA_P256 &&
           load_le32(d + 4) == BPTEE_TDX_TEE_TYPE;
}

static bool tdreport(const uint8_t *d, size_t n)
{
    struct bptee_tdx_tdreport r;
    bool is = bptee_tdx_tdreport_parse(d, n, &r) == 0;
    bptee_clear_error();
    return is;
}

/* Raw bytes of a kind bptee verifies, as evidence; 1 when they are none of them. */
static int raw_evidence(const uint8_t *d, size_t n, struct bptee_report **out)
{
    if (bptee_tdx_quote_detect(d, n) || tdx_header(d, n))
        return bptee_tdx_evidence_from_quote(d, n, out);
    if (n == BPTEE_SNP_REPORT_SIZE)
        return raw_report(d, n, BPTEE_PROVIDER_AMD_SEV_SNP, BPTEE_FORMAT_SEV_SNP_REPORT, out);
    if (bptee_jwt_detect(d, n))
        return jwt_evidence(d, n, out);
    if (bptee_nitro_detect(d, n))
        return raw_report(d, n, BPTEE_PROVIDER_AWS_NITRO, BPTEE_FORMAT_NITRO_DOCUMENT, out);
    if (n == BPTEE_TDX_TDREPORT_SIZE && tdreport(d, n))
        return fail(BPTEE_EUNSUPPORTED, "evidence: a TDREPORT is MAC'd for the local CPU only, "
                                        "not signed, so it cannot be verified elsewhere; a TDX "
                                        "quote (bptee attest --provider tdx) can");
    return 1;
}

int bptee_verify_input_load(const uint8_t *data, size_t len, struct bptee_report **out)
{
    if (!data || !out)
        return fail(BPTEE_EINVAL, "evidence: missing argument");
    size_t start = skip_space(data, len);
    if (start < len && data[start] == '{')
        return bptee_report_load_json((const char *)data, len, out);
    int rc = raw_evidence(data, len, out);
    if (rc <= 0)
        return rc;
    uint8_t *bin = NULL;
    size_t bin_len = 0;
    if ((rc = hex_text(data, len, &bin, &bin_len)) < 0)
        return rc;
    rc = raw_evidence(bin, bin_len, out);
    if (rc == 1)
        rc = fail(BPTEE_EPARSE, "evidence: %zu bytes of hex are neither a %d-byte SEV-SNP report "
                                "nor a TDX quote",
                  bin_len, BPTEE_SNP_REPORT_SIZE);
    free(bin);
    return rc;
}

static int check_age(const struct bptee_report *ev, const struct bptee_policy *p, int64_t at)
{
    if (p->max_age_secs < 0)
        return 0;
    uint64_t issued = bptee_report_issued_at(ev);
    if (issued == 0)
        return fail(BPTEE_EPOLICY, "policy: max_age_secs is set but the evidence has no "
                                   "issued_at");
    int old = bptee_report_is_expired(ev, (uint64_t)at, (uint64_t)p->max_age_secs);
    if (old != 0)
        return fail(BPTEE_EEXPIRED, "verify: evidence issued at %llu is older than max_age_secs "
                                    "%lld",
                    (unsigned long long)issued, (long long)p->max_age_secs);
    return 0;
}

/* An older caller's shorter options leave new fields zero; a newer caller's extra fields must
 * be zero (unknown options cannot be honoured). */
static int copy_opts(const struct bptee_verify_opts *in, struct bptee_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    if (in->sz < sizeof in->sz + sizeof in->at)
        return fail(BPTEE_EINVAL, "verify: options too small (sz %zu)", in->sz);
    if (in->sz > sizeof *o && !all_zero((const uint8_t *)in + sizeof *o, in->sz - sizeof *o))
        return fail(BPTEE_EINVAL, "verify: options carry fields this library does not know");
    memcpy(o, in, in->sz < sizeof *o ? in->sz : sizeof *o);
    if ((o->vcek_len && !o->vcek) || (o->chain_len && !o->chain))
        return fail(BPTEE_EINVAL, "verify: options: a length without its buffer");
    return 0;
}

int bptee_verify_report(const struct bptee_report *ev, const struct bptee_verify_opts *opts,
                        struct bptee_report **out)
{
    if (!ev || !opts || !out)
        return fail(BPTEE_EINVAL, "verify: missing argument");
    struct bptee_verify_opts o;
    int rc = copy_opts(opts, &o);
    if (rc < 0)
        return rc;
    if (o.at == 0)
        o.at = (int64_t)time(NULL);
    struct bptee_policy def;
    policy_init(&def);
    const struct bptee_policy *p = o.policy ? o.policy : &def;
    int format = bptee_report_format(ev), provider = bptee_report_provider(ev);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].format != format)
            continue;
        if (kinds[i].provider != provider)
            return fail(BPTEE_EUNSUPPORTED, "verify: %s evidence from provider %s is not "
                                            "supported",
                        bptee_format_name(format), bptee_provider_name(provider));
        struct bptee_report *r = NULL;
        rc = kinds[i].fn(ev, &o, p, &r);
        /* Age last: a forged report should be reported as forged, not as old. The verified
         * report's issue time, which for some kinds (Nitro) comes from the signed evidence. */
        if (rc == 0 && (rc = check_age(r, p, o.at)) < 0)
            bptee_report_free(r);
        else if (rc == 0)
            *out = r;
        return rc;
    }
    const char *name = bptee_format_name(format);
    return fail(BPTEE_EUNSUPPORTED, "verify: evidence format %s is not supported",
                name ? name : "(unset)");
}

int bptee_verify(const uint8_t *data, size_t len, const struct bptee_verify_opts *opts,
                 struct bptee_report **out)
{
    struct bptee_report *ev = NULL;
    int rc = bptee_verify_input_load(data, len, &ev);
    if (rc < 0)
        return rc;
    rc = bptee_verify_report(ev, opts, out);
    bptee_report_free(ev);
    return rc;
}
