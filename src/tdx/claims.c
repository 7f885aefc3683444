// SPDX-License-Identifier: Apache-2.0
/* The claims a verified quote supports, in the evidence model: MRTD as the measurement, debug,
 * REPORTDATA as user data, and the rest of the TD's identity and TCB as custom claims. */
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "tdx/policy.h"
#include "util/codec.h"
#include "util/error.h"

static json_t *advisories_json(const char *ids)
{
    json_t *a = json_array();
    char buf[sizeof((struct bptee_tdx_verified *)0)->advisory_ids];
    snprintf(buf, sizeof buf, "%s", ids);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); a && t; t = strtok_r(NULL, " ", &save))
        if (json_array_append_new(a, json_string(t)) < 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *tcb_json(const struct bptee_tdx_verified *v)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "status",
                     bptee_tdx_tcb_status_name(v->tcb_status), "platform_status",
                     bptee_tdx_tcb_status_name(v->platform_tcb_status), "module_status",
                     bptee_tdx_tcb_status_name(v->module_tcb_status), "qe_status",
                     bptee_tdx_tcb_status_name(v->qe_tcb_status), "tcb_date", v->tcb_date,
                     "advisory_ids", advisories_json(v->advisory_ids));
}

static json_t *custom_claims(const struct bptee_tdx_verified *v)
{
    const struct bptee_tdx_body *b = &v->quote.body;
    return json_pack(
        "{s:[o,o,o,o],s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:i,s:i,s:i,s:o,s:o,s:b,"
        "s:I}",
        "rtmrs", tdx_hex_json(b->rtmr[0], 48), tdx_hex_json(b->rtmr[1], 48),
        tdx_hex_json(b->rtmr[2], 48), tdx_hex_json(b->rtmr[3], 48), "tee_tcb_svn",
        tdx_hex_json(b->tee_tcb_svn, 16), "fmspc", tdx_hex_json(v->pck.fmspc, 6), "tcb_status",
        bptee_tdx_tcb_status_name(v->tcb_status), "tcb", tcb_json(v), "mrtd",
        tdx_hex_json(b->mrtd, 48), "mrconfigid", tdx_hex_json(b->mrconfigid, 48), "mrowner",
        tdx_hex_json(b->mrowner, 48), "mrownerconfig", tdx_hex_json(b->mrownerconfig, 48),
        "td_attributes", tdx_u64_json(b->td_attributes), "debug",
        !!(b->td_attributes & BPTEE_TDX_ATTR_DEBUG), "xfam", tdx_u64_json(b->xfam), "mrseam",
        tdx_hex_json(b->mrseam, 48), "quote_version", v->quote.version, "pcesvn",
        v->pck.pcesvn, "qe_isvsvn", v->quote.qe_report.isvsvn, "report_data",
        tdx_hex_json(b->report_data, 64), "root_sha256", tdx_hex_json(v->root_sha256, 32),
        "simulated", v->simulated, "chain_not_after", (json_int_t)v->chain_not_after);
}

static int set_custom_all(struct bptee_report *r, const json_t *custom)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)custom, key, val)
    {
        char *text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            return fail(BPTEE_ENOMEM, "tdx: out of memory");
        int rc = bptee_report_set_custom(r, key, text);
        free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int set_binding(struct bptee_report *r, const struct bptee_tdx_verified *v,
                       const struct bptee_tdx_policy *p)
{
    if (!p || p->rd_rule != TDX_RD_X25519)
        return 0;
    char *digest = hex_encode(v->quote.body.report_data, 64);
    if (!digest)
        return fail(BPTEE_ENOMEM, "tdx: out of memory");
    int rc = bptee_report_set_binding(r, p->public_key, 32, "x25519", digest);
    free(digest);
    return rc;
}

static int set_basics(struct bptee_report *r, const struct bptee_tdx_verified *v)
{
    const struct bptee_tdx_body *b = &v->quote.body;
    char *mrtd = hex_encode(b->mrtd, 48), *svn = hex_encode(b->tee_tcb_svn, 16);
    char *fmspc = hex_encode(v->pck.fmspc, 6);
    int rc = mrtd && svn && fmspc ? 0 : fail(BPTEE_ENOMEM, "tdx: out of memory");
    if (rc == 0)
        rc = bptee_report_set_provider(r, BPTEE_PROVIDER_INTEL_TDX);
    if (rc == 0)
        rc = bptee_report_set_format(r, BPTEE_FORMAT_TDX_QUOTE);
    if (rc == 0)
        rc = bptee_report_set_measurement_sha384(r, mrtd);
    if (rc == 0)
        rc = bptee_report_set_platform_version(r, svn);
    if (rc == 0)
        rc = bptee_report_set_product_id(r, fmspc);
    if (rc == 0)
        rc = bptee_report_set_debug_mode(r, !!(b->td_attributes & BPTEE_TDX_ATTR_DEBUG));
    if (rc == 0)
        rc = bptee_report_set_user_data(r, b->report_data, 64);
    if (rc == 0)
        rc = bptee_report_set_simulated(r, v->simulated);
    free(mrtd);
    free(svn);
    free(fmspc);
    return rc;
}

int bptee_tdx_report_fill(struct bptee_report *r, const struct bptee_tdx_verified *v,
                          const struct bptee_tdx_policy *policy)
{
    if (!r || !v)
        return fail(BPTEE_EINVAL, "tdx: report fill: missing argument");
    int rc = set_basics(r, v);
    if (rc == 0)
        rc = set_binding(r, v, policy);
    if (rc < 0)
        return rc;
    json_t *custom = custom_claims(v);
    if (!custom)
        return fail(BPTEE_ENOMEM, "tdx: cannot build the TDX claims");
    rc = set_custom_all(r, custom);
    json_decref(custom);
    return rc;
}
