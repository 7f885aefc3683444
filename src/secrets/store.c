// SPDX-License-Identifier: Apache-2.0
/* The secret store: names to versioned secrets in sodium_malloc'd memory (guard pages,
 * mlock'd, MADV_DONTDUMP, PROT_NONE between reads), wiped on every way out. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secrets/secrets_private.h"
#include "util/error.h"

int bptee_secret_store_new(struct bptee_secret_store **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "secret store: missing output");
    struct bptee_secret_store *st = calloc(1, sizeof *st);
    if (!st)
        return fail(BPTEE_ENOMEM, "secret store: out of memory");
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return fail(BPTEE_EIO, "secret store: cannot create its lock");
    }
    page_init(st);
    *out = st;
    return 0;
}

static void wipe_data(struct secret *s)
{
    if (s->data) {
        sodium_mprotect_readwrite(s->data); /* sodium_free writes the page to wipe it */
        sodium_free(s->data);
    }
    s->data = NULL;
    s->len = 0;
    if (s->memfd >= 0) /* jobs keep theirs: memfds never change; ours goes with the bytes */
        close(s->memfd);
    s->memfd = -1;
}

static void secret_free(struct secret *s)
{
    if (!s)
        return;
    wipe_data(s);
    free(s->name);
    free(s->allow_meas);
    free(s->allow_uids);
    free(s);
}

void bptee_secret_store_free(struct bptee_secret_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        secret_free(st->items[i]);
    free(st->items);
    page_free(st);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

int secret_name_check(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > BPTEE_SECRET_NAME_MAX)
        return fail(BPTEE_EINVAL, "secret name must have 1 to %d characters",
                    BPTEE_SECRET_NAME_MAX);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return fail(BPTEE_EINVAL, "secret name \"%s\" is not allowed", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(isascii(c) && (isalnum(c) || c == '.' || c == '_' || c == '-')))
            return fail(BPTEE_EINVAL, "secret name: character %zu is not one of "
                                      "[A-Za-z0-9._-]", i + 1);
    }
    return 0;
}

struct secret *store_find(struct bptee_secret_store *st, const char *name, size_t *index)
{
    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->items[i]->name, name) == 0) {
            if (index)
                *index = i;
            return st->items[i];
        }
    }
    return NULL;
}

void secret_copy_out(const struct secret *s, uint8_t *out)
{
    if (!s->len)
        return;
    sodium_mprotect_readonly(s->data);
    memcpy(out, s->data, s->len);
    sodium_mprotect_noaccess(s->data);
}

/* The allow lists of opts, validated and copied into s. */
static int copy_allow(struct secret *s, const struct bptee_secret_put_opts *o)
{
    if (o->n_allow_measurements > BPTEE_SECRET_ALLOW_MAX ||
        o->n_allow_uids > BPTEE_SECRET_ALLOW_MAX)
        return fail(BPTEE_ELIMIT, "secret %s: allow lists hold at most %d entries", s->name,
                    BPTEE_SECRET_ALLOW_MAX);
    if ((o->n_allow_measurements && !o->allow_measurements) ||
        (o->n_allow_uids && !o->allow_uids))
        return fail(BPTEE_EINVAL, "secret %s: allow list count without a list", s->name);
    s->allow_meas = calloc(o->n_allow_measurements + 1, sizeof *s->allow_meas);
    s->allow_uids = calloc(o->n_allow_uids + 1, sizeof *s->allow_uids);
    if (!s->allow_meas || !s->allow_uids)
        return fail(BPTEE_ENOMEM, "secret %s: out of memory", s->name);
    for (size_t i = 0; i < o->n_allow_measurements; i++) {
        const char *m = o->allow_measurements[i];
        size_t n = m ? strlen(m) : 0;
        if (n != MEASUREMENT_HEX || strspn(m, "0123456789abcdefABCDEF") != n)
            return fail(BPTEE_EINVAL, "secret %s: allowed measurement %zu is not 64 hex "
                                      "digits (a SHA-256)", s->name, i + 1);
        for (size_t k = 0; k <= n; k++)
            s->allow_meas[i][k] = (char)tolower((unsigned char)m[k]);
    }
    s->n_meas = o->n_allow_measurements;
    if (o->n_allow_uids)
        memcpy(s->allow_uids, o->allow_uids, o->n_allow_uids * sizeof *s->allow_uids);
    s->n_uids = o->n_allow_uids;
    return 0;
}

