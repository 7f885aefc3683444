// SPDX-License-Identifier: Apache-2.0
/* bptee audit: the agent's access log. `fetch` saves GET /v1/audit (optionally over a nonce, so
 * the signature proves freshness); `verify` checks a saved log offline -- every entry against
 * the hash chain, the signature over its head, and the signing key's evidence under a policy --
 * and lists the entries (optionally one secret's), so an owner sees which programs read it. */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/agent_client.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/owner_client.h"

struct audit_args {
    const char *file, *policy, *agent, *name, *out, *owner_key, *owner_id, *log;
    uint8_t nonce[32];
    bool has_nonce, quiet;
    int64_t at;
};

static void audit_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee audit verify FILE --policy POLICY.json [--nonce HEX] [--name NAME]\n"
            "                          [--at TIME] [--quiet] [--log AUDIT.jsonl]\n"
            "       bptee audit verify --log AUDIT.jsonl\n"
            "       bptee audit fetch --agent URL [--nonce HEX] [-o FILE]\n"
            "                         [--owner-key FILE --owner-id ID --policy POLICY.json]\n\n"
            "The agent's access log (docs/agent.md, \"Audit\"; docs/formats.md, \"Audit log\").\n\n"
            "  verify   check a saved log: each entry's hash, the sequence, the chain to the\n"
            "           signed head, the signature, and the signing key's evidence under the\n"
            "           policy; then list the entries (--name: only that secret's)\n"
            "           --log: also the agent's --audit-log file and its rotated files\n"
            "           (FILE.1, FILE.2, ...): one unbroken chain across them, and, with a\n"
            "           signed FILE, holding the signed head\n"
            "  fetch    save GET /v1/audit (signed over --nonce when given); an agent with\n"
            "           owners answers only an owner: --owner-key and --owner-id sign the\n"
            "           read over a fresh session whose offer must verify under --policy\n\n"
            "  --nonce HEX   32 bytes (64 hex digits) the log must be signed over\n\n"
            "Exit status: 0 verified (or fetched), 1 refused with the reason, 2 usage.\n");
}

static int parse_opt(int c, const char *arg, struct audit_args *o)
{
    switch (c) {
    case 'p':
        o->policy = arg;
        return 0;
    case 'A':
        o->agent = arg;
        return 0;
    case 'N':
        o->name = arg;
        return 0;
    case 'o':
        o->out = arg;
        return 0;
    case 'K':
        o->owner_key = arg;
        return 0;
    case 'I':
        o->owner_id = arg;
        return 0;
    case 'L':
        o->log = arg;
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    case 'a':
        return client_parse_time("audit", arg, &o->at);
    case 'n':
        o->has_nonce = true;
        return client_hex32("audit", "--nonce", arg, o->nonce);
    default:
        return cli_usage_error("audit: unknown or incomplete option (see --help)");
    }
}

static int parse_args(int argc, char **argv, struct audit_args *o)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"agent", required_argument, NULL, 'A'},
        {"name", required_argument, NULL, 'N'},   {"nonce", required_argument, NULL, 'n'},
        {"at", required_argument, NULL, 'a'},     {"quiet", no_argument, NULL, 'q'},
        {"owner-key", required_argument, NULL, 'K'}, {"owner-id", required_argument, NULL, 'I'},
        {"log", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            audit_usage(stdout);
            return 1;
        }
        if (c == '?')
            return cli_usage_error("audit: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        if ((rc = parse_opt(c, optarg, o)) != 0)
            return rc;
    }
    if (optind < argc)
        o->file = argv[optind++];
    if (optind < argc)
        return cli_usage_error("audit: unexpected argument '%s'", argv[optind]);
    return 0;
}

