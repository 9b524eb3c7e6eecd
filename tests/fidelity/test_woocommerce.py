"""WooCommerce REST v3 through the official `woocommerce` client, judged by woocommerce.github.io.

Over plain http the client signs with OAuth 1.0a one-legged (HMAC-SHA256), as the docs require.
"""

import time

import requests
import woocommerce

from conftest import SIM_CERT, WOO_KEY, WOO_SECRET


def ok(resp, status=200):
    assert resp.status_code == status, f"{resp.request.method} {resp.url.split('?')[0]} -> {resp.status_code} {resp.text[:300]}"
    return resp.json()


def refused(resp, status, code):
    try:
        body = resp.json()
    except ValueError:
        body = {}
    assert resp.status_code == status and body.get("code") == code, f"{resp.status_code} {resp.text[:300]}"
    return body


def stock_of(wcapi, sku):
    return ok(wcapi.get("products", params={"sku": sku}))[0]["stock_quantity"]


# --- 6. Authentication ---------------------------------------------------------------------------
# https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication-over-http
# Server side: WC_REST_Authentication (basic auth only when is_ssl(); otherwise OAuth, signature, then a
# 15-minute timestamp window and nonces unique per key), linked from that section:
# https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/class-wc-rest-authentication.php

def test_oauth_over_http_lists_products_and_orders(wcapi, woo_sim):
    woo_sim.tester("PUT", "/stock", {"SKU-A": 3})
    woo_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-A", "quantity": 1}]}, expect=201)
    assert [p["sku"] for p in ok(wcapi.get("products"))] == ["SKU-A"]
    assert len(ok(wcapi.get("orders"))) == 1


def test_basic_auth_over_plain_http_is_refused(woo_sim):
    # Basic credentials are not looked at without TLS: the request is anonymous and may not list.
    resp = requests.get(f"{woo_sim.url}/wp-json/wc/v3/products", auth=(WOO_KEY, WOO_SECRET), timeout=10)
    refused(resp, 401, "woocommerce_rest_cannot_view")


# "You may use HTTP Basic Auth by providing the REST API Consumer Key as the username and the REST API
# Consumer Secret as the password" (over https), or the same in the query string "if your server does not
# parse the Authorization header correctly": https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication-over-https
def test_basic_auth_over_https(woo_tls_sim):
    assert woo_tls_sim.url.startswith("https://127.0.0.1:")
    woo_tls_sim.tester("PUT", "/stock", {"SKU-A": 3})
    for query_string_auth in (False, True):
        client = woocommerce.API(url=woo_tls_sim.url, consumer_key=WOO_KEY, consumer_secret=WOO_SECRET,
                                 version="wc/v3", timeout=10, verify_ssl=SIM_CERT,
                                 query_string_auth=query_string_auth)
        assert [p["sku"] for p in ok(client.get("products"))] == ["SKU-A"]
    wrong = woocommerce.API(url=woo_tls_sim.url, consumer_key=WOO_KEY, consumer_secret="cs_wrong",
                            version="wc/v3", timeout=10, verify_ssl=SIM_CERT)
    refused(wrong.get("products"), 401, "woocommerce_rest_authentication_error")


def test_wrong_oauth_signature_is_refused(woo_sim):
    wrong = woocommerce.API(url=woo_sim.url, consumer_key=WOO_KEY, consumer_secret="cs_wrong", version="wc/v3")
    body = refused(wrong.get("products"), 401, "woocommerce_rest_authentication_error")
    assert "signature" in body["message"].lower(), body


def test_reused_nonce_is_refused(wcapi, monkeypatch):
    monkeypatch.setattr(woocommerce.oauth.OAuth, "generate_nonce", staticmethod(lambda: "f" * 32))
    ok(wcapi.get("products"))
    body = refused(wcapi.get("products"), 401, "woocommerce_rest_authentication_error")
    assert "nonce" in body["message"].lower(), body


def test_timestamp_outside_15_minutes_is_refused(wcapi, monkeypatch):
    monkeypatch.setattr(woocommerce.api, "time", lambda: time.time() - 3600)
    body = refused(wcapi.get("products"), 401, "woocommerce_rest_authentication_error")
    assert "timestamp" in body["message"].lower(), body


# --- 7. Variable products --------------------------------------------------------------------------
# ASSUMES a tester endpoint the simulator does not have yet:
#   PUT /_sim/variable_products {"PARENT-SKU": {"variations": {"SKU": qty, ...}}}
# https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-products (type=variable)
# https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-product-variations
# https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-product-variations ("limited to up to
# 100 objects"; WC_REST_Controller::check_batch_limit answers 413 woocommerce_rest_request_entity_too_large)

def seed_tee(woo_sim, wcapi):
    woo_sim.tester("PUT", "/stock", {"MUG": 2})  # a simple product beside it
    woo_sim.tester("PUT", "/variable_products", {"TEE": {"variations": {"TEE-S": 3, "TEE-M": 5}}})
    parents = ok(wcapi.get("products", params={"type": "variable"}))
    assert [(p["sku"], p["type"]) for p in parents] == [("TEE", "variable")], parents
    return parents[0]["id"]


