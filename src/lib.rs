//! Chorus keeps a merchant's sales channels in step: one true stock figure per SKU, orders
//! imported exactly once, figures pushed back to every channel.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::implicit_clone))]

pub mod actors;
pub mod application;
pub mod bench;
pub mod config;
pub mod connectors;
pub mod console;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod measure;
pub mod records;
pub mod sandbox;
pub mod secrets;
pub mod sim;
pub mod telemetry;
pub mod views;

pub use application::Application;
