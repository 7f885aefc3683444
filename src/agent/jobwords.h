/* SPDX-License-Identifier: Apache-2.0 */
/* The job socket protocol's words (jobwords.c): a line split on single spaces, and the checks
 * every field shape gets, shared by the request codec (jobrequest.c) and the reply and push
 * codec (jobreply.c). */
#ifndef BPTEE_AGENT_JOBWORDS_H
#define BPTEE_AGENT_JOBWORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A line of 512 bytes holds at most 256 words (GRANT names many). */
#define MAX_WORDS 256

struct words {
    const char *w[MAX_WORDS];
    size_t len[MAX_WORDS];
    size_t n;
};

/* A line: ends in its only "\n", within the length limit, printable ASCII before it. */
int words_check_framing(const char *line, size_t len, const char *what);
/* Check the line's framing and split it on single spaces. */
int words_split(const char *line, size_t len, const char *what, struct words *out);
bool words_is(const struct words *w, size_t i, const char *s);
int words_hex(const struct words *w, size_t i, uint8_t *out, size_t n, const char *what);
int words_dec(const struct words *w, size_t i, uint64_t *out, const char *what);
int words_name(const struct words *w, size_t i, char *out, const char *what);
/* A job id: the whole word from offset skip ("job=" on SECRET). */
int words_job_id(const struct words *w, size_t i, size_t skip, char *out, const char *cmd);
int words_want(const struct words *w, size_t n, const char *cmd, const char *usage);
/* After snprintf: check the line fits both the buffer and the protocol's limit. */
int words_emit(size_t cap, size_t *len, int n, const char *what);

#endif
