// SPDX-License-Identifier: Apache-2.0
/* Key-exchange sessions created and consumed per second against the floor of the same work
 * done bare: one X25519 key generation and one X25519 exchange (DESIGN.md: at least 50%).
 *
 * A TEE's share of a session is exactly that work (create = keygen, open = exchange) plus the
 * bookkeeping around it; the client's sealing is a second keygen and exchange on another
 * machine. So the server figure times create + consume + open and leaves the client's seal
 * (needed to have something to open) out of the clock; the full figure times all of it. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"

#define ROUNDS 5

static struct bptee_auth_service *svc;
static const uint8_t secret[32] = "a 32-byte secret for the bench!";
static uint8_t peer_pk[crypto_scalarmult_BYTES];

static int create(char *sid, uint8_t *pk)
{
    return bptee_auth_service_create_session(svc, sid, pk);
}

static int open_payload(struct bptee_sealed_payload *p)
{
    uint8_t out[sizeof secret];
    size_t n = 0;
    int r = bptee_auth_service_open(svc, p, out, sizeof out, &n, NULL);
    bptee_sealed_payload_free(p);
    return r != 0 || n != sizeof secret || memcmp(out, secret, n) != 0;
}

static int full_round(void)
{
    char sid[BPTEE_SESSION_ID_SIZE];
    uint8_t pk[BPTEE_X25519_KEY_LEN];
    struct bptee_sealed_payload *p = NULL;
    if (create(sid, pk) != 0 ||
        bptee_seal(BPTEE_SEAL_V1, sid, secret, sizeof secret, pk, sizeof pk, &p) != 0)
        return 1;
    return open_payload(p);
}

/* The server's side only: the clock stops while the client seals. */
static double server_rate(void)
{
    double budget = bench_budget(), spent = 0;
    long n = 0;
    while (spent < budget) {
        char sid[BPTEE_SESSION_ID_SIZE];
        uint8_t pk[BPTEE_X25519_KEY_LEN];
        struct bptee_sealed_payload *p = NULL;
        double t0 = bench_now();
        int bad = create(sid, pk);
        double t1 = bench_now();
        bad = bad || bptee_seal(BPTEE_SEAL_V1, sid, secret, sizeof secret, pk, sizeof pk, &p);
        double t2 = bench_now();
        bad = bad || open_payload(p);
        double t3 = bench_now();
        if (bad) {
            fprintf(stderr, "bench: exchange session failed: %s\n", bptee_last_error());
            exit(1);
        }
        spent += (t1 - t0) + (t3 - t2);
        n++;
    }
    return (double)n / spent;
}

static int bare_keygen_dh(void)
{
    uint8_t sk[crypto_scalarmult_SCALARBYTES], pk[crypto_scalarmult_BYTES];
    uint8_t shared[crypto_scalarmult_BYTES];
    randombytes_buf(sk, sizeof sk);
    crypto_scalarmult_base(pk, sk);
    int r = crypto_scalarmult(shared, sk, peer_pk);
    sodium_memzero(sk, sizeof sk);
    return r;
}

int main(void)
{
    uint8_t sk[crypto_scalarmult_SCALARBYTES];
    double server[ROUNDS], full[ROUNDS], bare[ROUNDS], server_q[ROUNDS], full_q[ROUNDS];
    if (sodium_init() < 0 || bptee_auth_service_new(300, 1024, &svc) != 0) {
        fprintf(stderr, "bench_exchange: setup failed: %s\n", bptee_last_error());
        return 1;
    }
    randombytes_buf(sk, sizeof sk);
    crypto_scalarmult_base(peer_pk, sk);
    /* Rounds alternate the three loops, so each round's ratios compare figures taken under the
     * same load; the medians over the rounds are reported. */
    for (int r = 0; r < ROUNDS; r++) {
        BENCH_RATE(bare[r], bare_keygen_dh());
        server[r] = server_rate();
        BENCH_RATE(full[r], full_round());
        server_q[r] = server[r] / bare[r];
        full_q[r] = full[r] / bare[r];
    }
    printf("x25519_keygen_dh_bare: %.0f /s\n", bench_median(bare, ROUNDS));
    printf("exchange_sessions_server: %.0f /s\n", bench_median(server, ROUNDS));
    printf("exchange_sessions_full_with_client_seal: %.0f /s\n", bench_median(full, ROUNDS));
    printf("exchange_server_vs_x25519: %.2f ratio\n", bench_median(server_q, ROUNDS));
    printf("exchange_full_vs_x25519: %.2f ratio\n", bench_median(full_q, ROUNDS));
    bptee_auth_service_free(svc);
    return 0;
}