/* One entry, one line: when, what, which secret and version, who. */
static void print_entry(json_t *e)
{
    char when[32] = "?";
    time_t t = (time_t)json_integer_value(json_object_get(e, "time"));
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *name = json_string_value(json_object_get(e, "name"));
    const char *m = json_string_value(json_object_get(e, "measurement"));
    const char *owner = json_string_value(json_object_get(e, "owner"));
    const char *job = json_string_value(json_object_get(e, "job_id"));
    const char *detail = json_string_value(json_object_get(e, "detail"));
    printf("%5lld %s %-9s %s", (long long)json_integer_value(json_object_get(e, "seq")), when,
           json_string_value(json_object_get(e, "event")), name ? name : "-");
    if (name)
        printf(" v%lld", (long long)json_integer_value(json_object_get(e, "version")));
    if (owner)
        printf(" owner %s", owner);
    if (json_object_get(e, "pid"))
        printf(" pid %lld uid %lld binary %.16s", (long long)json_integer_value(json_object_get(e, "pid")),
               (long long)json_integer_value(json_object_get(e, "uid")), m ? m : "unmeasured");
    if (job)
        printf(" job %s", job);
    if (detail)
        printf(" (%s)", detail);
    putchar('\n');
}

static void print_entries(const char *text, size_t len, const char *only)
{
    json_t *root = json_loadb(text, len, 0, NULL), *e;
    size_t i;
    json_array_foreach(json_object_get(root, "entries"), i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!only || (name && !strcmp(name, only)))
            print_entry(e);
    }
    json_decref(root);
}

/* The --audit-log files: one chain; with a verified export (data), holding its signed head. */
static int verify_log(const struct audit_args *o, const char *data, size_t len)
{
    struct bptee_audit_file_verified fv = {0};
    uint8_t head[32];
    json_t *doc = data ? json_loadb(data, len, 0, NULL) : NULL;
    const char *hex = json_string_value(json_object_get(doc, "head"));
    json_int_t first = json_integer_value(json_object_get(doc, "first_seq"));
    json_int_t count = json_integer_value(json_object_get(doc, "count"));
    size_t n = 0;
    int status = 0;
    if (data && count > 0)
        fv.find_seq = (uint64_t)(first + count - 1);
    if (bptee_audit_file_verify(o->log, &fv) < 0) {
        fprintf(stderr, "bptee: audit verify: --log %s: refused: %s\n", o->log,
                bptee_last_error());
        status = 1;
    } else if (fv.find_seq && (!hex || sodium_hex2bin(head, 32, hex, 64, NULL, &n, NULL) ||
                               n != 32 || !fv.found || sodium_memcmp(head, fv.found_hash, 32))) {
        fprintf(stderr, "bptee: audit verify: --log %s: refused: the signed head (entry %llu) "
                "is not in the file's chain\n", o->log, (unsigned long long)fv.find_seq);
        status = 1;
    } else {
        printf("audit file verified: %llu entries in %zu file(s), one chain%s (seq %llu to "
               "%llu)%s\n", (unsigned long long)fv.entries, fv.files,
               fv.starts_at_beginning ? " from the start" : "",
               (unsigned long long)fv.first_seq, (unsigned long long)fv.last_seq,
               fv.find_seq ? ", holding the signed head" : "");
    }
    json_decref(doc);
    return status;
}

static int verify(const struct audit_args *o)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct bptee_policy *pol = NULL;
    struct bptee_audit_verified v = {0};
    char key[65];
    if (!o->file && o->log)
        return verify_log(o, NULL, 0);
    if (!o->file || !o->policy)
        return cli_usage_error("audit verify: FILE and --policy are required (see --help)");
    if (bptee_read_file(o->file, BPTEE_AUDIT_JSON_MAX, &data, &len) < 0) {
        fprintf(stderr, "bptee: audit verify: %s\n", bptee_last_error());
        return 1;
    }
    int status = client_load_policy("audit verify", o->policy, &pol);
    BPTEE_OPTS(bptee_verify_opts, vo, .at = o->at, .policy = pol);
    if (status == 0 && bptee_audit_verify((const char *)data, len, &vo,
                                          o->has_nonce ? o->nonce : NULL, &v) < 0) {
        fprintf(stderr, "bptee: audit verify: %s: refused: %s\n", o->file, bptee_last_error());
        status = 1;
    }
    if (status == 0) {
        if (!o->quiet)
            print_entries((const char *)data, len, o->name);
        sodium_bin2hex(key, sizeof key, v.signing_key, sizeof v.signing_key);
        printf("audit log verified: %llu entries (seq %llu to %llu), signed by %s%s\n",
               (unsigned long long)v.count, (unsigned long long)v.first_seq,
               (unsigned long long)(v.first_seq + v.count - (v.count > 0)), key,
               bptee_report_simulated(v.evidence) ? " (evidence from the SIMULATED TEE)" : "");
        if (o->log)
            status = verify_log(o, (const char *)data, len);
    }
    bptee_report_free(v.evidence);
    bptee_policy_free(pol);
    bptee_free(data);
    return status;
}

