/* SPDX-License-Identifier: Apache-2.0 */
/* bptee: confidential-computing job runtime. Umbrella header: include this one. */
#ifndef BPTEE_H
#define BPTEE_H

#include <bptee/agent.h>
#include <bptee/audit.h>
#include <bptee/azure.h>
#include <bptee/common.h>
#include <bptee/config.h>
#include <bptee/elf.h>
#include <bptee/error.h>
#include <bptee/exchange.h>
#include <bptee/evidence.h>
#include <bptee/guest.h>
#include <bptee/io.h>
#include <bptee/job.h>
#include <bptee/jwt.h>
#include <bptee/nitro.h>
#include <bptee/owners.h>
#include <bptee/provider.h>
#include <bptee/result.h>
#include <bptee/runtime.h>
#include <bptee/secrets.h>
#include <bptee/sim.h>
#include <bptee/snp.h>
#include <bptee/tdx.h>
#include <bptee/verify.h>

#endif
