// SPDX-License-Identifier: Apache-2.0
/* bptee sim: the simulated TEE. init creates (or shows) its state and prints the simulation
 * root's fingerprint (the ARK's, or with --tee tdx the simulated Intel root's); report writes a
 * raw simulated ATTESTATION_REPORT; tsm-fs serves a configfs-tsm emulation backed by it
 * (sim_tsmfs.c), as provider sev_guest or, with --tee tdx, tdx_guest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/guest_args.h"
#include "cli/plugin.h"
#include "cli/sim_tsmfs.h"

static void sim_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee sim init [--tee sev-snp|tdx] [--state-dir DIR]\n"
            "       bptee sim report [--state-dir DIR] [--report-data HEX] [--vmpl N]\n"
            "                        [GUEST OPTIONS] [--certs FILE] [-o FILE]\n"
            "       bptee sim hcl --ak-pub FILE [--state-dir DIR] [--vmpl N]\n"
            "                        [GUEST OPTIONS] [--certs FILE] [-o FILE]\n"
            "       bptee sim tsm-fs MOUNTPOINT [--tee sev-snp|tdx] [--state-dir DIR]\n"
            "                        [--foreground] [--race N] [GUEST OPTIONS]\n\n"
            "The simulated SEV-SNP TEE: a Milan-shaped platform whose ARK, ASK and VCEK are\n"
            "generated once into the state directory (default $XDG_STATE_HOME/bptee/sim) and\n"
            "marked \"" BPTEE_SIM_ORG "\". Its evidence is never hardware evidence.\n\n"
            "init     create the state if needed; print the simulation ARK's SHA-256 (with\n"
            "         --tee tdx: the simulated TDX's root, state in DIR-tdx; docs/tdx.md)\n"
            "report   write a signed 1184-byte report (stdout must not be a terminal) and,\n"
            "         with --certs, the GHCB certificate table (VCEK, ASK, ARK)\n"
            "hcl      write a simulated Azure HCL report (docs/azure.md): runtime data carrying\n"
            "         the AK of --ak-pub (RSA public key, PEM or DER) as HCLAkPub, bound by the\n"
            "         REPORT_DATA of a simulated report; 2048 bytes for a vTPM's NV index\n"
            "tsm-fs   mount a FUSE file system that behaves as configfs-tsm's report/ tree;\n"
            "         unmount with 'fusermount3 -u MOUNTPOINT'; --tee tdx serves the simulated\n"
            "         TDX's quotes as provider tdx_guest (--measurement is the MRTD)\n\n"
            "GUEST OPTIONS (the simulated guest's launch):\n"
            "  --measurement HEX   48 bytes      --policy N      guest POLICY (default 0x30000)\n"
            "  --host-data HEX     32 bytes      --version N     report VERSION 2, 3 or 5\n"
            "  --guest-svn N\n\n"
            "Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.\n");
}

/* The simulated TDX's state sits beside the SEV-SNP one: "<dir>-tdx" (guest.h). */
static int tdx_root(const char *dir, uint8_t fp[32])
{
    char path[4096];
    if (dir && (size_t)snprintf(path, sizeof path, "%s-tdx", dir) >= sizeof path)
        return cli_usage_error("sim init: --state-dir is too long");
    struct bptee_tdx_sim *sim = NULL;
    int r = bptee_tdx_sim_open(dir ? path : NULL, NULL, &sim);
    if (r == 0)
        r = bptee_tdx_sim_root_fingerprint(sim, fp);
    bptee_tdx_sim_free(sim);
    return r < 0 ? cli_error("sim init", r) : 0;
}

static int snp_root(const char *dir, uint8_t fp[32])
{
    struct bptee_sim *sim = NULL;
    int r = bptee_sim_open(dir, NULL, &sim);
    if (r < 0)
        return cli_error("sim init", r);
    bptee_sim_ark_fingerprint(sim, fp);
    bptee_sim_free(sim);
    return 0;
}

