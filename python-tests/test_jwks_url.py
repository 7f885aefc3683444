# SPDX-License-Identifier: Apache-2.0
"""`bptee verify --jwks URL` and a policy's "jwks" URL: the key set fetched from a local HTTP
server started here, its on-disk cache honouring Cache-Control (a hit does not fetch, max-age
expires, no-store and no-cache never cache), the size cap, and failures that name the URL (and
the policy key) and never fall back to a cached or built-in set."""
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

import bptee
from bptee import VECTORS
from jwt_util import jwk, jwks, new_key

MAA = os.path.join(VECTORS, "maa")
TOKEN = os.path.join(MAA, "sevsnp-cvm/token_2024-12-20.jwt")
GOOD = open(os.path.join(MAA, "sevsnp-cvm/sharedeus2_key.jwks.json"), "rb").read()
KID = "J0pAPdfXXHqWWimgrH853wMIdh5/fLe1z6uSXYPXCa0="
AT = 1734719094 + 600
CAP = 256 << 10


class Server:
    """Serves `body` at any path with `headers`; counts the requests it answered."""

    def __init__(self, body=GOOD, headers=None, status=200, tls=None):
        self.body, self.headers, self.status, self.hits = body, headers or {}, status, 0
        self.length = True  # send Content-Length (else the body ends when the socket closes)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                self.send_response(outer.status)
                for k, v in outer.headers.items():
                    for one in v if isinstance(v, list) else [v]:
                        self.send_header(k, one)
                if outer.length:
                    self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/certs"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(**kw):
        s = Server(**kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "bptee"


def verify(url, token=TOKEN):
    return subprocess.run([bptee.CLI, "verify", token, "--jwks", url, "--at", str(AT)],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())


def accepted(url):
    r = verify(url)
    assert r.returncode == 0, r.stderr
    assert "azure_snp azure_maa_token" in r.stdout
    return r


def test_cache_hit_does_not_fetch_again(server, cache):
    s = server(headers={"Cache-Control": "public, max-age=600"})
    accepted(s.url)
    accepted(s.url)
    assert s.hits == 1
    entries = os.listdir(cache)
    assert len(entries) == 1 and entries[0].startswith("jwks-")  # no temporary file left
    assert os.stat(cache / entries[0]).st_mode & 0o777 == 0o600
    assert os.stat(cache).st_mode & 0o777 == 0o700


def test_without_cache_control_the_default_lifetime_applies(server, cache):
    s = server()
    accepted(s.url)
    accepted(s.url)
    assert s.hits == 1


def test_max_age_expiry_fetches_again(server, cache):
    s = server(headers={"Cache-Control": "max-age=1"})
    accepted(s.url)
    time.sleep(2.2)
    accepted(s.url)
    assert s.hits == 2


def test_age_from_a_proxy_shortens_the_lifetime(server, cache):
    s = server(headers={"Cache-Control": "max-age=600", "Age": "600"})
    accepted(s.url)
    accepted(s.url)
    assert s.hits == 2


@pytest.mark.parametrize("cc", ["no-store", "no-cache", "max-age=0", "max-age=\"60\"",
                                ["max-age=60", "no-store"], "max-age=60, max-age=120"])
def test_uncacheable_answers_are_never_cached(server, cache, cc):
    s = server(headers={"Cache-Control": cc})
    accepted(s.url)
    accepted(s.url)
    assert s.hits == 2
    assert not os.path.exists(cache) or os.listdir(cache) == []


def test_each_url_has_its_own_entry(server, cache):
    s = server(headers={"Cache-Control": "max-age=600"})
    accepted(s.url)
    accepted(s.url + "?v=2")
    assert s.hits == 2 and len(os.listdir(cache)) == 2


@pytest.mark.parametrize("declared", [True, False])
def test_oversize_answer_refused(server, cache, declared):
    pad = b" " * (CAP + 1 - len(GOOD))
    s = server(body=GOOD + pad)  # a valid key set, one byte over the cap
    s.length = declared
    r = verify(s.url)
    assert r.returncode == 1
    assert s.url in r.stderr and "cap" in r.stderr
    assert not os.path.exists(cache) or os.listdir(cache) == []


def test_at_the_cap_accepted(server, cache):
    s = server(body=GOOD + b" " * (CAP - len(GOOD)))
    accepted(s.url)


def test_server_down_is_an_error_naming_the_url(cache):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/certs"
    r = verify(url)
    assert r.returncode == 1 and url in r.stderr and "fetch failed" in r.stderr


def test_stale_entry_is_never_a_fallback(server, cache):
    s = server(headers={"Cache-Control": "max-age=1"})
    accepted(s.url)
    s.stop()
    time.sleep(2.2)
    r = verify(s.url)
    assert r.returncode == 1 and s.url in r.stderr


@pytest.mark.parametrize("status", [404, 500, 302])
def test_http_error_status_rejected(server, cache, status):
    s = server(status=status, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    r = verify(s.url)
    assert r.returncode == 1 and f"HTTP {status}" in r.stderr and s.url in r.stderr


def test_wrong_key_set_at_the_url_fails_the_valid_token(server, cache):
    other = jwks(jwk(new_key("RS256"), KID)).encode()  # the right kid, another key
    s = server(body=other)
    r = verify(s.url)
    assert r.returncode == 1 and "signature does not verify" in r.stderr
    s.body = open(os.path.join(MAA, "sgx/sharedeus_certs.jwks.json"), "rb").read()
    r = verify(s.url + "?sgx")
    assert r.returncode == 1 and "no JWKS key has kid" in r.stderr


def test_malformed_key_set_is_named_and_not_cached(server, cache):
    s = server(body=b'{"keys": "nope"}', headers={"Cache-Control": "max-age=600"})
    r = verify(s.url)
    assert r.returncode == 1 and s.url in r.stderr and "keys" in r.stderr
    assert not os.path.exists(cache) or os.listdir(cache) == []


def test_damaged_cache_entry_is_fetched_again(server, cache):
    s = server(headers={"Cache-Control": "max-age=600"})
    accepted(s.url)
    entry = cache / os.listdir(cache)[0]
    head, body = entry.read_bytes().split(b"\n\n", 1)
    entry.write_bytes(head + b"\n\n" + body[:20])
    accepted(s.url)
    assert s.hits == 2


@pytest.mark.parametrize("url", ["http://example.com/certs", "http://localhost:1/certs",
                                 "ftp://127.0.0.1/certs", "https://"])
def test_plain_http_off_loopback_and_other_schemes_refused(cache, url):
    r = verify(url)
    assert r.returncode == 1 and url in r.stderr


def test_https_with_an_untrusted_certificate_refused(server, cache, tmp_path):
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    s = server(tls=ctx)
    r = verify(s.url)
    assert r.returncode == 1 and s.url in r.stderr and "fetch failed" in r.stderr
    assert s.hits == 0


# --- the URL named by the policy (azure_maa.jwks) ---------------------------------------------

def verify_by_policy(tmp_path, url, *extra):
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"azure_maa": {"jwks": url}}))
    return subprocess.run([bptee.CLI, "verify", TOKEN, "--at", str(AT), "--policy", str(pol),
                           *extra], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())


