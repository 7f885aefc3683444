// SPDX-License-Identifier: Apache-2.0
/* The agent's access log: entries chained by SHA-256 as they are appended, the newest kept in
 * memory (a ring), every one optionally appended to a file as a JSON line, and the whole
 * exported signed by the agent's attested key. Appending holds one lock, so sequence numbers,
 * the chain and the file all see the same order. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bptee/io.h>

#include "audit/audit_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define W "audit log"
#define DEFAULT_MAX 16384

struct bptee_audit_log {
    pthread_mutex_t lock;
    size_t max;
    json_t **ring;       /* the entries in memory, oldest at start */
    uint8_t (*hash)[32]; /* each one's chain value */
    size_t start, n;
    uint64_t next_seq;
    uint8_t head[32]; /* chain value after the newest entry (zero before the first) */
    uint8_t prev[32]; /* chain value before the oldest entry in memory */
    int fd;
    char *path;         /* the file's path (rotation renames it) */
    uint64_t file_max;  /* rotate before a line would take the file past this (0: never) */
    unsigned file_keep; /* rotated files kept: PATH.1 (newest) .. PATH.keep */
};

int bptee_audit_log_new(size_t max_entries, struct bptee_audit_log **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, W ": missing output");
    struct bptee_audit_log *log = calloc(1, sizeof *log);
    if (!log)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    log->max = max_entries ? max_entries : DEFAULT_MAX;
    log->ring = calloc(log->max, sizeof *log->ring);
    log->hash = calloc(log->max, sizeof *log->hash);
    if (!log->ring || !log->hash || pthread_mutex_init(&log->lock, NULL) != 0) {
        free(log->ring);
        free(log->hash);
        free(log);
        return fail(BPTEE_ENOMEM, W ": out of memory");
    }
    log->next_seq = 1;
    log->fd = -1;
    *out = log;
    return 0;
}

void bptee_audit_log_free(struct bptee_audit_log *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->n; i++)
        json_decref(log->ring[(log->start + i) % log->max]);
    if (log->fd >= 0)
        close(log->fd);
    free(log->path);
    pthread_mutex_destroy(&log->lock);
    free(log->ring);
    free(log->hash);
    free(log);
}

int bptee_audit_log_open_file(struct bptee_audit_log *log, const char *path)
{
    if (!log || !path)
        return fail(BPTEE_EINVAL, W ": missing log or path");
    char *copy = strdup(path);
    if (!copy)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    pthread_mutex_lock(&log->lock);
    int fd = audit_file_open(path, log->next_seq, log->head);
    if (fd >= 0) {
        if (log->fd >= 0)
            close(log->fd);
        log->fd = fd;
        free(log->path);
        log->path = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&log->lock);
    free(copy);
    return fd < 0 ? fd : 0;
}

int bptee_audit_log_set_file_limit(struct bptee_audit_log *log, uint64_t max_bytes,
                                   unsigned keep)
{
    if (!log || (max_bytes && max_bytes < AUDIT_FILE_MIN) || (max_bytes && !keep) ||
        keep > BPTEE_AUDIT_FILE_KEEP_MAX)
        return fail(BPTEE_EINVAL, W ": a file limit is 0 (none) or at least %u bytes, with 1 "
                                  "to %u rotated files kept", AUDIT_FILE_MIN,
                    BPTEE_AUDIT_FILE_KEEP_MAX);
    pthread_mutex_lock(&log->lock);
    log->file_max = max_bytes;
    log->file_keep = keep;
    pthread_mutex_unlock(&log->lock);
    return 0;
}

/* One whole line in one write (O_APPEND keeps concurrent writers' lines whole). A write that
 * fails part way (a full disk, a file size limit) is cut back off, so the file never holds a
 * half line that a later entry would glue itself to. */
static int write_line(int fd, json_t *entry)
{
    struct stat st;
    _cleanup_free_ char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    if (fstat(fd, &st) < 0)
        return fail(BPTEE_EIO, W ": cannot append to the file: %s", strerror(errno));
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps's NUL becomes the newline; the length says where to stop */
    int rc = fd_write_all(fd, text, n + 1);
    text[n] = '\0';
    if (rc < 0 && ftruncate(fd, st.st_size) < 0)
        return fail(BPTEE_EIO, W ": cannot append to the file: %s (and a part of the line may "
                               "remain: %s)", strerror(-rc), strerror(errno));
    return rc < 0 ? fail(BPTEE_EIO, W ": cannot append to the file: %s", strerror(-rc)) : 0;
}

static void push_locked(struct bptee_audit_log *log, json_t *entry, const uint8_t hash[32])
{
    if (log->n == log->max) { /* the oldest leaves memory; the chain now starts after it */
        memcpy(log->prev, log->hash[log->start], 32);
        json_decref(log->ring[log->start]);
        log->start = (log->start + 1) % log->max;
        log->n--;
    }
    size_t at = (log->start + log->n) % log->max;
    log->ring[at] = entry;
    memcpy(log->hash[at], hash, 32);
    log->n++;
    memcpy(log->head, hash, 32);
    log->next_seq++;
}

