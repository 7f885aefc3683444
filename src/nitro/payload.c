// SPDX-License-Identifier: Apache-2.0
/* The attestation document (the COSE payload): a CBOR map with text keys, read by key and
 * never by position, each field's type and size checked against AWS's CDDL. Unknown and
 * duplicate keys are errors: a second "pcrs" must not be able to hide behind the first. */
#include <string.h>

#include "nitro/internal.h"
#include "util/error.h"

enum field {
    F_MODULE_ID, F_DIGEST, F_TIMESTAMP, F_PCRS, F_CERTIFICATE, F_CABUNDLE, F_PUBLIC_KEY,
    F_USER_DATA, F_NONCE, F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle", "public_key",
    "user_data", "nonce",
};
#define REQUIRED ((1u << F_MODULE_ID) | (1u << F_DIGEST) | (1u << F_TIMESTAMP) | (1u << F_PCRS) | \
                  (1u << F_CERTIFICATE) | (1u << F_CABUNDLE))

static const struct {
    const char *name;
    size_t len;
} digests[] = {{"SHA256", 32}, {"SHA384", 48}, {"SHA512", 64}};

static int text(const cbor_item_t *it, const char *what, char *out, size_t max)
{
    if (!cbor_isa_string(it) || !cbor_string_is_definite(it))
        return fail(BPTEE_EPARSE, "nitro: %s is not a definite text string", what);
    size_t n = cbor_string_length(it);
    if (n == 0 || n > max)
        return fail(BPTEE_EPARSE, "nitro: %s is %zu bytes (1..%zu)", what, n, max);
    memcpy(out, cbor_string_handle(it), n);
    out[n] = '\0';
    if (strlen(out) != n)
        return fail(BPTEE_EPARSE, "nitro: %s contains a NUL byte", what);
    return 0;
}

static int bytes(const cbor_item_t *it, const char *what, size_t min, size_t max,
                 struct bptee_nitro_bytes *out)
{
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return fail(BPTEE_EPARSE, "nitro: %s is not a definite byte string", what);
    out->data = cbor_bytestring_handle(it);
    out->len = cbor_bytestring_length(it);
    if (out->len < min || out->len > max)
        return fail(BPTEE_EPARSE, "nitro: %s is %zu bytes (%zu..%zu)", what, out->len, min, max);
    return 0;
}

/* public_key, user_data, nonce: a byte string or null. */
static int optional(const cbor_item_t *it, const char *what, int *has,
                    struct bptee_nitro_bytes *out)
{
    if (cbor_is_null(it))
        return 0;
    *has = 1;
    return bytes(it, what, 0, BPTEE_NITRO_FIELD_MAX, out);
}

static int digest_name(const cbor_item_t *it, struct bptee_nitro_document *doc)
{
    int rc = text(it, "digest", doc->digest, sizeof doc->digest - 1);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++)
        if (!strcmp(doc->digest, digests[i].name)) {
            doc->pcr_len = digests[i].len;
            return 0;
        }
    return fail(BPTEE_EPARSE, "nitro: digest '%s' is not SHA256, SHA384 or SHA512", doc->digest);
}

/* Sizes are checked against the digest once it is known (keys may come in any order). */
static int pcrs(const cbor_item_t *it, struct nitro_doc *d)
{
    struct bptee_nitro_document *doc = &d->doc;
    if (!cbor_isa_map(it) || cbor_map_size(it) == 0 || cbor_map_size(it) > BPTEE_NITRO_PCR_COUNT)
        return fail(BPTEE_EPARSE, "nitro: pcrs is not a map of 1..%d entries",
                    BPTEE_NITRO_PCR_COUNT);
    struct cbor_pair *p = cbor_map_handle(it);
    for (size_t i = 0; i < cbor_map_size(it); i++) {
        if (!cbor_isa_uint(p[i].key) || cbor_get_int(p[i].key) >= BPTEE_NITRO_PCR_COUNT)
            return fail(BPTEE_EPARSE, "nitro: PCR index is not an integer 0..%d",
                        BPTEE_NITRO_PCR_COUNT - 1);
        unsigned idx = (unsigned)cbor_get_int(p[i].key);
        if (doc->pcr_present & (1u << idx))
            return fail(BPTEE_EPARSE, "nitro: PCR%u appears twice", idx);
        struct bptee_nitro_bytes v;
        int rc = bytes(p[i].value, "a PCR value", 32, BPTEE_NITRO_PCR_MAX, &v);
        if (rc < 0)
            return rc;
        memcpy(doc->pcrs[idx], v.data, v.len);
        d->pcr_size[idx] = (uint8_t)v.len;
        doc->pcr_present |= 1u << idx;
    }
    return 0;
}

