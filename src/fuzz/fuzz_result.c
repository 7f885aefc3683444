// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for attested-result parsing: the metadata parser (a parsed metadata object
 * must serialize and parse back to the same bytes), the result scanner and injection (a
 * document the scanner calls injectable takes a "tee" member, and removing it gives back the
 * exact input), original-byte recovery and verification of arbitrary documents (fail
 * cleanly, never crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_result: %s: %s\n", what, bptee_last_error());
    abort();
}

static void meta_round_trip(const uint8_t *data, size_t size)
{
    struct bptee_result_meta *m = NULL, *again = NULL;
    char *first = NULL, *second = NULL;
    if (bptee_result_meta_from_json((const char *)data, size, &m) < 0)
        return;
    if (bptee_result_meta_to_json(m, &first) < 0 ||
        bptee_result_meta_from_json(first, strlen(first), &again) < 0 ||
        bptee_result_meta_to_json(again, &second) < 0 || strcmp(first, second) != 0)
        die("metadata round trip");
    bptee_free(first);
    bptee_free(second);
    bptee_result_meta_free(m);
    bptee_result_meta_free(again);
}

/* Metadata attesting size bytes (values arbitrary: injection verifies nothing). */
static struct bptee_result_meta *meta_for(size_t size)
{
    char json[1024];
    const char *h = "0000000000000000000000000000000000000000000000000000000000000000";
    snprintf(json, sizeof json,
             "{\"tee.attestation.digest\":\"%s\",\"tee.provider\":\"amd_sev_snp\","
             "\"tee.measurement\":\"sha384:00\",\"version\":1,\"attestation\":\"fresh\","
             "\"job\":{\"id\":\"fuzz\",\"binary_sha256\":\"%s\",\"argv_sha256\":\"%s\"},"
             "\"result\":{\"sha256\":\"%s\",\"size\":%zu,\"covers\":\"bytes\"},"
             "\"evidence\":{}}",
             h, h, h, h, size);
    struct bptee_result_meta *m = NULL;
    if (bptee_result_meta_from_json(json, strlen(json), &m) < 0)
        die("fixed metadata does not parse");
    return m;
}

static void inject_round_trip(const uint8_t *data, size_t size)
{
    int ok = bptee_result_injectable(data, size);
    if (ok < 0)
        die("injectable failed");
    if (!ok)
        return;
    struct bptee_result_meta *m = meta_for(size);
    uint8_t *doc = NULL, *orig = NULL;
    size_t doc_len = 0, orig_len = 0;
    if (bptee_result_inject(m, data, size, &doc, &doc_len) < 0)
        die("an injectable document does not take the member");
    if (bptee_result_injectable(doc, doc_len) != 0)
        die("an injected document is injectable again");
    if (bptee_result_original(doc, doc_len, &orig, &orig_len) < 0)
        die("an injected document gives no original");
    if (orig_len != size || memcmp(orig, data, size) != 0)
        die("the original is not the input");
    bptee_free(doc);
    bptee_free(orig);
    bptee_result_meta_free(m);
}

static void verify_fails_cleanly(const uint8_t *data, size_t size)
{
    uint8_t *orig = NULL;
    size_t orig_len = 0;
    if (bptee_result_original(data, size, &orig, &orig_len) == 0 && orig_len >= size)
        die("an original at least as long as its document");
    bptee_free(orig);
    struct bptee_result_verified v;
    BPTEE_OPTS(bptee_result_verify_opts, o, .sidecar = data, .sidecar_len = size);
    (void)bptee_result_verify(data, size, NULL, &v, NULL);
    (void)bptee_result_verify((const uint8_t *)"{}", 2, &o, &v, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    meta_round_trip(data, size);
    inject_round_trip(data, size);
    verify_fails_cleanly(data, size);
    return 0;
}
