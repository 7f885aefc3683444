// SPDX-License-Identifier: Apache-2.0
/* The typed claims: optional strings, debug mode, boot measurements and user data. */
#include <stdlib.h>
#include <string.h>

#include "evidence/report.h"
#include "util/error.h"

void claims_release(struct claims *c)
{
    free(c->platform_version);
    free(c->signer_id);
    free(c->product_id);
    for (size_t i = 0; i < c->n_boot; i++)
        free(c->boot[i]);
    free(c->boot);
    bytes_clear(&c->user_data);
    json_decref(c->custom);
    memset(c, 0, sizeof *c);
}

static int copy_text(char **dst, const char *src)
{
    return src ? text_dup(src, "claims copy", dst) : 0;
}

/* dst is a fresh report's claims (custom an empty object); on failure the owner frees it. */
int claims_copy(struct claims *dst, const struct claims *src)
{
    int rc;
    if ((rc = copy_text(&dst->platform_version, src->platform_version)) < 0 ||
        (rc = copy_text(&dst->signer_id, src->signer_id)) < 0 ||
        (rc = copy_text(&dst->product_id, src->product_id)) < 0)
        return rc;
    dst->debug_mode = src->debug_mode;
    if (src->n_boot) {
        dst->boot = calloc(src->n_boot, sizeof *dst->boot);
        if (!dst->boot)
            return fail(BPTEE_ENOMEM, "claims copy: out of memory");
        for (; dst->n_boot < src->n_boot; dst->n_boot++)
            if ((rc = copy_text(&dst->boot[dst->n_boot], src->boot[dst->n_boot])) < 0)
                return rc;
    }
    dst->has_user_data = src->has_user_data;
    if (src->has_user_data && (rc = bytes_set(&dst->user_data, src->user_data.data,
                                              src->user_data.len, "claims copy")) < 0)
        return rc;
    json_t *custom = json_deep_copy(src->custom);
    if (!custom)
        return fail(BPTEE_ENOMEM, "claims copy: out of memory");
    json_decref(dst->custom);
    dst->custom = custom;
    return 0;
}

int bptee_report_set_platform_version(struct bptee_report *r, const char *value)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    return text_replace(&r->claims.platform_version, value, "report: claims.platform_version");
}

const char *bptee_report_platform_version(const struct bptee_report *r)
{
    return r ? r->claims.platform_version : NULL;
}

int bptee_report_set_signer_id(struct bptee_report *r, const char *value)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    return text_replace(&r->claims.signer_id, value, "report: claims.signer_id");
}

const char *bptee_report_signer_id(const struct bptee_report *r)
{
    return r ? r->claims.signer_id : NULL;
}

int bptee_report_set_product_id(struct bptee_report *r, const char *value)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    return text_replace(&r->claims.product_id, value, "report: claims.product_id");
}

const char *bptee_report_product_id(const struct bptee_report *r)
{
    return r ? r->claims.product_id : NULL;
}

int bptee_report_set_debug_mode(struct bptee_report *r, int debug)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    r->claims.debug_mode = debug != 0;
    return 0;
}

int bptee_report_debug_mode(const struct bptee_report *r)
{
    return r && r->claims.debug_mode;
}

int bptee_report_add_boot_measurement(struct bptee_report *r, const char *value)
{
    char *copy = NULL;
    if (!r || !value)
        return fail(BPTEE_EINVAL, "report: claims.boot_measurements: missing argument");
    int rc = text_dup(value, "report: claims.boot_measurements", &copy);
    if (rc < 0)
        return rc;
    char **grown = realloc(r->claims.boot, (r->claims.n_boot + 1) * sizeof *grown);
    if (!grown) {
        free(copy);
        return fail(BPTEE_ENOMEM, "report: claims.boot_measurements: out of memory");
    }
    grown[r->claims.n_boot++] = copy;
    r->claims.boot = grown;
    return 0;
}

size_t bptee_report_boot_measurement_count(const struct bptee_report *r)
{
    return r ? r->claims.n_boot : 0;
}

const char *bptee_report_boot_measurement(const struct bptee_report *r, size_t i)
{
    return r && i < r->claims.n_boot ? r->claims.boot[i] : NULL;
}

int bptee_report_clear_boot_measurements(struct bptee_report *r)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    for (size_t i = 0; i < r->claims.n_boot; i++)
        free(r->claims.boot[i]);
    free(r->claims.boot);
    r->claims.boot = NULL;
    r->claims.n_boot = 0;
    return 0;
}

int bptee_report_set_user_data(struct bptee_report *r, const uint8_t *data, size_t len)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    int rc = bytes_set(&r->claims.user_data, data, len, "report: claims.user_data");
    if (rc == 0)
        r->claims.has_user_data = true;
    return rc;
}

int bptee_report_clear_user_data(struct bptee_report *r)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    bytes_clear(&r->claims.user_data);
    r->claims.has_user_data = false;
    return 0;
}

int bptee_report_user_data(const struct bptee_report *r, const uint8_t **data, size_t *len)
{
    if (!r || !r->claims.has_user_data)
        return 0;
    if (data)
        *data = r->claims.user_data.data;
    if (len)
        *len = r->claims.user_data.len;
    return 1;
}
