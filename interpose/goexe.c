// SPDX-License-Identifier: Apache-2.0
/* Is the main binary a Go program? Go opens files with raw system calls that no wrapper sees,
 * so under a hand-set LD_PRELOAD it would read whatever file lies on disk at a declared path.
 * The Go linker marks every ELF it writes with a `.go.buildinfo` section (Go >= 1.13) and a
 * `.note.go.buildid` note (a PT_NOTE with owner "Go", type 4); either one is enough. The file
 * is untrusted bytes: every offset and count is checked against the file's size before it is
 * read, integers are read in the file's own byte order, and the reads are bounded. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

#define NT_GO_BUILDID 4
#define MAX_SECTIONS 65536u
#define MAX_SEGMENTS 4096u
#define NAMES_CAP 65536u /* the section names read; a name beyond is not looked at */
#define NOTE_CAP 4096u   /* the bytes of one PT_NOTE read */

struct elf_file {
    int fd;
    uint64_t size;
    int is64, big;
};

static uint64_t load(const struct elf_file *e, const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[e->big ? n - 1 - i : i] << (8 * i);
    return v;
}

/* n bytes at off, only if they lie inside the file. */
static int read_at(const struct elf_file *e, void *buf, size_t n, uint64_t off)
{
    if (off > e->size || n > e->size - off)
        return -1;
    return pread(e->fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* The table of count entries of entsize bytes at off, when it lies inside the file. */
static int table_ok(const struct elf_file *e, uint64_t off, uint64_t count, uint64_t entsize,
                    uint64_t need)
{
    return entsize >= need && count <= e->size / entsize && off <= e->size &&
           count * entsize <= e->size - off;
}

static int name_is(const char *names, uint64_t len, uint64_t at, const char *want)
{
    size_t n = strlen(want) + 1; /* with its NUL */
    return at < len && len - at >= n && memcmp(names + at, want, n) == 0;
}

/* Section names: .go.buildinfo or .note.go.buildid. 1 found, 0 not, -1 unreadable. */
static int go_section(const struct elf_file *e, const unsigned char *eh)
{
    static char names[NAMES_CAP];
    unsigned char sh[64];
    size_t shsz = e->is64 ? 64 : 40;
    uint64_t shoff = e->is64 ? load(e, eh + 0x28, 8) : load(e, eh + 0x20, 4);
    uint64_t entsize = load(e, eh + (e->is64 ? 0x3a : 0x2e), 2);
    uint64_t count = load(e, eh + (e->is64 ? 0x3c : 0x30), 2);
    uint64_t strndx = load(e, eh + (e->is64 ? 0x3e : 0x32), 2);
    if (shoff == 0)
        return 0; /* no section headers: the notes decide */
    if (!table_ok(e, shoff, 1, entsize, shsz) || read_at(e, sh, shsz, shoff) < 0)
        return -1;
    if (count == 0) /* extended numbering: the count is section 0's sh_size */
        count = e->is64 ? load(e, sh + 0x20, 8) : load(e, sh + 0x14, 4);
    if (strndx == SHN_XINDEX)
        strndx = load(e, sh + (e->is64 ? 0x28 : 0x18), 4);
    if (count > MAX_SECTIONS || strndx >= count || !table_ok(e, shoff, count, entsize, shsz))
        return -1;
    if (read_at(e, sh, shsz, shoff + strndx * entsize) < 0)
        return -1;
    uint64_t noff = e->is64 ? load(e, sh + 0x18, 8) : load(e, sh + 0x10, 4);
    uint64_t nlen = e->is64 ? load(e, sh + 0x20, 8) : load(e, sh + 0x14, 4);
    if (nlen > NAMES_CAP)
        nlen = NAMES_CAP;
    if (read_at(e, names, (size_t)nlen, noff) < 0)
        return -1;
    /* The sh_name words, read a table chunk at a time (a few reads for a usual binary). */
    static unsigned char tab[64 * 64];
    uint64_t per = entsize <= sizeof tab ? sizeof tab / entsize : 1;
    for (uint64_t i = 0; i < count; i += per) {
        uint64_t n = count - i < per ? count - i : per;
        size_t bytes = entsize <= sizeof tab ? (size_t)(n * entsize) : 4;
        if (read_at(e, tab, bytes, shoff + i * entsize) < 0)
            return -1;
        for (uint64_t j = 0; j < n; j++) {
            uint64_t at = load(e, tab + j * entsize, 4);
            if (name_is(names, nlen, at, ".go.buildinfo") ||
                name_is(names, nlen, at, ".note.go.buildid"))
                return 1;
        }
    }
    return 0;
}

/* One PT_NOTE's notes: is there one with owner "Go" and type NT_GO_BUILDID? */
static int go_note_in(const struct elf_file *e, const unsigned char *buf, uint64_t len)
{
    uint64_t at = 0;
    while (len - at >= 12) {
        uint64_t namesz = load(e, buf + at, 4), descsz = load(e, buf + at + 4, 4);
        uint64_t type = load(e, buf + at + 8, 4);
        uint64_t name_at = at + 12, desc_at = name_at + ((namesz + 3) & ~3ull);
        if (desc_at > len)
            return 0;
        if (namesz == 3 && type == NT_GO_BUILDID && memcmp(buf + name_at, "Go", 3) == 0)
            return 1;
        uint64_t next = desc_at + ((descsz + 3) & ~3ull);
        if (next > len || next <= at)
            return 0;
        at = next;
    }
    return 0;
}

static int go_note(const struct elf_file *e, const unsigned char *eh)
{
    static unsigned char buf[NOTE_CAP];
    unsigned char ph[56];
    size_t phsz = e->is64 ? 56 : 32;
    uint64_t phoff = e->is64 ? load(e, eh + 0x20, 8) : load(e, eh + 0x1c, 4);
    uint64_t entsize = load(e, eh + (e->is64 ? 0x36 : 0x2a), 2);
    uint64_t count = load(e, eh + (e->is64 ? 0x38 : 0x2c), 2);
    if (count == 0)
        return 0;
    if (count > MAX_SEGMENTS || !table_ok(e, phoff, count, entsize, phsz))
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        if (read_at(e, ph, phsz, phoff + i * entsize) < 0)
            return -1;
        if (load(e, ph, 4) != PT_NOTE)
            continue;
        uint64_t off = e->is64 ? load(e, ph + 0x08, 8) : load(e, ph + 0x04, 4);
        uint64_t len = e->is64 ? load(e, ph + 0x20, 8) : load(e, ph + 0x10, 4);
        if (len > NOTE_CAP)
            len = NOTE_CAP;
        if (read_at(e, buf, (size_t)len, off) == 0 && go_note_in(e, buf, len))
            return 1;
    }
    return 0;
}

int bp_exe_is_go(const char *exe)
{
    unsigned char eh[64];
    struct stat st;
    struct elf_file e = {.fd = bp_raw_openat(AT_FDCWD, exe, O_RDONLY | O_CLOEXEC, 0)};
    int found = 0;
    if (e.fd < 0)
        return 0; /* not readable (an execute-only binary): nothing to tell */
    if (fstat(e.fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        e.size = (uint64_t)st.st_size;
        if (read_at(&e, eh, EI_NIDENT, 0) == 0 && memcmp(eh, ELFMAG, SELFMAG) == 0 &&
            (eh[EI_CLASS] == ELFCLASS64 || eh[EI_CLASS] == ELFCLASS32) &&
            (eh[EI_DATA] == ELFDATA2LSB || eh[EI_DATA] == ELFDATA2MSB)) {
            e.is64 = eh[EI_CLASS] == ELFCLASS64;
            e.big = eh[EI_DATA] == ELFDATA2MSB;
            if (read_at(&e, eh, e.is64 ? 64 : 52, 0) == 0)
                found = go_section(&e, eh) == 1 || go_note(&e, eh) == 1;
        }
    }
    close(e.fd);
    return found;
}
