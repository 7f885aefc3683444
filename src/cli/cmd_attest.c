// SPDX-License-Identifier: Apache-2.0
/* bptee attest: evidence from this machine's TEE (configfs-tsm, then /dev/sev-guest, then --
 * only under --provider auto, and said out loud -- the simulated TEE), written as evidence
 * JSON with its certificates; SEV-SNP reports or TDX quotes. --tdreport writes a TD's raw
 * TDREPORT instead, for local inspection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/guest_args.h"

#define CMD "attest"

static void attest_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee attest [--provider auto|sev-snp|tdx|sim|sim-tdx|azure-snp]\n"
            "                    [--report-data HEX | --nonce HEX --public-key HEX]\n"
            "                    [--tsm-path DIR] [--device PATH] [--tdx-device PATH]\n"
            "                    [--tcti CONF] [--nv-index H] [--ak-handle H] [--azure-certs FILE]\n"
            "                    [--state-dir DIR] [--vmpl N] [--config FILE] [--tdreport] [-o FILE]\n\n"
            "Obtain SEV-SNP, TDX or Azure vTPM evidence and write it as evidence JSON (stdout\n"
            "unless -o).\n\n"
            "  --provider P       auto (default): configfs-tsm (SEV-SNP or TDX), else\n"
            "                     /dev/sev-guest, else the simulated SEV-SNP TEE (announced on\n"
            "                     stderr); sev-snp, tdx: that hardware only, fails without it\n"
            "                     (TDX quotes come through configfs-tsm: /dev/tdx_guest alone\n"
            "                     gives no remotely verifiable evidence); sim: the simulated\n"
            "                     SEV-SNP TEE; sim-tdx: the simulated TDX; azure-snp: an Azure\n"
            "                     confidential VM's vTPM (HCL report + TPM2 quote whose\n"
            "                     qualifying data is the 64-byte REPORT_DATA below)\n"
            "  --report-data HEX  up to 64 bytes for REPORT_DATA (zero-padded)\n"
            "  --nonce HEX        32 bytes; with --public-key (32-byte X25519 key) REPORT_DATA =\n"
            "                     SHA-512(nonce || public_key), recorded as the key binding\n"
            "  --tsm-path DIR     configfs-tsm report root (env BPTEE_TSM_PATH; default\n"
            "                     /sys/kernel/config/tsm/report)\n"
            "  --device PATH      SEV-SNP guest device (env BPTEE_SEV_GUEST_PATH; default\n"
            "                     /dev/sev-guest)\n"
            "  --tdx-device PATH  TDX guest device (env BPTEE_TDX_GUEST_PATH; default\n"
            "                     /dev/tdx_guest)\n"
            "  --tcti CONF        azure-snp: tpm2-tss TCTI (env BPTEE_TPM_TCTI; default\n"
            "                     device:/dev/tpmrm0; e.g. swtpm:host=127.0.0.1,port=2321)\n"
            "  --nv-index H       azure-snp: NV index of the HCL report (default 0x01400001)\n"
            "  --ak-handle H      azure-snp: persistent handle of the AK (default 0x81000003)\n"
            "  --azure-certs FILE azure-snp: VCEK, ASK, ARK to carry (PEM, VCEK first, or a\n"
            "                     GHCB certificate table; env BPTEE_AZURE_CERTS)\n"
            "  --state-dir DIR    simulator state (default $XDG_STATE_HOME/bptee/sim; the\n"
            "                     simulated TDX uses DIR-tdx)\n"
            "  --vmpl N           request VMPL N (0-3) instead of the guest's own (SEV-SNP)\n"
            "  --config FILE      take the \"bptee\" object of a TEE config (options override)\n"
            "  --tdreport         with --provider tdx or sim-tdx: write the raw 1024-byte\n"
            "                     TDREPORT (TDX_CMD_GET_REPORT0) instead; MAC'd for this CPU,\n"
            "                     it is for 'bptee inspect', not for remote verification\n"
            "  -o, --output FILE  write the JSON (or TDREPORT) to FILE\n\n"
            "Exit status: 0 evidence written, 1 failure (one line on stderr), 2 usage error.\n");
}

struct attest_args {
    struct bptee_guest_opts opts;
    uint8_t report_data[64];
    size_t report_data_len;
    uint8_t nonce[32], public_key[32];
    int have_rd, have_nonce, have_pk, have_provider, tdreport;
    const char *config, *output;
};

static int parse_opt(int c, const char *arg, struct attest_args *a)
{
    uint64_t v = 0;
    switch (c) {
    case 'p':
        a->have_provider = 1;
        a->opts.sim_tee = 0;
        if (!strcmp(arg, "sim-tdx")) { /* the simulator playing TDX: a CLI spelling only */
            a->opts.provider = BPTEE_EVIDENCE_PROVIDER_SIM;
            a->opts.sim_tee = BPTEE_EVIDENCE_PROVIDER_TDX;
            return 0;
        }
        if (bptee_evidence_provider_parse(arg, &a->opts.provider) < 0)
            return cli_usage_error(CMD ": --provider: %s (or sim-tdx)", bptee_last_error());
        return 0;
    case 'r':
        a->have_rd = 1;
        return cli_hex_arg(CMD, "--report-data", arg, a->report_data, 0, 64, &a->report_data_len);
    case 'n':
        a->have_nonce = 1;
        return cli_hex_arg(CMD, "--nonce", arg, a->nonce, 32, 32, NULL);
    case 'k':
        a->have_pk = 1;
        return cli_hex_arg(CMD, "--public-key", arg, a->public_key, 32, 32, NULL);
    case 't':
        a->opts.tsm_path = arg;
        return 0;
    case 'd':
        a->opts.device = arg;
        return 0;
    case 'D':
        a->opts.tdx_device = arg;
        return 0;
    case 'T':
        a->tdreport = 1;
        return 0;
    case 'C':
        a->opts.tpm_tcti = arg;
        return 0;
    case 'N':
    case 'K':
        if (cli_uint_arg(CMD, c == 'N' ? "--nv-index" : "--ak-handle", arg, UINT32_MAX, &v))
            return 2;
        if (v == 0)
            return cli_usage_error(CMD ": %s: 0 is not a TPM handle",
                                   c == 'N' ? "--nv-index" : "--ak-handle");
        *(c == 'N' ? &a->opts.azure_nv_index : &a->opts.azure_ak_handle) = (uint32_t)v;
        return 0;
    case 'A':
        a->opts.azure_certs = arg;
        return 0;
    case 's':
        a->opts.state_dir = arg;
        return 0;
    case 'c':
        a->config = arg;
        return 0;
    case 'o':
        a->output = arg;
        return 0;
    case 'v':
        if (cli_uint_arg(CMD, "--vmpl", arg, 3, &v))
            return 2;
        a->opts.set_vmpl = true;
        a->opts.vmpl = (uint32_t)v;
        return 0;
    default:
        return cli_usage_error(CMD ": see 'bptee attest --help'");
    }
}

