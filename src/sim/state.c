// SPDX-License-Identifier: Apache-2.0
/* Where the simulated platform lives, and its creation exactly once (sim/common.c publishes a
 * new state atomically; a lost race loads the winner's). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common.h"
#include "sim/sim_private.h"
#include "util/cleanup.h"
#include "util/error.h"

int bptee_sim_default_state_dir(char **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: default state directory: missing argument");
    const char *xdg = secure_getenv("XDG_STATE_HOME");
    const char *home = secure_getenv("HOME");
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    int n;
    /* The XDG spec says relative values are invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = asprintf(out, "%s/bptee/sim", xdg);
    else if (home && home[0] == '/')
        n = asprintf(out, "%s/.local/state/bptee/sim", home);
    else
        return fail(BPTEE_ENOTFOUND, "sim: no state directory: neither XDG_STATE_HOME nor a "
                                     "home directory is set");
    return n < 0 ? fail(BPTEE_ENOMEM, "sim: out of memory") : 0;
}

static const struct sim_statedir snp_state = {
    .who = "sim", .kind = "simulator", .marker = "platform.json"};

static int write_state(int dfd, const void *p, const uint8_t *root)
{
    return sim_state_write(dfd, p, root);
}

/* A fresh platform, published at dir with a fresh root key (see sim_state_publish). */
static int create_state(const char *dir)
{
    struct sim_platform p;
    int r = sim_platform_generate(&p);
    if (r < 0)
        return r;
    r = sim_state_publish(&snp_state, dir, SIM_ROOT_KEY_SIZE, write_state, &p);
    sim_platform_release(&p);
    return r;
}

/* A state directory must belong to us and be closed to everyone else: it holds keys. */
static int open_state_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(dfd, &st) < 0) {
        safe_close(dfd);
        return fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        safe_close(dfd);
        return fail(BPTEE_EDENIED,
                    "sim: state %s: must be owned by uid %u with mode 0700 "
                    "(is uid %u, mode %04o)",
                    dir, (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    }
    return dfd;
}

int sim_state_load_or_create(const char *dir, struct bptee_sim *sim)
{
    int r = sim_state_find(&snp_state, dir);
    if (r == 0)
        r = create_state(dir);
    if (r < 0)
        return r;
    int dfd = open_state_dir(dir);
    if (dfd < 0)
        return dfd;
    r = sim_state_read(dfd, dir, sim);
    safe_close(dfd);
    return r;
}
