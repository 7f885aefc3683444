// SPDX-License-Identifier: Apache-2.0
/* The files of a simulated TDX state directory: four certificates (DER), their private keys and
 * the attestation key (PEM, 0600), the TDREPORT MAC key (0600), and tdx-platform.json, written
 * last as the mark of a complete state. Read back through the directory's fd with O_NOFOLLOW;
 * each private key must match its certificate. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common.h"
#include "sim/tdx_sim.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define WHO "sim: tdx" /* begins every error */
#define STATE_FORMAT 1
#define FILE_MAX (64u << 10)
#define ATTEST TDX_SIM_NCERTS /* index of the attestation key among the key files */

static const char *const cert_files[TDX_SIM_NCERTS] = {
    [TDX_SIM_ROOT] = "root.der", [TDX_SIM_PCK_CA] = "pck-ca.der",
    [TDX_SIM_PCK] = "pck.der",   [TDX_SIM_SIGNER] = "tcb-signing.der",
};
static const char *const key_files[TDX_SIM_NCERTS + 1] = {
    [TDX_SIM_ROOT] = "root-key.pem", [TDX_SIM_PCK_CA] = "pck-ca-key.pem",
    [TDX_SIM_PCK] = "pck-key.pem",   [TDX_SIM_SIGNER] = "tcb-signing-key.pem",
    [ATTEST] = "attest-key.pem",
};

int tdx_sim_state_write(int dfd, const struct tdx_sim_platform *p, const uint8_t *mac_key)
{
    int r = 0;
    for (int i = 0; r == 0 && i < TDX_SIM_NCERTS; i++)
        r = sim_file_write_at(WHO, dfd, cert_files[i], p->der[i], p->der_len[i]);
    for (int i = 0; r == 0 && i <= TDX_SIM_NCERTS; i++)
        r = sim_file_write_at(WHO, dfd, key_files[i], p->key_pem[i], p->key_pem_len[i]);
    if (r == 0)
        r = sim_file_write_at(WHO, dfd, "mac.key", mac_key, TDX_SIM_MAC_KEY_SIZE);
    if (r < 0)
        return r;
    char marker[64];
    int n = snprintf(marker, sizeof marker, "{\"bptee_tdx_sim_state\": %d}\n", STATE_FORMAT);
    r = sim_file_write_at(WHO, dfd, "tdx-platform.json", marker, (size_t)n);
    if (r == 0 && fsync(dfd) < 0)
        return fail(BPTEE_EIO, "sim: tdx: state directory: %s", strerror(errno));
    return r;
}

static int read_marker(int dfd, const char *dir)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, "tdx-platform.json", false);
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len = 0;
    int r = fd < 0 ? fd : fd_read_all(fd, "tdx-platform.json", FILE_MAX, &buf, &len);
    _cleanup_json_ json_t *j = NULL;
    if (r == 0)
        r = json_parse_capped((const char *)buf, len, FILE_MAX, "sim: tdx: tdx-platform.json", &j);
    int format = 0;
    if (r == 0 && (json_unpack(j, "{s:i!}", "bptee_tdx_sim_state", &format) < 0 ||
                   format != STATE_FORMAT))
        r = fail(BPTEE_EUNSUPPORTED, "sim: tdx: state %s/tdx-platform.json: not format %d", dir,
                 STATE_FORMAT);
    return r;
}

static int read_key(int dfd, const char *dir, const char *name, EVP_PKEY **out)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, name, true);
    if (fd < 0)
        return fd;
    _cleanup_fclose_ FILE *f = fdopen(fd, "re");
    if (!f)
        return fail(BPTEE_EIO, "sim: tdx: state %s/%s: %s", dir, name, strerror(errno));
    fd = -1; /* owned by f now */
    *out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    return *out ? 0 : fail_openssl(BPTEE_EPARSE, "sim: tdx: state %s/%s: no private key", dir,
                                   name);
}

