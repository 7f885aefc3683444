// SPDX-License-Identifier: Apache-2.0
/* The SGX extension of the simulated PCK certificate (OID 1.2.840.113741.1.13.1), laid out as
 * Intel's PCS writes it: SEQUENCE { {.1 PPID}, {.2 TCB: {.2.1..16 comp SVN}, {.2.17 PCESVN},
 * {.2.18 CPUSVN}}, {.3 PCE-ID}, {.4 FMSPC}, {.5 SGX type} }, every piece an OpenSSL ASN.1 type
 * encoded by i2d_ASN1_SEQUENCE_ANY: nothing is encoded by hand. */
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>

#include "sim/tdx_sim.h"
#include "util/error.h"

#define SGX_OID "1.2.840.113741.1.13.1"

/* The platform the simulator plays: a made-up FMSPC, TDX module 1.5 (TEE_TCB_SVN[1] = 1). */
const struct tdx_sim_tcb tdx_sim_tcb = {
    .fmspc = {0x00, 0xb9, 0x7e, 0xe0, 0x00, 0x00},
    .pceid = {0x00, 0x00},
    .comp_svn = {7, 7, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0},
    .pcesvn = 13,
    .cpusvn = {7, 7, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0},
    .tee_tcb_svn = {6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    .mrseam = {0x5b, 0x38, 0xe3, 0x3a, 0x64, 0x87, 0x95, 0x8b, 0x72, 0xc3, 0xc1, 0x2a,
               0x93, 0x8e, 0xaa, 0x5e, 0x3f, 0xd4, 0x51, 0x0c, 0x51, 0xae, 0xb0, 0x5f,
               0x0d, 0xa3, 0x5d, 0x61, 0x7d, 0xde, 0x5d, 0x2e, 0x9d, 0xd0, 0x8f, 0x1c,
               0x15, 0xd5, 0xdc, 0x8d, 0x5c, 0x66, 0x8a, 0x8e, 0xd2, 0xb6, 0xa7, 0x11},
    .qe_isvsvn = 7,
};

static void items_free(STACK_OF(ASN1_TYPE) *sk)
{
    sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
}

/* Wrap value (owned) into SEQUENCE { OID, value } as an ASN1_TYPE; NULL on failure. */
static ASN1_TYPE *pair(const char *oid, ASN1_TYPE *value)
{
    STACK_OF(ASN1_TYPE) *sk = sk_ASN1_TYPE_new_null();
    ASN1_TYPE *o = ASN1_TYPE_new(), *seq = NULL;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    unsigned char *der = NULL;
    int n = -1;
    if (sk && o && obj && value) {
        ASN1_TYPE_set(o, V_ASN1_OBJECT, obj);
        obj = NULL;
        if (sk_ASN1_TYPE_push(sk, o)) {
            o = NULL;
            if (sk_ASN1_TYPE_push(sk, value)) {
                value = NULL;
                n = i2d_ASN1_SEQUENCE_ANY(sk, &der);
            }
        }
    }
    ASN1_STRING *s = n > 0 ? ASN1_STRING_type_new(V_ASN1_SEQUENCE) : NULL;
    if (s && ASN1_STRING_set(s, der, n) && (seq = ASN1_TYPE_new()) != NULL)
        ASN1_TYPE_set(seq, V_ASN1_SEQUENCE, s);
    else
        ASN1_STRING_free(s);
    OPENSSL_free(der);
    ASN1_OBJECT_free(obj);
    ASN1_TYPE_free(o);
    ASN1_TYPE_free(value);
    items_free(sk);
    return seq;
}

static ASN1_TYPE *octets(const uint8_t *p, size_t n)
{
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_TYPE *t = ASN1_TYPE_new();
    if (!os || !t || !ASN1_OCTET_STRING_set(os, p, (int)n)) {
        ASN1_OCTET_STRING_free(os);
        ASN1_TYPE_free(t);
        return NULL;
    }
    ASN1_TYPE_set(t, V_ASN1_OCTET_STRING, os);
    return t;
}

static ASN1_TYPE *integer(long v, int type)
{
    ASN1_INTEGER *i = ASN1_STRING_type_new(type);
    ASN1_TYPE *t = ASN1_TYPE_new();
    int ok = i && t && (type == V_ASN1_INTEGER ? ASN1_INTEGER_set(i, v) : ASN1_ENUMERATED_set(i, v));
    if (!ok) {
        ASN1_STRING_free(i);
        ASN1_TYPE_free(t);
        return NULL;
    }
    ASN1_TYPE_set(t, type, i);
    return t;
}

/* A SEQUENCE of the given items (owned) as an ASN1_TYPE. */
static ASN1_TYPE *sequence(STACK_OF(ASN1_TYPE) *items)
{
    unsigned char *der = NULL;
    int n = items ? i2d_ASN1_SEQUENCE_ANY(items, &der) : -1;
    ASN1_STRING *s = n > 0 ? ASN1_STRING_type_new(V_ASN1_SEQUENCE) : NULL;
    ASN1_TYPE *t = NULL;
    if (s && ASN1_STRING_set(s, der, n) && (t = ASN1_TYPE_new()) != NULL)
        ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
    else
        ASN1_STRING_free(s);
    OPENSSL_free(der);
    items_free(items);
    return t;
}

static bool push(STACK_OF(ASN1_TYPE) *sk, ASN1_TYPE *t)
{
    if (t && sk_ASN1_TYPE_push(sk, t))
        return true;
    ASN1_TYPE_free(t);
    return false;
}

static ASN1_TYPE *tcb(void)
{
    STACK_OF(ASN1_TYPE) *sk = sk_ASN1_TYPE_new_null();
    bool ok = sk != NULL;
    char oid[48];
    for (int i = 1; ok && i <= 16; i++) {
        snprintf(oid, sizeof oid, SGX_OID ".2.%d", i);
        ok = push(sk, pair(oid, integer(tdx_sim_tcb.comp_svn[i - 1], V_ASN1_INTEGER)));
    }
    ok = ok && push(sk, pair(SGX_OID ".2.17", integer(tdx_sim_tcb.pcesvn, V_ASN1_INTEGER)));
    ok = ok && push(sk, pair(SGX_OID ".2.18", octets(tdx_sim_tcb.cpusvn, 16)));
    if (!ok) {
        items_free(sk);
        return NULL;
    }
    return sequence(sk);
}

int tdx_sim_add_sgx_ext(X509 *pck)
{
    uint8_t ppid[16];
    randombytes_buf(ppid, sizeof ppid);
    STACK_OF(ASN1_TYPE) *sk = sk_ASN1_TYPE_new_null();
    bool ok = sk && push(sk, pair(SGX_OID ".1", octets(ppid, 16))) &&
              push(sk, pair(SGX_OID ".2", tcb())) &&
              push(sk, pair(SGX_OID ".3", octets(tdx_sim_tcb.pceid, 2))) &&
              push(sk, pair(SGX_OID ".4", octets(tdx_sim_tcb.fmspc, 6))) &&
              push(sk, pair(SGX_OID ".5", integer(0, V_ASN1_ENUMERATED)));
    unsigned char *der = NULL;
    int n = ok ? i2d_ASN1_SEQUENCE_ANY(sk, &der) : -1;
    items_free(sk);
    ASN1_OBJECT *obj = OBJ_txt2obj(SGX_OID, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    ok = n > 0 && obj && os && ASN1_OCTET_STRING_set(os, der, n) &&
         (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(pck, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    OPENSSL_free(der);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: tdx: PCK SGX extension");
}
