// SPDX-License-Identifier: Apache-2.0
/* The interposer's costs (issue 5; DESIGN.md "Performance budget"). Starts the real `bptee
 * agent` ($BPTEE_BUILD/bptee) on the simulated TEE in a temporary directory, provisions one
 * secret with `bptee provision`, then re-executes itself in child roles, because the preload
 * is loaded at exec time and a first open needs a fresh process:
 *   --child loop preload|plain PLAIN SECRET SECONDS
 *       open+read+close of a non-secret file for SECONDS, with or without libbptee-preload.so;
 *   --child first preload|library PLAIN SECRET SOCKET SECONDS
 *       the first open() of the declared secret (agent round trip + memfd), then, for SECONDS,
 *       reopens of it interleaved with plain opens in the same process; or, as the floor, the
 *       same fetch through libbptee's job socket client in a process without the preload;
 *       with a ninth argument (a pipe's read end) it first waits for the go of a burst:
 *       BURST_JOBS such children released at once, whose p99 is compared with the single
 *       job's median (DESIGN.md: 16 concurrent jobs within 4x).
 * Children time with CLOCK_MONOTONIC and write one result line on stdout, a pipe to the parent.
 * Every child checks what it read, so a failing operation is never measured as a fast one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include <bptee.h>

#include "bench/bench.h"
#include "bench/bench_proc.h"

#define SECRET_NAME "bench_secret"
#define FIRST_OPEN_PROCS 30
#define ROUNDS 8 /* pairs of loop children (with and without the preload) for that ratio */
#define BLOCK 32 /* operations between two clock reads */
#define PATH_CAP 512
#define BURST_JOBS 16  /* jobs opening their first secret at once */
#define BURST_ROUNDS 8 /* so the p99 is one of BURST_JOBS * BURST_ROUNDS samples */

/* Same length, so a read costs the same; a different last component from the secret's, so the
 * interposer takes its fast path on the plain file, as on any undeclared path. */
static const char secret_value[] = "bptee bench secret, sealed: ok\n";
static const char plain_value[] = "an ordinary file, not a secret\n";
_Static_assert(sizeof secret_value == sizeof plain_value, "reads of the same size");

static char dir[] = "/tmp/bptee-bench-preload-XXXXXX";
static int dir_made, in_child;
static pid_t agent_pid, child_pid, burst_pid[BURST_JOBS];
static char cli[PATH_CAP], preload_so[PATH_CAP], sock[PATH_CAP], plain_path[PATH_CAP];
static char secret_path[PATH_CAP], agent_url[64];

static void cleanup(int failed);

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench_preload%s: ", in_child ? " (child)" : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (!in_child)
        cleanup(1);
    exit(1);
}

static const char *in_dir(char *out, const char *name)
{
    if ((size_t)snprintf(out, PATH_CAP, "%s/%s", dir, name) >= PATH_CAP)
        die("path too long: %s/%s", dir, name);
    return out;
}

/* ---- the child roles ------------------------------------------------------------------------ */

/* open+read+close: the operation every figure times; 0 only when the whole content came back. */
static int open_read_close(const char *path, size_t want)
{
    char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf);
    int rc = close(fd);
    return n == (ssize_t)want && rc == 0 ? 0 : -1;
}

static void expect_content(int fd, const char *path, const char *want)
{
    char buf[256];
    size_t len = strlen(want);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0)
        die("read %s: %s", path, strerror(errno));
    if ((size_t)n != len || sodium_memcmp(buf, want, len) != 0)
        die("%s: read %zd bytes, not the %zu expected", path, n, len);
    if (close(fd) != 0)
        die("close %s: %s", path, strerror(errno));
}

static void child_loop(const char *mode, const char *plain, const char *secret, double seconds)
{
    size_t len = strlen(plain_value);
    long n = 0;
    /* Prove which side we are on: ld.so only warns when a preload cannot be loaded, and a
     * ratio against itself would read as a perfect 1.00. */
    if (strcmp(mode, "preload") == 0) {
        expect_content(open(secret, O_RDONLY | O_CLOEXEC), secret, secret_value);
    } else {
        int fd = open(secret, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT)
            die("the plain child opened %s: the preload is active", secret);
    }
    expect_content(open(plain, O_RDONLY | O_CLOEXEC), plain, plain_value);
    double t0 = bench_now(), t;
    do {
        for (int i = 0; i < BLOCK; i++)
            if (open_read_close(plain, len) != 0)
                die("open+read+close %s: %s", plain, strerror(errno));
        n += BLOCK;
        t = bench_now();
    } while (t - t0 < seconds);
    printf("%ld %.9f\n", n, t - t0);
}

