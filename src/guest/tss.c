// SPDX-License-Identifier: Apache-2.0
/* dlopen of tpm2-tss (tss.h says why it is not linked). The libraries stay loaded once opened:
 * unloading ESYS while another thread might still use it is not worth the bytes. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/tss.h"
#include "util/error.h"

static struct tss loaded;
static char load_error[512];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void *open_lib(const char *name, const char *package)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h && package && !load_error[0])
        snprintf(load_error, sizeof load_error,
                 "guest: the vTPM provider needs tpm2-tss: %s (Debian package %s)", dlerror(),
                 package);
    return h;
}

/* One symbol; the first missing one is reported. */
static void *sym(void *h, const char *name)
{
    void *p = h ? dlsym(h, name) : NULL;
    if (h && !p && !load_error[0])
        snprintf(load_error, sizeof load_error, "guest: tpm2-tss lacks %s: %s", name, dlerror());
    return p;
}

#define LOAD(h, field, name) (*(void **)&loaded.field = sym(h, name))

static void load(void)
{
    /* tpm2-tss logs every TPM error response to stderr on its own (it reads TSS2_LOG lazily, at
     * its first message); bptee reports each failure as its one line, so its logging is off
     * unless the operator asked for it. Done once, before any ESYS call of this process. */
    setenv("TSS2_LOG", "all+none", 0);
    void *ldr = open_lib("libtss2-tctildr.so.0", "libtss2-tctildr0");
    void *esys = open_lib("libtss2-esys.so.0", "libtss2-esys-3.0.2-0");
    void *rc = open_lib("libtss2-rc.so.0", NULL);
    LOAD(ldr, tctildr_init, "Tss2_TctiLdr_Initialize");
    LOAD(ldr, tctildr_fini, "Tss2_TctiLdr_Finalize");
    LOAD(esys, init, "Esys_Initialize");
    LOAD(esys, fini, "Esys_Finalize");
    LOAD(esys, free, "Esys_Free");
    LOAD(esys, tr_from_public, "Esys_TR_FromTPMPublic");
    LOAD(esys, nv_read_public, "Esys_NV_ReadPublic");
    LOAD(esys, nv_read, "Esys_NV_Read");
    LOAD(esys, read_public, "Esys_ReadPublic");
    LOAD(esys, quote, "Esys_Quote");
    LOAD(esys, pcr_read, "Esys_PCR_Read");
    if (rc)
        LOAD(rc, rc_decode, "Tss2_RC_Decode");
}

int tss_load(const struct tss **out)
{
    pthread_once(&load_once, load);
    if (load_error[0])
        return fail(BPTEE_EUNSUPPORTED, "%s", load_error);
    *out = &loaded;
    return 0;
}

void tss_rc_text(const struct tss *t, TSS2_RC rc, char *buf, size_t size)
{
    const char *s = t->rc_decode ? t->rc_decode(rc) : NULL;
    if (s)
        snprintf(buf, size, "%s (0x%x)", s, (unsigned)rc);
    else
        snprintf(buf, size, "TPM2 response code 0x%x", (unsigned)rc);
}