static int pcr_sizes(const struct nitro_doc *d)
{
    for (unsigned i = 0; i < BPTEE_NITRO_PCR_COUNT; i++)
        if ((d->doc.pcr_present & (1u << i)) && d->pcr_size[i] != d->doc.pcr_len)
            return fail(BPTEE_EPARSE, "nitro: PCR%u is %u bytes, digest %s needs %zu", i,
                        d->pcr_size[i], d->doc.digest, d->doc.pcr_len);
    return 0;
}

static int cabundle(const cbor_item_t *it, struct bptee_nitro_document *doc)
{
    if (!cbor_isa_array(it) || cbor_array_size(it) == 0 ||
        cbor_array_size(it) > BPTEE_NITRO_CABUNDLE_MAX)
        return fail(BPTEE_EPARSE, "nitro: cabundle is not an array of 1..%d certificates",
                    BPTEE_NITRO_CABUNDLE_MAX);
    cbor_item_t **a = cbor_array_handle(it);
    doc->n_cabundle = cbor_array_size(it);
    for (size_t i = 0; i < doc->n_cabundle; i++) {
        int rc = bytes(a[i], "a cabundle certificate", 1, BPTEE_NITRO_CERT_MAX, &doc->cabundle[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int field(enum field f, const cbor_item_t *v, struct nitro_doc *d)
{
    struct bptee_nitro_document *doc = &d->doc;
    switch (f) {
    case F_MODULE_ID: return text(v, "module_id", doc->module_id, BPTEE_NITRO_MODULE_ID_MAX);
    case F_DIGEST: return digest_name(v, doc);
    case F_TIMESTAMP:
        if (!cbor_isa_uint(v) || cbor_get_int(v) == 0)
            return fail(BPTEE_EPARSE, "nitro: timestamp is not a positive integer");
        doc->timestamp_ms = cbor_get_int(v);
        return 0;
    case F_PCRS: return pcrs(v, d);
    case F_CERTIFICATE:
        return bytes(v, "certificate", 1, BPTEE_NITRO_CERT_MAX, &doc->certificate);
    case F_CABUNDLE: return cabundle(v, doc);
    case F_PUBLIC_KEY: return optional(v, "public_key", &doc->has_public_key, &doc->public_key);
    case F_USER_DATA: return optional(v, "user_data", &doc->has_user_data, &doc->user_data);
    case F_NONCE: return optional(v, "nonce", &doc->has_nonce, &doc->nonce);
    default: return fail(BPTEE_EPARSE, "nitro: internal field error");
    }
}

static int key_of(const cbor_item_t *k, enum field *f)
{
    if (!cbor_isa_string(k) || !cbor_string_is_definite(k))
        return fail(BPTEE_EPARSE, "nitro: document key is not a text string");
    size_t n = cbor_string_length(k);
    for (int i = 0; i < F_COUNT; i++)
        if (strlen(field_names[i]) == n && !memcmp(field_names[i], cbor_string_handle(k), n)) {
            *f = (enum field)i;
            return 0;
        }
    return fail(BPTEE_EPARSE, "nitro: unknown document key '%.*s'", (int)(n > 40 ? 40 : n),
                (const char *)cbor_string_handle(k));
}

int nitro_payload_decode(struct nitro_doc *d)
{
    struct bptee_nitro_document *doc = &d->doc;
    int rc = nitro_cbor_load(doc->payload.data, doc->payload.len, "attestation document",
                             &d->payload);
    if (rc < 0)
        return rc;
    if (!cbor_isa_map(d->payload) || !cbor_map_is_definite(d->payload))
        return fail(BPTEE_EPARSE, "nitro: attestation document is not a CBOR map");
    struct cbor_pair *p = cbor_map_handle(d->payload);
    unsigned seen = 0;
    for (size_t i = 0; i < cbor_map_size(d->payload); i++) {
        enum field f = F_COUNT;
        rc = key_of(p[i].key, &f);
        if (rc < 0)
            return rc;
        if (seen & (1u << f))
            return fail(BPTEE_EPARSE, "nitro: key '%s' appears twice", field_names[f]);
        seen |= 1u << f;
        if ((rc = field(f, p[i].value, d)) < 0)
            return rc;
    }
    if ((seen & REQUIRED) != REQUIRED) {
        for (int i = 0; i < F_COUNT; i++)
            if ((REQUIRED & (1u << i)) && !(seen & (1u << i)))
                return fail(BPTEE_EPARSE, "nitro: attestation document has no %s",
                            field_names[i]);
    }
    return pcr_sizes(d);
}
