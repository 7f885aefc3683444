// SPDX-License-Identifier: Apache-2.0
/* ELF inspection of job binaries with libelf: dynamic (PT_INTERP) or static, and the file's
 * SHA-256 measurement. Everything is read from one open descriptor, so the headers checked and
 * the bytes measured are those of the same file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/elf.h>

#include "elf/elf_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"

#define MEASURE_CHUNK (256u << 10)

int elf_open_ro(const char *path, int *fd)
{
    if (!path || !path[0])
        return fail(BPTEE_EINVAL, "elf: missing path");
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "%s: %s", path,
                    strerror(errno));
    return 0;
}

int bptee_elf_measure_fd(int fd, const char *what, char out[BPTEE_ELF_MEASUREMENT_SIZE])
{
    if (fd < 0 || !out)
        return fail(BPTEE_EINVAL, "elf: missing argument");
    what = what ? what : "elf";
    _cleanup_free_ uint8_t *buf = malloc(MEASURE_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!buf || !ctx) {
        rc = fail(BPTEE_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        rc = fail_openssl(BPTEE_ECRYPTO, "%s: SHA-256", what);
        goto out;
    }
    for (off_t off = 0;;) {
        ssize_t n = pread(fd, buf, MEASURE_CHUNK, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail(BPTEE_EIO, "%s: read failed: %s", what, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
            rc = fail_openssl(BPTEE_ECRYPTO, "%s: SHA-256", what);
            goto out;
        }
        off += n;
    }
    uint8_t md[32];
    unsigned mdlen = 0;
    if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != sizeof md) {
        rc = fail_openssl(BPTEE_ECRYPTO, "%s: SHA-256", what);
        goto out;
    }
    char *hex = hex_encode(md, sizeof md);
    if (!hex) {
        rc = fail(BPTEE_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    memcpy(out, hex, BPTEE_ELF_MEASUREMENT_SIZE);
    free(hex);
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int bptee_elf_measure(const char *path, char out[BPTEE_ELF_MEASUREMENT_SIZE])
{
    _cleanup_close_ int fd = -1;
    int rc = elf_open_ro(path, &fd);
    return rc < 0 ? rc : bptee_elf_measure_fd(fd, path, out);
}

int elf_begin_fd(int fd, const char *what, Elf **out)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail(BPTEE_EUNSUPPORTED, "%s: libelf: %s", what, elf_errmsg(-1));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(BPTEE_EIO, "%s: %s", what, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(BPTEE_EINVAL, "%s: not a regular file", what);
    if ((unsigned long long)st.st_size > BPTEE_ELF_MAX_SIZE)
        return fail(BPTEE_ELIMIT, "%s: larger than %llu bytes", what, BPTEE_ELF_MAX_SIZE);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e)
        return fail(BPTEE_EPARSE, "%s: not an ELF file (%s)", what, elf_errmsg(-1));
    if (elf_kind(e) != ELF_K_ELF) {
        elf_end(e);
        return fail(BPTEE_EPARSE, "%s: not an ELF file", what);
    }
    *out = e;
    return 0;
}

/* Copy PT_INTERP's path out of the file, checking it lies inside and is NUL-terminated. */
static int read_interp(Elf *e, const GElf_Phdr *ph, const char *what, char *out)
{
    size_t size = 0;
    const char *raw = elf_rawfile(e, &size);
    if (!raw)
        return fail(BPTEE_EPARSE, "%s: cannot read the file (%s)", what, elf_errmsg(-1));
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || ph->p_filesz < 2 ||
        ph->p_filesz > BPTEE_ELF_INTERP_MAX)
        return fail(BPTEE_EPARSE, "%s: PT_INTERP lies outside the file or is too long", what);
    const char *s = raw + ph->p_offset;
    size_t n = strnlen(s, (size_t)ph->p_filesz);
    if (n == 0 || n == ph->p_filesz)
        return fail(BPTEE_EPARSE, "%s: PT_INTERP is not a NUL-terminated path", what);
    memcpy(out, s, n + 1);
    return 0;
}

static int inspect_headers(Elf *e, const char *what, struct bptee_elf_info *out)
{
    GElf_Ehdr eh;
    if (!gelf_getehdr(e, &eh))
        return fail(BPTEE_EPARSE, "%s: bad ELF header (%s)", what, elf_errmsg(-1));
    int cls = gelf_getclass(e);
    out->elf_class = cls == ELFCLASS64 ? 64 : cls == ELFCLASS32 ? 32 : 0;
    if (!out->elf_class)
        return fail(BPTEE_EPARSE, "%s: unknown ELF class", what);
    out->machine = eh.e_machine;
    out->type = eh.e_type;
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return fail(BPTEE_EPARSE, "%s: not an executable (ELF type %u)", what, eh.e_type);
    size_t nph = 0, size = 0;
    if (elf_getphdrnum(e, &nph) != 0)
        return fail(BPTEE_EPARSE, "%s: bad program headers (%s)", what, elf_errmsg(-1));
    /* libelf hands back headers past a truncated file's end without complaint. */
    uint64_t want = nph > eh.e_phnum ? nph : eh.e_phnum;
    if (!elf_rawfile(e, &size) || eh.e_phoff > size ||
        want * eh.e_phentsize > size - eh.e_phoff)
        return fail(BPTEE_EPARSE, "%s: program headers lie outside the file (truncated?)", what);
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph))
            return fail(BPTEE_EPARSE, "%s: program header %zu unreadable (%s)", what, i,
                        elf_errmsg(-1));
        if (ph.p_type != PT_INTERP)
            continue;
        if (out->dynamic)
            return fail(BPTEE_EPARSE, "%s: more than one PT_INTERP", what);
        int rc = read_interp(e, &ph, what, out->interp);
        if (rc < 0)
            return rc;
        out->dynamic = 1;
    }
    return 0;
}

int bptee_elf_inspect_fd(int fd, const char *what, struct bptee_elf_info *out)
{
    if (fd < 0 || !out)
        return fail(BPTEE_EINVAL, "elf: missing argument");
    what = what ? what : "elf";
    memset(out, 0, sizeof *out);
    Elf *e = NULL;
    int rc = elf_begin_fd(fd, what, &e);
    if (rc < 0)
        return rc;
    rc = inspect_headers(e, what, out);
    elf_end(e);
    if (rc < 0)
        return rc;
    return bptee_elf_measure_fd(fd, what, out->measurement);
}

int bptee_elf_inspect(const char *path, struct bptee_elf_info *out)
{
    _cleanup_close_ int fd = -1;
    int rc = elf_open_ro(path, &fd);
    return rc < 0 ? rc : bptee_elf_inspect_fd(fd, path, out);
}
