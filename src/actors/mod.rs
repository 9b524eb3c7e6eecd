//! The actors: one InventoryActor serialising every stock mutation, one supervised
//! ChannelActor per enabled channel (kept by the registry).

pub mod channel;
pub mod inventory;
pub mod registry;