/* A new entry holding a copy of data, not yet in the store. */
static int secret_new(const char *name, const uint8_t *data, size_t len,
                      const struct bptee_secret_put_opts *o, struct secret **out)
{
    struct secret *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return fail(BPTEE_ENOMEM, "secret %s: out of memory", name);
    }
    s->memfd = -1;
    s->slot = BPTEE_SECRET_NO_SLOT;
    int r = copy_allow(s, o);
    if (r == 0 && o->owner && strlen(o->owner) > BPTEE_SECRET_OWNER_MAX)
        r = fail(BPTEE_EINVAL, "secret %s: owner id longer than %d characters", name,
                 BPTEE_SECRET_OWNER_MAX);
    if (r == 0 && o->owner)
        memcpy(s->owner, o->owner, strlen(o->owner) + 1); /* length checked above */
    if (r == 0 && !(s->data = sodium_malloc(len ? len : 1)))
        r = fail(BPTEE_ENOMEM, "secret %s: cannot allocate locked memory for %zu bytes", name,
                 len);
    if (r < 0) {
        secret_free(s);
        return r;
    }
    if (len)
        memcpy(s->data, data, len);
    s->len = len;
    sodium_mprotect_noaccess(s->data);
    *out = s;
    return 0;
}

static int put_args(const char *name, const uint8_t *data, size_t len,
                    const struct bptee_secret_put_opts *o)
{
    int r = secret_name_check(name);
    if (r < 0)
        return r;
    if (!data && len)
        return fail(BPTEE_EINVAL, "secret %s: missing data", name);
    if (len > BPTEE_SECRET_MAX_SIZE)
        return fail(BPTEE_ELIMIT, "secret %s: %zu bytes exceeds the %u-byte limit", name, len,
                    BPTEE_SECRET_MAX_SIZE);
    if (o->sz < sizeof(size_t))
        return fail(BPTEE_EINVAL, "secret %s: options without their size (use BPTEE_OPTS)",
                    name);
    return 0;
}

/* Options as this library knows them: fields past the caller's sz read as zero. */
static void opts_copy(const struct bptee_secret_put_opts *in, struct bptee_secret_put_opts *o)
{
    memset(o, 0, sizeof *o);
    if (!in) {
        o->sz = sizeof *o;
        return;
    }
    memcpy(o, in, in->sz < sizeof *o ? in->sz : sizeof *o);
}

/* Insert s or let it replace the stored one under the version rule. Caller holds the lock. */
static int store_put_locked(struct bptee_secret_store *st, struct secret *s, uint64_t version)
{
    size_t i = 0;
    struct secret *old = store_find(st, s->name, &i);
    if (old && version && version <= old->version)
        return fail(BPTEE_EDENIED, "secret %s: version %llu is not newer than the stored "
                                   "version %llu", s->name, (unsigned long long)version,
                    (unsigned long long)old->version);
    if (old && !version && old->version == UINT64_MAX)
        return fail(BPTEE_ELIMIT, "secret %s: no version is left after the stored one",
                    s->name);
    s->version = version ? version : old ? old->version + 1 : 1;
    if (old) {
        s->slot = old->slot; /* the name keeps its word in the version page */
        st->items[i] = s;
        secret_free(old);
        page_publish_locked(st, s);
        return 0;
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        struct secret **grown = realloc(st->items, cap * sizeof *grown);
        if (!grown)
            return fail(BPTEE_ENOMEM, "secret %s: out of memory", s->name);
        st->items = grown;
        st->cap = cap;
    }
    st->items[st->n++] = s;
    page_publish_locked(st, s);
    return 0;
}

