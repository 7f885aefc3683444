// SPDX-License-Identifier: Apache-2.0
/* bptee agent: the in-TEE service. Start-up makes and attests the signing key, opens the job
 * socket and the HTTP API; then the main thread waits for SIGTERM/SIGINT (through a
 * signalfd: no async-signal handler), accepts job connections and evicts expired sessions.
 * Shutdown stops the HTTP threads and the job connections first, then wipes the sessions, the
 * secrets and the signing key, and removes the socket. Secrets live in memory only: a
 * restarted agent has none. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agentd/daemon.h"
#include "cli/agent_client.h"
#include "cli/notify.h"
#include "cli/cli.h"
#include "cli/commands.h"

#define CLEANUP_INTERVAL_MS 30000
/* The --audit-log file's bound by default: 16 MiB a file, 4 rotated ones kept (80 MiB). */
#define AUDIT_FILE_MAX_DEFAULT (16u << 20)
#define AUDIT_FILE_KEEP_DEFAULT 4

struct agent_args {
    const char *config, *listen, *socket, *state_dir, *provider, *audit_log;
    uint64_t audit_max, audit_keep;
};

static void agent_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee agent --config TEE.json --listen HOST:PORT --socket PATH\n"
            "                   [--state-dir DIR]\n"
            "                   [--provider auto|sev-snp|tdx|sim|sim-tdx|azure-snp]\n"
            "                   [--audit-log FILE]\n\n"
            "Run the in-TEE agent: an HTTP JSON API for secret owners (attested key exchange,\n"
            "sealed secrets, evidence) and a unix socket (mode 0600) where jobs fetch secrets\n"
            "as sealed read-only memfds and get results signed by the attested key.\n\n"
            "  --config FILE    TEE config (key_exchange: session TTL, max sessions; \"bptee\":\n"
            "                   evidence provider, device paths, and \"owners\": who may\n"
            "                   provision which secret, or \"open\"; none: nobody may)\n"
            "  --listen H:P     HTTP address, e.g. 127.0.0.1:8700 (port 0 picks a free one)\n"
            "  --socket PATH    the job socket (docs/protocol.md)\n"
            "  --state-dir DIR  simulator state directory (overrides the config)\n"
            "  --provider P     evidence source: auto (hardware, else the simulator, loudly),\n"
            "                   sev-snp or tdx (hardware only), sim or sim-tdx (the simulated\n"
            "                   SEV-SNP or TDX), azure-snp (an Azure CVM's vTPM: TCTI from\n"
            "                   BPTEE_TPM_TCTI, certificates from BPTEE_AZURE_CERTS; docs/\n"
            "                   azure.md); overrides the config\n"
            "  --audit-log FILE also append the access log to FILE (one JSON line an entry;\n"
            "                   GET /v1/audit serves it signed to owners)\n"
            "  --audit-log-max BYTES  rotate FILE to FILE.1 before it grows past BYTES\n"
            "                   (default 16777216; 0: never; the chain runs on across files)\n"
            "  --audit-log-keep N     rotated files kept, FILE.1 to FILE.N (default 4)\n\n"
            "When ready it prints one line on stdout:\n"
            "  ready http://HOST:PORT socket PATH\n"
            "SIGTERM or SIGINT stops it; every secret, session and key is wiped (secrets are\n"
            "never written anywhere: a restarted agent holds none). docs/agent.md has the API.\n");
}

void agent_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "bptee agent: %s\n", line);
}

