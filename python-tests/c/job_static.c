// SPDX-License-Identifier: Apache-2.0
/* A job for the static-binary tests: test_elf.py and test_run.py compile this file themselves
 * with `cc -static` (the Makefile builds the other test helpers dynamically). Run, it prints a
 * JSON object and exits 0, so a test can tell "refused" from "ran". */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("{\"static_job\": true, \"argc\": %d, \"first\": \"%s\"}\n", argc,
           argc > 1 ? argv[1] : "");
    return 0;
}
