// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the TDX quote parser: any input either fails cleanly or parses, and a
 * parsed quote must serialize back to exactly the bytes it was read from (padding aside). The
 * JSON view and the verifier (fixed time) run on every parsed quote, the TDREPORT parser on
 * the first 1024 bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#define AT_2026_02_03 1770076800

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_tdx_quote: %s: %s\n", what, bptee_last_error());
    abort();
}

static void round_trip(const uint8_t *data, size_t size, struct bptee_tdx_quote *q)
{
    size_t quote_len = q->quote_len;
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (quote_len + q->trailing_len != size)
        die("lengths do not add up");
    if (bptee_tdx_quote_serialize(q, &out, &out_len) < 0)
        die("a parsed quote does not serialize");
    if (out_len != quote_len || memcmp(out, data, quote_len) != 0)
        die("serialize(parse(x)) differs from x");
    bptee_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_tdx_quote q;
    if (size >= BPTEE_TDX_TDREPORT_SIZE) {
        struct bptee_tdx_tdreport r;
        char *json = NULL;
        if (bptee_tdx_tdreport_parse(data, BPTEE_TDX_TDREPORT_SIZE, &r) == 0 &&
            bptee_tdx_tdreport_to_json(data, BPTEE_TDX_TDREPORT_SIZE, &json) < 0)
            die("a parsed TDREPORT has no JSON view");
        bptee_free(json);
    }
    if (bptee_tdx_quote_parse(data, size, &q) < 0)
        return 0;
    round_trip(data, size, &q);
    char *json = NULL;
    if (bptee_tdx_quote_to_json(data, size, &json) == 0)
        bptee_free(json);
    BPTEE_OPTS(bptee_tdx_verify_opts, o, .at = AT_2026_02_03);
    struct bptee_tdx_verified v;
    (void)bptee_tdx_verify(data, size, &o, &v);
    return 0;
}
