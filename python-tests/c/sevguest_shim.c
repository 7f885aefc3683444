// SPDX-License-Identifier: Apache-2.0
/* Test-only LD_PRELOAD shim: an emulated /dev/sev-guest at $SEVGUEST_SHIM_PATH (and an emulated
 * /dev/tdx_guest at $SEVGUEST_SHIM_TDX_PATH), answering the real ioctl ABI with the simulated
 * TEE (the simulated TDX). It reads the 32-byte snp_guest_request_ioctl and the
 * request it points to from the caller's memory and writes the response (and exitinfo2) back,
 * as the kernel does; the layouts here are spelled out independently of bptee's own copies
 * so a layout mistake in either shows up as a failing test.
 *
 * Environment:
 *   SEVGUEST_SHIM_PATH       the fake device path (open() of it is answered here)
 *   SEVGUEST_SHIM_STATE_DIR  simulator state directory (default: the simulator's)
 *   SEVGUEST_SHIM_BUSY=N     the first N requests are throttled (VMM error BUSY)
 *   SEVGUEST_SHIM_BUSY_ERRNO EAGAIN or EIO (default EIO): the errno of a throttled request
 *   SEVGUEST_SHIM_NO_CERTS=1 the host has no certificates (zeroed certificate buffer)
 *   SEVGUEST_SHIM_CERTS_GROW=1 the host always wants a page more than it was given
 *   SEVGUEST_SHIM_LOG        append one line per request to this file
 *   SEVGUEST_SHIM_TDX_PATH   the fake TDX guest device: TDX_CMD_GET_REPORT0 (0xc4405401) reads
 *                            struct tdx_report_req {u8 reportdata[64]; u8 tdreport[1024];} and
 *                            fills tdreport from the simulated TDX (state in
 *                            $SEVGUEST_SHIM_STATE_DIR-tdx, else the TDX simulator's default) */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bptee.h>

#define REQ_REPORT 0xc0205300ul
#define REQ_DERIVED_KEY 0xc0205301ul
#define REQ_EXT_REPORT 0xc0205302ul
#define TDX_CMD_GET_REPORT0 0xc4405401ul /* _IOWR('T', 1, struct tdx_report_req), 1088 bytes */
#define TDX_REPORTDATA_LEN 64u
#define TDX_TDREPORT_LEN 1024u
#define FAKE_SEV 1
#define FAKE_TDX 2
#define VMM_INVALID_LEN 1ull
#define VMM_BUSY 2ull
#define FW_INVALID_PARAM 0x16u
#define PAGE 4096u
#define FW_BLOB_MAX 0x4000u /* SEV_FW_BLOB_MAX_SIZE: the kernel's certificate buffer limit */
#define MAX_FDS 4096

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;     /* is_fake, busy_left */
static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER; /* sim (opening it closes files) */
static unsigned char is_fake[MAX_FDS];                       /* FAKE_SEV, FAKE_TDX or 0 */
static struct bptee_sim *sim;
static struct bptee_tdx_sim *tdx_sim;
static long busy_left;

static void init(void)
{
    real_open = dlsym(RTLD_NEXT, "open");
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_close = dlsym(RTLD_NEXT, "close");
    real_ioctl = dlsym(RTLD_NEXT, "ioctl");
    const char *busy = getenv("SEVGUEST_SHIM_BUSY");
    busy_left = busy ? strtol(busy, NULL, 10) : 0;
}

static void logf_(const char *fmt, ...)
{
    const char *path = getenv("SEVGUEST_SHIM_LOG");
    if (!path)
        return;
    FILE *f = fopen(path, "ae");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* FAKE_SEV or FAKE_TDX when path is one of the fake devices, else 0. */
static int is_device(const char *path)
{
    const char *sev = getenv("SEVGUEST_SHIM_PATH"), *tdx = getenv("SEVGUEST_SHIM_TDX_PATH");
    if (path && sev && !strcmp(path, sev))
        return FAKE_SEV;
    return path && tdx && !strcmp(path, tdx) ? FAKE_TDX : 0;
}

static int open_fake(int kind)
{
    int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&lock);
        is_fake[fd] = (unsigned char)kind;
        pthread_mutex_unlock(&lock);
    }
    return fd;
}

static int fake_fd(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? is_fake[fd] : 0;
}

