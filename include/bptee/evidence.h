/* SPDX-License-Identifier: Apache-2.0 */
/* The provider-neutral attestation report (blueprint-tee's AttestationReport): who produced
 * the evidence, in which format, when, the measurement, an optional public-key binding, typed
 * claims and the raw evidence bytes, with a JSON encoding blueprint-tee reads and writes.
 * docs/evidence.md specifies the JSON.
 *
 * Borrowed pointers returned by getters stay valid until the field is changed or the report
 * is freed. Strings must be UTF-8 (JSON can carry nothing else). A report has no lock: share
 * it between threads only read-only. */
#ifndef BPTEE_EVIDENCE_H
#define BPTEE_EVIDENCE_H

#include <bptee/common.h>
#include <bptee/provider.h>

/* Evidence formats, spelled as blueprint-tee's AttestationFormat serializes them. */
enum bptee_format {
    BPTEE_FORMAT_NITRO_DOCUMENT = 0,
    BPTEE_FORMAT_TDX_QUOTE = 1,
    BPTEE_FORMAT_SEV_SNP_REPORT = 2,
    BPTEE_FORMAT_AZURE_MAA_TOKEN = 3,
    BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN = 4,
    BPTEE_FORMAT_MOCK = 5,
};
#define BPTEE_FORMAT_COUNT 6

/* Largest report JSON bptee_report_load_json accepts (integer arrays take ~4 bytes a byte). */
#define BPTEE_REPORT_JSON_MAX (4u << 20)
/* Size of the buffer bptee_report_evidence_digest fills: 64 hex digits and a NUL. */
#define BPTEE_REPORT_DIGEST_HEX_SIZE 65

/* bptee_report_save_json flags. Byte fields are base64 strings unless BYTE_ARRAYS asks for
 * blueprint-tee's JSON integer arrays (what its serde reader requires). */
#define BPTEE_REPORT_JSON_BYTE_ARRAYS (1u << 0)
#define BPTEE_REPORT_JSON_PRETTY (1u << 1)

struct bptee_report;

/* "nitro_document", "tdx_quote", "sev_snp_report", "azure_maa_token",
 * "gcp_confidential_token", "mock"; NULL if unknown. */
BPTEE_API const char *bptee_format_name(int format);
/* Parse a format name (exact spelling); BPTEE_EPARSE naming the value otherwise. */
BPTEE_API int bptee_format_parse(const char *name, int *format);

/* A report with provider, format and measurement unset (bptee_report_save_json refuses it
 * until they are set), issued_at 0, no binding, default claims and empty evidence. */
BPTEE_API int bptee_report_new(struct bptee_report **out);
BPTEE_API void bptee_report_free(struct bptee_report *r);
/* A deep copy. */
BPTEE_API int bptee_report_dup(const struct bptee_report *r, struct bptee_report **out);

/* Provider and format: the enum value, or a negative value while unset. */
BPTEE_API int bptee_report_provider(const struct bptee_report *r);
BPTEE_API int bptee_report_set_provider(struct bptee_report *r, int provider);
BPTEE_API int bptee_report_format(const struct bptee_report *r);
BPTEE_API int bptee_report_set_format(struct bptee_report *r, int format);

/* Unix seconds; values above INT64_MAX are refused (JSON readers stop at 2^63-1). */
BPTEE_API uint64_t bptee_report_issued_at(const struct bptee_report *r);
BPTEE_API int bptee_report_set_issued_at(struct bptee_report *r, uint64_t unix_seconds);

/* Measurement {algorithm, digest}. The setters lowercase the digest (ASCII), as
 * blueprint-tee's Measurement::new does; loading JSON keeps it as written. No hex or length
 * check: the measurement is whatever the provider's verifier put there. */
BPTEE_API int bptee_report_set_measurement(struct bptee_report *r, const char *algorithm, const char *digest);
BPTEE_API int bptee_report_set_measurement_sha256(struct bptee_report *r, const char *digest);
BPTEE_API int bptee_report_set_measurement_sha384(struct bptee_report *r, const char *digest);
/* NULL while unset. */
BPTEE_API const char *bptee_report_measurement_algorithm(const struct bptee_report *r);
BPTEE_API const char *bptee_report_measurement_digest(const struct bptee_report *r);
/* "algorithm:digest" (Measurement's Display) into a string released with bptee_free. */
BPTEE_API int bptee_report_measurement_string(const struct bptee_report *r, char **out);
/* 1 when both measurements are set and equal in algorithm and digest (exact bytes), else 0. */
BPTEE_API int bptee_report_measurement_equal(const struct bptee_report *a, const struct bptee_report *b);

/* Optional public-key binding. The getter returns 1 and fills the non-NULL outputs when a
 * binding is present, 0 when absent. */
BPTEE_API int bptee_report_set_binding(struct bptee_report *r, const uint8_t *public_key, size_t len, const char *key_type, const char *binding_digest);
BPTEE_API int bptee_report_clear_binding(struct bptee_report *r);
BPTEE_API int bptee_report_binding(const struct bptee_report *r, const uint8_t **public_key, size_t *len, const char **key_type, const char **binding_digest);

