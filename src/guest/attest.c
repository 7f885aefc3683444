// SPDX-License-Identifier: Apache-2.0
/* Evidence from whichever source the options select, turned into the evidence model's
 * report (SEV-SNP here, TDX quotes in attest_tdx.c). Simulated evidence is marked so wherever
 * it came from: from the simulator itself, or from a device emulation whose certificates
 * carry the simulation's organization. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee/evidence.h>
#include <bptee/io.h>
#include <bptee/sim.h>
#include <bptee/snp.h>

#include "guest/guest_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"

struct raw_evidence {
    uint8_t *report, *certs; /* TDX: report is the quote, no certs */
    size_t report_len, certs_len;
    bool tdx;
};

static void raw_release(struct raw_evidence *e)
{
    free(e->report);
    free(e->certs);
}

static int sim_evidence(const struct guest_cfg *g, const uint8_t *rd, size_t rd_len,
                        struct raw_evidence *e)
{
    struct bptee_sim *sim = NULL;
    int r = bptee_sim_open(g->state_dir, NULL, &sim);
    if (r < 0)
        return r;
    e->report = malloc(BPTEE_SNP_REPORT_SIZE);
    if (!e->report)
        r = fail(BPTEE_ENOMEM, "guest: out of memory");
    if (r == 0)
        r = bptee_sim_report(sim, rd, rd_len, g->set_vmpl ? g->vmpl : 0, e->report,
                             BPTEE_SNP_REPORT_SIZE);
    if (r == 0) {
        e->report_len = BPTEE_SNP_REPORT_SIZE;
        r = bptee_sim_certtable(sim, &e->certs, &e->certs_len);
    }
    bptee_sim_free(sim);
    return r;
}

static const char *cert_kind_name(int kind, int has_vlek)
{
    switch (kind) {
    case BPTEE_SNP_CERT_VCEK:
        return "vcek";
    case BPTEE_SNP_CERT_VLEK:
        return "vlek";
    case BPTEE_SNP_CERT_ASK:
        return has_vlek ? "asvk" : "ask"; /* a VLEK's signer is the ASVK */
    case BPTEE_SNP_CERT_ARK:
        return "ark";
    default:
        return NULL;
    }
}

int guest_add_certtable(struct bptee_report *rep, const uint8_t *table, size_t len,
                        int *simulated)
{
    if (!len)
        return 0;
    struct bptee_snp_cert certs[BPTEE_SNP_CERTTABLE_MAX];
    size_t n = 0;
    int r = bptee_snp_certtable_parse(table, len, certs, BPTEE_SNP_CERTTABLE_MAX, &n);
    if (r < 0)
        return fail_prefix(r, "guest: certificate table");
    int has_vlek = 0;
    for (size_t i = 0; i < n; i++)
        has_vlek |= certs[i].kind == BPTEE_SNP_CERT_VLEK;
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *kind = cert_kind_name(certs[i].kind, has_vlek);
        if (!kind)
            continue; /* a GUID bptee does not know is never used for verification */
        r = bptee_report_add_certificate(rep, kind, certs[i].der, certs[i].der_len);
        *simulated |= bptee_sim_cert_is_simulated(certs[i].der, certs[i].der_len);
    }
    return r;
}

int guest_snp_claims(struct bptee_report *rep, const struct bptee_snp_report *p)
{
    _cleanup_free_ char *mhex = hex_encode(p->measurement, sizeof p->measurement);
    if (!mhex)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    char fw[16];
    snprintf(fw, sizeof fw, "%u.%u.%u", p->current_major, p->current_minor, p->current_build);
    int r = bptee_report_set_measurement_sha384(rep, mhex);
    if (r == 0)
        r = bptee_report_set_debug_mode(rep, (p->policy & BPTEE_SNP_POLICY_DEBUG) != 0);
    if (r == 0)
        r = bptee_report_set_platform_version(rep, fw);
    return r;
}

static int build_report(const struct raw_evidence *e, int source, struct bptee_report **out)
{
    struct bptee_snp_report parsed;
    int r = bptee_snp_report_parse(e->report, e->report_len, &parsed);
    if (r < 0)
        return fail_prefix(r, "guest: the %s returned a malformed report",
                           bptee_guest_source_name(source));
    struct bptee_report *rep = NULL;
    r = bptee_report_new(&rep);
    int simulated = source == BPTEE_GUEST_SOURCE_SIM;
    if (r == 0)
        r = bptee_report_set_provider(rep, BPTEE_PROVIDER_AMD_SEV_SNP);
    if (r == 0)
        r = bptee_report_set_format(rep, BPTEE_FORMAT_SEV_SNP_REPORT);
    if (r == 0)
        r = bptee_report_set_issued_at(rep, (uint64_t)time(NULL));
    if (r == 0)
        r = guest_snp_claims(rep, &parsed);
    if (r == 0)
        r = bptee_report_set_evidence(rep, e->report, e->report_len);
    if (r == 0)
        r = guest_add_certtable(rep, e->certs, e->certs_len, &simulated);
    if (r == 0)
        r = bptee_report_set_simulated(rep, simulated);
    if (r < 0) {
        bptee_report_free(rep);
        return r;
    }
    *out = rep;
    return 0;
}

