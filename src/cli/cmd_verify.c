// SPDX-License-Identifier: Apache-2.0
/* bptee verify: verify evidence or an attested result under a policy; exit 0 only when it
 * verified. Each input kind (attestation evidence here, attested results in
 * cmd_verify_result.c) prints its own summary. */
#define _XOPEN_SOURCE 700
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/jwks.h"
#include "cli/verify_result.h"

/* Results (JSON documents with their attestation) can be large; evidence is small. */
#define INPUT_MAX BPTEE_RESULT_MAX
#define CERT_MAX (1u << 20)

struct verify_args {
    const char *file, *policy, *config, *vcek, *chain, *sidecar, *collateral, *jwks;
    int64_t at, collateral_at;
    int json;
};

static void verify_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee verify FILE [--policy FILE] [--config FILE] [--vcek FILE] [--chain FILE]\n"
            "                    [--at TIME] [--collateral DIR] [--collateral-at TIME]\n"
            "                    [--sidecar FILE] [--jwks FILE|URL] [--json]\n\n"
            "Verify what FILE holds ('-' reads stdin): attestation evidence (evidence JSON from\n"
            "bptee attest, a raw 1184-byte SEV-SNP report, a raw TDX quote, or hex of either, an\n"
            "AWS Nitro Enclaves attestation document, an Azure Attestation or GCP Confidential\n"
            "Space token), or\n"
            "an attested result (a JSON object with a \"tee\" member, or any file with its\n"
            "sidecar; see 'bptee result --help').\n\n"
            "  --policy FILE  verification policy (docs/policy.md); default: no debug, no\n"
            "                 simulated evidence, anything else that verifies\n"
            "  --config FILE  a TEE config: its max_attestation_age_secs bounds the evidence's\n"
            "                 age too (the stricter of it and the policy's max_age_secs; evidence\n"
            "                 that carries no time is then refused)\n"
            "  --vcek FILE    SEV-SNP: the VCEK/VLEK (DER or PEM) if the evidence lacks it\n"
            "  --chain FILE   SEV-SNP: ASK/ASVK and ARK (PEM bundle; default: AMD's built-in\n"
            "                 roots); TDX: a PEM PCK chain (leaf, CA, root) replacing the quote's;\n"
            "                 tokens: the roots pinned for a header's x5c chain\n"
            "  --at TIME      verify at TIME: unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n"
            "                 (default: now)\n"
            "  --collateral DIR  TDX: Intel PCS collateral by name (tcb_info.json,\n"
            "                 qe_identity.json, tcb_signing_chain.pem, root_crl.der,\n"
            "                 pck_crl.der; each optional) for the TCB status (docs/tdx.md)\n"
            "  --collateral-at TIME  judge the collateral's validity at TIME (default: --at)\n"
            "  --jwks FILE|URL  Azure Attestation / GCP Confidential Space tokens: the JSON Web\n"
            "                 Key Set to verify them with; a URL is fetched over https (http\n"
            "                 only to a loopback address) and cached as its Cache-Control\n"
            "                 allows (docs/jwt.md). Tokens need one, from here or from the\n"
            "                 policy's azure_maa.jwks / gcp_confidential.jwks: --jwks wins, and\n"
            "                 the policy's is then not read\n"
            "  --sidecar FILE a result's sidecar (default FILE.tee.json when it exists)\n"
            "  --json         print the verified report as JSON instead of a summary\n\n"
            "Exit status: 0 verified under the policy, 1 rejected or unreadable (the reason on\n"
            "stderr), 2 usage error.\n");
}