static struct bptee_sim *get_sim(void)
{
    pthread_mutex_lock(&sim_lock);
    if (!sim && bptee_sim_open(getenv("SEVGUEST_SHIM_STATE_DIR"), NULL, &sim) < 0)
        logf_("sim open failed: %s", bptee_last_error());
    pthread_mutex_unlock(&sim_lock);
    return sim;
}

static struct bptee_tdx_sim *get_tdx_sim(void)
{
    pthread_mutex_lock(&sim_lock);
    if (!tdx_sim) {
        const char *base = getenv("SEVGUEST_SHIM_STATE_DIR");
        char dir[4096];
        if (base)
            snprintf(dir, sizeof dir, "%s-tdx", base);
        if (bptee_tdx_sim_open(base ? dir : NULL, NULL, &tdx_sim) < 0)
            logf_("tdx sim open failed: %s", bptee_last_error());
    }
    pthread_mutex_unlock(&sim_lock);
    return tdx_sim;
}

/* The tdx-guest driver: GET_REPORT0 copies reportdata in and the module's TDREPORT out. */
static int handle_tdx(unsigned long request, uint8_t *io)
{
    if (request != TDX_CMD_GET_REPORT0) {
        logf_("tdx request 0x%lx -> ENOTTY", request);
        return errno = ENOTTY, -1;
    }
    if (!io)
        return errno = EFAULT, -1;
    struct bptee_tdx_sim *s = get_tdx_sim();
    if (!s || bptee_tdx_sim_tdreport(s, io, TDX_REPORTDATA_LEN, io + TDX_REPORTDATA_LEN,
                                     TDX_TDREPORT_LEN) < 0) {
        logf_("GET_REPORT0 -> EIO");
        return errno = EIO, -1;
    }
    logf_("GET_REPORT0 -> ok");
    return 0;
}

/* MSG_REPORT_RSP into the caller's 4000-byte response buffer. */
static void report_resp(const uint8_t *req, uint8_t *resp)
{
    uint8_t out[0x20 + BPTEE_SNP_REPORT_SIZE];
    memset(out, 0, sizeof out);
    uint32_t vmpl = le32(req + 64);
    int bad = 0;
    for (int i = 68; i < 96; i++)
        bad |= req[i];
    struct bptee_sim *s = get_sim();
    if (bad || !s || bptee_sim_report(s, req, 64, vmpl, out + 0x20, BPTEE_SNP_REPORT_SIZE) < 0) {
        put_le32(out, FW_INVALID_PARAM);
    } else {
        put_le32(out + 4, BPTEE_SNP_REPORT_SIZE);
    }
    memset(resp, 0, 4000);
    memcpy(resp, out, sizeof out);
}

static int ext_report(uint8_t *req, uint8_t *resp, uint64_t *exitinfo2)
{
    uint64_t certs_addr = le64(req + 96);
    uint32_t certs_len = le32(req + 104);
    if (certs_len > FW_BLOB_MAX || certs_len % PAGE) {
        logf_("EXT_REPORT certs_len=%u -> EINVAL", certs_len);
        errno = EINVAL;
        return -1;
    }
    uint8_t *table = NULL;
    size_t table_len = 0;
    struct bptee_sim *s = get_sim();
    if (!getenv("SEVGUEST_SHIM_NO_CERTS") && s && bptee_sim_certtable(s, &table, &table_len) < 0)
        return errno = EIO, -1;
    uint32_t need = (uint32_t)((table_len + PAGE - 1) / PAGE * PAGE);
    if (getenv("SEVGUEST_SHIM_CERTS_GROW"))
        need = certs_len + PAGE;
    if (certs_addr && certs_len && certs_len < need) {
        put_le32(req + 104, need); /* the kernel writes the needed size back */
        *exitinfo2 = VMM_INVALID_LEN << 32;
        logf_("EXT_REPORT certs_len=%u -> INVALID_LEN need=%u", certs_len, need);
        bptee_free(table);
        return errno = EIO, -1;
    }
    if (certs_addr && certs_len) {
        uint8_t *dst = (uint8_t *)(uintptr_t)certs_addr;
        memset(dst, 0, certs_len);
        if (table_len)
            memcpy(dst, table, table_len);
    }
    bptee_free(table);
    report_resp(req, resp);
    logf_("EXT_REPORT certs_len=%u -> ok", certs_len);
    return 0;
}

