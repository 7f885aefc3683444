// SPDX-License-Identifier: Apache-2.0
/* What a sandboxed job may do, set in its own process last before execve: resource limits
 * from the spec, an empty capability bounding set (so not even a job run as root, nor a
 * set-uid program, holds a capability after execve), and a seccomp deny-list of what a batch
 * job never needs. A deny-list rather than an allow-list: jobs are arbitrary programs, and
 * what they need cannot be listed, while what only the machine's administrator needs can. */
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/sandbox.h"
#include "util/error.h"

struct sandbox_filter {
    scmp_filter_ctx ctx;
};

/* Each answers EPERM: a program that probes for them gets the ordinary "not permitted". */
static const char *const denied[] = {
    /* mounts: the job's view of the file system is fixed */
    "mount", "umount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    /* other processes' memory */
    "ptrace", "process_vm_readv", "process_vm_writev",
    /* the kernel itself */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
    "reboot", "swapon", "swapoff", "acct",
    /* the kernel keyring: shared by every process of a uid */
    "keyctl", "add_key", "request_key",
    /* the clock */
    "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "stime",
};

int sandbox_filter_new(const struct bptee_sandbox_opts *o, struct sandbox_filter **out)
{
    struct sandbox_filter *f = calloc(1, sizeof *f);
    if (!f)
        return fail(BPTEE_ENOMEM, "sandbox: out of memory");
    /* Only the native architecture's calls are matched: another one (i386 on x86-64) is
     * killed by libseccomp's default bad-architecture action rather than slipping by. */
    if (!(f->ctx = seccomp_init(SCMP_ACT_ALLOW))) {
        free(f);
        return fail(BPTEE_EIO, "sandbox: seccomp_init failed");
    }
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a call of this architecture (stime on x86-64) */
        int rc = seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc < 0) {
            sandbox_filter_free(f);
            return fail(BPTEE_EIO, "sandbox: seccomp rule for %s: %s", denied[i],
                        strerror(-rc));
        }
    }
    if (!o->io_uring &&
        seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) < 0) {
        sandbox_filter_free(f);
        return fail(BPTEE_EIO, "sandbox: seccomp rule for io_uring_setup failed");
    }
    *out = f;
    return 0;
}

void sandbox_filter_free(struct sandbox_filter *f)
{
    if (!f)
        return;
    seccomp_release(f->ctx);
    free(f);
}

static int limit(int resource, uint64_t value)
{
    if (value == 0)
        return 0;
    struct rlimit r = {.rlim_cur = value, .rlim_max = value};
    return setrlimit(resource, &r);
}

static int drop_capabilities(void)
{
    /* The ambient set would survive execve; the bounding set caps what any execve grants. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -1;
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return -1;
    return 0;
}

int sandbox_confine(const struct bptee_sandbox_opts *o, struct sandbox_filter *f)
{
    if (limit(RLIMIT_AS, o->memory_bytes) != 0 || limit(RLIMIT_CPU, o->cpu_seconds) != 0 ||
        limit(RLIMIT_NPROC, o->max_pids) != 0 || limit(RLIMIT_NOFILE, o->max_open_files) != 0)
        return -1;
    if (drop_capabilities() != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    int rc = seccomp_load(f->ctx);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

bool sandbox_have_sys_admin(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2] = {0};
    if (syscall(SYS_capget, &h, d) != 0)
        return false;
    return (d[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1;
}
