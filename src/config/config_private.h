/* SPDX-License-Identifier: Apache-2.0 */
/* The config module's insides: the struct, enum spelling tables and strict JSON readers. */
#ifndef BPTEE_CONFIG_PRIVATE_H
#define BPTEE_CONFIG_PRIVATE_H

#include <jansson.h>

#include <bptee/config.h>

/* An allow list's providers in the order they were written (duplicates dropped), so a config
 * saves its list as it was loaded or built; the selector's bit set stays what is checked. */
struct selector_order {
    uint8_t provider[BPTEE_PROVIDER_COUNT];
    uint8_t n;
};

struct bptee_config {
    enum bptee_tee_requirement requirement;
    enum bptee_tee_mode mode;
    struct bptee_provider_selector selector;
    struct selector_order selector_order; /* n == 0: enum order */
    struct bptee_key_exchange_config key_exchange;
    uint64_t max_attestation_age_secs;
    enum bptee_secret_injection secret_injection;
    enum bptee_attestation_freshness freshness;
    enum bptee_public_key_policy public_key_policy;
    char *policy_file; /* never NULL */
    enum bptee_evidence_provider evidence_provider;
    char *tsm_report_path; /* never NULL */
    char *sev_guest_path;  /* never NULL */
    char *tdx_guest_path;  /* never NULL */
    char *sim_state_dir;   /* NULL: the simulator's default */
    char *owners_json;     /* compact "bptee.owners", NULL when absent */
};

/* A builder is a config of chosen fields; build() derives the rest. */
struct bptee_config_builder {
    struct bptee_config cfg;
};

#define PROVIDER_MASK_ALL ((1u << BPTEE_PROVIDER_COUNT) - 1)

/* Fill cfg with the defaults (allocating its strings) / release its strings. */
int config_init_defaults(struct bptee_config *cfg);
void config_release(struct bptee_config *cfg);
/* Deep copy of src into dst (dst uninitialised). */
int config_copy(struct bptee_config *dst, const struct bptee_config *src);
/* Replace *slot by a copy of path (NULL: a copy of dflt, or NULL when dflt is NULL). */
int config_set_path(char **slot, const char *path, const char *dflt, const char *what,
                    int allow_empty);
/* Rule 1 alone (what build() applies) and both rules (validate and load). */
int config_check_rule1(const struct bptee_config *cfg);
int config_check_rules(const struct bptee_config *cfg);
/* The secret injection blueprint-tee's builder derives from a mode. */
enum bptee_secret_injection config_derived_injection(enum bptee_tee_mode mode);

/* An enum's serde spellings, indexed by value. */
struct enum_table {
    const char *what; /* "tee mode", used by the public _parse functions */
    const char *const *names;
    int count;
};
extern const struct enum_table mode_table, requirement_table, injection_table, freshness_table,
    key_policy_table, lifecycle_table, evidence_table, provider_table;

int enum_lookup(const struct enum_table *t, const char *name);
const char *enum_name(const struct enum_table *t, int value);
/* "a, b or c" into buf. */
void enum_expected(const struct enum_table *t, char *buf, size_t size);
/* A value quoted for a one-line message: printable ASCII only, truncated. */
void quote_value(const char *s, char *buf, size_t size);

/* Strict readers of one JSON value; failures read `WHAT: "PATH": reason` (BPTEE_EPARSE). */
int jread_enum(json_t *v, const char *what, const char *path, const struct enum_table *t, int *out);
int jread_u64(json_t *v, const char *what, const char *path, uint64_t *out);
int jread_bool(json_t *v, const char *what, const char *path, bool *out);
int jread_string(json_t *v, const char *what, const char *path, const char **out);
int jread_object(json_t *v, const char *what, const char *path);
/* order (may be NULL) receives the allow list's order. */
int jread_selector(json_t *v, const char *what, const char *path,
                   struct bptee_provider_selector *out, struct selector_order *order);
/* Record provider in order unless it is there already. */
void selector_order_add(struct selector_order *order, int provider);
int jmissing(const char *what, const char *path);
/* "object", "string", "non-integer number", ... for messages. */
const char *jtype_name(const json_t *v);
/* Parse len bytes (capped, duplicates rejected). An integer beyond jansson's range is blamed
 * on the field at one of int_paths ("a.b", NULL-terminated) that holds it. */
int jparse(const char *buf, size_t len, const char *what, const char *const *int_paths,
           json_t **out);
/* The provider selector as blueprint-tee writes it: the providers of order first (NULL: none),
 * then any others the selector allows, in enum order. */
json_t *selector_to_json(const struct bptee_provider_selector *sel,
                         const struct selector_order *order);
/* Check an owners value (bptee_owners_from_json) and store it compactly in *slot. */
int config_set_owners(char **slot, json_t *value, const char *what);

#endif
