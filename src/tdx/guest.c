// SPDX-License-Identifier: Apache-2.0
/* TDX_CMD_GET_REPORT0 on /dev/tdx_guest (Linux >= 6.2). Debian 12 ships no tdx-guest.h, so the
 * uapi struct is our own copy, pinned by size, offset and the ioctl number. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tdx/internal.h"
#include "util/cleanup.h"
#include "util/error.h"

#define TDX_GUEST_DEFAULT "/dev/tdx_guest"

/* include/uapi/linux/tdx-guest.h */
struct tdx_report_req {
    uint8_t reportdata[BPTEE_TDX_REPORTDATA_SIZE];
    uint8_t tdreport[BPTEE_TDX_TDREPORT_SIZE];
};
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

_Static_assert(sizeof(struct tdx_report_req) == 1088, "tdx_report_req is 1088 bytes");
_Static_assert(offsetof(struct tdx_report_req, tdreport) == 64, "tdreport at offset 64");
_Static_assert(TDX_CMD_GET_REPORT0 == 0xc4405401u, "TDX_CMD_GET_REPORT0 is 0xc4405401");

static const char *device_path(const char *device)
{
    if (device && device[0])
        return device;
    const char *env = secure_getenv(BPTEE_TDX_ENV_GUEST_PATH);
    return env && env[0] ? env : TDX_GUEST_DEFAULT;
}

static int ioctl_error(const char *path, int err)
{
    if (err == EIO)
        return fail(BPTEE_EIO, "tdx: %s: TDX_CMD_GET_REPORT0: the TDCALL failed (EIO)", path);
    if (err == ENOTTY || err == EINVAL)
        return fail(BPTEE_EUNSUPPORTED, "tdx: %s: TDX_CMD_GET_REPORT0 is not supported (%s)",
                    path, strerror(err));
    return fail(BPTEE_EIO, "tdx: %s: TDX_CMD_GET_REPORT0: %s", path, strerror(err));
}

int bptee_tdx_guest_report0(const char *device, const uint8_t *report_data,
                            size_t report_data_len, uint8_t *out, size_t out_len)
{
    if (!out || (report_data_len && !report_data))
        return fail(BPTEE_EINVAL, "tdx: GET_REPORT0: missing argument");
    if (report_data_len > BPTEE_TDX_REPORTDATA_SIZE)
        return fail(BPTEE_EINVAL, "tdx: report data is %zu bytes, at most %d", report_data_len,
                    BPTEE_TDX_REPORTDATA_SIZE);
    if (out_len < BPTEE_TDX_TDREPORT_SIZE)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT needs %d bytes, the buffer has %zu",
                    BPTEE_TDX_TDREPORT_SIZE, out_len);
    const char *path = device_path(device);
    _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "tdx: %s: %s", path,
                    strerror(errno));
    struct tdx_report_req req;
    memset(&req, 0, sizeof req);
    if (report_data_len)
        memcpy(req.reportdata, report_data, report_data_len);
    int r;
    do
        r = ioctl(fd, TDX_CMD_GET_REPORT0, &req);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return ioctl_error(path, errno);
    /* The kernel copies the module's report verbatim; check it is one before handing it on. */
    struct bptee_tdx_tdreport parsed;
    if ((r = bptee_tdx_tdreport_parse(req.tdreport, sizeof req.tdreport, &parsed)) < 0)
        return fail_prefix(r, "%s", path);
    if (memcmp(parsed.report_data, req.reportdata, BPTEE_TDX_REPORTDATA_SIZE) != 0)
        return fail(BPTEE_EIO, "tdx: %s: the TDREPORT carries other REPORTDATA than requested",
                    path);
    memcpy(out, req.tdreport, BPTEE_TDX_TDREPORT_SIZE);
    return 0;
}
