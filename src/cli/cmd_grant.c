// SPDX-License-Identifier: Apache-2.0
/* bptee grant: register a job started by hand with the agent (docs/protocol.md, "GRANT"), so
 * that its processes, and only they, are served the secrets named. With `-- CMD` it registers
 * its own process and then execs CMD: the pid and the start time survive the exec, so the job
 * is the grant's root, and the grant ends when the job exits. With --pid it registers a running
 * process. Like env(1) and nice(1), it exits 125 when it fails itself, 126 when CMD cannot be
 * run and 127 when CMD is not found; otherwise CMD's status is the job's. CMD gets the
 * environment bptee grant was started with, unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <bptee.h>

#include "cli/commands.h"

#define GRANT_FAIL 125
#define GRANT_NAMES_MAX 256

struct grant_args {
    const char *socket, *job_id;
    const char *names[GRANT_NAMES_MAX];
    size_t n;
    long pid; /* 0: this process, then exec the command */
    char **cmd;
};

static void grant_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee grant --socket PATH --job-id ID --secret NAME [--secret NAME...]\n"
            "                   (--pid PID | -- CMD [ARGS...])\n\n"
            "Register a job started by hand (LD_PRELOAD=libbptee-preload.so set by the\n"
            "operator) with the agent: the process and its descendants are served the secrets\n"
            "named, no other process is. The grant ends when the process exits.\n\n"
            "  --socket PATH   the agent's job socket\n"
            "  --job-id ID     the job's id (what its results are signed for)\n"
            "  --secret NAME   a secret the job may read (repeat for more)\n"
            "  --pid PID       register this running process\n"
            "  -- CMD [ARGS]   register this process, then exec CMD in it (the environment,\n"
            "                  LD_PRELOAD and BPTEE_* included, is passed on unchanged)\n\n"
            "Exit status: 125 when the grant fails, 126 when CMD cannot be run, 127 when it\n"
            "is not found; otherwise CMD's (--pid: 0).\n");
}

static int fail_usage(const char *msg)
{
    fprintf(stderr, "bptee: grant: %s (see --help)\n", msg);
    return GRANT_FAIL;
}

static int parse_args(int argc, char **argv, struct grant_args *o)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"job-id", required_argument, NULL, 'j'},
        {"secret", required_argument, NULL, 'n'}, {"pid", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    char *end;
    int c;
    opterr = 0;
    /* "+": stop at the first word that is not an option, so CMD's options stay CMD's */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            grant_usage(stdout);
            return 1;
        case 's':
            o->socket = optarg;
            break;
        case 'j':
            o->job_id = optarg;
            break;
        case 'n':
            if (o->n == GRANT_NAMES_MAX)
                return fail_usage("too many --secret");
            o->names[o->n++] = optarg;
            break;
        case 'p':
            errno = 0;
            o->pid = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->pid <= 0 || o->pid > INT32_MAX)
                return fail_usage("--pid: expected a process id");
            break;
        default:
            fprintf(stderr, "bptee: grant: unknown or incomplete option '%s' (see --help)\n",
                    argv[optind - 1]);
            return GRANT_FAIL;
        }
    }
    if (!o->socket || !o->job_id || o->n == 0)
        return fail_usage("--socket, --job-id and at least one --secret are required");
    if (bptee_job_id_check(o->job_id) < 0)
        return fail_usage("--job-id: 1 to 128 of A-Z a-z 0-9 . _ : @ + -");
    if (o->pid && optind < argc)
        return fail_usage("either --pid or -- CMD, not both");
    if (!o->pid && optind == argc)
        return fail_usage("--pid PID or -- CMD is required");
    o->cmd = argv + optind;
    return 0;
}

/* The environment this process was started with, as the kernel keeps it (/proc/self/environ);
 * NULL when it cannot be read. The operator's LD_PRELOAD loads the interposer into this very
 * process too, and the interposer takes LD_PRELOAD and the BPTEE_* variables out of environ at
 * start (so that what it runs does not inherit them): the job must get them as the operator
 * set them. */
static char **start_environment(void)
{
    size_t len = 0, cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    for (ssize_t r = 1; buf && fd >= 0 && r > 0;) {
        if (len + 1 >= cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
        }
        r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            r = 1;
        else if (r > 0)
            len += (size_t)r;
        else if (r < 0)
            len = 0, r = 0;
    }
    if (fd >= 0)
        close(fd);
    if (!buf || len == 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\0';
    char **env = calloc(n + 2, sizeof *env);
    if (!env) {
        free(buf);
        return NULL;
    }
    n = 0;
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
        env[n++] = buf + i; /* kept until exec */
    return env;
}

/* GRANT, tried again for up to GRANT_RETRY_MS while the agent turns connections away (its
 * pool full of others' connections, which its idle timeout frees), as the interposer does. */
#define GRANT_RETRY_MS 6000
#define GRANT_RETRY_STEP_MS 100

static int grant_retrying(const struct grant_args *o, pid_t pid)
{
    for (int waited = 0;; waited += GRANT_RETRY_STEP_MS) {
        int sock = -1;
        int rc = bptee_job_connect(o->socket, &sock);
        bool connected = rc == 0;
        if (rc == 0)
            rc = bptee_job_grant(sock, o->job_id, pid, o->names, o->n);
        if (sock >= 0)
            close(sock); /* close-on-exec besides: the job never holds our connection */
        bool turned_away = connected && (rc == BPTEE_ELIMIT || rc == BPTEE_EIO ||
                                         rc == BPTEE_ENOTFOUND);
        if (rc == 0 || !turned_away || waited >= GRANT_RETRY_MS)
            return rc;
        usleep(GRANT_RETRY_STEP_MS * 1000);
    }
}

int cmd_grant(int argc, char **argv)
{
    struct grant_args o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    /* The operator's LD_PRELOAD loads the interposer into this process too, and it makes a
     * process that declares secrets non-dumpable: an agent that is not root could then not read
     * our /proc/PID/exe to see that we are its own binary, and refuses the grant. We hold no
     * secret, so we are dumpable again; the job CMD execs into is made non-dumpable afresh by
     * its own interposer. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "bptee: grant: prctl(PR_SET_DUMPABLE): %s\n", strerror(errno));
        return GRANT_FAIL;
    }
    pid_t pid = o.pid ? (pid_t)o.pid : getpid();
    rc = grant_retrying(&o, pid);
    if (rc < 0) {
        fprintf(stderr, "bptee: grant: job %s, pid %d: %s\n", o.job_id, (int)pid,
                bptee_last_error());
        return GRANT_FAIL;
    }
    if (o.pid)
        return 0;
    char **env = start_environment();
    execvpe(o.cmd[0], o.cmd, env ? env : environ);
    int e = errno;
    fprintf(stderr, "bptee: grant: %s: %s\n", o.cmd[0], strerror(e));
    return e == ENOENT ? 127 : 126;
}
