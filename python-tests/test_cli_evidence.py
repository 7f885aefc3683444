# SPDX-License-Identifier: Apache-2.0
"""`bptee verify` and `bptee inspect` recognise every kind of evidence on their own: SEV-SNP,
Nitro and JWT files are each read as what they are, anything else is "unsupported evidence:
<what it looks like>", and an empty or unreadable --chain, --vcek or --jwks is an error rather
than silently meaning the built-in roots."""
import os
import subprocess

import pytest

import bptee
from bptee import VECTORS

SNP = os.path.join(VECTORS, "sev-snp/trustee-milan-v2")
MILAN = os.path.join(VECTORS, "amd-roots/ask_ark_milan.pem")
NITRO = os.path.join(VECTORS, "nitro/sample_prod_doc_2021-03-17.bin")
MAA_TOKEN = os.path.join(VECTORS, "maa/sevsnp-cvm/token_2024-12-20.jwt")
MAA_JWKS = os.path.join(VECTORS, "maa/sevsnp-cvm/sharedeus2_key.jwks.json")


def run(*args):
    return subprocess.run([bptee.CLI, *args], capture_output=True, text=True)


def snp_verify(*extra):
    return run("verify", os.path.join(SNP, "report.bin"), "--vcek", os.path.join(SNP, "vcek.der"),
               "--at", "2026-01-01", *extra)


def test_snp_chain_given_is_used_and_empty_chain_is_an_error(tmp_path):
    assert snp_verify("--chain", MILAN).returncode == 0
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    r = snp_verify("--chain", str(empty))
    assert r.returncode == 1 and "--chain" in r.stderr and "empty" in r.stderr
    r = snp_verify("--chain", str(tmp_path / "missing.pem"))
    assert r.returncode == 1
    r = snp_verify("--vcek", str(empty))
    assert r.returncode == 1 and "empty" in r.stderr


@pytest.mark.parametrize("name,content,words", [
    ("keys.json", open(MAA_JWKS).read(), "a JSON Web Key Set"),
    ("chain.pem", open(MILAN).read(), "PEM certificates"),
    ("hcl.bin", open(os.path.join(VECTORS, "azure-cvm/hcl-report-snp.bin"), "rb").read(),
     "HCL report"),
    ("notes.txt", "hello world\nsecond line\n", "text beginning 'hello world'"),
    ("blob.bin", bytes(range(7, 200)), "binary data beginning 07 08 09 0a"),
    ("other.json", '{"hello": 1}', "neither an evidence report"),
])
def test_unsupported_input_named_for_what_it_looks_like(tmp_path, name, content, words):
    f = tmp_path / name
    (f.write_bytes if isinstance(content, bytes) else f.write_text)(content)
    for cmd in ("verify", "inspect"):
        r = run(cmd, str(f))
        assert r.returncode == 1
        assert "unsupported evidence: " in r.stderr and words in r.stderr, r.stderr


def test_inspect_reads_nitro_and_jwt_and_snp():
    r = run("inspect", NITRO)
    assert r.returncode == 0 and "module_id" in r.stdout and "pcr0" in r.stdout
    r = run("inspect", MAA_TOKEN)
    assert r.returncode == 0 and '"x-ms-isolation-tee"' in r.stdout
    assert "azure_maa_token" in r.stdout
    r = run("inspect", os.path.join(SNP, "report.bin"))
    assert r.returncode == 0 and "SEV-SNP attestation report" in r.stdout


def test_inspect_rejects_a_damaged_nitro_document(tmp_path):
    d = bytearray(open(NITRO, "rb").read())
    d[12] = 0x7f  # the payload map's first key is no longer a text string
    f = tmp_path / "bad.bin"
    f.write_bytes(bytes(d))
    r = run("inspect", str(f))
    assert r.returncode == 1 and "nitro" in r.stderr


def test_verify_options_for_evidence_refused_for_results(tmp_path):
    res = tmp_path / "r.json"
    res.write_text('{"tee": {}}')
    r = run("verify", str(res), "--jwks", MAA_JWKS)
    assert r.returncode == 2 and "--jwks" in r.stderr


def test_snp_verify_does_not_read_the_system_openssl_config(tmp_path):
    """Its algorithms are fixed in bptee, so openssl.cnf (or $OPENSSL_CONF) is not loaded: a
    config that leaves OpenSSL no algorithm at all (FIPS properties, no FIPS provider here)
    changes nothing, where the openssl tool, which reads it, can no longer hash."""
    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = init\n[init]\nalg_section = props\n"
                    "[props]\ndefault_properties = fips=yes\n")
    env = {**os.environ, "OPENSSL_CONF": str(conf)}
    tool = subprocess.run(["openssl", "dgst", "-sha256"], input=b"x", capture_output=True, env=env)
    assert tool.returncode != 0
    r = subprocess.run([bptee.CLI, "verify", os.path.join(SNP, "report.bin"), "--vcek",
                        os.path.join(SNP, "vcek.der"), "--at", "2026-01-01"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0 and r.stdout.startswith("verified: ")
