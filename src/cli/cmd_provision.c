// SPDX-License-Identifier: Apache-2.0
/* bptee provision: the whole secret owner's flow against a running agent, over HTTP (libcurl).
 * Per secret: a fresh random nonce -> POST /v1/sessions -> verify the offer (evidence under
 * the policy, REPORT_DATA = SHA-512(nonce || key)) -> seal (v2 by default) -> POST
 * /v1/secrets -> check that the SealedSecretResult names the verified evidence and key. */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/agent_client.h"
#include "cli/cli.h"
#include "cli/commands.h"

#define SECRETS_MAX 64
#define RESPONSE_MAX (8u << 20)
#define URL_MAX 2048

struct secret_arg {
    const char *name, *path;
    uint8_t *data;
    size_t len;
};

struct prov_args {
    const char *agent, *policy;
    struct secret_arg secrets[SECRETS_MAX];
    size_t n_secrets;
    char *allow[BPTEE_SECRET_ALLOW_MAX];
    size_t n_allow;
    uint32_t uids[BPTEE_SECRET_ALLOW_MAX];
    size_t n_uids;
    uint64_t version, timeout;
    int scheme;
    int64_t at;
};

static void provision_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee provision --agent URL --policy POLICY.json --secret NAME=@FILE...\n"
            "                       [--allow-measurement HEX]... [--allow-uid UID]...\n"
            "                       [--version N] [--scheme v1|v2] [--at TIME] [--timeout S]\n\n"
            "Provision secrets to a bptee agent: for each, request a key-exchange session with\n"
            "a fresh nonce, verify the offer's evidence under the policy and its key binding,\n"
            "seal the secret to the offered key, send it, and check the agent's result.\n\n"
            "  --agent URL        the agent's HTTP address, e.g. http://127.0.0.1:8700\n"
            "  --policy FILE      verification policy (docs/policy.md)\n"
            "  --secret NAME=@FILE  a secret and the file holding it ('@-' is stdin); repeatable\n"
            "  --allow-measurement HEX  only binaries with this SHA-256 may read the secrets\n"
            "  --allow-uid UID    only this uid may read them (both repeatable)\n"
            "  --version N        the secrets' version (a stored secret is only replaced by a\n"
            "                     higher one)\n"
            "  --scheme v1|v2     sealing scheme (default v2)\n"
            "  --at TIME          verify as of TIME (unix seconds or YYYY-MM-DDTHH:MM:SSZ)\n"
            "  --timeout S        per HTTP request (default 30)\n\n"
            "Prints one line per secret provisioned. Exit status: 0 all provisioned, 1 a\n"
            "secret was refused or failed (the ones before it stay provisioned), 2 usage.\n");
}

static int add_secret(struct prov_args *o, const char *arg)
{
    const char *eq = strstr(arg, "=@");
    if (!eq || eq == arg || !eq[2])
        return cli_usage_error("provision: --secret: expected NAME=@FILE, got '%s'", arg);
    if (o->n_secrets == SECRETS_MAX)
        return cli_usage_error("provision: at most %d --secret", SECRETS_MAX);
    char *name = strndup(arg, (size_t)(eq - arg));
    if (!name)
        return cli_usage_error("provision: out of memory");
    o->secrets[o->n_secrets++] = (struct secret_arg){.name = name, .path = eq + 2};
    return 0;
}

static int parse_opt(int c, const char *arg, struct prov_args *o)
{
    uint64_t v = 0;
    uint8_t m[32];
    switch (c) {
    case 'A':
        o->agent = arg;
        return 0;
    case 'p':
        o->policy = arg;
        return 0;
    case 'S':
        return add_secret(o, arg);
    case 's':
        return bptee_seal_scheme_parse(arg, &o->scheme) < 0
                   ? cli_usage_error("provision: --scheme: expected v1 or v2, got '%s'", arg)
                   : 0;
    case 'a':
        return client_parse_time("provision", arg, &o->at);
    case 'v':
        return client_parse_uint("provision", "--version", arg, INT64_MAX, &o->version);
    case 't':
        return client_parse_uint("provision", "--timeout", arg, 3600, &o->timeout);
    case 'm':
        if (o->n_allow == BPTEE_SECRET_ALLOW_MAX)
            return cli_usage_error("provision: too many --allow-measurement");
        if (client_hex32("provision", "--allow-measurement", arg, m) != 0)
            return 2;
        o->allow[o->n_allow++] = (char *)arg;
        return 0;
    case 'u':
        if (o->n_uids == BPTEE_SECRET_ALLOW_MAX)
            return cli_usage_error("provision: too many --allow-uid");
        if (strcmp(arg, "0") &&
            client_parse_uint("provision", "--allow-uid", arg, 4294967294u, &v) != 0)
            return 2;
        o->uids[o->n_uids++] = (uint32_t)v;
        return 0;
    default:
        return cli_usage_error("provision: unknown or incomplete option (see --help)");
    }
}

