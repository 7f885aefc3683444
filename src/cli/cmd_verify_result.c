// SPDX-License-Identifier: Apache-2.0
/* Attested results on the command line: `bptee result verify FILE` (also reached through
 * `bptee verify FILE` when FILE is a result) and `bptee result original FILE`. */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/verify_result.h"

#define INPUT_MAX BPTEE_RESULT_MAX

static void result_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee result verify FILE [--sidecar FILE] [--policy FILE] [--at TIME]\n"
            "                               [--json]\n"
            "       bptee result original FILE\n\n"
            "verify: check an attested result (docs/results.md): a JSON object with a \"tee\"\n"
            "member, or any file with its sidecar (default FILE.tee.json). The evidence is\n"
            "verified under the policy (docs/policy.md) and its \"results\" section (job_ids,\n"
            "binary_sha256, argv_sha256, attestation).\n"
            "original: print the bytes the job produced (FILE without its \"tee\" member).\n\n"
            "Exit status: 0 verified (or printed), 1 rejected or unreadable, 2 usage error.\n");
}

static char *default_sidecar(const char *file)
{
    char *p = NULL;
    if (!file || !strcmp(file, "-") || asprintf(&p, "%s.tee.json", file) < 0)
        return NULL;
    if (access(p, F_OK) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

int verify_result_detect(const char *file, const char *sidecar, const uint8_t *data, size_t len)
{
    char *side = sidecar ? NULL : default_sidecar(file);
    int found = sidecar || side;
    free(side);
    if (found)
        return 1;
    uint8_t *orig = NULL;
    size_t olen = 0;
    int rc = bptee_result_original(data, len, &orig, &olen);
    bptee_free(orig);
    bptee_clear_error();
    /* A document with a "tee" member that is misplaced is a (tampered) result too. */
    return rc == 0 || rc == BPTEE_EVERIFY;
}

static void print_json(const struct bptee_result_verified *v)
{
    printf("{\"verified\":true,\"attestation\":\"%s\",\"placement\":\"%s\",\"provider\":\"%s\","
           "\"simulated\":%s,\"job_id\":\"%s\",\"binary_sha256\":\"%s\",\"argv_sha256\":\"%s\","
           "\"result_sha256\":\"%s\",\"result_size\":%" PRIu64 ","
           "\"tee.attestation.digest\":\"%s\",\"tee.measurement\":\"%s\",\"public_key\":\"%s\"}\n",
           v->kind == BPTEE_RESULT_FRESH ? "fresh" : "signed", v->injected ? "tee" : "sidecar",
           bptee_provider_name(v->provider), v->simulated ? "true" : "false", v->job_id,
           v->binary_sha256, v->argv_sha256, v->result_sha256, v->result_size,
           v->attestation_digest, v->measurement, v->public_key);
}

static void print_summary(const struct bptee_result_verified *v, const char *sidecar)
{
    printf("verified result%s: job %s\n", v->simulated ? " (SIMULATED evidence, not hardware)" : "",
           v->job_id);
    if (v->kind == BPTEE_RESULT_SIGNED)
        printf("  %-14s signed by the attested key %s\n", "attestation", v->public_key);
    else
        printf("  %-14s fresh evidence binding this result\n", "attestation");
    printf("  %-14s %s\n", "provider", bptee_provider_name(v->provider));
    printf("  %-14s %s\n", "measurement", v->measurement);
    printf("  %-14s %s\n", "evidence", v->attestation_digest);
    printf("  %-14s %s\n", "binary", v->binary_sha256);
    printf("  %-14s %s\n", "argv", v->argv_sha256);
    printf("  %-14s sha256 %s, %" PRIu64 " bytes\n", "result", v->result_sha256, v->result_size);
    printf("  %-14s %s\n", "metadata", v->injected ? "\"tee\" member" : sidecar);
}

static int load_policy(const char *path, struct bptee_policy **ev, struct bptee_result_policy **rp)
{
    int rc = path ? bptee_result_policy_load(path, ev, rp) : 0;
    return rc < 0 ? cli_error("verify", rc) : 0;
}

int verify_result_main(const struct verify_result_args *a, const uint8_t *data, size_t len)
{
    struct bptee_policy *ev = NULL;
    struct bptee_result_policy *rp = NULL;
    uint8_t *side = NULL;
    size_t side_len = 0;
    char *side_path = a->sidecar ? strdup(a->sidecar) : default_sidecar(a->file);
    int status = load_policy(a->policy, &ev, &rp), rc;
    if (!status && side_path &&
        (rc = bptee_read_file(side_path, BPTEE_RESULT_META_MAX, &side, &side_len)) < 0)
        status = cli_error("verify", rc);
    if (!status) {
        BPTEE_OPTS(bptee_verify_opts, vo, .at = a->at ? a->at : (int64_t)time(NULL),
                   .policy = ev);
        BPTEE_OPTS(bptee_result_verify_opts, o, .evidence = &vo, .policy = rp,
                   .sidecar = side, .sidecar_len = side_len);
        struct bptee_result_verified v;
        if ((rc = bptee_result_verify(data, len, &o, &v, NULL)) < 0)
            status = cli_error(a->file, rc);
        else if (a->json)
            print_json(&v);
        else
            print_summary(&v, side_path);
    }
    if (!status && fflush(stdout) != 0)
        status = 1;
    bptee_free(side);
    free(side_path);
    bptee_result_policy_free(rp);
    bptee_policy_free(ev);
    return status;
}

/* Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC); -1 if none of these. */
static int64_t parse_time(const char *s)
{
    char *end = NULL;
    if (isdigit((unsigned char)s[0]) && !strchr(s, '-')) {
        long long v = strtoll(s, &end, 10);
        return *end == '\0' && v > 0 ? (int64_t)v : -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end && *end == 'T')
        end = strptime(end, "T%H:%M:%SZ", &tm);
    return end && *end == '\0' ? (int64_t)timegm(&tm) : -1;
}

int verify_time_option(const char *cmd, const char *opt, const char *arg, int64_t *out)
{
    if ((*out = parse_time(arg)) > 0)
        return 0;
    return cli_usage_error("%s: %s '%s': expected unix seconds, YYYY-MM-DD or "
                           "YYYY-MM-DDTHH:MM:SSZ",
                           cmd, opt, arg);
}

static int parse_verify(int argc, char **argv, struct verify_result_args *a)
{
    static const struct option opts[] = {
        {"sidecar", required_argument, NULL, 's'}, {"policy", required_argument, NULL, 'p'},
        {"at", required_argument, NULL, 't'},      {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c, r;
    opterr = 0;
    optind = 0; /* glibc: rescan from argv[1], permuting options after FILE */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->sidecar = optarg; break;
        case 'p': a->policy = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': result_usage(stdout); return 0;
        case 't':
            if ((r = verify_time_option("result verify", "--at", optarg, &a->at)) != 0)
                return r;
            break;
        default:
            return cli_usage_error("result verify: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("result verify: expected one FILE (see --help)");
    a->file = argv[optind];
    return -1;
}

static int result_verify(int argc, char **argv)
{
    struct verify_result_args a = {0};
    int r = parse_verify(argc, argv, &a);
    if (r >= 0)
        return r;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = bptee_read_file(a.file, INPUT_MAX, &data, &len);
    if (rc < 0)
        return cli_error("verify", rc);
    int status = verify_result_main(&a, data, len);
    bptee_free(data);
    return status;
}

static int result_original(int argc, char **argv)
{
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
        return cli_usage_error("result original: expected one FILE (see --help)");
    uint8_t *data = NULL, *orig = NULL;
    size_t len = 0, olen = 0;
    int rc = bptee_read_file(argv[1], INPUT_MAX, &data, &len);
    if (rc == 0)
        rc = bptee_result_original(data, len, &orig, &olen);
    bptee_free(data);
    if (rc < 0)
        return cli_error(argv[1], rc);
    size_t w = fwrite(orig, 1, olen, stdout);
    bptee_free(orig);
    return w == olen && fflush(stdout) == 0 ? 0 : 1;
}

int cmd_result(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        result_usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return result_verify(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "original"))
        return result_original(argc - 1, argv + 1);
    return cli_usage_error("result: expected 'verify' or 'original' (see --help)");
}
