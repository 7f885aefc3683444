// SPDX-License-Identifier: Apache-2.0
/* The report's lifecycle, its scalar fields, the evidence, its digest and its age. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evidence/report.h"
#include "util/codec.h"
#include "util/error.h"

int text_check(const char *s, const char *what)
{
    /* jansson refuses to build a string from invalid UTF-8: checking here means a bad
     * value is reported by the setter that took it, not later by save. */
    json_t *probe = json_string(s);
    if (!probe)
        return fail(BPTEE_EINVAL, "%s: not valid UTF-8", what);
    json_decref(probe);
    return 0;
}

int text_dup(const char *s, const char *what, char **out)
{
    int rc = text_check(s, what);
    if (rc < 0)
        return rc;
    char *copy = strdup(s);
    if (!copy)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    *out = copy;
    return 0;
}

int text_replace(char **slot, const char *s, const char *what)
{
    char *copy = NULL;
    if (s) {
        int rc = text_dup(s, what, &copy);
        if (rc < 0)
            return rc;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

int bytes_set(struct bytes *b, const uint8_t *data, size_t len, const char *what)
{
    if (!data && len)
        return fail(BPTEE_EINVAL, "%s: NULL data with length %zu", what, len);
    /* One spare byte so an empty value still has a non-NULL buffer. */
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    if (len)
        memcpy(copy, data, len);
    free(b->data);
    b->data = copy;
    b->len = len;
    return 0;
}

void bytes_clear(struct bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

int bptee_report_new(struct bptee_report **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "report: missing output");
    struct bptee_report *r = calloc(1, sizeof *r);
    json_t *custom = json_object();
    if (!r || !custom) {
        free(r);
        json_decref(custom);
        return fail(BPTEE_ENOMEM, "report: out of memory");
    }
    r->provider = -1;
    r->format = -1;
    r->claims.custom = custom;
    *out = r;
    return 0;
}

void bptee_report_free(struct bptee_report *r)
{
    if (!r)
        return;
    free(r->mea_alg);
    free(r->mea_digest);
    bytes_clear(&r->public_key);
    free(r->key_type);
    free(r->binding_digest);
    claims_release(&r->claims);
    bytes_clear(&r->evidence);
    certs_release(r);
    free(r);
}

static int dup_text_field(char **dst, const char *src)
{
    return src ? text_dup(src, "report copy", dst) : 0;
}

static int dup_fields(struct bptee_report *d, const struct bptee_report *s)
{
    int rc;
    d->provider = s->provider;
    d->format = s->format;
    d->issued_at = s->issued_at;
    d->has_binding = s->has_binding;
    d->simulated = s->simulated;
    if ((rc = dup_text_field(&d->mea_alg, s->mea_alg)) < 0 ||
        (rc = dup_text_field(&d->mea_digest, s->mea_digest)) < 0 ||
        (rc = dup_text_field(&d->key_type, s->key_type)) < 0 ||
        (rc = dup_text_field(&d->binding_digest, s->binding_digest)) < 0)
        return rc;
    if (s->has_binding &&
        (rc = bytes_set(&d->public_key, s->public_key.data, s->public_key.len, "report copy")) < 0)
        return rc;
    if ((rc = bytes_set(&d->evidence, s->evidence.data, s->evidence.len, "report copy")) < 0)
        return rc;
    if ((rc = claims_copy(&d->claims, &s->claims)) < 0)
        return rc;
    return certs_copy(d, s);
}

int bptee_report_dup(const struct bptee_report *r, struct bptee_report **out)
{
    struct bptee_report *d = NULL;
    if (!r || !out)
        return fail(BPTEE_EINVAL, "report copy: missing argument");
    int rc = bptee_report_new(&d);
    if (rc < 0)
        return rc;
    rc = dup_fields(d, r);
    if (rc < 0) {
        bptee_report_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int bptee_report_provider(const struct bptee_report *r)
{
    return r ? r->provider : BPTEE_EINVAL;
}

int bptee_report_set_provider(struct bptee_report *r, int provider)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    if (!bptee_provider_name(provider))
        return fail(BPTEE_EINVAL, "report: provider: %d is not a provider", provider);
    r->provider = provider;
    return 0;
}

int bptee_report_format(const struct bptee_report *r)
{
    return r ? r->format : BPTEE_EINVAL;
}

int bptee_report_set_format(struct bptee_report *r, int format)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    if (!bptee_format_name(format))
        return fail(BPTEE_EINVAL, "report: format: %d is not a format", format);
    r->format = format;
    return 0;
}

uint64_t bptee_report_issued_at(const struct bptee_report *r)
{
    return r ? r->issued_at : 0;
}

int bptee_report_set_issued_at(struct bptee_report *r, uint64_t unix_seconds)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    if (unix_seconds > INT64_MAX)
        return fail(BPTEE_EINVAL, "report: issued_at: %llu exceeds 2^63-1",
                    (unsigned long long)unix_seconds);
    r->issued_at = unix_seconds;
    return 0;
}

int bptee_report_set_evidence(struct bptee_report *r, const uint8_t *data, size_t len)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    return bytes_set(&r->evidence, data, len, "report: evidence");
}

const uint8_t *bptee_report_evidence(const struct bptee_report *r, size_t *len)
{
    if (len)
        *len = r ? r->evidence.len : 0;
    return r ? r->evidence.data : NULL;
}

int bptee_report_evidence_digest(const struct bptee_report *r, char *out)
{
    uint8_t d[32];
    if (!r || !out)
        return fail(BPTEE_EINVAL, "evidence digest: missing argument");
    sha256(r->evidence.data ? r->evidence.data : (const uint8_t *)"", r->evidence.len, d);
    sodium_bin2hex(out, BPTEE_REPORT_DIGEST_HEX_SIZE, d, sizeof d);
    return 0;
}

int bptee_report_is_expired(const struct bptee_report *r, uint64_t now, uint64_t max_age)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report expiry: missing report");
    uint64_t age = now > r->issued_at ? now - r->issued_at : 0;
    return age > max_age;
}

int bptee_report_is_expired_now(const struct bptee_report *r, uint64_t max_age)
{
    struct timespec ts;
    /* blueprint-tee treats a clock failure as now=0, i.e. never expired; fail closed. */
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return fail(BPTEE_EIO, "report expiry: the wall clock is unavailable");
    return bptee_report_is_expired(r, (uint64_t)ts.tv_sec, max_age);
}
