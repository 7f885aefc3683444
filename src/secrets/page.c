// SPDX-License-Identifier: Apache-2.0
/* The version page (docs/protocol.md, "The version page"): one memfd of 64-bit words, one per
 * secret name (its slot), that the store updates on every provision, rotation, revocation and
 * removal. Jobs map it read-only and compare a slot's word with the version they hold, so a
 * later open of a secret costs a memory load instead of a round trip to the agent.
 *
 * The store maps the page writable once, then seals it with F_SEAL_FUTURE_WRITE: from then on
 * no write() and no new writable mapping succeed on it, whoever opens it (a job of the agent's
 * uid could otherwise reopen /proc/PID/fd/N read-write), while the store's own mapping stays
 * writable. Without a page (memfd or sealing unavailable) every secret has no slot and clients
 * ask VERSION instead. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secrets/secrets_private.h"
#include "util/cleanup.h"
#include "util/error.h"

#define PAGE_BYTES (BPTEE_SECRET_PAGE_SLOTS * sizeof(uint64_t))
#define PAGE_SEALS (F_SEAL_FUTURE_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

void page_init(struct bptee_secret_store *st)
{
    st->page_fd = -1;
    st->page = NULL;
    int fd = memfd_create("bptee:versions", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return;
    void *map = MAP_FAILED;
    if (ftruncate(fd, (off_t)PAGE_BYTES) == 0)
        map = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED && fcntl(fd, F_ADD_SEALS, PAGE_SEALS) == 0) {
        st->page = map;
        st->page_fd = fd;
        return;
    }
    if (map != MAP_FAILED)
        munmap(map, PAGE_BYTES);
    safe_close(fd);
}

/* Every word a job may still look at says "gone": a job of a stopped agent refetches (and
 * fails closed) instead of trusting versions nobody will update any more. */
void page_free(struct bptee_secret_store *st)
{
    if (!st->page)
        return;
    for (uint32_t i = 0; i < st->page_used; i++)
        __atomic_store_n(&st->page[i], BPTEE_SECRET_PAGE_GONE, __ATOMIC_RELEASE);
    munmap(st->page, PAGE_BYTES);
    safe_close(st->page_fd);
    st->page = NULL;
    st->page_fd = -1;
}

void page_publish_locked(struct bptee_secret_store *st, struct secret *s)
{
    if (!st->page)
        return;
    if (s->slot == BPTEE_SECRET_NO_SLOT && st->page_used < BPTEE_SECRET_PAGE_SLOTS)
        s->slot = st->page_used++;
    if (s->slot == BPTEE_SECRET_NO_SLOT)
        return; /* the page is full: this name is checked by VERSION */
    uint64_t word = s->revoked ? (s->version | BPTEE_SECRET_PAGE_REVOKED) : s->version;
    /* Release: a job that sees the new word and then fetches finds the new entry. */
    __atomic_store_n(&st->page[s->slot], word, __ATOMIC_RELEASE);
}

void page_retire_locked(struct bptee_secret_store *st, const struct secret *s)
{
    if (st->page && s->slot != BPTEE_SECRET_NO_SLOT)
        __atomic_store_n(&st->page[s->slot], BPTEE_SECRET_PAGE_GONE, __ATOMIC_RELEASE);
}

int bptee_secret_store_page(struct bptee_secret_store *st, int *fd, size_t *slots)
{
    char path[64];
    if (!st || !fd)
        return fail(BPTEE_EINVAL, "secret store: missing store or output");
    if (!st->page)
        return fail(BPTEE_EUNSUPPORTED, "secret store: no version page (memfd sealing "
                                        "unavailable)");
    snprintf(path, sizeof path, "/proc/self/fd/%d", st->page_fd);
    /* A new read-only open file description: the job cannot write through it, and the seal
     * refuses a read-write reopen too. */
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    if (ro < 0)
        return fail(BPTEE_EIO, "secret store: cannot reopen the version page read-only: %s",
                    strerror(errno));
    *fd = ro;
    if (slots)
        *slots = BPTEE_SECRET_PAGE_SLOTS;
    return 0;
}
