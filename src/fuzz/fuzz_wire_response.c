// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the KeyExchangeResponse JSON parser round-trips (src/fuzz/wire_roundtrip.h). */
#include "fuzz/wire_roundtrip.h"

WIRE_ROUNDTRIP_FUZZER(key_exchange_response)