/* An owner id in a query: '+' and '@' percent-encoded ('+' would read as a space). */
static void query_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 4 < cap; in++)
        o += (size_t)(strchr("+@", *in) ? snprintf(out + o, cap - o, "%%%02X", (unsigned)*in)
                                        : snprintf(out + o, cap - o, "%c", *in));
    out[o] = '\0';
}

/* The owner's signature over a fresh session, as GET /v1/audit's query arguments. */
static int sign_read(struct owner_client *c, char *query, size_t cap)
{
    struct bptee_offer *offer = NULL;
    uint8_t sig[64];
    char hex[129], owner[3 * BPTEE_OWNER_ID_MAX + 1];
    int status = owner_get_offer(c, "audit", &offer);
    if (status == 0)
        status = owner_sign(c, BPTEE_OWNER_OP_AUDIT_READ, offer, BPTEE_OWNER_AUDIT_NAME, 1, NULL,
                            sig);
    if (status == 0) {
        sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
        query_escape(c->owner_id, owner, sizeof owner);
        snprintf(query, cap, "session_id=%s&owner=%s&signature=%s",
                 bptee_offer_session_id(offer), owner, hex);
    }
    bptee_offer_free(offer);
    return status;
}

static int fetch(const struct audit_args *o)
{
    char path[600] = "/v1/audit", hex[65], query[500] = "";
    struct http_body resp = {0};
    struct bptee_policy *pol = NULL;
    if (!o->agent || o->file)
        return cli_usage_error("audit fetch: --agent URL is required, and no FILE (use -o)");
    if (o->owner_key && !o->policy)
        return cli_usage_error("audit fetch: --owner-key needs --policy (the offer it signs "
                               "over must verify)");
    struct owner_client c = {.cmd = "audit fetch", .agent = o->agent, .timeout = 30,
                             .at = o->at, .owner_id = o->owner_id};
    int status = owner_load_key(&c, o->owner_key);
    if (status != 0)
        return status;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        status = 1;
    if (status == 0 && c.key && (status = client_load_policy("audit fetch", o->policy, &pol)) == 0) {
        c.policy = pol;
        status = sign_read(&c, query, sizeof query);
    }
    if (o->has_nonce)
        sodium_bin2hex(hex, sizeof hex, o->nonce, sizeof o->nonce);
    snprintf(path, sizeof path, "/v1/audit%s%s%s%s%s", o->has_nonce || query[0] ? "?" : "",
             o->has_nonce ? "nonce=" : "", o->has_nonce ? hex : "",
             o->has_nonce && query[0] ? "&" : "", query);
    if (status == 0)
        status = owner_http_ok(&c, "GET /v1/audit", "GET", path, NULL, &resp);
    if (status == 0 && o->out && bptee_write_file(o->out, resp.data, resp.len, 0644) < 0) {
        fprintf(stderr, "bptee: audit fetch: %s\n", bptee_last_error());
        status = 1;
    } else if (status == 0 && !o->out) {
        fwrite(resp.data, 1, resp.len, stdout);
        putchar('\n');
    }
    free(resp.data);
    bptee_policy_free(pol);
    bptee_owner_key_free(c.key);
    return status;
}

int cmd_audit(int argc, char **argv)
{
    struct audit_args o = {0};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        audit_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "verify") && strcmp(argv[1], "fetch"))
        return cli_usage_error("audit: unknown subcommand '%s' (verify or fetch)", argv[1]);
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    return !strcmp(argv[1], "verify") ? verify(&o) : fetch(&o);
}