/* The same request without the interposer, through the library's client: one connection per
 * fetch, as the interposer makes. */
static double library_fetch(void)
{
    int s = -1, memfd = -1;
    uint64_t size = 0, version = 0;
    double t0 = bench_now();
    if (bptee_job_connect(sock, &s) < 0 ||
        bptee_job_secret(s, SECRET_NAME, &memfd, &size, &version) < 0)
        die("SECRET %s on the job socket: %s", SECRET_NAME, bptee_last_error());
    double t = bench_now() - t0;
    close(s);
    expect_content(memfd, "the agent's memfd", secret_value);
    return t;
}

static void child_first(const char *how, const char *plain, const char *secret, double seconds,
                        const char *go)
{
    size_t plen = strlen(plain_value), slen = strlen(secret_value);
    double t_secret = 0, t_plain = 0, first;
    long n = 0;
    /* One ordinary open first, as any job makes before it reads a secret: the figure is the
     * secret's cost (socket, agent, memfd, reopen), not the process's first-touch page faults. */
    expect_content(open(plain, O_RDONLY | O_CLOEXEC), plain, plain_value);
    if (go && bench_wait_go(go) < 0)
        die("write: %s", strerror(errno));
    if (strcmp(how, "library") == 0) {
        first = library_fetch();
    } else {
        double t0 = bench_now();
        int fd = open(secret, O_RDONLY | O_CLOEXEC);
        first = bench_now() - t0;
        expect_content(fd, secret, secret_value);
    }
    for (double start = bench_now(); bench_now() - start < seconds; n += BLOCK) {
        double a = bench_now();
        for (int i = 0; i < BLOCK; i++)
            if (open_read_close(secret, slen) != 0)
                die("reopen of %s: %s", secret, strerror(errno));
        double b = bench_now();
        for (int i = 0; i < BLOCK; i++)
            if (open_read_close(plain, plen) != 0)
                die("open+read+close %s: %s", plain, strerror(errno));
        t_secret += b - a;
        t_plain += bench_now() - b;
    }
    printf("%.9f %ld %.9f %.9f\n", first, n, t_secret, t_plain);
}

static int child_main(int argc, char **argv)
{
    in_child = 1;
    if (argc == 7 && strcmp(argv[2], "loop") == 0)
        child_loop(argv[3], argv[4], argv[5], atof(argv[6]));
    else if ((argc == 8 || argc == 9) && strcmp(argv[2], "first") == 0 &&
             (size_t)snprintf(sock, sizeof sock, "%s", argv[6]) < sizeof sock)
        child_first(argv[3], argv[4], argv[5], atof(argv[7]), argc == 9 ? argv[8] : NULL);
    else
        die("unknown child role");
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- the parent: files, agent, provisioning ------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0)
        die("write %s: %s", path, strerror(errno));
}

static void show_log(const char *name)
{
    char path[PATH_CAP], buf[1500];
    int fd = open(in_dir(path, name), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    ssize_t n = pread(fd, buf, sizeof buf, end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0);
    close(fd);
    if (n > 0)
        fprintf(stderr, "--- %s (last %zd bytes) ---\n%.*s", name, n, (int)n, buf);
}

static void cleanup(int failed)
{
    bench_reap(&child_pid, SIGKILL);
    for (int i = 0; i < BURST_JOBS; i++)
        bench_reap(&burst_pid[i], SIGKILL);
    bench_reap(&agent_pid, SIGTERM); /* the agent wipes its secrets and removes its socket */
    if (!dir_made)
        return;
    if (failed) {
        show_log("agent.log");
        show_log("provision.log");
    }
    bench_remove_tree(dir);
    dir_made = 0;
}

/* Reap *pid; anything but exit status 0 fails the run. */
static void wait_ok(pid_t *pid, const char *what)
{
    char why[64];
    if (bench_wait_ok(pid, why, sizeof why) < 0)
        die("%s: %s", what, why);
}

/* fork+exec with stdout and stderr where asked (-1: inherited). */
static pid_t spawn(char *const argv[], char *const envp[], int out_fd, int err_fd)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        if ((out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) ||
            (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0))
            _exit(127);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    return pid;
}

