// SPDX-License-Identifier: Apache-2.0
/* The "azure_maa" and "gcp_confidential" sections: what a verified token's claims must say.
 * blueprint-tee's claim policy, failing closed where it was lenient: iss is required and must
 * be allowed, a pinned audience, nonce, image digest or measurement that the token lacks is a
 * rejection, and a token that says nothing about debugging counts as debug. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bptee/jwt.h>

#include "util/error.h"
#include "verify/policy.h"

#define GCP_ISSUER "https://confidentialcomputing.googleapis.com"
#define AZURE_HOST_SUFFIX ".attest.azure.net"

static const char *const jwt_keys[] = {
    "issuers", "audience", "nonce", "image_digest", "launch_measurement", "compliance_status",
    "attestation_types", "allow_debug", "leeway_secs", "jwks", NULL,
};

void policy_jwt_init(struct jwt_policy *p, const char *section)
{
    memset(p, 0, sizeof *p);
    p->section = section;
    snprintf(p->jwks_key, sizeof p->jwks_key, "%s.jwks", section);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; l && i < n; i++)
        free(l[i]);
    free(l);
}

void policy_jwt_release(struct jwt_policy *p)
{
    free_list(p->issuers, p->n_issuers);
    free_list(p->attestation_types, p->n_attestation_types);
    free(p->audience);
    free(p->nonce);
    free(p->image_digest);
    free(p->launch_measurement);
    free(p->compliance_status);
    free(p->jwks);
    policy_jwt_init(p, p->section);
}

static int str_value(const json_t *v, const char *path, char **out)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(BPTEE_EPARSE, "policy: %s: expected a non-empty string", path);
    return (*out = strdup(json_string_value(v))) ? 0 : fail(BPTEE_ENOMEM, "policy: out of memory");
}

static int str_list(const json_t *v, const char *path, char ***out, size_t *n)
{
    int rc = pj_array(v, path, n);
    if (rc < 0)
        return rc;
    if (!(*out = calloc(*n ? *n : 1, sizeof **out)))
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    for (size_t i = 0; rc == 0 && i < *n; i++) {
        char item[80];
        snprintf(item, sizeof item, "%s[%zu]", path, i);
        rc = str_value(json_array_get(v, i), item, &(*out)[i]);
    }
    return rc;
}

/* Fetching is the caller's (the CLI's), over http(s) alone: another scheme written here would
 * otherwise be read as a relative file name. */
static int check_jwks_location(const struct jwt_policy *p)
{
    if (!strstr(p->jwks, "://") || !strncasecmp(p->jwks, "https://", 8) || !strncasecmp(p->jwks, "http://", 7))
        return 0;
    return fail(BPTEE_EPARSE, "policy: %s: '%.100s' is neither a file nor an http(s) URL",
                p->jwks_key, p->jwks);
}

int policy_jwt_parse(const json_t *obj, struct jwt_policy *p)
{
    static const char *const strings[] = {"audience", "nonce", "image_digest",
                                          "launch_measurement", "compliance_status", "jwks"};
    char **dst[] = {&p->audience, &p->nonce, &p->image_digest, &p->launch_measurement,
                    &p->compliance_status, &p->jwks};
    char path[80];
    int rc = pj_check_keys(obj, p->section, jwt_keys);
    const json_t *v;
    for (size_t i = 0; rc == 0 && i < sizeof strings / sizeof strings[0]; i++) {
        snprintf(path, sizeof path, "%s.%s", p->section, strings[i]);
        if ((v = json_object_get(obj, strings[i])))
            rc = str_value(v, path, dst[i]);
    }
    snprintf(path, sizeof path, "%s.issuers", p->section);
    if (rc == 0 && (v = json_object_get(obj, "issuers")))
        rc = str_list(v, path, &p->issuers, &p->n_issuers);
    snprintf(path, sizeof path, "%s.attestation_types", p->section);
    if (rc == 0 && (v = json_object_get(obj, "attestation_types")))
        rc = str_list(v, path, &p->attestation_types, &p->n_attestation_types);
    snprintf(path, sizeof path, "%s.allow_debug", p->section);
    if (rc == 0 && (v = json_object_get(obj, "allow_debug")))
        rc = pj_bool(v, path, &p->allow_debug);
    snprintf(path, sizeof path, "%s.leeway_secs", p->section);
    if (rc == 0 && (v = json_object_get(obj, "leeway_secs")))
        rc = pj_int(v, path, 1, BPTEE_JWT_LEEWAY_MAX, &p->leeway_secs);
    if (rc == 0 && p->jwks)
        rc = check_jwks_location(p);
    return rc;
}

