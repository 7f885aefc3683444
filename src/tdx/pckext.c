// SPDX-License-Identifier: Apache-2.0
/* The SGX extensions of a PCK certificate (OID 1.2.840.113741.1.13.1): a SEQUENCE of
 * {OID, value} pairs (PPID, TCB, PCE-ID, FMSPC, SGX type, ...), the TCB itself a SEQUENCE of
 * {OID, INTEGER} for components 1..16 and PCESVN and {OID, OCTET STRING} for CPUSVN. Decoded
 * with OpenSSL's generic ASN.1 reader (d2i_ASN1_SEQUENCE_ANY), never by hand. */
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/error.h"

#define SGX_OID "1.2.840.113741.1.13.1"
#define TCB_OID SGX_OID ".2"

enum { SEEN_PPID = 1, SEEN_TCB = 2, SEEN_PCEID = 4, SEEN_FMSPC = 8, SEEN_ALL = 15 };

static void seq_free(STACK_OF(ASN1_TYPE) *sk)
{
    sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
}

/* The elements of a DER SEQUENCE held in an ASN1_TYPE (or raw bytes). */
static STACK_OF(ASN1_TYPE) *seq_items(const unsigned char *p, long len)
{
    const unsigned char *q = p;
    STACK_OF(ASN1_TYPE) *sk = d2i_ASN1_SEQUENCE_ANY(NULL, &q, len);
    if (sk && q != p + len) {
        seq_free(sk);
        return NULL;
    }
    return sk;
}

static STACK_OF(ASN1_TYPE) *type_items(const ASN1_TYPE *t)
{
    if (!t || t->type != V_ASN1_SEQUENCE)
        return NULL;
    return seq_items(t->value.sequence->data, t->value.sequence->length);
}

/* The OIDs the SGX extension and its entries are read by, made once: SGX_OID, SGX_OID.1..5
 * (PPID, TCB, PCE-ID, FMSPC, SGX type) and TCB_OID.1..18 (component SVNs, PCESVN, CPUSVN).
 * Comparing an entry's OID with these is a byte compare; rendering it as text for every entry
 * was most of the cost of reading a PCK certificate. */
#define TOP_ARCS 5
#define TCB_ARCS 18
static ASN1_OBJECT *sgx_oid, *top_oids[TOP_ARCS + 1], *tcb_oids[TCB_ARCS + 1];
static pthread_once_t oids_once = PTHREAD_ONCE_INIT;

static void oids_make(void)
{
    char txt[64];
    sgx_oid = OBJ_txt2obj(SGX_OID, 1);
    for (int arc = 1; arc <= TCB_ARCS; arc++) {
        if (arc <= TOP_ARCS) {
            snprintf(txt, sizeof txt, SGX_OID ".%d", arc);
            top_oids[arc] = OBJ_txt2obj(txt, 1);
        }
        snprintf(txt, sizeof txt, TCB_OID ".%d", arc);
        tcb_oids[arc] = OBJ_txt2obj(txt, 1);
    }
}

/* The arc n (1..max) when o is oids[n]; -1 for any other OID (entries bptee does not use). */
static int arc_of(const ASN1_OBJECT *o, ASN1_OBJECT *const *oids, int max)
{
    pthread_once(&oids_once, oids_make);
    for (int arc = 1; arc <= max; arc++)
        if (oids[arc] && OBJ_cmp(o, oids[arc]) == 0)
            return arc;
    return -1;
}

/* A {OID, value} pair: *oid and *val borrowed from *items, which the caller frees. */
static int pair(const ASN1_TYPE *t, STACK_OF(ASN1_TYPE) **items, const ASN1_OBJECT **oid,
                const ASN1_TYPE **val)
{
    *items = type_items(t);
    if (!*items || sk_ASN1_TYPE_num(*items) != 2 ||
        sk_ASN1_TYPE_value(*items, 0)->type != V_ASN1_OBJECT)
        return fail(BPTEE_EPARSE, "tdx: PCK certificate: SGX extension entry is not {OID, value}");
    *oid = sk_ASN1_TYPE_value(*items, 0)->value.object;
    *val = sk_ASN1_TYPE_value(*items, 1);
    return 0;
}

