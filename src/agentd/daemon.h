/* SPDX-License-Identifier: Apache-2.0 */
/* `bptee agent`: the in-TEE service. main.c runs the main loop (signals, the job socket's
 * listener, periodic session cleanup); http.c serves the HTTP JSON API over
 * libmicrohttpd and api.c implements its endpoints (secrets.c the secrets ones,
 * owners.c who may write them and the access log); jobsock.c serves jobs on the
 * local unix socket (docs/protocol.md), grants.c which processes belong to a registered job,
 * watch.c pushes changes to the jobs' keepers; offers.c remembers which evidence each offered
 * session carried. docs/agent.md describes the service. */
#ifndef BPTEE_AGENTD_DAEMON_H
#define BPTEE_AGENTD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <bptee.h>

struct agent_offers; /* session id -> evidence digest of its offer */
struct jobsock;      /* the job socket server */
struct grants;       /* the jobs registered for secrets (grants.c) */

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
    uint64_t key_attested_at; /* when the signing key's evidence was made (atomic access) */
    struct grants *grants;
};

/* One log line on stderr, "bptee agent: ...". Never pass a secret or key material. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Evidence over report_data from the agent's source, serialized with the other attestations. */
int agent_attest(struct agent *a, const uint8_t *report_data, size_t len,
                 struct bptee_report **out);
/* Re-attest the signing key. */
int agent_refresh_key(struct agent *a);

/* ---- promises.c: what the config promises, kept (max attestation age, provider allow list) */
/* Start-up: 0, or -1 (said on stderr) when "required" and the allow list excludes where the
 * evidence comes from (the simulator is never in an allow list). */
int agent_check_provider(struct agent *a);
/* Re-attest the signing key if its evidence is past max_attestation_age_secs (ahead: past half
 * of it, for the main loop). 0, or the failure's code (logged). */
int agent_key_evidence_fresh(struct agent *a, bool ahead);
/* The main loop's poll interval: interval_ms, shorter when half the max age is shorter. */
int agent_poll_ms(const struct agent *a, int interval_ms);

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

/* The query arguments the API reads (NULL when absent). */
struct api_query {
    const char *nonce;
    /* GET /v1/audit's owner signature (docs/agent.md, "Audit") */
    const char *session_id, *owner, *signature;
};

/* What the router knows about a path: 0 and the allowed methods, or 404. */
unsigned api_route(const char *url, const char *method, const char **allow);
/* Serve a request whose route is known (api_route returned 0). */
void api_serve(struct agent *a, const char *method, const char *url, const struct api_query *q,
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
/* Take a session out of the service (and its offer record) without opening anything. */
void agent_burn_session(struct agent *a, const char *session_id);
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
/* GET /v1/audit[?nonce=64 hex digits]: the signed log, for an owner's signed request (or
 * anyone when owners are "open"). */
void api_audit(struct agent *a, const struct api_query *q, struct api_reply *out);

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
/* Is the socket file still the one this agent bound? (Removed or replaced: jobs cannot reach
 * the agent any more.) */
bool jobsock_intact(const struct jobsock *js);
/* socklock.c: flock PATH.lock for the agent's life; its fd, or -1 (said on stderr) when
 * another agent holds it. */
int socket_lock_take(const char *socket_path);
/* ---- jobserve.c: one request line from a connection, its descriptors in fds (closed
 * here); page is the version page's read-only descriptor (-1: none). A negative return ends
 * the connection; after WATCH, s->watch is set and the connection only waits for hang-up. */
struct job_session {
    int fd;
    struct ucred cred; /* SO_PEERCRED, read once at accept: the kernel fixes it at connect */
    struct grant *job; /* the JOB this connection keeps, NULL before one */
    bool watch;
};
int jobsock_serve_line(struct agent *a, int page, struct job_session *s, const char *line,
                       size_t len, int fds[BPTEE_JOB_FDS_MAX]);
/* "ERR <kind> <reason>" for code. */
int jobsock_send_error(int fd, int cmd, int code, const char *reason);
/* jobserve.c, for jobgrant.c: a reply line (and a descriptor when pass_fd >= 0); the peer of
 * s, pinned by *pidfd (the caller's to close), or a logged refusal with its reason in why (why
 * also says why a binary went unmeasured); is the peer the agent's own binary? */
int jobsock_send_reply(int fd, const struct bptee_job_reply *rep, int pass_fd);
int jobsock_identify(const struct job_session *s, struct bptee_peer *peer, int *pidfd, char *why,
                     size_t cap);
bool jobsock_is_self(const struct agent *a, const struct bptee_peer *p);
/* jobgrant.c: JOB, WATCH and GRANT (pidfd as for jobsock_identify). */
int jobsock_serve_job(struct agent *a, struct job_session *s, const struct bptee_job_request *req,
                      int *pidfd);
int jobsock_serve_watch(struct agent *a, struct job_session *s,
                        const struct bptee_job_request *req);
int jobsock_serve_grant(struct agent *a, struct job_session *s,
                        const struct bptee_job_request *req, int *pidfd);

/* ---- grants.c: which processes belong to a job registered for which secrets */

/* One grant: a GRANT (conn -1) or a keeper's JOB registration (conn: its connection). */
struct grant {
    struct grant *next;
    char job_id[BPTEE_JOB_ID_MAX + 1];
    pid_t root;               /* the root process ... */
    unsigned long long start; /* ... its start time (field 22 of /proc/PID/stat) ... */
    int pidfd;                /* ... and a pidfd of it: readable once it exited */
    char **names;             /* the secrets granted */
    uint64_t *versions;       /* JOB: the version the keeper holds of each (0: unknown) */
    size_t n, cap;
    /* JOB: the keeper's connection, the job binary's measurement and the keeper's uid, by
     * which pushes are judged */
    int conn;
    uint8_t measurement[32];
    uint32_t uid;
    bool watching; /* WATCH said: pushes go to conn */
    bool gone;     /* unlinked: no new pushes */
    unsigned refs; /* pushes in flight (grants_watchers) */
    pthread_mutex_t io; /* one push on conn at a time: its line out, its ACK in */
};

int grants_new(struct grants **out);
void grants_free(struct grants *g);
/* Drop the GRANTs whose root exited (their pidfds with them); the job socket's reaper calls it
 * every JOB_REAP_MS, and registrations before they count. */
void grants_prune(struct grants *g);
/* proc.c: field 4 (ppid) and 22 (start time) of /proc/PID/stat. */
int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start);
/* A pidfd for the peer of sock: the kernel's from connect time (SO_PEERPIDFD), else by pid. */
int peer_pidfd(int sock, pid_t pid);
/* The peer of sock as bptee_peer_identify tells it (SO_PEERCRED, from cred when it names a
 * process, else read now; the binary's measurement,
 * taken while a pidfd shows the process alive before and after), with that pidfd in *pidfd
 * (-1: none, on kernels without pidfds; the caller closes it). A refusal is a BPTEE_E* code
 * with its reason in why; an unmeasured binary is 0 with the reason in why. */
