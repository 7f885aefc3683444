// SPDX-License-Identifier: Apache-2.0
/* Result signing and injection for a 1 MiB JSON result (DESIGN.md budget: under 2 ms beyond
 * the job itself). The signing key is held in this process (the agent's round trip over its
 * socket is not included: the names say "local_key"); its evidence comes once from the
 * simulated TEE, as an agent attests once and signs many. The floor is a bare SHA-256 of the
 * same bytes, which no attestation of them can avoid. Verification of the result is measured
 * too (it includes the SEV-SNP evidence check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <bptee.h>

#include "bench/bench.h"

#define DOC_SIZE (1u << 20)

static struct bptee_result_signer *signer;
static struct bptee_job_identity id;
static char *doc;
static size_t doc_len;
static uint8_t *attested;
static size_t attested_len;
static struct bptee_verify_opts vopts;

static void die(const char *what)
{
    fprintf(stderr, "bench_result: %s: %s\n", what, bptee_last_error());
    exit(1);
}

/* A 1 MiB JSON object of rows, the shape of a typical job result. */
static void make_doc(void)
{
    doc = malloc(DOC_SIZE + 128);
    size_t n = (size_t)sprintf(doc, "{\"rows\":[");
    for (int i = 0; n < DOC_SIZE - 64; i++)
        n += (size_t)sprintf(doc + n, "%s{\"id\":%d,\"name\":\"row %d\",\"score\":%d.5}",
                             i ? "," : "", i, i, i * 3);
    n += (size_t)sprintf(doc + n, "]}\n");
    doc_len = n;
}

static int sign_inject_once(void)
{
    struct bptee_result_meta *m = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = bptee_result_attest(signer, &id, (const uint8_t *)doc, doc_len, &m);
    if (rc == 0)
        rc = bptee_result_inject(m, (const uint8_t *)doc, doc_len, &out, &len);
    bptee_free(out);
    bptee_result_meta_free(m);
    return rc;
}

static int sha256_once(void)
{
    unsigned char md[32];
    unsigned len = 0;
    return EVP_Digest(doc, doc_len, md, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int verify_once(void)
{
    struct bptee_result_verified v;
    BPTEE_OPTS(bptee_result_verify_opts, o, .evidence = &vopts);
    return bptee_result_verify(attested, attested_len, &o, &v, NULL);
}

static void setup(const char *state_dir)
{
    struct bptee_signing_key *key = NULL;
    struct bptee_policy *policy = NULL;
    struct bptee_result_meta *m = NULL;
    const char *argv[] = {"job", "--bench"};
    static const char allow_sim[] = "{\"sev_snp\":{\"allow_simulation\":true}}";
    BPTEE_OPTS(bptee_guest_opts, g, .provider = BPTEE_EVIDENCE_PROVIDER_SIM,
               .state_dir = state_dir);
    if (bptee_signing_key_new(&key) < 0 || bptee_signing_key_attest(key, &g, NULL) < 0 ||
        bptee_result_signer_from_key(key, &signer) < 0)
        die("signing key");
    if (bptee_job_identity_init(&id, "bench-job", "/proc/self/exe", argv, 2) < 0)
        die("identity");
    make_doc();
    if (bptee_result_attest(signer, &id, (const uint8_t *)doc, doc_len, &m) < 0 ||
        bptee_result_inject(m, (const uint8_t *)doc, doc_len, &attested, &attested_len) < 0)
        die("attest");
    bptee_result_meta_free(m);
    if (bptee_policy_parse(allow_sim, sizeof allow_sim - 1, &policy) < 0)
        die("policy");
    vopts = (struct bptee_verify_opts){.sz = sizeof vopts, .policy = policy};
    /* key and policy live for the whole run */
}

int main(void)
{
    char dir[] = "/tmp/bptee-bench-sim-XXXXXX";
    const char *state = secure_getenv("BENCH_SIM_DIR");
    if (!state && !(state = mkdtemp(dir)))
        die("mkdtemp");
    setup(state);
    double sign_rate, sha_rate, verify_rate;
    BENCH_RATE(sign_rate, sign_inject_once());
    BENCH_RATE(sha_rate, sha256_once());
    BENCH_RATE(verify_rate, verify_once());
    double sign_ms = 1e3 / sign_rate, sha_ms = 1e3 / sha_rate;
    printf("result_sign_inject_1mib_local_key: %.3f ms\n", sign_ms);
    printf("result_sign_inject_1mib_beyond_sha256: %.3f ms\n", sign_ms - sha_ms);
    printf("result_sign_inject_1mib_vs_sha256: %.2f ratio\n", sign_ms / sha_ms);
    printf("result_verify_1mib_with_evidence: %.3f ms\n", 1e3 / verify_rate);
    if (!secure_getenv("BENCH_SIM_DIR")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_result: could not remove %s\n", state);
    }
    return 0;
}
