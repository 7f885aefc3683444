// SPDX-License-Identifier: Apache-2.0
/* bptee provision: the whole secret owner's flow against a running agent, over HTTP (libcurl).
 * Per secret: a fresh random nonce -> POST /v1/sessions -> verify the offer (evidence under
 * the policy, REPORT_DATA = SHA-512(nonce || key)) -> seal (v2 by default) -> sign it as an
 * owner (with --owner-key) -> POST /v1/secrets -> check that the SealedSecretResult names the
 * verified evidence and key. --rotate asks the agent for the stored version first and sends
 * the next one. */
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
#include "cli/owner_client.h"

#define SECRETS_MAX 64

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
    const char *owner_key, *owner_id;
    bool rotate;
};

static void provision_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee provision --agent URL --policy POLICY.json --secret NAME=@FILE...\n"
            "                       [--allow-measurement HEX]... [--allow-uid UID]...\n"
            "                       [--version N] [--scheme v1|v2] [--at TIME] [--timeout S]\n"
            "                       [--owner-key FILE --owner-id ID] [--rotate]\n\n"
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
            "  --timeout S        per HTTP request (default 30)\n"
            "  --owner-key FILE   sign the requests with this owner key (bptee owner keygen);\n"
            "  --owner-id ID      as this owner id (an agent with owners needs both)\n"
            "  --rotate           replace a stored secret: send the version after the stored\n"
            "                     one (asked of the agent), or --version if given\n\n"
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
    case 'k':
        o->owner_key = arg;
        return 0;
    case 'o':
        o->owner_id = arg;
        return 0;
    case 'r':
        o->rotate = true;
        return 0;
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
        {"owner-key", required_argument, NULL, 'k'},
        {"owner-id", required_argument, NULL, 'o'},
        {"rotate", no_argument, NULL, 'r'},
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

/* ---- the flow */

/* The version to send: --version, or with --rotate the one after the stored version. */
static int choose_version(const struct prov_args *o, const struct owner_client *c,
                          const char *name, uint64_t *version)
{
    bool exists = false;
    uint64_t stored = 0;
    *version = o->version;
    if (!o->rotate)
        return 0;
    if (owner_stored_version(c, name, &exists, &stored) != 0)
        return 1;
    if (!exists) {
        fprintf(stderr, "bptee: provision: %s: --rotate: the agent stores no secret by that name "
                        "(provision it without --rotate)\n", name);
        return 1;
    }
    if (o->version && o->version <= stored) {
        fprintf(stderr, "bptee: provision: %s: --rotate: --version %llu is not above the stored "
                        "version %llu\n", name, (unsigned long long)o->version,
                (unsigned long long)stored);
        return 1;
    }
    if (!o->version && stored >= INT64_MAX) {
        fprintf(stderr, "bptee: provision: %s: --rotate: no version is left\n", name);
        return 1;
    }
    *version = o->version ? o->version : stored + 1;
    return 0;
}

/* The POST /v1/secrets body: the secret sealed to the offer (base64 byte fields: compact). */
static int sealed_body(const struct prov_args *o, const struct owner_client *c,
                       const struct secret_arg *s, const struct bptee_offer *offer,
                       uint64_t version, char **body)
{
    struct bptee_sealed_payload *p = NULL;
    struct bptee_provision_request req = {.name = (char *)s->name,
                                          .version = version,
                                          .allow_measurements = (char **)o->allow,
                                          .n_allow_measurements = o->n_allow,
                                          .allow_uids = (uint32_t *)o->uids,
                                          .n_allow_uids = o->n_uids};
    int rc = bptee_seal(o->scheme, bptee_offer_session_id(offer), s->data, s->len,
                        bptee_offer_public_key(offer), BPTEE_X25519_KEY_LEN, &p);
    if (rc == 0 && c->key) { /* an owner signs the version it sends: 1 unless told */
        req.version = version ? version : 1;
        req.owner = (char *)c->owner_id;
        req.has_signature = true;
        if (owner_sign(c, BPTEE_OWNER_OP_PROVISION, offer, s->name, req.version, p,
                       req.signature) != 0) {
            bptee_sealed_payload_free(p);
            return 1;
        }
    }
    req.payload = p;
    if (rc == 0)
        rc = bptee_provision_request_to_json(&req, BPTEE_WIRE_JSON_BASE64, body);
    bptee_sealed_payload_free(p);
    if (rc < 0) {
        fprintf(stderr, "bptee: provision: %s: %s\n", s->name, bptee_last_error());
        return 1;
    }
    return 0;
}

static int provision_one(const struct prov_args *o, const struct owner_client *c,
                         const struct secret_arg *s)
{
    struct bptee_offer *offer = NULL;
    struct http_body resp = {0};
    char *body = NULL;
    uint64_t version = 0;
    int status = choose_version(o, c, s->name, &version);
    if (status == 0)
        status = owner_get_offer(c, s->name, &offer);
    if (status == 0)
        status = sealed_body(o, c, s, offer, version, &body);
    if (status == 0)
        status = owner_http_ok(c, s->name, "POST", "/v1/secrets", body, &resp);
    if (status == 0 && bptee_offer_check_result(offer, resp.data, resp.len) < 0) {
        fprintf(stderr, "bptee: provision: %s: %s\n", s->name, bptee_last_error());
        status = 1;
    }
    if (status == 0)
        /* The secret's version and the sealing scheme are both "v"-numbers: name each. */
        printf("%s %s version %llu (%zu bytes, sealed with scheme %s to session %s, evidence "
               "%s%s%s)\n",
               o->rotate ? "rotated" : "provisioned", s->name,
               (unsigned long long)(version ? version : 1), s->len, /* the agent stores 0 as 1 */
               bptee_seal_scheme_name(o->scheme), bptee_offer_session_id(offer),
               bptee_offer_evidence_digest(offer), c->key ? ", signed by " : "",
               c->key ? c->owner_id : "");
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
    struct owner_client c = {.cmd = "provision", .agent = o.agent, .timeout = o.timeout,
                             .at = o.at, .owner_id = o.owner_id};
    if ((status = owner_load_key(&c, o.owner_key)) != 0) {
        release(&o);
        return status;
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
    c.policy = pol;
    for (size_t i = 0; i < o.n_secrets && status == 0; i++) {
        status = provision_one(&o, &c, &o.secrets[i]);
        fflush(stdout);
    }
    bptee_owner_key_free(c.key);
    bptee_policy_free(pol);
    release(&o);
    return status;
}
