/* SPDX-License-Identifier: Apache-2.0 */
/* Verifying attested results from the command line: `bptee result verify`, and the entry
 * points `bptee verify` dispatches to when its input is a result (src/cli/cmd_verify_result.c). */
#ifndef BPTEE_CLI_VERIFY_RESULT_H
#define BPTEE_CLI_VERIFY_RESULT_H

#include <stddef.h>
#include <stdint.h>

struct verify_result_args {
    const char *file;    /* the result ("-": stdin) */
    const char *sidecar; /* NULL: FILE.tee.json when it exists */
    const char *policy;  /* NULL: the default policy, any job */
    int64_t at;          /* 0: now */
    int json;            /* print the verified facts as JSON */
};

/* 1 when the input should be verified as a result: a sidecar was named, FILE.tee.json exists,
 * or data is a JSON object with a top-level "tee" member; else 0. */
int verify_result_detect(const char *file, const char *sidecar, const uint8_t *data, size_t len);

/* Verify data (FILE's bytes) as a result and print what it proves; returns the exit status
 * (0 verified, 1 rejected with the reason on stderr). */
int verify_result_main(const struct verify_result_args *a, const uint8_t *data, size_t len);

/* A --at style option: unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC) into *out and 0,
 * else the usage error "CMD: OPT 'ARG': expected ..." and its exit status 2. */
int verify_time_option(const char *cmd, const char *opt, const char *arg, int64_t *out);

#endif