static int parse_args(int argc, char **argv, struct agent_args *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"socket", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'd'},
        {"provider", required_argument, NULL, 'p'},
        {"audit-log", required_argument, NULL, 'L'},
        {"audit-log-max", required_argument, NULL, 'M'},
        {"audit-log-keep", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 's':
            o->socket = optarg;
            break;
        case 'd':
            o->state_dir = optarg;
            break;
        case 'p':
            o->provider = optarg;
            break;
        case 'L':
            o->audit_log = optarg;
            break;
        case 'M':
            if (strcmp(optarg, "0") == 0) /* never rotate */
                o->audit_max = 0;
            else if (client_parse_uint("agent", "--audit-log-max", optarg, UINT64_MAX,
                                       &o->audit_max))
                return 2;
            break;
        case 'K':
            if (client_parse_uint("agent", "--audit-log-keep", optarg, BPTEE_AUDIT_FILE_KEEP_MAX,
                                  &o->audit_keep))
                return 2;
            break;
        case 'h':
            agent_usage(stdout);
            return 1;
        default:
            return cli_usage_error("agent: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("agent: unexpected argument '%s'", argv[optind]);
    if (!o->config || !o->listen || !o->socket)
        return cli_usage_error("agent: --config, --listen and --socket are required (see "
                               "--help)");
    return 0;
}

/* Where evidence comes from: the config, overridden by the options; say it loudly when it is
 * the simulator, since nothing it attests is hardware. */
static int setup_evidence(struct agent *a, const struct agent_args *o)
{
    a->guest = (struct bptee_guest_opts){.sz = sizeof a->guest};
    int rc = bptee_guest_opts_from_config(a->cfg, &a->guest);
    if (rc < 0)
        return cli_error("agent: config", rc);
    if (o->provider) {
        int prov;
        if (strcmp(o->provider, "auto") && strcmp(o->provider, "sev-snp") &&
            strcmp(o->provider, "tdx") && strcmp(o->provider, "sim") &&
            strcmp(o->provider, "sim-tdx") && strcmp(o->provider, "azure-snp"))
            return cli_usage_error("agent: --provider: expected auto, sev-snp, tdx, sim, "
                                   "sim-tdx or azure-snp, got '%s'",
                                   o->provider);
        if ((rc = bptee_evidence_provider_parse(o->provider, &prov)) < 0)
            return cli_error("agent: --provider", rc);
        a->guest.sim_tee = 0;
        if (prov == BPTEE_EVIDENCE_PROVIDER_SIM_TDX) { /* the simulator playing TDX */
            prov = BPTEE_EVIDENCE_PROVIDER_SIM;
            a->guest.sim_tee = BPTEE_EVIDENCE_PROVIDER_TDX;
        }
        a->guest.provider = prov;
    }
    if (o->state_dir)
        a->guest.state_dir = o->state_dir;
    if ((rc = bptee_guest_select(&a->guest, &a->source)) < 0)
        return cli_error("agent: evidence", rc);
    if (a->source == BPTEE_GUEST_SOURCE_SIM)
        agent_log("WARNING: evidence comes from the SIMULATED TEE (%s), not hardware; only a "
                  "policy with \"allow_simulation\": true accepts it",
                  a->guest.sim_tee == BPTEE_EVIDENCE_PROVIDER_TDX ? "TDX" : "SEV-SNP");
    else
        agent_log("evidence from %s", bptee_guest_source_name(a->source));
    return 0;
}

/* Which TEE the evidence is from, as GET /v1/health reports it. */
static int setup_provider(struct agent *a)
{
    char *json = NULL;
    struct bptee_report *r = NULL;
    int rc = bptee_signing_key_evidence_json(a->key, 0, &json);
    if (rc == 0)
        rc = bptee_report_load_json(json, strlen(json), &r);
    if (rc == 0)
        a->provider = bptee_report_provider(r);
    bptee_free(json);
    bptee_report_free(r);
    if (rc < 0) {
        cli_error("agent: signing key evidence", rc);
        return -1;
    }
    return 0;
}

/* Who may write secrets; "open" and "nobody" are both said out loud. */
static int setup_owners(struct agent *a)
{
    const char *json = bptee_config_owners_json(a->cfg);
    if (!json) {
        agent_log("no owners configured (\"owners\" in the config's \"bptee\" object): every "
                  "provisioning, rotation and revocation is refused");
        return 0;
    }
    int rc = bptee_owners_from_json(json, strlen(json), &a->owners);
    if (rc < 0) {
        fprintf(stderr, "bptee: agent: config: %s\n", bptee_last_error());
        return -1;
    }
    if (bptee_owners_is_open(a->owners))
        agent_log("WARNING: OWNERS ARE OPEN (\"owners\": \"open\"): anyone who reaches the HTTP "
                  "port can provision, replace and revoke secrets, unsigned (blueprint-tee v1 "
                  "compatibility); configure owners to require signatures");
    else
        agent_log("%zu owner(s), %zu rule(s): provisioning needs an owner's signature",
                  bptee_owners_count(a->owners), bptee_owners_rule_count(a->owners));
    return 0;
}

static int setup_audit(struct agent *a, const struct agent_args *o)
{
    uint8_t pk[32];
    char detail[100] = "signing key ";
    int rc = bptee_audit_log_new(0, &a->audit);
    if (rc == 0 && o->audit_log)
        rc = bptee_audit_log_set_file_limit(a->audit, o->audit_max, (unsigned)o->audit_keep);
    if (rc == 0 && o->audit_log)
        rc = bptee_audit_log_open_file(a->audit, o->audit_log);
    if (rc < 0) {
        fprintf(stderr, "bptee: agent: --audit-log: %s\n", bptee_last_error());
        return -1;
    }
    bptee_signing_key_public(a->key, pk);
    for (size_t i = 0; i < sizeof pk; i++)
        snprintf(detail + strlen(detail), 3, "%02x", pk[i]);
    struct bptee_audit_entry e = {.event = BPTEE_AUDIT_START, .detail = detail};
    if (agent_audit(a, &e) < 0) {
        fprintf(stderr, "bptee: agent: audit log: %s\n", bptee_last_error());
        return -1;
    }
    return 0;
}

static int setup(struct agent *a, const struct agent_args *o)
{
    struct bptee_key_exchange_config kx;
    int rc = bptee_config_load_file(o->config, &a->cfg);
    if (rc < 0) {
        fprintf(stderr, "bptee: agent: %s\n", bptee_last_error());
        return 1;
    }
    if ((rc = setup_evidence(a, o)) != 0)
        return rc;
    if ((rc = bptee_secret_make_nondumpable()) < 0)
        return cli_error("agent", rc);
    bptee_config_key_exchange(a->cfg, &kx);
    if ((rc = bptee_auth_service_new(kx.session_ttl_secs, kx.max_sessions, &a->auth)) < 0 ||
        (rc = bptee_secret_store_new(&a->store)) < 0 || (rc = bptee_signing_key_new(&a->key)) < 0)
        return cli_error("agent", rc);
    if (agent_offers_new(kx.session_ttl_secs, kx.max_sessions, &a->offers) < 0 ||
        grants_new(&a->grants) < 0 || pthread_mutex_init(&a->attest_lock, NULL) != 0)
        return cli_error("agent", BPTEE_ENOMEM);
    if ((rc = agent_refresh_key(a)) < 0)
        return cli_error("agent: signing key", rc);
    if ((rc = setup_provider(a)) < 0 || (rc = agent_check_provider(a)) < 0 ||
        (rc = setup_owners(a)) < 0 || (rc = setup_audit(a, o)) < 0)
        return 1;
    a->self_measured = bptee_peer_measure_pid((int32_t)getpid(), a->self_measurement) == 0;
    agent_log("session TTL %llu s, at most %llu sessions", (unsigned long long)kx.session_ttl_secs,
              (unsigned long long)kx.max_sessions);
    return 0;
}

static void teardown(struct agent *a)
{
    bptee_auth_service_free(a->auth);  /* wipes every session key */
    bptee_secret_store_free(a->store); /* wipes every secret */
    bptee_signing_key_free(a->key);    /* wipes the signing key */
    bptee_owners_free(a->owners);
    bptee_audit_log_free(a->audit);
    agent_offers_free(a->offers);
    grants_free(a->grants);
    bptee_config_free(a->cfg);
}

/* Signals arrive through a signalfd; every thread started later inherits the mask. */
static int signals_fd(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit fails the audit write (closed), not the agent */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

/* How often the job socket file is checked: a removed socket is noticed within a second. */
#define SOCKET_CHECK_MS 1000

/* Until SIGTERM/SIGINT (0) or the job socket file is gone (1: jobs cannot reach this agent any
 * more, and a second agent must be able to take the path over: exiting says so loudly, and a
 * supervisor restarts it with a fresh socket, rather than serving on a socket nobody finds). */
static int run_loop(struct agent *a, struct jobsock *js, int sfd)
{
    struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = jobsock_fd(js), .events = POLLIN}};
    int wait_ms = agent_poll_ms(a, SOCKET_CHECK_MS);
    uint64_t last_cleanup = (uint64_t)time(NULL);
    for (;;) {
        int n = poll(p, 2, wait_ms);
        if (n < 0 && errno != EINTR)
            return 1;
        if (n > 0 && p[0].revents) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                agent_log("%s received, shutting down", strsignal((int)si.ssi_signo));
            return 0;
        }
        if (n > 0 && p[1].revents)
            jobsock_accept(js);
        if (!jobsock_intact(js)) {
            agent_log("the job socket was removed or replaced: jobs can no longer reach this "
                      "agent; exiting (restart it to serve a fresh socket)");
            return 1;
        }
        agent_key_evidence_fresh(a, true); /* a time check; busy or idle */
        if ((uint64_t)time(NULL) - last_cleanup >= CLEANUP_INTERVAL_MS / 1000) {
            bptee_auth_service_cleanup(a->auth);
            agent_offers_prune(a->offers);
            last_cleanup = (uint64_t)time(NULL);
        }
    }
}

