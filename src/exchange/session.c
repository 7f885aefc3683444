// SPDX-License-Identifier: Apache-2.0
/* KeyExchangeSession: an ephemeral X25519 key pair, its id and its lifetime. The private key
 * sits in its own guarded, locked, non-dumped page (keypage.c) that is PROT_NONE except for
 * the instants it is written or used, and is wiped on free. There is deliberately no
 * function that prints or returns it (blueprint-tee's Debug derive leaks it). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange/exchange_private.h"
#include "util/error.h"

uint64_t kx_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec;
}

int kx_expired(uint64_t created_at, uint64_t ttl, uint64_t now)
{
    uint64_t elapsed = now > created_at ? now - created_at : 0;
    return elapsed > ttl;
}

void kx_printable_id(const char *id, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return;
    for (; id && id[n] && n < 64 && n + 1 < cap; n++)
        out[n] = (id[n] >= 0x20 && id[n] < 0x7f) ? id[n] : '?';
    out[n] = '\0';
}

int bptee_session_new(uint64_t ttl_secs, struct bptee_session **out)
{
    uint8_t raw_id[16];
    if (!out)
        return fail(BPTEE_EINVAL, KX_PREFIX "session: missing output");
    struct bptee_session *s = calloc(1, sizeof *s);
    if (!s)
        return fail(BPTEE_ENOMEM, KX_PREFIX "session: out of memory");
    s->secret = kx_key_page_get();
    if (!s->secret) {
        free(s);
        return fail(BPTEE_ENOMEM, KX_PREFIX "session: cannot allocate secure memory");
    }
    randombytes_buf(s->secret, crypto_scalarmult_SCALARBYTES);
    crypto_scalarmult_base(s->public_key, s->secret);
    sodium_mprotect_noaccess(s->secret);
    randombytes_buf(raw_id, sizeof raw_id);
    sodium_bin2hex(s->id, sizeof s->id, raw_id, sizeof raw_id);
    s->created_at = kx_now();
    s->ttl_secs = ttl_secs;
    *out = s;
    return 0;
}

/* The key page must be writable: it is wiped on its way back. */
static void session_release(struct bptee_session *s)
{
    kx_key_page_put(s->secret);
    sodium_memzero(s, sizeof *s);
    free(s);
}

void bptee_session_free(struct bptee_session *s)
{
    if (!s)
        return;
    sodium_mprotect_readwrite(s->secret);
    session_release(s);
}

const char *bptee_session_id(const struct bptee_session *s)
{
    return s ? s->id : NULL;
}

const uint8_t *bptee_session_public_key(const struct bptee_session *s)
{
    return s ? s->public_key : NULL;
}

uint64_t bptee_session_created_at(const struct bptee_session *s)
{
    return s ? s->created_at : 0;
}

uint64_t bptee_session_ttl_secs(const struct bptee_session *s)
{
    return s ? s->ttl_secs : 0;
}

int bptee_session_is_expired(const struct bptee_session *s)
{
    return !s || kx_expired(s->created_at, s->ttl_secs, kx_now());
}

uint64_t bptee_session_remaining_ttl(const struct bptee_session *s)
{
    if (!s)
        return 0;
    uint64_t now = kx_now();
    uint64_t elapsed = now > s->created_at ? now - s->created_at : 0;
    return elapsed >= s->ttl_secs ? 0 : s->ttl_secs - elapsed;
}

void bptee_session_public_key_digest(const struct bptee_session *s, char *out)
{
    uint8_t d[crypto_hash_sha256_BYTES];
    if (!s || !out)
        return;
    crypto_hash_sha256(d, s->public_key, sizeof s->public_key);
    sodium_bin2hex(out, BPTEE_DIGEST_HEX_SIZE, d, sizeof d);
}

/* Not for concurrent use on one session: the key page is unprotected for the call. A session
 * taken out of the service by consume has exactly one owner. */
int bptee_session_open(const struct bptee_session *s, const struct bptee_sealed_payload *p,
                       uint8_t *out, size_t cap, size_t *out_len)
{
    if (!s)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "open: missing session");
    sodium_mprotect_readonly(s->secret);
    int r = seal_open_core(s->secret, s->public_key, s->id, p, out, cap, out_len);
    sodium_mprotect_noaccess(s->secret);
    return r;
}

int kx_session_open_and_free(struct bptee_session *s, const struct bptee_sealed_payload *p,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    sodium_mprotect_readwrite(s->secret);
    int r = seal_open_core(s->secret, s->public_key, s->id, p, out, cap, out_len);
    session_release(s);
    return r;
}
