// SPDX-License-Identifier: Apache-2.0
/* Reading secrets out of the store: copies, peer checks against the allow lists, memfds, and
 * a metadata listing that never carries bytes. */
#include <ctype.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secrets/secrets_private.h"
#include "util/error.h"
#include "util/json.h"

/* The entry for name, readable (exists, not revoked). Caller holds the lock. */
static int readable_locked(struct bptee_secret_store *st, const char *name,
                           const struct secret **out)
{
    const struct secret *s = store_find(st, name, NULL);
    if (!s)
        return fail(BPTEE_ENOTFOUND, "secret not found: %s", name);
    if (s->revoked)
        return fail(BPTEE_EDENIED, "secret revoked: %s", name);
    *out = s;
    return 0;
}

int bptee_secret_store_get(struct bptee_secret_store *st, const char *name, uint8_t *out,
                           size_t cap, size_t *len)
{
    const struct secret *s = NULL;
    int r = st && len && (out || !cap) ? secret_name_check(name)
                                       : fail(BPTEE_EINVAL, "secret store: missing argument");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    r = readable_locked(st, name, &s);
    if (r == 0) {
        *len = s->len;
        if (cap < s->len)
            r = fail(BPTEE_ELIMIT, "secret %s: needs a %zu-byte buffer, %zu given", name,
                     s->len, cap);
        else
            secret_copy_out(s, out);
    }
    pthread_mutex_unlock(&st->lock);
    return r;
}

/* Measurements compare case-insensitively (stored lowercase); the peer's is untrusted text. */
static bool measurement_allowed(const struct secret *s, const char *m)
{
    char low[MEASUREMENT_HEX + 1];
    size_t n = strlen(m);
    if (n != MEASUREMENT_HEX)
        return false;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)m[i]);
    for (size_t i = 0; i < s->n_meas; i++)
        if (strcmp(s->allow_meas[i], low) == 0)
            return true;
    return false;
}

static int peer_allowed(const struct secret *s, const char *measurement, uint32_t uid)
{
    bool uid_ok = s->n_uids == 0;
    for (size_t i = 0; i < s->n_uids && !uid_ok; i++)
        uid_ok = s->allow_uids[i] == uid;
    if (!uid_ok)
        return fail(BPTEE_EDENIED, "secret %s: uid %u is not on its allow list", s->name, uid);
    if (s->n_meas == 0)
        return 0;
    if (!measurement)
        return fail(BPTEE_EDENIED, "secret %s: the peer's binary measurement is unknown and "
                                   "the secret has a measurement allow list", s->name);
    if (!measurement_allowed(s, measurement))
        return fail(BPTEE_EDENIED, "secret %s: binary measurement %.64s is not on its allow "
                                   "list", s->name,
                    strspn(measurement, "0123456789abcdefABCDEF") == strlen(measurement)
                        ? measurement
                        : "(not hex)");
    return 0;
}

int bptee_secret_store_check_peer(struct bptee_secret_store *st, const char *name,
                                  const char *measurement, uint32_t uid)
{
    const struct secret *s = NULL;
    int r = st ? secret_name_check(name) : fail(BPTEE_EINVAL, "secret store: missing store");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    r = readable_locked(st, name, &s);
    if (r == 0)
        r = peer_allowed(s, measurement, uid);
    pthread_mutex_unlock(&st->lock);
    return r;
}

/* A new open file description of the version's memfd (its own offset: two jobs, or a job and
 * its launcher, never share one), made once per version. Lock held. */
static int deliver_fd_locked(struct secret *s, int *fd)
{
    char label[BPTEE_SECRET_NAME_MAX + 32], path[64];
    if (s->memfd < 0) {
        /* The version in the label lets a holder (the interposer, given a descriptor by
         * bptee run) tell which version it has. '@' never occurs in a name. */
        snprintf(label, sizeof label, "bptee:%s@%llu", s->name, (unsigned long long)s->version);
        /* The bytes go straight from the protected page into the memfd, no copy between. */
        sodium_mprotect_readonly(s->data);
        int r = bptee_secret_memfd(label, s->data, s->len, &s->memfd);
        sodium_mprotect_noaccess(s->data);
        if (r < 0)
            return r;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", s->memfd);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0)
        return 0;
    /* No /proc (a bare chroot): a memfd of its own, as before the cache. */
    snprintf(label, sizeof label, "bptee:%s@%llu", s->name, (unsigned long long)s->version);
    sodium_mprotect_readonly(s->data);
    int r = bptee_secret_memfd(label, s->data, s->len, fd);
    sodium_mprotect_noaccess(s->data);
    return r;
}

int bptee_secret_store_deliver(struct bptee_secret_store *st, const char *name,
                               const char *measurement, uint32_t uid,
                               struct bptee_secret_delivery *out)
{
    const struct secret *found = NULL;
    int r = st && out ? secret_name_check(name)
                      : fail(BPTEE_EINVAL, "secret store: missing store or output");
    if (r < 0)
        return r;
    pthread_mutex_lock(&st->lock);
    r = readable_locked(st, name, &found);
    if (r == 0)
        r = peer_allowed(found, measurement, uid);
    if (r == 0) {
        struct secret *s = store_find(st, name, NULL); /* the same entry, writable */
        r = deliver_fd_locked(s, &out->fd);
        out->version = s->version;
        out->size = s->len;
        out->slot = s->slot;
    }
    pthread_mutex_unlock(&st->lock);
    return r;
}

int bptee_secret_store_memfd_version(struct bptee_secret_store *st, const char *name,
                                     const char *measurement, uint32_t uid, int *fd,
                                     uint64_t *version)
{
    struct bptee_secret_delivery d;
    if (!fd)
        return fail(BPTEE_EINVAL, "secret store: missing store or output");
    int r = bptee_secret_store_deliver(st, name, measurement, uid, &d);
    if (r < 0)
        return r;
    *fd = d.fd;
    if (version)
        *version = d.version;
    return 0;
}

int bptee_secret_store_memfd(struct bptee_secret_store *st, const char *name,
                             const char *measurement, uint32_t uid, int *fd)
{
    return bptee_secret_store_memfd_version(st, name, measurement, uid, fd, NULL);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct secret *const *)a)->name,
                  (*(const struct secret *const *)b)->name);
}

static json_t *entry_json(const struct secret *s)
{
    return json_pack("{s:s, s:I, s:I, s:b}", "name", s->name, "version",
                     (json_int_t)(s->version > INT64_MAX ? INT64_MAX : s->version), "size",
                     (json_int_t)s->len, "revoked", s->revoked);
}

int bptee_secret_store_list_json(struct bptee_secret_store *st, char **out)
{
    if (!st || !out)
        return fail(BPTEE_EINVAL, "secret store: missing store or output");
    json_t *arr = json_array();
    pthread_mutex_lock(&st->lock);
    const struct secret **sorted = calloc(st->n + 1, sizeof *sorted);
    for (size_t i = 0; sorted && i < st->n; i++)
        sorted[i] = st->items[i];
    if (sorted)
        qsort(sorted, st->n, sizeof *sorted, by_name);
    int bad = !arr || !sorted;
    for (size_t i = 0; !bad && i < st->n; i++)
        bad = json_array_append_new(arr, entry_json(sorted[i])) != 0;
    pthread_mutex_unlock(&st->lock);
    free(sorted);
    char *s = bad ? NULL : json_to_string(arr, 0);
    json_decref(arr);
    if (!s)
        return fail(BPTEE_ENOMEM, "secret store: out of memory while listing");
    *out = s;
    return 0;
}
