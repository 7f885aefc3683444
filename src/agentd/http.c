// SPDX-License-Identifier: Apache-2.0
/* The agent's HTTP server. http_front.c accepts connections and checks each request head;
 * libmicrohttpd (a small pool of internal polling threads, no listening socket of its own)
 * gets the well-formed ones and collects bodies up to BPTEE_PROVISION_BODY_MAX for api.c.
 * Anything larger is answered 413, a body on a JSON endpoint that is not application/json
 * 415, a body not complete within BODY_DEADLINE_S 408, unknown paths 404 and wrong methods 405
 * with an Allow header, all with a JSON {"error": ...} body and one request per connection
 * (so the front door sees every head). */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "agentd/daemon.h"
#include "agentd/http_front.h"

#define CONN_LIMIT 256        /* requests past their heads, being read or served */
#define CONN_PER_ADDR 64      /* ... from one address (a quarter: one host cannot take all) */
#define CONN_TIMEOUT_S 10     /* a body that stalls this long is dropped */
#define BODY_DEADLINE_S 60    /* a body trickled in for longer is answered 408 */
#define POOL_THREADS 4        /* requests served in parallel (attestation is serialized) */
#define LISTEN_MAX 300

struct agent_http {
    struct MHD_Daemon *d;
    struct http_front *front;
    struct agent *a;
};

/* One request's state: its body so far. */
struct conn {
    char *body;
    size_t len, cap;
    time_t started; /* when its head was handed over */
    bool too_large;
    bool answered;
};

static enum MHD_Result send_reply(struct MHD_Connection *c, struct api_reply *r)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *resp =
        r->body
            ? MHD_create_response_from_buffer_with_free_callback(strlen(r->body), r->body, free)
            : MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    unsigned status = r->body ? r->status : 500;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close"); /* see the top */
    if (status == 405 && r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A request line for the log: printable ASCII only, so a client cannot forge log lines. */
static void log_request(const char *method, const char *url, unsigned status)
{
    char m[24], u[204];
    size_t i;
    for (i = 0; method[i] && i + 1 < sizeof m; i++)
        m[i] = method[i] > 0x20 && method[i] < 0x7f ? method[i] : '?';
    m[i] = '\0';
    for (i = 0; url[i] && i + 1 < sizeof u; i++)
        u[i] = url[i] > 0x20 && url[i] < 0x7f ? url[i] : '?';
    u[i] = '\0';
    agent_log("%s %s %u", m, u, status);
}

static enum MHD_Result answer_error(struct MHD_Connection *c, struct conn *st, unsigned status,
                                    const char *allow, const char *method, const char *url,
                                    const char *msg)
{
    struct api_reply r = {.allow = allow};
    api_error(&r, status, msg);
    st->answered = true;
    log_request(method, url, status);
    return send_reply(c, &r);
}

/* Does the request carry a body? (The front door has checked the framing headers.) */
static bool has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
           (cl && strspn(cl, " \t0") != strlen(cl));
}

/* Content-Type application/json, parameters (charset) allowed. */
static bool is_json(struct MHD_Connection *c)
{
    static const char json[] = "application/json";
    const char *ct =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    if (strncasecmp(ct, json, sizeof json - 1))
        return false;
    ct += sizeof json - 1;
    ct += strspn(ct, " \t");
    return *ct == '\0' || *ct == ';';
}

/* First call for a request: route it, and refuse a body that is not JSON before reading it.
 * (An announced oversize body never gets here: the front door answers it 413.) */
static enum MHD_Result on_headers(struct MHD_Connection *c, struct conn *st, const char *method,
                                  const char *url)
{
    char msg[600];
    const char *allow = NULL;
    unsigned route = api_route(url, method, &allow);
    if (route == 404) {
        snprintf(msg, sizeof msg, "no such endpoint: %.200s", url);
        return answer_error(c, st, 404, NULL, method, url, msg);
    }
    if (route == 405) {
        snprintf(msg, sizeof msg, "method %.20s not allowed on %.200s (use %s)", method, url,
                 allow);
        return answer_error(c, st, 405, allow, method, url, msg);
    }
    if (has_body(c) && !is_json(c)) {
        const char *ct =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        snprintf(msg, sizeof msg, "%.20s %.200s: the body must be Content-Type: "
                 "application/json (got %s)", method, url, ct ? "another type" : "none");
        return answer_error(c, st, 415, NULL, method, url, msg);
    }
    return MHD_YES;
}

