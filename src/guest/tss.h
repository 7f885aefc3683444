/* SPDX-License-Identifier: Apache-2.0 */
/* tpm2-tss, loaded with dlopen the first time a caller asks for vTPM evidence (private).
 *
 * Why not link it: libbptee.so is loaded by every program that attests or verifies, and start-up
 * time matters (a job's start waits on it). Linking ESYS would map libtss2-esys, -sys, -mu and
 * their TCTI loader into every one of those processes for a path only Azure guests take. Behind
 * dlopen only `--provider azure-snp` pays for it, and a machine without tpm2-tss still runs
 * everything else; the provider then fails with one line saying what to install. */
#ifndef BPTEE_GUEST_TSS_H
#define BPTEE_GUEST_TSS_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

/* The entry points bptee uses, typed by tpm2-tss's own prototypes. */
struct tss {
    __typeof__(Tss2_TctiLdr_Initialize) *tctildr_init;
    __typeof__(Tss2_TctiLdr_Finalize) *tctildr_fini;
    __typeof__(Esys_Initialize) *init;
    __typeof__(Esys_Finalize) *fini;
    __typeof__(Esys_Free) *free;
    __typeof__(Esys_TR_FromTPMPublic) *tr_from_public;
    __typeof__(Esys_NV_ReadPublic) *nv_read_public;
    __typeof__(Esys_NV_Read) *nv_read;
    __typeof__(Esys_ReadPublic) *read_public;
    __typeof__(Esys_Quote) *quote;
    __typeof__(Esys_PCR_Read) *pcr_read;
    const char *(*rc_decode)(TSS2_RC rc); /* libtss2-rc, optional: NULL prints the code alone */
};

/* The loaded library (once per process, thread-safe), or BPTEE_EUNSUPPORTED naming what is
 * missing. */
int tss_load(const struct tss **out);

/* "tpm:handle(1):the handle is not correct for the use (0x18b)", or the code alone. */
void tss_rc_text(const struct tss *t, TSS2_RC rc, char *buf, size_t size);

#endif
