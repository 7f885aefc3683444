// SPDX-License-Identifier: Apache-2.0
/* The GHCB certificate table that SNP_GET_EXT_REPORT and configfs-tsm's auxblob return:
 * {GUID[16], u32 offset, u32 length} entries ended by an all-zero entry, offsets counted from
 * the start of the table, certificates in DER. */
#include <stdlib.h>
#include <string.h>

#include <bptee/snp.h>

#include "util/bytes.h"
#include "util/error.h"

#define ENTRY_SIZE 24

/* The GUIDs in RFC 4122 text order, which is how they sit in the table (go-sev-guest). */
static const uint8_t guids[][16] = {
    [BPTEE_SNP_CERT_VCEK] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4,
                             0xb9, 0x3b, 0xe8, 0xac, 0xcd},
    [BPTEE_SNP_CERT_VLEK] = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39,
                             0xc0, 0x45, 0xa0, 0xb8, 0xa1},
    [BPTEE_SNP_CERT_ASK] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05,
                            0xae, 0xf3, 0x27, 0xc7, 0x82},
    [BPTEE_SNP_CERT_ARK] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f,
                            0xb6, 0x01, 0x4c, 0xd0, 0xae},
};

int bptee_snp_cert_guid(int kind, uint8_t guid[16])
{
    if (!guid || kind < BPTEE_SNP_CERT_VCEK || kind > BPTEE_SNP_CERT_ARK)
        return fail(BPTEE_EINVAL, "snp: certificate kind %d has no GUID", kind);
    memcpy(guid, guids[kind], 16);
    return 0;
}

static int kind_of_guid(const uint8_t guid[16])
{
    for (int k = BPTEE_SNP_CERT_VCEK; k <= BPTEE_SNP_CERT_ARK; k++)
        if (!memcmp(guid, guids[k], 16))
            return k;
    return BPTEE_SNP_CERT_OTHER;
}

/* Read the entries up to the terminator; *n_out = entries before it. */
static int read_entries(const uint8_t *buf, size_t len, struct bptee_snp_cert *certs, size_t max,
                        uint32_t *offs, size_t *n_out)
{
    struct cursor c = cursor_init(buf, len);
    for (size_t i = 0;; i++) {
        const uint8_t *e;
        if (!cursor_take(&c, ENTRY_SIZE, &e))
            return fail(BPTEE_EPARSE, "snp: certificate table: entry %zu is truncated (no "
                                      "all-zero terminator in %zu bytes)",
                        i, len);
        if (all_zero(e, ENTRY_SIZE)) {
            *n_out = i;
            return 0;
        }
        if (i >= BPTEE_SNP_CERTTABLE_MAX)
            return fail(BPTEE_ELIMIT, "snp: certificate table: more than %d entries",
                        BPTEE_SNP_CERTTABLE_MAX);
        if (i >= max)
            return fail(BPTEE_ELIMIT, "snp: certificate table: more than %zu entries (caller's "
                                      "limit)",
                        max);
        if (all_zero(e, 16))
            return fail(BPTEE_EPARSE, "snp: certificate table: entry %zu has an all-zero GUID",
                        i);
        memcpy(certs[i].guid, e, 16);
        certs[i].kind = kind_of_guid(e);
        /* Offsets are checked once the table's own size is known. */
        certs[i].der = NULL;
        offs[i] = load_le32(e + 16);
        certs[i].der_len = load_le32(e + 20);
    }
}

/* Resolve each entry's offset against the buffer: inside it, past the table itself. */
static int place_entries(const uint8_t *buf, size_t len, struct bptee_snp_cert *certs,
                         const uint32_t *offs, size_t n)
{
    size_t table_end = (n + 1) * ENTRY_SIZE;
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t off = offs[i], clen = certs[i].der_len;
        if (clen == 0)
            return fail(BPTEE_EPARSE, "snp: certificate table: entry %zu is empty", i);
        if (off < table_end)
            return fail(BPTEE_EPARSE,
                        "snp: certificate table: entry %zu offset %zu points into the table", i,
                        off);
        if (off > len || clen > len - off)
            return fail(BPTEE_EPARSE,
                        "snp: certificate table: entry %zu (offset %zu, length %zu) runs past "
                        "the end (%zu bytes)",
                        i, off, clen, len);
        int k = certs[i].kind;
        if (k != BPTEE_SNP_CERT_OTHER && (seen & (1u << k)))
            return fail(BPTEE_EPARSE, "snp: certificate table: entry %zu repeats a certificate "
                                      "kind",
                        i);
        seen |= 1u << k;
        certs[i].der = buf + off;
    }
    return 0;
}

int bptee_snp_certtable_parse(const uint8_t *buf, size_t len, struct bptee_snp_cert *certs,
                              size_t max, size_t *count)
{
    if (!buf || !count || (max && !certs))
        return fail(BPTEE_EINVAL, "snp: certificate table parse: missing argument");
    uint32_t offs[BPTEE_SNP_CERTTABLE_MAX];
    size_t n = 0;
    int rc = read_entries(buf, len, certs, max, offs, &n);
    if (rc < 0)
        return rc;
    rc = place_entries(buf, len, certs, offs, n);
    if (rc < 0)
        return rc;
    *count = n;
    return 0;
}

static int entry_guid(const struct bptee_snp_cert *c, size_t i, uint8_t guid[16])
{
    if (!all_zero(c->guid, 16)) {
        memcpy(guid, c->guid, 16);
        return 0;
    }
    if (bptee_snp_cert_guid(c->kind, guid) < 0)
        return fail(BPTEE_EINVAL, "snp: certificate table entry %zu: no GUID and no known kind",
                    i);
    return 0;
}

int bptee_snp_certtable_serialize(const struct bptee_snp_cert *certs, size_t n, uint8_t **out,
                                  size_t *out_len)
{
    if (!out || !out_len || (n && !certs))
        return fail(BPTEE_EINVAL, "snp: certificate table serialize: missing argument");
    if (n > BPTEE_SNP_CERTTABLE_MAX)
        return fail(BPTEE_ELIMIT, "snp: certificate table: more than %d entries",
                    BPTEE_SNP_CERTTABLE_MAX);
    size_t total = (n + 1) * ENTRY_SIZE;
    for (size_t i = 0; i < n; i++) {
        if (!certs[i].der || !certs[i].der_len || certs[i].der_len > UINT32_MAX - total)
            return fail(BPTEE_EINVAL, "snp: certificate table entry %zu: bad certificate", i);
        total += certs[i].der_len;
    }
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return fail(BPTEE_ENOMEM, "snp: certificate table: out of memory");
    size_t off = (n + 1) * ENTRY_SIZE;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = buf + i * ENTRY_SIZE;
        if (entry_guid(&certs[i], i, e) < 0) {
            free(buf);
            return BPTEE_EINVAL;
        }
        store_le32(e + 16, (uint32_t)off);
        store_le32(e + 20, (uint32_t)certs[i].der_len);
        memcpy(buf + off, certs[i].der, certs[i].der_len);
        off += certs[i].der_len;
    }
    *out = buf;
    *out_len = total;
    return 0;
}
