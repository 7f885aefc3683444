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

/* alg (asymmetric), no "crit", and the kid (*kid, to free). */
static int header_checks(const struct jwt_parts *p, enum jwt_alg *alg, char **kid)
{
    const struct json_span *a = &p->header[JWT_HDR_ALG], *k = &p->header[JWT_HDR_KID];
    if (a->kind != 's')
        return fail(BPTEE_EPARSE, "jwt: header has no alg");
    char *name = jwt_span_strdup(a);
    int rc = name ? jwt_alg_parse(name, alg) : fail(BPTEE_ENOMEM, "jwt: out of memory");
    free(name);
    if (rc < 0)
        return rc;
    if (p->header[JWT_HDR_CRIT].kind)
        return fail(BPTEE_EVERIFY, "jwt: header has critical extensions (\"crit\") bptee does "
                                   "not implement");
    if (k->kind != 's')
        return fail(BPTEE_EPARSE, "jwt: header has no kid to select the key with");
    return (*kid = jwt_span_strdup(k)) ? 0 : fail(BPTEE_ENOMEM, "jwt: out of memory");
}

/* A NumericDate: an integer, or a number with a fraction (RFC 7519 allows it). */
static int numeric_date(const struct jwt_parts *p, int which, bool required, int64_t *out)
{
    static const char *const names[JWT_CLAIM_COUNT] = {"exp", "nbf", "iat"};
    const struct json_span *v = &p->claims[which];
    double real = v->kind == 'r' ? json_scan_real(v->p) : 0;
    if (!v->kind)
        return required ? fail(BPTEE_EVERIFY, "jwt: token has no %s", names[which]) : 1;
    if ((v->kind == 'i' && (json_scan_int(v, out) < 0 || *out < 0)) ||
        (v->kind == 'r' && !(real >= 0 && real <= 9.2e18)) || (v->kind != 'i' && v->kind != 'r'))
        return fail(BPTEE_EPARSE, "jwt: %s is not a NumericDate", names[which]);
    if (v->kind == 'r')
        *out = (int64_t)real;
    return 0;
}

static int time_checks(const struct jwt_parts *p, int64_t at, int64_t leeway)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    int rc = numeric_date(p, JWT_CLAIM_EXP, true, &exp);
    if (rc < 0)
        return rc;
    if (at > exp + leeway)
        return fail(BPTEE_EEXPIRED, "jwt: token expired at %lld (verification time %lld, leeway "
                                    "%llds)",
                    (long long)exp, (long long)at, (long long)leeway);
    if ((rc = numeric_date(p, JWT_CLAIM_NBF, false, &nbf)) < 0)
        return rc;
    if (rc == 0 && at < nbf - leeway)
        return fail(BPTEE_EEXPIRED, "jwt: token is not valid before %lld (verification time "
                                    "%lld)",
                    (long long)nbf, (long long)at);
    if ((rc = numeric_date(p, JWT_CLAIM_IAT, false, &iat)) < 0)
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
    char *kid = NULL;
    const struct jwk *key = NULL;
    int rc = copy_opts(opts, &o);
    if (rc < 0 || (rc = jwt_split(token, len, &p)) < 0)
        return rc;
    if ((rc = header_checks(&p, &alg, &kid)) == 0 &&
        (rc = select_key(o.jwks, kid, alg, &key)) == 0 && (rc = jwk_x5c_check(key, o.at)) == 0 &&
        (rc = jwt_sig_verify(alg, key->pkey, key->prepared[alg], &p)) == 0 &&
        (rc = time_checks(&p, o.at, o.leeway_secs)) == 0) {
        *payload_json = p.payload_text; /* the payload as signed, not re-encoded */
        p.payload_text = NULL;
    }
    free(kid);
    jwt_parts_release(&p);
    return rc;
}
