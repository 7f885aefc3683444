// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: a secret owner's check of a key-exchange offer (bptee_offer_verify, the
 * KeyExchangeResponse of POST /v1/sessions) and of the agent's SealedSecretResult after it.
 *
 * The policy accepts the simulated SEV-SNP and TDX TEEs, so offers captured from a real agent on
 * the simulator (src/fuzz/seeds/captured) verify and the fuzzer works on everything after the
 * signature: the nonce choice, the key binding and the binding record. An offer that verifies
 * must accept the result naming its own evidence and key, and refuse one that names another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_json[] = "{\"sev_snp\":{\"allow_simulation\":true},"
                                  "\"tdx\":{\"allow_simulation\":true}}";

static const uint8_t client_nonce[32] = {
    0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
    0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
};

static void die(const char *what)
{
    fprintf(stderr, "fuzz_offer: %s: %s\n", what, bptee_last_error());
    abort();
}

/* The SealedSecretResult for offer o, with its key fingerprint's first digit changed when
 * wrong is set. */
static char *result_for(const struct bptee_offer *o, bool wrong)
{
    uint8_t fp[32];
    char hex[65], *json = NULL;
    crypto_hash_sha256(fp, bptee_offer_public_key(o), 32);
    sodium_bin2hex(hex, sizeof hex, fp, sizeof fp);
    if (wrong)
        hex[0] = hex[0] == '0' ? '1' : '0';
    struct bptee_sealed_secret_result r = {
        .success = true,
        .attestation_digest = (char *)bptee_offer_evidence_digest(o),
        .key_fingerprint = hex,
    };
    if (bptee_sealed_secret_result_to_json(&r, 0, &json) < 0)
        die("result does not serialize");
    return json;
}

static void check_results(const struct bptee_offer *o)
{
    char *good = result_for(o, false), *bad = result_for(o, true);
    if (bptee_offer_check_result(o, good, strlen(good)) != 0)
        die("the offer's own result is refused");
    if (bptee_offer_check_result(o, bad, strlen(bad)) == 0)
        die("a result for another key is accepted");
    bptee_free(good);
    bptee_free(bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bptee_policy *policy;
    if (!policy && bptee_policy_parse(policy_json, strlen(policy_json), &policy) < 0)
        die("policy");
    if (size > (1u << 20))
        return 0;
    struct bptee_verify_opts opts = {.sz = sizeof opts, .policy = policy};
    struct bptee_offer *o = NULL;
    /* Checked against the offer's own nonce, and against the one the client sent (the
     * nonce src/fuzz/seeds/capture.sh sends, so the captured offer echoes it). */
    const uint8_t *nonces[] = {NULL, client_nonce};
    for (size_t i = 0; i < sizeof nonces / sizeof nonces[0]; i++) {
        if (bptee_offer_verify((const char *)data, size, nonces[i], &opts, &o) == 0) {
            check_results(o);
            bptee_offer_free(o);
        }
    }
    return 0;
}
