/* SPDX-License-Identifier: Apache-2.0 */
/* What the interposer's source files share. libbptee-preload.so links libc alone (DESIGN.md
 * contract 9): no libbptee, no JSON, no crypto. docs/interposer.md describes the behaviour. */
#ifndef BPTEE_PRELOAD_H
#define BPTEE_PRELOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Only the wrapped libc names leave the library (with interpose/preload.map). */
#define BP_EXPORT __attribute__((visibility("default")))
#define BP_TLS __thread __attribute__((tls_model("initial-exec")))
#define bp_unlikely(x) __builtin_expect(!!(x), 0)

/* glibc's fortify checkers and the pre-2.33 stat entry points: no header declares them when
 * _FORTIFY_SOURCE is off, yet programs import them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

/* ---- the originals (resolve.c); NULL when this libc lacks one */
struct bp_real {
    int (*open)(const char *, int, ...);
    int (*open64)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*openat64)(int, const char *, int, ...);
    int (*open_2)(const char *, int);
    int (*open64_2)(const char *, int);
    int (*openat_2)(int, const char *, int);
    int (*openat64_2)(int, const char *, int);
    int (*creat)(const char *, mode_t);
    int (*creat64)(const char *, mode_t);
    FILE *(*fopen)(const char *, const char *);
    FILE *(*fopen64)(const char *, const char *);
    FILE *(*freopen)(const char *, const char *, FILE *);
    FILE *(*freopen64)(const char *, const char *, FILE *);
    int (*stat)(const char *, struct stat *);
    int (*stat64)(const char *, struct stat64 *);
    int (*lstat)(const char *, struct stat *);
    int (*lstat64)(const char *, struct stat64 *);
    int (*fstatat)(int, const char *, struct stat *, int);
    int (*fstatat64)(int, const char *, struct stat64 *, int);
    int (*xstat)(int, const char *, struct stat *);
    int (*xstat64)(int, const char *, struct stat64 *);
    int (*lxstat)(int, const char *, struct stat *);
    int (*lxstat64)(int, const char *, struct stat64 *);
    int (*fxstatat)(int, int, const char *, struct stat *, int);
    int (*fxstatat64)(int, int, const char *, struct stat64 *, int);
    int (*statx)(int, const char *, int, unsigned int, struct statx *);
    int (*access)(const char *, int);
    int (*faccessat)(int, const char *, int, int);
    int (*euidaccess)(const char *, int);
    int (*eaccess)(const char *, int);
    ssize_t (*getxattr)(const char *, const char *, void *, size_t);
    ssize_t (*lgetxattr)(const char *, const char *, void *, size_t);
    ssize_t (*listxattr)(const char *, char *, size_t);
    ssize_t (*llistxattr)(const char *, char *, size_t);
};
extern struct bp_real bp_real;
/* Fill bp_real; aborts when RTLD_NEXT hands back one of our own wrappers. */
void bp_resolve(void);

/* ---- initialisation (init.c) */
extern int bp_ready;
/* 1 while this thread runs the initialisation (dlsym may re-enter a wrapper through malloc). */
extern BP_TLS int bp_in_init;
void bp_init_slow(void);
/* Called first by every wrapper: one acquire load once initialised. Returns 0 when the wrapper
 * must not look at its path (re-entered during initialisation): the raw fallback then. */
static inline int bp_init(void)
{
    if (__builtin_expect(__atomic_load_n(&bp_ready, __ATOMIC_ACQUIRE), 1))
        return 1;
    bp_init_slow();
    return __atomic_load_n(&bp_ready, __ATOMIC_ACQUIRE);
}
/* "bptee: debug: ..." on stderr when BPTEE_PRELOAD_DEBUG=1. */
void bp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One whole line on stderr in a single write(2). */
void bp_write_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* strerror without allocation or locale. */
const char *bp_errname(int err);

/* ---- the hand-down (spec.c) */
#define BP_MAX_SECRETS 256
#define BP_NAME_MAX 128
#define BP_ARENA_SIZE (64 * 1024)
#define BP_SOCKET_MAX 108
#define BP_JOB_ID_MAX 128

