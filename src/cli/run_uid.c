// SPDX-License-Identifier: Apache-2.0
/* Whose uid a TEE job runs under. A job that reads secrets must not share its uid with
 * anything else: another process of the same uid could read /proc/JOB/mem, /proc/JOB/fd/N
 * or /proc/JOB/root. So bptee run, when root, gives the job a dynamic uid of its own, as
 * systemd's DynamicUser does: one from systemd's range that no user or group owns, held by a
 * lock file for the job's life, and swept (every process of it killed) before and after the
 * job, so nothing a former job left behind shares it. The spec's "user" names another; not
 * root, bptee run can only run the job as its own user. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run.h"

/* systemd's range for dynamic users (DynamicUser=, systemd.exec(5)). */
#define DYNAMIC_UID_MIN 61184u
#define DYNAMIC_UID_MAX 65519u
#define DYNAMIC_LOCK_DIR "/run/bptee/dynamic-uid"
#define DB_MAX (16u << 20)

/* The sweeping child: raw system calls only, for it shares its parent's memory (CLONE_VM), so
 * it must neither run glibc's set*id broadcast to the parent's threads nor touch the parent's
 * state. kill -1 spares the caller and init. */
static int sweep_child(void *arg)
{
    uid_t uid = *(const uid_t *)arg;
    if (syscall(SYS_setgroups, 0, NULL) == 0 && syscall(SYS_setresgid, uid, uid, uid) == 0 &&
        syscall(SYS_setresuid, uid, uid, uid) == 0)
        syscall(SYS_kill, -1, SIGKILL);
    return 0;
}

/* Kill every process running as uid, from a child that drops to it. The child is cloned as
 * posix_spawn does (CLONE_VM | CLONE_VFORK, every signal blocked so no handler of ours runs in
 * it): a fork would first copy the page tables of a process that maps OpenSSL, twice per job. */
static void sweep(uid_t uid)
{
    _Alignas(16) char stack[16384]; /* the parent is suspended while the child runs on it */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(sweep_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &uid);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
}

static int lock_dir(void)
{
    if ((mkdir("/run/bptee", 0755) != 0 && errno != EEXIST) ||
        (mkdir(DYNAMIC_LOCK_DIR, 0700) != 0 && errno != EEXIST))
        return -1;
    return open(DYNAMIC_LOCK_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* /etc/passwd or /etc/group to read entries from: from memory when it reads whole (fgetpwent
 * on a file seeks twice per entry), else from the file as before. */
static FILE *open_db(const char *path, uint8_t **buf)
{
    size_t len = 0;
    *buf = NULL;
    if (bptee_read_file(path, DB_MAX, buf, &len) == 0 && len > 0) {
        FILE *f = fmemopen(*buf, len, "r");
        if (f)
            return f;
    }
    bptee_free(*buf);
    *buf = NULL;
    return fopen(path, "re");
}

static void close_db(FILE *f, uint8_t *buf)
{
    if (f)
        fclose(f);
    bptee_free(buf);
}

/* Whether uid is somebody's: named in /etc/passwd or /etc/group, or handed to a service by
 * systemd (its lock file in /run/systemd/dynamic-uid). NSS is not asked: loading its modules
 * (nss-systemd and what it links) costs milliseconds on every job start, and systemd reserves
 * this range for dynamic users, never for directory-service accounts (systemd's UID rules). */
static bool uid_claimed(uid_t uid)
{
    char path[64];
    snprintf(path, sizeof path, "/run/systemd/dynamic-uid/%u", (unsigned)uid);
    if (access(path, F_OK) == 0)
        return true;
    bool claimed = false;
    uint8_t *buf = NULL;
    FILE *f = open_db("/etc/passwd", &buf);
    for (struct passwd *pw; f && !claimed && (pw = fgetpwent(f));)
        claimed = pw->pw_uid == uid;
    close_db(f, buf);
    f = open_db("/etc/group", &buf);
    for (struct group *gr; f && !claimed && (gr = fgetgrent(f));)
        claimed = gr->gr_gid == uid;
    close_db(f, buf);
    return claimed;
}

/* A free uid from the range, its lock held in *lock_fd. */
static int dynamic_uid(struct run_job *job)
{
    uint32_t span = DYNAMIC_UID_MAX - DYNAMIC_UID_MIN + 1, start = 0;
    int dir = lock_dir();
    if (dir < 0)
        return run_say(RUN_EXIT_FAILURE, "cannot keep track of dynamic uids in %s: %s", DYNAMIC_LOCK_DIR,
                    strerror(errno));
    if (getrandom(&start, sizeof start, 0) != (ssize_t)sizeof start)
        start = (uint32_t)getpid();
    for (uint32_t i = 0; i < span; i++) {
        uid_t uid = DYNAMIC_UID_MIN + (start + i) % span;
        char name[16];
        if (uid_claimed(uid))
            continue; /* somebody's: not ours to hand out */
        snprintf(name, sizeof name, "%u", (unsigned)uid);
        int fd = openat(dir, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            close(fd);
            continue; /* another job's */
        }
        close(dir);
        sweep(uid);
        job->uid_lock_fd = fd;
        job->uid = uid;
        job->gid = uid;
        job->set_ids = true;
        job->dynamic_uid = true;
        return 0;
    }
    close(dir);
    return run_say(RUN_EXIT_FAILURE, "no free dynamic uid between %u and %u", DYNAMIC_UID_MIN, DYNAMIC_UID_MAX);
}

/* The spec's user: a name, or a decimal uid (its group: the passwd entry's, else the same
 * number). */
static int named_user(struct run_job *job, const char *user)
{
    struct passwd *pw = NULL;
    if (strspn(user, "0123456789") == strlen(user)) {
        unsigned long uid = strtoul(user, NULL, 10);
        if (uid > 0xfffffffeul)
            return run_say(RUN_EXIT_FAILURE, "job spec: user: %s is not a valid uid", user);
        pw = getpwuid((uid_t)uid);
        job->uid = (uid_t)uid;
        job->gid = pw ? pw->pw_gid : (gid_t)uid;
    } else if ((pw = getpwnam(user))) {
        job->uid = pw->pw_uid;
        job->gid = pw->pw_gid;
    } else {
        return run_say(RUN_EXIT_FAILURE, "job spec: user: no user named '%s' on this machine", user);
    }
    if (geteuid() != 0 && job->uid != geteuid())
        return run_say(RUN_EXIT_FAILURE, "job spec: user: bptee run is not root, so it can run the job only as "
                    "itself (uid %u), not as %s", (unsigned)geteuid(), user);
    job->set_ids = geteuid() == 0 && job->uid != 0;
    return 0;
}

int run_choose_user(struct run_job *job)
{
    const char *user = bptee_job_spec_user(job->spec);
    job->uid_lock_fd = -1;
    if (user)
        return named_user(job, user);
    if (geteuid() == 0)
        return dynamic_uid(job);
    job->uid = geteuid();
    job->gid = getegid();
    return 0;
}

void run_release_user(struct run_job *job)
{
    if (job->dynamic_uid && job->uid_lock_fd >= 0)
        sweep(job->uid); /* whatever the job left running goes with it */
    if (job->uid_lock_fd >= 0)
        close(job->uid_lock_fd);
    job->uid_lock_fd = -1;
    job->dynamic_uid = false;
}
