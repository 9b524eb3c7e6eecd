//! Pure rules: no I/O, no clock. Each module is unit-tested beside its code.

pub mod address;
pub mod backoff;
pub mod channel;
pub mod check;
pub mod fulfilment;
pub mod ids;
pub mod import;
pub mod listing;
pub mod money;
pub mod order;
pub mod order_details;
pub mod routing;
pub mod signature;
pub mod sku;
pub mod source;
pub mod standard_webhooks;
pub mod stock;
pub mod storm;
pub mod webhook;
