// SPDX-License-Identifier: Apache-2.0
/* Verified PCK chains, so a stream of quotes from one platform costs two P-256 verifies each.
 * The key is the exact PEM bytes the quote (or caller) carried, nothing is parsed on a hit, and
 * an entry answers only for times inside the window where every certificate is valid. Root
 * trust is still decided per call: it depends on the caller's options, not on the cache. */
#include <pthread.h>
#include <stdlib.h>

#include "tdx/internal.h"

#define CACHE_SLOTS 32

struct entry {
    uint8_t *key;
    size_t key_len;
    struct tdx_chain chain;
};

static struct entry slots[CACHE_SLOTS];
static size_t next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool matches(const struct entry *e, const uint8_t *pem, size_t len)
{
    return e->key && e->key_len == len && memcmp(e->key, pem, len) == 0;
}

bool tdx_cache_lookup(const uint8_t *pem, size_t len, int64_t at, struct tdx_chain *out)
{
    bool hit = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct entry *e = &slots[i];
        if (!matches(e, pem, len))
            continue;
        /* Outside the window: verify afresh, for the precise error. */
        if (at >= e->chain.not_before && at <= e->chain.not_after)
            hit = tdx_chain_copy(&e->chain, out) == 0;
        break;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

static void entry_clear(struct entry *e)
{
    free(e->key);
    tdx_chain_release(&e->chain);
    e->key = NULL;
    e->key_len = 0;
}

void tdx_cache_store(const uint8_t *pem, size_t len, const struct tdx_chain *c)
{
    struct tdx_chain copy;
    uint8_t *key = malloc(len ? len : 1);
    if (!key || tdx_chain_copy(c, &copy) < 0) {
        free(key);
        return; /* caching is an optimisation; failing to cache is not an error */
    }
    memcpy(key, pem, len);
    pthread_mutex_lock(&lock);
    struct entry *e = NULL;
    for (size_t i = 0; i < CACHE_SLOTS && !e; i++)
        if (matches(&slots[i], pem, len))
            e = &slots[i];
    if (!e) {
        e = &slots[next_victim];
        next_victim = (next_victim + 1) % CACHE_SLOTS;
    }
    entry_clear(e);
    *e = (struct entry){.key = key, .key_len = len, .chain = copy};
    pthread_mutex_unlock(&lock);
}

void bptee_tdx_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&slots[i]);
    pthread_mutex_unlock(&lock);
    tdx_attest_key_cache_clear();
}
