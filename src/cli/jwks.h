/* SPDX-License-Identifier: Apache-2.0 */
/* `bptee verify --jwks URL`, or a policy's jwks URL: a JSON Web Key Set fetched over HTTPS
 * (jwks_fetch.c, libcurl loaded on demand), kept in an on-disk cache that honours Cache-Control
 * (jwks_cache.c), and the two put together (jwks_url.c). docs/jwt.md describes the behaviour. */
#ifndef BPTEE_CLI_JWKS_H
#define BPTEE_CLI_JWKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bptee.h>

#define JWKS_CONNECT_TIMEOUT_SECS 5L
#define JWKS_TOTAL_TIMEOUT_SECS 20L
/* How long a key set is kept when the server sends no Cache-Control lifetime. */
#define JWKS_CACHE_DEFAULT_SECS 300
/* The longest a cached key set is trusted whatever max-age says: a key a service revoked is
 * never used for more than a day. */
#define JWKS_CACHE_MAX_SECS 86400
#define JWKS_ERR_MAX 512

/* What an HTTP answer carried: the body (at most BPTEE_JWKS_MAX bytes) and what decides its
 * caching (every Cache-Control line, joined; the Age header). */
struct jwks_answer {
    uint8_t *body;
    size_t len;
    char cache_control[512];
    bool has_cache_control, cache_control_overlong;
    long age;
};

/* 1 when the --jwks argument is a URL (http:// or https://), 0 for a file path. */
int jwks_arg_is_url(const char *arg);

/* GET url; 0 on a 200 answer within the cap, else -1 with the reason in err. */
int jwks_fetch(const char *url, struct jwks_answer *a, char *err, size_t errsz);
void jwks_answer_release(struct jwks_answer *a);

/* Seconds an answer may be cached: 0 when it must not be (no-store, no-cache, max-age=0, a
 * directive that cannot be read), JWKS_CACHE_DEFAULT_SECS without a lifetime, never more than
 * JWKS_CACHE_MAX_SECS; the Age a proxy reports is subtracted. */
long jwks_cache_lifetime(const struct jwks_answer *a);

/* The cached body for url when one is fresh at `now` (caller frees with free()): 1; 0 when
 * there is none or it is stale. */
int jwks_cache_get(const char *url, int64_t now, uint8_t **body, size_t *len);
/* Store (lifetime > 0) or remove (lifetime 0) the entry for url; -1 with err when the cache
 * cannot be written. */
int jwks_cache_put(const char *url, int64_t now, long lifetime, const uint8_t *body, size_t len,
                   char *err, size_t errsz);

/* The key set at url: from the cache when fresh, else fetched (and cached as its answer
 * allows). A failure prints one line naming `what` (where the URL came from: "--jwks", "policy
 * azure_maa.jwks") and the URL, and returns 1; never a stale set. */
int jwks_load_url(const char *what, const char *url, struct bptee_jwks **out);

#endif