/* Raw provider evidence (copied in). The getter's pointer may be NULL when *len is 0. */
BPTEE_API int bptee_report_set_evidence(struct bptee_report *r, const uint8_t *data, size_t len);
BPTEE_API const uint8_t *bptee_report_evidence(const struct bptee_report *r, size_t *len);

/* Lowercase hex SHA-256 of the evidence into out[BPTEE_REPORT_DIGEST_HEX_SIZE]. */
BPTEE_API int bptee_report_evidence_digest(const struct bptee_report *r, char *out);

/* 1 if now - issued_at > max_age seconds (saturating: a report from the future never
 * expires), 0 if not, negative on error (treat as expired). */
BPTEE_API int bptee_report_is_expired(const struct bptee_report *r, uint64_t now, uint64_t max_age);
/* The same against the wall clock; a clock failure is an error, never "fresh". */
BPTEE_API int bptee_report_is_expired_now(const struct bptee_report *r, uint64_t max_age);

/* Claims. Optional strings: NULL clears, the getter returns NULL when absent. */
BPTEE_API int bptee_report_set_platform_version(struct bptee_report *r, const char *value);
BPTEE_API const char *bptee_report_platform_version(const struct bptee_report *r);
BPTEE_API int bptee_report_set_signer_id(struct bptee_report *r, const char *value);
BPTEE_API const char *bptee_report_signer_id(const struct bptee_report *r);
BPTEE_API int bptee_report_set_product_id(struct bptee_report *r, const char *value);
BPTEE_API const char *bptee_report_product_id(const struct bptee_report *r);
BPTEE_API int bptee_report_set_debug_mode(struct bptee_report *r, int debug);
/* 1 when the claims say debug mode, else 0. */
BPTEE_API int bptee_report_debug_mode(const struct bptee_report *r);

/* Boot measurements, in order; the getter returns NULL past the end. */
BPTEE_API int bptee_report_add_boot_measurement(struct bptee_report *r, const char *value);
BPTEE_API size_t bptee_report_boot_measurement_count(const struct bptee_report *r);
BPTEE_API const char *bptee_report_boot_measurement(const struct bptee_report *r, size_t i);
BPTEE_API int bptee_report_clear_boot_measurements(struct bptee_report *r);

/* Optional user data: set (possibly empty) or absent. The getter returns 1 when present. */
BPTEE_API int bptee_report_set_user_data(struct bptee_report *r, const uint8_t *data, size_t len);
BPTEE_API int bptee_report_clear_user_data(struct bptee_report *r);
BPTEE_API int bptee_report_user_data(const struct bptee_report *r, const uint8_t **data, size_t *len);

/* Custom claims: key -> any JSON value, given and returned as JSON text. json_value NULL
 * removes the key. The getter returns 1 and (when json_out is not NULL) a compact JSON string
 * released with bptee_free, or 0 when the key is absent. */
BPTEE_API int bptee_report_set_custom(struct bptee_report *r, const char *key, const char *json_value);
BPTEE_API int bptee_report_custom(const struct bptee_report *r, const char *key, char **json_out);
BPTEE_API size_t bptee_report_custom_count(const struct bptee_report *r);
/* All custom claims as one JSON object, keys sorted as blueprint-tee writes them. */
BPTEE_API int bptee_report_custom_json(const struct bptee_report *r, char **json_out);

/* bptee extension: evidence produced by the software TEE (sim), not by hardware. Written to
 * JSON only when set; a verifier must not trust it without an explicit policy. */
BPTEE_API int bptee_report_set_simulated(struct bptee_report *r, int simulated);
BPTEE_API int bptee_report_simulated(const struct bptee_report *r);

/* bptee extension: certificates carried beside the evidence, each with a kind ("vcek",
 * "vlek", "ask", "asvk", "ark", "pck_chain", ...) and its DER bytes, in the order added. */
BPTEE_API int bptee_report_add_certificate(struct bptee_report *r, const char *kind, const uint8_t *der, size_t len);
BPTEE_API size_t bptee_report_certificate_count(const struct bptee_report *r);
/* BPTEE_ENOTFOUND past the end. */
BPTEE_API int bptee_report_certificate(const struct bptee_report *r, size_t i, const char **kind, const uint8_t **der, size_t *len);
/* The first certificate of that kind: 1 and filled outputs if found, 0 if not. */
BPTEE_API int bptee_report_find_certificate(const struct bptee_report *r, const char *kind, const uint8_t **der, size_t *len);
BPTEE_API int bptee_report_clear_certificates(struct bptee_report *r);

/* Read a report from JSON: blueprint-tee's (byte fields as integer arrays) or bptee's (also
 * base64 strings). Unknown keys are ignored; a missing or malformed field is BPTEE_EPARSE
 * with the field's path in the reason ("report: claims.user_data[3]: ..."). */
BPTEE_API int bptee_report_load_json(const char *json, size_t len, struct bptee_report **out);
/* Write a report as JSON (flags BPTEE_REPORT_JSON_*) into a string released with bptee_free.
 * Key order and omissions are blueprint-tee's serde output. */
BPTEE_API int bptee_report_save_json(const struct bptee_report *r, unsigned flags, char **json_out);

#endif
