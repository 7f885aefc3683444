/* SPDX-License-Identifier: Apache-2.0 */
/* Shared definitions of the bptee public API. */
#ifndef BPTEE_COMMON_H
#define BPTEE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define BPTEE_EXTERN_C extern "C"
#else
#define BPTEE_EXTERN_C
#endif

/* Every exported function is declared on one line starting with BPTEE_API: the library's
 * version script is generated from these declarations, so the header is the ABI. */
#define BPTEE_API BPTEE_EXTERN_C __attribute__((visibility("default")))

/* Options structs carry their own size so fields can be added without breaking callers built
 * against an older header (libbpf's LIBBPF_OPTS). */
#define BPTEE_OPTS(type, name, ...)                                                            \
    struct type name = {.sz = sizeof(struct type), __VA_ARGS__}

/* The library version, "MAJOR.MINOR.PATCH". */
BPTEE_API const char *bptee_version(void);

#endif
