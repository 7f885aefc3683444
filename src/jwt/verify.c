// SPDX-License-Identifier: Apache-2.0
/* Token verification: header alg, the signing key (the one kid selects in the key set, or the
 * leaf of a header x5c chain that leads to a pinned root, or both agreeing), its certificates,
 * the signature, then exp (required), nbf and iat with the leeway, and the signing
 * certificate's validity at iat. Claims beyond time are the caller's policy
 * (src/verify/policy_jwt.c). */
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

/* alg (asymmetric), and no "crit". */
static int header_checks(const struct jwt_parts *p, enum jwt_alg *alg)
{
    const struct json_span *a = &p->header[JWT_HDR_ALG];
    if (a->kind != 's')
        return fail(BPTEE_EPARSE, "jwt: header has no alg");
    char *name = jwt_span_strdup(a);
    int rc = name ? jwt_alg_parse(name, alg) : fail(BPTEE_ENOMEM, "jwt: out of memory");
    free(name);
    if (rc == 0 && p->header[JWT_HDR_CRIT].kind)
        rc = fail(BPTEE_EVERIFY, "jwt: header has critical extensions (\"crit\") bptee does not "
                                 "implement");
    return rc;
}

/* The key that signs the token, and the certificate that carries it (if any). */
struct signer {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *prepared;
    X509 *cert;
    STACK_OF(X509) *header_chain;
};

/* The header's x5c, leading to a pinned root. Rare, so the header is parsed whole here. */
static int header_chain(const struct jwt_parts *p, const struct bptee_jwt_verify_opts *o,
                        STACK_OF(X509) **chain)
{
    json_t *h = NULL;
    int rc = json_parse_capped(p->header_text, p->header_len, BPTEE_JWT_MAX, "jwt: header", &h);
    if (rc == 0)
        rc = jwt_x5c_read(json_object_get(h, "x5c"), "header", chain);
    json_decref(h);
    return rc < 0 ? rc : jwt_x5c_pinned(*chain, o->x5c_roots, o->x5c_roots_len, o->at);
}

/* From the key set by kid (the header's x5c leaf, when there is one, must carry that key), or
 * from the header's x5c leaf alone when no key set is given. */
static int find_signer(const struct jwt_parts *p, const struct bptee_jwt_verify_opts *o,
                       enum jwt_alg alg, struct signer *s)
{
    int rc = p->header[JWT_HDR_X5C].kind ? header_chain(p, o, &s->header_chain) : 0;
    X509 *leaf = s->header_chain ? sk_X509_value(s->header_chain, 0) : NULL;
    if (rc < 0)
        return rc;
    if (!o->jwks) {
        if (!leaf)
            return fail(BPTEE_EINVAL, "jwt: no JWKS to verify with (give one: --jwks FILE or "
                                      "URL)");
        s->pkey = X509_get0_pubkey(leaf);
        s->cert = leaf;
        return s->pkey ? jwt_key_fits(alg, s->pkey)
                       : fail_openssl(BPTEE_EVERIFY, "jwt: header x5c[0] has no usable key");
    }
    const struct json_span *k = &p->header[JWT_HDR_KID];
    if (k->kind != 's')
        return fail(BPTEE_EPARSE, "jwt: header has no kid to select the key with");
    const struct jwk *key = NULL;
    char *kid = jwt_span_strdup(k);
    rc = kid ? select_key(o->jwks, kid, alg, &key) : fail(BPTEE_ENOMEM, "jwt: out of memory");
    free(kid);
    if (rc == 0)
        rc = jwk_x5c_check(key, o->at);
    if (rc == 0 && leaf && EVP_PKEY_eq(key->pkey, X509_get0_pubkey(leaf)) != 1)
        rc = fail(BPTEE_EVERIFY, "jwt: the header's x5c leaf does not carry the key kid "
                                 "selects");
    if (rc == 0) {
        s->pkey = key->pkey;
        s->prepared = key->prepared[alg];
        s->cert = leaf ? leaf : key->x5c ? sk_X509_value(key->x5c, 0) : NULL;
    }
    return rc;
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

/* A certificate's key signs only while the certificate is valid: at iat too. */
static int cert_at_iat(const struct jwt_parts *p, X509 *cert)
{
    int64_t iat = 0;
    int rc = cert ? numeric_date(p, JWT_CLAIM_IAT, false, &iat) : 1;
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return jwt_cert_valid_at(cert, iat)
               ? 0
               : fail(BPTEE_EEXPIRED, "jwt: the certificate carrying the signing key was not "
                                      "valid when the token was issued (iat %lld)",
                      (long long)iat);
}

static int copy_opts(const struct bptee_jwt_verify_opts *in, struct bptee_jwt_verify_opts *o)
{
    int rc = opts_copy(in, o, sizeof *o, "jwt:");
    if (rc < 0)
        return rc;
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
    struct signer signer = {0};
    enum jwt_alg alg;
    int rc = copy_opts(opts, &o);
    if (rc < 0 || (rc = jwt_split(token, len, &p)) < 0)
        return rc;
    if ((rc = header_checks(&p, &alg)) == 0 && (rc = find_signer(&p, &o, alg, &signer)) == 0 &&
        (rc = jwt_sig_verify(alg, signer.pkey, signer.prepared, &p)) == 0 &&
        (rc = time_checks(&p, o.at, o.leeway_secs)) == 0 &&
        (rc = cert_at_iat(&p, signer.cert)) == 0) {
        *payload_json = p.payload_text; /* the payload as signed, not re-encoded */
        p.payload_text = NULL;
    }
    sk_X509_pop_free(signer.header_chain, X509_free);
    jwt_parts_release(&p);
    return rc;
}
