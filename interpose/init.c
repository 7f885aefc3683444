// SPDX-License-Identifier: Apache-2.0
/* Initialisation, once per process, from our constructor or from the first wrapper that runs
 * (a library initialised before us may open files): resolve the originals, read the hand-down
 * variables, make a process that declares secrets non-dumpable, refuse a Go program we could
 * not serve, take the handed-down descriptors, and, unless children inherit the preload (or
 * the kernel serves a view), scrub LD_PRELOAD and the BPTEE_* variables from the environment
 * so exec'd programs run plainly. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

int bp_ready;
BP_TLS int bp_in_init;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The hand-down variables (docs/interposer.md), scrubbed when not inherited. */
static const char *const handdown_vars[] = {
    "BPTEE_SECRETS",         "BPTEE_SECRET_FDS",    "BPTEE_SECRET_PAGE",
    "BPTEE_AGENT_SOCKET",
    "BPTEE_PRELOAD_INHERIT", "BPTEE_PRELOAD_DEBUG", "BPTEE_SECRET_VIEW",
};

void bp_write_line(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    int saved = errno;
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
    errno = saved;
}

void bp_debug(const char *fmt, ...)
{
    if (!bp_cfg.debug)
        return;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0)
        bp_write_line("bptee: debug: %s", msg);
}

const char *bp_errname(int err)
{
    const char *s = strerrordesc_np(err);
    return s ? s : "unknown error";
}

int bp_raw_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* Configuration errors stop the job: running it without the secrets it declared, or guessing
 * which paths are secret, would be failing open. */
static void config_fail(const char *var, const char *why)
{
    bp_write_line("bptee: preload: %s: %s", var, why);
    _exit(127);
}

static int is_on(const char *v)
{
    return v && strcmp(v, "1") == 0;
}

/* LD_PRELOAD minus our own entry (others, such as a sanitizer runtime, stay). */
static void scrub_ld_preload(void)
{
    static char kept[4096] = "LD_PRELOAD=";
    const char *list = getenv("LD_PRELOAD");
    Dl_info self;
    if (!list || !dladdr((void *)scrub_ld_preload, &self) || !self.dli_fname)
        return;
    const char *me = strrchr(self.dli_fname, '/');
    me = me ? me + 1 : self.dli_fname;
    size_t used = strlen(kept), start = used;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ": ");
        const char *base = memrchr(p, '/', n);
        base = base ? base + 1 : p;
        int ours = (size_t)(p + n - base) == strlen(me) && memcmp(base, me, strlen(me)) == 0;
        if (n && !ours && used + n + 2 < sizeof kept) {
            if (used > start)
                kept[used++] = ' ';
            memcpy(kept + used, p, n);
            used += n;
        }
        p += n;
        p += *p != '\0';
    }
    kept[used] = '\0';
    /* unsetenv and putenv of an existing name do not allocate. */
    if (used == start)
        unsetenv("LD_PRELOAD");
    else
        putenv(kept);
}

static void scrub_environment(void)
{
    scrub_ld_preload();
    for (size_t i = 0; i < sizeof handdown_vars / sizeof handdown_vars[0]; i++)
        unsetenv(handdown_vars[i]);
}

/* A process that holds secrets must not hand them to a core dump (a pipe core_pattern ignores
 * RLIMIT_CORE) or to another process of its user (/proc/PID/fd, /proc/PID/mem, ptrace):
 * the kernel refuses both for a non-dumpable process, and execve makes every new program
 * dumpable again, so each one that loads us sets it. Its own /proc/self/fd stays open to it. */
static void make_undumpable(void)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        config_fail("prctl(PR_SET_DUMPABLE)", bp_errname(errno));
}

/* A Go program reads files with raw system calls that none of our wrappers sees: it would read
 * whatever lies on disk at a declared path. Only the kernel's view can serve it. */
static void refuse_go(void)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (!bp_exe_is_go("/proc/self/exe"))
        return;
    if (n <= 0)
        n = (ssize_t)sizeof "the program" - 1, memcpy(exe, "the program", (size_t)n);
    exe[n] = '\0';
    bp_write_line("bptee: preload: %s is a Go program: it reads files with raw system calls the "
                  "interposer cannot see; run it under bptee run (which serves secrets through "
                  "the kernel) instead",
                  exe);
    _exit(127);
}

static void read_config(void)
{
    char err[256];
    bp_cfg.debug = is_on(secure_getenv("BPTEE_PRELOAD_DEBUG"));
    bp_cfg.inherit = is_on(secure_getenv("BPTEE_PRELOAD_INHERIT"));
    bp_cfg.view = is_on(secure_getenv("BPTEE_SECRET_VIEW"));
    const char *secrets = secure_getenv("BPTEE_SECRETS");
    /* In view mode nothing is served from descriptors: the kernel has the files. */
    const char *fds = bp_cfg.view ? NULL : secure_getenv("BPTEE_SECRET_FDS");
    const char *page = bp_cfg.view ? NULL : secure_getenv("BPTEE_SECRET_PAGE");
    unsigned page_gen = 0;
    int page_fd = -1;
    const char *sock = secure_getenv("BPTEE_AGENT_SOCKET");
    bp_spec_job_id(secure_getenv("BPTEE_JOB_ID"));
    if (secrets && bp_spec_parse_secrets(secrets, err, sizeof err) < 0)
        config_fail("BPTEE_SECRETS", err);
    if (bp_cfg.n || bp_cfg.view)
        make_undumpable();
    if (bp_cfg.n && !bp_cfg.view)
        refuse_go();
    if (sock && *sock) {
        if (strlen(sock) >= sizeof bp_cfg.socket)
            config_fail("BPTEE_AGENT_SOCKET", "path longer than a unix socket address holds");
        strcpy(bp_cfg.socket, sock);
    }
    if (page && *page && bp_spec_parse_fd(page, &page_fd) < 0)
        config_fail("BPTEE_SECRET_PAGE", "expected a descriptor number");
    if (page_fd >= 0) /* unmappable: the slots go unused and each check asks VERSION */
        page_gen = bp_secret_handed_page(page_fd);
    if (fds && bp_spec_parse_fds(fds, page_gen, err, sizeof err) < 0)
        config_fail("BPTEE_SECRET_FDS", err);
    bp_result_init();
}

static void init_once(void)
{
    int saved = errno;
    bp_resolve();
    read_config();
    if (bp_cfg.view) { /* every descendant keeps the view's variables and is non-dumpable too */
        unsetenv("BPTEE_SECRET_FDS");
        unsetenv("BPTEE_SECRET_PAGE");
    } else if (!bp_cfg.inherit) {
        scrub_environment();
    }
    bp_secret_cache_init();
    pthread_atfork(bp_secret_atfork_prepare, bp_secret_atfork_parent, bp_secret_atfork_child);
    bp_debug("preload: %zu secret(s)%s, agent socket %s, children %s the preload", bp_cfg.n,
             bp_cfg.view ? " served by the kernel's view" : "",
             bp_cfg.socket[0] ? bp_cfg.socket : "(none)",
             bp_cfg.inherit || bp_cfg.view ? "keep" : "lose");
    __atomic_store_n(&bp_ready, 1, __ATOMIC_RELEASE);
    errno = saved;
}

void bp_init_slow(void)
{
    /* A wrapper re-entered on this thread while we initialise (dlsym → malloc → open) must
     * not wait on the pthread_once it is already inside. */
    if (bp_in_init)
        return;
    bp_in_init = 1;
    pthread_once(&once, init_once);
    bp_in_init = 0;
}

__attribute__((constructor)) static void bp_constructor(void)
{
    bp_init();
}
