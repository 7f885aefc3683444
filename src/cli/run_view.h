/* SPDX-License-Identifier: Apache-2.0 */
/* The job's secret view (docs/interposer.md, "The kernel-served view"): a mount namespace of
 * the job's own in which every declared secret path is a regular, read-only file on ramfs,
 * so every binary of the job (static, Go, raw system calls, children) reads the same bytes
 * from the kernel, and none reads the file that lies on disk at that path. */
#ifndef BPTEE_CLI_RUN_VIEW_H
#define BPTEE_CLI_RUN_VIEW_H

#include <stdint.h>
#include <sys/types.h>

struct run_view;

/* Where the view's files belong: the job's uid and gid (the view is built as root, or as
 * the owner of a user namespace that maps the caller's ids to themselves). */
struct run_view_owner {
    uid_t uid;
    gid_t gid;
};

struct run_nsjump;

/* Check the declared paths and build the view in the job's mount namespace (every change
 * below steps in through jump and back), with every file void (an open fails with EACCES)
 * until run_view_set fills it. The calling process must be single-threaded. Returns 0, or
 * prints one line ("bptee: run: ...") and returns -1: the job must then not run. */
int run_view_build(const char *const *names, const char *const *paths, size_t n,
                   const struct run_view_owner *owner, const struct run_nsjump *jump,
                   struct run_view **out);

/* Serve version `version` of secret `name`, read from the sealed memfd, at every path
 * declared for it: the new file is mounted beneath the old one and the old one unmounted,
 * so an open sees one version or the other, never a mix. memfd -1: make the paths void
 * (revoked, not granted, the agent gone). 0, or -1 after printing why (the paths are then
 * void). */
int run_view_set(struct run_view *v, const char *name, int memfd, uint64_t version);
/* Every path void: nothing can be vouched for. */
void run_view_void_all(struct run_view *v);
/* The version each name is served at (0: void). */
uint64_t run_view_version(const struct run_view *v, const char *name);
void run_view_free(struct run_view *v);

#endif
