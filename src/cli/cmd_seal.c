// SPDX-License-Identifier: Apache-2.0
/* bptee seal: the secret owner's offline step. Verify a key-exchange offer (its evidence under
 * the owner's policy, and that its REPORT_DATA binds the offered key to the nonce), then seal
 * stdin to that key. Nothing is sealed to a key whose origin did not verify. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/agent_client.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/owner_client.h"

#define ALLOW_MAX BPTEE_SECRET_ALLOW_MAX

struct seal_args {
    const char *offer, *policy, *name;
    int scheme;
    int64_t at;
    bool has_nonce, base64;
    uint8_t nonce[32];
    uint64_t version;
    char *allow[ALLOW_MAX];
    size_t n_allow;
    const char *owner_key, *owner_id;
};

static void seal_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee seal --offer OFFER.json --policy POLICY.json [--name NAME]\n"
            "                  [--scheme v1|v2] [--at TIME] [--nonce HEX] [--version N]\n"
            "                  [--allow-measurement HEX]... [--base64]\n"
            "                  [--owner-key FILE --owner-id ID] < SECRET > SEALED.json\n\n"
            "Verify a key-exchange offer (a KeyExchangeResponse from POST /v1/sessions) and seal\n"
            "the secret on stdin to its key. Refused, with the reason, unless the offer's\n"
            "evidence verifies under the policy and its REPORT_DATA is SHA-512(nonce || key).\n\n"
            "  --offer FILE       the KeyExchangeResponse JSON\n"
            "  --policy FILE      verification policy (docs/policy.md)\n"
            "  --nonce HEX        the nonce sent with the request (64 hex digits); default: the\n"
            "                     offer's own \"nonce\" field\n"
            "  --name NAME        write the POST /v1/secrets body {name, payload, ...} instead\n"
            "                     of the bare SealedSecretPayload\n"
            "  --version N        with --name: the secret's version (to replace a stored one)\n"
            "  --allow-measurement HEX  with --name: only binaries with this SHA-256 may read\n"
            "                     the secret (repeatable)\n"
            "  --scheme v1|v2     v2 (default) binds the session id; v1 is blueprint-tee's\n"
            "  --at TIME          verify as of TIME (unix seconds or YYYY-MM-DDTHH:MM:SSZ)\n"
            "  --base64           byte fields as base64 (default: JSON integer arrays)\n"
            "  --owner-key FILE   with --name: sign the body as owner --owner-id ID (at\n"
            "  --owner-id ID      --version, 1 by default), as an agent with owners requires\n\n"
            "Exit status: 0 sealed, 1 refused or failed, 2 usage error.\n");
}

static int parse_opt(int c, const char *arg, struct seal_args *o)
{
    uint64_t v = 0;
    switch (c) {
    case 'o':
        o->offer = arg;
        return 0;
    case 'p':
        o->policy = arg;
        return 0;
    case 'n':
        o->name = arg;
        return 0;
    case 'b':
        o->base64 = true;
        return 0;
    case 's':
        if (bptee_seal_scheme_parse(arg, &o->scheme) < 0)
            return cli_usage_error("seal: --scheme: expected v1 or v2, got '%s'", arg);
        return 0;
    case 'a':
        return client_parse_time("seal", arg, &o->at);
    case 'N':
        o->has_nonce = true;
        return client_hex32("seal", "--nonce", arg, o->nonce);
    case 'v':
        if (client_parse_uint("seal", "--version", arg, INT64_MAX, &v) != 0)
            return 2;
        o->version = v;
        return 0;
    case 'm': {
        uint8_t m[32];
        if (o->n_allow == ALLOW_MAX)
            return cli_usage_error("seal: at most %d --allow-measurement", ALLOW_MAX);
        if (client_hex32("seal", "--allow-measurement", arg, m) != 0)
            return 2;
        o->allow[o->n_allow++] = (char *)arg;
        return 0;
    }
    case 'k':
        o->owner_key = arg;
        return 0;
    case 'O':
        o->owner_id = arg;
        return 0;
    default:
        return cli_usage_error("seal: unknown or incomplete option (see --help)");
    }
}

static int parse_args(int argc, char **argv, struct seal_args *o)
{
    static const struct option opts[] = {
        {"offer", required_argument, NULL, 'o'},
        {"policy", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"scheme", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},
        {"nonce", required_argument, NULL, 'N'},
        {"version", required_argument, NULL, 'v'},
        {"base64", no_argument, NULL, 'b'},
        {"allow-measurement", required_argument, NULL, 'm'},
        {"owner-key", required_argument, NULL, 'k'},
        {"owner-id", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    o->scheme = BPTEE_SEAL_V2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            seal_usage(stdout);
            return 1;
        }
        if (c == '?')
            return cli_usage_error("seal: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        if ((rc = parse_opt(c, optarg, o)) != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("seal: unexpected argument '%s' (the secret is read from stdin)",
                               argv[optind]);
    if (!o->offer || !o->policy)
        return cli_usage_error("seal: --offer and --policy are required (see --help)");
    if (!o->name && (o->version || o->n_allow || o->owner_key || o->owner_id))
        return cli_usage_error("seal: --version, --allow-measurement and --owner-key need "
                               "--name");
    return 0;
}

/* The verified offer, or 1 after printing why it was refused. */
static int verify_offer(const struct seal_args *o, struct bptee_offer **offer)
{
    struct bptee_policy *pol = NULL;
    uint8_t *json = NULL;
    size_t len = 0;
    int rc = bptee_read_file(o->offer, BPTEE_WIRE_JSON_MAX, &json, &len);
    if (rc < 0) {
        fprintf(stderr, "bptee: seal: --offer %s: %s\n", o->offer, bptee_last_error());
        return 1;
    }
    if (client_load_policy("seal", o->policy, &pol) != 0) {
        bptee_free(json);
        return 1;
    }
    BPTEE_OPTS(bptee_verify_opts, vo, .at = o->at, .policy = pol);
    rc = bptee_offer_verify((const char *)json, len, o->has_nonce ? o->nonce : NULL, &vo, offer);
    bptee_free(json);
    bptee_policy_free(pol);
    if (rc < 0) {
        fprintf(stderr, "bptee: seal: refused: %s\n", bptee_last_error());
        return 1;
    }
    return 0;
}

