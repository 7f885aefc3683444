/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the elf module's files. */
#ifndef BPTEE_ELF_PRIVATE_H
#define BPTEE_ELF_PRIVATE_H

#include <libelf.h>

/* open(path, O_RDONLY|O_CLOEXEC) with a located error. */
int elf_open_ro(const char *path, int *fd);
/* elf_begin on a regular file after the size cap; EPARSE when it is not ELF. */
int elf_begin_fd(int fd, const char *what, Elf **out);

#endif