static void derived_key(const uint8_t *req, uint8_t *resp)
{
    struct bptee_guest_key_request k = {
        .root_key_select = le32(req),
        .guest_field_select = le64(req + 8),
        .vmpl = le32(req + 16),
        .guest_svn = le32(req + 20),
        .tcb_version = le64(req + 24),
    };
    memset(resp, 0, 64);
    struct bptee_sim *s = get_sim();
    if (le32(req + 4) || !s || bptee_sim_derived_key(s, &k, resp + 0x20, 32) < 0) {
        logf_("DERIVED_KEY -> INVALID_PARAM (%s)", bptee_last_error());
        memset(resp, 0, 64);
        put_le32(resp, FW_INVALID_PARAM);
    }
}

/* One guest request, as the sev-guest driver handles it. */
static int handle(unsigned long request, uint8_t *io)
{
    if (request != REQ_REPORT && request != REQ_DERIVED_KEY && request != REQ_EXT_REPORT)
        return errno = ENOTTY, -1;
    if (!io[0]) /* msg_version must be non-zero */
        return errno = EINVAL, -1;
    uint8_t *req = (uint8_t *)(uintptr_t)le64(io + 8);
    uint8_t *resp = (uint8_t *)(uintptr_t)le64(io + 16);
    uint64_t exitinfo2 = 0;
    int rc = 0;
    if (!req || !resp)
        return errno = EFAULT, -1;
    pthread_mutex_lock(&lock);
    int busy = busy_left > 0 ? (busy_left--, 1) : 0;
    pthread_mutex_unlock(&lock);
    if (busy) {
        const char *e = getenv("SEVGUEST_SHIM_BUSY_ERRNO");
        logf_("request 0x%lx -> BUSY", request);
        put_le64(io + 24, VMM_BUSY << 32);
        errno = e && !strcmp(e, "EAGAIN") ? EAGAIN : EIO;
        return -1;
    }
    if (request == REQ_REPORT) {
        report_resp(req, resp);
        logf_("REPORT -> ok");
    } else if (request == REQ_DERIVED_KEY) {
        derived_key(req, resp);
        logf_("DERIVED_KEY -> done");
    } else {
        int saved;
        rc = ext_report(req, resp, &exitinfo2);
        saved = errno;
        put_le64(io + 24, exitinfo2);
        errno = saved;
        return rc;
    }
    put_le64(io + 24, exitinfo2);
    return rc;
}

int ioctl(int fd, unsigned long request, ...)
{
    pthread_once(&once, init);
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int kind = fake_fd(fd);
    if (kind == FAKE_TDX)
        return handle_tdx(request, arg);
    if (kind == FAKE_SEV)
        return handle(request, arg);
    return real_ioctl(fd, request, arg);
}

static int do_open(const char *path, int flags, mode_t mode)
{
    pthread_once(&once, init);
    int kind = is_device(path);
    if (kind)
        return open_fake(kind);
    return real_open(path, flags, mode);
}

static int do_openat(int dfd, const char *path, int flags, mode_t mode)
{
    pthread_once(&once, init);
    int kind = is_device(path);
    if (kind)
        return open_fake(kind);
    return real_openat(dfd, path, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_open(path, flags | O_LARGEFILE, mode);
}

int openat(int dfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(dfd, path, flags, mode);
}

int openat64(int dfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(dfd, path, flags | O_LARGEFILE, mode);
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dfd, const char *path, int flags);
int __openat64_2(int dfd, const char *path, int flags);

int __open_2(const char *path, int flags)
{
    return do_open(path, flags, 0);
}
int __open64_2(const char *path, int flags)
{
    return do_open(path, flags | O_LARGEFILE, 0);
}
int __openat_2(int dfd, const char *path, int flags)
{
    return do_openat(dfd, path, flags, 0);
}
int __openat64_2(int dfd, const char *path, int flags)
{
    return do_openat(dfd, path, flags | O_LARGEFILE, 0);
}

int close(int fd)
{
    pthread_once(&once, init);
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&lock);
        is_fake[fd] = 0;
        pthread_mutex_unlock(&lock);
    }
    return real_close(fd);
}
