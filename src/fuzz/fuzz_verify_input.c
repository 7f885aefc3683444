// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the input sniffer behind `bptee verify` and `bptee inspect` (src/verify/input.c),
 * which tells evidence JSON, raw SEV-SNP reports, TDX quotes, Nitro documents, JWTs, their hex
 * and everything else apart by shape. Any bytes either load as evidence or fail with a reason
 * (a user must never get an empty error); what loads then goes through verification under the
 * default policy, as `bptee verify` would take it, at a fixed time so runs repeat. */
#include <stdio.h>
#include <stdlib.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-01-01: inside the validity of the real vectors that seed this target. */
#define VERIFY_AT 1767225600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_report *r = NULL, *verified = NULL;
    if (size > (1u << 20))
        return 0;
    bptee_clear_error();
    if (bptee_verify_input_load(data, size, &r) < 0) {
        if (r || !bptee_last_error()[0]) {
            fprintf(stderr, "input refused without a reason, or with a report\n");
            abort();
        }
        return 0;
    }
    if (!r)
        abort(); /* success hands back a report */
    struct bptee_verify_opts opts = {.sz = sizeof opts, .at = VERIFY_AT};
    if (bptee_verify_report(r, &opts, &verified) == 0)
        bptee_report_free(verified);
    bptee_report_free(r);
    return 0;
}
