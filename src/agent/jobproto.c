// SPDX-License-Identifier: Apache-2.0
/* The job socket protocol's line codec (docs/protocol.md). Lines are ASCII words separated
 * by single spaces and ended by one "\n"; every field has a fixed shape (a name, a job id,
 * hex of a fixed length, a decimal), so the parser is a tokenizer plus strict checks, and an
 * implementation in the interposer needs nothing but libc. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_private.h"
#include "util/codec.h"
#include "util/error.h"

/* A line of 512 bytes holds at most 256 words (GRANT names many). */
#define MAX_WORDS 256

struct words {
    const char *w[MAX_WORDS];
    size_t len[MAX_WORDS];
    size_t n;
};

/* A line: ends in its only "\n", within the length limit, printable ASCII before it. */
static int check_framing(const char *line, size_t len, const char *what)
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
static int split(const char *line, size_t len, const char *what, struct words *out)
{
    int rc = check_framing(line, len, what);
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

static bool word_is(const struct words *w, size_t i, const char *s)
{
    return i < w->n && w->len[i] == strlen(s) && !memcmp(w->w[i], s, w->len[i]);
}

static int hex_word(const struct words *w, size_t i, uint8_t *out, size_t n, const char *what)
{
    char buf[2 * 64 + 1];
    if (w->len[i] != 2 * n)
        return fail(BPTEE_EPARSE, "%s: %zu hex digits, expected %zu", what, w->len[i], 2 * n);
    memcpy(buf, w->w[i], w->len[i]);
    buf[w->len[i]] = '\0';
    return hex_decode_exact(buf, out, n, what);
}

static int dec_word(const struct words *w, size_t i, uint64_t *out, const char *what)
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

static int name_word(const struct words *w, size_t i, char *out, const char *what)
{
    int rc = agent_name_check(w->w[i], w->len[i], what);
    if (rc < 0)
        return rc;
    memcpy(out, w->w[i], w->len[i]);
    out[w->len[i]] = '\0';
    return 0;
}

/* A job id: the whole word from offset skip ("job=" on SECRET). */
static int job_id_word(const struct words *w, size_t i, size_t skip, char *out, const char *cmd)
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

static int want_words(const struct words *w, size_t n, const char *cmd, const char *usage)
{
    if (w->n != n)
        return fail(BPTEE_EPARSE, "%s: expected \"%s\"", cmd, usage);
    return 0;
}

/* The optional last word of SECRET and SIGN: the binary a launcher acts for. */
static int for_word(const struct words *w, size_t i, struct bptee_job_request *r, const char *what)
{
    if (i >= w->n)
        return 0;
    r->has_for_measurement = true;
    return hex_word(w, i, r->for_measurement, 32, what);
}

static bool is_job_word(const struct words *w, size_t i)
{
    return i < w->n && w->len[i] > 4 && !memcmp(w->w[i], "job=", 4);
}

/* SECRET <name> [<measurement-hex>] [job=<job-id>] [slot] */
static int parse_secret(const struct words *w, struct bptee_job_request *r)
{
    size_t n = w->n;
    if (n >= 3 && word_is(w, n - 1, "slot")) {
        r->want_slot = true;
        n--;
    }
    if (n < 2 || n > 4 || (n == 4 && !is_job_word(w, 3)))
        return fail(BPTEE_EPARSE, "SECRET: expected \"SECRET <name> [<measurement-hex>] "
                                  "[job=<job-id>] [slot]\"");
    int rc = name_word(w, 1, r->name, "SECRET: name");
    if (rc == 0 && is_job_word(w, n - 1)) {
        rc = job_id_word(w, n - 1, 4, r->job_id, "SECRET");
        n--;
    }
    if (rc == 0 && n == 3)
        rc = for_word(w, 2, r, "SECRET: measurement");
    return rc;
}

/* VERSION <name> [<measurement-hex>] */
static int parse_version(const struct words *w, struct bptee_job_request *r)
{
    if (w->n != 2 && w->n != 3)
        return fail(BPTEE_EPARSE, "VERSION: expected \"VERSION <name> [<measurement-hex>]\"");
    int rc = name_word(w, 1, r->name, "VERSION: name");
    return rc < 0 ? rc : for_word(w, 2, r, "VERSION: measurement");
}

static int parse_sign(const struct words *w, struct bptee_job_request *r)
{
    if (w->n != 4 && w->n != 5)
        return fail(BPTEE_EPARSE, "SIGN: expected \"SIGN <job-id> <result-sha256-hex> "
                                  "<argv-sha256-hex|-> [<measurement-hex>]\"");
    int rc = job_id_word(w, 1, 0, r->job_id, "SIGN");
    if (rc == 0)
        rc = hex_word(w, 2, r->result_sha256, 32, "SIGN: result digest");
    if (rc == 0 && !word_is(w, 3, "-")) {
        r->has_argv_sha256 = true;
        rc = hex_word(w, 3, r->argv_sha256, 32, "SIGN: argv digest");
    }
    return rc < 0 ? rc : for_word(w, 4, r, "SIGN: measurement");
}

/* JOB <job-id> <measurement-hex> */
static int parse_register(const struct words *w, struct bptee_job_request *r)
{
    int rc = want_words(w, 3, "JOB", "JOB <job-id> <measurement-hex>");
    if (rc == 0)
        rc = job_id_word(w, 1, 0, r->job_id, "JOB");
    r->has_for_measurement = true;
    return rc < 0 ? rc : hex_word(w, 2, r->for_measurement, 32, "JOB: measurement");
}

/* GRANT <job-id> <pid> <name>[ <name>...] */
static int parse_grant(const struct words *w, struct bptee_job_request *r)
{
    uint64_t pid = 0;
    if (w->n < 4)
        return fail(BPTEE_EPARSE, "GRANT: expected \"GRANT <job-id> <pid> <name>[ <name>...]\"");
    int rc = job_id_word(w, 1, 0, r->job_id, "GRANT");
    if (rc == 0)
        rc = dec_word(w, 2, &pid, "GRANT: pid");
    if (rc == 0 && (pid == 0 || pid > INT32_MAX))
        return fail(BPTEE_EPARSE, "GRANT: pid must be 1 to %d", INT32_MAX);
    r->pid = (int32_t)pid;
    size_t at = 0;
    for (size_t i = 3; rc == 0 && i < w->n; i++) {
        rc = agent_name_check(w->w[i], w->len[i], "GRANT: name");
        if (rc == 0) { /* the words came from one line: they fit in one */
            if (at)
                r->names[at++] = ' ';
            memcpy(r->names + at, w->w[i], w->len[i]);
            at += w->len[i];
            r->n_names++;
        }
    }
    r->names[at] = '\0';
    return rc;
}

/* ACK <name> <version> */
static int parse_ack(const struct words *w, struct bptee_job_request *r)
{
    int rc = want_words(w, 3, "ACK", "ACK <name> <version>");
    if (rc == 0)
        rc = name_word(w, 1, r->name, "ACK: name");
    return rc < 0 ? rc : dec_word(w, 2, &r->version, "ACK: version");
}

int bptee_job_request_parse(const char *line, size_t len, struct bptee_job_request *out)
{
    struct words w;
    if (!out)
        return fail(BPTEE_EINVAL, "job request: missing output");
    memset(out, 0, sizeof *out);
    int rc = split(line, len, "job request", &w);
    if (rc < 0)
        return rc;
    if (word_is(&w, 0, "PING") || word_is(&w, 0, "ATTEST") || word_is(&w, 0, "REFRESH")) {
        out->cmd = word_is(&w, 0, "PING")     ? BPTEE_JOB_PING
                   : word_is(&w, 0, "ATTEST") ? BPTEE_JOB_ATTEST
                                              : BPTEE_JOB_REFRESH;
        return want_words(&w, 1, "job request", "PING, ATTEST or REFRESH take no arguments");
    }
    if (word_is(&w, 0, "SECRET")) {
        out->cmd = BPTEE_JOB_SECRET;
        return parse_secret(&w, out);
    }
    if (word_is(&w, 0, "SIGN")) {
        out->cmd = BPTEE_JOB_SIGN;
        return parse_sign(&w, out);
    }
    if (word_is(&w, 0, "VERSION")) {
        out->cmd = BPTEE_JOB_VERSION;
        return parse_version(&w, out);
    }
    if (word_is(&w, 0, "RESULT")) { /* RESULT <job-id> */
        out->cmd = BPTEE_JOB_RESULT;
        rc = want_words(&w, 2, "RESULT", "RESULT <job-id>");
        return rc < 0 ? rc : job_id_word(&w, 1, 0, out->job_id, "RESULT");
    }
    if (word_is(&w, 0, "JOB")) {
        out->cmd = BPTEE_JOB_REGISTER;
        return parse_register(&w, out);
    }
    if (word_is(&w, 0, "WATCH")) {
        out->cmd = BPTEE_JOB_WATCH;
        return want_words(&w, 1, "WATCH", "WATCH");
    }
    if (word_is(&w, 0, "GRANT")) {
        out->cmd = BPTEE_JOB_GRANT;
        return parse_grant(&w, out);
    }
    if (word_is(&w, 0, "ACK")) {
        out->cmd = BPTEE_JOB_ACK;
        return parse_ack(&w, out);
    }
    return fail(BPTEE_EUNSUPPORTED, "job request: unknown command (PING, SECRET, VERSION, SIGN, "
                                    "ATTEST, REFRESH, RESULT, JOB, WATCH, GRANT, ACK)");
}

/* After snprintf: check the line fits both the buffer and the protocol's limit. */
static int emit(size_t cap, size_t *len, int n, const char *what)
{
    if (n < 0 || (size_t)n >= cap || n > BPTEE_JOB_LINE_MAX)
        return fail(BPTEE_ELIMIT, "%s: line does not fit (%d bytes)", what, n);
    *len = (size_t)n;
    return 0;
}

int bptee_job_request_format(const struct bptee_job_request *req, char *out, size_t cap,
                             size_t *len)
{
    char res[65], argv[65], m[66] = "", job[BPTEE_JOB_ID_MAX + 6] = "";
    struct bptee_job_request check;
    if (!req || !out || !len)
        return fail(BPTEE_EINVAL, "job request: missing argument");
    if (req->has_for_measurement) { /* " <hex>", the optional last word */
        m[0] = ' ';
        sodium_bin2hex(m + 1, sizeof m - 1, req->for_measurement, 32);
    }
    int n;
    switch (req->cmd) {
    case BPTEE_JOB_PING:
        n = snprintf(out, cap, "PING\n");
        break;
    case BPTEE_JOB_ATTEST:
        n = snprintf(out, cap, "ATTEST\n");
        break;
    case BPTEE_JOB_REFRESH:
        n = snprintf(out, cap, "REFRESH\n");
        break;
    case BPTEE_JOB_SECRET:
        if (req->job_id[0]) /* " job=<id>", the optional audit tag */
            snprintf(job, sizeof job, " job=%.*s", BPTEE_JOB_ID_MAX, req->job_id);
        n = snprintf(out, cap, "SECRET %s%s%s%s\n", req->name, m, job,
                     req->want_slot ? " slot" : "");
        break;
    case BPTEE_JOB_VERSION:
        n = snprintf(out, cap, "VERSION %s%s\n", req->name, m);
        break;
    case BPTEE_JOB_RESULT:
        n = snprintf(out, cap, "RESULT %s\n", req->job_id);
        break;
    case BPTEE_JOB_REGISTER:
        n = snprintf(out, cap, "JOB %s%s\n", req->job_id, m);
        break;
    case BPTEE_JOB_WATCH:
        n = snprintf(out, cap, "WATCH\n");
        break;
    case BPTEE_JOB_GRANT:
        n = snprintf(out, cap, "GRANT %s %ld %.*s\n", req->job_id, (long)req->pid,
                     (int)sizeof req->names, req->names);
        break;
    case BPTEE_JOB_ACK:
        n = snprintf(out, cap, "ACK %s %llu\n", req->name, (unsigned long long)req->version);
        break;
    case BPTEE_JOB_SIGN:
        sodium_bin2hex(res, sizeof res, req->result_sha256, 32);
        if (req->has_argv_sha256)
            sodium_bin2hex(argv, sizeof argv, req->argv_sha256, 32);
        else
            memcpy(argv, "-", 2);
        n = snprintf(out, cap, "SIGN %s %s %s%s\n", req->job_id, res, argv, m);
        break;
    default:
        return fail(BPTEE_EINVAL, "job request: unknown command %d", req->cmd);
    }
    int rc = emit(cap, len, n, "job request");
    /* Never send what the agent would refuse: the name and job id are checked by parsing. */
    return rc < 0 ? rc : bptee_job_request_parse(out, *len, &check);
}

static const struct {
    int code;
    const char *kind;
} kinds[] = {
    {BPTEE_EINVAL, "invalid"},   {BPTEE_EPARSE, "parse"},
    {BPTEE_EVERIFY, "verify"},   {BPTEE_EPOLICY, "policy"},
    {BPTEE_EEXPIRED, "expired"}, {BPTEE_ENOTFOUND, "notfound"},
    {BPTEE_EIO, "io"},           {BPTEE_EUNSUPPORTED, "unsupported"},
    {BPTEE_ELIMIT, "limit"},     {BPTEE_ECRYPTO, "crypto"},
    {BPTEE_ENOMEM, "nomem"},     {BPTEE_EDENIED, "denied"},
};

const char *bptee_job_error_kind(int code)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].code == code)
            return kinds[i].kind;
    return "io";
}

