/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated TEE: evidence in the exact hardware formats, signed by a locally generated
 * simulation root. Never trusted unless a verification policy says so explicitly. */
#ifndef BPTEE_SIM_H
#define BPTEE_SIM_H

#include <bptee/common.h>

/* Every certificate the simulator makes carries this subject organizationName, so any
 * verifier (and any human reading the chain) can tell simulated evidence from hardware. */
#define BPTEE_SIM_ORG "bptee simulated TEE - not hardware"

#endif
