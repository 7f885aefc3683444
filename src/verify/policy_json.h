/* SPDX-License-Identifier: Apache-2.0 */
/* Strict JSON readers for the policy file, shared by its sections (the verify module's
 * "sev_snp" and the tdx module's "tdx"): each error names the key path ("sev_snp.vmpls[1]",
 * "tdx.rtmr1[2]"); `allowed` ends with NULL. Private. */
#ifndef BPTEE_VERIFY_POLICY_JSON_H
#define BPTEE_VERIFY_POLICY_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_LIST_MAX 1024 /* entries in any one list */

int pj_check_keys(const json_t *obj, const char *path, const char *const *allowed);
int pj_bool(const json_t *v, const char *path, bool *out);
int pj_int(const json_t *v, const char *path, int64_t min, int64_t max, int64_t *out);
/* Exactly len bytes of hex, optionally after "prefix:" (e.g. "sha384:"). */
int pj_hex(const json_t *v, const char *path, const char *prefix, uint8_t *out, size_t len);
int pj_array(const json_t *v, const char *path, size_t *n);
/* A list of fixed-size hex digests (optional "prefix:"), *out calloc'd (n * size bytes). */
int pj_digests(const json_t *v, const char *path, const char *prefix, size_t size, uint8_t **out,
               size_t *n);
/* Hex of 0..max bytes, *out malloc'd (at least one byte, so "" is set but empty). */
int pj_hex_alloc(const json_t *v, const char *path, size_t max, uint8_t **out, size_t *len);

#endif
