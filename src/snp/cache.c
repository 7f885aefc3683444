// SPDX-License-Identifier: Apache-2.0
/* Verified chains, so a stream of reports signed by one VCEK costs one ECDSA verify each.
 * The key is the exact certificate bytes the caller gave (nothing is parsed on a hit) and an
 * entry answers only for times inside the window where every certificate is valid; ARK trust,
 * product and TCB checks are still made for each report. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "snp/internal.h"
#include "util/bytes.h"

#define CACHE_SLOTS 64

struct entry {
    uint8_t *key;
    size_t key_len;
    int signing_key;
    struct snp_verified_chain v;
};

static struct entry slots[CACHE_SLOTS];
static size_t next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t key_length(const struct snp_inputs *in)
{
    size_t n = 4 + in->leaf.n;
    for (size_t i = 0; i < in->n_chain; i++)
        n += 4 + in->chain[i].n;
    return n;
}

static bool part_matches(const uint8_t **k, struct der d)
{
    if (load_le32(*k) != (uint32_t)d.n || memcmp(*k + 4, d.p, d.n) != 0)
        return false;
    *k += 4 + d.n;
    return true;
}

static bool key_matches(const struct entry *e, const struct snp_inputs *in, size_t len)
{
    if (!e->key || e->key_len != len)
        return false;
    const uint8_t *k = e->key;
    if (!part_matches(&k, in->leaf))
        return false;
    for (size_t i = 0; i < in->n_chain; i++)
        if (!part_matches(&k, in->chain[i]))
            return false;
    return true;
}

static uint8_t *key_build(const struct snp_inputs *in, size_t len)
{
    uint8_t *key = malloc(len), *k = key;
    if (!key)
        return NULL;
    const struct der *parts[SNP_MAX_CHAIN + 1];
    size_t n = 0;
    parts[n++] = &in->leaf;
    for (size_t i = 0; i < in->n_chain; i++)
        parts[n++] = &in->chain[i];
    for (size_t i = 0; i < n; i++) {
        store_le32(k, (uint32_t)parts[i]->n);
        if (parts[i]->n)
            memcpy(k + 4, parts[i]->p, parts[i]->n);
        k += 4 + parts[i]->n;
    }
    return key;
}

static void entry_clear(struct entry *e)
{
    free(e->key);
    EVP_PKEY_free(e->v.pkey);
    memset(e, 0, sizeof *e);
}

bool snp_cache_lookup(const struct snp_inputs *in, int signing_key, int64_t at,
                      struct snp_verified_chain *out)
{
    size_t len = key_length(in);
    bool hit = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_SLOTS && !hit; i++) {
        struct entry *e = &slots[i];
        if (e->signing_key != signing_key || !key_matches(e, in, len))
            continue;
        if (at < e->v.chain.not_before || at > e->v.chain.not_after)
            break; /* outside the window: verify afresh for the precise error */
        *out = e->v;
        hit = EVP_PKEY_up_ref(out->pkey) == 1;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void snp_cache_store(const struct snp_inputs *in, int signing_key,
                     const struct snp_verified_chain *v)
{
    size_t len = key_length(in);
    uint8_t *key = key_build(in, len);
    if (!key || EVP_PKEY_up_ref(v->pkey) != 1) {
        free(key);
        return; /* caching is an optimisation; failing to cache is not an error */
    }
    pthread_mutex_lock(&lock);
    struct entry *e = NULL;
    for (size_t i = 0; i < CACHE_SLOTS && !e; i++)
        if (slots[i].signing_key == signing_key && key_matches(&slots[i], in, len))
            e = &slots[i];
    if (!e) {
        e = &slots[next_victim];
        next_victim = (next_victim + 1) % CACHE_SLOTS;
    }
    entry_clear(e);
    *e = (struct entry){.key = key, .key_len = len, .signing_key = signing_key, .v = *v};
    pthread_mutex_unlock(&lock);
}

void bptee_snp_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&slots[i]);
    pthread_mutex_unlock(&lock);
}
