#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The end-to-end demo on the simulated TEE (`make demo`, TEE=sev-snp or TEE=tdx): an agent
# attests itself, a secret owner verifies it and provisions a sealed secret, unmodified jobs
# (python3, /bin/cat) read the secret as a plain file, and their results carry attestation
# that verifies offline. Everything it starts is stopped, everything it creates is removed.
set -eu
# BPTEE_BUILD is a build directory (bptee in it) or an installed prefix such as /usr (bin/bptee).
B=${BPTEE_BUILD:-build}
if [ -x "$B/bptee" ] && [ ! -d "$B/bptee" ]; then BPTEE="$B/bptee"; else BPTEE="$B/bin/bptee"; fi
[ -x "$BPTEE" ] || { echo "demo: no bptee in $B or $B/bin" >&2; exit 1; }
TEE=${TEE:-sev-snp}
V=../shared/vectors
work=$(mktemp -d "${TMPDIR:-/tmp}/bptee-demo.XXXXXX")
# The job's own files go where any uid may read them: run by root, bptee run gives the job a
# dynamic uid of its own (docs/view.md), which cannot enter the private $work; and not under
# /tmp, which the job's sandbox replaces with a fresh one of its own (docs/sandbox.md).
jobs=$(mktemp -d /var/tmp/bptee-demo-job.XXXXXX)
chmod 755 "$jobs"
agent_pid=
cleanup() {
    if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null; fi
    rm -rf "$work" "$jobs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Bold headings on a terminal only: a log file or a pipe gets plain text.
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: $*" >&2; exit 1; }

case "$TEE" in
sev-snp) provider=sim; section=sev_snp ;;
tdx) provider=sim-tdx; section=tdx ;;
*) fail "TEE must be sev-snp or tdx, not '$TEE'" ;;
esac

if [ "$TEE" = tdx ]; then
    step "1. Real evidence first: an Intel TDX quote, verified to Intel's pinned SGX root CA"
    show "$BPTEE" verify "$V/tdx/quote-v4-phala.dat" --at 2026-02-03
else
    step "1. Real evidence first: a GCP SEV-SNP report bound to an X25519 key, verified against AMD's pinned Milan root"
    show "$BPTEE" verify "$V/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin" \
        --vcek "$V/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem" --at 2026-01-01
fi

step "2. The secret owner makes an Ed25519 key; the agent's config names her as db_password's owner"
printf '$ bptee owner keygen --out alice --id alice\n'
"$BPTEE" owner keygen --out "$work/alice" --id alice > "$work/alice.entry"
cat "$work/alice.entry"
"$BPTEE" owner keygen --out "$work/mallory" --id mallory > "$work/mallory.entry"
cat > "$work/tee.json" <<JSON
{"requirement": "required", "mode": "hybrid", "provider_selector": "any",
 "key_exchange": {"session_ttl_secs": 60, "max_sessions": 16, "on_chain_verification": false},
 "secret_injection": "sealed_only",
 "hybrid_routing_source": {"policy_file": "$work/routing.json"},
 "bptee": {"owners": {"owners": [$(cat "$work/alice.entry"), $(cat "$work/mallory.entry")],
                      "secrets": {"db_password": ["alice"]}}}}
JSON
cat > "$work/routing.json" <<JSON
{"default": {"tee_required": false}, "jobs": {"report": {"tee_required": true}}}
JSON

step "3. Start the in-TEE agent on the simulated $TEE TEE (no hardware here; it says so)"
"$BPTEE" agent --config "$work/tee.json" --listen 127.0.0.1:0 --socket "$work/agent.sock" \
    --state-dir "$work/sim" --provider "$provider" >"$work/agent.out" 2>"$work/agent.err" &
agent_pid=$!
i=0
until grep -q '^ready ' "$work/agent.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || { cat "$work/agent.err" >&2; fail "the agent did not start"; }
    kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.err" >&2; fail "the agent exited"; }
    sleep 0.1
done
url=$(sed -n 's/^ready \(http[^ ]*\) .*/\1/p' "$work/agent.out")
echo "agent: $(cat "$work/agent.out")"
sed 's/^/agent: /' "$work/agent.err"

step "4. Alice verifies the agent's attestation, seals db_password to its one-time key and signs the request"
echo "(--version 1 is the secret's version, which only a higher one replaces; the sealing scheme,"
echo " v2 by default, is the format that binds the one-time session; both are printed below)"
# Alice trusts the simulation explicitly; a production policy would pin measurements.
cat > "$work/policy.json" <<JSON
{"$section": {"allow_simulation": true, "allow_debug": false}}
JSON
printf 'correct-horse-battery-staple' > "$work/db_password"
show "$BPTEE" provision --agent "$url" --policy "$work/policy.json" \
    --owner-key "$work/alice.key" --owner-id alice --version 1 --secret "db_password=@$work/db_password"
