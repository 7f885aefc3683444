// SPDX-License-Identifier: Apache-2.0
/* bptee's extensions to the report: the simulation marker and the certificates carried
 * beside the evidence (e.g. the SEV-SNP certificate table, a TDX PCK chain). */
#include <stdlib.h>
#include <string.h>

#include "evidence/report.h"
#include "util/error.h"

void certs_release(struct bptee_report *r)
{
    for (size_t i = 0; i < r->n_certs; i++) {
        free(r->certs[i].kind);
        bytes_clear(&r->certs[i].der);
    }
    free(r->certs);
    r->certs = NULL;
    r->n_certs = 0;
}

int certs_copy(struct bptee_report *dst, const struct bptee_report *src)
{
    for (size_t i = 0; i < src->n_certs; i++) {
        const struct cert *c = &src->certs[i];
        int rc = bptee_report_add_certificate(dst, c->kind, c->der.data, c->der.len);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int bptee_report_set_simulated(struct bptee_report *r, int simulated)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    r->simulated = simulated != 0;
    return 0;
}

int bptee_report_simulated(const struct bptee_report *r)
{
    return r && r->simulated;
}

int bptee_report_add_certificate(struct bptee_report *r, const char *kind, const uint8_t *der,
                                 size_t len)
{
    struct cert c = {0};
    if (!r || !kind)
        return fail(BPTEE_EINVAL, "report: certificates: missing argument");
    if (!*kind)
        return fail(BPTEE_EINVAL, "report: certificates: empty kind");
    int rc = text_dup(kind, "report: certificates.kind", &c.kind);
    if (rc == 0)
        rc = bytes_set(&c.der, der, len, "report: certificates.der");
    struct cert *grown = rc == 0 ? realloc(r->certs, (r->n_certs + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(c.kind);
        bytes_clear(&c.der);
        return rc < 0 ? rc : fail(BPTEE_ENOMEM, "report: certificates: out of memory");
    }
    grown[r->n_certs++] = c;
    r->certs = grown;
    return 0;
}

size_t bptee_report_certificate_count(const struct bptee_report *r)
{
    return r ? r->n_certs : 0;
}

int bptee_report_certificate(const struct bptee_report *r, size_t i, const char **kind,
                             const uint8_t **der, size_t *len)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    if (i >= r->n_certs)
        return fail(BPTEE_ENOTFOUND, "report: certificates[%zu]: the report carries %zu", i,
                    r->n_certs);
    if (kind)
        *kind = r->certs[i].kind;
    if (der)
        *der = r->certs[i].der.data;
    if (len)
        *len = r->certs[i].der.len;
    return 0;
}

int bptee_report_find_certificate(const struct bptee_report *r, const char *kind,
                                  const uint8_t **der, size_t *len)
{
    for (size_t i = 0; r && kind && i < r->n_certs; i++)
        if (!strcmp(r->certs[i].kind, kind))
            return bptee_report_certificate(r, i, NULL, der, len) == 0;
    return 0;
}

int bptee_report_clear_certificates(struct bptee_report *r)
{
    if (!r)
        return fail(BPTEE_EINVAL, "report: missing report");
    certs_release(r);
    return 0;
}
