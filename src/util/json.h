/* SPDX-License-Identifier: Apache-2.0 */
/* jansson helpers: capped, duplicate-rejecting loads with located errors. */
#ifndef BPTEE_UTIL_JSON_H
#define BPTEE_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Default cap for JSON documents bptee reads (configs, policies, wire types). */
#define JSON_MAX_DEFAULT (1u << 20)

/* Parse len bytes of JSON (rejecting duplicate keys and inputs over max bytes); errors read
 * "WHAT: line L column C: reason". */
int json_parse_capped(const char *buf, size_t len, size_t max, const char *what, json_t **out);

/* Serialize compactly or indented (2 spaces), keys in insertion order; malloc'd string. */
char *json_to_string(const json_t *j, int pretty);

/* The first key of obj (an object) that allowed (NULL-terminated) does not list, or NULL:
 * the one check behind every "unknown key" error, so a typo never weakens a document. */
const char *json_unknown_key(const json_t *obj, const char *const *allowed);

void json_release(json_t **j);
#define _cleanup_json_ __attribute__((cleanup(json_release)))

#endif
