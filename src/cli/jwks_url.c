// SPDX-License-Identifier: Apache-2.0
/* A key set URL (--jwks or a policy's): the cached set while it is fresh, else a fetched one,
 * parsed before it is cached (a set bptee cannot read is never stored). A failed fetch is an
 * error naming the URL: there is no fallback to a stale entry or to built-in keys, since a key
 * set the service has replaced may be one it had reason to withdraw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/jwks.h"

int jwks_arg_is_url(const char *arg)
{
    return !strncasecmp(arg, "https://", 8) || !strncasecmp(arg, "http://", 7);
}

static int url_error(const char *what, const char *url, const char *why)
{
    fprintf(stderr, "bptee: verify: %s %s: %s\n", what, url, why);
    return 1;
}

int jwks_load_url(const char *what, const char *url, struct bptee_jwks **out)
{
    int64_t now = (int64_t)time(NULL);
    uint8_t *cached = NULL;
    size_t cached_len = 0;
    char err[JWKS_ERR_MAX] = "";
    if (jwks_cache_get(url, now, &cached, &cached_len)) {
        int rc = bptee_jwks_parse((const char *)cached, cached_len, out);
        free(cached);
        if (rc == 0)
            return 0;
        /* a damaged entry is replaced by a fresh fetch below */
    }
    struct jwks_answer a;
    if (jwks_fetch(url, &a, err, sizeof err) < 0)
        return url_error(what, url, err);
    if (bptee_jwks_parse((const char *)a.body, a.len, out) < 0) {
        jwks_answer_release(&a);
        return url_error(what, url, bptee_last_error());
    }
    if (jwks_cache_put(url, now, jwks_cache_lifetime(&a), a.body, a.len, err, sizeof err) < 0)
        fprintf(stderr, "bptee: verify: warning: %s %s: not cached: %s\n", what, url,
                err[0] ? err : "cannot remove the old entry");
    jwks_answer_release(&a);
    return 0;
}