def test_variations_listed_and_batch_updated(wcapi, woo_sim):
    parent = seed_tee(woo_sim, wcapi)
    variations = {v["sku"]: v for v in ok(wcapi.get(f"products/{parent}/variations"))}
    assert {s: v["stock_quantity"] for s, v in variations.items()} == {"TEE-S": 3, "TEE-M": 5}
    update = [{"id": variations["TEE-S"]["id"], "manage_stock": True, "stock_quantity": 7}]
    body = ok(wcapi.post(f"products/{parent}/variations/batch", {"update": update}))
    assert [(v["id"], v["stock_quantity"]) for v in body["update"]] == [(variations["TEE-S"]["id"], 7)], body
    after = {v["sku"]: v["stock_quantity"] for v in ok(wcapi.get(f"products/{parent}/variations"))}
    assert after == {"TEE-S": 7, "TEE-M": 5}


def test_variations_batch_over_100_is_refused(wcapi, woo_sim):
    parent = seed_tee(woo_sim, wcapi)
    vid = ok(wcapi.get(f"products/{parent}/variations"))[0]["id"]
    update = [{"id": vid, "manage_stock": True, "stock_quantity": 1}] * 101
    refused(wcapi.post(f"products/{parent}/variations/batch", {"update": update}), 413,
            "woocommerce_rest_request_entity_too_large")
    assert sorted(v["stock_quantity"] for v in ok(wcapi.get(f"products/{parent}/variations"))) == [3, 5]


# --- 8. Settings ---------------------------------------------------------------------------------
# https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-setting-options (GET settings/<group>)
# The products group's measurement options, as WooCommerce defines them (WC_Settings_Products):
# woocommerce_weight_unit (select: kg, g, lbs, oz) and woocommerce_dimension_unit (select: m, cm, mm, in, yd).

def test_product_settings_carry_the_units(wcapi):
    options = {o["id"]: o for o in ok(wcapi.get("settings/products"))}
    for setting, units in [("woocommerce_weight_unit", {"kg", "g", "lbs", "oz"}),
                           ("woocommerce_dimension_unit", {"m", "cm", "mm", "in", "yd"})]:
        assert setting in options, sorted(options)
        assert options[setting]["type"] == "select" and options[setting]["value"] in units, options[setting]


# --- 9. Order status -----------------------------------------------------------------------------
# https://woocommerce.github.io/woocommerce-rest-api-docs/#update-an-order
# https://woocommerce.github.io/code-reference/files/woocommerce-includes-wc-stock-functions.html
# wc_maybe_increase_stock_levels ("When a payment is cancelled, restore stock") runs on the cancelled status.

def test_cancelling_a_processing_order_restores_stock(wcapi, woo_sim):
    woo_sim.tester("PUT", "/stock", {"SKU-C": 10})
    order = woo_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-C", "quantity": 2}], "paid": True}, expect=201)
    assert ok(wcapi.get(f"orders/{order['id']}"))["status"] == "processing"
    assert stock_of(wcapi, "SKU-C") == 8
    assert ok(wcapi.put(f"orders/{order['id']}", {"status": "cancelled"}))["status"] == "cancelled"
    assert ok(wcapi.get(f"orders/{order['id']}"))["status"] == "cancelled"
    assert stock_of(wcapi, "SKU-C") == 10


def test_completing_a_processing_order(wcapi, woo_sim):
    woo_sim.tester("PUT", "/stock", {"SKU-C": 10})
    order = woo_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-C", "quantity": 2}], "paid": True}, expect=201)
    assert ok(wcapi.put(f"orders/{order['id']}", {"status": "completed"}))["status"] == "completed"
    assert ok(wcapi.get(f"orders/{order['id']}"))["status"] == "completed"
    assert stock_of(wcapi, "SKU-C") == 8


# https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/wc-stock-functions.php
# Stock is reduced on payment_complete and on the statuses processing, completed and on-hold
# (wc_maybe_reduce_stock_levels); restored on cancelled and pending (wc_maybe_increase_stock_levels).
def test_on_hold_takes_stock_and_pending_gives_it_back(wcapi, woo_sim):
    woo_sim.tester("PUT", "/stock", {"SKU-D": 10})
    order = woo_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-D", "quantity": 3}], "paid": False}, expect=201)
    assert ok(wcapi.get(f"orders/{order['id']}"))["status"] == "pending"
    assert stock_of(wcapi, "SKU-D") == 10
    assert ok(wcapi.put(f"orders/{order['id']}", {"status": "on-hold"}))["status"] == "on-hold"
    assert stock_of(wcapi, "SKU-D") == 7
    assert ok(wcapi.put(f"orders/{order['id']}", {"status": "pending"}))["status"] == "pending"
    assert stock_of(wcapi, "SKU-D") == 10
    held = woo_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-D", "quantity": 4}], "paid": False, "status": "on-hold"}, expect=201)
    assert ok(wcapi.get(f"orders/{held['id']}"))["status"] == "on-hold"
    assert stock_of(wcapi, "SKU-D") == 6
