// SPDX-License-Identifier: Apache-2.0
/* configfs-tsm (Documentation/ABI/testing/configfs-tsm-report, Linux >= 6.7): make a report
 * instance, check its provider (sev_guest or tdx_guest, as the caller accepts), write the
 * 64-byte inblob (and privlevel), read outblob (and auxblob for sev_guest), and accept them
 * only if generation advanced by exactly our own writes: anything else means another writer
 * raced us on the instance, so the sequence is retried (bounded). The instance is removed on
 * every path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/io.h>
#include <bptee/snp.h>
#include <bptee/tdx.h>

#include "guest/guest_private.h"
#include "util/cleanup.h"
#include "util/error.h"

#define OUTBLOB_MAX (32u << 10) /* TSM_OUTBLOB_MAX at introduction */
#define AUXBLOB_MAX (64u << 10)
#define TEXT_MAX 64

/* Read a whole attribute; returns 0 or -errno (callers word the error). */
static int read_attr(const char *dir, const char *name, size_t max, uint8_t **out, size_t *len)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return -ENAMETOOLONG;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    _cleanup_free_ uint8_t *buf = malloc(max + 1);
    if (!buf)
        return -ENOMEM;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            return -EFBIG;
    }
    *out = TAKE_PTR(buf);
    *len = n;
    return 0;
}

/* configfs commits a binary attribute when the file is closed, so close() reports errors. */
static int write_attr(const char *dir, const char *name, const void *data, size_t len)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w;
    do
        w = write(fd, data, len);
    while (w < 0 && errno == EINTR);
    int err = w < 0 ? errno : (size_t)w != len ? EIO : 0;
    if (close(fd) < 0 && !err && errno != EINTR)
        err = errno;
    return -err;
}

static int read_text(const char *dir, const char *name, char out[TEXT_MAX])
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = read_attr(dir, name, TEXT_MAX - 1, &buf, &len);
    if (r < 0)
        return fail(BPTEE_EIO, "guest: configfs-tsm %s/%s: %s", dir, name, strerror(-r));
    memcpy(out, buf, len);
    out[len] = '\0';
    free(buf);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static int read_generation(const char *dir, unsigned long long *gen)
{
    char text[TEXT_MAX];
    int r = read_text(dir, "generation", text);
    if (r < 0)
        return r;
    char *end = NULL;
    errno = 0;
    *gen = strtoull(text, &end, 10);
    if (!text[0] || *end || errno)
        return fail(BPTEE_EPARSE, "guest: configfs-tsm %s/generation: not a number: \"%s\"", dir,
                    text);
    return 0;
}

static const char *kind_name(unsigned accept)
{
    switch (accept) {
    case TSM_SEV:
        return "\"sev_guest\" (this is not an SEV-SNP guest)";
    case TSM_TDX:
        return "\"tdx_guest\" (this is not a TDX guest)";
    default:
        return "\"sev_guest\" nor \"tdx_guest\" (no TEE bptee knows)";
    }
}

static int check_provider(const char *dir, unsigned accept, unsigned *kind)
{
    char text[TEXT_MAX];
    int r = read_text(dir, "provider", text);
    if (r < 0)
        return r;
    *kind = !strcmp(text, "sev_guest") ? TSM_SEV : !strcmp(text, "tdx_guest") ? TSM_TDX : 0;
    if (!(*kind & accept))
        return fail(BPTEE_EUNSUPPORTED, "guest: configfs-tsm provider is \"%s\", not %s", text,
                    kind_name(accept));
    return 0;
}

static int write_inputs(const char *dir, const uint8_t inblob[64], const struct guest_cfg *g,
                        unsigned kind)
{
    /* tdx_guest has no privlevel: a VMPL is SEV-SNP's notion. */
    if (g->set_vmpl && kind == TSM_TDX)
        return fail(BPTEE_EINVAL, "guest: configfs-tsm provider tdx_guest has no privlevel (a "
                                  "VMPL applies to SEV-SNP only)");
    int r = write_attr(dir, "inblob", inblob, 64);
    if (r < 0)
        return fail(BPTEE_EIO, "guest: configfs-tsm %s/inblob: %s", dir, strerror(-r));
    if (!g->set_vmpl)
        return 0;
    char text[16];
    int n = snprintf(text, sizeof text, "%u\n", g->vmpl);
    r = write_attr(dir, "privlevel", text, (size_t)n);
    if (r < 0) {
        char floor[TEXT_MAX] = "?";
        read_text(dir, "privlevel_floor", floor);
        return fail(r == -EINVAL ? BPTEE_EINVAL : BPTEE_EIO,
                    "guest: configfs-tsm privlevel %u refused (privlevel_floor %s): %s", g->vmpl,
                    floor, strerror(-r));
    }
    return 0;
}

/* The blobs go; the provider's kind stays for the next round. */
void guest_tsm_release(struct tsm_blobs *b)
{
    free(b->out);
    free(b->aux);
    b->out = b->aux = NULL;
    b->out_len = b->aux_len = 0;
}

/* outblob then auxblob (the provider fetches both together and caches them per generation).
 * Returns 1 when the provider asks us to come back later (EAGAIN/EBUSY). */