int bptee_job_error_code(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].kind, kind))
            return kinds[i].code;
    return BPTEE_EIO;
}

/* "ERR <kind>[ <reason>]\n": the reason is free text (printable ASCII, spaces included). */
static int parse_err(const char *line, size_t len, struct bptee_job_reply *r)
{
    char kind[16];
    size_t k = 0, i = 4;
    len--; /* split() checked the newline and the bytes */
    while (i < len && line[i] != ' ' && k + 1 < sizeof kind)
        kind[k++] = line[i++];
    kind[k] = '\0';
    if (k == 0 || (i < len && line[i] != ' '))
        return fail(BPTEE_EPARSE, "job reply: expected \"ERR <kind> <reason>\"");
    r->error = bptee_job_error_code(kind);
    if (i < len) {
        memcpy(r->reason, line + i + 1, len - i - 1);
        r->reason[len - i - 1] = '\0';
    }
    return 0;
}

/* "OK <size> <version>[ <slot>]" */
static int parse_ok_secret(const struct words *w, struct bptee_job_reply *r)
{
    uint64_t slot = 0;
    if (w->n != 3 && w->n != 4)
        return fail(BPTEE_EPARSE, "SECRET reply: expected \"OK <size> <version> [<slot>]\"");
    int rc = dec_word(w, 1, &r->size, "SECRET reply: size");
    if (rc == 0)
        rc = dec_word(w, 2, &r->version, "SECRET reply: version");
    if (rc == 0 && w->n == 4)
        rc = dec_word(w, 3, &slot, "SECRET reply: slot");
    if (rc == 0 && w->n == 4 && slot >= BPTEE_SECRET_PAGE_SLOTS)
        return fail(BPTEE_EPARSE, "SECRET reply: slot %llu is past the version page's %u",
                    (unsigned long long)slot, BPTEE_SECRET_PAGE_SLOTS);
    r->has_slot = w->n == 4;
    r->slot = (uint32_t)slot;
    return rc;
}

