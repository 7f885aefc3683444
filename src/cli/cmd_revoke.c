// SPDX-License-Identifier: Apache-2.0
/* bptee revoke: revoke secrets on a running agent (DELETE /v1/secrets/NAME). The agent wipes
 * the plaintext at once; jobs that open the secret's path afterwards fail closed. An owner
 * signs each revocation over a fresh, verified offer (docs/formats.md, "Owner requests",
 * operation REVOKE) at a version above the stored one; an agent whose owners are "open" takes
 * it unsigned. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/agent_client.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/owner_client.h"

struct revoke_args {
    const char *agent, *policy, *owner_key, *owner_id;
    uint64_t version, timeout;
    int64_t at;
};

static void revoke_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee revoke --agent URL [--owner-key FILE --owner-id ID --policy POLICY.json]\n"
            "                    [--version N] [--at TIME] [--timeout S] NAME...\n\n"
            "Revoke secrets: the agent wipes each one's bytes at once, and a job opening its\n"
            "path afterwards fails closed (EACCES, \"secret revoked\").\n\n"
            "  --agent URL        the agent's HTTP address, e.g. http://127.0.0.1:8700\n"
            "  --owner-key FILE   sign each revocation with this owner key, as --owner-id ID,\n"
            "                     over a fresh offer verified under --policy (an agent with\n"
            "                     owners refuses unsigned revocations)\n"
            "  --version N        the revocation's version (default: the stored one plus 1)\n"
            "  --at TIME          verify the offer as of TIME\n"
            "  --timeout S        per HTTP request (default 30)\n\n"
            "Prints one line per secret revoked. Exit status: 0 all revoked, 1 one was refused\n"
            "(the ones before it stay revoked), 2 usage.\n");
}

static int parse_opt(int c, const char *arg, struct revoke_args *o)
{
    switch (c) {
    case 'A':
        o->agent = arg;
        return 0;
    case 'p':
        o->policy = arg;
        return 0;
    case 'k':
        o->owner_key = arg;
        return 0;
    case 'o':
        o->owner_id = arg;
        return 0;
    case 'v':
        return client_parse_uint("revoke", "--version", arg, INT64_MAX, &o->version);
    case 't':
        return client_parse_uint("revoke", "--timeout", arg, 3600, &o->timeout);
    case 'a':
        return client_parse_time("revoke", arg, &o->at);
    default:
        return cli_usage_error("revoke: unknown or incomplete option (see --help)");
    }
}

static int parse_args(int argc, char **argv, struct revoke_args *o)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'A'},     {"policy", required_argument, NULL, 'p'},
        {"owner-key", required_argument, NULL, 'k'}, {"owner-id", required_argument, NULL, 'o'},
        {"version", required_argument, NULL, 'v'},   {"timeout", required_argument, NULL, 't'},
        {"at", required_argument, NULL, 'a'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    o->timeout = 30;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            revoke_usage(stdout);
            return 1;
        }
        if (c == '?')
            return cli_usage_error("revoke: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        if ((rc = parse_opt(c, optarg, o)) != 0)
            return rc;
    }
    if (!o->agent || optind == argc)
        return cli_usage_error("revoke: --agent and at least one NAME are required (see --help)");
    if (o->owner_key && !o->policy)
        return cli_usage_error("revoke: --owner-key needs --policy (the offer it signs over is "
                               "verified first)");
    if (strncmp(o->agent, "http://", 7) && strncmp(o->agent, "https://", 8))
        return cli_usage_error("revoke: --agent: expected an http:// or https:// URL, got '%s'",
                               o->agent);
    return 0;
}

/* The DELETE body: signed over a fresh verified offer, or empty but for the version. */
static int revoke_body(const struct owner_client *c, const char *name, uint64_t version,
                       char **body)
{
    struct bptee_offer *offer = NULL;
    struct bptee_revoke_request req = {.version = version};
    int status = 0;
    if (c->key) {
        status = owner_get_offer(c, name, &offer);
        if (status == 0) {
            req.owner = (char *)c->owner_id;
            req.session_id = (char *)bptee_offer_session_id(offer);
            req.has_signature = true;
            status = owner_sign(c, BPTEE_OWNER_OP_REVOKE, offer, name, version, NULL,
                                req.signature);
        }
    }
    if (status == 0 && bptee_revoke_request_to_json(&req, body) < 0) {
        fprintf(stderr, "bptee: revoke: %s: %s\n", name, bptee_last_error());
        status = 1;
    }
    bptee_offer_free(offer);
    return status;
}

static int revoke_one(const struct revoke_args *o, const struct owner_client *c, const char *name)
{
    char path[200];
    struct http_body resp = {0};
    char *body = NULL;
    bool exists = false;
    uint64_t stored = 0, version = o->version;
    int status = version ? 0 : owner_stored_version(c, name, &exists, &stored);
    if (status == 0 && !version && !exists) {
        fprintf(stderr, "bptee: revoke: %s: the agent stores no secret by that name\n", name);
        status = 1;
    }
    if (status == 0 && !version)
        version = stored + 1;
    if (status == 0)
        status = revoke_body(c, name, version, &body);
    snprintf(path, sizeof path, "/v1/secrets/%.150s", name);
    if (status == 0)
        status = owner_http_ok(c, name, "DELETE", path, body, &resp);
    if (status == 0)
        printf("revoked %s (version %llu%s%s)\n", name, (unsigned long long)version,
               c->key ? ", signed by " : "", c->key ? c->owner_id : "");
    free(resp.data);
    bptee_free(body);
    return status;
}

int cmd_revoke(int argc, char **argv)
{
    struct revoke_args o = {0};
    struct bptee_policy *pol = NULL;
    int status = parse_args(argc, argv, &o);
    if (status != 0)
        return status == 1 ? 0 : status;
    struct owner_client c = {.cmd = "revoke", .agent = o.agent, .timeout = o.timeout,
                             .at = o.at, .owner_id = o.owner_id};
    if ((status = owner_load_key(&c, o.owner_key)) != 0)
        return status;
    for (int i = optind; i < argc && status == 0; i++)
        if (strlen(argv[i]) > BPTEE_SECRET_NAME_MAX)
            status = cli_usage_error("revoke: NAME longer than %d characters",
                                     BPTEE_SECRET_NAME_MAX);
    if (status == 0 && o.policy)
        status = client_load_policy("revoke", o.policy, &pol);
    if (status == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bptee: revoke: libcurl failed to initialise\n");
        status = 1;
    }
    c.policy = pol;
    for (int i = optind; i < argc && status == 0; i++) {
        status = revoke_one(&o, &c, argv[i]);
        fflush(stdout);
    }
    bptee_owner_key_free(c.key);
    bptee_policy_free(pol);
    return status;
}