int bptee_audit_log_append(struct bptee_audit_log *log, const struct bptee_audit_entry *e,
                           uint64_t *seq)
{
    uint8_t bytes[BPTEE_AUDIT_ENTRY_MAX], next[32];
    size_t len = 0;
    if (!log || !e)
        return fail(BPTEE_EINVAL, W ": missing log or entry");
    struct bptee_audit_entry copy = *e;
    pthread_mutex_lock(&log->lock);
    copy.seq = log->next_seq;
    copy.time = (uint64_t)time(NULL);
    int rc = bptee_audit_entry_encode(&copy, bytes, sizeof bytes, &len);
    json_t *entry = NULL;
    if (rc == 0) {
        bptee_audit_chain_next(log->head, bytes, len, next);
        entry = audit_entry_to_json(&copy, next);
        rc = entry ? 0 : fail(BPTEE_ENOMEM, W ": out of memory");
    }
    if (rc == 0 && log->fd >= 0 && log->file_max)
        rc = audit_file_make_room(&log->fd, log->path, log->file_max, log->file_keep,
                                  BPTEE_AUDIT_ENTRY_MAX * 3, copy.seq, log->head);
    if (rc == 0 && log->fd >= 0)
        rc = write_line(log->fd, entry);
    if (rc == 0) {
        push_locked(log, entry, next);
        if (seq)
            *seq = copy.seq;
    } else {
        json_decref(entry);
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

uint64_t bptee_audit_log_count(struct bptee_audit_log *log)
{
    if (!log)
        return 0;
    pthread_mutex_lock(&log->lock);
    uint64_t n = log->next_seq - 1;
    pthread_mutex_unlock(&log->lock);
    return n;
}

struct snapshot {
    json_t *entries;
    uint64_t first_seq, count;
    uint8_t prev[32], head[32];
};

static int take_snapshot(struct bptee_audit_log *log, struct snapshot *s)
{
    s->entries = json_array();
    if (!s->entries)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    pthread_mutex_lock(&log->lock);
    int bad = 0;
    for (size_t i = 0; i < log->n && !bad; i++)
        bad = json_array_append(s->entries, log->ring[(log->start + i) % log->max]);
    s->count = log->n;
    s->first_seq = log->next_seq - log->n;
    memcpy(s->prev, log->prev, 32);
    memcpy(s->head, log->head, 32);
    pthread_mutex_unlock(&log->lock);
    return bad ? fail(BPTEE_ENOMEM, W ": out of memory") : 0;
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    char hex[2 * 64 + 1];
    sodium_bin2hex(hex, sizeof hex, p, n);
    return json_string(hex);
}

/* The signature over the head and the key's evidence (base64 byte fields: compact). */
static int sign_head(struct bptee_signing_key *key, const struct snapshot *s,
                     const uint8_t nonce[32], uint8_t sig[64], json_t **evidence)
{
    uint8_t msg[AUDIT_HEAD_LEN];
    char *ev = NULL;
    bptee_audit_head_message(s->first_seq, s->count, s->prev, s->head, nonce, msg);
    int rc = bptee_signing_key_sign(key, msg, sizeof msg, sig);
    if (rc == 0)
        rc = bptee_signing_key_evidence_json(key, 0, &ev);
    if (rc < 0)
        return fail_prefix(rc, W ": signing");
    *evidence = json_loads(ev, 0, NULL);
    bptee_free(ev);
    return *evidence ? 0 : fail(BPTEE_ENOMEM, W ": out of memory");
}

int bptee_audit_log_export(struct bptee_audit_log *log, struct bptee_signing_key *key,
                           const uint8_t *nonce, char **out)
{
    struct snapshot s = {0};
    uint8_t sig[64], pk[32], zero[32] = {0};
    json_t *evidence = NULL;
    if (!log || !key || !out)
        return fail(BPTEE_EINVAL, W ": missing log, key or output");
    int rc = take_snapshot(log, &s);
    if (rc == 0)
        rc = sign_head(key, &s, nonce, sig, &evidence);
    if (rc < 0) {
        json_decref(s.entries);
        return rc;
    }
    bptee_signing_key_public(key, pk);
    _cleanup_json_ json_t *doc = json_pack(
        "{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "format", BPTEE_AUDIT_FORMAT,
        "first_seq", (json_int_t)s.first_seq, "count", (json_int_t)s.count, "prev",
        hexj(s.prev, 32), "head", hexj(s.head, 32), "nonce", hexj(nonce ? nonce : zero, 32),
        "entries", s.entries, "signing_key", hexj(pk, 32), "signature", hexj(sig, 64),
        "attestation", evidence);
    *out = doc ? json_to_string(doc, 0) : NULL;
    return *out ? 0 : fail(BPTEE_ENOMEM, W ": out of memory");
}
