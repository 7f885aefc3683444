// SPDX-License-Identifier: Apache-2.0
/* Verified chains, so a stream of reports signed by one VCEK costs one ECDSA verify each.
 * The key is the signing key kind and the exact certificate bytes the caller gave (nothing is
 * parsed on a hit) and an entry answers only for times inside the window where every
 * certificate is valid (util/chain_cache.c); ARK trust, product and TCB checks are still made
 * for each report. */
#include <stdlib.h>
#include <string.h>

#include "snp/internal.h"
#include "util/bytes.h"
#include "util/chain_cache.h"

#define CACHE_SLOTS 64

static int chain_copy(const void *src, void *dst)
{
    struct snp_verified_chain *d = dst;
    *d = *(const struct snp_verified_chain *)src;
    return EVP_PKEY_up_ref(d->pkey) == 1 ? 0 : -1;
}

static void chain_release(void *v)
{
    EVP_PKEY_free(((struct snp_verified_chain *)v)->pkey);
}

static struct chain_cache_entry slots[CACHE_SLOTS];
static struct chain_cache cache =
    CHAIN_CACHE_INIT(slots, struct snp_verified_chain, chain_copy, chain_release);

/* The signing key kind, then each certificate as a 32-bit length and its bytes. */
static uint8_t *key_build(const struct snp_inputs *in, int signing_key, size_t *len)
{
    const struct der *parts[SNP_MAX_CHAIN + 1];
    size_t n = 0;
    parts[n++] = &in->leaf;
    for (size_t i = 0; i < in->n_chain; i++)
        parts[n++] = &in->chain[i];
    *len = 4;
    for (size_t i = 0; i < n; i++)
        *len += 4 + parts[i]->n;
    uint8_t *key = malloc(*len), *k = key;
    if (!key)
        return NULL;
    store_le32(k, (uint32_t)signing_key);
    k += 4;
    for (size_t i = 0; i < n; i++) {
        store_le32(k, (uint32_t)parts[i]->n);
        if (parts[i]->n)
            memcpy(k + 4, parts[i]->p, parts[i]->n);
        k += 4 + parts[i]->n;
    }
    return key;
}

bool snp_cache_lookup(const struct snp_inputs *in, int signing_key, int64_t at,
                      struct snp_verified_chain *out)
{
    size_t len = 0;
    uint8_t *key = key_build(in, signing_key, &len);
    bool hit = key && chain_cache_lookup(&cache, key, len, at, out);
    free(key);
    return hit;
}

void snp_cache_store(const struct snp_inputs *in, int signing_key,
                     const struct snp_verified_chain *v)
{
    size_t len = 0;
    uint8_t *key = key_build(in, signing_key, &len);
    if (key)
        chain_cache_store(&cache, key, len, v->chain.not_before, v->chain.not_after, v);
    free(key);
}

void bptee_snp_cache_clear(void)
{
    chain_cache_clear(&cache);
}
