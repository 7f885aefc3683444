/* SPDX-License-Identifier: Apache-2.0 */
/* What the owners module's source files share (private to the module). */
#ifndef BPTEE_OWNERS_PRIVATE_H
#define BPTEE_OWNERS_PRIVATE_H

#include <bptee/owners.h>

struct owner {
    char id[BPTEE_OWNER_ID_MAX + 1];
    uint8_t public_key[32];
};

/* One rule: a secret name, or a prefix (the pattern ended in '*'; "" matches every name). */
struct owner_rule {
    char *pattern; /* without the '*' */
    bool prefix;
    size_t *owners; /* indexes into owners[] */
    size_t n_owners;
};

struct bptee_owners {
    bool open;
    struct owner *owners;
    size_t n_owners;
    struct owner_rule *rules;
    size_t n_rules;
};

/* 1 if c may appear in an owner id. */
int owner_id_char(int c);

#endif
