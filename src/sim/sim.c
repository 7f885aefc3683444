// SPDX-License-Identifier: Apache-2.0
/* The simulator handle: its platform (from the state directory) and the simulated guest's
 * launch parameters, and what callers read of them (certificates, chip id, TCB). */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/x509.h"

#define POLICY_MBZ (~0ull << 26)

static int set_guest(struct bptee_sim *sim, const struct bptee_sim_opts *opts)
{
    /* A caller built against an older header passes a smaller struct: the rest is zero. */
    struct bptee_sim_opts local = {.sz = sizeof local};
    if (opts) {
        if (opts->sz < sizeof opts->sz)
            return fail(BPTEE_EINVAL, "sim: options struct too small (sz %zu)", opts->sz);
        memcpy(&local, opts, opts->sz < sizeof local ? opts->sz : sizeof local);
    }
    const struct bptee_sim_opts *o = &local;
    sim->version = o->version ? o->version : 5;
    if (sim->version != 2 && sim->version != 3 && sim->version != 5)
        return fail(BPTEE_EINVAL, "sim: report version %u is not simulated (2, 3 or 5)",
                    sim->version);
    sim->policy = o->policy ? o->policy : BPTEE_SIM_DEFAULT_POLICY;
    if (!(sim->policy & BPTEE_SNP_POLICY_RESERVED1) || (sim->policy & POLICY_MBZ))
        return fail(BPTEE_EINVAL,
                    "sim: guest policy 0x%llx is invalid (bit 17 must be set, "
                    "bits 63:26 clear)",
                    (unsigned long long)sim->policy);
    if (o->measurement)
        memcpy(sim->measurement, o->measurement, sizeof sim->measurement);
    else
        sha384("bptee simulated guest", strlen("bptee simulated guest"), sim->measurement);
    if (o->host_data)
        memcpy(sim->host_data, o->host_data, sizeof sim->host_data);
    if (o->family_id)
        memcpy(sim->family_id, o->family_id, sizeof sim->family_id);
    if (o->image_id)
        memcpy(sim->image_id, o->image_id, sizeof sim->image_id);
    sim->guest_svn = o->guest_svn;
    randombytes_buf(sim->report_id, sizeof sim->report_id);
    return 0;
}

int bptee_sim_open(const char *state_dir, const struct bptee_sim_opts *opts, struct bptee_sim **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: open: missing argument");
    *out = NULL;
    _cleanup_free_ char *def = NULL;
    if (!state_dir || !state_dir[0]) {
        int r = bptee_sim_default_state_dir(&def);
        if (r < 0)
            return r;
        state_dir = def;
    }
    struct bptee_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return fail(BPTEE_ENOMEM, "sim: out of memory");
    int r = set_guest(sim, opts);
    if (r == 0)
        r = sim_state_load_or_create(state_dir, sim);
    if (r < 0) {
        bptee_sim_free(sim);
        return r;
    }
    *out = sim;
    return 0;
}

void bptee_sim_free(struct bptee_sim *sim)
{
    if (!sim)
        return;
    for (int k = 0; k < SIM_NCERTS; k++)
        free(sim->der[k]);
    EVP_PKEY_free(sim->vcek_key);
    sodium_free(sim->root_key);
    sodium_memzero(sim, sizeof *sim);
    free(sim);
}

int bptee_sim_cert(const struct bptee_sim *sim, int kind, const uint8_t **der, size_t *der_len)
{
    if (!sim || !der || !der_len)
        return fail(BPTEE_EINVAL, "sim: cert: missing argument");
    if (kind < 0 || kind >= SIM_NCERTS || !sim->der[kind])
        return fail(BPTEE_ENOTFOUND, "sim: no certificate of kind %d (VCEK, ASK or ARK)", kind);
    *der = sim->der[kind];
    *der_len = sim->der_len[kind];
    return 0;
}

int bptee_sim_certtable(const struct bptee_sim *sim, uint8_t **out, size_t *out_len)
{
    if (!sim || !out || !out_len)
        return fail(BPTEE_EINVAL, "sim: certificate table: missing argument");
    static const int order[] = {BPTEE_SNP_CERT_VCEK, BPTEE_SNP_CERT_ASK, BPTEE_SNP_CERT_ARK};
    struct bptee_snp_cert certs[3];
    memset(certs, 0, sizeof certs);
    for (size_t i = 0; i < 3; i++) {
        certs[i].kind = order[i];
        certs[i].der = sim->der[order[i]];
        certs[i].der_len = sim->der_len[order[i]];
    }
    return bptee_snp_certtable_serialize(certs, 3, out, out_len);
}

int bptee_sim_ark_fingerprint(const struct bptee_sim *sim, uint8_t out[32])
{
    if (!sim || !out)
        return fail(BPTEE_EINVAL, "sim: ARK fingerprint: missing argument");
    sha256(sim->der[BPTEE_SNP_CERT_ARK], sim->der_len[BPTEE_SNP_CERT_ARK], out);
    return 0;
}

int bptee_sim_chip_id(const struct bptee_sim *sim, uint8_t out[64])
{
    if (!sim || !out)
        return fail(BPTEE_EINVAL, "sim: chip id: missing argument");
    memcpy(out, sim->chip_id, SIM_CHIP_ID_SIZE);
    return 0;
}

uint64_t bptee_sim_tcb(const struct bptee_sim *sim)
{
    return sim ? sim->tcb : 0;
}

int bptee_sim_cert_is_simulated(const uint8_t *der, size_t der_len)
{
    if (!der || der_len == 0 || der_len > (size_t)LONG_MAX)
        return 0;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    if (!x) {
        ERR_clear_error();
        return 0;
    }
    int sim = x509_name_is_sim(X509_get_subject_name(x)) ||
              x509_name_is_sim(X509_get_issuer_name(x));
    X509_free(x);
    return sim;
}
