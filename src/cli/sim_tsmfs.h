/* SPDX-License-Identifier: Apache-2.0 */
/* `bptee sim` pieces shared between cmd_sim.c and the configfs-tsm emulation (sim_tsmfs.c,
 * sim_tsmfs_backend.c): the simulated guest's launch options, the tsm-fs entry point and the
 * simulator behind it. */
#ifndef BPTEE_CLI_SIM_TSMFS_H
#define BPTEE_CLI_SIM_TSMFS_H

#include <getopt.h>

#include <bptee.h>

enum {
    SIM_OPT_MEASUREMENT = 0x100,
    SIM_OPT_HOST_DATA,
    SIM_OPT_POLICY,
    SIM_OPT_VERSION,
    SIM_OPT_GUEST_SVN,
};

/* The simulated guest's launch parameters as given on the command line. */
struct sim_guest_args {
    struct bptee_sim_opts opts;
    uint8_t measurement[48];
    uint8_t host_data[32];
    const char *state_dir;
};

/* getopt_long entries of the guest options (clang-format would misalign the table). */
// clang-format off
#define SIM_GUEST_LONGOPTS                                                                         \
    {"measurement", required_argument, NULL, SIM_OPT_MEASUREMENT},                                 \
    {"host-data", required_argument, NULL, SIM_OPT_HOST_DATA},                                     \
    {"policy", required_argument, NULL, SIM_OPT_POLICY},                                           \
    {"version", required_argument, NULL, SIM_OPT_VERSION},                                         \
    {"guest-svn", required_argument, NULL, SIM_OPT_GUEST_SVN},                                     \
    {"state-dir", required_argument, NULL, 's'}
// clang-format on

/* Handle one getopt result if it is a guest option: 0 taken, 2 usage error printed, -1 not a
 * guest option. */
int sim_guest_opt(int c, const char *arg, struct sim_guest_args *g);

/* bptee sim tsm-fs MOUNTPOINT ...; argv[0] is "tsm-fs". */
int sim_tsmfs_main(int argc, char **argv);

/* The simulator the emulation serves: SEV-SNP, or TDX when tdx is set before opening. */
struct tsm_backend {
    int tdx;
    struct bptee_sim *sim;
    struct bptee_tdx_sim *tdx_sim;
};

struct tsm_blob {
    uint8_t *data; /* free() */
    size_t len;
};

/* With --tee tdx, the options that mean nothing to TDX are usage errors: 0, or 2 printed. */
int tsm_backend_check_args(int tdx, const struct sim_guest_args *g);
/* Open the simulator (TDX: state in "<state_dir>-tdx", --measurement is the MRTD); 0 or a
 * negative BPTEE_E* code with bptee_last_error() set. */
int tsm_backend_open(struct tsm_backend *b, const struct sim_guest_args *g);
void tsm_backend_free(struct tsm_backend *b);
/* The provider attribute's text. */
const char *tsm_backend_provider(const struct tsm_backend *b);
/* outblob (and for SEV-SNP auxblob) over the inblob at privlevel (SEV-SNP's VMPL). */
int tsm_backend_generate(struct tsm_backend *b, const uint8_t *inblob, size_t len,
                         unsigned privlevel, struct tsm_blob *out, struct tsm_blob *aux);

#endif