static int parse_ok(const struct words *w, struct bptee_job_reply *r)
{
    uint64_t proto = 0;
    int rc;
    switch (r->cmd) {
    case BPTEE_JOB_PING:
        rc = want_words(w, 2, "PING reply", "OK <protocol>");
        if (rc == 0)
            rc = dec_word(w, 1, &proto, "PING reply: protocol");
        r->protocol = proto > UINT32_MAX ? UINT32_MAX : (uint32_t)proto;
        return rc;
    case BPTEE_JOB_SECRET:
        return parse_ok_secret(w, r);
    case BPTEE_JOB_VERSION:
        rc = want_words(w, 2, "VERSION reply", "OK <version>");
        return rc < 0 ? rc : dec_word(w, 1, &r->version, "VERSION reply: version");
    case BPTEE_JOB_RESULT:
    case BPTEE_JOB_REGISTER:
    case BPTEE_JOB_WATCH:
    case BPTEE_JOB_GRANT:
        return want_words(w, 1, "job reply", "OK");
    case BPTEE_JOB_SIGN:
        rc = want_words(w, 5, "SIGN reply", "OK <sig> <measurement> <result> <argv>");
        if (rc == 0)
            rc = hex_word(w, 1, r->signature, 64, "SIGN reply: signature");
        if (rc == 0)
            rc = hex_word(w, 2, r->measurement, 32, "SIGN reply: measurement");
        if (rc == 0)
            rc = hex_word(w, 3, r->result_sha256, 32, "SIGN reply: result digest");
        return rc < 0 ? rc : hex_word(w, 4, r->argv_sha256, 32, "SIGN reply: argv digest");
    case BPTEE_JOB_ATTEST:
    case BPTEE_JOB_REFRESH:
        rc = want_words(w, 3, "ATTEST reply", "OK <length> <public-key-hex>");
        if (rc == 0)
            rc = dec_word(w, 1, &r->length, "ATTEST reply: length");
        return rc < 0 ? rc : hex_word(w, 2, r->public_key, 32, "ATTEST reply: public key");
    default:
        return fail(BPTEE_EINVAL, "job reply: unknown command %d", r->cmd);
    }
}

