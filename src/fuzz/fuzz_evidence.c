// SPDX-License-Identifier: Apache-2.0
/* Report JSON loader: any bytes in; whatever loads must save, reload and save again to the
 * very same text in both byte spellings (a lossy or unstable encoder is a bug).
 *
 * Each input is tried twice: as a whole document, and (first byte choosing a key) as the
 * value of one key of an otherwise valid report, so the fuzzer reaches every field's reader
 * without having to invent a whole valid report first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/evidence.h>
#include <bptee/io.h>

static const char *const fields[][2] = {
    {"provider", "\"amd_sev_snp\""},
    {"format", "\"sev_snp_report\""},
    {"issued_at_unix", "1700000000"},
    {"measurement", "{\"algorithm\":\"sha384\",\"digest\":\"ab\"}"},
    {"public_key_binding", "{\"public_key\":[1],\"key_type\":\"x25519\",\"binding_digest\":\"d\"}"},
    {"claims", "{\"debug_mode\":true,\"boot_measurements\":[\"m\"],\"custom\":{\"k\":[1.5]}}"},
    {"evidence", "\"3q0=\""},
    {"simulated", "true"},
    {"certificates", "[{\"kind\":\"vcek\",\"der\":[48]}]"},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static void check_stable(const struct bptee_report *r, unsigned flags)
{
    char *first = NULL, *second = NULL;
    struct bptee_report *again = NULL;
    if (bptee_report_save_json(r, flags, &first) != 0)
        abort();
    if (bptee_report_load_json(first, strlen(first), &again) != 0)
        abort();
    if (bptee_report_save_json(again, flags, &second) != 0 || strcmp(first, second) != 0)
        abort();
    bptee_free(first);
    bptee_free(second);
    bptee_report_free(again);
}

static void try_document(const char *json, size_t len)
{
    struct bptee_report *r = NULL;
    if (bptee_report_load_json(json, len, &r) != 0)
        return;
    check_stable(r, 0);
    check_stable(r, BPTEE_REPORT_JSON_BYTE_ARRAYS | BPTEE_REPORT_JSON_PRETTY);
    bptee_report_free(r);
}

/* A valid report with the chosen key's value replaced by value[len]. */
static void try_in_template(size_t chosen, const uint8_t *value, size_t len)
{
    size_t cap = 1024 + len, n = 0;
    char *doc = malloc(cap);
    if (!doc)
        return;
    doc[n++] = '{';
    for (size_t i = 0; i < N_FIELDS; i++)
        if (i != chosen)
            n += (size_t)snprintf(doc + n, cap - n, "\"%s\":%s,", fields[i][0], fields[i][1]);
    n += (size_t)snprintf(doc + n, cap - n, "\"%s\":", fields[chosen][0]);
    memcpy(doc + n, value, len);
    n += len;
    doc[n++] = '}';
    try_document(doc, n);
    free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_document((const char *)data, size);
    if (size > 0)
        try_in_template(data[0] % N_FIELDS, data + 1, size - 1);
    return 0;
}