int peer_identify(int sock, const struct ucred *cred, struct bptee_peer *out, int *pidfd,
                  char *why, size_t cap);
/* proc.c: pid's parent, through pidfd when >= 0 (it must be pid's), else a pidfd opened now;
 * from /proc/PID/stat where the kernel predates PIDFD_GET_INFO. 0, or -1 (gone). */
int proc_parent(int pidfd, pid_t pid, pid_t *ppid);
/* GRANT: the tree rooted at pid is job job_id, holding names (single-space separated). A
 * BPTEE_E* code with why set on refusal. */
int grants_add(struct grants *g, const char *job_id, pid_t pid, const char *names, char *why,
               size_t cap);
/* JOB: the peer p on conn keeps job job_id (binary measurement); NULL with why set. */
struct grant *grants_keeper(struct grants *g, int conn, const char *job_id,
                            const uint8_t measurement[32], const struct bptee_peer *p,
                            char *why, size_t cap);
/* The keeper holds version of name (added to the job's set, or its version updated). */
int grants_keeper_add(struct grants *g, struct grant *k, const char *name, uint64_t version);
/* A copy of the keeper's names and the versions it holds (at most cap). */
size_t grants_keeper_names(struct grants *g, struct grant *k,
                           char (*names)[BPTEE_SECRET_NAME_MAX + 1], uint64_t *versions,
                           size_t cap);
bool grants_keeper_holds(struct grants *g, struct grant *k, const char *name);
void grants_keeper_drop(struct grants *g, struct grant *k, const char *name);
/* WATCH: true the first time. */
bool grants_set_watch(struct grants *g, struct grant *k);
/* The keeper's connection ends: unlink k, wait for pushes in flight, free it. */
void grants_end(struct grants *g, struct grant *k);
/* The watching keepers holding name, each held (grants_release) until its push is done. */
size_t grants_watchers(struct grants *g, const char *name, struct grant **out, size_t cap);
void grants_release(struct grants *g, struct grant *k);
/* May the peer pid, pinned by pidfd (peer_identify's; -1: refused), have name (SECRET,
 * VERSION; job_id NULL) or act as job job_id (SIGN, RESULT; name NULL)? 0, or BPTEE_EDENIED.
 * job_out (may be NULL) gets the admitting grant's job id. */
int grants_check(struct grants *g, int pidfd, pid_t pid, const char *name, const char *job_id,
                 char *job_out, size_t cap);

/* ---- watch.c: pushes to keepers. Called by the request that changed (rotated, revoked)
 * name, before it returns: every watching keeper holding name gets CHANGED or REVOKED and
 * has WATCH_ACK_MS to answer; one that does not is cut off. */
#define WATCH_ACK_MS 2000
void watch_notify(struct agent *a, const char *name);
/* Right after WATCH: push what changed between the keeper's SECRET and its WATCH (a rotation
 * in between found no watcher). Pushes and ACKs as watch_notify, on this keeper only. */
void watch_catch_up(struct agent *a, struct grant *k);

/* ---- result.c: RESULT, a job's result file (fds[0]) in its directory (fds[1]) attested
 * for peer p. 0, or a BPTEE_E* code with why set. */
int jobsock_result(struct agent *a, const struct bptee_job_request *req,
                   const struct bptee_peer *p, const int fds[2], char *why, size_t wcap);

#endif