int bptee_job_reply_parse(int cmd, const char *line, size_t len, struct bptee_job_reply *out)
{
    struct words w;
    if (!out)
        return fail(BPTEE_EINVAL, "job reply: missing output");
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    int rc = check_framing(line, len, "job reply");
    if (rc < 0)
        return rc;
    if (len > 4 && !memcmp(line, "ERR ", 4))
        return parse_err(line, len, out);
    rc = split(line, len, "job reply", &w);
    if (rc < 0)
        return rc;
    if (!word_is(&w, 0, "OK"))
        return fail(BPTEE_EPARSE, "job reply: expected OK or ERR");
    return parse_ok(&w, out);
}

/* The reason as it may travel: printable ASCII only, cut to fit one line. */
static void clean_reason(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c > 0x7e)
            break;
        out[i] = (char)c;
    }
    out[i] = '\0';
}

static int format_ok(const struct bptee_job_reply *r, char *out, size_t cap)
{
    char sig[129], m[65], res[65], argv[65], pk[65];
    switch (r->cmd) {
    case BPTEE_JOB_PING:
        return snprintf(out, cap, "OK %u\n", (unsigned)r->protocol);
    case BPTEE_JOB_SECRET:
        if (r->has_slot)
            return snprintf(out, cap, "OK %llu %llu %u\n", (unsigned long long)r->size,
                            (unsigned long long)r->version, (unsigned)r->slot);
        return snprintf(out, cap, "OK %llu %llu\n", (unsigned long long)r->size,
                        (unsigned long long)r->version);
    case BPTEE_JOB_VERSION:
        return snprintf(out, cap, "OK %llu\n", (unsigned long long)r->version);
    case BPTEE_JOB_RESULT:
    case BPTEE_JOB_REGISTER:
    case BPTEE_JOB_WATCH:
    case BPTEE_JOB_GRANT:
        return snprintf(out, cap, "OK\n");
    case BPTEE_JOB_SIGN:
        sodium_bin2hex(sig, sizeof sig, r->signature, 64);
        sodium_bin2hex(m, sizeof m, r->measurement, 32);
        sodium_bin2hex(res, sizeof res, r->result_sha256, 32);
        sodium_bin2hex(argv, sizeof argv, r->argv_sha256, 32);
        return snprintf(out, cap, "OK %s %s %s %s\n", sig, m, res, argv);
    case BPTEE_JOB_ATTEST:
    case BPTEE_JOB_REFRESH:
        sodium_bin2hex(pk, sizeof pk, r->public_key, 32);
        return snprintf(out, cap, "OK %llu %s\n", (unsigned long long)r->length, pk);
    default:
        return -1;
    }
}