static int log_fd(const char *name)
{
    char path[PATH_CAP];
    int fd = open(in_dir(path, name), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    return fd;
}

/* The agent prints "ready http://HOST:PORT socket PATH" once both servers are up. */
static void start_agent(void)
{
    char cfg[PATH_CAP], state[PATH_CAP], line[PATH_CAP + 64];
    unsigned port = 0;
    int pfd[2], err = log_fd("agent.log");
    char *argv[] = {cli,           "agent",
                    "--config",    (char *)in_dir(cfg, "tee.json"),
                    "--listen",    "127.0.0.1:0",
                    "--socket",    sock,
                    "--state-dir", (char *)in_dir(state, "sim"),
                    "--provider",  "sim",
                    NULL};
    /* Owners "open": unsigned provisioning, enough here (the figures are the interposer's). */
    write_file(cfg, "{\"requirement\":\"preferred\",\"mode\":\"direct\",\"provider_selector\":"
                    "\"any\",\"key_exchange\":{\"session_ttl_secs\":60,\"max_sessions\":64},"
                    "\"secret_injection\":\"sealed_only\",\"bptee\":{\"evidence_provider\":"
                    "\"sim\",\"owners\":\"open\"}}");
    if (pipe2(pfd, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    agent_pid = spawn(argv, environ, pfd[1], err);
    close(pfd[1]);
    close(err);
    FILE *f = fdopen(pfd[0], "r");
    if (!f)
        die("fdopen: %s", strerror(errno));
    int ok = fgets(line, sizeof line, f) && sscanf(line, "ready http://127.0.0.1:%u", &port) == 1;
    fclose(f);
    if (!ok)
        die("the agent did not start%s",
            bench_interrupted ? ": interrupted" : " (see agent.log below)");
    snprintf(agent_url, sizeof agent_url, "http://127.0.0.1:%u", port);
}

static void stop_agent(void)
{
    kill(agent_pid, SIGTERM);
    wait_ok(&agent_pid, "the agent's shutdown");
}

/* As an owner would: `bptee provision` verifies the agent's (simulated) evidence and seals. */
static void provision(void)
{
    char pol[PATH_CAP], src[PATH_CAP], arg[PATH_CAP + 32];
    int log = log_fd("provision.log");
    write_file(in_dir(pol, "policy.json"), "{\"sev_snp\":{\"allow_simulation\":true}}");
    write_file(in_dir(src, "secret.txt"), secret_value);
    snprintf(arg, sizeof arg, "%s=@%s", SECRET_NAME, src);
    char *argv[] = {cli, "provision", "--agent", agent_url, "--policy", pol, "--secret", arg, NULL};
    child_pid = spawn(argv, environ, log, log);
    close(log);
    wait_ok(&child_pid, "bptee provision");
    unlink(src);
}

/* The agent serves only registered jobs: this process and its children (the measured roles)
 * are registered as one, as an operator would with `bptee grant`. */
static void grant_self(void)
{
    char pid[24];
    int log = log_fd("grant.log");
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char *argv[] = {cli,        "grant",     "--socket", sock, "--job-id", "bench-preload",
                    "--secret", SECRET_NAME, "--pid",    pid,  NULL};
    child_pid = spawn(argv, environ, log, log);
    close(log);
    wait_ok(&child_pid, "bptee grant");
}

/* ---- the parent: running children ----------------------------------------------------------- */

/* Our environment without any preload settings, plus the preload's when asked. */
static char **child_env(int preload)
{
    static char vars[3][PATH_CAP + 32];
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 4, sizeof *env);
    if (!env)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "BPTEE_", 6) != 0)
            env[k++] = environ[i];
    if (preload) {
        snprintf(vars[0], sizeof vars[0], "LD_PRELOAD=%s", preload_so);
        snprintf(vars[1], sizeof vars[1], "BPTEE_SECRETS=%s=%s", SECRET_NAME, secret_path);
        snprintf(vars[2], sizeof vars[2], "BPTEE_AGENT_SOCKET=%s", sock);
        for (int i = 0; i < 3; i++)
            env[k++] = vars[i];
    }
    return env;
}