static int serve(struct agent *a, const struct agent_args *o)
{
    struct jobsock *js = NULL;
    struct agent_http *http = NULL;
    unsigned port = 0;
    int sfd = signals_fd();
    if (sfd < 0) {
        fprintf(stderr, "bptee: agent: signalfd: %s\n", strerror(errno));
        return 1;
    }
    int status = 1;
    if (jobsock_open(a, o->socket, &js) == 0 && agent_http_start(a, o->listen, &http, &port) == 0) {
        const char *colon = strrchr(o->listen, ':');
        printf("ready http://%.*s:%u socket %s\n", (int)(colon - o->listen), o->listen, port,
               o->socket);
        fflush(stdout);
        cli_notify_ready("serving the job socket and the HTTP API"); /* Type=notify units */
        status = run_loop(a, js, sfd);
    }
    agent_http_stop(http);
    jobsock_close(js);
    close(sfd);
    return status;
}

int cmd_agent(int argc, char **argv)
{
    struct agent_args o = {.audit_max = AUDIT_FILE_MAX_DEFAULT,
                           .audit_keep = AUDIT_FILE_KEEP_DEFAULT};
    struct agent a = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    int status = setup(&a, &o);
    if (status == 0)
        status = serve(&a, &o);
    teardown(&a);
    if (status == 0)
        agent_log("stopped; sessions, secrets and the signing key are wiped");
    return status;
}
