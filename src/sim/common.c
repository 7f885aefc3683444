// SPDX-License-Identifier: Apache-2.0
/* The state directory both simulators keep, and its creation exactly once: a new state is
 * written into a private temporary directory beside the target and published with rename(2),
 * which either succeeds (the target was absent or an empty directory) or fails because another
 * process published first; the loser discards its copy and loads the winner's. A reader never
 * sees a half-written state. Also the certificate-building steps both simulators take alike. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"

/* mkdir -p of path's parent, new directories 0700. */
static int make_parents(const char *who, const char *path)
{
    char buf[PATH_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
        return fail(BPTEE_EINVAL, "%s: state directory path too long", who);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return fail(BPTEE_EIO, "%s: cannot create %s: %s", who, buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return fail(BPTEE_EIO, "%s: cannot create %s: %s", who, buf, strerror(errno));
    return 0;
}

/* Remove our unpublished temporary directory (flat: files only). */
static void remove_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(tmp);
}

static int publish(const struct sim_statedir *sd, const char *dir, const uint8_t *key,
                   int (*fill)(int dfd, const void *ctx, const uint8_t *key), const void *ctx)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir) >= sizeof tmp)
        return fail(BPTEE_EINVAL, "%s: state directory path too long", sd->who);
    if (!mkdtemp(tmp))
        return fail(BPTEE_EIO, "%s: cannot create %s: %s", sd->who, tmp, strerror(errno));
    int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = dfd < 0 ? fail(BPTEE_EIO, "%s: %s: %s", sd->who, tmp, strerror(errno))
                    : fill(dfd, ctx, key);
    safe_close(dfd);
    if (r == 0 && rename(tmp, dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
        r = fail(BPTEE_EIO, "%s: cannot publish the state at %s: %s", sd->who, dir,
                 strerror(errno));
    remove_tmp(tmp); /* gone after a successful rename: then this does nothing */
    return r;
}

int sim_state_publish(const struct sim_statedir *sd, const char *dir, size_t key_size,
                      int (*fill)(int dfd, const void *ctx, const uint8_t *key), const void *ctx)
{
    uint8_t *key = sodium_malloc(key_size);
    if (!key)
        return fail(BPTEE_ENOMEM, "%s: out of memory", sd->who);
    randombytes_buf(key, key_size);
    int r = publish(sd, dir, key, fill, ctx);
    sodium_free(key);
    return r;
}

/* 1 if dir holds a published state, 0 if it is absent or empty, an error otherwise. */
static int probe_state(const struct sim_statedir *sd, const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0
                               : fail(BPTEE_EIO, "%s: state %s: %s", sd->who, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(BPTEE_EINVAL, "%s: state %s: not a directory", sd->who, dir);
    DIR *d = opendir(dir);
    if (!d)
        return fail(BPTEE_EIO, "%s: state %s: %s", sd->who, dir, strerror(errno));
    int entries = 0, published = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        entries++;
        published |= !strcmp(e->d_name, sd->marker);
    }
    closedir(d);
    if (entries && !published)
        return fail(BPTEE_EINVAL, "%s: %s is not empty and not a %s state directory", sd->who, dir,
                    sd->kind);
    return published;
}

int sim_state_find(const struct sim_statedir *sd, const char *dir)
{
    int r = probe_state(sd, dir);
    if (r == 0)
        r = make_parents(sd->who, dir);
    return r;
}

int sim_file_write_at(const char *who, int dfd, const char *name, const void *data, size_t len)
{
    _cleanup_close_ int fd =
        openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(BPTEE_EIO, "%s: state file %s: %s", who, name, strerror(errno));
    int r = fd_write_all(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    return r < 0 ? fail(BPTEE_EIO, "%s: state file %s: %s", who, name, strerror(-r)) : 0;
}

int sim_file_open_at(const char *who, int dfd, const char *dir, const char *name, bool secret)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "%s: state %s/%s: %s", who, dir,
                    name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        safe_close(fd);
        return fail(BPTEE_EIO, "%s: state %s/%s: not a regular file", who, dir, name);
    }
    if (secret && (st.st_mode & 077)) {
        safe_close(fd);
        return fail(BPTEE_EDENIED,
                    "%s: state %s/%s: mode %04o lets others read a secret (must be 0600)", who, dir,
                    name, (unsigned)(st.st_mode & 07777));
    }
    return fd;
}

int sim_add_conf_ext(const char *who, X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "%s: extension %s", who, OBJ_nid2sn(nid));
}

int sim_cert_to_der(const char *who, X509 *x, uint8_t **der, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);
    if (n <= 0)
        return fail_openssl(BPTEE_ECRYPTO, "%s: certificate encoding", who);
    *der = malloc((size_t)n);
    if (*der) {
        memcpy(*der, p, (size_t)n);
        *len = (size_t)n;
    }
    OPENSSL_free(p);
    return *der ? 0 : fail(BPTEE_ENOMEM, "%s: out of memory", who);
}

int sim_key_to_pem(const char *who, const char *what, EVP_PKEY *key, char **pem, size_t *len)
{
    BIO *b = BIO_new(BIO_s_secmem());
    char *data = NULL;
    long n = 0;
    int ok = b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) &&
             (n = BIO_get_mem_data(b, &data)) > 0;
    if (ok && (*pem = sodium_malloc((size_t)n)) != NULL) {
        memcpy(*pem, data, (size_t)n);
        *len = (size_t)n;
    }
    BIO_free(b); /* a secure-heap BIO wipes its buffer */
    if (!ok)
        return fail_openssl(BPTEE_ECRYPTO, "%s: %s encoding", who, what);
    return *pem ? 0 : fail(BPTEE_ENOMEM, "%s: out of memory", who);
}
