"""Fixtures: a fresh simulator process per test (loopback only), and the official clients aimed at it.

The binary is $CHORUS_BIN, else ${CARGO_TARGET_DIR:-/var/tmp/chorus-target}/debug/chorus.
"""

import json
import os
import queue
import re
import subprocess
import tempfile
import threading
import time

import pytest
import requests
import shopify
import woocommerce

STARTUP_SECS = 30
SHOPIFY_TOKEN = "shpat_fidelity"
API_VERSION = "2026-04"
WOO_KEY, WOO_SECRET = "ck_fidelity", "cs_fidelity"
# The loopback certificate `chorus sim --tls` serves (for 127.0.0.1 only): clients verify against it.
SIM_CERT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "sim", "tls", "sim-cert.pem")


def chorus_bin():
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/chorus-target")
    return os.environ.get("CHORUS_BIN", os.path.join(target, "debug", "chorus"))


class Sim:
    """A running `chorus sim KIND` on 127.0.0.1 and a port of its choosing."""

    def __init__(self, kind, *args):
        path = chorus_bin()
        if not os.access(path, os.X_OK):
            pytest.fail(f"no chorus binary at {path} (set CHORUS_BIN or build it)", pytrace=False)
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [path, "sim", kind, "--bind", "127.0.0.1:0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        # One thread reads stdout to the end, so the simulator never blocks on a full pipe.
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True).start()
        self.url = self._read_url(kind)

    def _read_url(self, kind):
        pattern = re.compile(rf"{kind} simulator listening on (https?://127\.0\.0\.1:\d+)")
        deadline = time.monotonic() + STARTUP_SECS
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 1))
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if m := pattern.search(line):
                return m.group(1)
        self.stop()
        self.log.seek(0)
        pytest.fail(f"{kind} simulator did not start: {self.log.read()[-2000:]!r}", pytrace=False)

    def tester(self, method, path, body=None, expect=200):
        """The simulator's own test API under /_sim/ (no auth), e.g. tester("PUT", "/stock", {...})."""
        resp = requests.request(method, f"{self.url}/_sim{path}", json=body, timeout=10, verify=SIM_CERT)
        assert resp.status_code == expect, f"{method} /_sim{path} -> {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def shopify_sim():
    sim = Sim("shopify", "--token", SHOPIFY_TOKEN)
    yield sim
    sim.stop()


@pytest.fixture
def shopify_sim_without_customer_data():
    """A shop whose app is not approved for protected customer data (level 2)."""
    sim = Sim("shopify", "--token", SHOPIFY_TOKEN, "--without-customer-data")
    yield sim
    sim.stop()


@pytest.fixture
def gql(shopify_sim):
    yield from graphql_client(shopify_sim)


@pytest.fixture
def gql_without_customer_data(shopify_sim_without_customer_data):
    yield from graphql_client(shopify_sim_without_customer_data)


def graphql_client(shopify_sim):
    """Runs a document through ShopifyAPI's own GraphQL client; returns the decoded JSON body.

    The library builds `{protocol}://{shop}.{myshopify_domain}:{port}/admin/api/{version}`, keeping
    only the shop's name before the first dot. For the loopback simulator: protocol http, shop
    "127.0.0.1" (name "127") and domain "0.0.1", giving http://127.0.0.1:PORT/admin/api/2026-04.
    """
    port = int(shopify_sim.url.rsplit(":", 1)[1])
    shopify.Session.setup(protocol="http", myshopify_domain="0.0.1", port=port)
    session = shopify.Session("127.0.0.1", API_VERSION, SHOPIFY_TOKEN)
    shopify.ShopifyResource.activate_session(session)
    assert shopify.ShopifyResource.get_site() == f"{shopify_sim.url}/admin/api/{API_VERSION}"

    def run(query, variables=None, operation_name=None):
        return json.loads(shopify.GraphQL().execute(query, variables=variables, operation_name=operation_name))

    yield run
    shopify.ShopifyResource.clear_session()
    shopify.Session.setup(protocol="https", myshopify_domain="myshopify.com", port=None)


@pytest.fixture
def woo_sim():
    sim = Sim("woocommerce", "--key", WOO_KEY, "--secret", WOO_SECRET)
    yield sim
    sim.stop()


@pytest.fixture
def woo_tls_sim():
    """A WooCommerce store served over https (`--tls`), where Basic authentication applies."""
    sim = Sim("woocommerce", "--key", WOO_KEY, "--secret", WOO_SECRET, "--tls")
    yield sim
    sim.stop()


@pytest.fixture
def wcapi(woo_sim):
    """The official client; for an http:// URL it signs every request with OAuth 1.0a (HMAC-SHA256)."""
    return woocommerce.API(url=woo_sim.url, consumer_key=WOO_KEY, consumer_secret=WOO_SECRET,
                           version="wc/v3", timeout=10)
