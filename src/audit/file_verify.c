// SPDX-License-Identifier: Apache-2.0
/* Verifying the --audit-log file across its rotated files (file.c writes them). The files are
 * read oldest first, PATH.N .. PATH.1, then PATH; every entry is re-encoded and chained from
 * the value its file's header names, and each header must pick up exactly where the file
 * before it ended (seq and chain value), so a dropped, edited, reordered or re-chained-from-
 * scratch file is caught at the first line that does not follow. The files are not signed:
 * this proves they are one unbroken chain, and the caller ties its end to a signed export. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define W "audit file"
#define LINE_MAX_LEN (4 * BPTEE_AUDIT_ENTRY_MAX)

struct walk {
    struct bptee_audit_file_verified *out;
    const char *file; /* for messages */
    size_t line_no;
    bool any; /* a file or an entry has been read */
    uint64_t next_seq;
    uint8_t head[32];
};

static int header(struct walk *w, json_t *obj)
{
    static const uint8_t zero[32];
    uint8_t prev[32];
    json_t *seq = json_object_get(obj, "first_seq"), *p = json_object_get(obj, "prev");
    if (json_object_size(obj) != 3 || !json_is_integer(seq) || json_integer_value(seq) < 1 ||
        !json_is_string(p) || hex_decode_exact(json_string_value(p), prev, 32, "prev") < 0)
        return fail(BPTEE_EVERIFY, W ": %s: line 1: a malformed header", w->file);
    uint64_t first = (uint64_t)json_integer_value(seq);
    if (!w->any) { /* the oldest file kept: the chain is taken up from its header */
        w->next_seq = first;
        memcpy(w->head, prev, 32);
        w->out->first_seq = first;
        w->out->starts_at_beginning = first == 1 && !memcmp(prev, zero, 32);
        return 0;
    }
    if (first != w->next_seq || memcmp(prev, w->head, 32))
        return fail(BPTEE_EVERIFY, W ": %s: does not pick up where the file before it ended (seq "
                                   "%llu expected, header says %llu, or another chain value): "
                                   "a file is missing or was replaced",
                    w->file, (unsigned long long)w->next_seq, (unsigned long long)first);
    return 0;
}

static int entry(struct walk *w, json_t *obj)
{
    struct bptee_audit_entry e;
    uint8_t bytes[BPTEE_AUDIT_ENTRY_MAX], hash[32], next[32];
    size_t len = 0;
    int rc = audit_entry_from_json(obj, w->line_no, &e, hash);
    if (rc == 0)
        rc = bptee_audit_entry_encode(&e, bytes, sizeof bytes, &len);
    if (rc < 0)
        return fail_prefix(BPTEE_EVERIFY, W ": %s: line %zu", w->file, w->line_no);
    if (e.seq == 1 && e.event == BPTEE_AUDIT_START) { /* an agent (re)started: a new chain */
        memset(w->head, 0, 32);
        w->out->first_seq = 1;
        w->out->found = false;
    } else if (w->any && e.seq != w->next_seq) {
        return fail(BPTEE_EVERIFY, W ": %s: line %zu: seq %llu where %llu was next", w->file,
                    w->line_no, (unsigned long long)e.seq, (unsigned long long)w->next_seq);
    } else if (!w->any) { /* a file from before headers: it must start a chain */
        return fail(BPTEE_EVERIFY, W ": %s: line %zu: the oldest file neither has a header nor "
                                   "starts with the agent's start entry", w->file, w->line_no);
    }
    bptee_audit_chain_next(w->head, bytes, len, next);
    if (sodium_memcmp(next, hash, 32) != 0)
        return fail(BPTEE_EVERIFY, W ": %s: line %zu: entry %llu does not match its hash (edited, "
                                   "or the chain before it was)", w->file, w->line_no,
                    (unsigned long long)e.seq);
    if (!w->any)
        w->out->starts_at_beginning = true;
    memcpy(w->head, next, 32);
    w->next_seq = e.seq + 1;
    w->out->entries++;
    w->out->last_seq = e.seq;
    if (e.seq == w->out->find_seq) {
        w->out->found = true;
        memcpy(w->out->found_hash, next, 32);
    }
    return 0;
}

static int one_line(struct walk *w, const char *line, size_t n)
{
    _cleanup_json_ json_t *obj = NULL;
    char what[64];
    snprintf(what, sizeof what, W ": line %zu", w->line_no);
    if (json_parse_capped(line, n, LINE_MAX_LEN, what, &obj) < 0 || !json_is_object(obj))
        return fail(BPTEE_EVERIFY, W ": %s: line %zu: not a JSON object", w->file, w->line_no);
    const char *format = json_string_value(json_object_get(obj, "format"));
    if (format && w->line_no == 1 && !strcmp(format, AUDIT_FILE_FORMAT))
        return header(w, obj);
    int rc = entry(w, obj);
    w->any = w->any || rc == 0;
    return rc;
}

static int one_file(struct walk *w, const char *path)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    if (!f)
        return fail(BPTEE_EIO, W ": %s: %s", path, strerror(errno));
    w->file = path;
    w->line_no = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        w->line_no++;
        if (line[n - 1] != '\n')
            rc = fail(BPTEE_EVERIFY, W ": %s: line %zu: cut short (no newline)", path, w->line_no);
        else if ((size_t)n > LINE_MAX_LEN)
            rc = fail(BPTEE_EVERIFY, W ": %s: line %zu: longer than any entry", path, w->line_no);
        else
            rc = one_line(w, line, (size_t)n - 1);
        if (rc == 0 && w->line_no == 1)
            w->any = true; /* a header read counts: the next file must follow it */
    }
    free(line);
    fclose(f);
    w->out->files++;
    return rc;
}

int bptee_audit_file_verify(const char *path, struct bptee_audit_file_verified *out)
{
    char name[4096];
    unsigned oldest = 0;
    if (!path || !out)
        return fail(BPTEE_EINVAL, W ": missing path or output");
    uint64_t find = out->find_seq;
    memset(out, 0, sizeof *out);
    out->find_seq = find;
    for (unsigned n = 1; n <= BPTEE_AUDIT_FILE_KEEP_MAX; n++) {
        snprintf(name, sizeof name, "%s.%u", path, n);
        if (access(name, F_OK) != 0)
            break;
        oldest = n;
    }
    struct walk w = {.out = out};
    for (unsigned n = oldest + 1; n-- > 0;) {
        if (n)
            snprintf(name, sizeof name, "%s.%u", path, n);
        int rc = one_file(&w, n ? name : path);
        if (rc < 0)
            return rc;
    }
    memcpy(out->head, w.head, 32);
    return 0;
}
