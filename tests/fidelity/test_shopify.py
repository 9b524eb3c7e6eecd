"""Shopify Admin GraphQL (2026-04) through ShopifyAPI's own client, judged by shopify.dev."""

import uuid

SET_QUANTITIES = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"""


def error_codes(body):
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def refused(body, code=None):
    """A GraphQL refusal: `errors` (each with a message), no data; with `code` in extensions if given."""
    assert body.get("errors"), body
    assert all(e.get("message") for e in body["errors"]), body
    assert body.get("data") is None, body
    if code:
        assert code in error_codes(body), body


def seed(gql, sim, stock):
    """Stock through the tester API (at the primary location); returns {sku: inventory item gid} and the
    primary location's gid (`location` without an id; `locations(first: 1)` sorts by name and is not it)."""
    sim.tester("PUT", "/stock", stock)
    items = {}
    for sku in stock:
        body = gql("query($q: String!) { productVariants(first: 1, query: $q) { nodes { sku inventoryItem { id } } } }",
                   {"q": f"sku:{sku}"})
        items[sku] = body["data"]["productVariants"]["nodes"][0]["inventoryItem"]["id"]
    location = gql("{ location { id } }")["data"]["location"]["id"]
    return items, location


def set_input(location, *rows):
    """rows: (item gid, quantity, changeFromQuantity); a changeFromQuantity of ... leaves the field out."""
    quantities = [{"inventoryItemId": i, "locationId": location, "quantity": q}
                  | ({} if c is ... else {"changeFromQuantity": c}) for i, q, c in rows]
    return {"name": "available", "reason": "correction", "referenceDocumentUri": "logistics://chorus/fidelity",
            "quantities": quantities}


def user_error_codes(body):
    payload = (body.get("data") or {}).get("inventorySetQuantities") or {}
    return [e["code"] for e in payload.get("userErrors") or []]


# --- 1. Valid documents --------------------------------------------------------------------------

# https://shopify.dev/docs/api/admin-graphql/latest/objects/Shop (shop.currencyCode)
def test_shop_alone(gql):
    body = gql("{ shop { currencyCode } }")
    assert "errors" not in body, body
    assert isinstance(body["data"]["shop"]["currencyCode"], str)


# https://shopify.dev/docs/api/admin-graphql/latest/queries/location
# "The ID of the location to return. If no ID is provided, the primary location of the Shop is returned."
def test_location_without_id_is_the_primary_one(gql):
    body = gql("{ location { id name } }")
    assert "errors" not in body, body
    assert body["data"]["location"]["id"].startswith("gid://shopify/Location/")
    assert body["data"]["location"]["name"]


# https://shopify.dev/docs/api/admin-graphql (GraphQL over POST) and https://graphql.org/learn/queries/#fields:
# every root field a document selects is answered in `data`.
def test_several_top_level_fields(gql, shopify_sim):
    shopify_sim.tester("PUT", "/stock", {"SKU-A": 1})
    body = gql("{ shop { currencyCode } locations(first: 1) { nodes { id } } productVariants(first: 1) { nodes { sku } } }")
    assert "errors" not in body, body
    assert set(body["data"]) == {"shop", "locations", "productVariants"}


# https://graphql.org/learn/serving-over-http/ (body: query, variables, operationName) and
# https://graphql.org/learn/queries/#operation-name: of several operations, the one named runs.
def test_operation_name_picks_the_operation(gql, shopify_sim):
    shopify_sim.tester("PUT", "/stock", {"SKU-A": 1})
    doc = "query Variants { productVariants(first: 1) { nodes { sku } } }\nquery Places { locations(first: 1) { nodes { id } } }"
    body = gql(doc, operation_name="Places")
    assert "errors" not in body, body
    assert set(body["data"]) == {"locations"}


# --- 2. Only what was asked for ------------------------------------------------------------------

# https://graphql.org/learn/queries/#fields ("the result has the same shape as the query") and #aliases
def test_only_requested_fields_and_aliases(gql, shopify_sim):
    shopify_sim.tester("PUT", "/stock", {"SKU-A": 1, "SKU-B": 2})
    body = gql("{ productVariants(first: 2) { nodes { sku } } }")
    assert body["data"] == {"productVariants": {"nodes": [{"sku": "SKU-A"}, {"sku": "SKU-B"}]}}, body
    body = gql("{ first: productVariants(first: 1) { nodes { code: sku } } }")
    assert body["data"] == {"first": {"nodes": [{"code": "SKU-A"}]}}, body


