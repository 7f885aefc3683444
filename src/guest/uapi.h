/* SPDX-License-Identifier: Apache-2.0 */
/* Our copies of include/uapi/linux/sev-guest.h (mainline 5.19, the error union of 6.4). The
 * layouts are ABI-stable, so they are pinned here with static asserts instead of depending on
 * whichever header the build machine has; the error is read as the u64 exitinfo2 (firmware
 * error low 32 bits, VMM error high 32) so the code means the same against every header. */
#ifndef BPTEE_GUEST_UAPI_H
#define BPTEE_GUEST_UAPI_H

#include <stddef.h>
#include <stdint.h>

struct sev_report_req {
    uint8_t user_data[64];
    uint32_t vmpl;
    uint8_t rsvd[28];
};

/* MSG_REPORT_RSP: u32 status @0, u32 report_size @4, reserved to 0x20, report @0x20. */
struct sev_report_resp {
    uint8_t data[4000];
};
#define SEV_RESP_STATUS 0
#define SEV_RESP_REPORT_SIZE 4
#define SEV_RESP_REPORT 0x20

struct sev_derived_key_req {
    uint32_t root_key_select;
    uint32_t rsvd;
    uint64_t guest_field_select;
    uint32_t vmpl;
    uint32_t guest_svn;
    uint64_t tcb_version;
};

/* MSG_KEY_RSP: u32 status @0, reserved to 0x20, key[32] @0x20. */
struct sev_derived_key_resp {
    uint8_t data[64];
};
#define SEV_KEY_RESP_KEY 0x20

struct sev_guest_request_ioctl {
    uint8_t msg_version; /* must be non-zero */
    uint64_t req_data;
    uint64_t resp_data;
    uint64_t exitinfo2; /* fw_error = low 32 bits, vmm_error = high 32 bits */
};

struct sev_ext_report_req {
    struct sev_report_req data;
    uint64_t certs_address;
    uint32_t certs_len; /* in: buffer size (page multiple); out: size needed */
};

#define SEV_GET_REPORT 0xc0205300ul
#define SEV_GET_DERIVED_KEY 0xc0205301ul
#define SEV_GET_EXT_REPORT 0xc0205302ul

#define SEV_VMM_ERR_INVALID_LEN 1u
#define SEV_VMM_ERR_BUSY 2u
/* The kernel presets exitinfo2 to SEV_RET_NO_FW_CALL (-1) and leaves it when nothing ran. */
#define SEV_EXITINFO2_NO_FW_CALL UINT64_MAX

_Static_assert(sizeof(struct sev_report_req) == 96, "snp_report_req");
_Static_assert(offsetof(struct sev_report_req, vmpl) == 64, "snp_report_req.vmpl");
_Static_assert(sizeof(struct sev_report_resp) == 4000, "snp_report_resp");
_Static_assert(sizeof(struct sev_derived_key_req) == 32, "snp_derived_key_req");
_Static_assert(offsetof(struct sev_derived_key_req, guest_field_select) == 8, "gfs");
_Static_assert(offsetof(struct sev_derived_key_req, vmpl) == 16, "snp_derived_key_req.vmpl");
_Static_assert(offsetof(struct sev_derived_key_req, guest_svn) == 20, "guest_svn");
_Static_assert(offsetof(struct sev_derived_key_req, tcb_version) == 24, "tcb_version");
_Static_assert(sizeof(struct sev_derived_key_resp) == 64, "snp_derived_key_resp");
_Static_assert(sizeof(struct sev_guest_request_ioctl) == 32, "snp_guest_request_ioctl");
_Static_assert(offsetof(struct sev_guest_request_ioctl, req_data) == 8, "req_data");
_Static_assert(offsetof(struct sev_guest_request_ioctl, resp_data) == 16, "resp_data");
_Static_assert(offsetof(struct sev_guest_request_ioctl, exitinfo2) == 24, "exitinfo2");
_Static_assert(sizeof(struct sev_ext_report_req) == 112, "snp_ext_report_req");
_Static_assert(offsetof(struct sev_ext_report_req, certs_address) == 96, "certs_address");
_Static_assert(offsetof(struct sev_ext_report_req, certs_len) == 104, "certs_len");

/* _IOWR('S', nr, 32-byte struct): direction 3 << 30, size 32 << 16, type 'S' << 8, nr. */
_Static_assert(SEV_GET_REPORT == (3ul << 30 | 32ul << 16 | 'S' << 8 | 0), "SNP_GET_REPORT");
_Static_assert(SEV_GET_DERIVED_KEY == (3ul << 30 | 32ul << 16 | 'S' << 8 | 1), "DERIVED_KEY");
_Static_assert(SEV_GET_EXT_REPORT == (3ul << 30 | 32ul << 16 | 'S' << 8 | 2), "EXT_REPORT");

/* Where the build machine has the kernel header, it must agree with the copies. */
#if defined(__has_include)
#if __has_include(<linux/sev-guest.h>)
#include <linux/sev-guest.h>
_Static_assert(sizeof(struct snp_report_req) == sizeof(struct sev_report_req), "kernel hdr");
_Static_assert(sizeof(struct snp_ext_report_req) == sizeof(struct sev_ext_report_req), "hdr");
_Static_assert(sizeof(struct snp_derived_key_req) == sizeof(struct sev_derived_key_req), "hdr");
_Static_assert(sizeof(struct snp_guest_request_ioctl) == sizeof(struct sev_guest_request_ioctl),
               "kernel header");
_Static_assert(SNP_GET_REPORT == SEV_GET_REPORT, "kernel header SNP_GET_REPORT");
_Static_assert(SNP_GET_DERIVED_KEY == SEV_GET_DERIVED_KEY, "kernel header");
_Static_assert(SNP_GET_EXT_REPORT == SEV_GET_EXT_REPORT, "kernel header");
#endif
#endif

#endif