int bptee_policy_jwks(const struct bptee_policy *p, int format, const char **location,
                      const char **key)
{
    if (!location || !key)
        return fail(BPTEE_EINVAL, "policy: missing argument");
    const struct jwt_policy *jp = NULL;
    if (p && format == BPTEE_FORMAT_AZURE_MAA_TOKEN)
        jp = &p->azure;
    else if (p && format == BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN)
        jp = &p->gcp;
    *location = jp ? jp->jwks : NULL;
    *key = *location ? jp->jwks_key : NULL;
    return *location != NULL;
}

/* An Azure Attestation instance: https://<name>[.<region>].attest.azure.net, nothing after. */
static bool azure_instance(const char *iss)
{
    static const char scheme[] = "https://";
    size_t n = strlen(iss), sl = sizeof AZURE_HOST_SUFFIX - 1;
    if (strncmp(iss, scheme, sizeof scheme - 1) || n <= sizeof scheme - 1 + sl ||
        strcmp(iss + n - sl, AZURE_HOST_SUFFIX))
        return false;
    for (const char *c = iss + sizeof scheme - 1; c < iss + n - sl; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
            return false;
    return true;
}

static int check_issuer(const struct jwt_policy *p, const json_t *c, bool azure)
{
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (!iss)
        return fail(BPTEE_EPOLICY, "policy: %s: token has no iss", p->section);
    for (size_t i = 0; i < p->n_issuers; i++)
        if (!strcmp(iss, p->issuers[i]))
            return 0;
    if (!p->issuers && (azure ? azure_instance(iss) : !strcmp(iss, GCP_ISSUER)))
        return 0;
    return fail(BPTEE_EPOLICY, "policy: %s: issuer '%.100s' is not allowed", p->section, iss);
}

/* aud: a string or an array of strings (RFC 7519); any match. */
static int check_audience(const struct jwt_policy *p, const json_t *c)
{
    const json_t *aud = json_object_get(c, "aud");
    if (!p->audience)
        return 0;
    if (json_is_string(aud) && !strcmp(json_string_value(aud), p->audience))
        return 0;
    for (size_t i = 0; json_is_array(aud) && i < json_array_size(aud); i++)
        if (json_is_string(json_array_get(aud, i)) &&
            !strcmp(json_string_value(json_array_get(aud, i)), p->audience))
            return 0;
    return fail(BPTEE_EPOLICY, "policy: %s: token audience %s '%s'", p->section,
                aud ? "does not include" : "is absent, expected", p->audience);
}

static bool str_eq(const json_t *v, const char *want, bool nocase)
{
    return json_is_string(v) &&
           (nocase ? !strcasecmp(json_string_value(v), want) : !strcmp(json_string_value(v), want));
}

/* Nonce claims: eat_nonce (string or array, any element), nonce, and Azure's client payload. */
static int check_nonce(const struct jwt_policy *p, const json_t *c)
{
    if (!p->nonce)
        return 0;
    const json_t *eat = json_object_get(c, "eat_nonce");
    const json_t *cands[] = {eat, json_object_get(c, "nonce"),
                             json_object_get(json_object_get(json_object_get(c, "x-ms-runtime"),
                                                             "client-payload"),
                                             "nonce")};
    bool any = false;
    for (size_t i = 0; json_is_array(eat) && i < json_array_size(eat); i++)
        if (str_eq(json_array_get(eat, i), p->nonce, false))
            return 0;
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        any |= cands[i] != NULL;
        if (str_eq(cands[i], p->nonce, false))
            return 0;
    }
    return fail(BPTEE_EPOLICY, "policy: %s: %s", p->section,
                any ? "nonce mismatch" : "expected a nonce claim but the token has none");
}