/* Runs this program in a child role and returns its result line. */
static void run_child(char **argv, char **envp, char *out, size_t cap)
{
    int pfd[2];
    size_t have = 0;
    char what[64];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    child_pid = spawn(argv, envp, pfd[1], -1);
    close(pfd[1]);
    for (ssize_t r; have + 1 < cap && (r = read(pfd[0], out + have, cap - 1 - have)) > 0;)
        have += (size_t)r;
    out[have] = '\0';
    close(pfd[0]);
    snprintf(what, sizeof what, "child role '%s %s'", argv[2], argv[3]);
    wait_ok(&child_pid, what);
}

/* Operations and seconds of the loop children, [0] without the preload, [1] with it. */
static long loop_ops[2];
static double loop_secs[2];

/* One loop child; its rate. */
static double loop_round(int preload, char **env, double slice)
{
    char secs[32], out[128], *mode = preload ? "preload" : "plain";
    long n = 0;
    double t = 0;
    snprintf(secs, sizeof secs, "%.6f", slice);
    char *argv[] = {"/proc/self/exe", "--child", "loop", mode, plain_path, secret_path, secs, NULL};
    run_child(argv, env, out, sizeof out);
    if (sscanf(out, "%ld %lf", &n, &t) != 2 || n <= 0 || t <= 0)
        die("loop child (%s) answered '%s'", mode, out);
    loop_ops[preload] += n;
    loop_secs[preload] += t;
    return (double)n / t;
}

static void first_open(char *how, char **env, double seconds, double *first, long *n, double *ts,
                       double *tp)
{
    char secs[32], out[160];
    snprintf(secs, sizeof secs, "%.6f", seconds);
    char *argv[] = {"/proc/self/exe", "--child", "first", how, plain_path,
                    secret_path,      sock,      secs,    NULL};
    run_child(argv, env, out, sizeof out);
    if (sscanf(out, "%lf %ld %lf %lf", first, n, ts, tp) != 4 || *first <= 0 ||
        (seconds > 0 && (*n <= 0 || *ts <= 0 || *tp <= 0)))
        die("first-open child answered '%s'", out);
}

/* BURST_JOBS fresh processes under the interposer, released together (a pipe's end of file),
 * each timing its first open; their times go to out[BURST_JOBS]. */
static void burst_round(char **env, double *out)
{
    int go[2], res[BURST_JOBS];
    char go_arg[16];
    if (pipe2(go, 0) != 0 || fcntl(go[1], F_SETFD, FD_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    snprintf(go_arg, sizeof go_arg, "%d", go[0]);
    char *argv[] = {"/proc/self/exe", "--child", "first", "preload", plain_path,
                    secret_path,      sock,      "0",     go_arg,    NULL};
    for (int i = 0; i < BURST_JOBS; i++) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) != 0)
            die("pipe: %s", strerror(errno));
        burst_pid[i] = spawn(argv, env, pfd[1], -1);
        close(pfd[1]);
        res[i] = pfd[0];
    }
    for (int i = 0; i < BURST_JOBS; i++) {
        char c = 0;
        if (read(res[i], &c, 1) != 1 || c != 'r')
            die("a burst's child did not get ready");
    }
    close(go[0]);
    close(go[1]); /* go */
    for (int i = 0; i < BURST_JOBS; i++) {
        char line[160];
        ssize_t n = read(res[i], line, sizeof line - 1);
        close(res[i]);
        line[n > 0 ? n : 0] = '\0';
        wait_ok(&burst_pid[i], "a burst's first-open child");
        if (sscanf(line, "%lf", &out[i]) != 1 || out[i] <= 0)
            die("burst child answered '%s'", line);
    }
}

static void setup(void)
{
    const char *build = secure_getenv("BPTEE_BUILD");
    char abs[PATH_MAX];
    if (!realpath(build ? build : "build", abs))
        die("build directory %s: %s", build ? build : "build", strerror(errno));
    if (snprintf(cli, sizeof cli, "%s/bptee", abs) >= (int)sizeof cli ||
        snprintf(preload_so, sizeof preload_so, "%s/libbptee-preload.so", abs) >=
            (int)sizeof preload_so)
        die("build directory path too long: %s", abs);
    if (access(cli, X_OK) != 0 || access(preload_so, R_OK) != 0)
        die("%s or %s missing: run `make all` first", cli, preload_so);
    if (!mkdtemp(dir))
        die("mkdtemp %s: %s", dir, strerror(errno));
    dir_made = 1;
    in_dir(sock, "agent.sock");
    in_dir(secret_path, "secrets/" SECRET_NAME); /* declared only: nothing on disk there */
    write_file(in_dir(plain_path, "plain.txt"), plain_value);
}