static int parse_args(int argc, char **argv, struct verify_args *a)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"vcek", required_argument, NULL, 'v'},
        {"chain", required_argument, NULL, 'c'},  {"at", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"sidecar", required_argument, NULL, 's'},
        {"collateral", required_argument, NULL, 'C'},
        {"collateral-at", required_argument, NULL, 'A'},
        {"jwks", required_argument, NULL, 'J'},
        {"config", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    int c, r;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': a->policy = optarg; break;
        case 'v': a->vcek = optarg; break;
        case 'c': a->chain = optarg; break;
        case 'j': a->json = 1; break;
        case 's': a->sidecar = optarg; break;
        case 'C': a->collateral = optarg; break;
        case 'J': a->jwks = optarg; break;
        case 'K': a->config = optarg; break;
        case 'h': verify_usage(stdout); return 0;
        case 't':
            if ((r = verify_time_option("verify", "--at", optarg, &a->at)) != 0)
                return r;
            break;
        case 'A':
            r = verify_time_option("verify", "--collateral-at", optarg, &a->collateral_at);
            if (r != 0)
                return r;
            break;
        default:
            return cli_usage_error("verify: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("verify: expected one FILE (see --help)");
    a->file = argv[optind];
    return -1; /* go on */
}

static void custom_line(const struct bptee_report *r, const char *label, const char *key)
{
    char *json = NULL;
    if (bptee_report_custom(r, key, &json) != 1)
        return;
    size_t n = strlen(json);
    if (n >= 2 && json[0] == '"' && json[n - 1] == '"') /* a plain string: drop the quotes */
        printf("  %-14s %.*s\n", label, (int)(n - 2), json + 1);
    else
        printf("  %-14s %s\n", label, json);
    bptee_free(json);
}

/* The claims each kind of evidence is judged by, as {label, custom claim} (claims absent from
 * a report are skipped). SEV-SNP, the default, prints more below. */
struct claim_line {
    const char *label, *key;
};
static const struct claim_line tdx_lines[] = {
    {"fmspc", "fmspc"}, {"tee_tcb_svn", "tee_tcb_svn"}, {"tcb_status", "tcb_status"},
    {"rtmrs", "rtmrs"}, {"report_data", "report_data"}, {"root", "root_sha256"}, {NULL, NULL},
};
static const struct claim_line nitro_lines[] = {
    {"module_id", "module_id"}, {"pcr1", "pcr1"}, {"pcr2", "pcr2"}, {"pcr8", "pcr8"},
    {"nonce", "nonce"}, {"public_key", "public_key"}, {"root", "root"}, {NULL, NULL},
};
static const struct claim_line token_lines[] = {
    {"issuer", "iss"}, {"audience", "aud"}, {"type", "x-ms-attestation-type"},
    {"hwmodel", "hwmodel"}, {"dbgstat", "dbgstat"}, {"expires", "exp"}, {NULL, NULL},
};

static void kind_lines(const struct bptee_report *r)
{
    int provider = bptee_report_provider(r);
    const struct claim_line *lines = provider == BPTEE_PROVIDER_INTEL_TDX   ? tdx_lines
                                     : provider == BPTEE_PROVIDER_AWS_NITRO ? nitro_lines
                                     : provider == BPTEE_PROVIDER_AZURE_SNP ||
                                             provider == BPTEE_PROVIDER_GCP_CONFIDENTIAL
                                         ? token_lines
                                         : NULL;
    for (size_t i = 0; lines && lines[i].label; i++)
        custom_line(r, lines[i].label, lines[i].key);
    if (lines)
        return;
    const char *product = bptee_report_product_id(r), *fw = bptee_report_platform_version(r);
    printf("  %-14s %s\n", "product", product ? product : "?");
    printf("  %-14s %s\n", "firmware", fw ? fw : "?");
    custom_line(r, "vmpl", "vmpl");
    custom_line(r, "reported_tcb", "reported_tcb");
    custom_line(r, "report_data", "report_data");
    custom_line(r, "chip_id", "chip_id");
    custom_line(r, "signing_key", "signing_key");
    custom_line(r, "root", "ark_sha256");
}

static void print_summary(const struct bptee_report *r, int64_t at)
{
    char *meas = NULL, when[32];
    time_t t = (time_t)at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    int sim = bptee_report_simulated(r);
    printf("verified%s: %s %s\n", sim ? " (SIMULATED evidence, not hardware)" : "",
           bptee_provider_name(bptee_report_provider(r)),
           bptee_format_name(bptee_report_format(r)));
    if (bptee_report_measurement_string(r, &meas) == 0)
        printf("  %-14s %s\n", "measurement", meas);
    bptee_free(meas);
    printf("  %-14s %s\n", "debug", bptee_report_debug_mode(r) ? "yes" : "no");
    kind_lines(r);
    printf("  %-14s %s\n", "simulated", sim ? "YES" : "no");
    printf("  %-14s %s\n", "verified at", when);
}

/* A file given on the command line must hold something: an empty --chain must never fall
 * back to the built-in roots as if it had not been given. */
static int read_opt_file(const char *opt, const char *path, uint8_t **data, size_t *len)
{
    if (!path)
        return 0;
    int rc = bptee_read_file(path, CERT_MAX, data, len);
    if (rc < 0)
        return cli_error("verify", rc);
    if (*len == 0) {
        fprintf(stderr, "bptee: verify: %s %s is empty\n", opt, path);
        return 1;
    }
    return 0;
}

/* A key set from a file or a URL; `what` says where its location came from. */
static int load_jwks(const char *what, const char *where, struct bptee_jwks **out)
{
    if (jwks_arg_is_url(where))
        return jwks_load_url(what, where, out);
    if (bptee_jwks_load(where, out) == 0)
        return 0;
    fprintf(stderr, "bptee: verify: %s %s: %s\n", what, where, bptee_last_error());
    return 1;
}

/* The key set for this evidence: --jwks, else the one the policy's section for its kind of
 * token names, a relative file taken from the policy file's directory (so a policy and its key
 * set move together). A named set that cannot be had is an error, never a verification without
 * it. */
static int pick_jwks(const struct verify_args *a, const struct bptee_policy *policy,
                     const struct bptee_report *ev, struct bptee_jwks **out)
{
    const char *loc = NULL, *key = NULL;
    if (a->jwks)
        return load_jwks("--jwks", a->jwks, out);
    if (bptee_policy_jwks(policy, bptee_report_format(ev), &loc, &key) != 1)
        return 0;
    char what[64], path[PATH_MAX];
    snprintf(what, sizeof what, "policy %s", key);
    const char *slash = strrchr(a->policy, '/');
    if (jwks_arg_is_url(loc) || loc[0] == '/' || !slash)
        return load_jwks(what, loc, out);
    int n = snprintf(path, sizeof path, "%.*s/%s", (int)(slash - a->policy), a->policy, loc);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "bptee: verify: %s %s: path too long\n", what, loc);
        return 1;
    }
    return load_jwks(what, path, out);
}

