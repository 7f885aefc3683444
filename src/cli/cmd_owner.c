// SPDX-License-Identifier: Apache-2.0
/* bptee owner: secret owners' keys. `keygen` makes an Ed25519 key pair: PREFIX.key (the private
 * key, mode 0600, written atomically, never overwritten) and PREFIX.pub, and prints the line
 * that goes into the agent's owners config. `show` prints that line again for an existing key
 * (refusing a key file that group or others can read, as every user of the key does). */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"

static void owner_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee owner keygen --out PREFIX [--id ID]\n"
            "       bptee owner show --key FILE [--id ID]\n\n"
            "Secret owners' Ed25519 keys (docs/agent.md, \"Owners\").\n\n"
            "  keygen   write PREFIX.key (private, mode 0600; an existing file is never\n"
            "           overwritten) and PREFIX.pub, and print the owner's entry for the\n"
            "           agent's config: {\"id\": ID, \"public_key\": HEX}\n"
            "  show     print that entry for an existing private key\n\n"
            "  --id ID  the owner id (1 to 64 of A-Z a-z 0-9 . _ @ + -); default: the file\n"
            "           name without directory and suffix\n\n"
            "A private key file that group or others can read or write is refused wherever it\n"
            "is used. Exit status: 0 done, 1 failure, 2 usage.\n");
}

/* The owner's config entry, one line of JSON. */
static int entry_line(const struct bptee_owner_key *k, const char *id, char *out, size_t cap)
{
    uint8_t pk[32];
    char hex[65];
    bptee_owner_key_public(k, pk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    int n = snprintf(out, cap, "{\"id\": \"%s\", \"public_key\": \"%s\"}\n", id, hex);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* The default id: the path's last component without its suffix. */
static const char *default_id(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, cap, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf && (!strcmp(dot, ".key") || !strcmp(dot, ".pub")))
        *dot = '\0';
    return buf;
}

static int keygen(const char *prefix, const char *id)
{
    char key_path[4096], pub_path[4096], line[256];
    struct bptee_owner_key *k = NULL;
    if (snprintf(key_path, sizeof key_path, "%s.key", prefix) >= (int)sizeof key_path ||
        snprintf(pub_path, sizeof pub_path, "%s.pub", prefix) >= (int)sizeof pub_path)
        return cli_usage_error("owner keygen: --out: path too long");
    int rc = bptee_owner_key_generate(&k);
    if (rc == 0)
        rc = bptee_owner_key_save(k, key_path);
    if (rc == 0 && entry_line(k, id, line, sizeof line) < 0)
        rc = BPTEE_EINVAL;
    if (rc == 0)
        rc = bptee_write_file(pub_path, line, strlen(line), 0644);
    bptee_owner_key_free(k);
    if (rc < 0) {
        fprintf(stderr, "bptee: owner keygen: %s\n", bptee_last_error());
        return 1;
    }
    fprintf(stderr, "bptee: owner keygen: wrote %s (private, mode 0600) and %s\n", key_path,
            pub_path);
    fputs(line, stdout);
    return 0;
}

static int show(const char *path, const char *id)
{
    char line[256];
    struct bptee_owner_key *k = NULL;
    int rc = bptee_owner_key_load(path, &k);
    if (rc == 0 && entry_line(k, id, line, sizeof line) > 0)
        fputs(line, stdout);
    bptee_owner_key_free(k);
    if (rc < 0) {
        fprintf(stderr, "bptee: owner show: %s\n", bptee_last_error());
        return 1;
    }
    return 0;
}

int cmd_owner(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"key", required_argument, NULL, 'k'},
        {"id", required_argument, NULL, 'i'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *key = NULL, *id = NULL;
    char buf[256];
    int c;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        owner_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "keygen") && strcmp(sub, "show"))
        return cli_usage_error("owner: unknown subcommand '%s' (keygen or show)", sub);
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            owner_usage(stdout);
            return 0;
        }
        if (c == '?')
            return cli_usage_error("owner: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        *(c == 'o' ? &out : c == 'k' ? &key : &id) = optarg;
    }
    if (optind < argc)
        return cli_usage_error("owner: unexpected argument '%s'", argv[optind]);
    const char *path = !strcmp(sub, "keygen") ? out : key;
    if (!path)
        return cli_usage_error("owner %s: %s is required (see --help)", sub,
                               !strcmp(sub, "keygen") ? "--out PREFIX" : "--key FILE");
    if (!id)
        id = default_id(path, buf, sizeof buf);
    if (bptee_owner_id_check(id) < 0)
        return cli_usage_error("owner %s: --id: %s", sub, bptee_last_error());
    return !strcmp(sub, "keygen") ? keygen(out, id) : show(key, id);
}
