// SPDX-License-Identifier: Apache-2.0
/* Token verification: header alg and kid, the one key that kid selects, its x5c chain, the
 * signature, then exp (required), nbf and iat with the leeway. Claims beyond time are the
 * caller's policy (src/verify/policy_jwt.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt/internal.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/opts.h"
#include "util/json.h"

static int select_key(const struct bptee_jwks *s, const char *kid, enum jwt_alg alg,
                      const struct jwk **out)
{
    const struct jwk *found = NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (!s->keys[i].kid || strcmp(s->keys[i].kid, kid))
            continue;
        if (found)
            return fail(BPTEE_EVERIFY, "jwt: two JWKS keys have kid '%.80s'", kid);
        found = &s->keys[i];
    }
    if (!found)
        return fail(BPTEE_ENOTFOUND, "jwt: no JWKS key has kid '%.80s'", kid);
    if (!found->pkey || found->unusable[0])
        return fail(BPTEE_EVERIFY, "jwt: the JWKS key with kid '%.80s' is unusable: %s", kid,
                    found->unusable);
    if (found->alg && strcmp(found->alg, jwt_alg_name(alg)))
        return fail(BPTEE_EVERIFY, "jwt: the key with kid '%.80s' is for %.16s, the token says "
                                   "%s",
                    kid, found->alg, jwt_alg_name(alg));
    int rc = jwt_key_fits(alg, found->pkey);
    if (rc == 0)
        *out = found;
    return rc;
}

static int header_checks(const json_t *h, enum jwt_alg *alg, const char **kid)
{
    const json_t *a = json_object_get(h, "alg"), *k = json_object_get(h, "kid");
    if (!json_is_string(a))
        return fail(BPTEE_EPARSE, "jwt: header has no alg");
    int rc = jwt_alg_parse(json_string_value(a), alg);
    if (rc < 0)
        return rc;
    if (json_object_get(h, "crit"))
        return fail(BPTEE_EVERIFY, "jwt: header has critical extensions (\"crit\") bptee does "
                                   "not implement");
    if (!json_is_string(k))
        return fail(BPTEE_EPARSE, "jwt: header has no kid to select the key with");
    *kid = json_string_value(k);
    return 0;
}

/* A NumericDate: an integer, or a number with a fraction (RFC 7519 allows it). */
static int numeric_date(const json_t *p, const char *name, bool required, int64_t *out)
{
    const json_t *v = json_object_get(p, name);
    if (!v)
        return required ? fail(BPTEE_EVERIFY, "jwt: token has no %s", name) : 1;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 9.2e18)
        return fail(BPTEE_EPARSE, "jwt: %s is not a NumericDate", name);
    *out = json_is_integer(v) ? json_integer_value(v) : (int64_t)json_number_value(v);
    return 0;
}

static int time_checks(const json_t *p, int64_t at, int64_t leeway)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    int rc = numeric_date(p, "exp", true, &exp);
    if (rc < 0)
        return rc;
    if (at > exp + leeway)
        return fail(BPTEE_EEXPIRED, "jwt: token expired at %lld (verification time %lld, leeway "
                                    "%llds)",
                    (long long)exp, (long long)at, (long long)leeway);
    if ((rc = numeric_date(p, "nbf", false, &nbf)) < 0)
        return rc;
    if (rc == 0 && at < nbf - leeway)
        return fail(BPTEE_EEXPIRED, "jwt: token is not valid before %lld (verification time "
                                    "%lld)",
                    (long long)nbf, (long long)at);
    if ((rc = numeric_date(p, "iat", false, &iat)) < 0)
        return rc;
    if (rc == 0 && at < iat - leeway)
        return fail(BPTEE_EEXPIRED, "jwt: token issued at %lld, after the verification time "
                                    "%lld",
                    (long long)iat, (long long)at);
    return 0;
}

static int copy_opts(const struct bptee_jwt_verify_opts *in, struct bptee_jwt_verify_opts *o)
{
    int rc = opts_copy(in, o, sizeof *o, "jwt:");
    if (rc < 0)
        return rc;
    if (!o->jwks)
        return fail(BPTEE_EINVAL, "jwt: no JWKS to verify with (give one: --jwks FILE)");
    if (o->leeway_secs < 0 || o->leeway_secs > BPTEE_JWT_LEEWAY_MAX)
        return fail(BPTEE_EINVAL, "jwt: leeway %lld is outside 0..%d",
                    (long long)o->leeway_secs, BPTEE_JWT_LEEWAY_MAX);
    if (o->leeway_secs == 0)
        o->leeway_secs = BPTEE_JWT_LEEWAY_DEFAULT;
    if (o->at == 0)
        o->at = (int64_t)time(NULL);
    return 0;
}

int bptee_jwt_verify(const uint8_t *token, size_t len, const struct bptee_jwt_verify_opts *opts,
                     char **payload_json)
{
    if (!token || !opts || !payload_json)
        return fail(BPTEE_EINVAL, "jwt: missing argument");
    struct bptee_jwt_verify_opts o;
    struct jwt_parts p;
    enum jwt_alg alg;
    const char *kid = NULL;
    const struct jwk *key = NULL;
    int rc = copy_opts(opts, &o);
    if (rc < 0 || (rc = jwt_split(token, len, &p)) < 0)
        return rc;
    if ((rc = header_checks(p.header, &alg, &kid)) == 0 &&
        (rc = select_key(o.jwks, kid, alg, &key)) == 0 && (rc = jwk_x5c_check(key, o.at)) == 0 &&
        (rc = jwt_sig_verify(alg, key->pkey, &p)) == 0 &&
        (rc = time_checks(p.payload, o.at, o.leeway_secs)) == 0) {
        *payload_json = p.payload_text; /* the payload as signed, not re-encoded */
        p.payload_text = NULL;
    }
    jwt_parts_release(&p);
    return rc;
}
