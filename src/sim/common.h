/* SPDX-License-Identifier: Apache-2.0 */
/* What the SEV-SNP and TDX simulators share (not part of the API): the life of a state
 * directory, its files, and certificate-building helpers. `who` begins every error message
 * ("sim" or "sim: tdx"), so each simulator keeps its own wording. */
#ifndef BPTEE_SIM_COMMON_H
#define BPTEE_SIM_COMMON_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One simulator's kind of state directory. */
struct sim_statedir {
    const char *who;    /* "sim" or "sim: tdx" */
    const char *kind;   /* "simulator" or "TDX simulator", naming a foreign directory */
    const char *marker; /* the file written last: its presence marks a complete state */
};

/* 1 if dir holds a published state; 0 if it is absent or empty, after creating dir's parents
 * (mode 0700) so the caller can publish a new one there; an error otherwise. */
int sim_state_find(const struct sim_statedir *sd, const char *dir);
/* fill(dfd, ctx, key) writes a state, with a fresh secret key of key_size random bytes (in
 * guarded memory), into a private temporary directory beside dir, which is then published at
 * dir with rename(2). Losing the race to another process is not an error: the caller loads
 * whichever state was published. */
int sim_state_publish(const struct sim_statedir *sd, const char *dir, size_t key_size,
                      int (*fill)(int dfd, const void *ctx, const uint8_t *key), const void *ctx);

/* A new file name in the directory dfd, mode 0600, holding data and synced. */
int sim_file_write_at(const char *who, int dfd, const char *name, const void *data, size_t len);
/* Open a regular file of the state directory dfd (named dir in errors); a secret one must not
 * be readable by group or others. */
int sim_file_open_at(const char *who, int dfd, const char *dir, const char *name, bool secret);

/* A standard extension in openssl's config syntax ("critical,CA:TRUE"); issuer NULL: x. */
int sim_add_conf_ext(const char *who, X509 *x, X509 *issuer, int nid, const char *value);
/* x as DER in a malloc'd buffer. */
int sim_cert_to_der(const char *who, X509 *x, uint8_t **der, size_t *len);
/* key as PEM in sodium_malloc'd memory; `what` names it in the error ("VCEK private key"). */
int sim_key_to_pem(const char *who, const char *what, EVP_PKEY *key, char **pem, size_t *len);

#endif
