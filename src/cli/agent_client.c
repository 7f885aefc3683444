// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/agent_client.h"
#include "cli/cli.h"

int client_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ' || *end || errno || v < 1 || v > max)
        return cli_usage_error("%s: %s: expected an integer 1 to %llu, got '%s'", cmd, opt,
                               (unsigned long long)max, s);
    *out = v;
    return 0;
}

int client_parse_time(const char *cmd, const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end && !*end) {
        time_t t = timegm(&tm);
        if (t <= 0)
            return cli_usage_error("%s: --at: '%s' is before 1970", cmd, s);
        *out = (int64_t)t;
        return 0;
    }
    uint64_t v = 0;
    if (s[0] < '0' || s[0] > '9' || client_parse_uint(cmd, "--at", s, INT64_MAX, &v) != 0)
        return cli_usage_error("%s: --at: expected unix seconds or YYYY-MM-DDTHH:MM:SSZ, got "
                               "'%s'",
                               cmd, s);
    *out = (int64_t)v;
    return 0;
}

int client_hex32(const char *cmd, const char *opt, const char *hex, uint8_t out[32])
{
    size_t n = 0;
    const char *end = NULL;
    if (strlen(hex) != 64 || sodium_hex2bin(out, 32, hex, 64, NULL, &n, &end) != 0 || n != 32 ||
        *end)
        return cli_usage_error("%s: %s: expected 64 hex digits (32 bytes), got '%.80s'", cmd, opt,
                               hex);
    return 0;
}

int client_load_policy(const char *cmd, const char *path, struct bptee_policy **out)
{
    int rc = bptee_policy_load(path, out);
    if (rc < 0) {
        fprintf(stderr, "bptee: %s: --policy %s: %s\n", cmd, path, bptee_last_error());
        return 1;
    }
    return 0;
}

int client_read_secret(const char *cmd, const char *path, uint8_t **data, size_t *len)
{
    int rc = bptee_read_file(path, BPTEE_SECRET_MAX_SIZE, data, len);
    if (rc < 0) {
        fprintf(stderr, "bptee: %s: secret %s: %s\n", cmd, strcmp(path, "-") ? path : "(stdin)",
                bptee_last_error());
        return 1;
    }
    return 0;
}

void client_wipe(uint8_t *data, size_t len)
{
    if (!data)
        return;
    sodium_memzero(data, len);
    bptee_free(data);
}
