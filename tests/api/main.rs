//! The integration tests: one binary, the real app on port 0, a real database (SQLite always,
//! PostgreSQL too when TEST_DATABASE_URL is set).

mod catalogue;
mod channels;
mod cluster;
mod config;
mod console;
mod crash;
mod demo;
mod fulfilment;
mod hardening;
mod helpers;
mod idle;
mod inventory;
mod isolation;
mod layers;
mod locations;
mod metrics;
mod openapi;
mod orders;
mod oversell;
mod plugins;
mod products;
mod sim;
mod stock_sync;
mod stock_truth;
mod storage;
mod webhooks;
mod whole_orders;
mod woo_store;
