// SPDX-License-Identifier: Apache-2.0
/* TeeAuthService: the sessions a TEE has offered, behind one mutex. Sessions are few (the
 * default cap is 64) and every create already scans them to evict the expired ones, as
 * blueprint-tee does, so a flat array is the right structure. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/error.h"

struct bptee_auth_service {
    pthread_mutex_t lock;
    uint64_t ttl_secs;
    uint64_t max_sessions;
    struct bptee_session **sessions;
    size_t n, cap;
};

int bptee_auth_service_new(uint64_t session_ttl_secs, uint64_t max_sessions,
                           struct bptee_auth_service **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, KX_PREFIX "auth service: missing output");
    struct bptee_auth_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return fail(BPTEE_ENOMEM, KX_PREFIX "auth service: out of memory");
    if (pthread_mutex_init(&svc->lock, NULL) != 0) {
        free(svc);
        return fail(BPTEE_EIO, KX_PREFIX "auth service: cannot create its lock");
    }
    svc->ttl_secs = session_ttl_secs;
    svc->max_sessions = max_sessions;
    *out = svc;
    return 0;
}

void bptee_auth_service_free(struct bptee_auth_service *svc)
{
    if (!svc)
        return;
    for (size_t i = 0; i < svc->n; i++)
        bptee_session_free(svc->sessions[i]);
    free(svc->sessions);
    pthread_mutex_destroy(&svc->lock);
    free(svc);
}

/* Remove entry i (order does not matter) and return it. Caller holds the lock. */
static struct bptee_session *take_at(struct bptee_auth_service *svc, size_t i)
{
    struct bptee_session *s = svc->sessions[i];
    svc->sessions[i] = svc->sessions[--svc->n];
    return s;
}

static size_t evict_expired_locked(struct bptee_auth_service *svc, uint64_t now)
{
    size_t evicted = 0;
    for (size_t i = 0; i < svc->n;) {
        struct bptee_session *s = svc->sessions[i];
        if (kx_expired(s->created_at, s->ttl_secs, now)) {
            bptee_session_free(take_at(svc, i));
            evicted++;
        } else {
            i++;
        }
    }
    return evicted;
}

static int insert_locked(struct bptee_auth_service *svc, struct bptee_session *s)
{
    if (svc->n == svc->cap) {
        size_t cap = svc->cap ? svc->cap * 2 : 16;
        struct bptee_session **grown = realloc(svc->sessions, cap * sizeof *grown);
        if (!grown)
            return fail(BPTEE_ENOMEM, KX_PREFIX "auth service: out of memory");
        svc->sessions = grown;
        svc->cap = cap;
    }
    svc->sessions[svc->n++] = s;
    return 0;
}

int bptee_auth_service_create_session(struct bptee_auth_service *svc, char *session_id,
                                      uint8_t *public_key)
{
    struct bptee_session *s = NULL;
    if (!svc || !session_id || !public_key)
        return fail(BPTEE_EINVAL, KX_PREFIX "create session: missing argument");
    /* The key pair is made outside the lock: it is the slow part and needs no shared state. */
    int r = bptee_session_new(svc->ttl_secs, &s);
    if (r < 0)
        return r;
    pthread_mutex_lock(&svc->lock);
    evict_expired_locked(svc, kx_now());
    if (svc->n >= svc->max_sessions)
        r = fail(BPTEE_ELIMIT, KX_PREFIX "maximum session limit reached (%llu)",
                 (unsigned long long)svc->max_sessions);
    else
        r = insert_locked(svc, s);
    if (r == 0) {
        memcpy(session_id, s->id, BPTEE_SESSION_ID_SIZE);
        memcpy(public_key, s->public_key, BPTEE_X25519_KEY_LEN);
    }
    pthread_mutex_unlock(&svc->lock);
    if (r < 0)
        bptee_session_free(s);
    return r;
}