static int read_blobs(const char *dir, struct tsm_blobs *b)
{
    bool tdx = b->kind == TSM_TDX;
    int r =
        read_attr(dir, "outblob", tdx ? BPTEE_TDX_QUOTE_MAX : OUTBLOB_MAX, &b->out, &b->out_len);
    if (r == -EAGAIN || r == -EBUSY)
        return 1;
    if (r < 0)
        return fail(BPTEE_EIO, "guest: configfs-tsm %s/outblob: %s%s", dir, strerror(-r),
                    r == -EIO ? " (the firmware or host refused the report; see dmesg)" : "");
    if (tdx) /* a quote's length is its own: parsed with the evidence */
        return b->out_len ? 0 : fail(BPTEE_EPARSE, "guest: configfs-tsm outblob is empty");
    if (b->out_len != BPTEE_SNP_REPORT_SIZE)
        return fail(BPTEE_EPARSE,
                    "guest: configfs-tsm outblob is %zu bytes, not an SEV-SNP "
                    "report (%d)",
                    b->out_len, BPTEE_SNP_REPORT_SIZE);
    r = read_attr(dir, "auxblob", AUXBLOB_MAX, &b->aux, &b->aux_len);
    if (r == -ENOENT) /* kernels whose provider has no auxblob */
        return 0;
    if (r < 0)
        return fail(BPTEE_EIO, "guest: configfs-tsm %s/auxblob: %s", dir, strerror(-r));
    return 0;
}

/* One write-read-check round; 1 = retry (raced or busy). */
static int one_round(const char *dir, const uint8_t inblob[64], const struct guest_cfg *g,
                     struct tsm_blobs *b)
{
    unsigned long long g0, g1;
    int r = read_generation(dir, &g0);
    if (r == 0)
        r = write_inputs(dir, inblob, g, b->kind);
    if (r == 0)
        r = read_blobs(dir, b);
    if (r == 0)
        r = read_generation(dir, &g1);
    if (r != 0)
        return r;
    if (g1 != g0 + 1 + (g->set_vmpl ? 1 : 0))
        return 1;
    return 0;
}

static int run_instance(const char *dir, const uint8_t inblob[64], const struct guest_cfg *g,
                        unsigned accept, struct tsm_blobs *b)
{
    int r = check_provider(dir, accept, &b->kind);
    for (unsigned attempt = 1; r == 0; attempt++) {
        r = one_round(dir, inblob, g, b);
        if (r <= 0)
            return r;
        guest_tsm_release(b);
        if (attempt >= g->attempts)
            return fail(BPTEE_EIO,
                        "guest: configfs-tsm %s: the report was raced (generation "
                        "changed) or busy on all %u attempts",
                        dir, g->attempts);
        guest_backoff(g, attempt);
        r = 0;
    }
    return r;
}

static int make_instance(const char *root, char *dir, size_t dir_size)
{
    uint8_t rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    unsigned long long tag;
    memcpy(&tag, rnd, sizeof tag);
    if ((size_t)snprintf(dir, dir_size, "%s/bptee-%ld-%016llx", root, (long)getpid(), tag) >=
        dir_size)
        return fail(BPTEE_EINVAL, "guest: configfs-tsm path too long: %s", root);
    if (mkdir(dir, 0700) == 0)
        return 0;
    int e = errno;
    return fail(e == ENOENT                 ? BPTEE_ENOTFOUND
                : e == EACCES || e == EPERM ? BPTEE_EDENIED
                                            : BPTEE_EIO,
                "guest: configfs-tsm: cannot create a report instance in %s: %s", root,
                strerror(e));
}

int guest_tsm_fetch(const struct guest_cfg *g, const uint8_t inblob[64], unsigned accept,
                    struct tsm_blobs *b)
{
    char dir[PATH_MAX];
    memset(b, 0, sizeof *b);
    int r = make_instance(g->tsm_path, dir, sizeof dir);
    if (r < 0)
        return r;
    r = run_instance(dir, inblob, g, accept, b);
    if (rmdir(dir) < 0 && r == 0)
        r = fail(BPTEE_EIO, "guest: configfs-tsm: cannot remove report instance %s: %s", dir,
                 strerror(errno));
    if (r < 0)
        guest_tsm_release(b);
    if (r == 0 && !b->aux_len) { /* no certificates: the same as an absent auxblob */
        free(b->aux);
        b->aux = NULL;
    }
    return r;
}

/* One report through configfs-tsm for the caller's options and report data. */
static int request_report(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                          size_t report_data_len, unsigned accept, struct tsm_blobs *b)
{
    struct guest_cfg g;
    uint8_t inblob[64];
    int r = guest_resolve(opts, &g);
    if (r == 0)
        r = guest_report_data(report_data, report_data_len, inblob);
    if (r == 0)
        r = guest_tsm_fetch(&g, inblob, accept, b);
    return r;
}

int bptee_guest_tsm_report(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                           size_t report_data_len, uint8_t **report, size_t *report_len,
                           uint8_t **aux, size_t *aux_len)
{
    if (!report || !report_len || !aux || !aux_len)
        return fail(BPTEE_EINVAL, "guest: configfs-tsm report: missing argument");
    struct tsm_blobs b;
    int r = request_report(opts, report_data, report_data_len, TSM_SEV, &b);
    if (r < 0)
        return r;
    *report = b.out;
    *report_len = b.out_len;
    *aux = b.aux;
    *aux_len = b.aux_len;
    return 0;
}

int bptee_guest_tdx_quote(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                          size_t report_data_len, uint8_t **quote, size_t *quote_len)
{
    if (!quote || !quote_len)
        return fail(BPTEE_EINVAL, "guest: configfs-tsm quote: missing argument");
    struct tsm_blobs b;
    int r = request_report(opts, report_data, report_data_len, TSM_TDX, &b);
    if (r < 0)
        return r;
    *quote = b.out;
    *quote_len = b.out_len;
    return 0;
}
