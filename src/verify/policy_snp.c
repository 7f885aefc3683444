// SPDX-License-Identifier: Apache-2.0
/* The "sev_snp" section of a verification policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "verify/policy.h"

const char *const policy_tcb_names[TCB_PARTS] = {
    [TCB_BOOTLOADER] = "bootloader", [TCB_TEE] = "tee", [TCB_SNP] = "snp",
    [TCB_MICROCODE] = "microcode",   [TCB_FMC] = "fmc",
};

static const char *const snp_keys[] = {
    "measurements", "allow_debug",  "min_tcb",          "min_firmware",  "vmpls",
    "report_data",  "signing_keys", "allow_simulation", "trusted_roots", NULL,
};

void policy_snp_init(struct snp_policy *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < TCB_PARTS; i++)
        p->min_tcb[i] = -1;
    p->signing_keys = 1u << BPTEE_SNP_KEY_VCEK | 1u << BPTEE_SNP_KEY_VLEK;
}

void policy_snp_release(struct snp_policy *p)
{
    free(p->measurements);
    free(p->trusted_roots);
    p->measurements = NULL;
    p->trusted_roots = NULL;
}

static int read_min_tcb(const json_t *v, struct snp_policy *p)
{
    static const char *const keys[TCB_PARTS + 1] = {"bootloader", "tee", "snp", "microcode",
                                                    "fmc", NULL};
    int rc = pj_check_keys(v, "sev_snp.min_tcb", keys);
    for (int i = 0; rc == 0 && i < TCB_PARTS; i++) {
        const json_t *c = json_object_get(v, policy_tcb_names[i]);
        char path[64];
        int64_t n;
        snprintf(path, sizeof path, "sev_snp.min_tcb.%s", policy_tcb_names[i]);
        if (c && (rc = pj_int(c, path, 0, 255, &n)) == 0)
            p->min_tcb[i] = (int)n;
    }
    return rc;
}

static int read_min_fw(const json_t *v, struct snp_policy *p)
{
    unsigned a = 0, b = 0, c = 0;
    int used = 0;
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    int n = sscanf(s, "%3u.%3u%n.%3u%n", &a, &b, &used, &c, &used);
    if (n < 2 || s[used] != '\0' || a > 255 || b > 255 || c > 255)
        return fail(BPTEE_EPARSE,
                    "policy: sev_snp.min_firmware: expected \"MAJOR.MINOR[.BUILD]\" (e.g. "
                    "\"1.55.29\")");
    p->has_min_fw = true;
    p->min_fw[0] = (uint8_t)a;
    p->min_fw[1] = (uint8_t)b;
    p->min_fw[2] = (uint8_t)c;
    return 0;
}

static int read_vmpls(const json_t *v, struct snp_policy *p)
{
    size_t n;
    int rc = pj_array(v, "sev_snp.vmpls", &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[48];
        int64_t x;
        snprintf(path, sizeof path, "sev_snp.vmpls[%zu]", i);
        if ((rc = pj_int(json_array_get(v, i), path, 0, 3, &x)) == 0)
            p->vmpl_mask |= 1u << x;
    }
    p->has_vmpls = true;
    return rc;
}

static int read_report_data(const json_t *v, struct snp_policy *p)
{
    static const char *const rd_keys[] = {"x25519_binding", NULL};
    static const char *const bind_keys[] = {"nonce", "public_key", NULL};
    if (json_is_string(v)) {
        p->rd_rule = RD_EXACT;
        return pj_hex(v, "sev_snp.report_data", NULL, p->report_data, 64);
    }
    int rc = pj_check_keys(v, "sev_snp.report_data", rd_keys);
    const json_t *b = json_object_get(v, "x25519_binding");
    if (rc == 0 && !b)
        return fail(BPTEE_EPARSE, "policy: sev_snp.report_data: expected a hex string or "
                                  "{\"x25519_binding\": {...}}");
    if (rc == 0)
        rc = pj_check_keys(b, "sev_snp.report_data.x25519_binding", bind_keys);
    if (rc == 0)
        rc = pj_hex(json_object_get(b, "nonce"), "sev_snp.report_data.x25519_binding.nonce",
                    NULL, p->nonce, 32);
    if (rc == 0)
        rc = pj_hex(json_object_get(b, "public_key"),
                    "sev_snp.report_data.x25519_binding.public_key", NULL, p->public_key, 32);
    p->rd_rule = RD_X25519;
    return rc;
}

static int read_signing_keys(const json_t *v, struct snp_policy *p)
{
    size_t n;
    int rc = pj_array(v, "sev_snp.signing_keys", &n);
    p->signing_keys = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s && !strcmp(s, "vcek"))
            p->signing_keys |= 1u << BPTEE_SNP_KEY_VCEK;
        else if (s && !strcmp(s, "vlek"))
            p->signing_keys |= 1u << BPTEE_SNP_KEY_VLEK;
        else
            rc = fail(BPTEE_EPARSE, "policy: sev_snp.signing_keys[%zu]: expected \"vcek\" or "
                                    "\"vlek\"",
                      i);
    }
    return rc;
}

static int read_field(const char *key, const json_t *v, struct snp_policy *p)
{
    if (!strcmp(key, "measurements")) {
        p->has_measurements = true;
        return pj_digests(v, "sev_snp.measurements", "sha384", 48,
                            (uint8_t **)&p->measurements, &p->n_measurements);
    }
    if (!strcmp(key, "trusted_roots"))
        return pj_digests(v, "sev_snp.trusted_roots", "sha256", 32,
                            (uint8_t **)&p->trusted_roots, &p->n_trusted_roots);
    if (!strcmp(key, "allow_debug"))
        return pj_bool(v, "sev_snp.allow_debug", &p->allow_debug);
    if (!strcmp(key, "allow_simulation"))
        return pj_bool(v, "sev_snp.allow_simulation", &p->allow_simulation);
    if (!strcmp(key, "min_tcb"))
        return read_min_tcb(v, p);
    if (!strcmp(key, "min_firmware"))
        return read_min_fw(v, p);
    if (!strcmp(key, "vmpls"))
        return read_vmpls(v, p);
    if (!strcmp(key, "report_data"))
        return read_report_data(v, p);
    return read_signing_keys(v, p); /* the only key left after pj_check_keys */
}

int policy_snp_parse(const json_t *obj, struct snp_policy *p)
{
    int rc = pj_check_keys(obj, "sev_snp", snp_keys);
    const char *key;
    json_t *v;
    if (rc < 0)
        return rc;
    json_object_foreach((json_t *)obj, key, v)
    {
        if ((rc = read_field(key, v, p)) < 0)
            return rc;
    }
    return 0;
}
