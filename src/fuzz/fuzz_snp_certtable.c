// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the GHCB certificate-table parser. A table that parses is rebuilt and parsed again;
 * the entries must come back the same. */
#include <stdlib.h>
#include <string.h>

#include <bptee/io.h>
#include <bptee/snp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct bptee_snp_cert *a, const struct bptee_snp_cert *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a[i].guid, b[i].guid, 16) || a[i].kind != b[i].kind ||
            a[i].der_len != b[i].der_len || memcmp(a[i].der, b[i].der, a[i].der_len))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_snp_cert certs[BPTEE_SNP_CERTTABLE_MAX], again[BPTEE_SNP_CERTTABLE_MAX];
    size_t n = 0, m = 0;
    if (bptee_snp_certtable_parse(data, size, certs, BPTEE_SNP_CERTTABLE_MAX, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) /* every certificate lies inside the input */
        if (certs[i].der < data || certs[i].der + certs[i].der_len > data + size)
            abort();
    uint8_t *table = NULL;
    size_t len = 0;
    if (n == 0)
        return 0;
    if (bptee_snp_certtable_serialize(certs, n, &table, &len) != 0)
        abort();
    if (bptee_snp_certtable_parse(table, len, again, BPTEE_SNP_CERTTABLE_MAX, &m) != 0 || m != n)
        abort();
    same_or_abort(certs, again, n);
    bptee_free(table);
    return 0;
}