int bptee_job_reply_format(const struct bptee_job_reply *r, char *out, size_t cap, size_t *len)
{
    char reason[BPTEE_JOB_LINE_MAX];
    if (!r || !out || !len)
        return fail(BPTEE_EINVAL, "job reply: missing argument");
    int n;
    if (r->error) {
        const char *kind = bptee_job_error_kind(r->error);
        /* "ERR " kind " " reason "\n" within the line limit: a long reason is cut to fit */
        clean_reason(r->reason, reason, BPTEE_JOB_LINE_MAX - 5 - strlen(kind));
        n = snprintf(out, cap, "ERR %s%s%s\n", kind, reason[0] ? " " : "", reason);
    } else {
        n = format_ok(r, out, cap);
    }
    return emit(cap, len, n, "job reply");
}

/* ---- pushes: "CHANGED <name> <size> <version>", "REVOKED <name> <kind> <reason>" */

int bptee_job_push_parse(const char *line, size_t len, struct bptee_job_push *out)
{
    struct words w;
    if (!out)
        return fail(BPTEE_EINVAL, "job push: missing output");
    memset(out, 0, sizeof *out);
    int rc = check_framing(line, len, "job push");
    if (rc < 0)
        return rc;
    if (len > 8 && !memcmp(line, "REVOKED ", 8)) {
        /* the name and kind are words; the reason is free text, as ERR's */
        const char *name = line + 8, *end = line + len - 1;
        const char *sp = memchr(name, ' ', (size_t)(end - name));
        if (!sp)
            return fail(BPTEE_EPARSE, "job push: expected \"REVOKED <name> <kind> <reason>\"");
        out->kind = BPTEE_JOB_PUSH_REVOKED;
        rc = agent_name_check(name, (size_t)(sp - name), "REVOKED: name");
        if (rc < 0)
            return rc;
        memcpy(out->name, name, (size_t)(sp - name));
        struct bptee_job_reply r = {0};
        char err[BPTEE_JOB_LINE_MAX + 1];
        size_t elen = (size_t)(end - sp) + 4; /* "ERR" + " <kind> <reason>" + "\n" */
        memcpy(err, "ERR", 3);
        memcpy(err + 3, sp, elen - 3);
        if ((rc = parse_err(err, elen, &r)) < 0)
            return fail(BPTEE_EPARSE, "job push: expected \"REVOKED <name> <kind> <reason>\"");
        out->error = r.error;
        memcpy(out->reason, r.reason, sizeof out->reason);
        return 0;
    }
    rc = split(line, len, "job push", &w);
    if (rc < 0)
        return rc;
    if (!word_is(&w, 0, "CHANGED"))
        return fail(BPTEE_EPARSE, "job push: expected CHANGED or REVOKED");
    out->kind = BPTEE_JOB_PUSH_CHANGED;
    rc = want_words(&w, 4, "CHANGED", "CHANGED <name> <size> <version>");
    if (rc == 0)
        rc = name_word(&w, 1, out->name, "CHANGED: name");
    if (rc == 0)
        rc = dec_word(&w, 2, &out->size, "CHANGED: size");
    return rc < 0 ? rc : dec_word(&w, 3, &out->version, "CHANGED: version");
}

