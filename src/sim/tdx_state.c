// SPDX-License-Identifier: Apache-2.0
/* Where the simulated TDX platform lives, and its creation exactly once (sim/common.c publishes
 * a new state atomically; a lost race loads the winner's). The default directory sits beside
 * the SEV-SNP simulator's (its path plus "-tdx"), whose directory that simulator owns alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/io.h>

#include "sim/common.h"
#include "sim/tdx_sim.h"
#include "util/cleanup.h"
#include "util/error.h"

int bptee_tdx_sim_default_state_dir(char **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: tdx: default state directory: missing argument");
    char *base = NULL;
    int r = bptee_sim_default_state_dir(&base);
    if (r < 0)
        return r;
    r = asprintf(out, "%s-tdx", base);
    bptee_free(base);
    return r < 0 ? fail(BPTEE_ENOMEM, "sim: tdx: out of memory") : 0;
}

static const struct sim_statedir tdx_state = {
    .who = "sim: tdx", .kind = "TDX simulator", .marker = "tdx-platform.json"};

static int write_state(int dfd, const void *p, const uint8_t *mac)
{
    return tdx_sim_state_write(dfd, p, mac);
}

/* A fresh platform, published at dir with a fresh MAC key (see sim_state_publish). */
static int create_state(const char *dir)
{
    struct tdx_sim_platform p;
    int r = tdx_sim_platform_generate(&p);
    if (r < 0)
        return r;
    r = sim_state_publish(&tdx_state, dir, TDX_SIM_MAC_KEY_SIZE, write_state, &p);
    tdx_sim_platform_release(&p);
    return r;
}

/* A state directory holds keys: it must be ours and closed to everyone else. */
static int open_state_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return fail(BPTEE_EIO, "sim: tdx: state %s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        safe_close(dfd);
        return fail(BPTEE_EDENIED, "sim: tdx: state %s: must be owned by uid %u with mode 0700",
                    dir, (unsigned)geteuid());
    }
    return dfd;
}

int tdx_sim_state_load_or_create(const char *dir, struct bptee_tdx_sim *sim)
{
    int r = sim_state_find(&tdx_state, dir);
    if (r == 0)
        r = create_state(dir);
    if (r < 0)
        return r;
    int dfd = open_state_dir(dir);
    if (dfd < 0)
        return dfd;
    r = tdx_sim_state_read(dfd, dir, sim);
    safe_close(dfd);
    return r;
}
