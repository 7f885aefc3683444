// SPDX-License-Identifier: Apache-2.0
/* TCB statuses and their combination, strict readers for the collateral JSON, and the TCB
 * evaluation of a verified quote against verified collateral (docs/tdx.md, "TCB status"). */
#include <stdio.h>
#include <time.h>

#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"

static const char *const status_names[BPTEE_TDX_TCB_STATUS_COUNT] = {
    [BPTEE_TDX_TCB_NOT_EVALUATED] = "NotEvaluated",
    [BPTEE_TDX_TCB_UP_TO_DATE] = "UpToDate",
    [BPTEE_TDX_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [BPTEE_TDX_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [BPTEE_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [BPTEE_TDX_TCB_OUT_OF_DATE] = "OutOfDate",
    [BPTEE_TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [BPTEE_TDX_TCB_REVOKED] = "Revoked",
};

const char *bptee_tdx_tcb_status_name(int status)
{
    if (status < 0 || status >= BPTEE_TDX_TCB_STATUS_COUNT)
        return NULL;
    return status_names[status];
}

int bptee_tdx_tcb_status_parse(const char *name, int *status)
{
    if (!name || !status)
        return fail(BPTEE_EINVAL, "tdx: TCB status: missing argument");
    for (int i = BPTEE_TDX_TCB_UP_TO_DATE; i < BPTEE_TDX_TCB_STATUS_COUNT; i++)
        if (!strcmp(name, status_names[i])) {
            *status = i;
            return 0;
        }
    return fail(BPTEE_EPARSE, "tdx: unknown TCB status \"%s\"", name);
}

/* Each status as the set of conditions it states, so two statuses combine by union. */
enum { OOD = 1, CFG = 2, SW = 4, REV = 8 };
static const unsigned status_flags[BPTEE_TDX_TCB_STATUS_COUNT] = {
    [BPTEE_TDX_TCB_SW_HARDENING_NEEDED] = SW,
    [BPTEE_TDX_TCB_CONFIGURATION_NEEDED] = CFG,
    [BPTEE_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = CFG | SW,
    [BPTEE_TDX_TCB_OUT_OF_DATE] = OOD,
    [BPTEE_TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = OOD | CFG,
    [BPTEE_TDX_TCB_REVOKED] = REV,
};

int tdx_tcb_combine(int a, int b)
{
    if (a == BPTEE_TDX_TCB_NOT_EVALUATED)
        return b;
    if (b == BPTEE_TDX_TCB_NOT_EVALUATED)
        return a;
    unsigned f = status_flags[a] | status_flags[b];
    if (f & REV)
        return BPTEE_TDX_TCB_REVOKED;
    if (f & OOD)
        return (f & CFG) ? BPTEE_TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED : BPTEE_TDX_TCB_OUT_OF_DATE;
    if (f & CFG)
        return (f & SW) ? BPTEE_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED
                        : BPTEE_TDX_TCB_CONFIGURATION_NEEDED;
    return (f & SW) ? BPTEE_TDX_TCB_SW_HARDENING_NEEDED : BPTEE_TDX_TCB_UP_TO_DATE;
}

/* Intel's timestamps: "2023-06-18T08:42:58Z". */
int tdx_time_parse(const char *s, const char *what, int64_t *out)
{
    struct tm tm;
    int used = 0;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used != 20 || s[used] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return fail(BPTEE_EPARSE, "tdx: %s: \"%s\" is not a time YYYY-MM-DDThh:mm:ssZ", what, s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

int cj_str(const json_t *o, const char *key, const char *what, const char **out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "tdx: %s.%s: expected a string", what, key);
    *out = json_string_value(v);
    return 0;
}

int cj_int(const json_t *o, const char *key, const char *what, int64_t max, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return fail(BPTEE_EPARSE, "tdx: %s.%s: expected an integer 0..%lld", what, key,
                    (long long)max);
    *out = json_integer_value(v);
    return 0;
}

int cj_hex(const json_t *o, const char *key, const char *what, uint8_t *out, size_t n)
{
    const char *s = NULL;
    char where[96];
    int rc = cj_str(o, key, what, &s);
    snprintf(where, sizeof where, "tdx: %s.%s", what, key);
    return rc < 0 ? rc : hex_decode_exact(s, out, n, where);
}

int cj_array(const json_t *o, const char *key, const char *what, const json_t **out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_array(v))
        return fail(BPTEE_EPARSE, "tdx: %s.%s: expected an array", what, key);
    *out = v;
    return 0;
}

int tdx_status_from_json(const json_t *level, const char *what, int *status)
{
    const char *s = NULL;
    int rc = cj_str(level, "tcbStatus", what, &s);
    if (rc == 0 && (rc = bptee_tdx_tcb_status_parse(s, status)) < 0)
        return fail_prefix(rc, "%s", what);
    return rc;
}

int tdx_check_id_version(const json_t *body, const char *what, const char *id, int64_t version)
{
    const char *have = NULL;
    int64_t v = 0;
    int rc = cj_str(body, "id", what, &have);
    if (rc == 0 && strcmp(have, id) != 0)
        return fail(BPTEE_EVERIFY, "tdx: %s id is \"%s\", not \"%s\"", what, have, id);
    if (rc == 0 && (rc = cj_int(body, "version", what, 1000, &v)) == 0 && v != version)
        return fail(BPTEE_EUNSUPPORTED, "tdx: %s version %lld is not supported (%lld)", what,
                    (long long)v, (long long)version);
    return rc;
}

int tdx_isvsvn_level(const json_t *obj, const char *what, int64_t max, unsigned have, int *status)
{
    const json_t *levels, *level;
    size_t i;
    int rc = cj_array(obj, "tcbLevels", what, &levels);
    if (rc < 0)
        return rc;
    json_array_foreach(levels, i, level)
    {
        int64_t isvsvn = 0;
        if ((rc = cj_int(json_object_get(level, "tcb"), "isvsvn", what, max, &isvsvn)) < 0)
            return rc;
        if (have >= isvsvn)
            return (rc = tdx_status_from_json(level, what, status)) < 0 ? rc : 1;
    }
    return 0;
}

/* issueDate <= at <= nextUpdate: collateral is only good for its own month. */
int tdx_check_dates(const json_t *body, const char *what, int64_t at)
{
    const char *issue = NULL, *next = NULL;
    int64_t t_issue, t_next;
    int rc = cj_str(body, "issueDate", what, &issue);
    if (rc == 0)
        rc = cj_str(body, "nextUpdate", what, &next);
    if (rc == 0)
        rc = tdx_time_parse(issue, what, &t_issue);
    if (rc == 0)
        rc = tdx_time_parse(next, what, &t_next);
    if (rc < 0)
        return rc;
    if (at < t_issue)
        return fail(BPTEE_EEXPIRED, "tdx: %s is not yet valid at the collateral time (issued %s)",
                    what, issue);
    if (at > t_next)
        return fail(BPTEE_EEXPIRED, "tdx: %s has expired at the collateral time (nextUpdate %s)",
                    what, next);
    return 0;
}

int tdx_tcb_evaluate(const struct bptee_tdx_collateral *c, const struct bptee_tdx_quote *q,
                     const struct bptee_tdx_pck_ext *pck, int64_t at, struct bptee_tdx_verified *v)
{
    int rc = 0;
    v->tcb_status = v->platform_tcb_status = BPTEE_TDX_TCB_NOT_EVALUATED;
    v->module_tcb_status = v->qe_tcb_status = BPTEE_TDX_TCB_NOT_EVALUATED;
    if (c->has_qe_identity)
        rc = tdx_qe_identity_check(c->qe_identity.body, &q->qe_report, at, &v->qe_tcb_status);
    if (rc == 0 && c->has_tcb_info)
        rc = tdx_tcb_info_check(c->tcb_info.body, q, pck, at, v);
    if (rc == 0 && c->has_tcb_info)
        v->tcb_status = tdx_tcb_combine(
            tdx_tcb_combine(v->platform_tcb_status, v->module_tcb_status), v->qe_tcb_status);
    return rc;
}