struct bp_secret {
    const char *name;
    const char *path; /* absolute, lexically normalised */
    const char *base; /* the last component, inside path */
    size_t name_len, path_len, base_len;
    /* The cache (secret.c), guarded by its mutex. */
    int fd;          /* sealed memfd, -1 until fetched */
    int handed_down; /* fd came from BPTEE_SECRET_FDS */
    dev_t dev;       /* identity of fd, checked on every use: the job may close and reuse it */
    ino_t ino;
    uint64_t version;  /* the secret's version fd holds */
    int version_known; /* 0: a handed-down memfd whose label names no version */
    int reported;      /* the fail-closed line was written */
    uint32_t slot;     /* the name's word in the version page (valid when page_gen matches) */
    unsigned page_gen; /* the page mapping slot refers to; 0: none, ask VERSION */
    unsigned agent_gen; /* the agent instance that vouches for fd; 0: none pinned yet */
};

struct bp_config {
    struct bp_secret secrets[BP_MAX_SECRETS];
    size_t n;
    /* The fast path's filter: bit (len & 63) for each last component's length, and the
     * first characters of the last components. */
    uint64_t base_len_mask;
    uint64_t base_first[4];
    char socket[BP_SOCKET_MAX];
    char job_id[BP_JOB_ID_MAX + 1]; /* BPTEE_JOB_ID, for the agent's access log ("": none) */
    int inherit;
    int debug;
    int view; /* BPTEE_SECRET_VIEW=1: the kernel serves the paths (view.c) */
};
extern struct bp_config bp_cfg;

/* Parse BPTEE_SECRETS ("name=path:name=path", '\' escapes the next character) into bp_cfg.
 * 0, or -1 with a reason in err. */
int bp_spec_parse_secrets(const char *text, char *err, size_t cap);
/* Parse BPTEE_SECRET_FDS ("name=fd[@slot]:...") and take each descriptor after checking that
 * it is a sealed memfd; a slot is used with page_gen (bp_secret_handed_page; 0: no page, the
 * slot is ignored). 0, or -1 with a reason. */
int bp_spec_parse_fds(const char *text, unsigned page_gen, char *err, size_t cap);
/* A decimal descriptor number (BPTEE_SECRET_PAGE): 0, or -1 when malformed. */
int bp_spec_parse_fd(const char *text, int *fd);
/* Map the handed-down version page (BPTEE_SECRET_PAGE) at start: its generation, or 0 when it
 * cannot be mapped. Closes fd unless children inherit the preload. */
unsigned bp_secret_handed_page(int fd);
/* Check fd is a sealed memfd holding a regular file; fills its identity and size. 0 or -1. */
int bp_memfd_check(int fd, dev_t *dev, ino_t *ino, off_t *size, char *err, size_t cap);
/* The version in the agent's memfd label ("memfd:bptee:NAME@VERSION"): 0 and *version, or -1
 * when the label names none (a memfd someone else made). */
int bp_memfd_version(int fd, const char *name, size_t nlen, uint64_t *version);
/* Read BPTEE_JOB_ID (kept for the audit tag of SECRET requests when it is a valid job id). */
void bp_spec_job_id(const char *text);

/* ---- paths (paths.c) */
/* Lexically normalise an absolute path ("//", ".", ".." resolved; no trailing slash) into out.
 * Returns its length, or -1 when too long or not absolute. */
ssize_t bp_path_normalize(const char *in, char *out, size_t cap);
/* Index of the declared secret that (dirfd, path) names, or -1. Cheap and allocation-free for
 * paths whose last component is no secret's; preserves errno. */
int bp_path_match(int dirfd, const char *path);