typedef int entry_fn(int arc, const ASN1_TYPE *v, struct bptee_tdx_pck_ext *out, unsigned *seen);

/* Each {OID, value} pair of sk to entry, with the OID's arc among oids (-1: none of them). */
static int each_pair(STACK_OF(ASN1_TYPE) *sk, ASN1_OBJECT *const *oids, int max, entry_fn *entry,
                     struct bptee_tdx_pck_ext *out, unsigned *seen)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < sk_ASN1_TYPE_num(sk); i++) {
        STACK_OF(ASN1_TYPE) *items = NULL;
        const ASN1_OBJECT *oid = NULL;
        const ASN1_TYPE *val = NULL;
        rc = pair(sk_ASN1_TYPE_value(sk, i), &items, &oid, &val);
        if (rc == 0)
            rc = entry(arc_of(oid, oids, max), val, out, seen);
        seq_free(items);
    }
    return rc;
}

static int octets(const ASN1_TYPE *v, uint8_t *out, size_t n, const char *what)
{
    if (v->type != V_ASN1_OCTET_STRING || (size_t)v->value.octet_string->length != n)
        return fail(BPTEE_EPARSE, "tdx: PCK certificate: %s is not a %zu-byte OCTET STRING", what,
                    n);
    memcpy(out, v->value.octet_string->data, n);
    return 0;
}

/* An integer 0..max; what names it in the reason, or (NULL) TCB entry `arc` does. The name is
 * made only for the reason: 17 entries of every PCK certificate are read through here. */
static int small_int(const ASN1_TYPE *v, int type, int64_t max, const char *what, int arc,
                     int64_t *out)
{
    char name[48];
    int ok = v->type == type &&
             (type == V_ASN1_INTEGER ? ASN1_INTEGER_get_int64(out, v->value.integer)
                                     : ASN1_ENUMERATED_get_int64(out, v->value.enumerated));
    ERR_clear_error();
    if (ok && *out >= 0 && *out <= max)
        return 0;
    if (!what)
        snprintf(name, sizeof name, arc == 17 ? "PCESVN" : "TCB component %d SVN", arc);
    return fail(BPTEE_EPARSE, "tdx: PCK certificate: %s is not an integer 0..%lld",
                what ? what : name, (long long)max);
}

/* One TCB entry: component SVN 1..16, PCESVN (17) or CPUSVN (18). */
static int tcb_entry(int arc, const ASN1_TYPE *v, struct bptee_tdx_pck_ext *out, unsigned *seen)
{
    int64_t n = 0;
    int rc;
    if (arc < 1 || arc > 18)
        return 0; /* a later TCB field bptee does not use */
    if (*seen & (1u << arc))
        return fail(BPTEE_EPARSE, "tdx: PCK certificate: TCB entry %d appears twice", arc);
    *seen |= 1u << arc;
    if (arc == 18)
        return octets(v, out->cpusvn, 16, "CPUSVN");
    if ((rc = small_int(v, V_ASN1_INTEGER, arc == 17 ? 65535 : 255, NULL, arc, &n)) < 0)
        return rc;
    if (arc == 17)
        out->pcesvn = (uint16_t)n;
    else
        out->comp_svn[arc - 1] = (uint8_t)n;
    return 0;
}