/* The first of several claim paths that is present (NULL-separated paths of keys). */
static const json_t *claim_at(const json_t *c, const char *const *path)
{
    while (*path) {
        const json_t *v = c;
        for (; *path; path++)
            v = json_object_get(v, *path);
        if (v)
            return v;
        path++;
    }
    return NULL;
}

static int check_pinned(const struct jwt_policy *p, const json_t *c, const char *want,
                        const char *const *paths, const char *what)
{
    if (!want)
        return 0;
    const json_t *v = claim_at(c, paths);
    if (!v)
        return fail(BPTEE_EPOLICY, "policy: %s: expected a %s claim but the token has none",
                    p->section, what);
    return str_eq(v, want, true) ? 0
                                 : fail(BPTEE_EPOLICY, "policy: %s: %s mismatch", p->section,
                                        what);
}

bool policy_jwt_debug(const json_t *c, bool azure)
{
    if (!azure) {
        const json_t *d = json_object_get(c, "dbgstat");
        return !str_eq(d, "disabled-since-boot", false);
    }
    static const char *const flags[] = {
        "x-ms-sevsnpvm-is-debuggable", "x-ms-tdxvm-is-debuggable", "x-ms-sgx-is-debuggable",
        "is-debuggable", "x-ms-azurevm-bootdebug-enabled", "x-ms-azurevm-kerneldebug-enabled",
        "x-ms-azurevm-hypervisordebug-enabled"};
    const json_t *tee = json_object_get(c, "x-ms-isolation-tee");
    bool said = false;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const json_t *objs[] = {c, tee};
        for (size_t j = 0; j < 2; j++) {
            const json_t *v = json_object_get(objs[j], flags[i]);
            if (v && !json_is_false(v))
                return true;
            said |= v != NULL;
        }
    }
    return !said;
}

static int check_type(const struct jwt_policy *p, const json_t *c)
{
    const json_t *t = json_object_get(c, "x-ms-attestation-type");
    for (size_t i = 0; i < p->n_attestation_types; i++)
        if (str_eq(t, p->attestation_types[i], false))
            return 0;
    return p->attestation_types ? fail(BPTEE_EPOLICY, "policy: %s: x-ms-attestation-type is "
                                                      "not one of attestation_types",
                                       p->section)
                                : 0;
}

int policy_jwt_check(const struct jwt_policy *p, const json_t *c, bool azure)
{
    static const char *const image_paths[] = {"submods", "container", "image_digest", NULL,
                                              "image_digest", NULL,
                                              "x-ms-runtime", "image_digest", NULL, NULL};
    static const char *const meas_paths[] = {"x-ms-isolation-tee",
                                             "x-ms-sevsnpvm-launchmeasurement", NULL,
                                             "x-ms-sevsnpvm-launchmeasurement", NULL, NULL};
    static const char *const compliance_paths[] = {"x-ms-isolation-tee",
                                                   "x-ms-compliance-status", NULL,
                                                   "x-ms-compliance-status", NULL, NULL};
    int rc = check_issuer(p, c, azure);
    if (rc == 0)
        rc = check_audience(p, c);
    if (rc == 0)
        rc = check_nonce(p, c);
    if (rc == 0)
        rc = check_pinned(p, c, p->image_digest, image_paths, "image digest");
    if (rc == 0)
        rc = check_pinned(p, c, p->launch_measurement, meas_paths, "launch measurement");
    if (rc == 0)
        rc = check_pinned(p, c, p->compliance_status, compliance_paths, "compliance status");
    if (rc == 0)
        rc = check_type(p, c);
    if (rc == 0 && !p->allow_debug && policy_jwt_debug(c, azure))
        rc = fail(BPTEE_EPOLICY, "policy: %s: the TEE reports debug mode (or does not say it "
                                 "is off); %s.allow_debug is false",
                  p->section, p->section);
    return rc;
}