# --- 3. Refusals in Shopify's error shape --------------------------------------------------------
# https://shopify.dev/docs/api/admin-graphql#status_and_error_codes (HTTP 200 with `errors`); the codes are
# those of graphql-ruby's static validation, which the Admin API runs, e.g.
# https://github.com/rmosolgo/graphql-ruby/blob/master/lib/graphql/static_validation/rules/fields_are_defined_on_type_error.rb

def test_unknown_field(gql):
    body = gql("{ productVariants(first: 1) { nodes { sku colour } } }")
    refused(body, "undefinedField")
    assert body["errors"][0]["extensions"].get("fieldName") == "colour", body


def test_unknown_argument(gql):
    refused(gql("{ productVariants(first: 1, colour: 2) { nodes { sku } } }"), "argumentNotAccepted")


# https://shopify.dev/docs/api/admin-graphql/latest/queries/order (id: ID! required)
def test_missing_required_argument(gql):
    refused(gql("{ order { id } }"), "missingRequiredArguments")


# graphql-ruby's GraphQL::ParseError: {"message", "locations"}, no data
def test_syntax_error(gql):
    body = gql("{ productVariants(first: 1) { nodes { sku }")
    refused(body)
    assert body["errors"][0].get("locations"), body


def test_undeclared_variable(gql):
    refused(gql("query { productVariants(first: $n) { nodes { sku } } }"), "variableNotDefined")


# --- 4. Query cost --------------------------------------------------------------------------------
# https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits#cost-calculation
# Scalar 0, Enum 0, Object 1, Connection: 2 + first x (cost of one node), Mutation 10.

def test_cost_extension(gql, shopify_sim):
    shopify_sim.tester("PUT", "/stock", {"SKU-A": 1, "SKU-B": 2})
    body = gql("{ productVariants(first: 10) { nodes { sku } } }")
    cost = body["extensions"]["cost"]
    node = 1 + 0  # a ProductVariant object; sku is a scalar
    assert cost["requestedQueryCost"] == 2 + 10 * node, cost
    assert 0 <= cost["actualQueryCost"] <= cost["requestedQueryCost"], cost
    throttle = cost["throttleStatus"]
    assert {"maximumAvailable", "currentlyAvailable", "restoreRate"} <= set(throttle), cost
    assert 0 <= throttle["currentlyAvailable"] <= throttle["maximumAvailable"] and throttle["restoreRate"] > 0
    assert gql("{ shop { currencyCode } }")["extensions"]["cost"]["requestedQueryCost"] == 1  # one object


# --- 5. inventorySetQuantities (2026-04: changeFromQuantity and @idempotent mandatory) --------------
# https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/inventorySetQuantities
# https://shopify.dev/docs/api/admin-graphql/2026-04/enums/InventorySetQuantitiesUserErrorCode
# https://shopify.dev/docs/api/usage/idempotent-requests

