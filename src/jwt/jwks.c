// SPDX-License-Identifier: Apache-2.0
/* A JSON Web Key Set: {"keys": [...]}, capped in size and count, read strictly. */
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

void bptee_jwks_free(struct bptee_jwks *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        jwk_release(&s->keys[i]);
    free(s);
}

size_t bptee_jwks_count(const struct bptee_jwks *s)
{
    return s ? s->n : 0;
}

int bptee_jwks_parse(const char *json, size_t len, struct bptee_jwks **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "jwt: missing argument");
    _cleanup_json_ json_t *root = NULL;
    int rc = json_parse_capped(json, len, BPTEE_JWKS_MAX, "jwt: JWKS", &root);
    if (rc < 0)
        return rc;
    const json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys) || json_array_size(keys) == 0)
        return fail(BPTEE_EPARSE, "jwt: JWKS has no \"keys\" array with keys in it");
    if (json_array_size(keys) > BPTEE_JWKS_KEYS_MAX)
        return fail(BPTEE_ELIMIT, "jwt: JWKS has more than %d keys", BPTEE_JWKS_KEYS_MAX);
    struct bptee_jwks *s = calloc(1, sizeof *s);
    if (!s)
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    for (size_t i = 0; i < json_array_size(keys); i++, s->n++)
        if ((rc = jwk_read(json_array_get(keys, i), i, &s->keys[i])) < 0) {
            bptee_jwks_free(s);
            return rc;
        }
    *out = s;
    return 0;
}

int bptee_jwks_load(const char *path, struct bptee_jwks **out)
{
    if (!path || !out)
        return fail(BPTEE_EINVAL, "jwt: missing argument");
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_JWKS_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "jwt: JWKS");
    rc = len ? bptee_jwks_parse((const char *)data, len, out)
             : fail(BPTEE_EPARSE, "jwt: JWKS %s is empty", path);
    free(data);
    return rc;
}
