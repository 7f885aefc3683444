// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/guest_args.h"

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cli_hex_arg(const char *cmd, const char *opt, const char *hex, uint8_t *out, size_t min,
                size_t max, size_t *len)
{
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++)
        if (nibble(hex[i]) < 0)
            return cli_usage_error("%s: %s: not hex: character %zu is '%c'", cmd, opt, i + 1,
                                   hex[i]);
    if (n % 2)
        return cli_usage_error("%s: %s: odd number of hex digits (%zu)", cmd, opt, n);
    if (n / 2 < min || n / 2 > max) {
        if (min == max)
            return cli_usage_error("%s: %s: %zu bytes, must be exactly %zu (%zu hex digits)", cmd,
                                   opt, n / 2, min, min * 2);
        return cli_usage_error("%s: %s: %zu bytes, must be %zu to %zu", cmd, opt, n / 2, min, max);
    }
    for (size_t i = 0; i < n / 2; i++)
        out[i] = (uint8_t)(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    if (len)
        *len = n / 2;
    return 0;
}

int cli_uint_arg(const char *cmd, const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
    if (!s[0] || (hex && !s[2]) || strchr(s, '-') || strchr(s, ' ') || *end || errno)
        return cli_usage_error("%s: %s: not a number: '%s'", cmd, opt, s);
    if (v > max)
        return cli_usage_error("%s: %s: %llu is out of range (at most %llu)", cmd, opt, v,
                               (unsigned long long)max);
    *out = v;
    return 0;
}

char *cli_hex(const uint8_t *bin, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(len * 2 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[bin[i] >> 4];
        s[2 * i + 1] = digits[bin[i] & 15];
    }
    s[len * 2] = '\0';
    return s;
}