static int parse_args(int argc, char **argv, struct prov_args *o)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'A'},
        {"policy", required_argument, NULL, 'p'},
        {"secret", required_argument, NULL, 'S'},
        {"scheme", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},
        {"version", required_argument, NULL, 'v'},
        {"timeout", required_argument, NULL, 't'},
        {"allow-uid", required_argument, NULL, 'u'},
        {"allow-measurement", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    o->scheme = BPTEE_SEAL_V2;
    o->timeout = 30;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            provision_usage(stdout);
            return 1;
        }
        if (c == '?')
            return cli_usage_error("provision: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        if ((rc = parse_opt(c, optarg, o)) != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("provision: unexpected argument '%s'", argv[optind]);
    if (!o->agent || !o->policy || !o->n_secrets)
        return cli_usage_error("provision: --agent, --policy and at least one --secret are "
                               "required (see --help)");
    if (strncmp(o->agent, "http://", 7) && strncmp(o->agent, "https://", 8))
        return cli_usage_error("provision: --agent: expected an http:// or https:// URL, got "
                               "'%s'",
                               o->agent);
    return 0;
}

/* ---- HTTP */

struct body {
    char *data;
    size_t len;
    bool too_large;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    struct body *b = userdata;
    size_t add = size * n;
    if (b->len + add > RESPONSE_MAX) {
        b->too_large = true;
        return 0; /* makes curl fail the transfer */
    }
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* POST json to agent+path; 0 and the status and body, or 1 after printing the failure. */
static int http_post(const struct prov_args *o, const char *path, const char *json, long *status,
                     struct body *resp)
{
    char url[URL_MAX], err[CURL_ERROR_SIZE] = "";
    size_t al = strlen(o->agent);
    while (al && o->agent[al - 1] == '/')
        al--;
    snprintf(url, sizeof url, "%.*s%s", (int)al, o->agent, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!c || !hdr) {
        curl_easy_cleanup(c);
        curl_slist_free_all(hdr);
        fprintf(stderr, "bptee: provision: cannot start libcurl\n");
        return 1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)o->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(o->timeout < 10 ? o->timeout : 10));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    if (rc == CURLE_OK && resp->data)
        return 0;
    if (resp->too_large)
        fprintf(stderr, "bptee: provision: POST %s: response larger than %u bytes\n", url,
                RESPONSE_MAX);
    else
        fprintf(stderr, "bptee: provision: POST %s: %s\n", url,
                err[0]           ? err
                : rc == CURLE_OK ? "empty response"
                                 : curl_easy_strerror(rc));
    return 1;
}

/* POST and insist on 200, naming the agent's {"error"} otherwise. */
static int post_ok(const struct prov_args *o, const char *what, const char *path, const char *json,
                   struct body *resp)
{
    long status = 0;
    if (http_post(o, path, json, &status, resp) != 0)
        return 1;
    if (status == 200)
        return 0;
    json_t *j = json_loadb(resp->data, resp->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));
    fprintf(stderr, "bptee: provision: %s: the agent answered %ld: %s\n", what, status,
            msg ? msg : "(no error message)");
    json_decref(j);
    return 1;
}

/* ---- the flow */

