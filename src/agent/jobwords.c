// SPDX-License-Identifier: Apache-2.0
/* The job socket protocol's words (docs/protocol.md). Lines are ASCII words separated by
 * single spaces and ended by one "\n"; every field has a fixed shape (a name, a job id, hex of
 * a fixed length, a decimal), so the codec is a tokenizer plus strict checks, and an
 * implementation in the interposer needs nothing but libc. */
#include <stdio.h>
#include <string.h>

#include "agent/agent_private.h"
#include "agent/jobwords.h"
#include "util/codec.h"
#include "util/error.h"

/* A line: ends in its only "\n", within the length limit, printable ASCII before it. */
int words_check_framing(const char *line, size_t len, const char *what)
{
    if (!line || len == 0 || line[len - 1] != '\n')
        return fail(BPTEE_EPARSE, "%s: not a line (no final newline)", what);
    if (len > BPTEE_JOB_LINE_MAX)
        return fail(BPTEE_ELIMIT, "%s: longer than %d bytes", what, BPTEE_JOB_LINE_MAX);
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return fail(BPTEE_EPARSE, "%s: byte %zu is not printable ASCII", what, i + 1);
    return 0;
}

/* Check the line's framing and split it on single spaces. */
int words_split(const char *line, size_t len, const char *what, struct words *out)
{
    int rc = words_check_framing(line, len, what);
    if (rc < 0)
        return rc;
    len--;
    memset(out, 0, sizeof *out);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (i == start)
            return fail(BPTEE_EPARSE, "%s: empty word at byte %zu (one space between words)", what,
                        i + 1);
        if (out->n == MAX_WORDS)
            return fail(BPTEE_EPARSE, "%s: too many words", what);
        out->w[out->n] = line + start;
        out->len[out->n++] = i - start;
        start = i + 1;
    }
    return 0;
}

bool words_is(const struct words *w, size_t i, const char *s)
{
    return i < w->n && w->len[i] == strlen(s) && !memcmp(w->w[i], s, w->len[i]);
}

int words_hex(const struct words *w, size_t i, uint8_t *out, size_t n, const char *what)
{
    char buf[2 * 64 + 1];
    if (w->len[i] != 2 * n)
        return fail(BPTEE_EPARSE, "%s: %zu hex digits, expected %zu", what, w->len[i], 2 * n);
    memcpy(buf, w->w[i], w->len[i]);
    buf[w->len[i]] = '\0';
    return hex_decode_exact(buf, out, n, what);
}

int words_dec(const struct words *w, size_t i, uint64_t *out, const char *what)
{
    uint64_t v = 0;
    if (w->len[i] == 0 || w->len[i] > 20 || (w->len[i] > 1 && w->w[i][0] == '0'))
        return fail(BPTEE_EPARSE, "%s: not a decimal number", what);
    for (size_t k = 0; k < w->len[i]; k++) {
        unsigned d = (unsigned)(w->w[i][k] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return fail(BPTEE_EPARSE, "%s: not a decimal number below 2^64", what);
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool name_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int agent_name_check(const char *s, size_t n, const char *what)
{
    if (n == 0 || n > BPTEE_SECRET_NAME_MAX)
        return fail(BPTEE_EPARSE, "%s: must be 1 to %d characters", what, BPTEE_SECRET_NAME_MAX);
    for (size_t k = 0; k < n; k++)
        if (!name_char((unsigned char)s[k]))
            return fail(BPTEE_EPARSE, "%s: character %zu is not one of A-Z a-z 0-9 . _ -", what,
                        k + 1);
    if ((n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
        return fail(BPTEE_EPARSE, "%s: must not be \".\" or \"..\"", what);
    return 0;
}

int words_name(const struct words *w, size_t i, char *out, const char *what)
{
    int rc = agent_name_check(w->w[i], w->len[i], what);
    if (rc < 0)
        return rc;
    memcpy(out, w->w[i], w->len[i]);
    out[w->len[i]] = '\0';
    return 0;
}

/* A job id: the whole word from offset skip ("job=" on SECRET). */
int words_job_id(const struct words *w, size_t i, size_t skip, char *out, const char *cmd)
{
    size_t n = w->len[i] - skip;
    const char *s = w->w[i] + skip;
    if (n == 0 || n > BPTEE_JOB_ID_MAX)
        return fail(BPTEE_EPARSE, "%s: job id must be 1 to %d characters", cmd, BPTEE_JOB_ID_MAX);
    for (size_t k = 0; k < n; k++)
        if (!job_id_char((unsigned char)s[k]))
            return fail(BPTEE_EPARSE,
                        "%s: job id: character %zu is not one of A-Z a-z 0-9 . "
                        "_ : @ + -",
                        cmd, k + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int words_want(const struct words *w, size_t n, const char *cmd, const char *usage)
{
    if (w->n != n)
        return fail(BPTEE_EPARSE, "%s: expected \"%s\"", cmd, usage);
    return 0;
}

/* After snprintf: check the line fits both the buffer and the protocol's limit. */
int words_emit(size_t cap, size_t *len, int n, const char *what)
{
    if (n < 0 || (size_t)n >= cap || n > BPTEE_JOB_LINE_MAX)
        return fail(BPTEE_ELIMIT, "%s: line does not fit (%d bytes)", what, n);
    *len = (size_t)n;
    return 0;
}
