// SPDX-License-Identifier: Apache-2.0
/* Parsed certificates by their exact DER bytes. OpenSSL's d2i_X509 builds the key's curve
 * group on every parse (about 170 µs for P-384, a quarter of one signature check), and a
 * stream of documents from one enclave carries the same leaf and bundle for hours. Only the
 * parse is saved: every signature, validity and constraint is still checked on every call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nitro/internal.h"
#include "util/codec.h"
#include "util/error.h"

#define SLOTS 32

struct slot {
    uint8_t sha[32];
    X509 *x;
};

static struct slot slots[SLOTS];
static size_t next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static X509 *parse(const struct bptee_nitro_bytes *b)
{
    const unsigned char *p = b->data;
    X509 *x = d2i_X509(NULL, &p, (long)b->len);
    if (x && p != b->data + b->len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

X509 *nitro_cert_get(const struct bptee_nitro_bytes *b, const char *what)
{
    uint8_t sha[32];
    X509 *x = NULL;
    sha256(b->data, b->len, sha);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < SLOTS && !x; i++)
        if (slots[i].x && !memcmp(slots[i].sha, sha, 32) && X509_up_ref(slots[i].x))
            x = slots[i].x;
    pthread_mutex_unlock(&lock);
    if (x)
        return x;
    if (!(x = parse(b))) {
        fail_openssl(BPTEE_EVERIFY, "nitro: %s is not one DER certificate", what);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    struct slot *s = &slots[next_victim];
    next_victim = (next_victim + 1) % SLOTS;
    if (X509_up_ref(x)) {
        X509_free(s->x);
        s->x = x;
        memcpy(s->sha, sha, 32);
    }
    pthread_mutex_unlock(&lock);
    return x;
}