static int parse_tcb(const ASN1_TYPE *v, struct bptee_tdx_pck_ext *out)
{
    STACK_OF(ASN1_TYPE) *sk = type_items(v);
    unsigned seen = 0;
    int rc = sk ? 0 : fail(BPTEE_EPARSE, "tdx: PCK certificate: TCB is not a SEQUENCE");
    if (rc == 0)
        rc = each_pair(sk, tcb_oids, TCB_ARCS, tcb_entry, out, &seen);
    seq_free(sk);
    if (rc == 0 && (seen & 0x7fffeu) != 0x7fffeu)
        rc = fail(BPTEE_EPARSE, "tdx: PCK certificate: TCB lacks a component, PCESVN or CPUSVN");
    return rc;
}

static int top_entry(int arc, const ASN1_TYPE *v, struct bptee_tdx_pck_ext *out, unsigned *seen)
{
    int64_t n = 0;
    int rc = 0;
    unsigned bit = arc == 1 ? SEEN_PPID : arc == 2 ? SEEN_TCB : arc == 3 ? SEEN_PCEID
                 : arc == 4 ? SEEN_FMSPC : 0;
    if (bit && (*seen & bit))
        return fail(BPTEE_EPARSE, "tdx: PCK certificate: SGX extension entry %d appears twice",
                    arc);
    *seen |= bit;
    switch (arc) {
    case 1: return octets(v, out->ppid, 16, "PPID");
    case 2: return parse_tcb(v, out);
    case 3: return octets(v, out->pceid, 2, "PCE-ID");
    case 4: return octets(v, out->fmspc, 6, "FMSPC");
    case 5:
        if ((rc = small_int(v, V_ASN1_ENUMERATED, 2, "SGX type", 0, &n)) == 0)
            out->sgx_type = (int)n;
        return rc;
    default: return 0; /* platform instance id, configuration: not used */
    }
}

int tdx_pck_ext_from_exts(const STACK_OF(X509_EXTENSION) *exts, struct bptee_tdx_pck_ext *out)
{
    memset(out, 0, sizeof *out);
    out->sgx_type = -1;
    pthread_once(&oids_once, oids_make);
    int idx = sgx_oid ? X509v3_get_ext_by_OBJ(exts, sgx_oid, -1) : -1;
    if (idx < 0)
        return fail(BPTEE_EPARSE, "tdx: PCK certificate has no SGX extension (%s)", SGX_OID);
    const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(X509v3_get_ext(exts, idx));
    STACK_OF(ASN1_TYPE) *sk = seq_items(data->data, data->length);
    unsigned seen = 0;
    int rc = sk ? 0 : fail(BPTEE_EPARSE, "tdx: PCK certificate: SGX extension is not a SEQUENCE");
    if (rc == 0)
        rc = each_pair(sk, top_oids, TOP_ARCS, top_entry, out, &seen);
    seq_free(sk);
    ERR_clear_error();
    if (rc == 0 && seen != SEEN_ALL)
        rc = fail(BPTEE_EPARSE, "tdx: PCK certificate: SGX extension lacks %s",
                  !(seen & SEEN_FMSPC) ? "FMSPC" : !(seen & SEEN_PCEID) ? "PCE-ID"
                  : !(seen & SEEN_TCB) ? "TCB" : "PPID");
    return rc;
}

int tdx_pck_ext_from_x509(X509 *x, struct bptee_tdx_pck_ext *out)
{
    return tdx_pck_ext_from_exts(X509_get0_extensions(x), out);
}

int bptee_tdx_pck_ext_parse(const uint8_t *der, size_t der_len, struct bptee_tdx_pck_ext *out)
{
    if (!der || !out)
        return fail(BPTEE_EINVAL, "tdx: PCK extensions: missing argument");
    if (der_len == 0 || der_len > (size_t)LONG_MAX)
        return fail(BPTEE_EPARSE, "tdx: PCK certificate is empty");
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    if (!x || p != der + der_len) {
        X509_free(x);
        return fail_openssl(BPTEE_EPARSE, "tdx: PCK certificate is not one DER certificate");
    }
    int rc = tdx_pck_ext_from_x509(x, out);
    X509_free(x);
    return rc;
}
