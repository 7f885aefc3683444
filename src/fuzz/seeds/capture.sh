#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Capture seeds for the fuzz targets from the real programs (docs/fuzzing.md): evidence JSON
# and raw reports from the simulator, the key exchange's wire messages and the audit log from a
# running agent (simulated TEE, open owners), and the policy examples of docs/. Run from the
# repository root after `make all`; it rewrites the files under src/fuzz/seeds/captured/.
# Nothing here is hand-made: each file is what bptee wrote or answered.
set -eu

bptee=${BPTEE:-build/bptee}
out=src/fuzz/seeds/captured
tmp=$(mktemp -d)
agent=
trap 'test -z "$agent" || kill "$agent" 2>/dev/null; rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"

# ---- the simulator: evidence JSON (SEV-SNP, TDX, with a key binding), a raw report and the
# GHCB certificate table beside it
sim="--state-dir $tmp/sim"
nonce=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
key=8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a
$bptee attest --provider sim $sim -o "$out/evidence-snp.json" 2>/dev/null
$bptee attest --provider sim-tdx $sim -o "$out/evidence-tdx.json" 2>/dev/null
$bptee attest --provider sim $sim --nonce $nonce --public-key $key \
    -o "$out/evidence-snp-bound.json" 2>/dev/null
$bptee sim report $sim --report-data 0102 --certs "$out/snp-certtable.bin" \
    >"$out/snp-report-sim.bin"

# ---- the policy examples of docs/ (each ```json block that is a policy)
awk -v dir="$out" '/^```json/ { n++; f = sprintf("%s/policy-doc-%02d.json", dir, n); on = 1; next }
    /^```/ { on = 0; next } on { print > f }' docs/policy.md
for f in "$out"/policy-doc-*.json; do
    grep -q '"sev_snp"\|"tdx"\|"nitro"\|"azure_maa"\|"gcp_confidential"\|"results"\|"max_age' "$f" ||
        rm -f "$f"
done

# ---- a running agent: the offer, a sealed secret, the provisioning reply, the audit log
cat >"$tmp/tee.json" <<EOF
{"mode": "direct", "requirement": "preferred", "provider_selector": "any",
 "secret_injection": "sealed_only",
 "key_exchange": {"session_ttl_secs": 120, "max_sessions": 16},
 "bptee": {"evidence_provider": "sim", "sim_state_dir": "$tmp/sim", "owners": "open"}}
EOF
echo '{"sev_snp": {"allow_simulation": true}}' >"$tmp/policy.json"
$bptee agent --config "$tmp/tee.json" --listen 127.0.0.1:0 --socket "$tmp/sock" \
    --provider sim --state-dir "$tmp/sim" >"$tmp/ready" 2>"$tmp/agent.log" &
agent=$!
for _ in $(seq 50); do grep -q '^ready' "$tmp/ready" && break; sleep 0.1; done
url=$(sed -n 's/^ready \(http:[^ ]*\) .*/\1/p' "$tmp/ready")
[ -n "$url" ] || { cat "$tmp/agent.log" >&2; exit 1; }

printf '{"nonce":"%s"}' $nonce >"$out/kx-request.json"
curl -fsS -H 'Content-Type: application/json' --data-binary @"$out/kx-request.json" \
    "$url/v1/sessions" >"$out/kx-offer.json"
curl -fsS -H 'Content-Type: application/json' -d '{}' "$url/v1/sessions" >"$out/kx-offer-own-nonce.json"
echo -n 's3cret' | $bptee seal --offer "$out/kx-offer.json" --policy "$tmp/policy.json" \
    --nonce $nonce >"$out/sealed-payload.json"
echo -n 's3cret' | $bptee seal --offer "$out/kx-offer-own-nonce.json" --policy "$tmp/policy.json" \
    --scheme v1 --base64 >"$out/sealed-payload-v1-base64.json"
echo -n 's3cret' | $bptee seal --offer "$out/kx-offer.json" --policy "$tmp/policy.json" \
    --nonce $nonce --name db_password --allow-measurement "$(printf '%064d' 0)" \
    >"$out/provision-request.json"
curl -fsS -H 'Content-Type: application/json' --data-binary @"$out/provision-request.json" \
    "$url/v1/secrets" >"$out/sealed-result.json"
curl -fsS "$url/v1/attestation?nonce=0102" >"$out/attestation.json"
curl -fsS "$url/v1/audit?nonce=$nonce" >"$out/audit-export.json"
echo "captured $(ls "$out" | wc -l) seeds into $out"
