// SPDX-License-Identifier: Apache-2.0
/* The "nitro" section of a verification policy: PCR expectations, debug enclaves (PCR0 all
 * zero) refused unless allowed, and exact nonce, user_data and public_key values (the key
 * binding of DESIGN.md contract 3 lives in the document itself). Whatever is pinned must be
 * present: a document without the field is rejected, never waved through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "verify/policy.h"

static const char *const nitro_keys[] = {
    "allow_debug", "nonce", "user_data", "public_key", "trusted_roots",
    "pcr0",  "pcr1",  "pcr2",  "pcr3",  "pcr4",  "pcr5",  "pcr6",  "pcr7",  "pcr8",  "pcr9",
    "pcr10", "pcr11", "pcr12", "pcr13", "pcr14", "pcr15", "pcr16", "pcr17", "pcr18", "pcr19",
    "pcr20", "pcr21", "pcr22", "pcr23", "pcr24", "pcr25", "pcr26", "pcr27", "pcr28", "pcr29",
    "pcr30", "pcr31", NULL,
};
#define PCR_KEYS_AT 5 /* nitro_keys[PCR_KEYS_AT + i] is "pcr<i>" */

void policy_nitro_release(struct nitro_policy *p)
{
    for (int i = 0; i < BPTEE_NITRO_PCR_COUNT; i++)
        free(p->pcr[i].vals);
    free(p->nonce.v);
    free(p->user_data.v);
    free(p->public_key.v);
    free(p->trusted_roots);
    memset(p, 0, sizeof *p);
}

static int pcr_value(const json_t *v, const char *path, struct nitro_pcr_rule *r, size_t i)
{
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = pj_hex_alloc(v, path, BPTEE_NITRO_PCR_MAX, &b, &len);
    if (rc < 0)
        return rc;
    if ((len != 32 && len != 48 && len != 64) || (i > 0 && len != r->len)) {
        free(b);
        return fail(BPTEE_EPARSE, "policy: %s: expected %s hex digits", path,
                    i > 0 ? "as many" : "64, 96 or 128");
    }
    r->len = len;
    memcpy(r->vals + i * BPTEE_NITRO_PCR_MAX, b, len);
    free(b);
    return 0;
}

/* One hex string or an array of them (an empty array accepts nothing). */
static int pcr_rule(const json_t *v, const char *path, struct nitro_pcr_rule *r)
{
    bool list = json_is_array(v);
    size_t n = 1;
    int rc = list ? pj_array(v, path, &n) : 0;
    if (rc < 0)
        return rc;
    if (!(r->vals = calloc(n ? n : 1, BPTEE_NITRO_PCR_MAX)))
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    r->n = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char item[64];
        snprintf(item, sizeof item, list ? "%s[%zu]" : "%s", path, i);
        rc = pcr_value(list ? json_array_get(v, i) : v, item, r, i);
    }
    return rc;
}

static int bytes_rule(const json_t *obj, const char *key, struct nitro_bytes_rule *r)
{
    const json_t *v = json_object_get(obj, key);
    char path[64];
    snprintf(path, sizeof path, "nitro.%s", key);
    return v ? pj_hex_alloc(v, path, BPTEE_NITRO_FIELD_MAX, &r->v, &r->len) : 0;
}

int policy_nitro_parse(const json_t *obj, struct nitro_policy *p)
{
    int rc = pj_check_keys(obj, "nitro", nitro_keys);
    const json_t *v;
    if (rc == 0 && (v = json_object_get(obj, "allow_debug")))
        rc = pj_bool(v, "nitro.allow_debug", &p->allow_debug);
    if (rc == 0 && (v = json_object_get(obj, "trusted_roots")))
        rc = pj_digests(v, "nitro.trusted_roots", "sha256", 32, (uint8_t **)&p->trusted_roots,
                        &p->n_trusted_roots);
    if (rc == 0)
        rc = bytes_rule(obj, "nonce", &p->nonce);
    if (rc == 0)
        rc = bytes_rule(obj, "user_data", &p->user_data);
    if (rc == 0)
        rc = bytes_rule(obj, "public_key", &p->public_key);
    for (int i = 0; rc == 0 && i < BPTEE_NITRO_PCR_COUNT; i++) {
        char path[32];
        snprintf(path, sizeof path, "nitro.%s", nitro_keys[PCR_KEYS_AT + i]);
        if ((v = json_object_get(obj, nitro_keys[PCR_KEYS_AT + i]))) {
            p->has_pcr[i] = true;
            rc = pcr_rule(v, path, &p->pcr[i]);
        }
    }
    return rc;
}

static int check_pcr(const struct nitro_pcr_rule *r, unsigned i,
                     const struct bptee_nitro_document *doc)
{
    if (!(doc->pcr_present & (1u << i)))
        return fail(BPTEE_EPOLICY, "policy: nitro: expected a PCR%u but the document has none",
                    i);
    for (size_t k = 0; k < r->n; k++)
        if (r->len == doc->pcr_len && !memcmp(r->vals + k * BPTEE_NITRO_PCR_MAX, doc->pcrs[i],
                                              r->len))
            return 0;
    return fail(BPTEE_EPOLICY, "policy: nitro: PCR%u is not one of nitro.pcr%u", i, i);
}

static int check_bytes(const struct nitro_bytes_rule *r, const char *name, int has,
                       const struct bptee_nitro_bytes *b)
{
    if (!r->v)
        return 0;
    if (!has)
        return fail(BPTEE_EPOLICY, "policy: nitro: expected a %s but the document has none",
                    name);
    if (b->len != r->len || (r->len && memcmp(b->data, r->v, r->len)))
        return fail(BPTEE_EPOLICY, "policy: nitro: %s does not match nitro.%s", name, name);
    return 0;
}

int policy_nitro_check(const struct nitro_policy *p, const struct bptee_nitro_document *doc)
{
    if (!(doc->pcr_present & 1u))
        return fail(BPTEE_EPOLICY, "policy: nitro: the document has no PCR0");
    if (!p->allow_debug && all_zero(doc->pcrs[0], doc->pcr_len))
        return fail(BPTEE_EPOLICY, "policy: nitro: PCR0 is all zero (a debug-mode enclave); "
                                   "nitro.allow_debug is false");
    for (unsigned i = 0; i < BPTEE_NITRO_PCR_COUNT; i++) {
        int rc = p->has_pcr[i] ? check_pcr(&p->pcr[i], i, doc) : 0;
        if (rc < 0)
            return rc;
    }
    int rc = check_bytes(&p->nonce, "nonce", doc->has_nonce, &doc->nonce);
    if (rc == 0)
        rc = check_bytes(&p->user_data, "user_data", doc->has_user_data, &doc->user_data);
    if (rc == 0)
        rc = check_bytes(&p->public_key, "public_key", doc->has_public_key, &doc->public_key);
    return rc;
}
