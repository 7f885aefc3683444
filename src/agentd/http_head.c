// SPDX-License-Identifier: Apache-2.0
/* Judging a request head before libmicrohttpd sees it (http_front.h). Strict on purpose: the
 * agent's clients are our CLI, curl and HTTP libraries, which all send CRLF lines, one
 * Content-Length or chunked, and visible ASCII; anything else is either a broken client or an
 * attempt to make a proxy and the agent disagree about where a request ends (RFC 9112 §6.3,
 * §11.2). Every read is bounded by len; a partial head is judged as far as it goes, so a
 * request line of control bytes is refused at its first byte rather than waited on. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agentd/http_front.h"

#define METHOD_MAX 16
#define TARGET_MAX 2048
#define NAME_MAX_LEN 64
#define HEADERS_MAX 64

struct framing {
    unsigned n_headers, n_length, n_encoding, n_host;
    bool http11;
};

static enum http_head_state bad(struct http_head_verdict *v, unsigned status, const char *fmt,
                                ...) __attribute__((format(printf, 3, 4)));

static enum http_head_state bad(struct http_head_verdict *v, unsigned status, const char *fmt,
                                ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->status = status;
    vsnprintf(v->reason, sizeof v->reason, fmt, ap);
    va_end(ap);
    return HTTP_HEAD_BAD;
}

/* RFC 9110 token characters (method, header names). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_visible(char c)
{
    return c > 0x20 && c < 0x7f;
}

/* Field values: visible ASCII, spaces and tabs. */
static bool is_value_char(char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/* A value without its surrounding spaces and tabs. */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* The version, complete or as far as it has come. */
static enum http_head_state version(const char *ver, size_t vn, bool complete,
                                    struct framing *f, struct http_head_verdict *v)
{
    if (!complete)
        return vn <= 8 && (!strncmp(ver, "HTTP/1.1", vn) || !strncmp(ver, "HTTP/1.0", vn))
                   ? HTTP_HEAD_INCOMPLETE
                   : bad(v, 400, "request line: expected the version HTTP/1.1");
    if (vn == 8 && !strncmp(ver, "HTTP/1.1", 8)) {
        f->http11 = true;
        return HTTP_HEAD_OK;
    }
    if (vn == 8 && !strncmp(ver, "HTTP/1.0", 8))
        return HTTP_HEAD_OK;
    if (vn == 8 && !strncmp(ver, "HTTP/", 5))
        return bad(v, 505, "request line: only HTTP/1.1 and HTTP/1.0 are served");
    return bad(v, 400, "request line: expected the version HTTP/1.1");
}

/* The request line, complete (line, n without CRLF) or not. */
static enum http_head_state request_line(const char *line, size_t n, bool complete,
                                         struct framing *f, struct http_head_verdict *v)
{
    size_t i = 0, m = 0, t = 0;
    for (; i < n && is_tchar(line[i]); i++)
        m++;
    if (i < n && line[i] != ' ')
        return bad(v, 400, "request line: the method has a byte no method has");
    if (m > METHOD_MAX || (i < n && m == 0))
        return bad(v, 400, "request line: expected METHOD /target HTTP/1.1");
    if (i++ >= n)
        return complete ? bad(v, 400, "request line: expected METHOD /target HTTP/1.1")
                        : HTTP_HEAD_INCOMPLETE;
    if (i < n && line[i] != '/')
        return bad(v, 400, "request line: the target must start with '/'");
    for (; i < n && is_visible(line[i]); i++)
        t++;
    if (t > TARGET_MAX)
        return bad(v, 414, "request line: target longer than %d bytes", TARGET_MAX);
    if (i < n && line[i] != ' ')
        return bad(v, 400, "request line: the target has a control byte or a second space");
    if (i++ >= n)
        return complete ? bad(v, 400, "request line: expected METHOD /target HTTP/1.1")
                        : HTTP_HEAD_INCOMPLETE;
    return version(line + i, n - i, complete, f, v);
}

static enum http_head_state content_length(const char *val, size_t n, size_t body_max,
                                           struct http_head_verdict *v)
{
    unsigned long long x = 0;
    if (n == 0 || strspn(val, "0123456789") < n)
        return bad(v, 400, "Content-Length: expected a number of bytes (digits only)");
    if (n > 19)
        return bad(v, 413, "request body larger than %zu bytes", body_max);
    for (size_t i = 0; i < n; i++)
        x = x * 10 + (unsigned)(val[i] - '0');
    if (x > body_max)
        return bad(v, 413, "request body larger than %zu bytes", body_max);
    return HTTP_HEAD_OK;
}

/* One complete header line (without CRLF). */
static enum http_head_state header_line(const char *line, size_t n, size_t body_max,
                                        struct framing *f, struct http_head_verdict *v)
{
    if (n && (line[0] == ' ' || line[0] == '\t'))
        return bad(v, 400, "headers: a folded line (obs-fold) is not accepted");
    if (++f->n_headers > HEADERS_MAX)
        return bad(v, 431, "headers: more than %d header lines", HEADERS_MAX);
    size_t k = 0;
    while (k < n && is_tchar(line[k]))
        k++;
    if (k == 0 || k >= n || line[k] != ':' || k > NAME_MAX_LEN)
        return bad(v, 400, "headers: expected 'Name: value' (a token, then a colon)");
    const char *val = line + k + 1;
    size_t vn = n - k - 1;
    for (size_t i = 0; i < vn; i++)
        if (!is_value_char(val[i]))
            return bad(v, 400, "headers: %.*s: the value has a control or non-ASCII byte",
                       (int)k, line);
    trim(&val, &vn);
    if (k == 14 && !strncasecmp(line, "Content-Length", k)) {
        if (++f->n_length > 1)
            return bad(v, 400, "headers: more than one Content-Length");
        return content_length(val, vn, body_max, v);
    }
    if (k == 17 && !strncasecmp(line, "Transfer-Encoding", k)) {
        if (++f->n_encoding > 1 || vn != 7 || strncasecmp(val, "chunked", 7))
            return bad(v, 501, "Transfer-Encoding: only a single \"chunked\" is supported");
        return HTTP_HEAD_OK;
    }
    if (k == 4 && !strncasecmp(line, "Host", k) && ++f->n_host > 1)
        return bad(v, 400, "headers: more than one Host");
    return HTTP_HEAD_OK;
}

/* The whole head has arrived: the rules that need every header. */
static enum http_head_state whole_head(const struct framing *f, struct http_head_verdict *v)
{
    if (f->n_length && f->n_encoding)
        return bad(v, 400, "headers: Content-Length together with Transfer-Encoding is "
                           "refused (ambiguous framing)");
    if (f->http11 && f->n_host != 1)
        return bad(v, 400, "headers: an HTTP/1.1 request needs a Host header");
    return HTTP_HEAD_OK;
}

/* The unfinished last line of a partial head: a header as far as it has come. */
static enum http_head_state partial_header(const char *line, size_t n,
                                           struct http_head_verdict *v)
{
    if (n && (line[0] == ' ' || line[0] == '\t'))
        return bad(v, 400, "headers: a folded line (obs-fold) is not accepted");
    for (size_t i = 0; i < n; i++)
        if (!is_value_char(line[i]))
            return bad(v, 400, "headers: a control or non-ASCII byte");
    return HTTP_HEAD_INCOMPLETE;
}

enum http_head_state http_head_check(const char *buf, size_t len, size_t body_max,
                                     struct http_head_verdict *v)
{
    struct framing f = {0};
    size_t at = 0;
    for (unsigned line_no = 0;; line_no++) {
        const char *line = buf + at;
        size_t left = len - at, n = 0;
        while (n < left && line[n] != '\n' && line[n] != '\r')
            n++;
        bool complete = n + 1 < left && line[n] == '\r' && line[n + 1] == '\n';
        if (n < left && !complete && (line[n] == '\n' || n + 1 < left))
            return bad(v, 400, "%s: a line must end with CRLF (not a bare CR or LF)",
                       line_no ? "headers" : "request line");
        if (line_no > 0 && complete && n == 0) /* the blank line: the head is whole */
            return whole_head(&f, v);
        enum http_head_state s = line_no == 0 ? request_line(line, n, complete, &f, v)
                                 : complete   ? header_line(line, n, body_max, &f, v)
                                              : partial_header(line, n, v);
        if (s == HTTP_HEAD_BAD)
            return s;
        if (!complete)
            break;
        at += n + 2;
    }
    if (len >= HTTP_HEAD_MAX)
        return bad(v, 431, "request head larger than %d bytes", HTTP_HEAD_MAX);
    return HTTP_HEAD_INCOMPLETE;
}

size_t http_error_reply(unsigned status, const char *reason, char *out, size_t cap)
{
    static const struct {
        unsigned code;
        const char *text;
    } names[] = {{400, "Bad Request"},        {408, "Request Timeout"},
                 {413, "Content Too Large"},  {414, "URI Too Long"},
                 {429, "Too Many Requests"},  {431, "Request Header Fields Too Large"},
                 {501, "Not Implemented"},    {503, "Service Unavailable"},
                 {505, "HTTP Version Not Supported"}};
    const char *text = "Error";
    char body[300];
    size_t b = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == status)
            text = names[i].text;
    b += (size_t)snprintf(body, sizeof body, "{\"error\":\"");
    for (size_t i = 0; reason[i] && b + 8 < sizeof body; i++) /* JSON-escape the reason */
        if (reason[i] == '"' || reason[i] == '\\')
            body[b++] = '\\', body[b++] = reason[i];
        else
            body[b++] = reason[i] >= 0x20 && reason[i] < 0x7f ? reason[i] : '?';
    b += (size_t)snprintf(body + b, sizeof body - b, "\"}");
    int n = snprintf(out, cap,
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nCache-Control: "
                     "no-store\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                     status, text, b, body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
