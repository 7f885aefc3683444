/* SPDX-License-Identifier: Apache-2.0 */
/* `bptee agent`: the in-TEE service. main.c runs the main loop (signals, the job socket's
 * listener, periodic session cleanup); http.c serves the HTTP JSON API over
 * libmicrohttpd and api.c implements its endpoints (secrets.c the secrets ones,
 * owners.c who may write them and the access log); jobsock.c serves jobs on the
 * local unix socket (docs/protocol.md); offers.c remembers which evidence each offered
 * session carried. docs/agent.md describes the service. */
#ifndef BPTEE_AGENTD_DAEMON_H
#define BPTEE_AGENTD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <bptee.h>

struct agent_offers; /* session id -> evidence digest of its offer */
struct jobsock;      /* the job socket server */

struct agent {
    struct bptee_config *cfg;
    struct bptee_guest_opts guest; /* where evidence comes from (borrows cfg's strings) */
    int source;                    /* enum bptee_guest_source in use */
    struct bptee_auth_service *auth;
    struct bptee_secret_store *store;
    struct bptee_signing_key *key;
    struct agent_offers *offers;
    /* Who may write which secret: NULL when the config names no owners (every write is
     * refused), or the owners document ("open" lets anyone write unsigned). */
    struct bptee_owners *owners;
    struct bptee_audit_log *audit;
    int provider; /* enum bptee_provider of the agent's evidence */
    /* The agent's own binary: a peer running it (`bptee run`) may act for a job binary. */
    bool self_measured;
    uint8_t self_measurement[32];
    /* One guest attestation at a time: hardware serializes them anyway (and throttles). */
    pthread_mutex_t attest_lock;
};

/* One log line on stderr, "bptee agent: ...". Never pass a secret or key material. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Evidence over report_data from the agent's source, serialized with the other attestations. */
int agent_attest(struct agent *a, const uint8_t *report_data, size_t len,
                 struct bptee_report **out);
/* Re-attest the signing key. */
int agent_refresh_key(struct agent *a);

/* ---- offers.c */
int agent_offers_new(uint64_t ttl_secs, uint64_t max_sessions, struct agent_offers **out);
void agent_offers_free(struct agent_offers *o);
/* Remember the evidence digest of a session's offer (dropping entries past their session's
 * lifetime). */
void agent_offers_put(struct agent_offers *o, const char *session_id, const char *digest);
/* Take a session's digest out into digest[BPTEE_DIGEST_HEX_SIZE]; false if unknown. */
bool agent_offers_take(struct agent_offers *o, const char *session_id, char *digest);
/* The same, leaving the entry in place. */
bool agent_offers_peek(struct agent_offers *o, const char *session_id, char *digest);
void agent_offers_prune(struct agent_offers *o);

/* ---- api.c: one HTTP request in, status and JSON body out */
struct api_reply {
    unsigned status;
    char *body;        /* JSON, malloc'd */
    const char *allow; /* methods for a 405's Allow header */
};

/* What the router knows about a path: 0 and the allowed methods, or 404. */
unsigned api_route(const char *url, const char *method, const char **allow);
/* Serve a request whose route is known (api_route returned 0). nonce: ?nonce= or NULL. */
void api_serve(struct agent *a, const char *method, const char *url, const char *nonce,
               const char *body, size_t len, struct api_reply *out);
/* info.c: GET /v1/attestation, /v1/signing-key, /v1/health, POST
 * /v1/attestation/refresh. */
void api_info(struct agent *a, const char *url, const char *nonce, struct api_reply *out);
/* {"error": message} with status. */
void api_error(struct api_reply *out, unsigned status, const char *message);

/* ---- secrets.c: POST /v1/secrets, GET and DELETE /v1/secrets/NAME */
void api_secrets_post(struct agent *a, const char *body, size_t len, struct api_reply *out);
void api_secret_item(struct agent *a, const char *method, const char *name, const char *body,
                     size_t len, struct api_reply *out);
/* The HTTP status of a library failure, and a reply naming it. */
unsigned api_status_of(int code);
void api_fail_reply(struct api_reply *out, unsigned status, const char *what);

/* ---- owners.c: admitting writes, and the access log */
struct owner_write {
    int op;                 /* BPTEE_OWNER_OP_PROVISION or _REVOKE */
    const char *name;       /* the secret */
    const char *session_id; /* NULL for an unsigned revocation */
    const char *owner;      /* NULL when unsigned */
    const uint8_t *signature; /* NULL when unsigned */
    uint64_t version;       /* 0 when the request names none */
    uint8_t payload_digest[32];
};
/* May this write go ahead? Checks, in order: owners configured, signed (or "open"), the
 * owner known, the signature over the session's offer, the owner's right to the name, and a
 * version above the stored one. 0, or the refusal written to out (403, 404, 410) and put on
 * record. The session is not consumed here. */
int owners_admit(struct agent *a, const struct owner_write *w, struct api_reply *out);
/* Record a refused write (event REFUSE, the reason from out's error text). */
void owners_refused(struct agent *a, const struct owner_write *w, const char *reason);
/* Append an entry; failures are logged on stderr. Returns the library's code. */
int agent_audit(struct agent *a, const struct bptee_audit_entry *e);
/* GET /v1/audit[?nonce=64 hex digits]: the signed log. */
void api_audit(struct agent *a, const char *nonce, struct api_reply *out);

/* ---- http.c */
struct agent_http;
/* Listen on host:port (port 0 picks one); *port receives the port bound. */
int agent_http_start(struct agent *a, const char *listen, struct agent_http **out, unsigned *port);
void agent_http_stop(struct agent_http *h);

/* ---- jobsock.c */
int jobsock_open(struct agent *a, const char *path, struct jobsock **out);
int jobsock_fd(const struct jobsock *js);
/* Accept one pending connection and serve it on its own thread. */
void jobsock_accept(struct jobsock *js);
/* Stop every connection, close the listener and remove the socket file. */
void jobsock_close(struct jobsock *js);
/* ---- jobserve.c: one request line from fd, its descriptors in fds (closed here);
 * page is the version page's read-only descriptor (-1: none). A negative return ends the
 * connection. */
int jobsock_serve_line(struct agent *a, int page, int fd, const char *line, size_t len,
                       int fds[BPTEE_JOB_FDS_MAX]);
/* "ERR <kind> <reason>" for code. */
int jobsock_send_error(int fd, int cmd, int code, const char *reason);

/* ---- result.c: RESULT, a job's result file (fds[0]) in its directory (fds[1]) attested
 * for peer p. 0, or a BPTEE_E* code with why set. */
int jobsock_result(struct agent *a, const struct bptee_job_request *req,
                   const struct bptee_peer *p, const int fds[2], char *why, size_t wcap);

#endif
