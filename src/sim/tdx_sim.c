// SPDX-License-Identifier: Apache-2.0
/* The simulated TDX handle: its platform (from the state directory) and the simulated TD's
 * launch parameters. Debug is off unless the caller sets TD_ATTRIBUTES.DEBUG itself. */
#include <sodium.h>
#include <stdlib.h>

#include <bptee/io.h>

#include "sim/tdx_sim.h"
#include "util/codec.h"
#include "util/error.h"

#define DEFAULT_XFAM 0x61ae7ull /* x87, SSE, AVX, AVX-512, PK, AMX tiles: as on real TDs */

static int set_td(struct bptee_tdx_sim *sim, const struct bptee_tdx_sim_opts *o)
{
    struct bptee_tdx_sim_opts d = {.sz = sizeof d};
    if (o && o->sz < sizeof *o)
        return fail(BPTEE_EINVAL, "sim: tdx: options struct too small (%zu bytes)", o->sz);
    if (!o)
        o = &d;
    sim->version = o->version ? o->version : 4;
    if (sim->version != 4 && sim->version != 5)
        return fail(BPTEE_EINVAL, "sim: tdx: quote version %u is not simulated (4 or 5)",
                    sim->version);
    sim->body_type = sim->version == 4 ? BPTEE_TDX_BODY_TD10
                                       : (o->body_type ? o->body_type : BPTEE_TDX_BODY_TD15);
    if (sim->body_type != BPTEE_TDX_BODY_TD10 && sim->body_type != BPTEE_TDX_BODY_TD15)
        return fail(BPTEE_EINVAL, "sim: tdx: body type %u is not a TD body (2 or 3)",
                    sim->body_type);
    if (o->mrtd)
        memcpy(sim->mrtd, o->mrtd, 48);
    else
        sha384("bptee simulated TD", strlen("bptee simulated TD"), sim->mrtd);
    if (o->rtmr)
        memcpy(sim->rtmr, o->rtmr, sizeof sim->rtmr);
    if (o->mrconfigid)
        memcpy(sim->mrconfigid, o->mrconfigid, 48);
    if (o->mrowner)
        memcpy(sim->mrowner, o->mrowner, 48);
    if (o->mrownerconfig)
        memcpy(sim->mrownerconfig, o->mrownerconfig, 48);
    sim->td_attributes = o->td_attributes ? o->td_attributes : BPTEE_TDX_ATTR_SEPT_VE_DISABLE;
    sim->xfam = o->xfam ? o->xfam : DEFAULT_XFAM;
    return 0;
}

int bptee_tdx_sim_open(const char *state_dir, const struct bptee_tdx_sim_opts *opts,
                       struct bptee_tdx_sim **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: tdx: open: missing argument");
    *out = NULL;
    char *def = NULL;
    if (!state_dir || !state_dir[0]) {
        int r = bptee_tdx_sim_default_state_dir(&def);
        if (r < 0)
            return r;
        state_dir = def;
    }
    struct bptee_tdx_sim *sim = calloc(1, sizeof *sim);
    int r = sim ? set_td(sim, opts) : fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    if (r == 0)
        r = tdx_sim_state_load_or_create(state_dir, sim);
    if (r == 0)
        r = tdx_sim_qe_setup(sim);
    bptee_free(def);
    if (r < 0) {
        bptee_tdx_sim_free(sim);
        return r;
    }
    *out = sim;
    return 0;
}

void bptee_tdx_sim_free(struct bptee_tdx_sim *sim)
{
    if (!sim)
        return;
    for (int i = 0; i < TDX_SIM_NCERTS; i++) {
        free(sim->der[i]);
        EVP_PKEY_free(sim->key[i]);
    }
    EVP_PKEY_free(sim->attest_key);
    sodium_free(sim->mac_key);
    free(sim->pck_chain);
    sodium_memzero(sim, sizeof *sim);
    free(sim);
}

int bptee_tdx_sim_root_fingerprint(const struct bptee_tdx_sim *sim, uint8_t out[32])
{
    if (!sim || !out)
        return fail(BPTEE_EINVAL, "sim: tdx: root fingerprint: missing argument");
    sha256(sim->der[TDX_SIM_ROOT], sim->der_len[TDX_SIM_ROOT], out);
    return 0;
}
