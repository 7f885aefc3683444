/* SPDX-License-Identifier: Apache-2.0 */
/* bptee inspect for cloud evidence: Nitro documents and JWT attestation tokens. */
#ifndef BPTEE_CLI_INSPECT_CLOUD_H
#define BPTEE_CLI_INSPECT_CLOUD_H

#include <stddef.h>
#include <stdint.h>

/* Print every field; a negative BPTEE_E* code when the bytes do not decode. */
int inspect_nitro(const uint8_t *doc, size_t len);
int inspect_jwt(const uint8_t *token, size_t len);

#endif