static int load_collateral(const char *dir, struct bptee_tdx_collateral **out)
{
    if (!dir)
        return 0;
    int rc = bptee_tdx_collateral_new(out);
    if (rc == 0)
        rc = bptee_tdx_collateral_load_dir(*out, dir);
    return rc < 0 ? cli_error("verify: --collateral", rc) : 0;
}

/* --policy (or the default policy when a bound must be added to it), bounded by --config's
 * max_attestation_age_secs. 0, or the exit status. */
static int load_policy(const struct verify_args *a, struct bptee_policy **policy)
{
    struct bptee_config *cfg = NULL;
    int rc = 0;
    if (a->policy)
        rc = bptee_policy_load(a->policy, policy);
    else if (a->config)
        rc = bptee_policy_parse("{}", 2, policy);
    if (rc == 0 && a->config && (rc = bptee_config_load_file(a->config, &cfg)) == 0)
        rc = bptee_policy_bound_max_age(*policy, bptee_config_max_attestation_age_secs(cfg));
    bptee_config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "bptee: verify: %s\n", bptee_last_error());
        bptee_policy_free(*policy);
        *policy = NULL;
        return 1;
    }
    return 0;
}

/* Attestation evidence of any kind bptee verifies (SEV-SNP, TDX). */
static int verify_evidence(const struct verify_args *a, const uint8_t *data, size_t len)
{
    struct bptee_policy *policy = NULL;
    struct bptee_tdx_collateral *coll = NULL;
    struct bptee_jwks *jwks = NULL;
    uint8_t *vcek = NULL, *chain = NULL;
    size_t vcek_len = 0, chain_len = 0;
    struct bptee_report *ev = NULL, *out = NULL;
    int status = 1, rc;
    if ((rc = load_policy(a, &policy)) != 0)
        return rc;
    if (read_opt_file("--vcek", a->vcek, &vcek, &vcek_len) ||
        read_opt_file("--chain", a->chain, &chain, &chain_len) ||
        load_collateral(a->collateral, &coll))
        goto out;
    if ((rc = bptee_verify_input_load(data, len, &ev)) < 0) {
        status = cli_error(a->file, rc);
        goto out;
    }
    if (pick_jwks(a, policy, ev, &jwks))
        goto out;
    cli_crypto_init_local(); /* a key set's URL, the one TLS use, is fetched by now */
    int64_t at = a->at ? a->at : (int64_t)time(NULL);
    BPTEE_OPTS(bptee_verify_opts, o, .at = at, .policy = policy, .vcek = vcek, .vcek_len = vcek_len,
               .chain = chain, .chain_len = chain_len, .tdx_collateral = coll,
               .tdx_collateral_at = a->collateral_at, .jwks = jwks);
    if ((rc = bptee_verify_report(ev, &o, &out)) < 0) {
        status = cli_error(a->file, rc);
        goto out;
    }
    if (a->json) {
        char *json = NULL;
        if ((rc = bptee_report_save_json(out, BPTEE_REPORT_JSON_PRETTY, &json)) < 0) {
            status = cli_error(a->file, rc);
            goto out;
        }
        printf("%s\n", json);
        bptee_free(json);
    } else {
        print_summary(out, at);
    }
    status = fflush(stdout) == 0 ? 0 : 1;
out:
    bptee_report_free(ev);
    bptee_report_free(out);
    bptee_policy_free(policy);
    bptee_tdx_collateral_free(coll);
    bptee_jwks_free(jwks);
    bptee_free(vcek);
    bptee_free(chain);
    return status;
}

int cmd_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    int r = parse_args(argc, argv, &a);
    if (r >= 0)
        return r;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = bptee_read_file(a.file, INPUT_MAX, &data, &len);
    if (rc < 0)
        return cli_error("verify", rc);
    int status;
    if (verify_result_detect(a.file, a.sidecar, data, len)) {
        if (a.vcek || a.chain || a.collateral || a.collateral_at || a.jwks) {
            bptee_free(data);
            return cli_usage_error("verify: --vcek, --chain, --collateral[-at] and --jwks apply "
                                   "to evidence, not results");
        }
        struct verify_result_args ra = {.file = a.file, .sidecar = a.sidecar, .policy = a.policy,
                                        .at = a.at, .json = a.json};
        status = verify_result_main(&ra, data, len);
    } else if (a.sidecar) {
        status = cli_usage_error("verify: --sidecar applies to results only");
    } else {
        status = verify_evidence(&a, data, len);
    }
    bptee_free(data);
    return status;
}
