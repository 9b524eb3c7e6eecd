//! The actors: one InventoryActor serialising every stock mutation; channel, plugin and
//! webhook actors join as their flows land.

pub mod inventory;
