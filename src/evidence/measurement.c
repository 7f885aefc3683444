// SPDX-License-Identifier: Apache-2.0
/* The measurement and the optional public-key binding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/report.h"
#include "util/error.h"

int bptee_report_set_measurement(struct bptee_report *r, const char *algorithm, const char *digest)
{
    char *alg = NULL, *dig = NULL;
    if (!r || !algorithm || !digest)
        return fail(BPTEE_EINVAL, "report: measurement: missing argument");
    int rc = text_dup(algorithm, "report: measurement.algorithm", &alg);
    if (rc < 0)
        return rc;
    rc = text_dup(digest, "report: measurement.digest", &dig);
    if (rc < 0) {
        free(alg);
        return rc;
    }
    /* ASCII only, as Rust's to_ascii_lowercase: multi-byte UTF-8 is left untouched. */
    for (char *p = dig; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    free(r->mea_alg);
    free(r->mea_digest);
    r->mea_alg = alg;
    r->mea_digest = dig;
    return 0;
}

int bptee_report_set_measurement_sha256(struct bptee_report *r, const char *digest)
{
    return bptee_report_set_measurement(r, "sha256", digest);
}

int bptee_report_set_measurement_sha384(struct bptee_report *r, const char *digest)
{
    return bptee_report_set_measurement(r, "sha384", digest);
}

const char *bptee_report_measurement_algorithm(const struct bptee_report *r)
{
    return r ? r->mea_alg : NULL;
}

const char *bptee_report_measurement_digest(const struct bptee_report *r)
{
    return r ? r->mea_digest : NULL;
}

int bptee_report_measurement_string(const struct bptee_report *r, char **out)
{
    if (!r || !out)
        return fail(BPTEE_EINVAL, "report: measurement: missing argument");
    if (!r->mea_alg)
        return fail(BPTEE_EINVAL, "report: measurement: not set");
    char *s = NULL;
    if (asprintf(&s, "%s:%s", r->mea_alg, r->mea_digest) < 0)
        return fail(BPTEE_ENOMEM, "report: measurement: out of memory");
    *out = s;
    return 0;
}

int bptee_report_measurement_equal(const struct bptee_report *a, const struct bptee_report *b)
{
    if (!a || !b || !a->mea_alg || !b->mea_alg)
        return 0;
    return !strcmp(a->mea_alg, b->mea_alg) && !strcmp(a->mea_digest, b->mea_digest);
}

int bptee_report_set_binding(struct bptee_report *r, const uint8_t *public_key, size_t len,
                             const char *key_type, const char *binding_digest)
{
    struct bytes pk = {0};
    char *kt = NULL, *bd = NULL;
    int rc;
    if (!r || !key_type || !binding_digest)
        return fail(BPTEE_EINVAL, "report: public_key_binding: missing argument");
    if ((rc = bytes_set(&pk, public_key, len, "report: public_key_binding.public_key")) < 0 ||
        (rc = text_dup(key_type, "report: public_key_binding.key_type", &kt)) < 0 ||
        (rc = text_dup(binding_digest, "report: public_key_binding.binding_digest", &bd)) < 0) {
        bytes_clear(&pk);
        free(kt);
        return rc;
    }
    bptee_report_clear_binding(r);
    r->public_key = pk;
    r->key_type = kt;
    r->binding_digest = bd;
    r->has_binding = true;
    return 0;
}

int bptee_report_clear_binding(struct bptee_report *r)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    bytes_clear(&r->public_key);
    free(r->key_type);
    free(r->binding_digest);
    r->key_type = r->binding_digest = NULL;
    r->has_binding = false;
    return 0;
}

int bptee_report_binding(const struct bptee_report *r, const uint8_t **public_key, size_t *len,
                         const char **key_type, const char **binding_digest)
{
    if (!r || !r->has_binding)
        return 0;
    if (public_key)
        *public_key = r->public_key.data;
    if (len)
        *len = r->public_key.len;
    if (key_type)
        *key_type = r->key_type;
    if (binding_digest)
        *binding_digest = r->binding_digest;
    return 1;
}
