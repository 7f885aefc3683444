# SPDX-License-Identifier: Apache-2.0
"""Capture the JSON documents the test suite writes, as seeds for the fuzz targets.

A pytest plugin (docs/fuzzing.md): every document a test serializes with json.dump or
json.dumps is sorted by its keys into the kind of file it is (a TEE config, a routing file, a
job spec, an owners document, a verification policy, a POST /v1/secrets body) and written once
(by content) under src/fuzz/seeds/tests/KIND/. Invalid documents the tests write on purpose are
kept too: they are the near misses a fuzzer learns most from. Run from the repository root:

    PYTHONPATH=src/fuzz/seeds BPTEE_BUILD=$PWD/build /usr/bin/python3 -m pytest -p capture_tests \
        -q python-tests/test_config.py ...
"""
import hashlib
import json
import os

OUT = os.path.join("src", "fuzz", "seeds", "tests")
PER_KIND = 40  # a few dozen of each kind; more add little but bytes
MAX_BYTES = 16384

POLICY_KEYS = {"sev_snp", "tdx", "nitro", "azure_maa", "gcp_confidential", "results",
               "max_age_secs"}


def kind_of(obj):
    """The kind of bptee document obj is, or None."""
    if not isinstance(obj, dict) or not obj:
        return None
    keys = set(obj)
    if {"mode", "requirement"} & keys and {"key_exchange", "provider_selector", "bptee"} & keys:
        return "config"
    if {"default", "jobs"} & keys and keys <= {"default", "jobs"}:
        return "routing"
    if "job_id" in keys and {"secrets", "result", "sidecar"} & keys:
        return "job"
    if "owners" in keys and keys <= {"owners", "secrets"}:
        return "owners"
    if keys <= POLICY_KEYS:
        return "policy"
    if "name" in keys and "payload" in keys:
        return "provision"
    return None


def record(obj, text):
    kind = kind_of(obj)
    if kind is None or len(text) > MAX_BYTES:
        return
    folder = os.path.join(OUT, kind)
    os.makedirs(folder, exist_ok=True)
    if len(os.listdir(folder)) >= PER_KIND:
        return
    name = hashlib.sha256(text.encode()).hexdigest()[:16] + ".json"
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


_dumps, _dump = json.dumps, json.dump


def dumps(obj, *args, **kwargs):
    text = _dumps(obj, *args, **kwargs)
    record(obj, text)
    return text


def dump(obj, fp, *args, **kwargs):
    record(obj, _dumps(obj, *args, **kwargs))
    return _dump(obj, fp, *args, **kwargs)


def pytest_configure(config):
    json.dumps, json.dump = dumps, dump
