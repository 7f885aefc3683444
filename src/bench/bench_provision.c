// SPDX-License-Identifier: Apache-2.0
/* Provisioning latency over HTTP on loopback: starts `bptee agent` ($BPTEE_BUILD/bptee) on the
 * simulated TEE and times the whole owner flow per secret, as `bptee provision` runs it: fresh
 * nonce -> POST /v1/sessions (the agent attests the session key) -> verify the offer (chain,
 * signature, policy, key binding) -> seal v2 -> POST /v1/secrets -> check the result. The
 * floor in the same run: an attested round trip (GET /v1/attestation, the agent's share), a
 * bare one (GET /v1/health) and the offer verification alone (the client's share). The HTTP
 * client is a plain socket (the benchmark links libbptee only). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include <bptee.h>

#include "bench/bench.h"
#include "bench/bench_proc.h"

#define RESP_MAX (1u << 20)

static unsigned port;
static pid_t agent_pid;
static char dir[] = "/tmp/bptee-bench-provision-XXXXXX";
static struct bptee_policy *policy;

static void die(const char *what)
{
    fprintf(stderr, "bench_provision: %s: %s\n", what,
            bptee_last_error()[0] ? bptee_last_error() : strerror(errno));
    if (agent_pid > 0)
        kill(agent_pid, SIGTERM);
    exit(1);
}

/* One HTTP/1.1 exchange on a fresh connection; the body of a 200 answer (malloc'd). */
static char *http(const char *method, const char *path, const char *body, size_t *len)
{
    static char resp[RESP_MAX + 1];
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char head[256];
    size_t blen = body ? strlen(body) : 0, have = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect to the agent");
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, path, blen);
    if (write(fd, head, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen))
        die("send the request");
    for (ssize_t r; have < RESP_MAX && (r = read(fd, resp + have, RESP_MAX - have)) > 0;)
        have += (size_t)r;
    close(fd);
    resp[have] = '\0';
    char *sep = strstr(resp, "\r\n\r\n");
    if (strncmp(resp, "HTTP/1.1 200", 12) != 0 || !sep) {
        fprintf(stderr, "bench_provision: %s %s: %.300s\n", method, path, resp);
        die("the agent refused");
    }
    *len = have - (size_t)(sep + 4 - resp);
    char *out = malloc(*len + 1);
    if (!out)
        die("out of memory");
    memcpy(out, sep + 4, *len + 1);
    return out;
}

static struct bptee_offer *get_offer(char **json_out, size_t *json_len)
{
    uint8_t nonce[32];
    char hex[65], req[100];
    size_t len = 0;
    struct bptee_offer *offer = NULL;
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(hex, sizeof hex, nonce, sizeof nonce);
    snprintf(req, sizeof req, "{\"nonce\":\"%s\"}", hex);
    char *json = http("POST", "/v1/sessions", req, &len);
    BPTEE_OPTS(bptee_verify_opts, vo, .policy = policy);
    if (bptee_offer_verify(json, len, nonce, &vo, &offer) < 0)
        die("offer verification");
    if (json_out) {
        *json_out = json;
        *json_len = len;
    } else {
        free(json);
    }
    return offer;
}

static int provision_once(void)
{
    static long seq;
    static const uint8_t secret[] = "correct horse battery staple";
    char name[64], *body = NULL;
    size_t len = 0;
    struct bptee_offer *offer = get_offer(NULL, NULL);
    struct bptee_sealed_payload *p = NULL;
    snprintf(name, sizeof name, "bench-%ld", seq++);
    if (bptee_seal(BPTEE_SEAL_V2, bptee_offer_session_id(offer), secret, sizeof secret - 1,
                   bptee_offer_public_key(offer), 32, &p) < 0)
        die("seal");
    struct bptee_provision_request req = {.name = name, .payload = p};
    if (bptee_provision_request_to_json(&req, BPTEE_WIRE_JSON_BASE64, &body) < 0)
        die("request body");
    char *result = http("POST", "/v1/secrets", body, &len);
    if (bptee_offer_check_result(offer, result, len) < 0)
        die("result check");
    free(result);
    bptee_free(body);
    bptee_sealed_payload_free(p);
    bptee_offer_free(offer);
    return 0;
}

