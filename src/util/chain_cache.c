// SPDX-License-Identifier: Apache-2.0
/* Verified chains keyed by their exact bytes, usable inside their validity window (see
 * chain_cache.h). Trust in the root is not cached: it depends on each call's options. */
#include <stdlib.h>
#include <string.h>

#include "util/chain_cache.h"

static bool matches(const struct chain_cache_entry *e, const uint8_t *key, size_t len)
{
    return e->key && e->key_len == len && memcmp(e->key, key, len) == 0;
}

static void entry_clear(struct chain_cache *c, struct chain_cache_entry *e)
{
    if (e->value)
        c->release(e->value);
    free(e->value);
    free(e->key);
    memset(e, 0, sizeof *e);
}

bool chain_cache_lookup(struct chain_cache *c, const uint8_t *key, size_t len, int64_t at,
                        void *out)
{
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_slots; i++) {
        const struct chain_cache_entry *e = &c->slots[i];
        if (!matches(e, key, len))
            continue;
        /* Outside the window: verify afresh, for the precise error. */
        if (at >= e->not_before && at <= e->not_after)
            hit = c->copy(e->value, out) == 0;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void chain_cache_store(struct chain_cache *c, const uint8_t *key, size_t len, int64_t not_before,
                       int64_t not_after, const void *value)
{
    uint8_t *k = malloc(len ? len : 1);
    void *v = malloc(c->value_size);
    if (!k || !v || c->copy(value, v) < 0) {
        free(k);
        free(v);
        return; /* caching is an optimisation; failing to cache is not an error */
    }
    if (len)
        memcpy(k, key, len);
    pthread_mutex_lock(&c->lock);
    struct chain_cache_entry *e = NULL;
    for (size_t i = 0; i < c->n_slots && !e; i++)
        if (matches(&c->slots[i], key, len))
            e = &c->slots[i];
    if (!e) {
        e = &c->slots[c->next_victim];
        c->next_victim = (c->next_victim + 1) % c->n_slots;
    }
    entry_clear(c, e);
    *e = (struct chain_cache_entry){
        .key = k, .key_len = len, .not_before = not_before, .not_after = not_after, .value = v};
    pthread_mutex_unlock(&c->lock);
}

void chain_cache_clear(struct chain_cache *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_slots; i++)
        entry_clear(c, &c->slots[i]);
    pthread_mutex_unlock(&c->lock);
}
