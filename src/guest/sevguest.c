// SPDX-License-Identifier: Apache-2.0
/* /dev/sev-guest (Linux >= 5.19): SNP_GET_REPORT, SNP_GET_EXT_REPORT and SNP_GET_DERIVED_KEY.
 * A failed ioctl carries the firmware status in exitinfo2's low 32 bits and the hypervisor's
 * in the high 32; both are turned into one clear reason. A host that throttles guest requests
 * (VMM BUSY, or EAGAIN from kernels that give up waiting) is retried with doubling waits, a
 * bounded number of times; a certificate buffer that is too small is grown to the size the
 * kernel writes back, also bounded. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bptee/snp.h>

#include "guest/guest_private.h"
#include "guest/uapi.h"
#include "util/bytes.h"
#include "util/cleanup.h"
#include "util/error.h"

#define PAGE 4096u
#define CERTS_MAX (1u << 20)
#define CERTS_RESIZES 3
#define REQ_RETRY_LEN 1 /* request() result: the certificate buffer was too small */

static int open_device(const struct guest_cfg *g)
{
    int fd = open(g->device, O_RDWR | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    return fail(e == ENOENT                 ? BPTEE_ENOTFOUND
                : e == EACCES || e == EPERM ? BPTEE_EDENIED
                                            : BPTEE_EIO,
                "guest: %s: %s", g->device, strerror(e));
}

/* The reason for a failed guest request. */
static int request_error(const char *what, const struct guest_cfg *g, int err, uint64_t exitinfo2)
{
    uint32_t fw = (uint32_t)exitinfo2, vmm = (uint32_t)(exitinfo2 >> 32);
    if (err == ENOTTY)
        return fail(BPTEE_EUNSUPPORTED,
                    "guest: %s is not an SEV-SNP guest device (%s: ioctl "
                    "not supported)",
                    g->device, what);
    if (exitinfo2 == SEV_EXITINFO2_NO_FW_CALL || exitinfo2 == 0)
        return fail(err == EINVAL ? BPTEE_EINVAL : BPTEE_EIO, "guest: %s: %s failed: %s", g->device,
                    what, strerror(err));
    if (vmm)
        return fail(BPTEE_EIO, "guest: %s: %s failed: hypervisor error %u%s", g->device, what, vmm,
                    vmm == SEV_VMM_ERR_INVALID_LEN ? " (certificate buffer too small)" : "");
    const char *name = guest_fw_status_name(fw);
    return fail(BPTEE_EIO, "guest: %s: %s failed: firmware error 0x%x (%s)", g->device, what, fw,
                name ? name : "unknown");
}

/* Issue one guest request, retrying while the host throttles. */
static int request(int fd, unsigned long nr, const char *what, const struct guest_cfg *g, void *req,
                   void *resp)
{
    for (unsigned attempt = 1;; attempt++) {
        struct sev_guest_request_ioctl io = {
            .msg_version = 1,
            .req_data = (uint64_t)(uintptr_t)req,
            .resp_data = (uint64_t)(uintptr_t)resp,
            .exitinfo2 = SEV_EXITINFO2_NO_FW_CALL,
        };
        if (ioctl(fd, nr, &io) == 0)
            return 0;
        int err = errno;
        uint32_t vmm = (uint32_t)(io.exitinfo2 >> 32);
        if (err == EINTR)
            continue;
        if (nr == SEV_GET_EXT_REPORT && vmm == SEV_VMM_ERR_INVALID_LEN)
            return REQ_RETRY_LEN;
        bool busy = err == EAGAIN || err == EBUSY ||
                    (vmm == SEV_VMM_ERR_BUSY && io.exitinfo2 != SEV_EXITINFO2_NO_FW_CALL);
        if (!busy)
            return request_error(what, g, err, io.exitinfo2);
        if (attempt >= g->attempts)
            return fail(BPTEE_EIO,
                        "guest: %s: %s: the host is throttling guest requests (VMM "
                        "busy) and still was after %u attempts",
                        g->device, what, g->attempts);
        guest_backoff(g, attempt);
    }
}

/* MSG_REPORT_RSP: status, then the report of the size it states. */
static int take_report(const struct sev_report_resp *resp, const struct guest_cfg *g,
                       uint8_t **report, size_t *report_len)
{
    uint32_t status = load_le32(resp->data + SEV_RESP_STATUS);
    uint32_t size = load_le32(resp->data + SEV_RESP_REPORT_SIZE);
    if (status) {
        const char *name = guest_fw_status_name(status);
        return fail(BPTEE_EIO,
                    "guest: %s: the firmware refused the report request: status "
                    "0x%x (%s)",
                    g->device, status, name ? name : "unknown");
    }
    if (size != BPTEE_SNP_REPORT_SIZE)
        return fail(BPTEE_EPARSE, "guest: %s: report response says %u bytes (expected %d)",
                    g->device, size, BPTEE_SNP_REPORT_SIZE);
    *report = malloc(size);
    if (!*report)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    memcpy(*report, resp->data + SEV_RESP_REPORT, size);
    *report_len = size;
    return 0;
}

static int report_req(const struct guest_cfg *g, const uint8_t *rd, size_t rd_len,
                      struct sev_report_req *req)
{
    memset(req, 0, sizeof *req);
    req->vmpl = g->set_vmpl ? g->vmpl : 0;
    return guest_report_data(rd, rd_len, req->user_data);
}

int bptee_guest_sev_report(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                           size_t report_data_len, uint8_t **report, size_t *report_len)
{
    if (!report || !report_len)
        return fail(BPTEE_EINVAL, "guest: SNP_GET_REPORT: missing argument");
    struct guest_cfg g;
    struct sev_report_req req;
    int r = guest_resolve(opts, &g);
    if (r == 0)
        r = report_req(&g, report_data, report_data_len, &req);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = open_device(&g);
    if (fd < 0)
        return fd;
    _cleanup_free_ struct sev_report_resp *resp = calloc(1, sizeof *resp);
    if (!resp)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    r = request(fd, SEV_GET_REPORT, "SNP_GET_REPORT", &g, &req, resp);
    return r < 0 ? r : take_report(resp, &g, report, report_len);
}

/* SNP_GET_EXT_REPORT with a buffer of *cap bytes; REQ_RETRY_LEN leaves the size needed in
 * *cap. */
static int ext_request(int fd, const struct guest_cfg *g, struct sev_ext_report_req *req,
                       struct sev_report_resp *resp, uint8_t **certs, uint32_t *cap)
{
    free(*certs);
    *certs = calloc(1, *cap);
    if (!*certs)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    req->certs_address = (uint64_t)(uintptr_t)*certs;
    req->certs_len = *cap;
    int r = request(fd, SEV_GET_EXT_REPORT, "SNP_GET_EXT_REPORT", g, req, resp);
    if (r == REQ_RETRY_LEN) {
        if (req->certs_len <= *cap || req->certs_len > CERTS_MAX)
            return fail(BPTEE_EIO,
                        "guest: %s: SNP_GET_EXT_REPORT: certificate buffer too small, "
                        "and the kernel asks for %u bytes (had %u, limit %u)",
                        g->device, req->certs_len, *cap, CERTS_MAX);
        *cap = (req->certs_len + PAGE - 1) / PAGE * PAGE; /* the kernel takes whole pages */
    }
    return r;
}

int bptee_guest_sev_ext_report(const struct bptee_guest_opts *opts, const uint8_t *report_data,
                               size_t report_data_len, uint8_t **report, size_t *report_len,
                               uint8_t **certs, size_t *certs_len)
{
    if (!report || !report_len || !certs || !certs_len)
        return fail(BPTEE_EINVAL, "guest: SNP_GET_EXT_REPORT: missing argument");
    struct guest_cfg g;
    struct sev_ext_report_req req;
    int r = guest_resolve(opts, &g);
    if (r == 0)
        r = report_req(&g, report_data, report_data_len, &req.data);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = open_device(&g);
    if (fd < 0)
        return fd;
    _cleanup_free_ struct sev_report_resp *resp = calloc(1, sizeof *resp);
    _cleanup_free_ uint8_t *buf = NULL;
    if (!resp)
        return fail(BPTEE_ENOMEM, "guest: out of memory");
    uint32_t cap = PAGE; /* usual tables (VCEK, ASK, ARK) take two pages: grown on demand */
    r = REQ_RETRY_LEN;
    for (int i = 0; r == REQ_RETRY_LEN && i <= CERTS_RESIZES; i++)
        r = ext_request(fd, &g, &req, resp, &buf, &cap);
    if (r == REQ_RETRY_LEN)
        return fail(BPTEE_EIO,
                    "guest: %s: SNP_GET_EXT_REPORT: certificate buffer still too small "
                    "after %d resizes",
                    g.device, CERTS_RESIZES);
    if (r == 0)
        r = take_report(resp, &g, report, report_len);
    if (r < 0)
        return r;
    /* An all-zero table means the host supplied no certificates. */
    *certs_len = all_zero(buf, 24) ? 0 : cap;
    *certs = *certs_len ? TAKE_PTR(buf) : NULL;
    return 0;
}

int bptee_guest_sev_derived_key(const struct bptee_guest_opts *opts,
                                const struct bptee_guest_key_request *kreq, uint8_t *key,
                                size_t key_len)
{
    if (!kreq || !key)
        return fail(BPTEE_EINVAL, "guest: SNP_GET_DERIVED_KEY: missing argument");
    if (key_len != 32)
        return fail(BPTEE_EINVAL, "guest: derived key buffer is %zu bytes (must be 32)", key_len);
    struct guest_cfg g;
    int r = guest_resolve(opts, &g);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = open_device(&g);
    if (fd < 0)
        return fd;
    struct sev_derived_key_req req = {
        .root_key_select = kreq->root_key_select,
        .guest_field_select = kreq->guest_field_select,
        .vmpl = kreq->vmpl,
        .guest_svn = kreq->guest_svn,
        .tcb_version = kreq->tcb_version,
    };
    struct sev_derived_key_resp resp;
    memset(&resp, 0, sizeof resp);
    r = request(fd, SEV_GET_DERIVED_KEY, "SNP_GET_DERIVED_KEY", &g, &req, &resp);
    uint32_t status = load_le32(resp.data);
    if (r == 0 && status) {
        const char *name = guest_fw_status_name(status);
        r = fail(BPTEE_EINVAL,
                 "guest: %s: the firmware refused the key request: status 0x%x "
                 "(%s)",
                 g.device, status, name ? name : "unknown");
    }
    if (r == 0)
        memcpy(key, resp.data + SEV_KEY_RESP_KEY, 32);
    sodium_memzero(&resp, sizeof resp);
    return r;
}
