// SPDX-License-Identifier: Apache-2.0
/* The on-disk cache of fetched key sets. One file per URL, named by the SHA-256 of the URL, in
 * $XDG_CACHE_HOME/bptee, else /var/cache/bptee for root, else ~/.cache/bptee (directories
 * 0700, files 0600). A file is a short header (format, expiry, the URL itself, so a name
 * collision can never hand over another URL's keys) and the body as served:
 *
 *     bptee-jwks-cache 1\nexpires <unix seconds>\nurl <url>\n\n<body>
 *
 * Written whole through a temporary file in the same directory, fsync and rename
 * (bptee_write_file). An entry is used only before its expiry, which Cache-Control decided. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/jwks.h"

#define MAGIC "bptee-jwks-cache 1\n"
#define URL_MAX 2048
#define ENTRY_MAX (BPTEE_JWKS_MAX + URL_MAX + 128)

static int make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The cache directory, created when missing. */
static int cache_dir(char *out, size_t size)
{
    const char *xdg = secure_getenv("XDG_CACHE_HOME"), *home = secure_getenv("HOME");
    char parent[PATH_MAX];
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(parent, sizeof parent, "%s", xdg);
    else if (geteuid() == 0)
        n = snprintf(parent, sizeof parent, "/var/cache");
    else if (home && home[0] == '/')
        n = snprintf(parent, sizeof parent, "%s/.cache", home);
    else
        return -1;
    if (n < 0 || (size_t)n >= sizeof parent || make_dir(parent) < 0)
        return -1;
    n = snprintf(out, size, "%s/bptee", parent);
    return n < 0 || (size_t)n >= size || make_dir(out) < 0 ? -1 : 0;
}

static int entry_path(const char *url, char *out, size_t size)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1], dir[PATH_MAX];
    if (cache_dir(dir, sizeof dir) < 0)
        return -1;
    crypto_hash_sha256(h, (const unsigned char *)url, strlen(url));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    int n = snprintf(out, size, "%s/jwks-%s", dir, hex);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* One directive's value when it is "name=<digits>": 1 with *v, 0 when it is another
 * directive, -1 when it is this one but unreadable (a quoted or signed value). */
static int seconds_directive(const char *d, size_t len, const char *name, long *v)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(d, name, nl) || d[nl] != '=')
        return 0;
    long s = 0;
    for (size_t i = nl + 1; i < len; i++) {
        if (!isdigit((unsigned char)d[i]))
            return -1;
        s = s > JWKS_CACHE_MAX_SECS ? s : s * 10 + (d[i] - '0'); /* saturates, no overflow */
    }
    *v = s;
    return 1;
}

long jwks_cache_lifetime(const struct jwks_answer *a)
{
    if (a->cache_control_overlong)
        return 0;
    long max_age = -1;
    const char *p = a->cache_control;
    while (a->has_cache_control && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        long v = 0;
        int r = seconds_directive(p, len, "max-age", &v);
        if ((len == 8 && !strncasecmp(p, "no-store", 8)) ||
            (len == 8 && !strncasecmp(p, "no-cache", 8)) || r < 0 ||
            (r == 1 && max_age >= 0 && v != max_age))
            return 0; /* bptee does not revalidate; two max-ages that disagree mean stale */
        if (r == 1)
            max_age = v;
        p += strcspn(p, ",");
    }
    long life = max_age < 0 ? JWKS_CACHE_DEFAULT_SECS : max_age;
    if (life > JWKS_CACHE_MAX_SECS)
        life = JWKS_CACHE_MAX_SECS;
    life -= a->age;
    return life > 0 ? life : 0;
}

/* The header's "expires" when the entry is this URL's, in this format: its offset of the body. */
static int parse_entry(const char *e, size_t len, const char *url, int64_t *expires,
                       size_t *body_off)
{
    char want[URL_MAX + 8];
    size_t ml = sizeof MAGIC - 1;
    if (len < ml || memcmp(e, MAGIC, ml) || strncmp(e + ml, "expires ", 8))
        return -1;
    char *end = NULL;
    long long x = strtoll(e + ml + 8, &end, 10);
    int n = snprintf(want, sizeof want, "\nurl %s\n\n", url);
    if (!end || end == e + ml + 8 || n < 0 || (size_t)n >= sizeof want ||
        (size_t)(end - e) + (size_t)n > len || memcmp(end, want, (size_t)n))
        return -1;
    *expires = x;
    *body_off = (size_t)(end - e) + (size_t)n;
    return 0;
}

int jwks_cache_get(const char *url, int64_t now, uint8_t **body, size_t *len)
{
    char path[PATH_MAX];
    uint8_t *data = NULL;
    size_t dlen = 0, off = 0;
    int64_t expires = 0;
    if (strlen(url) > URL_MAX || entry_path(url, path, sizeof path) < 0 ||
        bptee_read_file(path, ENTRY_MAX, &data, &dlen) < 0) {
        bptee_clear_error(); /* no entry: not an error, the set is fetched */
        return 0;
    }
    int fresh = parse_entry((const char *)data, dlen, url, &expires, &off) == 0 &&
                now < expires && expires - now <= JWKS_CACHE_MAX_SECS && off < dlen;
    if (fresh && (*body = malloc(dlen - off + 1))) {
        memcpy(*body, data + off, dlen - off);
        (*body)[dlen - off] = '\0';
        *len = dlen - off;
    } else {
        fresh = 0;
    }
    bptee_free(data);
    return fresh;
}

int jwks_cache_put(const char *url, int64_t now, long lifetime, const uint8_t *body, size_t len,
                   char *err, size_t errsz)
{
    char path[PATH_MAX];
    if (strlen(url) > URL_MAX || entry_path(url, path, sizeof path) < 0) {
        snprintf(err, errsz, "no usable cache directory (set XDG_CACHE_HOME or HOME)");
        return -1;
    }
    if (lifetime <= 0) /* no-store: not even an old entry may remain */
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    size_t cap = len + strlen(url) + 96;
    char *entry = malloc(cap);
    int n = entry ? snprintf(entry, cap, MAGIC "expires %" PRId64 "\nurl %s\n\n",
                             now + lifetime, url)
                  : -1;
    int rc = -1;
    if (n > 0 && (size_t)n + len <= cap) {
        memcpy(entry + n, body, len);
        rc = bptee_write_file(path, entry, (size_t)n + len, 0600);
        if (rc < 0)
            snprintf(err, errsz, "%s", bptee_last_error());
    } else {
        snprintf(err, errsz, "out of memory");
    }
    free(entry);
    return rc < 0 ? -1 : 0;
}
