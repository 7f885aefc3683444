// SPDX-License-Identifier: Apache-2.0
/* A JWKS fetched with libcurl. libcurl is loaded with dlopen here and only here, when --jwks
 * names a URL: `bptee verify` on files must not pay for loading an HTTP client and its TLS
 * stack at start-up, and nothing else it does needs one. curl/curl.h is used for its types and
 * constants alone.
 *
 * https only, the server verified against the system CAs (libcurl's defaults, set explicitly);
 * plain http only to a loopback IP literal (tests, a local caching proxy), never through a
 * proxy. No redirects are followed: a JWKS moved elsewhere is an error to look at, not a hop to
 * take. The answer is capped at the JWKS file cap, declared (Content-Length) or streamed: a
 * larger one is refused, never truncated and parsed. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/jwks.h"

struct curl_api {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
    void (*url_cleanup)(CURLU *);
    void (*free)(void *);
};

static void set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

static int curl_load(struct curl_api *api, char *err, size_t errsz)
{
    static const struct {
        const char *name;
        size_t off;
    } syms[] = {
        {"curl_easy_init", offsetof(struct curl_api, easy_init)},
        {"curl_easy_setopt", offsetof(struct curl_api, easy_setopt)},
        {"curl_easy_perform", offsetof(struct curl_api, easy_perform)},
        {"curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo)},
        {"curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup)},
        {"curl_easy_strerror", offsetof(struct curl_api, easy_strerror)},
        {"curl_url", offsetof(struct curl_api, url)},
        {"curl_url_set", offsetof(struct curl_api, url_set)},
        {"curl_url_get", offsetof(struct curl_api, url_get)},
        {"curl_url_cleanup", offsetof(struct curl_api, url_cleanup)},
        {"curl_free", offsetof(struct curl_api, free)},
    };
    /* Kept loaded for the process's life: libcurl does not support being unloaded. */
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        set_err(err, errsz, "cannot load libcurl.so.4 (install libcurl4): %s", dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *fn = dlsym(lib, syms[i].name);
        if (!fn) {
            set_err(err, errsz, "libcurl.so.4 lacks %s (too old?)", syms[i].name);
            return -1;
        }
        memcpy((char *)api + syms[i].off, &fn, sizeof fn);
    }
    return 0;
}

/* An IP literal in 127.0.0.0/8 or ::1 (curl gives IPv6 hosts in brackets). Names are refused
 * even when they say "localhost": what a name resolves to is not in the URL. */
static int loopback_literal(const char *host)
{
    unsigned char a[16];
    char v6[64];
    size_t n = strlen(host);
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n < 3 || n - 2 >= sizeof v6 || host[0] != '[' || host[n - 1] != ']')
        return 0;
    memcpy(v6, host + 1, n - 2);
    v6[n - 2] = '\0';
    return inet_pton(AF_INET6, v6, a) == 1 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
}

/* The URL parsed once by curl (the same parse that will be fetched), its scheme checked. */
static int url_check(const struct curl_api *api, const char *url, CURLU **out, int *plain,
                     char *err, size_t errsz)
{
    char *scheme = NULL, *host = NULL;
    CURLU *u = api->url();
    int rc = -1;
    if (!u || api->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        api->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        api->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        set_err(err, errsz, "not a URL libcurl can parse");
    else if (!strcasecmp(scheme, "https") || (!strcasecmp(scheme, "http") && loopback_literal(host)))
        rc = 0;
    else if (!strcasecmp(scheme, "http"))
        set_err(err, errsz, "plain http is allowed only to a loopback address (127.0.0.0/8, "
                            "[::1]); use https");
    else
        set_err(err, errsz, "only https (or http to a loopback address) is supported");
    *plain = scheme && !strcasecmp(scheme, "http");
    api->free(scheme);
    api->free(host);
    if (rc == 0)
        *out = u;
    else if (u)
        api->url_cleanup(u);
    return rc;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    struct jwks_answer *a = userdata;
    size_t add = size * n;
    if (add > BPTEE_JWKS_MAX - a->len) {
        a->len = BPTEE_JWKS_MAX + 1; /* remembered as too large */
        return 0;                    /* makes curl fail the transfer */
    }
    memcpy(a->body + a->len, ptr, add);
    a->len += add;
    return add;
}

/* Headers of the final answer only: an interim one (100 Continue) starts the list over. */
static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
    struct jwks_answer *a = userdata;
    size_t len = size * n, used = strlen(a->cache_control);
    static const char cc[] = "cache-control:", age[] = "age:";
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
        a->cache_control[0] = '\0';
        a->has_cache_control = a->cache_control_overlong = false;
        a->age = 0;
    } else if (len > sizeof cc - 1 && !strncasecmp(line, cc, sizeof cc - 1)) {
        size_t vlen = len - (sizeof cc - 1);
        while (vlen && (line[sizeof cc - 2 + vlen] == '\n' || line[sizeof cc - 2 + vlen] == '\r'))
            vlen--;
        if (used + vlen + 2 > sizeof a->cache_control)
            a->cache_control_overlong = true;
        else
            snprintf(a->cache_control + used, sizeof a->cache_control - used, "%s%.*s",
                     used ? "," : "", (int)vlen, line + sizeof cc - 1);
        a->has_cache_control = true;
    } else if (len > sizeof age - 1 && !strncasecmp(line, age, sizeof age - 1)) {
        char *end = NULL;
        long v = strtol(line + sizeof age - 1, &end, 10);
        a->age = end && end != line + sizeof age - 1 && v > 0 ? v : 0;
    }
    return len;
}

