// SPDX-License-Identifier: Apache-2.0
/* Guarded pages for X25519 secrets. Each secret lives in its own sodium_malloc allocation
 * (guard pages around it, locked, excluded from core dumps, canary-checked) and is PROT_NONE
 * while idle. Mapping and unmapping one costs about nine system calls (mmap, mprotect of both
 * guards, mlock, madvise, and munlock, madvise, mprotect, munmap on the way out) plus the page
 * faults: more than the X25519 work of a session. So a released page is wiped, made PROT_NONE
 * and kept for the next secret, up to POOL_MAX pages; taking one back is a single mprotect. */
#include <pthread.h>
#include <sodium.h>

#include "exchange/exchange_private.h"

#define POOL_MAX 16

static uint8_t *pool[POOL_MAX];
static size_t pooled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

uint8_t *kx_key_page_get(void)
{
    uint8_t *p = NULL;
    pthread_mutex_lock(&lock);
    if (pooled)
        p = pool[--pooled];
    pthread_mutex_unlock(&lock);
    if (!p)
        return sodium_malloc(KX_KEY_PAGE_SIZE); /* readable and writable */
    if (sodium_mprotect_readwrite(p) != 0) {
        sodium_free(p); /* sodium_free makes it writable itself, then unmaps it */
        return NULL;
    }
    return p;
}

void kx_key_page_put(uint8_t *p)
{
    if (!p)
        return;
    sodium_memzero(p, KX_KEY_PAGE_SIZE);
    /* PROT_NONE before it is shared: once pooled, another thread may take it at once. */
    if (sodium_mprotect_noaccess(p) == 0) {
        pthread_mutex_lock(&lock);
        if (pooled < POOL_MAX) {
            pool[pooled++] = p;
            p = NULL;
        }
        pthread_mutex_unlock(&lock);
        if (!p)
            return;
        sodium_mprotect_readwrite(p); /* sodium_free writes its canary area */
    }
    sodium_free(p);
}
