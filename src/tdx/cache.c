// SPDX-License-Identifier: Apache-2.0
/* Verified PCK chains, so a stream of quotes from one platform costs two P-256 verifies each.
 * The key is the exact PEM bytes the quote (or caller) carried, nothing is parsed on a hit, and
 * an entry answers only for times inside the window where every certificate is valid
 * (util/chain_cache.c). Root trust is still decided per call: it depends on the caller's
 * options, not on the cache. */
#include "tdx/internal.h"
#include "util/chain_cache.h"

#define CACHE_SLOTS 32

static int chain_copy(const void *src, void *dst)
{
    return tdx_chain_copy(src, dst);
}

static void chain_release(void *c)
{
    tdx_chain_release(c);
}

static struct chain_cache_entry slots[CACHE_SLOTS];
static struct chain_cache cache =
    CHAIN_CACHE_INIT(slots, struct tdx_chain, chain_copy, chain_release);

bool tdx_cache_lookup(const uint8_t *pem, size_t len, int64_t at, struct tdx_chain *out)
{
    return chain_cache_lookup(&cache, pem, len, at, out);
}

void tdx_cache_store(const uint8_t *pem, size_t len, const struct tdx_chain *c)
{
    chain_cache_store(&cache, pem, len, c->not_before, c->not_after, c);
}

void bptee_tdx_cache_clear(void)
{
    chain_cache_clear(&cache);
    tdx_attest_key_cache_clear();
    tdx_collateral_cache_clear();
}
