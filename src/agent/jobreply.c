// SPDX-License-Identifier: Apache-2.0
/* Job socket replies and pushes (docs/protocol.md): "OK ..." and "ERR <kind> <reason>" answers
 * to a request, and the CHANGED and REVOKED lines pushed to a watching keeper, both ways. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_private.h"
#include "agent/jobwords.h"
#include "util/error.h"

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
    len--; /* words_split() checked the newline and the bytes */
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
    int rc = words_dec(w, 1, &r->size, "SECRET reply: size");
    if (rc == 0)
        rc = words_dec(w, 2, &r->version, "SECRET reply: version");
    if (rc == 0 && w->n == 4)
        rc = words_dec(w, 3, &slot, "SECRET reply: slot");
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
        rc = words_want(w, 2, "PING reply", "OK <protocol>");
        if (rc == 0)
            rc = words_dec(w, 1, &proto, "PING reply: protocol");
        r->protocol = proto > UINT32_MAX ? UINT32_MAX : (uint32_t)proto;
        return rc;
    case BPTEE_JOB_SECRET:
        return parse_ok_secret(w, r);
    case BPTEE_JOB_VERSION:
        rc = words_want(w, 2, "VERSION reply", "OK <version>");
        return rc < 0 ? rc : words_dec(w, 1, &r->version, "VERSION reply: version");
    case BPTEE_JOB_RESULT:
    case BPTEE_JOB_REGISTER:
    case BPTEE_JOB_WATCH:
    case BPTEE_JOB_GRANT:
        return words_want(w, 1, "job reply", "OK");
    case BPTEE_JOB_SIGN:
        rc = words_want(w, 5, "SIGN reply", "OK <sig> <measurement> <result> <argv>");
        if (rc == 0)
            rc = words_hex(w, 1, r->signature, 64, "SIGN reply: signature");
        if (rc == 0)
            rc = words_hex(w, 2, r->measurement, 32, "SIGN reply: measurement");
        if (rc == 0)
            rc = words_hex(w, 3, r->result_sha256, 32, "SIGN reply: result digest");
        return rc < 0 ? rc : words_hex(w, 4, r->argv_sha256, 32, "SIGN reply: argv digest");
    case BPTEE_JOB_ATTEST:
    case BPTEE_JOB_REFRESH:
        rc = words_want(w, 3, "ATTEST reply", "OK <length> <public-key-hex>");
        if (rc == 0)
            rc = words_dec(w, 1, &r->length, "ATTEST reply: length");
        return rc < 0 ? rc : words_hex(w, 2, r->public_key, 32, "ATTEST reply: public key");
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
    int rc = words_check_framing(line, len, "job reply");
    if (rc < 0)
        return rc;
    if (len > 4 && !memcmp(line, "ERR ", 4))
        return parse_err(line, len, out);
    rc = words_split(line, len, "job reply", &w);
    if (rc < 0)
        return rc;
    if (!words_is(&w, 0, "OK"))
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
    return words_emit(cap, len, n, "job reply");
}

/* ---- pushes: "CHANGED <name> <size> <version>", "REVOKED <name> <kind> <reason>" */

int bptee_job_push_parse(const char *line, size_t len, struct bptee_job_push *out)
{
    struct words w;
    if (!out)
        return fail(BPTEE_EINVAL, "job push: missing output");
    memset(out, 0, sizeof *out);
    int rc = words_check_framing(line, len, "job push");
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
    rc = words_split(line, len, "job push", &w);
    if (rc < 0)
        return rc;
    if (!words_is(&w, 0, "CHANGED"))
        return fail(BPTEE_EPARSE, "job push: expected CHANGED or REVOKED");
    out->kind = BPTEE_JOB_PUSH_CHANGED;
    rc = words_want(&w, 4, "CHANGED", "CHANGED <name> <size> <version>");
    if (rc == 0)
        rc = words_name(&w, 1, out->name, "CHANGED: name");
    if (rc == 0)
        rc = words_dec(&w, 2, &out->size, "CHANGED: size");
    return rc < 0 ? rc : words_dec(&w, 3, &out->version, "CHANGED: version");
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
    int rc = words_emit(cap, len, n, "job push");
    return rc < 0 ? rc : bptee_job_push_parse(out, *len, &check);
}
