# SPDX-License-Identifier: Apache-2.0
"""make bench: how long users wait for a bptee process to start and finish, as ratios to
/bin/true measured in the same run (issue 16: `bptee verify` of a report whose VCEK is at hand
and `bptee run -- /bin/true` with one secret, each at most 3x /bin/true).

A small C timer spawns each command in turn (posix_spawn + waitpid, stdout and stderr to
/dev/null), round after round so that every command sees the same load, and prints each one's
median wall time: an interpreter's own fork cost would otherwise flatten the ratios.

Floors are measured in the same rounds, each a C program doing the least its command must:
- one that only links OpenSSL's libcrypto and exits, and one that only links libbptee and
  exits. Debian builds libcrypto to bind at load (BIND_NOW), so every process that links it pays
  its relocations before main: no bptee command that verifies anything starts faster;
- one that links libcrypto, reads the report and verifies its one ECDSA P-384 signature with a
  key imported from the VCEK's raw point: no verifier of that report can finish sooner, whatever
  it caches (OpenSSL 3.0's P-384 has no fast implementation: ~0.7 ms here);
- as root, one that starts /bin/true in new mount, PID and network namespaces and waits for it:
  the sandbox every TEE-path job gets (docs/sandbox.md) costs at least that, before any mount."""
import base64
import os
import re
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


FLOOR_VERIFY_C = r"""
/* The least a verifying process does: start, load libcrypto, read the report, verify its one
 * ECDSA P-384 signature with a key imported from its raw point (argv[2], hex). */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#define SIG_AT 0x2a0
#define COORD 72
static void reverse(unsigned char *out, const unsigned char *in, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = in[n - 1 - i];
}
int main(int argc, char **argv)
{
    /* OpenSSL started as bptee verify starts it (cli/common.c): no config, Hash_DRBG */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
    if (!RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256"))
        return 4;
    unsigned char report[1184], point[97], be[COORD], *der = NULL;
    FILE *f = argc == 3 ? fopen(argv[1], "rb") : NULL;
    if (!f || fread(report, 1, sizeof report, f) != sizeof report || strlen(argv[2]) != 194)
        return 2;
    fclose(f);
    for (int i = 0; i < 97; i++)
        sscanf(argv[2] + 2 * i, "%2hhx", &point[i]);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    reverse(be, report + SIG_AT, COORD);
    BIGNUM *r = BN_bin2bn(be, COORD, NULL);
    reverse(be, report + SIG_AT + COORD, COORD);
    BIGNUM *s = BN_bin2bn(be, COORD, NULL);
    ECDSA_SIG_set0(sig, r, s);
    int der_len = i2d_ECDSA_SIG(sig, &der);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point), OSSL_PARAM_END};
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    if (!kctx || EVP_PKEY_fromdata_init(kctx) != 1 ||
        EVP_PKEY_fromdata(kctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return 3;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
             EVP_DigestVerify(md, der, (size_t)der_len, report, SIG_AT) == 1;
    return ok ? 0 : 1;
}"""

FLOOR_SANDBOX_C = r"""
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    struct clone_args a = {.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET,
                           .exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &a, sizeof a);
    if (pid == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
    int st;
    return pid < 0 || waitpid((pid_t)pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st);
}
"""

# SubjectPublicKeyInfo of an EC P-384 key up to its uncompressed point (RFC 5480)
P384_SPKI_HEAD = bytes.fromhex("3076301006072a8648ce3d020106052b81040022036200")


def vcek_point_hex(pem_path):
    """The VCEK's raw public point, for the verify floor (which must not pay for parsing)."""
    with open(pem_path) as f:
        body = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END", f.read(), re.S).group(1)
    der = base64.b64decode("".join(body.split()))
    at = der.index(P384_SPKI_HEAD) + len(P384_SPKI_HEAD)
    return der[at:at + 97].hex()


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
        report = os.path.join(SNP, "sev-gcp-x25519-bound.bin")
        vcek = os.path.join(SNP, "sev-gcp-x25519-vcek.pem")
        verify = [CLI, "verify", report, "--vcek", vcek, "--at", "2026-01-01"]
        floors = [[build_floor(agent, "floor-crypto", FLOOR_CRYPTO_C, ["-lcrypto"])],
                  [build_floor(agent, "floor-bptee", FLOOR_BPTEE_C, ["-lbptee"])],
                  [build_floor(agent, "floor-verify", FLOOR_VERIFY_C, ["-lcrypto"]), report,
                   vcek_point_hex(vcek)]]
        commands = [["/bin/true"], *floors, [CLI, "--version"], verify]
        root = os.geteuid() == 0
        if root:  # a job with a secret runs under a dynamic uid here; namespaces need root
            agent.provision("bench", b"bptee bench secret\n")
            os.mkdir(agent.path("secrets"), 0o755)  # the overlay's directory, not the socket's
            # /bin/true prints no JSON: its attestation goes to a sidecar, as bptee run requires
            spec = agent.spec("one-secret.json", {"bench": agent.path("secrets/bench")},
                              sidecar=agent.path("true.tee.json"))
            commands.append([build_floor(agent, "floor-sandbox", FLOOR_SANDBOX_C, [])])
            commands.append([*agent.run_argv(spec), "--", "/bin/true"])
        t = medians(timer, commands)
        base, crypto, lib, floor_verify, version, ver = t[:6]

        def ratio(ms):
            return f"{ms:.2f} ms, ratio {ms / base:.2f} to /bin/true {base:.2f} ms"
        print(f"start_floor_libcrypto_only: {ratio(crypto)} (a C program linking libcrypto)")
        print(f"start_floor_libbptee_only: {ratio(lib)} (a C program linking libbptee)")
        print(f"start_floor_verify_one_p384_signature: {ratio(floor_verify)} (a C program "
              "verifying the report's signature with the VCEK's raw key: the least any verifier "
              "of it does)")
        print(f"start_bptee_version: {ratio(version)}")
        print(f"start_verify_snp_report: {ratio(ver)}, {ver / floor_verify:.2f}x the verify "
              "floor (target <= 3x /bin/true)")
        if root:
            sandbox, run = t[6:8]
            print(f"start_floor_sandbox_namespaces: {ratio(sandbox)} (a C program starting "
                  "/bin/true in new mount, PID and network namespaces)")
            print(f"start_run_true_one_secret: {ratio(run)}, {run / sandbox:.2f}x the sandbox "
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