/* configfs-tsm serves whichever TEE this guest is: the provider decides which ones to accept. */
static int tsm_evidence(const struct guest_cfg *g, const uint8_t rd[64], struct raw_evidence *e)
{
    unsigned accept = g->provider == BPTEE_EVIDENCE_PROVIDER_SEV_SNP ? TSM_SEV
                      : g->provider == BPTEE_EVIDENCE_PROVIDER_TDX   ? TSM_TDX
                                                                     : TSM_SEV | TSM_TDX;
    struct tsm_blobs b;
    int r = guest_tsm_fetch(g, rd, accept, &b);
    if (r < 0)
        return r;
    *e = (struct raw_evidence){.report = b.out,
                               .report_len = b.out_len,
                               .certs = b.aux,
                               .certs_len = b.aux_len,
                               .tdx = b.kind == TSM_TDX};
    return 0;
}

int bptee_guest_attest(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                       size_t report_data_len, struct bptee_report **out, int *source)
{
    if (!out)
        return fail(BPTEE_EINVAL, "guest: attest: missing argument");
    *out = NULL;
    struct guest_cfg g;
    uint8_t rd[64];
    int src = 0;
    int r = guest_resolve(opts, &g);
    if (r == 0)
        r = guest_report_data(report_data, report_data_len, rd);
    if (r == 0)
        r = guest_select(&g, false, &src);
    if (r < 0)
        return r;
    if (src == BPTEE_GUEST_SOURCE_VTPM) {
        r = guest_azure_attest(&g, rd, out);
        if (r == 0 && source)
            *source = src;
        return r;
    }
    struct raw_evidence e = {.tdx = src == BPTEE_GUEST_SOURCE_SIM && g.sim_tdx};
    if (src == BPTEE_GUEST_SOURCE_TSM)
        r = tsm_evidence(&g, rd, &e);
    else if (src == BPTEE_GUEST_SOURCE_IOCTL)
        r = bptee_guest_sev_ext_report(opts, rd, 64, &e.report, &e.report_len, &e.certs,
                                       &e.certs_len);
    else if (e.tdx)
        r = guest_tdx_sim_quote(&g, rd, &e.report, &e.report_len);
    else
        r = sim_evidence(&g, rd, 64, &e);
    if (r == 0 && e.tdx)
        r = guest_tdx_report(e.report, e.report_len, src, out);
    else if (r == 0)
        r = build_report(&e, src, out);
    raw_release(&e);
    if (r == 0 && source)
        *source = src;
    return r;
}

int bptee_guest_derived_key(const struct bptee_guest_opts *opts,
                            const struct bptee_guest_key_request *req, uint8_t *key, size_t key_len,
                            int *source)
{
    struct guest_cfg g;
    int src = 0;
    int r = guest_resolve(opts, &g);
    if (r == 0 && g.provider == BPTEE_EVIDENCE_PROVIDER_TDX)
        r = fail(BPTEE_EUNSUPPORTED, "guest: TDX has no derived-key interface (derived keys are "
                                     "SEV-SNP's SNP_GET_DERIVED_KEY)");
    if (r == 0)
        r = guest_select(&g, true, &src);
    if (r == 0 && src == BPTEE_GUEST_SOURCE_SIM && g.sim_tdx)
        r = fail(BPTEE_EUNSUPPORTED, "guest: the simulated TDX has no derived keys (they are "
                                     "SEV-SNP's)");
    if (r < 0)
        return r;
    if (src == BPTEE_GUEST_SOURCE_IOCTL) {
        r = bptee_guest_sev_derived_key(opts, req, key, key_len);
    } else {
        struct bptee_sim *sim = NULL;
        r = bptee_sim_open(g.state_dir, NULL, &sim);
        if (r == 0)
            r = bptee_sim_derived_key(sim, req, key, key_len);
        bptee_sim_free(sim);
    }
    if (r == 0 && source)
        *source = src;
    return r;
}
