// SPDX-License-Identifier: Apache-2.0
/* Owner keys: an Ed25519 key pair whose secret half lives in guarded, locked memory, and its
 * file. The file is one line, "bptee-owner-key-v1 <base64 of the 32-byte seed>"; it is written
 * mode 0600 through a temporary file and rename, and read only when nobody but its owner can
 * read or write it (as ssh and signify refuse loose private keys): a key others can read may
 * already be someone else's, and signing with it would say nothing about who signed. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owners/owners_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"

#define W "owner key"
#define KEY_FILE_MAGIC "bptee-owner-key-v1 "
#define KEY_FILE_MAX 4096

struct bptee_owner_key {
    uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
    uint8_t *secret; /* sodium_malloc'd: seed || public key, read-only after creation */
};

static int key_alloc(struct bptee_owner_key **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, W ": missing output");
    if (sodium_init() < 0)
        return fail(BPTEE_ECRYPTO, W ": libsodium failed to initialise");
    struct bptee_owner_key *k = calloc(1, sizeof *k);
    if (!k)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    k->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->secret) {
        free(k);
        return fail(BPTEE_ENOMEM, W ": cannot allocate locked memory (RLIMIT_MEMLOCK?)");
    }
    *out = k;
    return 0;
}

void bptee_owner_key_free(struct bptee_owner_key *k)
{
    if (!k)
        return;
    sodium_free(k->secret); /* wipes before unmapping */
    free(k);
}

int bptee_owner_key_generate(struct bptee_owner_key **out)
{
    int rc = key_alloc(out);
    if (rc < 0)
        return rc;
    crypto_sign_keypair((*out)->public_key, (*out)->secret);
    sodium_mprotect_readonly((*out)->secret);
    return 0;
}

int bptee_owner_key_from_seed(const uint8_t seed[32], struct bptee_owner_key **out)
{
    if (!seed)
        return fail(BPTEE_EINVAL, W ": missing seed");
    int rc = key_alloc(out);
    if (rc < 0)
        return rc;
    crypto_sign_seed_keypair((*out)->public_key, (*out)->secret, seed);
    sodium_mprotect_readonly((*out)->secret);
    return 0;
}

void bptee_owner_key_public(const struct bptee_owner_key *k, uint8_t public_key[32])
{
    memcpy(public_key, k->public_key, sizeof k->public_key);
}

int bptee_owner_request_sign(const struct bptee_owner_key *k, const struct bptee_owner_request *r,
                             uint8_t sig[64])
{
    uint8_t msg[BPTEE_OWNER_REQUEST_MAX];
    size_t len = 0;
    if (!k || !sig)
        return fail(BPTEE_EINVAL, "owner request: missing key or output");
    int rc = bptee_owner_request_message(r, msg, sizeof msg, &len);
    if (rc < 0)
        return rc;
    crypto_sign_detached(sig, NULL, msg, len, k->secret);
    return 0;
}

int bptee_owner_key_save(const struct bptee_owner_key *k, const char *path)
{
    struct stat st;
    /* "magic" + base64 of 32 bytes (44) + "\n" */
    char line[sizeof KEY_FILE_MAGIC + sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    if (!k || !path)
        return fail(BPTEE_EINVAL, W ": missing key or path");
    if (lstat(path, &st) == 0)
        return fail(BPTEE_EINVAL, "%s: exists; refusing to overwrite a key", path);
    memcpy(line, KEY_FILE_MAGIC, sizeof KEY_FILE_MAGIC - 1);
    char *b64 = line + sizeof KEY_FILE_MAGIC - 1;
    sodium_bin2base64(b64, sizeof line - (sizeof KEY_FILE_MAGIC - 1), k->secret, 32,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t n = strlen(line);
    line[n++] = '\n';
    int rc = file_write_atomic(path, line, n, 0600);
    sodium_memzero(line, sizeof line);
    return rc;
}

/* The file as opened: no symlink, a regular file, owned by us (or root), private. */
static int check_file(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(BPTEE_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(BPTEE_EINVAL, "%s: not a regular file", path);
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return fail(BPTEE_EDENIED, "%s: owned by uid %u, not by you (uid %u)", path,
                    (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 077)
        return fail(BPTEE_EDENIED,
                    "%s: mode %04o lets group or others read or write the private key; refusing "
                    "it (chmod 600 it, and consider it exposed)",
                    path, (unsigned)(st.st_mode & 07777));
    return 0;
}

static int parse_line(const char *text, size_t len, const char *path, uint8_t seed[32])
{
    size_t m = sizeof KEY_FILE_MAGIC - 1, out = 0;
    const char *end = NULL;
    if (len < m || memcmp(text, KEY_FILE_MAGIC, m) != 0)
        return fail(BPTEE_EPARSE, "%s: not a bptee owner key (expected \"%s<base64>\")", path,
                    KEY_FILE_MAGIC);
    size_t b = len - m;
    if (b && text[m + b - 1] == '\n')
        b--;
    if (sodium_base642bin(seed, 32, text + m, b, NULL, &out, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        out != 32 || end != text + m + b)
        return fail(BPTEE_EPARSE, "%s: the key is not 32 bytes of base64", path);
    return 0;
}

int bptee_owner_key_load(const char *path, struct bptee_owner_key **out)
{
    uint8_t *text = NULL, *seed = NULL;
    size_t len = 0;
    if (!path || !out)
        return fail(BPTEE_EINVAL, W ": missing path or output");
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "%s: %s%s", path,
                    strerror(errno), errno == ELOOP ? " (a symlink: refused)" : "");
    int rc = check_file(fd, path);
    if (rc == 0)
        rc = fd_read_all(fd, path, KEY_FILE_MAX, &text, &len);
    if (rc == 0 && !(seed = sodium_malloc(32)))
        rc = fail(BPTEE_ENOMEM, W ": cannot allocate locked memory");
    if (rc == 0)
        rc = parse_line((const char *)text, len, path, seed);
    if (rc == 0)
        rc = bptee_owner_key_from_seed(seed, out);
    if (text) {
        sodium_memzero(text, len);
        free(text);
    }
    sodium_free(seed);
    return rc;
}
