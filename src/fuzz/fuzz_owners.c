// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the owners document (the config's "bptee.owners"): any input fails
 * cleanly or parses; a parsed document answers lookups and authorizations for names and ids
 * taken from the input without crashing, "open" authorizes everyone, and a closed document
 * never authorizes an owner it does not list. The same bytes go through the config setter,
 * which must agree with the parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_owners: %s: %s\n", what, bptee_last_error());
    abort();
}

/* A short printable word from the input, for names and ids. */
static void word(const uint8_t *data, size_t size, size_t at, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = at; i < size && n + 1 < cap; i++)
        out[n++] = data[i] >= 0x21 && data[i] < 0x7f ? (char)data[i] : 'x';
    out[n] = '\0';
}

static void probe(const struct bptee_owners *o, const uint8_t *data, size_t size)
{
    char name[130], id[66];
    uint8_t pk[32];
    word(data, size, size / 3, name, sizeof name);
    word(data, size, size / 2, id, sizeof id);
    int known = bptee_owners_public_key(o, id, pk) == 0;
    int allowed = bptee_owners_authorize(o, id, name) == 0;
    if (bptee_owners_is_open(o) && !allowed)
        die("an open document refused a write");
    if (!bptee_owners_is_open(o) && allowed && !known)
        die("a write was authorized for an owner the document does not list");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_owners *o = NULL;
    struct bptee_config *cfg = NULL;
    int rc = bptee_owners_from_json((const char *)data, size, &o);
    if (rc == 0)
        probe(o, data, size);
    bptee_owners_free(o);
    char *text = malloc(size + 1);
    if (!text || bptee_config_new(&cfg) < 0)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    /* Only inputs without a NUL are the same document for both readers. */
    if (strlen(text) == size) {
        int set = bptee_config_set_owners_json(cfg, text);
        if ((set == 0) != (rc == 0))
            die("the config setter and the parser disagree");
    }
    bptee_config_free(cfg);
    free(text);
    return 0;
}
