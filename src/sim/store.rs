//! The simulated shop's state, shared by both simulators: listings, stock per SKU, orders with
//! their lines, received fulfilments, stock pushes received, and a clock whose timestamps only
//! move forward.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use serde_json::{json, Value};

/// Which platform a store imitates; it only decides the id ranges handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Shopify,
    WooCommerce,
}

/// The platform identifiers of one SKU's listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// 1, 2, 3…: the order in which listings were created.
    pub number: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub inventory_item_id: u64,
    /// WooCommerce: the variable product this listing is a variation of.
    pub parent: Option<u64>,
}

/// Every listing's shipping weight, in kilograms.
pub const LISTING_WEIGHT_KG: f64 = 0.25;

impl Listing {
    /// Customs data: every second listing has it, so clients meet both cases.
    pub fn hs_code(&self) -> Option<&'static str> {
        (self.number % 2 == 0).then_some("610910")
    }

    pub fn country_of_origin(&self) -> Option<&'static str> {
        (self.number % 2 == 0).then_some("PT")
    }
}

#[derive(Clone, Debug)]
pub struct Line {
    pub id: u64,
    pub sku: String,
    /// The location the line is stocked and shipped from (Shopify; 1 elsewhere).
    pub location: u64,
    pub quantity: i64,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// Discount on the whole line, and its tax, in minor units.
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub listing: Option<Listing>,
    /// Units shipped (ever, including ones later refunded).
    pub fulfilled: i64,
    /// Units refunded (or cancelled) before they shipped.
    pub refunded_unshipped: i64,
    /// Units refunded after they shipped.
    pub refunded_shipped: i64,
    /// Units put back in stock by refunds (WooCommerce's `_restock_refunded_items`).
    pub restocked: i64,
    /// Units restocked after they had shipped (returns).
    pub returned: i64,
    /// Units refunded or cancelled before shipping and not restocked: gone for good.
    pub written_off_unshipped: i64,
}

impl Line {
    /// Units still on the order (Shopify's `currentQuantity`).
    pub fn current(&self) -> i64 {
        (self.quantity - self.refunded_unshipped - self.refunded_shipped).max(0)
    }

    /// Units not shipped and not refunded.
    pub fn open_units(&self) -> i64 {
        (self.quantity - self.refunded_unshipped - self.fulfilled).max(0)
    }
}

/// One refunded line of a refund, with Shopify's restock type (`CANCEL`, `RETURN`, `NO_RESTOCK`).
#[derive(Clone, Debug)]
pub struct RefundLine {
    pub line_id: u64,
    pub quantity: i64,
    pub restock_type: &'static str,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: u64,
    /// 1, 2, 3…: the shop's running order number.
    pub number: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid: bool,
    /// WooCommerce `on-hold` (awaiting a bank transfer): unpaid, stock reduced.
    pub on_hold: bool,
    /// The unpaid order's authorisation was voided.
    pub voided: bool,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Each refund, with its lines.
    pub refunds: Vec<Vec<RefundLine>>,
    /// Whether this order's quantities are currently taken out of stock.
    pub stock_taken: bool,
    /// Locations whose fulfillment orders the merchant put on hold (Shopify `ON_HOLD`).
    pub holds: Vec<u64>,
    /// The store's currency when the order was placed.
    pub currency: String,
    /// Customer, addresses, shipping, note, tags.
    pub whole: super::whole::Whole,
    pub lines: Vec<Line>,
}

impl Order {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Units still to ship on a line (nothing once cancelled).
    pub fn unfulfilled(&self, line: &Line) -> i64 {
        if self.is_cancelled() {
            0
        } else {
            line.open_units()
        }
    }

    /// Every unit refunded: the order is closed on the channel.
    pub fn fully_refunded(&self) -> bool {
        !self.refunds.is_empty() && self.lines.iter().all(|l| l.current() == 0)
    }

    /// The lines at their prices, before discounts.
    pub fn total_minor(&self) -> i64 {
        self.lines.iter().fold(0i64, |acc, l| acc.saturating_add(l.quantity.saturating_mul(l.price_minor)))
    }