static void setup(const struct curl_api *api, CURL *c, CURLU *u, int plain,
                  struct jwks_answer *a, char *curl_err)
{
    api->easy_setopt(c, CURLOPT_CURLU, u);
    api->easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    api->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    api->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    api->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (plain) /* a proxy would carry it off this host in the clear */
        api->easy_setopt(c, CURLOPT_PROXY, "");
    api->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    api->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, JWKS_CONNECT_TIMEOUT_SECS);
    api->easy_setopt(c, CURLOPT_TIMEOUT, JWKS_TOTAL_TIMEOUT_SECS);
    api->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BPTEE_JWKS_MAX);
    api->easy_setopt(c, CURLOPT_USERAGENT, "bptee/" BPTEE_VERSION);
    api->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    api->easy_setopt(c, CURLOPT_WRITEDATA, a);
    api->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    api->easy_setopt(c, CURLOPT_HEADERDATA, a);
    api->easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
}

static int perform(const struct curl_api *api, CURL *c, struct jwks_answer *a,
                   const char *curl_err, char *err, size_t errsz)
{
    CURLcode cc = api->easy_perform(c);
    long status = 0;
    if (cc == CURLE_FILESIZE_EXCEEDED || a->len > BPTEE_JWKS_MAX) {
        set_err(err, errsz, "the answer exceeds the %u-byte JWKS cap; refused", BPTEE_JWKS_MAX);
        return -1;
    }
    if (cc != CURLE_OK) {
        set_err(err, errsz, "fetch failed: %s", curl_err[0] ? curl_err : api->easy_strerror(cc));
        return -1;
    }
    api->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        set_err(err, errsz, "the server answered HTTP %ld%s", status,
                status / 100 == 3 ? " (redirects are not followed)" : "");
        return -1;
    }
    if (a->len == 0) {
        set_err(err, errsz, "the server answered with an empty body");
        return -1;
    }
    return 0;
}

int jwks_fetch(const char *url, struct jwks_answer *a, char *err, size_t errsz)
{
    static struct curl_api api;
    static int loaded;
    char curl_err[CURL_ERROR_SIZE] = "";
    CURLU *u = NULL;
    CURL *c = NULL;
    int plain = 0, rc = -1;
    memset(a, 0, sizeof *a);
    if (!loaded && curl_load(&api, err, errsz) < 0)
        return -1;
    loaded = 1;
    if (url_check(&api, url, &u, &plain, err, errsz) < 0)
        return -1;
    if (!(a->body = malloc(BPTEE_JWKS_MAX + 1)) || !(c = api.easy_init())) {
        set_err(err, errsz, "out of memory");
    } else {
        setup(&api, c, u, plain, a, curl_err);
        rc = perform(&api, c, a, curl_err, err, errsz);
    }
    if (c)
        api.easy_cleanup(c);
    api.url_cleanup(u);
    if (rc < 0)
        jwks_answer_release(a);
    else
        a->body[a->len] = '\0';
    return rc;
}

void jwks_answer_release(struct jwks_answer *a)
{
    free(a->body);
    memset(a, 0, sizeof *a);
}
