// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the job socket protocol (docs/protocol.md): request lines (JOB, WATCH,
 * GRANT and ACK included), the reply lines to every command and the pushes a keeper reads
 * (CHANGED, REVOKED) either fail cleanly or parse. A parsed request formats back to
 * the same bytes (the grammar has one spelling per value; hex case is folded) and parses again
 * to the same fields; a parsed reply formats and parses again to the same fields. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_agent_jobproto: %s: %s\n", what, bptee_last_error());
    abort();
}

static int same_folded(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

static void request(const char *line, size_t len)
{
    struct bptee_job_request req, again;
    char out[BPTEE_JOB_LINE_MAX + 1];
    size_t n = 0;
    if (bptee_job_request_parse(line, len, &req) < 0)
        return;
    if (bptee_job_request_format(&req, out, sizeof out, &n) < 0)
        die("a parsed request does not format");
    if (!same_folded(line, len, out, n))
        die("request round trip changed the line");
    if (bptee_job_request_parse(out, n, &again) < 0 || memcmp(&req, &again, sizeof req) != 0)
        die("a formatted request parses differently");
}

static void reply(int cmd, const char *line, size_t len)
{
    struct bptee_job_reply rep, again;
    char out[BPTEE_JOB_LINE_MAX + 1];
    size_t n = 0;
    if (bptee_job_reply_parse(cmd, line, len, &rep) < 0)
        return;
    if (bptee_job_reply_format(&rep, out, sizeof out, &n) < 0)
        die("a parsed reply does not format");
    if (bptee_job_reply_parse(cmd, out, n, &again) < 0)
        die("a formatted reply does not parse");
    /* An ERR kind the codec does not know reads back as "io": compare the fields, not bytes.
     * A longer kind word may leave less room, so a reason may come back cut, only to fit. */
    size_t kept = strlen(again.reason);
    if (strncmp(again.reason, rep.reason, kept) != 0 ||
        (kept != strlen(rep.reason) && n != BPTEE_JOB_LINE_MAX))
        die("reply round trip changed the reason");
    if (again.error != rep.error ||
        again.size != rep.size || again.version != rep.version ||
        memcmp(again.signature, rep.signature, sizeof rep.signature) != 0 ||
        again.length != rep.length || again.protocol != rep.protocol)
        die("reply round trip changed a field");
}

/* A parsed push formats, and parses again to the same fields (an unknown REVOKED kind reads
 * back as "io"; a reason may come back cut to fit the line). */
static void push(const char *line, size_t len)
{
    struct bptee_job_push p, again;
    char out[BPTEE_JOB_LINE_MAX + 1];
    size_t n = 0;
    if (bptee_job_push_parse(line, len, &p) < 0)
        return;
    if (bptee_job_push_format(&p, out, sizeof out, &n) < 0)
        die("a parsed push does not format");
    if (bptee_job_push_parse(out, n, &again) < 0)
        die("a formatted push does not parse");
    if (again.kind != p.kind || strcmp(again.name, p.name) != 0 || again.size != p.size ||
        again.version != p.version || again.error != p.error ||
        strncmp(again.reason, p.reason, strlen(again.reason)) != 0)
        die("push round trip changed a field");
    if (p.kind == BPTEE_JOB_PUSH_CHANGED && !same_folded(line, len, out, n))
        die("CHANGED round trip changed the line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    request((const char *)data, size);
    for (int cmd = BPTEE_JOB_PING; cmd <= BPTEE_JOB_GRANT; cmd++)
        reply(cmd, (const char *)data, size);
    push((const char *)data, size);
    return 0;
}
