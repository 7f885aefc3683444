/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup (systemd style): variables released on every path out of a block. */
#ifndef BPTEE_UTIL_CLEANUP_H
#define BPTEE_UTIL_CLEANUP_H

#include <stdlib.h>

void cleanup_freep(void *p);
void cleanup_closep(const int *fd);
void cleanup_fclosep(void *f);

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)

/* Hand ownership out of a cleanup variable: returns the value and leaves NULL behind. */
#define TAKE_PTR(p)                                                                            \
    ({                                                                                         \
        __typeof__(p) _taken = (p);                                                            \
        (p) = NULL;                                                                            \
        _taken;                                                                                \
    })

/* close() that keeps errno, for error paths. */
void safe_close(int fd);

#endif