static int sim_init(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state-dir", required_argument, NULL, 's'},
        {"tee", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c, tdx = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 's')
            dir = optarg;
        else if (c == 'T' && (!strcmp(optarg, "tdx") || !strcmp(optarg, "sev-snp")))
            tdx = !strcmp(optarg, "tdx");
        else if (c == 'T')
            return cli_usage_error("sim init: --tee: expected sev-snp or tdx, got '%s'", optarg);
        else if (c == ':')
            return cli_usage_error("sim init: %s needs a value", argv[optind - 1]);
        else
            return cli_usage_error("sim init: unknown option '%s' (see --help)", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error("sim init: unexpected argument '%s'", argv[optind]);
    uint8_t fp[32];
    int r = tdx ? tdx_root(dir, fp) : snp_root(dir, fp);
    if (r)
        return r;
    char *hex = cli_hex(fp, sizeof fp);
    if (!hex)
        return cli_error("sim init", BPTEE_ENOMEM);
    printf("%s\n", hex);
    free(hex);
    return fflush(stdout) == 0 ? 0 : 1;
}

struct report_args {
    struct sim_guest_args g;
    uint8_t report_data[64];
    size_t report_data_len;
    uint32_t vmpl;
    const char *certs, *output, *ak_pub;
    int have_rd;
};

static int report_parse(int argc, char **argv, struct report_args *a, int hcl)
{
    static const struct option longopts[] = {
        SIM_GUEST_LONGOPTS,
        {"report-data", required_argument, NULL, 'r'},
        {"vmpl", required_argument, NULL, 'v'},
        {"certs", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"ak-pub", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = hcl ? "sim hcl" : "sim report";
    int c;
    uint64_t v = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        int r = sim_guest_opt(c, optarg, &a->g);
        if (r >= 0) {
            if (r)
                return r;
        } else if (c == 'a') {
            a->ak_pub = optarg;
        } else if (c == 'r') {
            a->have_rd = 1;
            if (cli_hex_arg(cmd, "--report-data", optarg, a->report_data, 0, 64,
                            &a->report_data_len))
                return 2;
        } else if (c == 'v') {
            if (cli_uint_arg(cmd, "--vmpl", optarg, 3, &v))
                return 2;
            a->vmpl = (uint32_t)v;
        } else if (c == 'c') {
            a->certs = optarg;
        } else if (c == 'o') {
            a->output = optarg;
        } else if (c == ':') {
            return cli_usage_error("%s: %s needs a value", cmd, argv[optind - 1]);
        } else {
            return cli_usage_error("%s: unknown option '%s' (see --help)", cmd,
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
    if (!a->ak_pub != !hcl)
        return cli_usage_error(hcl ? "sim hcl: --ak-pub FILE is required"
                                   : "sim report: --ak-pub belongs to 'sim hcl'");
    if (hcl && a->have_rd)
        return cli_usage_error("sim hcl: no --report-data: REPORT_DATA binds the runtime data");
    if (!a->output && isatty(STDOUT_FILENO))
        return cli_usage_error("%s: refusing to write a binary report to a terminal "
                               "(use -o FILE or a pipe)",
                               cmd);
    return 0;
}

static int sim_report(int argc, char **argv)
{
    struct report_args a = {.g = {.opts = {.sz = sizeof a.g.opts}}};
    int r = report_parse(argc, argv, &a, 0);
    if (r)
        return r;
    struct bptee_sim *sim = NULL;
    uint8_t report[BPTEE_SNP_REPORT_SIZE];
    uint8_t *table = NULL;
    size_t table_len = 0;
    r = bptee_sim_open(a.g.state_dir, &a.g.opts, &sim);
    if (r == 0)
        r = bptee_sim_report(sim, a.report_data, a.report_data_len, a.vmpl, report, sizeof report);
    if (r == 0 && a.certs)
        r = bptee_sim_certtable(sim, &table, &table_len);
    bptee_sim_free(sim);
    if (r < 0)
        return cli_error("sim report", r);
    if (a.certs)
        r = cli_write_output("sim report: --certs", a.certs, table, table_len);
    bptee_free(table);
    return r ? r : cli_write_output("sim report", a.output, report, sizeof report);
}

/* A simulated Azure HCL report around the given AK, for a software TPM's NV index. */
static int sim_hcl(int argc, char **argv)
{
    struct report_args a = {.g = {.opts = {.sz = sizeof a.g.opts}}};
    int r = report_parse(argc, argv, &a, 1);
    if (r)
        return r;
    struct bptee_sim *sim = NULL;
    uint8_t *ak = NULL, *hcl = NULL, *table = NULL;
    size_t ak_len = 0, hcl_len = 0, table_len = 0;
    r = bptee_read_file(a.ak_pub, 1u << 16, &ak, &ak_len);
    if (r < 0)
        return cli_error("sim hcl: --ak-pub", r);
    r = bptee_sim_open(a.g.state_dir, &a.g.opts, &sim);
    if (r == 0)
        r = bptee_sim_azure_hcl(sim, ak, ak_len, a.vmpl, &hcl, &hcl_len);
    if (r == 0 && a.certs)
        r = bptee_sim_certtable(sim, &table, &table_len);
    bptee_sim_free(sim);
    bptee_free(ak);
    if (r == 0 && a.certs)
        r = bptee_write_file(a.certs, table, table_len, 0644);
    if (r == 0)
        r = bptee_write_file(a.output, hcl, hcl_len, 0644);
    bptee_free(table);
    bptee_free(hcl);
    return r < 0 ? cli_error("sim hcl", r) : 0;
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("sim: missing subcommand (init, report, hcl or tsm-fs; see --help)");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            sim_usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "init"))
        return sim_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report"))
        return sim_report(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hcl"))
        return sim_hcl(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tsm-fs"))
        return cli_plugin_call("tsmfs", "sim_tsmfs_main", argc - 1, argv + 1);
    return cli_usage_error("sim: unknown subcommand '%s' (init, report, hcl or tsm-fs; see --help)",
                           argv[1]);
}
