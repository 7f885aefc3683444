// SPDX-License-Identifier: Apache-2.0
/* TDX evidence from the guest: the quote configfs-tsm's tdx_guest provider (or the TDX
 * simulator) hands out, as the evidence model's report; and the TDREPORT of /dev/tdx_guest,
 * which is for local inspection only (MAC'd for this CPU, not signed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee/evidence.h>
#include <bptee/io.h>
#include <bptee/tdx.h>

#include "guest/guest_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"

/* One state_dir names both simulators: the TDX one keeps its state beside it, in "<dir>-tdx",
 * as its default sits beside the SEV-SNP default. */
static int open_tdx_sim(const struct guest_cfg *g, struct bptee_tdx_sim **sim)
{
    _cleanup_free_ char *dir = NULL;
    if (g->state_dir) {
        size_t n = strlen(g->state_dir) + sizeof "-tdx";
        if (!(dir = malloc(n)))
            return fail(BPTEE_ENOMEM, "guest: out of memory");
        snprintf(dir, n, "%s-tdx", g->state_dir);
    }
    return bptee_tdx_sim_open(dir, NULL, sim);
}

int guest_tdx_sim_quote(const struct guest_cfg *g, const uint8_t rd[64], uint8_t **quote,
                        size_t *len)
{
    struct bptee_tdx_sim *sim = NULL;
    int r = open_tdx_sim(g, &sim);
    if (r == 0)
        r = bptee_tdx_sim_quote(sim, rd, 64, quote, len);
    bptee_tdx_sim_free(sim);
    return r;
}

/* The claims a reader of unverified evidence expects, as the SEV-SNP path sets them. */
static int set_claims(struct bptee_report *rep, const struct bptee_tdx_body *b)
{
    _cleanup_free_ char *mrtd = hex_encode(b->mrtd, sizeof b->mrtd);
    _cleanup_free_ char *svn = hex_encode(b->tee_tcb_svn, sizeof b->tee_tcb_svn);
    if (!mrtd || !svn)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    int r = bptee_report_set_measurement_sha384(rep, mrtd);
    if (r == 0)
        r = bptee_report_set_debug_mode(rep, (b->td_attributes & BPTEE_TDX_ATTR_DEBUG) != 0);
    if (r == 0)
        r = bptee_report_set_platform_version(rep, svn);
    return r;
}

int guest_tdx_report(const uint8_t *quote, size_t len, int source, struct bptee_report **out)
{
    struct bptee_tdx_quote q;
    int r = bptee_tdx_quote_parse(quote, len, &q);
    if (r < 0)
        return fail_prefix(r, "guest: the %s returned a malformed TDX quote",
                           bptee_guest_source_name(source));
    struct bptee_report *rep = NULL;
    /* Marks evidence simulated when its PCK chain is the simulator's (an emulated device). */
    r = bptee_tdx_evidence_from_quote(quote, len, &rep);
    if (r < 0)
        return r;
    r = bptee_report_set_issued_at(rep, (uint64_t)time(NULL));
    if (r == 0)
        r = set_claims(rep, &q.body);
    if (r == 0 && source == BPTEE_GUEST_SOURCE_SIM)
        r = bptee_report_set_simulated(rep, 1);
    if (r < 0) {
        bptee_report_free(rep);
        return r;
    }
    *out = rep;
    return 0;
}

int bptee_guest_tdreport(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                         size_t report_data_len, uint8_t *out, size_t out_len, int *source)
{
    struct guest_cfg g;
    uint8_t rd[64];
    int r = guest_resolve(opts, &g);
    if (r == 0)
        r = guest_report_data(report_data, report_data_len, rd);
    if (r < 0)
        return r;
    if (!out || out_len < BPTEE_TDX_TDREPORT_SIZE)
        return fail(BPTEE_EINVAL, "guest: TDREPORT needs a %d-byte buffer",
                    BPTEE_TDX_TDREPORT_SIZE);
    int src = BPTEE_GUEST_SOURCE_IOCTL;
    if (g.provider == BPTEE_EVIDENCE_PROVIDER_TDX) {
        r = bptee_tdx_guest_report0(g.tdx_device, rd, 64, out, out_len);
    } else if (g.provider == BPTEE_EVIDENCE_PROVIDER_SIM && g.sim_tdx) {
        struct bptee_tdx_sim *sim = NULL;
        src = BPTEE_GUEST_SOURCE_SIM;
        r = open_tdx_sim(&g, &sim);
        if (r == 0)
            r = bptee_tdx_sim_tdreport(sim, rd, 64, out, out_len);
        bptee_tdx_sim_free(sim);
    } else {
        return fail(BPTEE_EUNSUPPORTED,
                    "guest: a TDREPORT comes from provider tdx (%s) or the "
                    "simulated TDX only",
                    g.tdx_device);
    }
    if (r == 0 && source)
        *source = src;
    return r;
}