/* POST /v1/sessions with a fresh nonce; the offer only if it verifies and binds the nonce. */
static int get_offer(const struct prov_args *o, const struct bptee_policy *pol, const char *name,
                     struct bptee_offer **offer)
{
    uint8_t nonce[32];
    char hex[65], req[100], what[200];
    struct body resp = {0};
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(hex, sizeof hex, nonce, sizeof nonce);
    snprintf(req, sizeof req, "{\"nonce\":\"%s\"}", hex);
    snprintf(what, sizeof what, "%s: session", name);
    int status = post_ok(o, what, "/v1/sessions", req, &resp);
    if (status == 0) {
        BPTEE_OPTS(bptee_verify_opts, vo, .at = o->at, .policy = pol);
        if (bptee_offer_verify(resp.data, resp.len, nonce, &vo, offer) < 0) {
            fprintf(stderr, "bptee: provision: %s: offer refused: %s\n", name, bptee_last_error());
            status = 1;
        }
    }
    free(resp.data);
    return status;
}

/* The POST /v1/secrets body: the secret sealed to the offer (base64 byte fields: compact). */
static int sealed_body(const struct prov_args *o, const struct secret_arg *s,
                       const struct bptee_offer *offer, char **body)
{
    struct bptee_sealed_payload *p = NULL;
    int rc = bptee_seal(o->scheme, bptee_offer_session_id(offer), s->data, s->len,
                        bptee_offer_public_key(offer), BPTEE_X25519_KEY_LEN, &p);
    if (rc == 0) {
        struct bptee_provision_request req = {.name = (char *)s->name,
                                              .payload = p,
                                              .version = o->version,
                                              .allow_measurements = (char **)o->allow,
                                              .n_allow_measurements = o->n_allow,
                                              .allow_uids = (uint32_t *)o->uids,
                                              .n_allow_uids = o->n_uids};
        rc = bptee_provision_request_to_json(&req, BPTEE_WIRE_JSON_BASE64, body);
    }
    bptee_sealed_payload_free(p);
    if (rc < 0) {
        fprintf(stderr, "bptee: provision: %s: %s\n", s->name, bptee_last_error());
        return 1;
    }
    return 0;
}

static int provision_one(const struct prov_args *o, const struct bptee_policy *pol,
                         const struct secret_arg *s)
{
    struct bptee_offer *offer = NULL;
    struct body resp = {0};
    char *body = NULL;
    int status = get_offer(o, pol, s->name, &offer);
    if (status == 0)
        status = sealed_body(o, s, offer, &body);
    if (status == 0)
        status = post_ok(o, s->name, "/v1/secrets", body, &resp);
    if (status == 0 && bptee_offer_check_result(offer, resp.data, resp.len) < 0) {
        fprintf(stderr, "bptee: provision: %s: %s\n", s->name, bptee_last_error());
        status = 1;
    }
    if (status == 0)
        printf("provisioned %s (%zu bytes, sealed %s to session %s, evidence %s)\n", s->name,
               s->len, bptee_seal_scheme_name(o->scheme), bptee_offer_session_id(offer),
               bptee_offer_evidence_digest(offer));
    free(resp.data);
    bptee_free(body);
    bptee_offer_free(offer);
    return status;
}

static void release(struct prov_args *o)
{
    for (size_t i = 0; i < o->n_secrets; i++) {
        client_wipe(o->secrets[i].data, o->secrets[i].len);
        free((char *)o->secrets[i].name);
    }
}

int cmd_provision(int argc, char **argv)
{
    struct prov_args o = {0};
    struct bptee_policy *pol = NULL;
    int status = parse_args(argc, argv, &o);
    if (status != 0) {
        release(&o);
        return status == 1 ? 0 : status;
    }
    for (size_t i = 0; i < o.n_secrets && status == 0; i++) /* read them all before sending */
        status = client_read_secret("provision", o.secrets[i].path, &o.secrets[i].data,
                                    &o.secrets[i].len);
    if (status == 0)
        status = client_load_policy("provision", o.policy, &pol);
    if (status == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bptee: provision: libcurl failed to initialise\n");
        status = 1;
    }
    for (size_t i = 0; i < o.n_secrets && status == 0; i++) {
        status = provision_one(&o, pol, &o.secrets[i]);
        fflush(stdout);
    }
    bptee_policy_free(pol);
    release(&o);
    return status;
}
