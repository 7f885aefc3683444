/* SPDX-License-Identifier: Apache-2.0 */
/* A small cache of verified certificate chains (private), so a stream of evidence from one
 * platform does not verify the same chain again. The key is the exact bytes the chain was
 * verified from (nothing is parsed on a hit), and an entry answers only for times inside the
 * window where every certificate is valid. The value is the module's own record of a verified
 * chain; the cache holds its own copy, made and dropped through the module's copy/release. */
#ifndef BPTEE_UTIL_CHAIN_CACHE_H
#define BPTEE_UTIL_CHAIN_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chain_cache_entry {
    uint8_t *key;
    size_t key_len;
    int64_t not_before, not_after;
    void *value; /* value_size bytes, malloc'd */
};

struct chain_cache {
    struct chain_cache_entry *slots;
    size_t n_slots, next_victim; /* replaced round-robin when full */
    size_t value_size;
    int (*copy)(const void *src, void *dst); /* dst gets its own references: 0 or negative */
    void (*release)(void *value);
    pthread_mutex_t lock;
};

/* A cache over a static array of slots holding values of type type_. */
#define CHAIN_CACHE_INIT(slots_, type_, copy_, release_)                                           \
    {                                                                                              \
        .slots = (slots_), .n_slots = sizeof(slots_) / sizeof((slots_)[0]),                        \
        .value_size = sizeof(type_), .copy = (copy_), .release = (release_),                       \
        .lock = PTHREAD_MUTEX_INITIALIZER,                                                         \
    }

/* Copy the value cached under key into out when `at` lies inside its window. Outside it, the
 * caller verifies afresh, for the precise error. */
bool chain_cache_lookup(struct chain_cache *c, const uint8_t *key, size_t len, int64_t at,
                        void *out);
/* Cache a copy of value under key (replacing an entry with the same key). Caching is an
 * optimisation: failing to cache is not an error. */
void chain_cache_store(struct chain_cache *c, const uint8_t *key, size_t len, int64_t not_before,
                       int64_t not_after, const void *value);
void chain_cache_clear(struct chain_cache *c);

#endif
