/* SPDX-License-Identifier: Apache-2.0 */
/* Job binaries (libelf): is an executable dynamically linked, so that LD_PRELOAD (and with it
 * the secrets interposer) applies to it; its measurement, the SHA-256 of the file's bytes, which
 * identifies the job in attested results (DESIGN.md contract 8); the libraries it needs. */
#ifndef BPTEE_ELF_H
#define BPTEE_ELF_H

#include <bptee/common.h>

/* Lowercase hex SHA-256 and its NUL. */
#define BPTEE_ELF_MEASUREMENT_SIZE 65
/* Longest PT_INTERP path reported (longer ones are refused as malformed). */
#define BPTEE_ELF_INTERP_MAX 256
/* Largest executable bptee_elf_inspect reads. */
#define BPTEE_ELF_MAX_SIZE (1ull << 32)

/* What a job binary is. A binary is dynamic exactly when it has a PT_INTERP program header:
 * the kernel then starts the dynamic loader, which honours LD_PRELOAD. Static binaries
 * (static-pie included: PT_DYNAMIC but no PT_INTERP) never run a loader and cannot be
 * interposed. */
struct bptee_elf_info {
    int dynamic;          /* 1: PT_INTERP present */
    int elf_class;        /* 32 or 64 */
    unsigned machine;     /* e_machine (62 = x86-64, 183 = aarch64) */
    unsigned type;        /* e_type (2 = ET_EXEC, 3 = ET_DYN) */
    char interp[BPTEE_ELF_INTERP_MAX];                /* PT_INTERP, "" when static */
    char measurement[BPTEE_ELF_MEASUREMENT_SIZE];     /* hex SHA-256 of the whole file */
};

/* Inspect the executable at path (or an open fd, read with pread so its offset is kept).
 * BPTEE_EPARSE "PATH: not an ELF file" for anything else (scripts included: resolve their
 * interpreter first), BPTEE_EPARSE naming the malformed header otherwise. The measurement and
 * the headers come from the same open file. */
BPTEE_API int bptee_elf_inspect(const char *path, struct bptee_elf_info *out);
BPTEE_API int bptee_elf_inspect_fd(int fd, const char *what, struct bptee_elf_info *out);

/* The measurement alone: hex SHA-256 of the file's bytes (any file, ELF or not). */
BPTEE_API int bptee_elf_measure(const char *path, char out[BPTEE_ELF_MEASUREMENT_SIZE]);
BPTEE_API int bptee_elf_measure_fd(int fd, const char *what, char out[BPTEE_ELF_MEASUREMENT_SIZE]);

/* The DT_NEEDED entries in order, as a JSON array of strings released with bptee_free ("[]"
 * for a static binary). */
BPTEE_API int bptee_elf_needed(const char *path, char **json_out);

#endif
