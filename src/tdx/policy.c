// SPDX-License-Identifier: Apache-2.0
/* The "tdx" section of a verification policy (docs/tdx.md): expected registers (each one hex
 * value or a list of allowed values), debug, minimum TEE_TCB_SVN, accepted TCB statuses,
 * report data expectations, and which non-Intel roots to trust. Unknown keys are errors, so a
 * typo can never weaken a policy. */
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "tdx/policy.h"
#include "util/error.h"
#include "util/json.h"
#include "verify/policy_json.h"

const char *const tdx_mr_names[MR_COUNT] = {
    [MR_MRTD] = "mrtd",           [MR_RTMR0] = "rtmr0",     [MR_RTMR1] = "rtmr1",
    [MR_RTMR2] = "rtmr2",         [MR_RTMR3] = "rtmr3",     [MR_MRCONFIGID] = "mrconfigid",
    [MR_MROWNER] = "mrowner",     [MR_MROWNERCONFIG] = "mrownerconfig",
};

static const char *const tdx_keys[] = {
    "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrconfigid", "mrowner", "mrownerconfig",
    "allow_debug", "min_tee_tcb_svn", "tcb_statuses", "require_collateral", "report_data",
    "allow_simulation", "trusted_roots", NULL,
};

/* Without tcb_statuses, an evaluated TCB passes unless it is out of date or revoked. */
#define DEFAULT_STATUSES                                                                       \
    (1u << BPTEE_TDX_TCB_UP_TO_DATE | 1u << BPTEE_TDX_TCB_SW_HARDENING_NEEDED |                \
     1u << BPTEE_TDX_TCB_CONFIGURATION_NEEDED |                                                \
     1u << BPTEE_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)

void tdx_policy_init(struct bptee_tdx_policy *p)
{
    memset(p, 0, sizeof *p);
    p->status_mask = DEFAULT_STATUSES;
}

void tdx_policy_release(struct bptee_tdx_policy *p)
{
    for (int i = 0; i < MR_COUNT; i++)
        free(p->mr[i].v);
    free(p->trusted_roots);
    memset(p, 0, sizeof *p);
}

/* A register: one hex string or a list of them, 48 bytes each ("sha384:" prefix allowed). */
static int read_values(const json_t *v, const char *name, struct tdx_values *out)
{
    char path[64];
    size_t n = 1;
    bool list = json_is_array(v);
    snprintf(path, sizeof path, "tdx.%s", name);
    int rc = list ? pj_array(v, path, &n) : 0;
    if (rc < 0)
        return rc;
    out->v = calloc(n ? n : 1, 48);
    if (!out->v)
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    out->set = true;
    out->n = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char item[96];
        snprintf(item, sizeof item, list ? "%s[%zu]" : "%s", path, i);
        rc = pj_hex(list ? json_array_get(v, i) : v, item, "sha384", out->v[i], 48);
    }
    return rc;
}

static int read_roots(const json_t *v, struct bptee_tdx_policy *p)
{
    size_t n = 0;
    int rc = pj_array(v, "tdx.trusted_roots", &n);
    if (rc < 0)
        return rc;
    p->trusted_roots = calloc(n ? n : 1, 32);
    if (!p->trusted_roots)
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    p->n_trusted_roots = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char item[48];
        snprintf(item, sizeof item, "tdx.trusted_roots[%zu]", i);
        rc = pj_hex(json_array_get(v, i), item, "sha256", p->trusted_roots[i], 32);
    }
    return rc;
}

static int read_statuses(const json_t *v, struct bptee_tdx_policy *p)
{
    size_t n = 0;
    int rc = pj_array(v, "tdx.tcb_statuses", &n);
    p->has_statuses = true;
    p->status_mask = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        int status = 0;
        if (!s || bptee_tdx_tcb_status_parse(s, &status) < 0)
            return fail(BPTEE_EPARSE, "policy: tdx.tcb_statuses[%zu]: expected a TCB status "
                                      "(UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                                      "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                                      "OutOfDateConfigurationNeeded, Revoked)",
                        i);
        p->status_mask |= 1u << status;
    }
    return rc;
}

