/* SPDX-License-Identifier: Apache-2.0 */
/* `bptee inspect` for Intel TDX: every field of a quote and of a TDREPORT, readable. */
#ifndef BPTEE_CLI_INSPECT_TDX_H
#define BPTEE_CLI_INSPECT_TDX_H

#include <stddef.h>
#include <stdint.h>

/* Print the quote; 0, or a negative BPTEE_E* code when it does not parse. */
int inspect_tdx_quote(const uint8_t *quote, size_t len);

/* 1 when data is a TDREPORT (printed), 0 when it is not one. */
int inspect_tdx_tdreport(const uint8_t *data, size_t len);

#endif
