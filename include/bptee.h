/* SPDX-License-Identifier: Apache-2.0 */
/* bptee: confidential-computing job runtime. Umbrella header: include this one. */
#ifndef BPTEE_H
#define BPTEE_H

#include <bptee/common.h>
#include <bptee/error.h>
#include <bptee/io.h>
#include <bptee/provider.h>
#include <bptee/sim.h>
#include <bptee/snp.h>

#endif