static int parse_args(int argc, char **argv, struct attest_args *a)
{
    static const struct option longopts[] = {
        {"provider", required_argument, NULL, 'p'},
        {"report-data", required_argument, NULL, 'r'},
        {"nonce", required_argument, NULL, 'n'},
        {"public-key", required_argument, NULL, 'k'},
        {"tsm-path", required_argument, NULL, 't'},
        {"device", required_argument, NULL, 'd'},
        {"tdx-device", required_argument, NULL, 'D'},
        {"tdreport", no_argument, NULL, 'T'},
        {"tcti", required_argument, NULL, 'C'},
        {"nv-index", required_argument, NULL, 'N'},
        {"ak-handle", required_argument, NULL, 'K'},
        {"azure-certs", required_argument, NULL, 'A'},
        {"state-dir", required_argument, NULL, 's'},
        {"vmpl", required_argument, NULL, 'v'},
        {"config", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        if (c == 'h')
            return -1;
        if (c == ':')
            return cli_usage_error(CMD ": %s needs a value", argv[optind - 1]);
        if (c == '?')
            return cli_usage_error(CMD ": unknown option '%s' (see --help)", argv[optind - 1]);
        int r = parse_opt(c, optarg, a);
        if (r)
            return r;
    }
    if (optind < argc)
        return cli_usage_error(CMD ": unexpected argument '%s'", argv[optind]);
    if (a->have_rd && (a->have_nonce || a->have_pk))
        return cli_usage_error(CMD ": --report-data and --nonce/--public-key exclude each other");
    if (a->have_nonce != a->have_pk)
        return cli_usage_error(CMD ": --nonce and --public-key go together");
    if (a->tdreport && !a->output && isatty(STDOUT_FILENO))
        return cli_usage_error(CMD ": refusing to write a binary TDREPORT to a terminal (use -o "
                                   "FILE or a pipe)");
    return 0;
}

/* Options from --config first, so command-line options win. */
static int apply_config(struct attest_args *a, struct bptee_config **cfg)
{
    if (!a->config)
        return 0;
    if (bptee_config_load_file(a->config, cfg) < 0) {
        /* The library's reason starts with the file's name already. */
        fprintf(stderr, "bptee: %s\n", bptee_last_error());
        return 1;
    }
    BPTEE_OPTS(bptee_guest_opts, from);
    bptee_guest_opts_from_config(*cfg, &from);
    if (!a->have_provider) { /* "sim-tdx" in the config is provider sim with sim_tee tdx */
        a->opts.provider = from.provider;
        a->opts.sim_tee = from.sim_tee;
    }
    if (!a->opts.tsm_path)
        a->opts.tsm_path = from.tsm_path;
    if (!a->opts.device)
        a->opts.device = from.device;
    if (!a->opts.tdx_device)
        a->opts.tdx_device = from.tdx_device;
    if (!a->opts.state_dir)
        a->opts.state_dir = from.state_dir;
    return 0;
}

static int bind_key(struct attest_args *a)
{
    if (!a->have_nonce)
        return 0;
    int r = bptee_guest_key_binding(a->nonce, 32, a->public_key, 32, a->report_data);
    a->report_data_len = 64;
    return r < 0 ? cli_error(CMD, r) : 0;
}

static void announce(const struct attest_args *a, int source, const struct bptee_report *rep)
{
    int tdx = bptee_report_provider(rep) == BPTEE_PROVIDER_INTEL_TDX;
    if (source == BPTEE_GUEST_SOURCE_SIM && a->opts.provider == BPTEE_EVIDENCE_PROVIDER_AUTO)
        fputs("bptee: no TEE hardware found; using the simulated TEE (evidence is marked "
              "simulated)\n",
              stderr);
    else if (source == BPTEE_GUEST_SOURCE_SIM)
        fprintf(stderr, "bptee: using the simulated %s (evidence is marked simulated)\n",
                tdx ? "TDX" : "TEE");
    else if (bptee_report_simulated(rep))
        fprintf(stderr,
                "bptee: evidence from %s is signed by the bptee simulation root, not "
                "%s (marked simulated)\n",
                bptee_guest_source_name(source), tdx ? "Intel" : "AMD");
}

/* The TD's own TDREPORT: no evidence (MAC'd for this CPU), so it is written raw and said so. */
static int write_tdreport(struct attest_args *a)
{
    uint8_t rep[BPTEE_TDX_TDREPORT_SIZE];
    int source = 0;
    int r = bptee_guest_tdreport(&a->opts, a->report_data, a->report_data_len, rep, sizeof rep,
                                 &source);
    if (r < 0)
        return cli_error(CMD ": --tdreport", r);
    fprintf(stderr, "bptee: TDREPORT from %s: MAC'd for this CPU, not remotely verifiable%s\n",
            source == BPTEE_GUEST_SOURCE_SIM ? "the simulated TDX" : "the TDX guest device",
            source == BPTEE_GUEST_SOURCE_SIM ? " (simulated)" : "");
    return cli_write_output(CMD ": --tdreport", a->output, rep, sizeof rep);
}

static int write_evidence(struct attest_args *a, struct bptee_report *rep)
{
    int r = 0;
    if (a->have_nonce) {
        char *digest = cli_hex(a->report_data, 64);
        r = digest ? bptee_report_set_binding(rep, a->public_key, 32, "x25519", digest)
                   : BPTEE_ENOMEM;
        free(digest);
        if (r < 0)
            return cli_error(CMD ": key binding", r);
    }
    char *json = NULL;
    r = bptee_report_save_json(rep, BPTEE_REPORT_JSON_PRETTY, &json);
    if (r < 0)
        return cli_error(CMD ": evidence JSON", r);
    size_t n = strlen(json);
    json[n] = '\n'; /* replaces the NUL: written by length, freed as usual */
    r = cli_write_output(CMD, a->output, json, n + 1);
    bptee_free(json);
    return r;
}

int cmd_attest(int argc, char **argv)
{
    struct attest_args a = {.opts = {.sz = sizeof a.opts}};
    int r = parse_args(argc, argv, &a);
    if (r < 0) {
        attest_usage(stdout);
        return 0;
    }
    if (r)
        return r;
    struct bptee_config *cfg = NULL;
    struct bptee_report *rep = NULL;
    int source = 0;
    r = apply_config(&a, &cfg);
    if (!r)
        r = bind_key(&a);
    if (!r && a.tdreport) {
        r = write_tdreport(&a);
        bptee_config_free(cfg);
        return r;
    }
    if (!r) {
        int rc = bptee_guest_attest(&a.opts, a.report_data, a.report_data_len, &rep, &source);
        r = rc < 0 ? cli_error(CMD, rc) : 0;
    }
    if (!r) {
        announce(&a, source, rep);
        r = write_evidence(&a, rep);
    }
    bptee_report_free(rep);
    bptee_config_free(cfg);
    return r;
}
