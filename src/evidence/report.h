/* SPDX-License-Identifier: Apache-2.0 */
/* The report's layout and the helpers its source files share (private to the module). */
#ifndef BPTEE_EVIDENCE_REPORT_H
#define BPTEE_EVIDENCE_REPORT_H

#include <jansson.h>
#include <stdbool.h>

#include <bptee/evidence.h>

struct bytes {
    uint8_t *data;
    size_t len;
};

struct cert {
    char *kind;
    struct bytes der;
};

struct claims {
    char *platform_version; /* NULL = None */
    char *signer_id;
    char *product_id;
    bool debug_mode;
    char **boot;
    size_t n_boot;
    bool has_user_data;
    struct bytes user_data;
    json_t *custom; /* always an object */
};

struct bptee_report {
    int provider; /* -1 until set */
    int format;   /* -1 until set */
    uint64_t issued_at;
    char *mea_alg; /* NULL until set */
    char *mea_digest;
    bool has_binding;
    struct bytes public_key;
    char *key_type;
    char *binding_digest;
    struct claims claims;
    struct bytes evidence;
    bool simulated;
    struct cert *certs;
    size_t n_certs;
};

/* Refuse a string that is not UTF-8 (json_string would fail on it at save time). */
int text_check(const char *s, const char *what);
/* Copy a UTF-8 string (JSON strings can hold nothing else); the error names `what`. */
int text_dup(const char *s, const char *what, char **out);
/* Replace *slot by a copy of s (NULL clears). */
int text_replace(char **slot, const char *s, const char *what);

/* Replace b by a copy of data[len] (data may be NULL only when len is 0). */
int bytes_set(struct bytes *b, const uint8_t *data, size_t len, const char *what);
void bytes_clear(struct bytes *b);

void claims_release(struct claims *c);
int claims_copy(struct claims *dst, const struct claims *src);
void certs_release(struct bptee_report *r);
int certs_copy(struct bptee_report *dst, const struct bptee_report *src);

/* A deep copy of a JSON value with every object's keys in byte order (serde's BTreeMap). */
json_t *json_sorted_copy(const json_t *v);

/* Serialize as serde_json does (compact, or 2-space indented with BPTEE_REPORT_JSON_PRETTY):
 * insertion order, lowercase \u escapes; malloc'd, NULL on out of memory. */
char *json_dump_serde(const json_t *v, unsigned flags);

/* Byte fields in JSON: integer arrays (blueprint-tee) or base64 strings (bptee). */
json_t *json_from_bytes(const struct bytes *b, unsigned flags);
int json_to_bytes(const json_t *v, const char *path, struct bytes *out);
const char *json_type_name(const json_t *v);

#endif
