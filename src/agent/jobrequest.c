// SPDX-License-Identifier: Apache-2.0
/* Job socket requests (docs/protocol.md): parsing what a job sends the agent, and formatting
 * it on the job's side, over the shared words (jobwords.c). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_private.h"
#include "agent/jobwords.h"
#include "util/error.h"

/* The optional last word of SECRET and SIGN: the binary a launcher acts for. */
static int for_word(const struct words *w, size_t i, struct bptee_job_request *r, const char *what)
{
    if (i >= w->n)
        return 0;
    r->has_for_measurement = true;
    return words_hex(w, i, r->for_measurement, 32, what);
}

static bool is_job_word(const struct words *w, size_t i)
{
    return i < w->n && w->len[i] > 4 && !memcmp(w->w[i], "job=", 4);
}

/* SECRET <name> [<measurement-hex>] [job=<job-id>] [slot] */
static int parse_secret(const struct words *w, struct bptee_job_request *r)
{
    size_t n = w->n;
    if (n >= 3 && words_is(w, n - 1, "slot")) {
        r->want_slot = true;
        n--;
    }
    if (n < 2 || n > 4 || (n == 4 && !is_job_word(w, 3)))
        return fail(BPTEE_EPARSE, "SECRET: expected \"SECRET <name> [<measurement-hex>] "
                                  "[job=<job-id>] [slot]\"");
    int rc = words_name(w, 1, r->name, "SECRET: name");
    if (rc == 0 && is_job_word(w, n - 1)) {
        rc = words_job_id(w, n - 1, 4, r->job_id, "SECRET");
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
    int rc = words_name(w, 1, r->name, "VERSION: name");
    return rc < 0 ? rc : for_word(w, 2, r, "VERSION: measurement");
}

static int parse_sign(const struct words *w, struct bptee_job_request *r)
{
    if (w->n != 4 && w->n != 5)
        return fail(BPTEE_EPARSE, "SIGN: expected \"SIGN <job-id> <result-sha256-hex> "
                                  "<argv-sha256-hex|-> [<measurement-hex>]\"");
    int rc = words_job_id(w, 1, 0, r->job_id, "SIGN");
    if (rc == 0)
        rc = words_hex(w, 2, r->result_sha256, 32, "SIGN: result digest");
    if (rc == 0 && !words_is(w, 3, "-")) {
        r->has_argv_sha256 = true;
        rc = words_hex(w, 3, r->argv_sha256, 32, "SIGN: argv digest");
    }
    return rc < 0 ? rc : for_word(w, 4, r, "SIGN: measurement");
}

/* JOB <job-id> <measurement-hex> */
static int parse_register(const struct words *w, struct bptee_job_request *r)
{
    int rc = words_want(w, 3, "JOB", "JOB <job-id> <measurement-hex>");
    if (rc == 0)
        rc = words_job_id(w, 1, 0, r->job_id, "JOB");
    r->has_for_measurement = true;
    return rc < 0 ? rc : words_hex(w, 2, r->for_measurement, 32, "JOB: measurement");
}

/* GRANT <job-id> <pid> <name>[ <name>...] */
static int parse_grant(const struct words *w, struct bptee_job_request *r)
{
    uint64_t pid = 0;
    if (w->n < 4)
        return fail(BPTEE_EPARSE, "GRANT: expected \"GRANT <job-id> <pid> <name>[ <name>...]\"");
    int rc = words_job_id(w, 1, 0, r->job_id, "GRANT");
    if (rc == 0)
        rc = words_dec(w, 2, &pid, "GRANT: pid");
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
    int rc = words_want(w, 3, "ACK", "ACK <name> <version>");
    if (rc == 0)
        rc = words_name(w, 1, r->name, "ACK: name");
    return rc < 0 ? rc : words_dec(w, 2, &r->version, "ACK: version");
}

int bptee_job_request_parse(const char *line, size_t len, struct bptee_job_request *out)
{
    struct words w;
    if (!out)
        return fail(BPTEE_EINVAL, "job request: missing output");
    memset(out, 0, sizeof *out);
    int rc = words_split(line, len, "job request", &w);
    if (rc < 0)
        return rc;
    if (words_is(&w, 0, "PING") || words_is(&w, 0, "ATTEST") || words_is(&w, 0, "REFRESH")) {
        out->cmd = words_is(&w, 0, "PING")     ? BPTEE_JOB_PING
                   : words_is(&w, 0, "ATTEST") ? BPTEE_JOB_ATTEST
                                              : BPTEE_JOB_REFRESH;
        return words_want(&w, 1, "job request", "PING, ATTEST or REFRESH take no arguments");
    }
    if (words_is(&w, 0, "SECRET")) {
        out->cmd = BPTEE_JOB_SECRET;
        return parse_secret(&w, out);
    }
    if (words_is(&w, 0, "SIGN")) {
        out->cmd = BPTEE_JOB_SIGN;
        return parse_sign(&w, out);
    }
    if (words_is(&w, 0, "VERSION")) {
        out->cmd = BPTEE_JOB_VERSION;
        return parse_version(&w, out);
    }
    if (words_is(&w, 0, "RESULT")) { /* RESULT <job-id> */
        out->cmd = BPTEE_JOB_RESULT;
        rc = words_want(&w, 2, "RESULT", "RESULT <job-id>");
        return rc < 0 ? rc : words_job_id(&w, 1, 0, out->job_id, "RESULT");
    }
    if (words_is(&w, 0, "JOB")) {
        out->cmd = BPTEE_JOB_REGISTER;
        return parse_register(&w, out);
    }
    if (words_is(&w, 0, "WATCH")) {
        out->cmd = BPTEE_JOB_WATCH;
        return words_want(&w, 1, "WATCH", "WATCH");
    }
    if (words_is(&w, 0, "GRANT")) {
        out->cmd = BPTEE_JOB_GRANT;
        return parse_grant(&w, out);
    }
    if (words_is(&w, 0, "ACK")) {
        out->cmd = BPTEE_JOB_ACK;
        return parse_ack(&w, out);
    }
    return fail(BPTEE_EUNSUPPORTED, "job request: unknown command (PING, SECRET, VERSION, SIGN, "
                                    "ATTEST, REFRESH, RESULT, JOB, WATCH, GRANT, ACK)");
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
    int rc = words_emit(cap, len, n, "job request");
    /* Never send what the agent would refuse: the name and job id are checked by parsing. */
    return rc < 0 ? rc : bptee_job_request_parse(out, *len, &check);
}
