// SPDX-License-Identifier: Apache-2.0
/* The originals behind our wrappers, looked up once with dlsym(RTLD_NEXT). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

struct bp_real bp_real;

struct symbol {
    const char *name;
    void **slot;
};

#define SYM(field, name)                                                                           \
    {                                                                                              \
        name, (void **)&bp_real.field                                                              \
    }
static const struct symbol symbols[] = {
    SYM(open, "open"),
    SYM(open64, "open64"),
    SYM(openat, "openat"),
    SYM(openat64, "openat64"),
    SYM(open_2, "__open_2"),
    SYM(open64_2, "__open64_2"),
    SYM(openat_2, "__openat_2"),
    SYM(openat64_2, "__openat64_2"),
    SYM(creat, "creat"),
    SYM(creat64, "creat64"),
    SYM(fopen, "fopen"),
    SYM(fopen64, "fopen64"),
    SYM(freopen, "freopen"),
    SYM(freopen64, "freopen64"),
    SYM(stat, "stat"),
    SYM(stat64, "stat64"),
    SYM(lstat, "lstat"),
    SYM(lstat64, "lstat64"),
    SYM(fstatat, "fstatat"),
    SYM(fstatat64, "fstatat64"),
    SYM(xstat, "__xstat"),
    SYM(xstat64, "__xstat64"),
    SYM(lxstat, "__lxstat"),
    SYM(lxstat64, "__lxstat64"),
    SYM(fxstatat, "__fxstatat"),
    SYM(fxstatat64, "__fxstatat64"),
    SYM(statx, "statx"),
    SYM(access, "access"),
    SYM(faccessat, "faccessat"),
    SYM(euidaccess, "euidaccess"),
    SYM(eaccess, "eaccess"),
    SYM(getxattr, "getxattr"),
    SYM(lgetxattr, "lgetxattr"),
    SYM(listxattr, "listxattr"),
    SYM(llistxattr, "llistxattr"),
};

/* Where glibc keeps a name only as a non-default (compat) version, plain dlsym misses it; these
 * are the base versions of the 64-bit ports (x86_64, aarch64, ppc64le, s390x, riscv64) and of
 * the later additions we wrap. */
static const char *const versions[] = {
    "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.3", "GLIBC_2.2",  "GLIBC_2.27",
    "GLIBC_2.0",   "GLIBC_2.4",  "GLIBC_2.7", "GLIBC_2.28", "GLIBC_2.33",
};

static void die(const char *name, const char *why)
{
    bp_write_line("bptee: preload: %s: %s", name, why);
    abort();
}

static void *lookup(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    for (size_t i = 0; !p && i < sizeof versions / sizeof versions[0]; i++)
        p = dlvsym(RTLD_NEXT, name, versions[i]);
    return p;
}

void bp_resolve(void)
{
    Dl_info self, found;
    if (!dladdr((void *)bp_resolve, &self))
        die("dladdr", "cannot locate the interposer itself");
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *p = lookup(symbols[i].name);
        /* RTLD_NEXT finding ourselves means the library was loaded twice or not as a preload:
         * every call would recurse forever. */
        if (p && dladdr(p, &found) && found.dli_fbase == self.dli_fbase)
            die(symbols[i].name, "RTLD_NEXT resolves to the interposer itself");
        *symbols[i].slot = p;
    }
}
