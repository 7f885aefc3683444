// SPDX-License-Identifier: Apache-2.0
/* The files of a simulator state directory: the three certificates (DER), the VCEK private key
 * (PEM), the secret root key of derived keys, and platform.json (chip id, TCB). Everything is
 * read through the directory's fd with O_NOFOLLOW, and the secrets only from files nobody but
 * the owner can read. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common.h"
#include "sim/sim_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define WHO "sim" /* begins every error */
#define STATE_FORMAT 1
#define FILE_MAX (64u << 10)

static const char *const cert_files[SIM_NCERTS] = {
    [BPTEE_SNP_CERT_VCEK] = "vcek.der",
    [BPTEE_SNP_CERT_ASK] = "ask.der",
    [BPTEE_SNP_CERT_ARK] = "ark.der",
};

static char *platform_json(const struct sim_platform *p)
{
    _cleanup_free_ char *chip = hex_encode(p->chip_id, sizeof p->chip_id);
    char tcb[19];
    snprintf(tcb, sizeof tcb, "%016llx", (unsigned long long)p->tcb);
    if (!chip)
        return NULL;
    json_t *j = json_pack("{s:i, s:s, s:s, s:s}", "bptee_sim_state", STATE_FORMAT, "product",
                          "Milan", "chip_id", chip, "tcb", tcb);
    char *s = j ? json_to_string(j, 1) : NULL;
    json_decref(j);
    return s;
}

int sim_state_write(int dfd, const struct sim_platform *p, const uint8_t *root_key)
{
    int r = 0;
    for (int k = 0; r == 0 && k < SIM_NCERTS; k++)
        if (cert_files[k])
            r = sim_file_write_at(WHO, dfd, cert_files[k], p->der[k], p->der_len[k]);
    if (r == 0)
        r = sim_file_write_at(WHO, dfd, "vcek-key.pem", p->vcek_key_pem, p->vcek_key_pem_len);
    if (r == 0)
        r = sim_file_write_at(WHO, dfd, "root.key", root_key, SIM_ROOT_KEY_SIZE);
    if (r < 0)
        return r;
    /* platform.json goes last: its presence marks a complete state. */
    _cleanup_free_ char *pj = platform_json(p);
    if (!pj)
        return fail(BPTEE_ENOMEM, "sim: out of memory");
    r = sim_file_write_at(WHO, dfd, "platform.json", pj, strlen(pj));
    if (r == 0 && fsync(dfd) < 0)
        return fail(BPTEE_EIO, "sim: state directory: %s", strerror(errno));
    return r;
}

static int read_at(int dfd, const char *dir, const char *name, uint8_t **out, size_t *len)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, name, false);
    if (fd < 0)
        return fd;
    return fd_read_all(fd, name, FILE_MAX, out, len);
}

static int read_certs(int dfd, const char *dir, struct bptee_sim *sim)
{
    for (int k = 0; k < SIM_NCERTS; k++) {
        if (!cert_files[k])
            continue;
        int r = read_at(dfd, dir, cert_files[k], &sim->der[k], &sim->der_len[k]);
        if (r < 0)
            return r;
        const unsigned char *p = sim->der[k];
        X509 *x = d2i_X509(NULL, &p, (long)sim->der_len[k]);
        if (!x || p != sim->der[k] + sim->der_len[k]) {
            X509_free(x);
            return fail_openssl(BPTEE_EPARSE, "sim: state %s/%s: not one DER certificate", dir,
                                cert_files[k]);
        }
        X509_free(x);
    }
    return 0;
}

/* A secret file, read straight into guarded memory (*out released with sodium_free). */
static int read_secret(int dfd, const char *dir, const char *name, size_t max, uint8_t **out,
                       size_t *len)
{
    _cleanup_close_ int fd = sim_file_open_at(WHO, dfd, dir, name, true);
    if (fd < 0)
        return fd;
    uint8_t *buf = sodium_malloc(max);
    if (!buf)
        return fail(BPTEE_ENOMEM, "sim: out of memory");
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            sodium_free(buf);
            return fail(BPTEE_EIO, "sim: state %s/%s: %s", dir, name, strerror(e));
        }
        n += (size_t)r;
        if (r == 0 || n == max)
            break;
    }
    uint8_t extra;
    if (n == max && read(fd, &extra, 1) != 0) {
        sodium_free(buf);
        return fail(BPTEE_ELIMIT, "sim: state %s/%s: larger than %zu bytes", dir, name, max);
    }
    *out = buf;
    *len = n;
    return 0;
}