static void append_body(struct conn *st, const char *data, size_t n)
{
    if (st->too_large || st->len + n > BPTEE_PROVISION_BODY_MAX) {
        st->too_large = true; /* keep reading to the end, then answer 413 */
        return;
    }
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n + 1)
            cap *= 2;
        char *grown = realloc(st->body, cap);
        if (!grown) {
            st->too_large = true;
            return;
        }
        st->body = grown;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct agent_http *h = cls;
    struct conn *st = *con_cls;
    (void)version;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        st->started = time(NULL);
        *con_cls = st;
        return on_headers(c, st, method, url);
    }
    if (*upload_size && !st->answered && time(NULL) - st->started > BODY_DEADLINE_S) {
        char msg[100];
        snprintf(msg, sizeof msg, "request body not complete within %d s", BODY_DEADLINE_S);
        *upload_size = 0;
        return answer_error(c, st, 408, NULL, method, url, msg);
    }
    if (*upload_size) {
        if (!st->answered)
            append_body(st, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;
    if (st->too_large) {
        char msg[100];
        snprintf(msg, sizeof msg, "request body larger than %u bytes", BPTEE_PROVISION_BODY_MAX);
        return answer_error(c, st, 413, NULL, method, url, msg);
    }
    struct api_reply r = {0};
    struct api_query q = {
        .nonce = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce"),
        .session_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session_id"),
        .owner = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "owner"),
        .signature = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "signature"),
    };
    api_serve(h->a, method, url, &q, st->body ? st->body : "", st->len, &r);
    st->answered = true;
    log_request(method, url, r.body ? r.status : 500);
    return send_reply(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct conn *st = *con_cls;
    (void)cls;
    (void)c;
    (void)code;
    if (!st)
        return;
    if (st->body) /* sealed payloads only, but wipe what a client sent all the same */
        memset(st->body, 0, st->cap);
    free(st->body);
    free(st);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    agent_log("http: %s", line);
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[LISTEN_MAX];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || strlen(listen) >= sizeof host || !colon[1]) {
        fprintf(stderr, "bptee: agent: --listen: expected HOST:PORT, got '%s'\n", listen);
        return -1;
    }
    size_t hl = (size_t)(colon - listen);
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    int e = getaddrinfo(host, colon + 1, &hints, &ai);
    if (e != 0) {
        fprintf(stderr, "bptee: agent: --listen %s: %s\n", listen, gai_strerror(e));
        return -1;
    }
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int agent_http_start(struct agent *a, const char *listen, struct agent_http **out, unsigned *port)
{
    struct sockaddr_storage sa;
    socklen_t sa_len = 0;
    if (resolve(listen, &sa, &sa_len) < 0)
        return -1;
    struct agent_http *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->a = a;
    /* Connections come from the front door only (MHD_add_connection, hence the ITC). */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
                     MHD_USE_ITC;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_log, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_ADDR,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (!h->d || http_front_start((struct sockaddr *)&sa, sa_len, h->d,
                                  BPTEE_PROVISION_BODY_MAX, &h->front, port) < 0) {
        fprintf(stderr, "bptee: agent: cannot listen on %s: %s\n", listen,
                errno ? strerror(errno) : "libmicrohttpd refused");
        if (h->d)
            MHD_stop_daemon(h->d);
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void agent_http_stop(struct agent_http *h)
{
    if (!h)
        return;
    http_front_stop(h->front); /* no new connection is handed over ... */
    MHD_stop_daemon(h->d);     /* ... and this joins its threads: no request is in flight */
    free(h);
}