/* ---- the secret cache (secret.c) */
struct bp_ref {
    int fd;    /* the memfd */
    int owned; /* 1: not cached (fetched in a vfork child), the release closes it */
    int foreign; /* 1: used in a vfork child (our memory, its own descriptor table) */
    dev_t dev; /* its identity, to check what a path through /proc/self/fd reached */
    ino_t ino;
    char proc[32]; /* "/proc/self/fd/N" */
};
/* The secret's memfd, fetched at first use and cached. -1 with errno EACCES after the one
 * stderr line when it cannot be had. */
int bp_secret_acquire(size_t idx, struct bp_ref *ref);
void bp_secret_release(struct bp_ref *ref);
/* What ref's /proc path reached was not the memfd (the job closed the descriptor and reused
 * the number): forget the cached descriptor, without closing the job's file. */
void bp_secret_forget(size_t idx, const struct bp_ref *ref);
/* Report secret idx unavailable: the one line (once per secret per process), errno EACCES. */
int bp_secret_fail(size_t idx, const char *reason);
/* A new open file description on the secret: O_RDONLY (or O_PATH) plus the O_CLOEXEC and
 * O_NONBLOCK of flags; EROFS for a write intent; errno preserved on success. */
int bp_secret_open(size_t idx, int flags);
/* Record the process that owns the cache (at initialisation, before any vfork). */
void bp_secret_cache_init(void);
/* pthread_atfork handlers for the cache lock. */
void bp_secret_atfork_prepare(void);
void bp_secret_atfork_parent(void);
void bp_secret_atfork_child(void);

/* ---- the agent's job socket (agent_client.c) */
/* The version page (docs/protocol.md): BP_PAGE_SLOTS 64-bit words, one per secret name. */
#define BP_PAGE_SLOTS 4096u
#define BP_NO_SLOT UINT32_MAX
/* What SECRET brings back. */
struct bp_fetched {
    int fd;         /* the sealed memfd (O_CLOEXEC) */
    uint64_t size, version;
    uint32_t slot;  /* BP_NO_SLOT: the agent gave no version page */
    int page_fd;    /* the version page (read-only, O_CLOEXEC), -1 without */
    int pidfd;      /* the answering agent (SO_PEERCRED), alive after its reply */
    pid_t pid;      /* its pid */
};
/* SECRET name over the socket (asking for the version page too), or -1 with a reason. */
int bp_agent_fetch(const char *socket_path, const char *name, struct bp_fetched *out,
                   char *reason, size_t cap);
/* VERSION name: the agent's current version of the secret. 0; BP_AGENT_OLD when the agent does
 * not know the command (it predates rotation); -1 with a reason otherwise (refused, revoked,
 * unreachable). */
#define BP_AGENT_OLD 1
int bp_agent_version(const char *socket_path, const char *name, uint64_t *version, char *reason,
                     size_t cap);

/* Connect only, to pin the agent that listens now (for descriptors handed down without one):
 * 0 and its pidfd, or -1 with a reason. */
int bp_agent_probe(const char *socket_path, int *pidfd, pid_t *pid, char *reason, size_t cap);
/* Does the process behind pidfd still live? One poll(2) with no wait. */
int bp_agent_alive(int pidfd);

/* RESULT job-id with the result file and its directory by SCM_RIGHTS: 0 when the agent
 * attested it, -1 with a reason. */
int bp_agent_result(const char *socket_path, const char *job_id, int file, int dir,
                    char *reason, size_t cap);

/* ---- results of jobs started by hand (result.c) */
/* Read BPTEE_RESULT_FILE and register the exit handler; at initialisation. */
void bp_result_init(void);

/* ---- view mode (view.c) */
/* After a call on declared path idx went to libc: on EACCES or ENOENT, the one line (once per
 * secret per process); errno and rc untouched. Returns rc. */
int bp_view_note(size_t idx, int rc);
FILE *bp_view_note_file(size_t idx, FILE *f);

/* ---- the main binary (goexe.c) */
/* 1 when the ELF file at exe was written by the Go linker, 0 otherwise (or unreadable). */
int bp_exe_is_go(const char *exe);

/* ---- raw fallbacks while initialising */
int bp_raw_openat(int dirfd, const char *path, int flags, mode_t mode);

#endif