static int read_report_data(const json_t *v, struct bptee_tdx_policy *p)
{
    static const char *const rd_keys[] = {"x25519_binding", NULL};
    static const char *const bind_keys[] = {"nonce", "public_key", NULL};
    if (json_is_string(v)) {
        p->rd_rule = TDX_RD_EXACT;
        return pj_hex(v, "tdx.report_data", NULL, p->report_data, 64);
    }
    int rc = pj_check_keys(v, "tdx.report_data", rd_keys);
    const json_t *b = json_object_get(v, "x25519_binding");
    if (rc == 0 && !b)
        return fail(BPTEE_EPARSE, "policy: tdx.report_data: expected a hex string or "
                                  "{\"x25519_binding\": {...}}");
    if (rc == 0)
        rc = pj_check_keys(b, "tdx.report_data.x25519_binding", bind_keys);
    if (rc == 0)
        rc = pj_hex(json_object_get(b, "nonce"), "tdx.report_data.x25519_binding.nonce", NULL,
                    p->nonce, 32);
    if (rc == 0)
        rc = pj_hex(json_object_get(b, "public_key"),
                    "tdx.report_data.x25519_binding.public_key", NULL, p->public_key, 32);
    p->rd_rule = TDX_RD_X25519;
    return rc;
}

static int read_field(const char *key, const json_t *v, struct bptee_tdx_policy *p)
{
    for (int i = 0; i < MR_COUNT; i++)
        if (!strcmp(key, tdx_mr_names[i]))
            return read_values(v, key, &p->mr[i]);
    if (!strcmp(key, "allow_debug"))
        return pj_bool(v, "tdx.allow_debug", &p->allow_debug);
    if (!strcmp(key, "allow_simulation"))
        return pj_bool(v, "tdx.allow_simulation", &p->allow_simulation);
    if (!strcmp(key, "require_collateral"))
        return pj_bool(v, "tdx.require_collateral", &p->require_collateral);
    if (!strcmp(key, "min_tee_tcb_svn")) {
        p->has_min_svn = true;
        return pj_hex(v, "tdx.min_tee_tcb_svn", NULL, p->min_svn, 16);
    }
    if (!strcmp(key, "tcb_statuses"))
        return read_statuses(v, p);
    if (!strcmp(key, "report_data"))
        return read_report_data(v, p);
    return read_roots(v, p); /* the only key left after pj_check_keys */
}

int tdx_policy_from_json(const json_t *obj, struct bptee_tdx_policy **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "policy: tdx: missing argument");
    int rc = pj_check_keys(obj, "tdx", tdx_keys);
    if (rc < 0)
        return rc;
    struct bptee_tdx_policy *p = malloc(sizeof *p);
    if (!p)
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    tdx_policy_init(p);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if ((rc = read_field(key, v, p)) < 0)
            break;
    }
    if (rc < 0) {
        bptee_tdx_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int bptee_tdx_policy_parse(const char *json, size_t len, struct bptee_tdx_policy **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "policy: tdx: missing argument");
    json_t *obj = NULL;
    int rc = json_parse_capped(json, len, JSON_MAX_DEFAULT, "policy: tdx", &obj);
    if (rc < 0)
        return rc;
    rc = tdx_policy_from_json(obj, out);
    json_decref(obj);
    return rc;
}

void bptee_tdx_policy_free(struct bptee_tdx_policy *p)
{
    if (!p)
        return;
    tdx_policy_release(p);
    free(p);
}

int bptee_tdx_policy_allow_simulation(const struct bptee_tdx_policy *p)
{
    return p ? p->allow_simulation : 0;
}

size_t bptee_tdx_policy_trusted_roots(const struct bptee_tdx_policy *p,
                                      const uint8_t (**roots)[32])
{
    if (roots)
        *roots = p ? (const uint8_t(*)[32])p->trusted_roots : NULL;
    return p ? p->n_trusted_roots : 0;
}