int bptee_secret_store_put(struct bptee_secret_store *st, const char *name,
                           const uint8_t *data, size_t len,
                           const struct bptee_secret_put_opts *opts)
{
    struct bptee_secret_put_opts o;
    struct secret *s = NULL;
    if (!st)
        return fail(BPTEE_EINVAL, "secret store: missing store");
    opts_copy(opts, &o);
    int r = put_args(name, data, len, &o);
    if (r == 0)
        r = secret_new(name, data, len, &o, &s);
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    r = store_put_locked(st, s, o.version);
    pthread_mutex_unlock(&st->lock);
    if (r < 0)
        secret_free(s);
    return r;
}

int bptee_secret_store_remove(struct bptee_secret_store *st, const char *name)
{
    size_t i = 0;
    int r = st ? secret_name_check(name) : fail(BPTEE_EINVAL, "secret store: missing store");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    struct secret *s = store_find(st, name, &i);
    if (s) {
        st->items[i] = st->items[--st->n];
        page_retire_locked(st, s);
        secret_free(s);
    } else {
        r = fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    }
    pthread_mutex_unlock(&st->lock);
    return r;
}

int bptee_secret_store_revoke(struct bptee_secret_store *st, const char *name)
{
    int r = st ? secret_name_check(name) : fail(BPTEE_EINVAL, "secret store: missing store");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    struct secret *s = store_find(st, name, NULL);
    if (s) {
        wipe_data(s);
        s->revoked = true;
        page_publish_locked(st, s);
    } else {
        r = fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    }
    pthread_mutex_unlock(&st->lock);
    return r;
}

/* The version rule of a put, for a revocation. Caller holds the lock. */
static int revoke_locked(struct bptee_secret_store *st, struct secret *s, uint64_t version,
                         const char *owner)
{
    if (version && version <= s->version)
        return fail(BPTEE_EDENIED, "secret %s: version %llu is not newer than the stored "
                                   "version %llu", s->name, (unsigned long long)version,
                    (unsigned long long)s->version);
    if (!version && s->version == UINT64_MAX)
        return fail(BPTEE_ELIMIT, "secret %s: no version is left after the stored one",
                    s->name);
    wipe_data(s);
    s->revoked = true;
    s->version = version ? version : s->version + 1;
    snprintf(s->owner, sizeof s->owner, "%s", owner ? owner : "");
    page_publish_locked(st, s);
    return 0;
}

int bptee_secret_store_revoke_at(struct bptee_secret_store *st, const char *name,
                                 uint64_t version, const char *owner)
{
    int r = st ? secret_name_check(name) : fail(BPTEE_EINVAL, "secret store: missing store");
    if (r == 0 && owner && strlen(owner) > BPTEE_SECRET_OWNER_MAX)
        r = fail(BPTEE_EINVAL, "secret %s: owner id longer than %d characters", name,
                 BPTEE_SECRET_OWNER_MAX);
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    struct secret *s = store_find(st, name, NULL);
    r = s ? revoke_locked(st, s, version, owner)
          : fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    pthread_mutex_unlock(&st->lock);
    return r;
}

int bptee_secret_store_owner(struct bptee_secret_store *st, const char *name, char *out,
                             size_t cap)
{
    int r = st && out && cap > BPTEE_SECRET_OWNER_MAX
                ? secret_name_check(name)
                : fail(BPTEE_EINVAL, "secret store: missing store or output");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    const struct secret *s = store_find(st, name, NULL);
    if (s)
        snprintf(out, cap, "%s", s->owner);
    else
        r = fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    pthread_mutex_unlock(&st->lock);
    return r;
}

int bptee_secret_store_info(struct bptee_secret_store *st, const char *name,
                            struct bptee_secret_info *out)
{
    int r = st && out ? secret_name_check(name)
                      : fail(BPTEE_EINVAL, "secret store: missing store or output");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    const struct secret *s = store_find(st, name, NULL);
    if (s)
        *out = (struct bptee_secret_info){.version = s->version, .size = s->len,
                                          .revoked = s->revoked, .n_allow_measurements = s->n_meas,
                                          .n_allow_uids = s->n_uids};
    else
        r = fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    pthread_mutex_unlock(&st->lock);
    return r;
}

size_t bptee_secret_store_count(struct bptee_secret_store *st)
{
    if (!st)
        return 0;
    pthread_mutex_lock(&st->lock);
    size_t n = st->n;
    pthread_mutex_unlock(&st->lock);
    return n;
}