/* The VCEK private key, which must match the VCEK certificate's public key. */
static int read_vcek_key(int dfd, const char *dir, struct bptee_sim *sim)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    int r = read_secret(dfd, dir, "vcek-key.pem", 16384, &pem, &len);
    if (r < 0)
        return r;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    sim->vcek_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    sodium_free(pem); /* wipes */
    if (!sim->vcek_key)
        return fail_openssl(BPTEE_EPARSE, "sim: state %s/vcek-key.pem: no private key", dir);
    const unsigned char *p = sim->der[BPTEE_SNP_CERT_VCEK];
    X509 *vcek = d2i_X509(NULL, &p, (long)sim->der_len[BPTEE_SNP_CERT_VCEK]);
    int eq = vcek ? EVP_PKEY_eq(X509_get0_pubkey(vcek), sim->vcek_key) : 0;
    X509_free(vcek);
    if (eq != 1)
        return fail(BPTEE_EPARSE, "sim: state %s: vcek-key.pem does not match vcek.der", dir);
    return 0;
}

static int read_platform(int dfd, const char *dir, struct bptee_sim *sim)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len = 0;
    int r = read_at(dfd, dir, "platform.json", &buf, &len);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *j = NULL;
    r = json_parse_capped((const char *)buf, len, FILE_MAX, "sim: platform.json", &j);
    if (r < 0)
        return r;
    int format = 0;
    const char *product = NULL, *chip = NULL, *tcb = NULL;
    json_error_t err;
    if (json_unpack_ex(j, &err, JSON_STRICT, "{s:i, s:s, s:s, s:s}", "bptee_sim_state", &format,
                       "product", &product, "chip_id", &chip, "tcb", &tcb) < 0)
        return fail(BPTEE_EPARSE, "sim: state %s/platform.json: %s", dir, err.text);
    if (format != STATE_FORMAT || strcmp(product, "Milan"))
        return fail(BPTEE_EUNSUPPORTED,
                    "sim: state %s/platform.json: format %d, product %s "
                    "(expected %d, Milan)",
                    dir, format, product, STATE_FORMAT);
    uint8_t tcb_bytes[8];
    r = hex_decode_exact(chip, sim->chip_id, sizeof sim->chip_id, "sim: platform.json chip_id");
    if (r == 0)
        r = hex_decode_exact(tcb, tcb_bytes, 8, "sim: platform.json tcb");
    if (r < 0)
        return r;
    sim->tcb = 0;
    for (int i = 0; i < 8; i++)
        sim->tcb = sim->tcb << 8 | tcb_bytes[i];
    return 0;
}

/* The root key of derived keys: exactly SIM_ROOT_KEY_SIZE bytes. */
static int read_root_key(int dfd, const char *dir, struct bptee_sim *sim)
{
    size_t len = 0;
    int r = read_secret(dfd, dir, "root.key", SIM_ROOT_KEY_SIZE, &sim->root_key, &len);
    if (r == 0 && len != SIM_ROOT_KEY_SIZE)
        return fail(BPTEE_EPARSE, "sim: state %s/root.key: %zu bytes, not %d", dir, len,
                    SIM_ROOT_KEY_SIZE);
    return r == BPTEE_ELIMIT
               ? fail(BPTEE_EPARSE, "sim: state %s/root.key: not %d bytes", dir, SIM_ROOT_KEY_SIZE)
               : r;
}

int sim_state_read(int dfd, const char *dir, struct bptee_sim *sim)
{
    int r = read_platform(dfd, dir, sim);
    if (r == 0)
        r = read_certs(dfd, dir, sim);
    if (r == 0)
        r = read_vcek_key(dfd, dir, sim);
    if (r == 0)
        r = read_root_key(dfd, dir, sim);
    return r;
}