def test_compare_and_set_applies(gql, shopify_sim):
    items, loc = seed(gql, shopify_sim, {"SKU-A": 5})
    body = gql(SET_QUANTITIES, {"input": set_input(loc, (items["SKU-A"], 9, 5)), "key": str(uuid.uuid4())})
    assert user_error_codes(body) == [] and "errors" not in body, body
    assert body["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0]["delta"] == 4
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10  # a mutation
    assert shopify_sim.tester("GET", "/stock")["SKU-A"] == 9


def test_stale_compare_applies_nothing(gql, shopify_sim):
    items, loc = seed(gql, shopify_sim, {"SKU-A": 5, "SKU-B": 7})
    rows = [(items["SKU-A"], 9, 5), (items["SKU-B"], 1, 6)]  # SKU-B's compare is stale
    body = gql(SET_QUANTITIES, {"input": set_input(loc, *rows), "key": str(uuid.uuid4())})
    assert user_error_codes(body) == ["CHANGE_FROM_QUANTITY_STALE"], body
    assert body["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"] is None
    assert shopify_sim.tester("GET", "/stock") == {"SKU-A": 5, "SKU-B": 7}


def test_idempotency_key(gql, shopify_sim):
    items, loc = seed(gql, shopify_sim, {"SKU-A": 5})
    key, first = str(uuid.uuid4()), set_input(loc, (items["SKU-A"], 6, 5))
    assert user_error_codes(gql(SET_QUANTITIES, {"input": first, "key": key})) == []
    replay = gql(SET_QUANTITIES, {"input": first, "key": key})  # a retry: the original result, applied once
    assert user_error_codes(replay) == [] and "errors" not in replay, replay
    other = gql(SET_QUANTITIES, {"input": set_input(loc, (items["SKU-A"], 8, 6)), "key": key})
    # The enum lists it as a user error code; a top-level error with that code is accepted too.
    assert "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" in user_error_codes(other) + error_codes(other), other
    assert shopify_sim.tester("GET", "/stock")["SKU-A"] == 6


# https://shopify.dev/docs/api/admin-graphql/2026-04/input-objects/InventoryQuantityInput
# "This field is mandatory: you must explicitly pass in a value, even if that value is null"
def test_missing_change_from_quantity_is_refused(gql, shopify_sim):
    items, loc = seed(gql, shopify_sim, {"SKU-A": 5})
    body = gql(SET_QUANTITIES, {"input": set_input(loc, (items["SKU-A"], 9, ...)), "key": str(uuid.uuid4())})
    assert body.get("errors") or user_error_codes(body), body
    assert shopify_sim.tester("GET", "/stock")["SKU-A"] == 5


# ASSUMES a tester endpoint the simulator does not have yet: PUT /_sim/stock/{location_id} {"SKU": qty}
# seeds stock at a second location. https://shopify.dev/docs/api/admin-graphql/latest/queries/locations
def test_second_location_has_its_own_quantities(gql, shopify_sim):
    items, primary = seed(gql, shopify_sim, {"SKU-A": 5})
    shopify_sim.tester("PUT", "/stock/2", {"SKU-A": 4})
    ids = [n["id"] for n in gql("{ locations(first: 5) { nodes { id } } }")["data"]["locations"]["nodes"]]
    assert "gid://shopify/Location/2" in ids, ids
    second = "gid://shopify/Location/2"
    stale = gql(SET_QUANTITIES, {"input": set_input(second, (items["SKU-A"], 1, 5)), "key": str(uuid.uuid4())})
    assert user_error_codes(stale) == ["CHANGE_FROM_QUANTITY_STALE"], stale  # 5 is the primary's figure
    ok = gql(SET_QUANTITIES, {"input": set_input(second, (items["SKU-A"], 1, 4)), "key": str(uuid.uuid4())})
    assert user_error_codes(ok) == [] and "errors" not in ok, ok
    assert shopify_sim.tester("GET", "/stock")["SKU-A"] == 5  # the primary location is untouched


# --- 6. Orders: unpaid ones reserve, fulfilment goes by location -----------------------------------
# https://help.shopify.com/en/manual/products/inventory/managing-inventory-quantities/inventory-states
# (an order's units are "committed" when it is created, paid or not: `available` drops at once)
# https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/fulfillmentCreate
# ("lineItemsByFulfillmentOrder … all fulfillment orders must belong to the same location")
# https://shopify.dev/docs/api/admin-graphql/2026-04/enums/FulfillmentOrderStatus (ON_HOLD cannot be fulfilled)

AVAILABLE_AT = """
query($q: String!, $loc: ID!) {
  productVariants(first: 1, query: $q) {
    nodes { inventoryItem { inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { name quantity } } } }
  }
}"""

FULFILLMENT_ORDERS = """
query($id: ID!) {
  order(id: $id) {
    displayFinancialStatus
    fulfillmentOrders(first: 5) {
      nodes { id status assignedLocation { location { id } } lineItems(first: 10) { nodes { id remainingQuantity } } }
    }
  }
}"""

FULFILL = """
mutation($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status } userErrors { field message } }
}"""


def available_at(gql, sku, location):
    body = gql(AVAILABLE_AT, {"q": f"sku:{sku}", "loc": location})
    level = body["data"]["productVariants"]["nodes"][0]["inventoryItem"]["inventoryLevel"]
    return {q["name"]: q["quantity"] for q in level["quantities"]}["available"]


def fulfillment_orders(gql, order_gid):
    body = gql(FULFILLMENT_ORDERS, {"id": order_gid})
    assert "errors" not in body, body
    return body["data"]["order"]


def fulfil(gql, *fulfillment_orders):
    """One fulfillmentCreate shipping everything left on the given fulfillment orders."""
    groups = [{"fulfillmentOrderId": fo["id"],
               "fulfillmentOrderLineItems": [{"id": i["id"], "quantity": i["remainingQuantity"]}
                                             for i in fo["lineItems"]["nodes"]]} for fo in fulfillment_orders]
    body = gql(FULFILL, {"fulfillment": {"lineItemsByFulfillmentOrder": groups}})
    assert "errors" not in body, body
    return body["data"]["fulfillmentCreate"]


def test_an_unpaid_order_reserves_stock(gql, shopify_sim):
    _, primary = seed(gql, shopify_sim, {"SKU-A": 5})
    order = shopify_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-A", "quantity": 2}], "paid": False}, expect=201)
    assert fulfillment_orders(gql, order["gid"])["displayFinancialStatus"] == "PENDING"
    assert available_at(gql, "SKU-A", primary) == 3


def test_fulfillment_orders_of_two_locations_ship_one_call_each(gql, shopify_sim):
    _, primary = seed(gql, shopify_sim, {"SKU-A": 5, "SKU-B": 5})
    shopify_sim.tester("PUT", "/stock/2", {"SKU-B": 5})
    lines = [{"sku": "SKU-A", "quantity": 1}, {"sku": "SKU-B", "quantity": 2, "location": 2}]
    order = shopify_sim.tester("POST", "/orders", {"lines": lines, "paid": True}, expect=201)
    fos = fulfillment_orders(gql, order["gid"])["fulfillmentOrders"]["nodes"]
    assert sorted(fo["assignedLocation"]["location"]["id"] for fo in fos) == [primary, "gid://shopify/Location/2"], fos
    assert all(fo["status"] == "OPEN" for fo in fos), fos
    mixed = fulfil(gql, *fos)
    assert mixed["userErrors"] and mixed["fulfillment"] is None, mixed
    for fo in fos:
        made = fulfil(gql, fo)
        assert made["userErrors"] == [] and made["fulfillment"]["id"], made
    assert all(fo["status"] == "CLOSED" for fo in fulfillment_orders(gql, order["gid"])["fulfillmentOrders"]["nodes"])


def test_a_fulfillment_order_on_hold_is_not_fulfilled(gql, shopify_sim):
    seed(gql, shopify_sim, {"SKU-A": 5})
    order = shopify_sim.tester("POST", "/orders", {"lines": [{"sku": "SKU-A", "quantity": 1}], "paid": True}, expect=201)
    shopify_sim.tester("POST", f"/orders/{order['id']}/hold", {"location": 1})
    [fo] = fulfillment_orders(gql, order["gid"])["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "ON_HOLD", fo
    held = fulfil(gql, fo)
    assert held["userErrors"] and held["fulfillment"] is None, held
    shopify_sim.tester("POST", f"/orders/{order['id']}/release", {"location": 1})
    assert fulfil(gql, fo)["userErrors"] == []


# --- Whole orders ----------------------------------------------------------------------------------

WHOLE_ORDER = {
    "lines": [{"sku": "SKU-A", "quantity": 2, "price_minor": 1250, "discount_minor": 250, "tax_minor": 450}],
    "paid": True,
    "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
    "shipping_address": {"first_name": "Charles", "last_name": "Babbage", "address1": "1 Dorset Street",
                         "city": "London", "zip": "W1U 4EG", "country_code": "GB"},
    "shipping_line": {"title": "Royal Mail Tracked 24", "code": "tracked_24", "price_minor": 495, "tax_minor": 99},
    "tags": ["vip"],
}

ORDER_WHOLE = """
query($id: ID!) {
  order(id: $id) {
    name number currencyCode email phone tags processedAt
    customer { firstName lastName displayName }
    shippingAddress { name firstName address1 city zip countryCodeV2 }
    totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
    totalOutstandingSet { shopMoney { amount } }
    shippingLines(first: 5) { nodes { title code originalPriceSet { shopMoney { amount } } taxLines { priceSet { shopMoney { amount } } } } }
    lineItems(first: 5) {
      nodes { title quantity originalUnitPriceSet { shopMoney { amount } } totalDiscountSet { shopMoney { amount } }
              taxLines(first: 3) { title rate priceSet { shopMoney { amount } } } }
    }
  }
}"""


# https://shopify.dev/docs/api/admin-graphql/latest/objects/Order (number, currencyCode, email, customer,
# shippingAddress: MailingAddress, totalPriceSet: MoneyBag { shopMoney presentmentMoney: MoneyV2 },
# shippingLines: ShippingLineConnection) and /objects/LineItem (originalUnitPriceSet, totalDiscountSet,
# taxLines): amounts are Decimal strings in the shop's currency.
def test_an_order_reads_whole(gql, shopify_sim):
    seed(gql, shopify_sim, {"SKU-A": 5})
    order = shopify_sim.tester("POST", "/orders", WHOLE_ORDER, expect=201)
    body = gql(ORDER_WHOLE, {"id": order["gid"]})
    assert "errors" not in body, body
    o = body["data"]["order"]
    assert o["number"] == int(o["name"].lstrip("#")), o
    assert (o["currencyCode"], o["email"], o["tags"]) == ("GBP", "ada@example.com", ["vip"]), o
    assert o["customer"]["displayName"] == "Ada Lovelace", o
    assert o["shippingAddress"] == {"name": "Charles Babbage", "firstName": "Charles", "address1": "1 Dorset Street",
                                    "city": "London", "zip": "W1U 4EG", "countryCodeV2": "GB"}, o
    # 2 × 12.50 − 2.50 + 4.50 tax + 4.95 shipping + 0.99 its tax.
    assert o["totalPriceSet"]["shopMoney"] == {"amount": "32.94", "currencyCode": "GBP"}, o
    assert o["totalPriceSet"]["presentmentMoney"]["currencyCode"] == "GBP", o
    assert o["totalOutstandingSet"]["shopMoney"]["amount"] == "0.00", o
    [ship] = o["shippingLines"]["nodes"]
    assert (ship["title"], ship["code"], ship["originalPriceSet"]["shopMoney"]["amount"]) == \
        ("Royal Mail Tracked 24", "tracked_24", "4.95"), ship
    assert [t["priceSet"]["shopMoney"]["amount"] for t in ship["taxLines"]] == ["0.99"], ship
    [line] = o["lineItems"]["nodes"]
    assert line["originalUnitPriceSet"]["shopMoney"]["amount"] == "12.50", line
    assert line["totalDiscountSet"]["shopMoney"]["amount"] == "2.50", line
    assert [t["priceSet"]["shopMoney"]["amount"] for t in line["taxLines"]] == ["4.50"], line


# https://shopify.dev/docs/apps/launch/protected-customer-data: an app not approved for level 2
# (name, address, phone, email) must "handle errors or redacted data": the fields answer null with
# an ACCESS_DENIED error naming their path, and the rest of the order is still there.
def test_protected_customer_data_is_withheld_beside_the_data(gql_without_customer_data,
                                                            shopify_sim_without_customer_data):
    gql, sim = gql_without_customer_data, shopify_sim_without_customer_data
    seed(gql, sim, {"SKU-A": 5})
    order = sim.tester("POST", "/orders", WHOLE_ORDER, expect=201)
    body = gql(ORDER_WHOLE, {"id": order["gid"]})
    o = body["data"]["order"]
    assert o["email"] is None and o["phone"] is None and o["shippingAddress"] is None, o
    assert o["totalPriceSet"]["shopMoney"]["amount"] == "32.94", o
    denied = {tuple(e["path"]) for e in body["errors"] if e["extensions"]["code"] == "ACCESS_DENIED"}
    assert {("order", "email"), ("order", "phone"), ("order", "shippingAddress")} <= denied, body["errors"]
    # A non-null protected field (displayName) takes its nullable parent with it.
    assert o["customer"] is None, o
    assert ("order", "customer", "displayName") in denied, body["errors"]
