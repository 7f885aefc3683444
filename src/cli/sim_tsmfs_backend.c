// SPDX-License-Identifier: Apache-2.0
/* What the configfs-tsm emulation serves: the simulated SEV-SNP TEE (provider sev_guest: the
 * report as outblob, the certificate table as auxblob) or the simulated TDX (provider
 * tdx_guest: the quote as outblob, no auxblob), as the kernel's two providers do. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sim_tsmfs.h"

/* The SEV-SNP launch options have no TDX meaning; --measurement is the MRTD (48 bytes too). */
int tsm_backend_check_args(int tdx, const struct sim_guest_args *g)
{
    const struct bptee_sim_opts *o = &g->opts;
    if (tdx && (o->policy || o->host_data || o->version || o->guest_svn))
        return cli_usage_error("sim tsm-fs: --policy, --host-data, --version and --guest-svn "
                               "are SEV-SNP options (with --tee tdx, --measurement is the MRTD)");
    if (tdx && g->state_dir && strlen(g->state_dir) + sizeof "-tdx" > PATH_MAX)
        return cli_usage_error("sim tsm-fs: --state-dir is too long");
    return 0;
}

int tsm_backend_open(struct tsm_backend *b, const struct sim_guest_args *g)
{
    if (!b->tdx)
        return bptee_sim_open(g->state_dir, &g->opts, &b->sim);
    /* One state directory names both simulators; the TDX one lives beside it (guest.h). The
     * parser refused directories too long for the suffix. */
    char dir[PATH_MAX];
    if (g->state_dir)
        snprintf(dir, sizeof dir, "%s-tdx", g->state_dir);
    BPTEE_OPTS(bptee_tdx_sim_opts, o, .mrtd = g->opts.measurement);
    return bptee_tdx_sim_open(g->state_dir ? dir : NULL, &o, &b->tdx_sim);
}

void tsm_backend_free(struct tsm_backend *b)
{
    bptee_sim_free(b->sim);
    bptee_tdx_sim_free(b->tdx_sim);
    b->sim = NULL;
    b->tdx_sim = NULL;
}

const char *tsm_backend_provider(const struct tsm_backend *b)
{
    return b->tdx ? "tdx_guest\n" : "sev_guest\n";
}

int tsm_backend_generate(struct tsm_backend *b, const uint8_t *inblob, size_t len,
                         unsigned privlevel, struct tsm_blob *out, struct tsm_blob *aux)
{
    if (b->tdx)
        return bptee_tdx_sim_quote(b->tdx_sim, inblob, len, &out->data, &out->len);
    out->data = malloc(BPTEE_SNP_REPORT_SIZE);
    if (!out->data)
        return BPTEE_ENOMEM;
    out->len = BPTEE_SNP_REPORT_SIZE;
    int r = bptee_sim_report(b->sim, inblob, len, privlevel, out->data, out->len);
    return r < 0 ? r : bptee_sim_certtable(b->sim, &aux->data, &aux->len);
}
