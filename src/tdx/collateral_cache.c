// SPDX-License-Identifier: Apache-2.0
/* Verified collateral, so a stream of quotes checked against the same Intel collateral costs
 * the quote's own two signatures and the TCB evaluation, not the collateral's four or five
 * signatures again. An entry is keyed by what the verdict depends on: the SHA-256 of each
 * piece's exact bytes (taken when it was set) and the chain's root and PCK CA (the signer and
 * the CRLs are checked under them); it answers only for collateral times inside the window
 * where the TCB signing certificate, the root and every CRL are valid (util/chain_cache.c).
 * Revocation of this quote's PCK and CA is looked up on every call, and the TCB info and QE
 * identity dates are judged by the evaluation on every call. */
#include "tdx/internal.h"
#include "util/bytes.h"
#include "util/chain_cache.h"

#define CACHE_SLOTS 16
#define KEY_LEN (32 + 32 + TDX_COLL_KINDS * 33)

/* An entry's presence is the verdict: the value carries nothing. */
struct verified {
    uint8_t unused;
};

static int verified_copy(const void *src, void *dst)
{
    *(struct verified *)dst = *(const struct verified *)src;
    return 0;
}

static void verified_release(void *v)
{
    (void)v;
}

static struct chain_cache_entry slots[CACHE_SLOTS];
static struct chain_cache cache =
    CHAIN_CACHE_INIT(slots, struct verified, verified_copy, verified_release);

/* Root and PCK CA fingerprints, then for each kind whether it is set and its digest. */
static void key_build(const struct bptee_tdx_collateral *c, const struct tdx_chain *chain,
                      uint8_t key[KEY_LEN])
{
    uint8_t *k = key;
    memcpy(k, chain->root_sha256, 32);
    memcpy(k + 32, chain->ca_sha256, 32);
    k += 64;
    for (int kind = 0; kind < TDX_COLL_KINDS; kind++, k += 33) {
        k[0] = c->piece_set[kind];
        if (c->piece_set[kind])
            memcpy(k + 1, c->piece_sha256[kind], 32);
        else
            memset(k + 1, 0, 32);
    }
}

int tdx_collateral_verify(const struct bptee_tdx_collateral *c, const struct tdx_chain *chain,
                          int64_t at)
{
    uint8_t key[KEY_LEN];
    struct verified v;
    int64_t not_before, not_after;
    key_build(c, chain, key);
    if (!chain_cache_lookup(&cache, key, sizeof key, at, &v)) {
        /* A miss (or a time outside the window, for the precise error) verifies afresh. */
        int rc = tdx_collateral_authenticate(c, chain, at, &not_before, &not_after);
        if (rc < 0)
            return rc;
        v.unused = 0;
        chain_cache_store(&cache, key, sizeof key, not_before, not_after, &v);
    }
    return tdx_collateral_check_revocation(c, chain);
}

void tdx_collateral_cache_clear(void)
{
    chain_cache_clear(&cache);
}
