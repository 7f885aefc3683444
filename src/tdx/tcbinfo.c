// SPDX-License-Identifier: Apache-2.0
/* TDX TCB info (v3): which platform it describes, the TDX module's signer, and the tcbLevels.
 * The platform level is the first level (Intel lists them newest first) where every SGX TCB
 * component SVN and the PCESVN of the PCK certificate, and TEE_TCB_SVN[i] of the quote, are at
 * least the level's: i = 0..15, or i = 2..15 when TEE_TCB_SVN[1] > 0 (then bytes 0 and 1 are
 * the module's SVN and major version, judged by the module identity "TDX_%02X" instead). */
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"

#define WHAT "TCB info"

/* have[i] >= the level's svn for i in from..15; the array must list 16 components. */
static int comps_ge(const json_t *level_tcb, const char *key, const uint8_t have[16], int from,
                    bool *ge)
{
    const json_t *arr;
    int rc = cj_array(level_tcb, key, WHAT, &arr);
    if (rc == 0 && json_array_size(arr) != 16)
        rc = fail(BPTEE_EPARSE, "tdx: " WHAT ".%s: expected 16 components", key);
    for (int i = 0; rc == 0 && i < 16; i++) {
        int64_t svn = 0;
        if ((rc = cj_int(json_array_get(arr, (size_t)i), "svn", WHAT, 255, &svn)) == 0 &&
            i >= from && have[i] < svn)
            *ge = false;
    }
    return rc;
}

static int level_matches(const json_t *level, const struct bptee_tdx_quote *q,
                         const struct bptee_tdx_pck_ext *pck, bool *match)
{
    const json_t *tcb = json_object_get(level, "tcb");
    int64_t pcesvn = 0;
    if (!json_is_object(tcb))
        return fail(BPTEE_EPARSE, "tdx: " WHAT ".tcbLevels[].tcb: expected an object");
    const uint8_t *svn = q->body.tee_tcb_svn;
    *match = true;
    int rc = comps_ge(tcb, "sgxtcbcomponents", pck->comp_svn, 0, match);
    if (rc == 0)
        rc = cj_int(tcb, "pcesvn", WHAT, 65535, &pcesvn);
    if (rc == 0 && pck->pcesvn < pcesvn)
        *match = false;
    if (rc == 0)
        rc = comps_ge(tcb, "tdxtcbcomponents", svn, svn[1] > 0 ? 2 : 0, match);
    return rc;
}

static int copy_advisories(const json_t *level, struct bptee_tdx_verified *v)
{
    const json_t *ids = json_object_get(level, "advisoryIDs");
    size_t used = 0, i;
    const json_t *id;
    v->advisory_ids[0] = '\0';
    if (!ids)
        return 0;
    if (!json_is_array(ids))
        return fail(BPTEE_EPARSE, "tdx: " WHAT ".advisoryIDs: expected an array");
    json_array_foreach(ids, i, id)
    {
        if (!json_is_string(id))
            return fail(BPTEE_EPARSE, "tdx: " WHAT ".advisoryIDs[%zu]: expected a string", i);
        int n = snprintf(v->advisory_ids + used, sizeof v->advisory_ids - used, "%s%s",
                         used ? " " : "", json_string_value(id));
        if (n < 0 || (size_t)n >= sizeof v->advisory_ids - used)
            return fail(BPTEE_ELIMIT, "tdx: " WHAT ".advisoryIDs: too many to report");
        used += (size_t)n;
    }
    return 0;
}

static int platform_level(const json_t *body, const struct bptee_tdx_quote *q,
                          const struct bptee_tdx_pck_ext *pck, struct bptee_tdx_verified *v)
{
    const json_t *levels, *level;
    size_t i;
    int rc = cj_array(body, "tcbLevels", WHAT, &levels);
    if (rc < 0)
        return rc;
    json_array_foreach(levels, i, level)
    {
        bool match = false;
        const char *date = NULL;
        if ((rc = level_matches(level, q, pck, &match)) < 0)
            return rc;
        if (!match)
            continue;
        if ((rc = tdx_status_from_json(level, WHAT, &v->platform_tcb_status)) < 0 ||
            (rc = cj_str(level, "tcbDate", WHAT, &date)) < 0)
            return rc;
        snprintf(v->tcb_date, sizeof v->tcb_date, "%s", date);
        return copy_advisories(level, v);
    }
    return fail(BPTEE_EVERIFY, "tdx: TCB info has no matching TCB level for this platform (PCK "
                               "TCB components, PCESVN %u, TEE_TCB_SVN): TCB not supported",
                pck->pcesvn);
}