int bptee_job_push_format(const struct bptee_job_push *p, char *out, size_t cap, size_t *len)
{
    char reason[BPTEE_JOB_LINE_MAX];
    struct bptee_job_push check;
    if (!p || !out || !len)
        return fail(BPTEE_EINVAL, "job push: missing argument");
    int n;
    if (p->kind == BPTEE_JOB_PUSH_CHANGED) {
        n = snprintf(out, cap, "CHANGED %s %llu %llu\n", p->name, (unsigned long long)p->size,
                     (unsigned long long)p->version);
    } else if (p->kind == BPTEE_JOB_PUSH_REVOKED) {
        const char *kind = bptee_job_error_kind(p->error ? p->error : BPTEE_EDENIED);
        size_t room = BPTEE_JOB_LINE_MAX - 11 - strnlen(p->name, sizeof p->name) - strlen(kind);
        clean_reason(p->reason, reason, room < sizeof reason ? room : sizeof reason);
        n = snprintf(out, cap, "REVOKED %s %s%s%s\n", p->name, kind, reason[0] ? " " : "",
                     reason);
    } else {
        return fail(BPTEE_EINVAL, "job push: unknown kind %d", p->kind);
    }
    int rc = emit(cap, len, n, "job push");
    return rc < 0 ? rc : bptee_job_push_parse(out, *len, &check);
}