    pub fn discount_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.discount_minor).sum()
    }

    /// Tax on the lines and the shipping.
    pub fn tax_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.tax_minor).sum::<i64>() + self.whole.shipping_tax_minor()
    }

    /// What the customer pays: lines less discounts, shipping, tax.
    pub fn grand_total_minor(&self) -> i64 {
        self.total_minor() - self.discount_minor() + self.whole.shipping_minor() + self.tax_minor()
    }

    /// The tester's own view (`GET /_sim/orders`).
    pub fn to_sim_json(&self) -> Value {
        json!({
            "id": self.id,
            "number": self.number,
            "paid": self.paid,
            "on_hold": self.on_hold,
            "voided": self.voided,
            "stock_taken": self.stock_taken,
            "cancelled": self.is_cancelled(),
            "cancelled_at": self.cancelled_at.map(iso_z),
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
            "updated_at_ms": self.updated_at.timestamp_millis(),
            "lines": self.lines.iter().map(|l| json!({
                "id": l.id,
                "sku": l.sku,
                "quantity": l.quantity,
                "price_minor": l.price_minor,
                "fulfilled": l.fulfilled,
                "current_quantity": l.current(),
                "refunded_unshipped": l.refunded_unshipped,
                "refunded_shipped": l.refunded_shipped,
                "restocked": l.restocked,
                // Units gone from the shop for good (shipped, or written off unshipped), less
                // returns; and units the shop still holds for the order.
                "gone": l.fulfilled + l.written_off_unshipped - l.returned,
                "held": if self.stock_taken && !self.is_cancelled() { l.open_units() } else { 0 },
                "listed": l.listing.is_some(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Issues strictly increasing timestamps: real UTC now, or the last one plus 1 ms.
#[derive(Debug, Default)]
pub struct Clock {
    last: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let t = match self.last {
            Some(last) if now <= last => last + TimeDelta::milliseconds(1),
            _ => now,
        };
        self.last = Some(t);
        t
    }
}

/// Truncates to whole seconds: the precision the platforms store and filter on.
pub fn to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    // On the naive UTC time: `DateTime::with_nanosecond` converts to local time and back, and a
    // list scans every order of the store with this (a page of a big store, thousands of times).
    t.naive_utc().with_nanosecond(0).map_or(t, |n| n.and_utc())
}

/// `2026-11-28T04:00:00Z` (Shopify GraphQL).
pub fn iso_z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2026-11-28T04:00:00` (WooCommerce `_gmt` fields).
pub fn iso_naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `2026-11-28T04:00:00+00:00` (Shopify REST, as in webhooks, for a shop on UTC).
pub fn iso_offset(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Parses `2026-11-28T04:00:00Z`, `…+01:00`, `2026-11-28T04:00:00` (taken as UTC) or `2026-11-28`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// Where a platform's id ranges start.
#[derive(Clone, Copy, Debug)]
struct IdScheme {
    order: u64,
    line: u64,
    product: u64,
    variant: u64,
    inventory_item: u64,
}

impl IdScheme {
    fn for_kind(kind: Kind) -> IdScheme {
        match kind {
            // Shopify ids are large (13 digits): a client that squeezes them into 32 bits breaks here.
            Kind::Shopify => IdScheme {
                order: 5_500_000_000_000,
                line: 13_600_000_000_000,
                product: 8_100_000_000_000,
                variant: 44_700_000_000_000,
                inventory_item: 46_800_000_000_000,
            },
            Kind::WooCommerce => IdScheme { order: 1000, line: 0, product: 100, variant: 0, inventory_item: 100 },
        }
    }
}

/// Unit price of every simulated line unless the tester names one: 6.00.
pub const DEFAULT_PRICE_MINOR: i64 = 600;

/// Outcome of a tester operation on an existing order.
#[derive(Debug, PartialEq, Eq)]
pub enum OrderChange {
    NotFound,
    /// The order is not in a state that allows it (already paid, cancelled…).
    Conflict(&'static str),
    Done,
}

/// A new order's line as the tester describes it.
#[derive(Clone, Debug)]
pub struct NewLine {
    pub sku: String,
    pub quantity: i64,
    pub price_minor: i64,
    /// The location it sells from: [`PRIMARY_LOCATION`] unless the tester names another.
    pub location: u64,
    pub discount_minor: i64,
    pub tax_minor: i64,
}

/// The shop's primary location (Shopify's `location` without an id); WooCommerce's only one.
pub const PRIMARY_LOCATION: u64 = 1;

/// The simulated Shopify shop's locations: the primary one, and a second that sorts first by
/// name, so a client taking the first location listed meets the wrong one, as on real shops.
pub const SHOPIFY_LOCATIONS: [(u64, &str); 2] = [(PRIMARY_LOCATION, "Main warehouse"), (2, "Annex")];

#[derive(Debug)]
pub struct Store {
    pub kind: Kind,
    ids: IdScheme,
    pub clock: Clock,
    pub listings: BTreeMap<String, Listing>,
    /// Stock at the primary location.
    pub stock: BTreeMap<String, i64>,
    /// Stock at the other locations, by (location, SKU); an absent entry: not stocked there.
    pub elsewhere: BTreeMap<(u64, String), i64>,
    pub orders: Vec<Order>,
    pub fulfilments: Vec<Value>,
    /// Every accepted stock push through a platform API (`GET /_sim/stock_calls`).
    pub stock_calls: Vec<Value>,
    /// Shopify `@idempotent` keys: the input first seen with each key, and the reply given.
    pub idempotency: HashMap<String, (Value, Value)>,
    /// WooCommerce OAuth nonces used in the last 15 minutes, with their timestamps.
    pub nonces: HashMap<String, i64>,
    /// WooCommerce variable products: their SKU and product id (their variations are listings).
    pub variable: BTreeMap<String, u64>,
    /// WooCommerce's weight and dimension units (Settings → Products).
    pub units: (String, String),
    /// WooCommerce's currency (Settings → General).
    pub currency: String,
    next_listing: u64,
    next_order: u64,
    next_line: u64,
}

impl Store {
    pub fn new(kind: Kind) -> Store {
        Store {
            kind,
            ids: IdScheme::for_kind(kind),
            clock: Clock::default(),
            listings: BTreeMap::new(),
            stock: BTreeMap::new(),
            elsewhere: BTreeMap::new(),
            orders: Vec::new(),
            fulfilments: Vec::new(),
            stock_calls: Vec::new(),
            idempotency: HashMap::new(),
            nonces: HashMap::new(),
            variable: BTreeMap::new(),
            units: ("kg".into(), "cm".into()),
            currency: "GBP".into(),
            next_listing: 1,
            next_order: 1,
            next_line: 1,
        }
    }

    /// A WooCommerce variable product with these variations (SKU, stock); a variation already
    /// listed keeps its ids and moves under this product.
    pub fn set_variable(&mut self, parent_sku: &str, variations: &[(String, i64)]) -> u64 {
        let parent = match self.variable.get(parent_sku) {
            Some(id) => *id,
            None => {
                let n = self.next_listing;
                self.next_listing += 1;
                let id = self.ids.product + n;
                self.variable.insert(parent_sku.to_string(), id);
                id
            }
        };
        for (sku, quantity) in variations {
            self.set_stock(sku, *quantity);
            if let Some(l) = self.listings.get_mut(sku) {
                l.parent = Some(parent);
            }
        }
        parent
    }

    /// Sets a SKU's stock at a location, creating its listing first if needed.
    pub fn set_stock_at(&mut self, location: u64, sku: &str, quantity: i64) {
        if location == PRIMARY_LOCATION {
            return self.set_stock(sku, quantity);
        }
        if !self.listings.contains_key(sku) {
            self.set_stock(sku, 0);
        }
        self.elsewhere.insert((location, sku.to_string()), quantity);
    }

    /// A SKU's stock at a location; None when it is not stocked there.
    pub fn stock_at(&self, location: u64, sku: &str) -> Option<i64> {
        if location == PRIMARY_LOCATION {
            self.stock.get(sku).copied()
        } else {
            self.elsewhere.get(&(location, sku.to_string())).copied()
        }
    }

    /// A SKU's stock over every location (Shopify's `inventoryQuantity`).
    pub fn total_stock(&self, sku: &str) -> i64 {
        self.elsewhere
            .iter()
            .filter(|((_, s), _)| s == sku)
            .fold(self.stock_of(sku), |sum, (_, q)| sum.saturating_add(*q))
    }

    /// Sets a SKU's stock, creating its listing first if needed.
    pub fn set_stock(&mut self, sku: &str, quantity: i64) {
        if !self.listings.contains_key(sku) {
            let n = self.next_listing;
            self.next_listing += 1;
            let listing = Listing {
                number: n,
                product_id: self.ids.product + n,
                variant_id: if self.ids.variant == 0 { 0 } else { self.ids.variant + n },
                inventory_item_id: self.ids.inventory_item + n,
                parent: None,
            };
            self.listings.insert(sku.to_string(), listing);
        }
        self.stock.insert(sku.to_string(), quantity);
    }

    /// The SKU listed under a product id.
    pub fn sku_by_product(&self, product_id: u64) -> Option<String> {
        self.listings.iter().find(|(_, l)| l.product_id == product_id).map(|(s, _)| s.clone())
    }

    /// The SKU whose listing has this inventory item.
    pub fn sku_by_inventory_item(&self, item_id: u64) -> Option<String> {
        self.listings.iter().find(|(_, l)| l.inventory_item_id == item_id).map(|(s, _)| s.clone())
    }

    /// Current stock of a SKU (0 when it has none recorded).
    pub fn stock_of(&self, sku: &str) -> i64 {
        self.stock.get(sku).copied().unwrap_or(0)
    }

    /// Applies stock figures pushed through a platform API to listed SKUs and records the call.
    /// Unlisted SKUs are skipped; nothing is recorded when no item applies.
    pub fn push_stock(&mut self, items: &[(String, i64)]) {
        self.push_stock_at(PRIMARY_LOCATION, items)
    }

    /// [`Store::push_stock`] at one location.
    pub fn push_stock_at(&mut self, location: u64, items: &[(String, i64)]) {
        let applied: Vec<Value> = items
            .iter()
            .filter(|(sku, _)| self.listings.contains_key(sku))
            .map(|(sku, q)| json!({ "sku": sku, "quantity": q }))
            .collect();
        if applied.is_empty() {
            return;
        }
        for (sku, q) in items {
            if self.listings.contains_key(sku) {
                match location {
                    PRIMARY_LOCATION => self.stock.insert(sku.clone(), *q),
                    other => self.elsewhere.insert((other, sku.clone()), *q),
                };
            }
        }
        let at_ms = self.clock.tick().timestamp_millis();
        self.stock_calls.push(json!({ "at_ms": at_ms, "location": location, "items": applied }));
    }

    /// Whether the platform holds stock for an order in this state: Shopify commits stock when
    /// an order is created, whatever its payment; WooCommerce reduces it in `on-hold`,
    /// `processing` and `completed`, not in `pending`.
    pub fn reserves(&self, order: &Order) -> bool {
        !order.is_cancelled()
            && match self.kind {
                Kind::Shopify => true,
                Kind::WooCommerce => order.paid || order.on_hold,
            }
    }

    /// A storefront checkout's refusal: the first line the shop's own figure cannot cover, as
    /// (SKU, figure). Shopify's variants default to `inventoryPolicy: DENY` ("customers can't buy
    /// this product variant after it's out of stock") and WooCommerce's products to
    /// `backorders: "no"`, so a shop refuses a sale its figure cannot cover.
    pub fn checkout_refusal(&self, lines: &[NewLine]) -> Option<(String, i64)> {
        let mut wanted: BTreeMap<(u64, &str), i64> = BTreeMap::new();
        for l in lines {
            *wanted.entry((l.location, l.sku.as_str())).or_default() += l.quantity;
        }
        wanted.into_iter().find_map(|((location, sku), quantity)| {
            let figure = self.stock_at(location, sku).unwrap_or(0);
            (figure < quantity).then(|| (sku.to_string(), figure))
        })
    }

    pub fn create_order(&mut self, lines: Vec<NewLine>, paid: bool) -> u64 {
        self.create_order_held(lines, paid, false)
    }

    /// `on_hold`: WooCommerce's unpaid `on-hold` (a bank transfer awaited).
    pub fn create_order_held(&mut self, lines: Vec<NewLine>, paid: bool, on_hold: bool) -> u64 {
        self.create_whole_order(lines, paid, on_hold, super::whole::Whole::default())
    }

    /// An order with a customer, addresses, shipping, note and tags.
    pub fn create_whole_order(
        &mut self,
        lines: Vec<NewLine>,
        paid: bool,
        on_hold: bool,
        whole: super::whole::Whole,
    ) -> u64 {
        let number = self.next_order;
        self.next_order += 1;
        let now = self.clock.tick();
        let lines = lines
            .into_iter()
            .map(|l| {
                let id = self.ids.line + self.next_line;
                self.next_line += 1;
                Line {
                    id,
                    location: l.location,
                    listing: self.listings.get(&l.sku).cloned(),
                    sku: l.sku,
                    quantity: l.quantity,
                    price_minor: l.price_minor,
                    discount_minor: l.discount_minor,
                    tax_minor: l.tax_minor,
                    fulfilled: 0,
                    refunded_unshipped: 0,
                    refunded_shipped: 0,
                    restocked: 0,
                    returned: 0,
                    written_off_unshipped: 0,
                }
            })
            .collect();
        let mut order = Order {
            id: self.ids.order + number,
            number,
            created_at: now,
            updated_at: now,
            paid,
            on_hold: on_hold && !paid,
            voided: false,
            cancelled_at: None,
            refunds: Vec::new(),
            stock_taken: false,
            holds: Vec::new(),
            currency: self.currency.clone(),
            whole,
            lines,
        };
        if self.reserves(&order) {
            take_stock(&mut self.stock, &mut self.elsewhere, &mut order);
        }
        let id = order.id;
        self.orders.push(order);
        id
    }

    /// The merchant edits where an order goes: `set` changes the shipping address.
    pub fn edit_shipping(&mut self, id: u64, set: impl FnOnce(&mut super::whole::Person)) -> OrderChange {
        let now = self.clock.tick();
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        set(order.whole.shipping_address.get_or_insert_with(Default::default));
        order.updated_at = now;
        OrderChange::Done
    }

    pub fn order(&self, id: u64) -> Option<&Order> {
        self.orders.iter().find(|o| o.id == id)
    }

    /// Marks an unpaid order paid and takes its stock.
    pub fn pay(&mut self, id: u64) -> OrderChange {
        let now = self.clock.tick();
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if order.is_cancelled() {
            return OrderChange::Conflict("order is cancelled");
        }
        if order.paid {
            return OrderChange::Conflict("order is already paid");
        }
        order.paid = true;
        order.on_hold = false;
        order.updated_at = now;
        take_stock(&mut self.stock, &mut self.elsewhere, order);
        OrderChange::Done
    }

    /// WooCommerce `on-hold` (a payment awaited): the order's stock is reduced.
    pub fn hold_unpaid(&mut self, id: u64) -> OrderChange {
        let now = self.clock.tick();
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if order.is_cancelled() || order.paid || order.on_hold {
            return OrderChange::Conflict("only a pending order can be put on hold");
        }
        order.on_hold = true;
        order.updated_at = now;
        take_stock(&mut self.stock, &mut self.elsewhere, order);
        OrderChange::Done
    }

    /// WooCommerce `pending` again: unpaid, and the stock it had reduced restored.
    pub fn back_to_pending(&mut self, id: u64) -> OrderChange {
        let now = self.clock.tick();
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if order.is_cancelled() || order.lines.iter().any(|l| l.fulfilled > 0) {
            return OrderChange::Conflict("a cancelled or shipped order cannot go back to pending");
        }
        if order.stock_taken {
            for line in &order.lines {
                let back = (line.quantity - line.restocked).max(0);
                if let Some(q) = stock_cell(&mut self.stock, &mut self.elsewhere, line.location, &line.sku) {
                    *q = q.saturating_add(back);
                }
            }
            order.stock_taken = false;
        }
        order.paid = false;
        order.on_hold = false;
        order.updated_at = now;
        OrderChange::Done
    }

    fn order_mut(&mut self, id: u64) -> Option<&mut Order> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    /// Voids an unpaid order's payment: the platform cancels it and gives its stock back.
    pub fn void(&mut self, id: u64) -> OrderChange {
        match self.order(id) {
            None => return OrderChange::NotFound,
            Some(o) if o.paid => return OrderChange::Conflict("order is paid: refund it instead"),
            Some(_) => {}
        }
        let outcome = self.cancel_with(id, true);
        if let Some(o) = self.order_mut(id) {
            o.voided = true;
        }
        outcome
    }

    /// Ships units in the shop's own admin (not through the API Chorus uses). `lines` names
    /// (SKU, quantity); None ships everything left. WooCommerce ships whole orders only
    /// (status `completed`), and completing an order reduces its stock if not yet reduced.
    pub fn fulfil_in_admin(&mut self, id: u64, lines: Option<&[(String, i64)]>) -> OrderChange {
        let now = self.clock.tick();
        let kind = self.kind;
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if order.is_cancelled() {
            return OrderChange::Conflict("order is cancelled");
        }
        if kind == Kind::WooCommerce && lines.is_some() {
            return OrderChange::Conflict("WooCommerce ships whole orders: omit lines (status completed)");
        }
        let mut shipped = 0;
        for line in &mut order.lines {
            let open = line.open_units();
            let want = match lines {
                None => open,
                Some(named) => named.iter().filter(|(s, _)| *s == line.sku).map(|(_, q)| *q).sum(),
            };
            if want > open {
                return OrderChange::Conflict("more than is left to ship on a line");
            }
            line.fulfilled += want;
            shipped += want;
        }
        if shipped == 0 {
            return OrderChange::Conflict("nothing left to ship");
        }
        if kind == Kind::WooCommerce {
            order.paid = true;
            order.on_hold = false;
            take_stock(&mut self.stock, &mut self.elsewhere, order);
        }
        order.updated_at = now;
        OrderChange::Done
    }

    /// Refunds units (`lines` as (SKU, quantity); None: every unit still on the order), taking
    /// unshipped units first. `restock` puts them back in stock — unshipped units as Shopify's
    /// `CANCEL`, shipped ones as `RETURN`; without it they are `NO_RESTOCK` and stay out.
    pub fn refund(&mut self, id: u64, lines: Option<&[(String, i64)]>, restock: bool) -> OrderChange {
        let now = self.clock.tick();
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if !order.paid {
            return OrderChange::Conflict("order is not paid: void it instead");
        }
        let mut items = Vec::new();
        for line in &mut order.lines {
            let want = match lines {
                None => line.current(),
                Some(named) => named.iter().filter(|(s, _)| *s == line.sku).map(|(_, q)| *q).sum(),
            };
            if want > line.current() {
                return OrderChange::Conflict("more than is left on a line");
            }
            let unshipped = want.min(line.open_units());
            let shipped = want - unshipped;
            line.refunded_unshipped += unshipped;
            line.refunded_shipped += shipped;
            for (q, restocked_type) in [(unshipped, "CANCEL"), (shipped, "RETURN")] {
                if q > 0 {
                    let restock_type = if restock { restocked_type } else { "NO_RESTOCK" };
                    items.push(RefundLine { line_id: line.id, quantity: q, restock_type });
                }
            }
            if restock {
                line.returned += shipped;
            } else {
                line.written_off_unshipped += unshipped;
            }
            if restock && want > 0 {
                line.restocked += want;
                if order.stock_taken || shipped > 0 {
                    if let Some(s) = stock_cell(&mut self.stock, &mut self.elsewhere, line.location, &line.sku) {
                        *s = s.saturating_add(want);
                    }
                }
            }
        }
        if items.is_empty() {
            return OrderChange::Conflict("nothing to refund");
        }
        order.refunds.push(items);
        order.updated_at = now;
        OrderChange::Done
    }

    /// Cancels an order and gives back the stock its unshipped units had taken.
    pub fn cancel(&mut self, id: u64) -> OrderChange {
        self.cancel_with(id, true)
    }

    /// Shopify's `orderCancel(restock:)`: unshipped units are restocked (`CANCEL`) or not
    /// (`NO_RESTOCK`, they stay out of stock). WooCommerce restores reduced stock on
    /// `cancelled` whatever is asked.
    pub fn cancel_with(&mut self, id: u64, restock: bool) -> OrderChange {
        let now = self.clock.tick();
        let restock = restock || self.kind == Kind::WooCommerce;
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else { return OrderChange::NotFound };
        if order.is_cancelled() {
            return OrderChange::Conflict("order is already cancelled");
        }
        let woo = self.kind == Kind::WooCommerce;
        let mut items = Vec::new();
        for line in &mut order.lines {
            // WooCommerce restores every unit it had reduced and not restocked yet: units
            // refunded earlier without restock, and shipped ones too (it has no shipments).
            if woo && order.stock_taken {
                let back = (line.quantity - line.restocked).max(0);
                if let Some(q) = stock_cell(&mut self.stock, &mut self.elsewhere, line.location, &line.sku) {
                    *q = q.saturating_add(back);
                }
                line.restocked = line.quantity;
                line.written_off_unshipped = 0;
                line.returned = line.fulfilled;
                line.refunded_unshipped += line.open_units();
                continue;
            }
            let open = line.open_units();
            if open == 0 {
                continue;
            }
            line.refunded_unshipped += open;
            items.push(RefundLine {
                line_id: line.id,
                quantity: open,
                restock_type: if restock { "CANCEL" } else { "NO_RESTOCK" },
            });
            if !restock {
                line.written_off_unshipped += open;
            }
            if restock && order.stock_taken {
                line.restocked += open;
                if let Some(q) = stock_cell(&mut self.stock, &mut self.elsewhere, line.location, &line.sku) {
                    *q = q.saturating_add(open);
                }
            }
        }
        if !items.is_empty() {
            order.refunds.push(items);
        }
        order.cancelled_at = Some(now);
        order.updated_at = now;
        OrderChange::Done
    }
}

/// Decrements stock for the order's listed SKUs (platforms let it go negative: oversold).
fn take_stock(stock: &mut BTreeMap<String, i64>, elsewhere: &mut BTreeMap<(u64, String), i64>, order: &mut Order) {
    if order.stock_taken {
        return;
    }
    for line in &order.lines {
        if let Some(q) = stock_cell(stock, elsewhere, line.location, &line.sku) {
            *q = q.saturating_sub(line.quantity);
        }
    }
    order.stock_taken = true;
}

/// The stock figure of a SKU at a location, if it is stocked there.
fn stock_cell<'a>(
    stock: &'a mut BTreeMap<String, i64>,
    elsewhere: &'a mut BTreeMap<(u64, String), i64>,
    location: u64,
    sku: &str,
) -> Option<&'a mut i64> {
    if location == PRIMARY_LOCATION {
        stock.get_mut(sku)
    } else {
        elsewhere.get_mut(&(location, sku.to_string()))
    }
}

/// Minor units as a store in `currency` renders them: "600" yen, "6.00" pounds, "0.600" dinars.
pub fn money_in(minor: i64, currency: &str) -> String {
    let places = crate::domain::money::exponent(currency).unwrap_or(2);
    if places == 0 {
        return minor.to_string();
    }
    let unit = 10i64.pow(places);
    format!("{}.{:0width$}", minor / unit, minor % unit, width = places as usize)
}

/// Minor units as the platforms render money: "12.00".
pub fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_strictly_increasing() {
        let mut c = Clock::default();
        let mut last = c.tick();
        for _ in 0..1000 {
            let t = c.tick();
            assert!(t > last);
            last = t;
        }
    }

    #[test]
    fn paid_order_takes_stock_and_cancel_restores_it() {
        let mut s = Store::new(Kind::WooCommerce);
        s.set_stock("A", 10);
        let id = s.create_order(
            vec![NewLine {
                sku: "A".into(),
                quantity: 3,
                price_minor: 600,
                location: PRIMARY_LOCATION,
                discount_minor: 0,
                tax_minor: 0,
            }],
            true,
        );
        assert_eq!(s.stock["A"], 7);
        assert_eq!(s.cancel(id), OrderChange::Done);
        assert_eq!(s.stock["A"], 10);
        assert_eq!(s.cancel(id), OrderChange::Conflict("order is already cancelled"));
        let unpaid = s.create_order(
            vec![NewLine {
                sku: "A".into(),
                quantity: 2,
                price_minor: 600,
                location: PRIMARY_LOCATION,
                discount_minor: 0,
                tax_minor: 0,
            }],
            false,
        );
        assert_eq!(s.stock["A"], 10);
        assert_eq!(s.pay(unpaid), OrderChange::Done);
        assert_eq!(s.stock["A"], 8);
        assert_eq!(s.pay(999_999), OrderChange::NotFound);
    }

    #[test]
    fn parses_the_time_forms_clients_send() {
        let want = parse_time("2026-11-28T04:00:00Z");
        assert!(want.is_some());
        assert_eq!(parse_time("2026-11-28T04:00:00"), want);
        assert_eq!(parse_time("2026-11-28T05:00:00+01:00"), want);
        assert_eq!(parse_time("nonsense"), None);
    }
}
