// SPDX-License-Identifier: Apache-2.0
/* AWS Nitro Enclaves documents: verified by the nitro module against the pinned AWS root (or
 * a root the policy's "nitro" section trusts), held to that section, then turned into the
 * provider-neutral report: measurement = PCR0, PCRs as boot measurements and custom claims,
 * issued_at = the signed timestamp, the document's key as the binding when the policy pins it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "verify/internal.h"

static int set_hex_custom(struct bptee_report *r, const char *key, const uint8_t *p, size_t n)
{
    char *hex = hex_encode(p, n);
    size_t len = hex ? strlen(hex) + 3 : 0;
    char *json = hex ? malloc(len) : NULL;
    int rc = json ? 0 : fail(BPTEE_ENOMEM, "verify: out of memory");
    if (rc == 0) {
        snprintf(json, len, "\"%s\"", hex);
        rc = bptee_report_set_custom(r, key, json);
    }
    free(json);
    free(hex);
    return rc;
}

static int pcr_claims(struct bptee_report *r, const struct bptee_nitro_document *d)
{
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < BPTEE_NITRO_PCR_COUNT; i++) {
        if (!(d->pcr_present & (1u << i)))
            continue;
        char key[16], *hex = hex_encode(d->pcrs[i], d->pcr_len), *line = NULL;
        snprintf(key, sizeof key, "pcr%u", i);
        if (!hex || asprintf(&line, "%s:%s", key, hex) < 0)
            line = NULL;
        rc = line ? bptee_report_add_boot_measurement(r, line)
                  : fail(BPTEE_ENOMEM, "verify: out of memory");
        if (rc == 0)
            rc = set_hex_custom(r, key, d->pcrs[i], d->pcr_len);
        free(line);
        free(hex);
    }
    return rc;
}

static int field_claims(struct bptee_report *r, const struct bptee_nitro_document *d,
                        const struct nitro_policy *p)
{
    char json[BPTEE_NITRO_MODULE_ID_MAX + 64];
    int rc = 0;
    /* module_id holds only what the NSM writes, but quote it safely anyway */
    for (const char *c = d->module_id; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
            return fail(BPTEE_EPARSE, "verify: nitro module_id has characters JSON must escape");
    snprintf(json, sizeof json, "\"%s\"", d->module_id);
    rc = bptee_report_set_custom(r, "module_id", json);
    if (rc == 0 && d->has_nonce)
        rc = set_hex_custom(r, "nonce", d->nonce.data, d->nonce.len);
    if (rc == 0 && d->has_public_key)
        rc = set_hex_custom(r, "public_key", d->public_key.data, d->public_key.len);
    if (rc == 0 && d->has_user_data)
        rc = bptee_report_set_user_data(r, d->user_data.data, d->user_data.len);
    if (rc == 0)
        rc = set_hex_custom(r, "root", d->root_sha256, 32);
    if (rc == 0) {
        snprintf(json, sizeof json, "%llu", (unsigned long long)d->timestamp_ms);
        rc = bptee_report_set_custom(r, "timestamp_ms", json);
    }
    /* The policy checked the signed key byte for byte: that is a binding worth reporting. */
    if (rc == 0 && p->public_key.v && d->public_key.len == 32) {
        char *digest = hex_encode(d->public_key.data, 32);
        rc = digest ? bptee_report_set_binding(r, d->public_key.data, 32, "x25519", digest)
                    : fail(BPTEE_ENOMEM, "verify: out of memory");
        free(digest);
    }
    return rc;
}

static int build_output(const struct bptee_report *ev, const struct bptee_nitro_document *d,
                        const struct nitro_policy *p, struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    size_t ev_len = 0;
    const uint8_t *ev_bytes = bptee_report_evidence(ev, &ev_len);
    char alg[8], *pcr0 = hex_encode(d->pcrs[0], d->pcr_len);
    for (size_t i = 0; i < sizeof alg; i++)
        alg[i] = (char)(d->digest[i] >= 'A' && d->digest[i] <= 'Z' ? d->digest[i] + 32
                                                                    : d->digest[i]);
    int rc = pcr0 ? bptee_report_new(&r) : fail(BPTEE_ENOMEM, "verify: out of memory");
    if (rc == 0)
        rc = bptee_report_set_provider(r, BPTEE_PROVIDER_AWS_NITRO);
    if (rc == 0)
        rc = bptee_report_set_format(r, BPTEE_FORMAT_NITRO_DOCUMENT);
    if (rc == 0)
        rc = bptee_report_set_issued_at(r, d->timestamp_ms / 1000);
    if (rc == 0)
        rc = bptee_report_set_measurement(r, alg, pcr0);
    if (rc == 0)
        rc = bptee_report_set_debug_mode(r, all_zero(d->pcrs[0], d->pcr_len));
    if (rc == 0)
        rc = bptee_report_set_simulated(r, d->foreign_root);
    if (rc == 0)
        rc = bptee_report_set_evidence(r, ev_bytes, ev_len);
    if (rc == 0)
        rc = pcr_claims(r, d);
    if (rc == 0)
        rc = field_claims(r, d, p);
    free(pcr0);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int verify_nitro(const struct bptee_report *ev, const struct bptee_verify_opts *o,
                 const struct bptee_policy *p, struct bptee_report **out)
{
    size_t len = 0;
    const uint8_t *doc_bytes = bptee_report_evidence(ev, &len);
    if (!doc_bytes || len == 0)
        return fail(BPTEE_EPARSE, "verify: evidence carries no Nitro document");
    BPTEE_OPTS(bptee_nitro_verify_opts, no, .at = o->at,
               .trusted_roots = (const uint8_t(*)[32])p->nitro.trusted_roots,
               .n_trusted_roots = p->nitro.n_trusted_roots);
    struct bptee_nitro_document *doc = NULL;
    int rc = bptee_nitro_verify(doc_bytes, len, &no, &doc);
    if (rc == 0)
        rc = policy_nitro_check(&p->nitro, doc);
    if (rc == 0)
        rc = build_output(ev, doc, &p->nitro, out);
    bptee_nitro_document_free(doc);
    return rc;
}