static int health_once(void)
{
    size_t len = 0;
    free(http("GET", "/v1/health", NULL, &len));
    return 0;
}

static int attest_once(void)
{
    size_t len = 0;
    free(http("GET", "/v1/attestation?nonce=00112233445566778899aabbccddeeff", NULL, &len));
    return 0;
}

static const char *offer_json;
static size_t offer_len;

static int verify_once(void)
{
    struct bptee_offer *o = NULL;
    BPTEE_OPTS(bptee_verify_opts, vo, .policy = policy);
    int rc = bptee_offer_verify(offer_json, offer_len, NULL, &vo, &o);
    bptee_offer_free(o);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    if (bptee_write_file(path, text, strlen(text), 0600) < 0)
        die(path);
}

/* Start the agent on a free port; its "ready" line names the port. */
static void start_agent(const char *build)
{
    char cli[4096], cfg[256], sock[256], line[512];
    int pfd[2];
    snprintf(cli, sizeof cli, "%s/bptee", build);
    snprintf(cfg, sizeof cfg, "%s/tee.json", dir);
    snprintf(sock, sizeof sock, "%s/agent.sock", dir);
    write_file(cfg, "{\"requirement\":\"preferred\",\"mode\":\"direct\",\"provider_selector\":"
                    "\"any\",\"key_exchange\":{\"session_ttl_secs\":60,\"max_sessions\":64},"
                    "\"secret_injection\":\"sealed_only\",\"bptee\":{\"evidence_provider\":"
                    "\"sim\",\"owners\":\"open\"}}"); /* unsigned: the v1 flow is timed */
    if (pipe(pfd) != 0)
        die("pipe");
    agent_pid = fork();
    if (agent_pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        int null = open("/dev/null", O_WRONLY); /* a log line per request: not what is timed */
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        execl(cli, cli, "agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket", sock,
              (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    if (agent_pid < 0 || !f || !fgets(line, sizeof line, f) ||
        sscanf(line, "ready http://127.0.0.1:%u", &port) != 1)
        die("the agent did not start (is $BPTEE_BUILD/bptee built?)");
    fclose(f);
}

static void stop_agent(void)
{
    int status = 0;
    kill(agent_pid, SIGTERM);
    waitpid(agent_pid, &status, 0);
    bench_remove_tree(dir); /* the config, and the lock file the agent leaves by its socket */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("the agent did not stop cleanly");
}

int main(void)
{
    const char *build = secure_getenv("BPTEE_BUILD");
    static const char pol[] = "{\"sev_snp\":{\"allow_simulation\":true}}";
    double prov_rate, http_rate, attest_rate, verify_rate;
    char *json = NULL;
    if (!build)
        build = "build";
    if (!mkdtemp(dir))
        die("mkdtemp");
    if (bptee_policy_parse(pol, sizeof pol - 1, &policy) < 0)
        die("policy");
    start_agent(build);
    provision_once(); /* warm up: the simulator's state, the verifier's certificate cache */
    BENCH_RATE(prov_rate, provision_once());
    BENCH_RATE(http_rate, health_once());
    BENCH_RATE(attest_rate, attest_once());
    bptee_offer_free(get_offer(&json, &offer_len));
    offer_json = json;
    BENCH_RATE(verify_rate, verify_once());
    stop_agent();
    free(json);
    bptee_policy_free(policy);
    printf("provision_latency: %.2f ms\n", 1000.0 / prov_rate);
    printf("provision_http_roundtrip_latency: %.3f ms\n", 1000.0 / http_rate);
    printf("provision_offer_verify_latency: %.2f ms\n", 1000.0 / verify_rate);
    printf("provision_attestation_roundtrip_latency: %.2f ms\n", 1000.0 / attest_rate);
    /* the floor: one attested round trip, one plain one, and the client's verification */
    printf("provision_latency_vs_floor: %.2f ratio\n",
           (1.0 / prov_rate) / (1.0 / attest_rate + 1.0 / http_rate + 1.0 / verify_rate));
    return 0;
}
