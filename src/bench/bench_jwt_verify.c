// SPDX-License-Identifier: Apache-2.0
/* JWT verification (split, base64url, header and payload JSON, key selection, signature, time
 * claims) against its physical floor: one bare OpenSSL RSA-2048 PKCS#1 v1.5 SHA-256 verify of
 * the same signing input with the same key. Real Azure Attestation token (SEV-SNP CVM,
 * 2024-12-20) at a time inside its validity. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"

#define ROUNDS 5 /* best of five: the machine is shared and a single round varies by a third */
#define AT 1734719700

struct fixture {
    uint8_t *tok;
    size_t tok_len;
    struct bptee_jwks *jwks;
    EVP_PKEY *pkey;
    uint8_t sig[512];
    size_t sig_len, signing_len;
};

static uint8_t *load(const char *vectors, const char *rel, size_t *len)
{
    char path[1024];
    uint8_t *data = NULL;
    snprintf(path, sizeof path, "%s/%s", vectors, rel);
    if (bptee_read_file(path, 1u << 20, &data, len) < 0) {
        fprintf(stderr, "bench: %s\n", bptee_last_error());
        exit(1);
    }
    return data;
}

/* The floor's inputs: the signing key from the token's key set (its n and e) and the raw
 * signature, decoded here with OpenSSL so the floor shares no code with bptee. */
static void bare_inputs(struct fixture *f, const char *n_b64, const char *e_b64)
{
    unsigned char n[512], e[8];
    char buf[1024];
    int nl, el;
    for (const char **s = (const char *[]){n_b64, e_b64, NULL}; *s; s++) {
        size_t l = strlen(*s), k = 0;
        for (size_t i = 0; i < l; i++)
            buf[k++] = (*s)[i] == '-' ? '+' : (*s)[i] == '_' ? '/' : (*s)[i];
        while (k % 4)
            buf[k++] = '=';
        buf[k] = '\0';
        int out = EVP_DecodeBlock(*s == n_b64 ? n : e, (unsigned char *)buf, (int)k);
        int pad = (int)(k - l) > 0 ? (int)(k - l) : 0;
        if (*s == n_b64)
            nl = out - pad;
        else
            el = out - pad;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_BN("n", n, (size_t)nl), OSSL_PARAM_BN("e", e, (size_t)el),
                           OSSL_PARAM_END};
    /* OSSL_PARAM_BN takes native-endian numbers: reverse the big-endian bytes */
    for (int i = 0; i < nl / 2; i++) {
        unsigned char t = n[i];
        n[i] = n[nl - 1 - i];
        n[nl - 1 - i] = t;
    }
    for (int i = 0; i < el / 2; i++) {
        unsigned char t = e[i];
        e[i] = e[el - 1 - i];
        e[el - 1 - i] = t;
    }
    const char *dot2 = strrchr((const char *)f->tok, '.');
    f->signing_len = (size_t)(dot2 - (const char *)f->tok);
    size_t sl = f->tok_len - f->signing_len - 1, k = 0;
    while (sl && (dot2[sl] == '\n' || dot2[sl] == '\r'))
        sl--;
    for (size_t i = 1; i <= sl; i++)
        buf[k++] = dot2[i] == '-' ? '+' : dot2[i] == '_' ? '/' : dot2[i];
    size_t pad = 0;
    while (k % 4)
        buf[k++] = '=', pad++;
    int out = EVP_DecodeBlock(f->sig, (unsigned char *)buf, (int)k);
    f->sig_len = (size_t)out - pad;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &f->pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 || out <= 0) {
        fprintf(stderr, "bench: cannot prepare the bare verify\n");
        exit(1);
    }
    EVP_PKEY_CTX_free(ctx);
}

static int verify_jwt(const struct fixture *f)
{
    char *payload = NULL;
    BPTEE_OPTS(bptee_jwt_verify_opts, o, .at = AT, .jwks = f->jwks);
    int rc = bptee_jwt_verify(f->tok, f->tok_len, &o, &payload);
    bptee_free(payload);
    return rc;
}

static int verify_bare(const struct fixture *f)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->pkey) == 1 &&
             EVP_DigestVerify(ctx, f->sig, f->sig_len, f->tok, f->signing_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    struct fixture f = {0};
    size_t jl = 0;
    f.tok = load(vectors, "maa/sevsnp-cvm/token_2024-12-20.jwt", &f.tok_len);
    uint8_t *js = load(vectors, "maa/sevsnp-cvm/sharedeus2_key.jwks.json", &jl);
    if (bptee_jwks_parse((const char *)js, jl, &f.jwks) < 0) {
        fprintf(stderr, "bench: %s\n", bptee_last_error());
        return 1;
    }
    /* n and e of the set's one key, for the floor */
    char *n = strstr((char *)js, "\"n\": \""), *e = strstr((char *)js, "\"e\": \"");
    if (!n || !e) {
        fprintf(stderr, "bench: the key set has no n and e\n");
        return 1;
    }
    n += 6;
    e += 6;
    *strchr(n, '"') = '\0';
    *strchr(e, '"') = '\0';
    bare_inputs(&f, n, e);
    if (verify_jwt(&f) != 0 || verify_bare(&f) != 0) {
        fprintf(stderr, "bench: the vector does not verify: %s\n", bptee_last_error());
        return 1;
    }
    double toks, bare;
    BENCH_PAIR(ROUNDS, toks, verify_jwt(&f), bare, verify_bare(&f));
    printf("jwt_verify: %.0f /s\n", toks);
    printf("rsa2048_verify_bare: %.0f /s\n", bare);
    printf("jwt_verify_vs_rsa2048: %.3f ratio\n", toks / bare);
    bptee_jwks_free(f.jwks);
    EVP_PKEY_free(f.pkey);
    bptee_free(f.tok);
    bptee_free(js);
    return 0;
}
