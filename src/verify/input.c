// SPDX-License-Identifier: Apache-2.0
/* What a user hands to `verify` or `inspect`, recognised by its own shape: evidence JSON, a raw
 * SEV-SNP report, TDX quote, Nitro document or JWT, or hex of a binary one. Anything else gets
 * "unsupported evidence: <what it looks like>", not the parse error of some other format. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/jwt.h>
#include <bptee/nitro.h>
#include <bptee/tdx.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"
#include "verify/internal.h"

static size_t skip_space(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && isspace(p[i]))
        i++;
    return i;
}

/* What unrecognised input looks like, for "unsupported evidence: ...". */
static int unsupported(const uint8_t *d, size_t n)
{
    static const struct {
        const char *prefix, *what;
    } known[] = {
        {"-----BEGIN CERTIFICATE", "PEM certificates (give them with --chain or --vcek)"},
        {"-----BEGIN", "PEM data"},
        {"HCLA", "an Azure vTPM HCL report alone: it is verified with a TPM2 quote by its AK, as "
                 "'bptee attest --provider azure-snp' collects them (docs/azure.md)"},
        {"\x7f" "ELF", "an ELF binary"},
        {"\xff" "TCG", "a TPM2 quote (TPMS_ATTEST) alone, which says nothing without the HCL report "
                        "whose AK signed it (docs/azure.md)"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t pl = strlen(known[i].prefix);
        if (n >= pl && !memcmp(d, known[i].prefix, pl))
            return fail(BPTEE_EUNSUPPORTED, "unsupported evidence: %s", known[i].what);
    }
    if (n == 0)
        return fail(BPTEE_EUNSUPPORTED, "unsupported evidence: an empty file");
    size_t printable = 0;
    for (size_t i = 0; i < n; i++)
        printable += isprint(d[i]) || isspace(d[i]);
    if (printable == n) {
        char first[25];
        size_t k = 0;
        for (; k < n && k < sizeof first - 1 && d[k] != '\n' && d[k] != '\r'; k++)
            first[k] = isprint(d[k]) ? (char)d[k] : ' ';
        first[k] = '\0';
        return fail(BPTEE_EUNSUPPORTED, "unsupported evidence: %zu bytes of text beginning '%s'",
                    n, first);
    }
    return fail(BPTEE_EUNSUPPORTED, "unsupported evidence: %zu bytes of binary data beginning "
                                    "%02x %02x %02x %02x; bptee verifies SEV-SNP reports, TDX "
                                    "quotes, Nitro documents and Azure/GCP tokens",
                n, d[0], n > 1 ? d[1] : 0, n > 2 ? d[2] : 0, n > 3 ? d[3] : 0);
}

/* A JSON object that is no evidence report: say what it is instead of which field it lacks. */
static int json_input(const uint8_t *d, size_t n, struct bptee_report **out)
{
    json_t *j = json_loadb((const char *)d, n, 0, NULL);
    bool report = !j || json_object_get(j, "provider") || json_object_get(j, "format");
    bool keys = j && json_is_array(json_object_get(j, "keys"));
    json_decref(j);
    if (report) /* or unparseable: the report reader names the line and column */
        return bptee_report_load_json((const char *)d, n, out);
    return fail(BPTEE_EUNSUPPORTED, "unsupported evidence: %s",
                keys ? "a JSON Web Key Set (give it with --jwks)"
                     : "a JSON object that is neither an evidence report nor a result");
}

/* ASCII hex with any whitespace (virtee's report.hex wraps lines) into bytes; 1 if not hex. */
static int hex_text(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
    char *hex = malloc(len + 1);
    size_t n = 0;
    if (!hex)
        return fail(BPTEE_ENOMEM, "verify: out of memory");
    for (size_t i = 0; i < len; i++) {
        if (isspace(data[i]))
            continue;
        if (!isxdigit(data[i])) {
            free(hex);
            return 1;
        }
        hex[n++] = (char)data[i];
    }
    hex[n] = '\0';
    int rc = n ? hex_decode_alloc(hex, out, out_len, "evidence hex") : 1;
    free(hex);
    return rc;
}

static int raw_report(const uint8_t *data, size_t len, int provider, int format,
                      struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    int rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_provider(r, provider);
    if (rc == 0)
        rc = bptee_report_set_format(r, format);
    if (rc == 0)
        rc = bptee_report_set_evidence(r, data, len);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* A TDX quote's header (version 4 or 5, ECDSA P-256 key, TEE type TDX): such bytes are parsed
 * as a quote even when damaged, so the error says what is wrong with the quote. */
static bool tdx_header(const uint8_t *d, size_t n)
{
    if (n < BPTEE_TDX_HEADER_SIZE)
        return false;
    uint16_t version = load_le16(d);
    return (version == 4 || version == 5) && load_le16(d + 2) == BPTEE_TDX_ATT_KEY_ECDSA_P256 &&
           load_le32(d + 4) == BPTEE_TDX_TEE_TYPE;
}

static bool tdreport(const uint8_t *d, size_t n)
{
    struct bptee_tdx_tdreport r;
    bool is = bptee_tdx_tdreport_parse(d, n, &r) == 0;
    bptee_clear_error();
    return is;
}

/* Raw bytes of a kind bptee verifies, as evidence; 1 when they are none of them. */
static int raw_evidence(const uint8_t *d, size_t n, struct bptee_report **out)
{
    if (bptee_tdx_quote_detect(d, n) || tdx_header(d, n))
        return bptee_tdx_evidence_from_quote(d, n, out);
    if (n == BPTEE_SNP_REPORT_SIZE)
        return raw_report(d, n, BPTEE_PROVIDER_AMD_SEV_SNP, BPTEE_FORMAT_SEV_SNP_REPORT, out);
    if (bptee_jwt_detect(d, n))
        return jwt_evidence(d, n, out);
    if (bptee_nitro_detect(d, n))
        return raw_report(d, n, BPTEE_PROVIDER_AWS_NITRO, BPTEE_FORMAT_NITRO_DOCUMENT, out);
    if (n == BPTEE_TDX_TDREPORT_SIZE && tdreport(d, n))
        return fail(BPTEE_EUNSUPPORTED, "evidence: a TDREPORT is MAC'd for the local CPU only, "
                                        "not signed, so it cannot be verified elsewhere; a TDX "
                                        "quote (bptee attest --provider tdx) can");
    return 1;
}

int bptee_verify_input_load(const uint8_t *data, size_t len, struct bptee_report **out)
{
    if (!data || !out)
        return fail(BPTEE_EINVAL, "evidence: missing argument");
    size_t start = skip_space(data, len);
    if (start < len && data[start] == '{')
        return json_input(data, len, out);
    int rc = raw_evidence(data, len, out);
    if (rc <= 0)
        return rc;
    uint8_t *bin = NULL;
    size_t bin_len = 0;
    if ((rc = hex_text(data, len, &bin, &bin_len)) < 0)
        return rc;
    if (rc == 1)
        return unsupported(data, len);
    rc = raw_evidence(bin, bin_len, out);
    if (rc == 1)
        rc = fail(BPTEE_EUNSUPPORTED, "unsupported evidence: %zu bytes of hex that are neither "
                                      "a %d-byte SEV-SNP report nor a TDX quote",
                  bin_len, BPTEE_SNP_REPORT_SIZE);
    free(bin);
    return rc;
}
