/* SPDX-License-Identifier: Apache-2.0 */
/* The secret store's layout, shared by its source files (private to the module). */
#ifndef BPTEE_SECRETS_PRIVATE_H
#define BPTEE_SECRETS_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include <bptee/secrets.h>

#define MEASUREMENT_HEX 64

struct secret {
    char *name;
    uint8_t *data; /* sodium_malloc'd, PROT_NONE between reads; NULL once revoked */
    size_t len;
    uint64_t version;
    bool revoked;
    char owner[BPTEE_SECRET_OWNER_MAX + 1]; /* who wrote this version, "" when unknown */
    char (*allow_meas)[MEASUREMENT_HEX + 1]; /* lowercase hex */
    size_t n_meas;
    uint32_t *allow_uids;
    size_t n_uids;
    int memfd;     /* this version's sealed memfd, made at first delivery; -1 before */
    uint32_t slot; /* the name's word in the version page, BPTEE_SECRET_NO_SLOT if none */
};

struct bptee_secret_store {
    pthread_mutex_t lock;
    struct secret **items;
    size_t n, cap;
    int page_fd;        /* the version page (page.c); -1 without one */
    uint64_t *page;     /* its writable mapping, NULL without one */
    uint32_t page_used; /* slots handed out so far (never reused) */
};

/* The entry named name, or NULL. Caller holds the lock. */
struct secret *store_find(struct bptee_secret_store *st, const char *name, size_t *index);
/* 0 when name is a valid secret name; BPTEE_EINVAL naming the rule it breaks. */
int secret_name_check(const char *name);
/* Copy the bytes out of their protected page (the lock is held). */
void secret_copy_out(const struct secret *s, uint8_t *out);

/* The version page (page.c). init never fails: without a page, secrets have no slot. */
void page_init(struct bptee_secret_store *st);
void page_free(struct bptee_secret_store *st);
/* Give s a slot if it has none and publish its version (or revocation). Lock held. */
void page_publish_locked(struct bptee_secret_store *st, struct secret *s);
/* The name is gone from the store: its word says so. Lock held. */
void page_retire_locked(struct bptee_secret_store *st, const struct secret *s);

#endif
