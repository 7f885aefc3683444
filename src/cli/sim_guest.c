// SPDX-License-Identifier: Apache-2.0
/* The simulated guest's launch options (sim_tsmfs.h), parsed alike by `bptee sim report` and
 * `bptee sim hcl` in the executable and by `bptee sim tsm-fs` in its plugin: a file of its own
 * so the plugin links this and not the whole `bptee sim` command. */
#include <stdint.h>

#include "cli/cli.h"
#include "cli/guest_args.h"
#include "cli/sim_tsmfs.h"

int sim_guest_opt(int c, const char *arg, struct sim_guest_args *g)
{
    uint64_t v = 0;
    switch (c) {
    case SIM_OPT_MEASUREMENT:
        g->opts.measurement = g->measurement;
        return cli_hex_arg("sim", "--measurement", arg, g->measurement, 48, 48, NULL);
    case SIM_OPT_HOST_DATA:
        g->opts.host_data = g->host_data;
        return cli_hex_arg("sim", "--host-data", arg, g->host_data, 32, 32, NULL);
    case SIM_OPT_POLICY:
        if (cli_uint_arg("sim", "--policy", arg, UINT64_MAX, &v))
            return 2;
        g->opts.policy = v;
        return 0;
    case SIM_OPT_VERSION:
        if (cli_uint_arg("sim", "--version", arg, 5, &v))
            return 2;
        g->opts.version = (uint32_t)v;
        return 0;
    case SIM_OPT_GUEST_SVN:
        if (cli_uint_arg("sim", "--guest-svn", arg, UINT32_MAX, &v))
            return 2;
        g->opts.guest_svn = (uint32_t)v;
        return 0;
    case 's':
        g->state_dir = arg;
        return 0;
    default:
        return -1;
    }
}
