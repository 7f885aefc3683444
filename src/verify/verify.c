// SPDX-License-Identifier: Apache-2.0
/* The provider-neutral entry point: pick the verifier for the evidence format (input.c reads
 * what the user handed over), then apply the policy's top-level limits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee/jwt.h>
#include <bptee/nitro.h>
#include <bptee/tdx.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/opts.h"
#include "verify/internal.h"

/* One row per evidence format bptee verifies; a new kind adds a row. */
static const struct {
    int format;
    int provider;
    verify_kind_fn fn;
} kinds[] = {
    {BPTEE_FORMAT_SEV_SNP_REPORT, BPTEE_PROVIDER_AMD_SEV_SNP, verify_snp},
    {BPTEE_FORMAT_SEV_SNP_REPORT, BPTEE_PROVIDER_AZURE_SNP, verify_azure},
    {BPTEE_FORMAT_TDX_QUOTE, BPTEE_PROVIDER_INTEL_TDX, verify_tdx},
    {BPTEE_FORMAT_NITRO_DOCUMENT, BPTEE_PROVIDER_AWS_NITRO, verify_nitro},
    {BPTEE_FORMAT_AZURE_MAA_TOKEN, BPTEE_PROVIDER_AZURE_SNP, verify_jwt},
    {BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN, BPTEE_PROVIDER_GCP_CONFIDENTIAL, verify_jwt},
};

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
    int rc = opts_copy(in, o, sizeof *o, "verify:");
    if (rc < 0)
        return rc;
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
    bool format_known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        format_known |= kinds[i].format == format;
        if (kinds[i].format != format || kinds[i].provider != provider)
            continue;
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
    if (format_known)
        return fail(BPTEE_EUNSUPPORTED, "verify: %s evidence from provider %s is not supported",
                    name, bptee_provider_name(provider));
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