/* A certificate, which must be one DER certificate for the matching private key. */
static int read_cert(int dfd, const char *dir, int i, struct bptee_tdx_sim *sim)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, cert_files[i], false);
    int r = fd < 0 ? fd : fd_read_all(fd, cert_files[i], FILE_MAX, &sim->der[i], &sim->der_len[i]);
    if (r == 0)
        r = read_key(dfd, dir, key_files[i], &sim->key[i]);
    if (r < 0)
        return r;
    const unsigned char *p = sim->der[i];
    X509 *x = d2i_X509(NULL, &p, (long)sim->der_len[i]);
    int eq = x && p == sim->der[i] + sim->der_len[i] ? EVP_PKEY_eq(X509_get0_pubkey(x), sim->key[i])
                                                     : 0;
    X509_free(x);
    if (eq != 1)
        return fail_openssl(BPTEE_EPARSE, "sim: tdx: state %s: %s does not hold the certificate "
                                          "of %s",
                            dir, cert_files[i], key_files[i]);
    return 0;
}

static int read_attest_key(int dfd, const char *dir, struct bptee_tdx_sim *sim)
{
    BIGNUM *x = NULL, *y = NULL;
    int r = read_key(dfd, dir, key_files[ATTEST], &sim->attest_key);
    if (r == 0 && (!EVP_PKEY_get_bn_param(sim->attest_key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
                   !EVP_PKEY_get_bn_param(sim->attest_key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
                   BN_bn2binpad(x, sim->attest_xy, 32) != 32 ||
                   BN_bn2binpad(y, sim->attest_xy + 32, 32) != 32))
        r = fail_openssl(BPTEE_EPARSE, "sim: tdx: state %s/%s: not a P-256 key", dir,
                         key_files[ATTEST]);
    BN_free(x);
    BN_free(y);
    return r;
}

static int read_mac_key(int dfd, const char *dir, struct bptee_tdx_sim *sim)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, "mac.key", true);
    if (fd < 0)
        return fd;
    sim->mac_key = sodium_malloc(TDX_SIM_MAC_KEY_SIZE);
    if (!sim->mac_key)
        return fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    uint8_t extra;
    ssize_t n = read(fd, sim->mac_key, TDX_SIM_MAC_KEY_SIZE);
    if (n != TDX_SIM_MAC_KEY_SIZE || read(fd, &extra, 1) != 0)
        return fail(BPTEE_EPARSE, "sim: tdx: state %s/mac.key: not %d bytes", dir,
                    TDX_SIM_MAC_KEY_SIZE);
    return 0;
}

/* PCK, PCK CA, root as PEM, NUL-terminated as QGS hands the chain out. */
static int build_chain(struct bptee_tdx_sim *sim)
{
    static const int order[] = {TDX_SIM_PCK, TDX_SIM_PCK_CA, TDX_SIM_ROOT};
    BIO *b = BIO_new(BIO_s_mem());
    int ok = b != NULL;
    for (size_t i = 0; ok && i < 3; i++) {
        const unsigned char *p = sim->der[order[i]];
        X509 *x = d2i_X509(NULL, &p, (long)sim->der_len[order[i]]);
        ok = x && PEM_write_bio_X509(b, x);
        X509_free(x);
    }
    char *data = NULL;
    long n = ok ? BIO_get_mem_data(b, &data) : 0;
    if (n > 0 && (sim->pck_chain = malloc((size_t)n + 1)) != NULL) {
        memcpy(sim->pck_chain, data, (size_t)n);
        sim->pck_chain[n] = '\0';
        sim->pck_chain_len = (size_t)n + 1;
    }
    BIO_free(b);
    return sim->pck_chain ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: tdx: PCK chain encoding");
}

int tdx_sim_state_read(int dfd, const char *dir, struct bptee_tdx_sim *sim)
{
    int r = read_marker(dfd, dir);
    for (int i = 0; r == 0 && i < TDX_SIM_NCERTS; i++)
        r = read_cert(dfd, dir, i, sim);
    if (r == 0)
        r = read_attest_key(dfd, dir, sim);
    if (r == 0)
        r = read_mac_key(dfd, dir, sim);
    if (r == 0)
        r = build_chain(sim);
    return r;
}
