//! The actors: one InventoryActor serialising every stock mutation, one supervised
//! ChannelActor per enabled channel (kept by the registry), one PluginActor per enabled plugin, one WebhookActor per enabled subscription,
//! and the signed delivery they and the webhook actors share.

pub mod channel;
pub mod delivery;
pub mod error;
pub mod inventory;
pub mod plugin;
pub mod registry;
pub mod supervision;
pub mod webhook;
