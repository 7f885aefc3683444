/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's HTTP front door (private to src/agentd). libmicrohttpd parses bodies and writes
 * replies, but it never sees a client before the client's whole request head has arrived and
 * passed http_head_check: http_front.c accepts every connection itself, waits for the head
 * under a deadline and per-address limits, and answers anything malformed with exactly one
 * JSON error. Only well-framed heads are handed to libmicrohttpd (MHD_add_connection), one
 * request per connection. docs/agent.md ("Limits") lists the numbers. */
#ifndef BPTEE_AGENTD_HTTP_FRONT_H
#define BPTEE_AGENTD_HTTP_FRONT_H

#include <stddef.h>
#include <sys/socket.h>

struct MHD_Daemon;

/* Longest request head (request line and headers) read. */
#define HTTP_HEAD_MAX 8192
/* Seconds a client has from connecting to finishing its request head. */
#define HTTP_HEAD_DEADLINE_S 5
/* Connections still sending their heads, in all and from one address. */
#define HTTP_PENDING_MAX 512
#define HTTP_PENDING_PER_ADDR 8

enum http_head_state { HTTP_HEAD_INCOMPLETE, HTTP_HEAD_OK, HTTP_HEAD_BAD };

struct http_head_verdict {
    unsigned status;  /* HTTP_HEAD_BAD: 400, 413, 414, 431, 501 or 505 */
    char reason[200]; /* HTTP_HEAD_BAD: what was wrong and where */
};

/* Judge the bytes of a request head received so far (len may be partial). INCOMPLETE while
 * nothing seen is wrong and the blank line has not come; BAD as soon as a byte is. The framing
 * rules: one request line "METHOD /target HTTP/1.x", header lines "Name: value" of visible
 * ASCII, at most one Content-Length (digits, at most body_max: else 413), Transfer-Encoding
 * only "chunked" and never with Content-Length (request smuggling), Host once in HTTP/1.1. */
enum http_head_state http_head_check(const char *buf, size_t len, size_t body_max,
                                     struct http_head_verdict *v);

/* A whole reply "HTTP/1.1 status ...\r\n" with {"error": reason} and Connection: close, in
 * out (cap bytes); its length, 0 if it does not fit. */
size_t http_error_reply(unsigned status, const char *reason, char *out, size_t cap);

struct http_front;
/* Listen on addr and hand each well-formed request to d; a thread of its own. -1 with errno
 * set when the address cannot be listened on. */
int http_front_start(const struct sockaddr *addr, socklen_t len, struct MHD_Daemon *d,
                     size_t body_max, struct http_front **out, unsigned *port);
void http_front_stop(struct http_front *f);

#endif