rm -f "$work/db_password"
echo "Mallory, another owner, tries to replace it with her own value:"
printf 'mallorys-password' > "$work/evil"
if "$BPTEE" provision --agent "$url" --policy "$work/policy.json" --owner-key "$work/mallory.key" \
    --owner-id mallory --version 2 --secret "db_password=@$work/evil"; then
    fail "another owner replaced db_password"
fi

step "5. An unmodified Python job reads /run/secrets/db_password (not on disk) and prints a JSON result"
printf '$ ls -l /run/secrets/db_password\n'
ls -l /run/secrets/db_password 2>&1 || true
cat > "$work/job.json" <<JSON
{"job_id": "report", "secrets": {"db_password": "/run/secrets/db_password"},
 "result": {"stdout": true}}
JSON
cat > "$jobs/job.py" <<'PY'
import hashlib, json, pathlib
secret = pathlib.Path("/run/secrets/db_password").read_bytes()
print(json.dumps({"job": "report", "rows": 42,
                  "password_sha256": hashlib.sha256(secret).hexdigest()}))
PY
echo "The job is a plain Python script with no bptee code in it, and its spec names the secret:"
printf '$ cat job.py\n'; cat "$jobs/job.py"
printf '$ cat job.json\n'; cat "$work/job.json"
printf '$ bptee run --spec job.json -- python3 job.py > result.json\n'
"$BPTEE" run --config "$work/tee.json" --agent-socket "$work/agent.sock" --spec "$work/job.json" \
    -- /usr/bin/python3 "$jobs/job.py" > "$work/result.json"
echo "expected password_sha256: $(printf 'correct-horse-battery-staple' | sha256sum | cut -c1-64)"
/usr/bin/python3 - "$work/result.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
tee = doc.pop("tee")
print("result:", json.dumps(doc))
print("tee.provider:", tee.get("tee.provider"))
print("tee.measurement:", tee.get("tee.measurement"))
print("tee.attestation.digest:", tee.get("tee.attestation.digest"))
PY

step "6. /bin/cat reads the same secret; its non-JSON output gets a sidecar"
cat > "$work/job-cat.json" <<JSON
{"job_id": "report", "secrets": {"db_password": "/run/secrets/db_password"},
 "result": {"stdout": true}, "sidecar": "$work/cat.out.tee.json"}
JSON
printf '$ cat job-cat.json\n'; cat "$work/job-cat.json"
printf '$ bptee run --spec job-cat.json -- /bin/cat /run/secrets/db_password > cat.out\n'
"$BPTEE" run --config "$work/tee.json" --agent-socket "$work/agent.sock" \
    --spec "$work/job-cat.json" -- /bin/cat /run/secrets/db_password > "$work/cat.out"
printf '$ cat cat.out\n%s\n' "$(cat "$work/cat.out")"

step "7. Anyone verifies the results offline: signature, the agent key's evidence, job identity"
show "$BPTEE" verify "$work/result.json" --policy "$work/policy.json"
show "$BPTEE" verify "$work/cat.out" --sidecar "$work/cat.out.tee.json" --policy "$work/policy.json"

step "8. Hybrid mode: a job the routing file keeps outside the TEE gets no secret and no attestation"
cat > "$work/job-plain.json" <<JSON
{"job_id": "resize-images", "secrets": {"db_password": "/run/secrets/db_password"},
 "result": {"stdout": true}}
JSON
if "$BPTEE" run --config "$work/tee.json" --agent-socket "$work/agent.sock" --verbose \
    --spec "$work/job-plain.json" -- /bin/cat /run/secrets/db_password; then
    fail "a job outside the TEE read the secret"
fi
echo "(as intended: the plain job could not read the secret)"

step "9. A tampered result fails verification, with the reason"
sed 's/"rows": 42/"rows": 43/' "$work/result.json" > "$work/tampered.json"
if "$BPTEE" verify "$work/tampered.json" --policy "$work/policy.json"; then
    fail "a tampered result verified"
fi

step "10. Simulated evidence is never trusted by default: the same result under the default policy"
if "$BPTEE" verify "$work/result.json"; then
    fail "simulated evidence was accepted by the default policy"
fi

kill "$agent_pid" && wait "$agent_pid" || true
agent_pid=
printf '\ndemo: done (agent stopped, temporary files removed)\n'
