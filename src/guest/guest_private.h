/* SPDX-License-Identifier: Apache-2.0 */
/* The guest module's shared internals: options resolved once (defaults, environment). */
#ifndef BPTEE_GUEST_PRIVATE_H
#define BPTEE_GUEST_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <bptee/guest.h>

#define GUEST_DEFAULT_ATTEMPTS 5
#define GUEST_DEFAULT_BACKOFF_MS 10
#define GUEST_MAX_BACKOFF_MS 2000

/* bptee_guest_opts with every default applied. Paths are borrowed (options or environment). */
struct guest_cfg {
    int provider; /* enum bptee_evidence_provider */
    const char *tsm_path;
    const char *device;
    const char *state_dir; /* NULL: the simulator's default */
    bool set_vmpl;
    uint32_t vmpl;
    unsigned attempts;
    unsigned backoff_ms;
};

int guest_resolve(const struct bptee_guest_opts *opts, struct guest_cfg *g);

/* Sleep before retry number `attempt` (1-based): backoff_ms doubling, capped. */
void guest_backoff(const struct guest_cfg *g, unsigned attempt);

/* The selection rules of bptee_guest_select; derived keys skip configfs-tsm (has none). */
int guest_select(const struct guest_cfg *g, bool need_device, int *source);

/* Copy report_data (<= 64 bytes) into a zero-padded 64-byte block. */
int guest_report_data(const uint8_t *rd, size_t len, uint8_t out[64]);

/* Names of SEV firmware status codes (psp-sev.h), or NULL. */
const char *guest_fw_status_name(uint32_t status);

#endif