/* mrsigner and (SEAMATTRIBUTES & attributesMask) == attributes, against tdxModule or a module
 * identity. SEAMATTRIBUTES is compared as the 8 bytes the quote carries. */
static int check_module_signer(const json_t *m, const struct bptee_tdx_body *b, const char *what)
{
    uint8_t signer[48], attr[8], mask[8], have[8];
    int rc = cj_hex(m, "mrsigner", what, signer, 48);
    if (rc == 0)
        rc = cj_hex(m, "attributes", what, attr, 8);
    if (rc == 0)
        rc = cj_hex(m, "attributesMask", what, mask, 8);
    if (rc < 0)
        return rc;
    if (memcmp(signer, b->mrsignerseam, 48) != 0)
        return fail(BPTEE_EVERIFY, "tdx: MRSIGNERSEAM does not match the %s mrsigner", what);
    store_le64(have, b->seam_attributes);
    for (int i = 0; i < 8; i++)
        if ((have[i] & mask[i]) != attr[i])
            return fail(BPTEE_EVERIFY, "tdx: SEAMATTRIBUTES do not match the %s attributes", what);
    return 0;
}

static const json_t *find_identity(const json_t *ids, const char *id)
{
    size_t i;
    const json_t *m;
    json_array_foreach(ids, i, m)
    {
        const char *s = json_string_value(json_object_get(m, "id"));
        if (s && !strcmp(s, id))
            return m;
    }
    return NULL;
}

/* TEE_TCB_SVN[1] > 0: the module identity TDX_<major> judges the module SVN (byte 0). */
static int module_level(const json_t *body, const struct bptee_tdx_body *b,
                        struct bptee_tdx_verified *v)
{
    char id[8], what[48];
    const json_t *ids;
    snprintf(id, sizeof id, "TDX_%02X", b->tee_tcb_svn[1]);
    snprintf(what, sizeof what, "TDX module identity %s", id);
    int rc = cj_array(body, "tdxModuleIdentities", WHAT, &ids);
    const json_t *m = rc == 0 ? find_identity(ids, id) : NULL;
    if (rc == 0 && !m)
        rc = fail(BPTEE_EVERIFY, "tdx: TCB info has no TDX module identity %s", id);
    if (rc == 0)
        rc = check_module_signer(m, b, what);
    if (rc == 0)
        rc = tdx_isvsvn_level(m, what, 255, b->tee_tcb_svn[0], &v->module_tcb_status);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return fail(BPTEE_EVERIFY, "tdx: TDX module SVN %u is below every level of %s",
                b->tee_tcb_svn[0], id);
}

static int check_platform(const json_t *body, const struct bptee_tdx_pck_ext *pck)
{
    uint8_t fmspc[6], pceid[2];
    int rc = tdx_check_id_version(body, WHAT, "TDX", 3);
    if (rc == 0)
        rc = cj_hex(body, "fmspc", WHAT, fmspc, 6); /* either case: hex_decode accepts both */
    if (rc == 0)
        rc = cj_hex(body, "pceId", WHAT, pceid, 2);
    if (rc < 0)
        return rc;
    if (memcmp(fmspc, pck->fmspc, 6) != 0) {
        char *want = hex_encode(fmspc, 6), *have = hex_encode(pck->fmspc, 6);
        rc = fail(BPTEE_EVERIFY, "tdx: TCB info is for FMSPC %s, the PCK's is %s",
                  want ? want : "?", have ? have : "?");
        free(want);
        free(have);
        return rc;
    }
    if (memcmp(pceid, pck->pceid, 2) != 0)
        return fail(BPTEE_EVERIFY, "tdx: TCB info PCE-ID does not match the PCK's");
    return 0;
}

int tdx_tcb_info_check(const json_t *body, const struct bptee_tdx_quote *q,
                       const struct bptee_tdx_pck_ext *pck, int64_t at,
                       struct bptee_tdx_verified *v)
{
    const json_t *module = json_object_get(body, "tdxModule");
    int rc = check_platform(body, pck);
    if (rc == 0)
        rc = tdx_check_dates(body, WHAT, at);
    if (rc == 0 && !json_is_object(module))
        rc = fail(BPTEE_EPARSE, "tdx: " WHAT ".tdxModule: expected an object");
    if (rc == 0)
        rc = check_module_signer(module, &q->body, "TCB info tdxModule");
    if (rc == 0)
        rc = platform_level(body, q, pck, v);
    if (rc == 0 && q->body.tee_tcb_svn[1] > 0)
        rc = module_level(body, &q->body, v);
    return rc;
}
