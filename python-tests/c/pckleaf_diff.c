// SPDX-License-Identifier: Apache-2.0
/* Test helper: the differential check of the PCK certificate reader (src/tdx/leaf.c, compiled
 * in) against d2i_X509 (src/fuzz/pckleaf_check.h) on each DER file named, one line each:
 * "NAME VERDICT" with VERDICT both-reject, full-path, agree or MISMATCH. Exit 1 on a mismatch. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/pckleaf_check.h"

static const char *const names[] = {"both-reject", "full-path", "agree", "MISMATCH"};

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rbe");
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (!f || ferror(f)) {
            fprintf(stderr, "pckleaf_diff: cannot read %s\n", argv[i]);
            return 2;
        }
        fclose(f);
        enum pckleaf_verdict v = pckleaf_check(buf, n);
        printf("%s %s\n", argv[i], names[v]);
        rc |= v == PCKLEAF_MISMATCH;
    }
    return rc;
}