int main(int argc, char **argv)
{
    double budget = bench_budget(), firsts[FIRST_OPEN_PROCS], fetches[FIRST_OPEN_PROCS], first;
    double ts = 0, tp = 0, rate[2], ratios[ROUNDS], burst[BURST_JOBS * BURST_ROUNDS];
    long n = 0;
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    bench_catch_signals();
    setup();
    start_agent();
    provision();
    grant_self();
    char **env_pre = child_env(1), **env_bare = child_env(0);
    /* In pairs, ABBA (plain, preload, preload, plain, ...) so drift hits both alike; the ratio
     * is the pairs' median, so a burst of load elsewhere spoils one pair, not the figure. */
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 2 * r; i < 2 * r + 2; i++) {
            int p = (i + 1) / 2 % 2;
            rate[p] = loop_round(p, p ? env_pre : env_bare, budget / ROUNDS);
        }
        ratios[r] = rate[0] / rate[1];
    }
    /* Unmeasured fresh processes first: the agent measures a peer's binary once per file
     * identity, and that cache is its steady state. Then, alternately, a first open under the
     * interposer and the same fetch through the library in a process without it. */
    first_open("preload", env_pre, 0, &first, &n, &ts, &tp);
    first_open("library", env_bare, 0, &first, &n, &ts, &tp);
    for (int i = 0; i < FIRST_OPEN_PROCS; i++) {
        first_open("preload", env_pre, 0, &firsts[i], &n, &ts, &tp);
        first_open("library", env_bare, 0, &fetches[i], &n, &ts, &tp);
    }
    for (int r = 0; r < BURST_ROUNDS; r++)
        burst_round(env_pre, &burst[r * BURST_JOBS]);
    first_open("preload", env_pre, budget, &first, &n, &ts, &tp);
    stop_agent();
    cleanup(0);
    free(env_pre);
    free(env_bare);

    double first_median = bench_median(firsts, FIRST_OPEN_PROCS);
    double fetch = bench_median(fetches, FIRST_OPEN_PROCS);
    double pre_rate = loop_ops[1] / loop_secs[1], bare_rate = loop_ops[0] / loop_secs[0];
    printf("preload_nonsecret_open_read_close_rate: %.0f ops/s\n", pre_rate);
    printf("preload_nonsecret_open_read_close_baseline_rate: %.0f ops/s\n", bare_rate);
    printf("preload_nonsecret_open_read_close_ratio: %.3f ratio\n", bench_median(ratios, ROUNDS));
    printf("preload_secret_first_open: %.1f us\n", 1e6 * first_median);
    printf("preload_secret_first_open_min: %.1f us\n", 1e6 * firsts[0]);
    printf("preload_secret_first_fetch_library: %.1f us\n", 1e6 * fetch);
    printf("preload_secret_first_open_vs_library_fetch: %.2f ratio\n", first_median / fetch);
    double burst_p50 = bench_median(burst, BURST_JOBS * BURST_ROUNDS); /* sorts burst */
    double burst_p99 = burst[(size_t)(0.99 * (BURST_JOBS * BURST_ROUNDS - 1) + 0.5)];
    printf("preload_secret_first_open_%d_jobs_p50: %.1f us\n", BURST_JOBS, 1e6 * burst_p50);
    printf("preload_secret_first_open_%d_jobs_p99: %.1f us\n", BURST_JOBS, 1e6 * burst_p99);
    printf("preload_secret_first_open_%d_jobs_p99_vs_single_p50: %.2f ratio\n", BURST_JOBS,
           burst_p99 / first_median);
    printf("preload_secret_reopen_rate: %.0f ops/s\n", (double)n / ts);
    printf("preload_plain_open_read_close_same_process_rate: %.0f ops/s\n", (double)n / tp);
    printf("preload_secret_reopen_vs_plain_open: %.2f ratio\n", ts / tp);
    return 0;
}
