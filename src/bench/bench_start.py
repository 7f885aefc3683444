# SPDX-License-Identifier: Apache-2.0
"""make bench: how long users wait for a bptee process to start and finish, as ratios to
/bin/true measured in the same run (issue 16: `bptee verify` of a report whose VCEK is at hand
and `bptee run -- /bin/true` with one secret, each at most 3x /bin/true).

A small C timer spawns each command in turn (posix_spawn + waitpid, stdout and stderr to
/dev/null), round after round so that every command sees the same load, and prints each one's
median wall time: an interpreter's own fork cost would otherwise flatten the ratios.

Two floors are measured in the same rounds: a C program that only links OpenSSL's libcrypto
and exits, and one that only links libbptee and exits. Debian builds libcrypto to bind at load
(BIND_NOW), so every process that links it pays its relocations before main: no bptee command
that verifies anything can start faster than the second floor."""
import os
import subprocess
import sys

from bench_agent import CLI, BenchAgent

ROUNDS = int(os.environ.get("BENCH_START_ROUNDS", "200"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SNP = os.path.join(ROOT, "..", "shared", "vectors", "sev-snp", "teekit-gcp-milan-v5")

TIMER_C = r"""
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y); }
/* timer ROUNDS CMD1 ... \; CMD2 ... \;  -> one median (microseconds) per command */
int main(int argc, char **argv) {
    int rounds = atoi(argv[1]), ncmd = 0; char **cmds[16];
    for (int i = 2; i < argc && ncmd < 16; i++) { cmds[ncmd++] = argv + i;
        while (i < argc && strcmp(argv[i], ";")) i++; argv[i] = NULL; }
    double *t = calloc((size_t)rounds * ncmd, sizeof *t);
    posix_spawn_file_actions_t fa; posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (int r = -3; r < rounds; r++)
        for (int c = 0; c < ncmd; c++) { pid_t pid; int st; double t0 = now();
            if (posix_spawn(&pid, cmds[c][0], &fa, NULL, cmds[c], environ)) { perror(cmds[c][0]); return 1; }
            if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
                fprintf(stderr, "timer: %s failed (status %d)\n", cmds[c][0], st); return 1; }
            if (r >= 0) t[c * rounds + r] = now() - t0; }
    for (int c = 0; c < ncmd; c++) { qsort(t + c * rounds, rounds, sizeof *t, cmp);
        printf("%s%.1f", c ? " " : "", t[c * rounds + rounds / 2]); }
    printf("\n"); return 0; }
"""


FLOOR_CRYPTO_C = "#include <openssl/crypto.h>\nint main(void) { return OpenSSL_version_num() == 0; }\n"
FLOOR_BPTEE_C = "#include <bptee.h>\nint main(void) { return bptee_version() == 0; }\n"


def build_floor(agent, name, source, libs):
    out = agent.path(name)
    B = os.path.dirname(CLI)
    subprocess.run(["cc", "-O2", "-x", "c", "-", "-o", out, "-I", os.path.join(ROOT, "include"),
                    "-L", B, "-Wl,-rpath," + B, "-Wl,-z,relro,-z,now", "-Wl,--no-as-needed",
                    *libs], input=source.encode(), check=True)
    return out


def medians(timer, commands):
    argv = [timer, str(ROUNDS)]
    for c in commands:
        argv += [*c, ";"]
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return [float(x) / 1e3 for x in r.stdout.split()]


def main():
    agent = BenchAgent("bptee-bench-start-")
    try:
        timer = agent.path("timer")
        subprocess.run(["cc", "-O2", "-x", "c", "-", "-o", timer], input=TIMER_C.encode(),
                       check=True)
        verify = [CLI, "verify", os.path.join(SNP, "sev-gcp-x25519-bound.bin"), "--vcek",
                  os.path.join(SNP, "sev-gcp-x25519-vcek.pem"), "--at", "2026-01-01"]
        floors = [[build_floor(agent, "floor-crypto", FLOOR_CRYPTO_C, ["-lcrypto"])],
                  [build_floor(agent, "floor-bptee", FLOOR_BPTEE_C, ["-lbptee"])]]
        commands = [["/bin/true"], *floors, [CLI, "--version"], verify]
        if os.geteuid() == 0:  # a job with a secret runs under a dynamic uid here
            agent.provision("bench", b"bptee bench secret\n")
            os.mkdir(agent.path("secrets"), 0o755)  # the overlay's directory, not the socket's
            # /bin/true prints no JSON: its attestation goes to a sidecar, as bptee run requires
            spec = agent.spec("one-secret.json", {"bench": agent.path("secrets/bench")},
                              sidecar=agent.path("true.tee.json"))
            commands.append([*agent.run_argv(spec), "--", "/bin/true"])
        t = medians(timer, commands)
        base, crypto, lib, version, ver = t[:5]

        def ratio(ms):
            return f"{ms:.2f} ms, ratio {ms / base:.2f} to /bin/true {base:.2f} ms"
        print(f"start_floor_libcrypto_only: {ratio(crypto)} (a C program linking libcrypto)")
        print(f"start_floor_libbptee_only: {ratio(lib)} (a C program linking libbptee)")
        print(f"start_bptee_version: {ratio(version)}")
        print(f"start_verify_snp_report: {ratio(ver)}, {ver / lib:.2f}x the libbptee floor "
              "(target <= 3x /bin/true)")
        if len(t) > 5:
            print(f"start_run_true_one_secret: {ratio(t[5])}, {t[5] / lib:.2f}x the libbptee "
                  "floor (target <= 3x /bin/true)")
        else:
            print("start_run_true_one_secret: skipped (needs root for the job's dynamic uid)")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"start: {e}", file=sys.stderr)
        return 1
    finally:
        agent.stop()


if __name__ == "__main__":
    sys.exit(main())
