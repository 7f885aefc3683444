#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The end-to-end demo on the simulated TEE (`make demo`). Everything it creates lives in a
# temporary directory that is removed on exit.
set -eu
B=${BPTEE_BUILD:-build}
BPTEE="$B/bptee"
V=../shared/vectors
work=$(mktemp -d "${TMPDIR:-/tmp}/bptee-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. A TEE config, checked and normalized (blueprint-tee's JSON)"
show "$BPTEE" config check docs/examples/tee.json

step "2. Real SEV-SNP evidence: a GCP Milan report bound to an X25519 key, verified against AMD's pinned Milan root"
show "$BPTEE" verify "$V/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin" \
    --vcek "$V/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem" --at 2026-01-01

step "3. The simulated TEE attests a fresh key (no hardware here: the evidence says it is simulated)"
nonce=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
pub=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
show "$BPTEE" attest --provider sim --state-dir "$work/sim" --nonce "$nonce" --public-key "$pub" \
    -o "$work/evidence.json"
show "$BPTEE" inspect "$work/evidence.json" | head -n 20

step "4. Verified under a policy that explicitly trusts the simulation and pins the key binding"
cat > "$work/policy-sim.json" <<JSON
{"allow_simulation": true,
 "sev_snp": {"allow_debug": false,
             "report_data": {"x25519_binding": {"nonce": "$nonce", "public_key": "$pub"}}}}
JSON
show "$BPTEE" verify "$work/evidence.json" --policy "$work/policy-sim.json"

step "5. The same evidence under the default (production) policy: rejected, with the reason"
if "$BPTEE" verify "$work/evidence.json"; then
    echo "demo: simulated evidence was accepted by the default policy" >&2
    exit 1
fi
printf '\ndemo: done\n'
