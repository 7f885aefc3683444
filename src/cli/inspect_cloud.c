// SPDX-License-Identifier: Apache-2.0
/* bptee inspect for cloud evidence: an AWS Nitro attestation document field by field, and a
 * JWT's header and payload as JSON. Nothing is verified. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <bptee.h>

#include "cli/inspect_cloud.h"

static void hex_line(const char *name, const uint8_t *p, size_t n)
{
    printf("  %-20s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static void opt_line(const char *name, int has, const struct bptee_nitro_bytes *b)
{
    if (has)
        hex_line(name, b->data, b->len);
    else
        printf("  %-20s (none)\n", name);
}

int inspect_nitro(const uint8_t *data, size_t len)
{
    struct bptee_nitro_document *d = NULL;
    int rc = bptee_nitro_document_parse(data, len, &d);
    if (rc < 0)
        return rc;
    char when[32];
    time_t t = (time_t)(d->timestamp_ms / 1000);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    printf("AWS Nitro Enclaves attestation document (%zu bytes, COSE_Sign1%s, ES384)\n", len,
           d->tagged ? " tagged" : "");
    printf("  %-20s %s\n", "module_id", d->module_id);
    printf("  %-20s %s\n", "digest", d->digest);
    printf("  %-20s %s (%" PRIu64 " ms)\n", "timestamp", when, d->timestamp_ms);
    for (unsigned i = 0; i < BPTEE_NITRO_PCR_COUNT; i++) {
        char name[16];
        snprintf(name, sizeof name, "pcr%u", i);
        if (d->pcr_present & (1u << i))
            hex_line(name, d->pcrs[i], d->pcr_len);
    }
    printf("  %-20s %zu bytes DER\n", "certificate", d->certificate.len);
    for (size_t i = 0; i < d->n_cabundle; i++)
        printf("  %-20s %zu bytes DER%s\n", i ? "" : "cabundle", d->cabundle[i].len,
               i ? "" : " (the root)");
    opt_line("public_key", d->has_public_key, &d->public_key);
    opt_line("user_data", d->has_user_data, &d->user_data);
    opt_line("nonce", d->has_nonce, &d->nonce);
    hex_line("signature", d->signature.data, d->signature.len);
    bptee_nitro_document_free(d);
    return 0;
}

int inspect_jwt(const uint8_t *token, size_t len)
{
    char *header = NULL, *payload = NULL;
    int rc = bptee_jwt_decode(token, len, &header, &payload);
    if (rc < 0)
        return rc;
    printf("JWT attestation token (%zu bytes; signature not verified)\nheader %s\npayload %s\n",
           len, header, payload);
    bptee_free(header);
    bptee_free(payload);
    return 0;
}