/* Find a live session by id. With take, the session comes out of the service, and an expired
 * one is removed and wiped (consume); without, nothing changes (reading a public key), as in
 * blueprint-tee. Caller holds the lock. */
static int lookup_locked(struct bptee_auth_service *svc, const char *id, int take,
                         struct bptee_session **out)
{
    char shown[72];
    kx_printable_id(id, shown, sizeof shown);
    for (size_t i = 0; i < svc->n; i++) {
        struct bptee_session *s = svc->sessions[i];
        if (strcmp(s->id, id) != 0)
            continue;
        if (kx_expired(s->created_at, s->ttl_secs, kx_now())) {
            if (take)
                bptee_session_free(take_at(svc, i));
            return fail(BPTEE_EEXPIRED, KX_PREFIX "session expired: %s", shown);
        }
        *out = take ? take_at(svc, i) : s;
        return 0;
    }
    return fail(BPTEE_ENOTFOUND, KX_PREFIX "session not found: %s", shown);
}

int bptee_auth_service_public_key(struct bptee_auth_service *svc, const char *session_id,
                                  uint8_t *public_key)
{
    struct bptee_session *s = NULL;
    if (!svc || !session_id || !public_key)
        return fail(BPTEE_EINVAL, KX_PREFIX "public key: missing argument");
    pthread_mutex_lock(&svc->lock);
    int r = lookup_locked(svc, session_id, 0, &s);
    if (r == 0)
        memcpy(public_key, s->public_key, BPTEE_X25519_KEY_LEN);
    pthread_mutex_unlock(&svc->lock);
    return r;
}

int bptee_auth_service_consume(struct bptee_auth_service *svc, const char *session_id,
                               struct bptee_session **out)
{
    if (!svc || !session_id || !out)
        return fail(BPTEE_EINVAL, KX_PREFIX "consume session: missing argument");
    pthread_mutex_lock(&svc->lock);
    int r = lookup_locked(svc, session_id, 1, out);
    pthread_mutex_unlock(&svc->lock);
    return r;
}

int bptee_auth_service_open(struct bptee_auth_service *svc,
                            const struct bptee_sealed_payload *p, uint8_t *out, size_t cap,
                            size_t *out_len, char *key_fingerprint)
{
    struct bptee_session *s = NULL;
    if (!p || !p->session_id)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "open: payload without a session id");
    int r = bptee_auth_service_consume(svc, p->session_id, &s);
    if (r < 0)
        return r;
    char fingerprint[BPTEE_DIGEST_HEX_SIZE];
    bptee_session_public_key_digest(s, fingerprint); /* the session is gone after opening */
    r = kx_session_open_and_free(s, p, out, cap, out_len);
    if (r == 0 && key_fingerprint)
        memcpy(key_fingerprint, fingerprint, sizeof fingerprint);
    return r;
}

size_t bptee_auth_service_active_count(struct bptee_auth_service *svc)
{
    size_t live = 0;
    if (!svc)
        return 0;
    pthread_mutex_lock(&svc->lock);
    uint64_t now = kx_now();
    for (size_t i = 0; i < svc->n; i++)
        live += !kx_expired(svc->sessions[i]->created_at, svc->sessions[i]->ttl_secs, now);
    pthread_mutex_unlock(&svc->lock);
    return live;
}

size_t bptee_auth_service_cleanup(struct bptee_auth_service *svc)
{
    if (!svc)
        return 0;
    pthread_mutex_lock(&svc->lock);
    size_t evicted = evict_expired_locked(svc, kx_now());
    pthread_mutex_unlock(&svc->lock);
    return evicted;
}

uint64_t bptee_auth_service_session_ttl_secs(const struct bptee_auth_service *svc)
{
    return svc ? svc->ttl_secs : 0;
}

uint64_t bptee_auth_service_max_sessions(const struct bptee_auth_service *svc)
{
    return svc ? svc->max_sessions : 0;
}
