/* SPDX-License-Identifier: Apache-2.0 */
/* The mount primitives of the job's secret view (run_view_mount.c, run_view_overlay.c). Each
 * returns 0, or -1 with errno set (or a reason written to why). */
#ifndef BPTEE_CLI_RUN_VIEW_MOUNT_H
#define BPTEE_CLI_RUN_VIEW_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A mount namespace of our own (through a user namespace mapping our ids to themselves
 * when not root), its mounts private. */
int view_enter_namespaces(char *why, size_t cap);
/* A new ramfs, detached (attached nowhere): its root's descriptor, or -1. */
int view_ramfs_new(char *why, size_t cap);
/* ramfs/name, created with the memfd's first size bytes, owned uid:gid, mode. */
int view_write_file(int ramfs, const char *name, int memfd, uint64_t size, mode_t mode,
                    uid_t uid, gid_t gid);
/* Bind ramfs/name read-only (nosuid, nodev, noexec) onto path; replace: beneath the mount
 * already there, which is then detached. */
int view_bind_file(int ramfs, const char *name, const char *path, bool replace);

/* Give the missing paths under the existing directory dir a place: dir becomes a read-only
 * overlay of a ramfs tree (subtree `tree`, holding an empty 0400 file at each missing path
 * and the directories leading to it) over dir itself; the mounts that were below dir are
 * attached again on top. rel[i] are the paths relative to dir. */
int view_overlay(int ramfs, const char *tree, const char *dir, const char *const *rel,
                 size_t n, char *why, size_t cap);

#endif