def test_policy_url_fetched_and_cached(server, cache, tmp_path):
    s = server(headers={"Cache-Control": "max-age=600"})
    for _ in range(2):
        r = verify_by_policy(tmp_path, s.url)
        assert r.returncode == 0, r.stderr
        assert "azure_snp azure_maa_token" in r.stdout
    assert s.hits == 1 and len(os.listdir(cache)) == 1


def test_policy_url_wrong_key_set_fails_the_valid_token(server, cache, tmp_path):
    s = server(body=jwks(jwk(new_key("RS256"), KID)).encode())
    r = verify_by_policy(tmp_path, s.url)
    assert r.returncode == 1 and "signature does not verify" in r.stderr


def test_policy_url_down_is_an_error_naming_the_key_and_url(cache, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/certs"
    r = verify_by_policy(tmp_path, url)
    assert r.returncode == 1 and r.stdout == ""
    assert f"policy azure_maa.jwks {url}" in r.stderr and "fetch failed" in r.stderr
    r = verify_by_policy(tmp_path, "http://example.com/certs")
    assert r.returncode == 1 and "policy azure_maa.jwks http://example.com/certs" in r.stderr


def test_cli_jwks_wins_over_the_policy_url(server, cache, tmp_path):
    s = server(body=jwks(jwk(new_key("RS256"), KID)).encode())
    good = tmp_path / "good.json"
    good.write_bytes(GOOD)
    r = verify_by_policy(tmp_path, s.url, "--jwks", str(good))
    assert r.returncode == 0, r.stderr
    assert s.hits == 0  # the policy's URL is not fetched at all
