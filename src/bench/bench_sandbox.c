// SPDX-License-Identifier: Apache-2.0
/* make bench: a job's start under the direct backend's sandbox (docs/sandbox.md) against a
 * plain fork/exec of the same /bin/true, as a ratio measured in one run, and the share of the
 * sandboxed start each step takes: the bare namespaces (a clone into new PID, mount and
 * network namespaces that exits at once), the network namespace alone (the sandbox with and
 * without "network": true), and the rest (the init's mounts, the seccomp filter, the extra
 * process) by difference. Root only: the namespaces need CAP_SYS_ADMIN or a user namespace. */
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bptee.h>

#include "bench.h"

static struct bptee_backend *backend;
static const char *const argv_true[] = {"/bin/true", NULL};

static int start_and_wait(const struct bptee_sandbox_opts *sandbox)
{
    BPTEE_OPTS(bptee_deploy_request, req, .path = "/bin/true", .argv = argv_true,
               .harden = true, .sandbox = sandbox);
    struct bptee_deployment *d = NULL;
    int ws = -1;
    if (bptee_backend_deploy(backend, &req, &d) != 0 || bptee_deployment_wait(d, &ws) != 0)
        return -1;
    bptee_deployment_destroy(d);
    return ws == 0 ? 0 : -1;
}

static int bare_namespaces(void)
{
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD,
                               NULL, NULL, NULL, NULL);
    if (pid == 0)
        _exit(0);
    int ws;
    return pid > 0 && waitpid(pid, &ws, 0) == pid && ws == 0 ? 0 : -1;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("sandbox: skipped (needs root for the namespaces here)\n");
        return 0;
    }
    if (bptee_direct_backend_new(NULL, &backend) != 0)
        return 1;
    struct bptee_sandbox_opts sb, sb_net;
    memset(&sb, 0, sizeof sb);
    sb.sz = sizeof sb;
    sb_net = sb;
    sb_net.network = true;
    double plain, sandboxed, with_net, ns;
    BENCH_RATE(plain, start_and_wait(NULL));
    BENCH_RATE(sandboxed, start_and_wait(&sb));
    BENCH_RATE(with_net, start_and_wait(&sb_net));
    BENCH_RATE(ns, bare_namespaces());
    double t_plain = 1e3 / plain, t_sb = 1e3 / sandboxed, t_net = 1e3 / with_net;
    double t_ns = 1e3 / ns, t_netns = t_sb - t_net;
    printf("sandbox_start: %.2f ms, plain fork/exec %.3f ms, ratio %.1f\n", t_sb, t_plain,
           t_sb / t_plain);
    printf("sandbox_share_namespaces: %.2f ms (%.0f%%; the network namespace alone %.2f ms, "
           "%.0f%%)\n", t_ns, 100 * t_ns / t_sb, t_netns, 100 * t_netns / t_sb);
    printf("sandbox_share_mounts_filter_init: %.2f ms (%.0f%%)\n", t_sb - t_ns - t_plain,
           100 * (t_sb - t_ns - t_plain) / t_sb);
    printf("sandbox_share_job_exec: %.3f ms (%.0f%%)\n", t_plain, 100 * t_plain / t_sb);
    bptee_backend_free(backend);
    return 0;
}