static int write_sealed(const struct seal_args *o, const struct owner_client *c,
                        const struct bptee_offer *offer, struct bptee_sealed_payload *p)
{
    unsigned flags = o->base64 ? BPTEE_WIRE_JSON_BASE64 : 0;
    char *out = NULL;
    int rc;
    if (o->name) {
        struct bptee_provision_request req = {.name = (char *)o->name,
                                              .payload = p,
                                              .version = o->version,
                                              .allow_measurements = (char **)o->allow,
                                              .n_allow_measurements = o->n_allow};
        if (c->key) { /* the owner signs what it sends: this offer, payload and version */
            req.version = o->version ? o->version : 1;
            req.owner = (char *)c->owner_id;
            req.has_signature = true;
            if (owner_sign(c, BPTEE_OWNER_OP_PROVISION, offer, o->name, req.version, p,
                           req.signature) != 0)
                return 1;
        }
        rc = bptee_provision_request_to_json(&req, flags, &out);
    } else {
        rc = bptee_sealed_payload_to_json(p, flags, &out);
    }
    if (rc < 0)
        return cli_error("seal", rc);
    int bad = printf("%s\n", out) < 0 || fflush(stdout) != 0;
    bptee_free(out);
    if (bad)
        fprintf(stderr, "bptee: seal: cannot write the sealed payload to stdout\n");
    return bad;
}

int cmd_seal(int argc, char **argv)
{
    struct seal_args o = {0};
    struct bptee_offer *offer = NULL;
    struct bptee_sealed_payload *p = NULL;
    uint8_t *secret = NULL;
    size_t len = 0;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    struct owner_client c = {.cmd = "seal", .owner_id = o.owner_id};
    if ((rc = owner_load_key(&c, o.owner_key)) != 0)
        return rc;
    if (verify_offer(&o, &offer) != 0) {
        bptee_owner_key_free(c.key);
        return 1;
    }
    int status = client_read_secret("seal", "-", &secret, &len);
    if (status == 0) {
        rc = bptee_seal(o.scheme, bptee_offer_session_id(offer), secret, len,
                        bptee_offer_public_key(offer), BPTEE_X25519_KEY_LEN, &p);
        status = rc < 0 ? cli_error("seal", rc) : write_sealed(&o, &c, offer, p);
    }
    bptee_owner_key_free(c.key);
    client_wipe(secret, len);
    bptee_sealed_payload_free(p);
    bptee_offer_free(offer);
    return status;
}
