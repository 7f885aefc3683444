// SPDX-License-Identifier: Apache-2.0
/* TEE hardware detection in blueprint-tee's order (reference §7.3, first match wins): only
 * stat(2) and one small file read, no network, no subprocess. Every path sits under a
 * configurable root so tests can point detection at a tree of fake device files (a symlink
 * to /dev/null is a character device to stat). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/provider.h>
#include <bptee/runtime.h>

#include "util/error.h"

struct detect_ctx {
    const char *root;
    char *why;
    size_t why_cap;
};

static void rooted(const struct detect_ctx *c, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", c->root, path);
}

static bool is_char_at(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static bool exists_at(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ROOT/path (or the override when set) is a character device. */
static bool is_char(const struct detect_ctx *c, const char *path, const char *override,
                    char *shown, size_t cap)
{
    if (override && override[0])
        snprintf(shown, cap, "%s", override);
    else
        rooted(c, path, shown, cap);
    return is_char_at(shown);
}

static bool exists(const struct detect_ctx *c, const char *path, char *shown, size_t cap)
{
    rooted(c, path, shown, cap);
    return exists_at(shown);
}

static bool vendor_is_microsoft(const struct detect_ctx *c)
{
    char path[PATH_MAX], buf[256];
    rooted(c, "/sys/class/dmi/id/board_vendor", path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strstr(buf, "Microsoft") != NULL;
}

/* why = "<subject> <verdict>", e.g. "/dev/sev-guest is a character device". */
static int found(const struct detect_ctx *c, int provider, int *out, const char *verdict,
                 const char *subject)
{
    *out = provider;
    if (c->why && c->why_cap)
        snprintf(c->why, c->why_cap, "%s %s", subject, verdict);
    return 1;
}

int bptee_detect_provider(const struct bptee_detect_opts *opts, int *provider, char *why,
                          size_t why_cap)
{
    if (!provider)
        return fail(BPTEE_EINVAL, "detect: missing output");
    static const struct bptee_detect_opts none = {.sz = sizeof none};
    const struct bptee_detect_opts *o = opts ? opts : &none;
    struct detect_ctx c = {.root = o->root ? o->root : "", .why = why,
                           .why_cap = why_cap};
    char p[PATH_MAX];
    const char *chr = "is a character device", *ex = "exists";
    if (why && why_cap)
        why[0] = '\0';
    if (is_char(&c, "/dev/nsm", NULL, p, sizeof p))
        return found(&c, BPTEE_PROVIDER_AWS_NITRO, provider, chr, p);
    if (is_char(&c, "/dev/tdx-guest", NULL, p, sizeof p))
        return found(&c, BPTEE_PROVIDER_INTEL_TDX, provider, chr, p);
    if (is_char(&c, "/dev/tdx_guest", o->tdx_guest, p, sizeof p))
        return found(&c, BPTEE_PROVIDER_INTEL_TDX, provider, chr, p);
    if (exists(&c, "/sys/firmware/acpi/tables/TDEL", p, sizeof p) ||
        exists(&c, "/sys/firmware/acpi/tables/CCEL", p, sizeof p))
        return found(&c, BPTEE_PROVIDER_INTEL_TDX, provider, ex, p);
    if (is_char(&c, "/dev/sev-guest", o->sev_guest, p, sizeof p))
        return found(&c, BPTEE_PROVIDER_AMD_SEV_SNP, provider, chr, p);
    if (exists(&c, "/run/container_launcher/attestation_verifier_claims_token", p, sizeof p))
        return found(&c, BPTEE_PROVIDER_GCP_CONFIDENTIAL, provider, ex, p);
    if (!o->ignore_env && secure_getenv("CONFIDENTIAL_SPACE_VERSION"))
        return found(&c, BPTEE_PROVIDER_GCP_CONFIDENTIAL, provider, "is set",
                     "CONFIDENTIAL_SPACE_VERSION");
    if (vendor_is_microsoft(&c) && (exists(&c, "/sys/kernel/mm/sev", p, sizeof p) ||
                                    is_char(&c, "/dev/sev-guest", o->sev_guest, p, sizeof p)))
        return found(&c, BPTEE_PROVIDER_AZURE_SNP, provider,
                     "exists and the board vendor is Microsoft", p);
    *provider = -1;
    return 0;
}
