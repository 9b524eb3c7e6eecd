//! The actors: one InventoryActor serialising every stock mutation, one supervised
//! ChannelActor per enabled channel (kept by the registry), one PluginActor per enabled plugin, one WebhookActor per enabled subscription,
//! and the signed delivery they and the webhook actors share.
//!
//! # Message catalogue
//!
//! Every message an actor handles, who sends it, and what the handler does.
//!
//! | message | sent by | handled by | does |
//! | --- | --- | --- | --- |
//! | `SetSourceQuantity`, `AdjustQuantity` | `http/inventory/{set_source,adjust}.rs`, the bench | InventoryActor | one source of one SKU, in the next group commit; answers the SKU's level |
//! | `SetMany` | `http/inventory/bulk_set.rs`, `http/plugin_api/inventory.rs`, the sandbox, the bench | InventoryActor | many SKUs of one source, all or nothing |
//! | `ImportOrders` | ChannelActor's `Poller` (each page of a poll), `http/hooks.rs` (an order webhook) | InventoryActor | the import plan applied: allocation, rows, history, events, routing, the cursor |
//! | `OrderAction` | `http/orders/action.rs` | InventoryActor | release or exclude an order |
//! | `CreateFulfilment` | `http/fulfilments/create.rs`, `http/plugin_api` fulfilments | InventoryActor | ship lines: stock off their source, a fulfilment queued for the channel |
//! | `DeleteProduct`, `DeleteChannel` | `http/products/delete.rs`, `http/channels/delete.rs` | InventoryActor | removal, refused while open orders hold stock |
//! | `StoreCatalogue` | ChannelActor (`SyncCatalogue`) | InventoryActor | a channel's listings stored, pushes queued for new links |
//! | `Subscribe`, `Listen` | tests; the channel and plugin registries as each actor starts; `webhook::watch::start`; `Application` (who revives a dead plugin actor) | InventoryActor | who hears the broadcast below |
//! | `Drain` | `Application` at shutdown | InventoryActor | resolves once nothing is queued or in flight |
//! | `StockChanged` | InventoryActor, after each commit | `Subscribe`rs | one SKU's new figures |
//! | `WorkQueued` | InventoryActor, after a commit queuing pushes or routing orders | the ChannelActor / PluginActor concerned | runs its push or send round (as `PushNow` / `SendNow`) |
//! | `EventsCommitted` | InventoryActor, after each commit; the watcher's own timer | `webhook::watch::EventWatcher` | looks for new events, tells the webhook actors (`EventsWritten`) |
//! | `EventsWritten` | `EventWatcher` through `WebhookRegistry::events_written` | WebhookActor | delivers now if it takes one of those kinds |
//! | `DeliverNow` | `WebhookRegistry::deliver_now` (replay, resend), its own timer | WebhookActor | one delivery round (`round.rs`) |
//! | `PollNow` | `ChannelRegistry::poll_now` (`POST …/sync`, an order webhook), its own timer | ChannelActor | one poll through the `Poller` (one at a time; asked for meanwhile, once more after) |
//! | `PushNow` | `ChannelRegistry::push_now` (the API after a change), its own timers | ChannelActor | one push round (`push::drain`), fulfilments first |
//! | `VerifyFigures`, `SyncCatalogue` | the ChannelActor itself | ChannelActor | re-check figures read earlier; read the catalogue |
//! | `SendNow` | its own timer, `WorkQueued` | PluginActor | sends the routed orders due (`send.rs`) |
//! | `Reload`, `Retire` | the registries (`supervision::Registry`) | Channel, Plugin and Webhook actors | reload settings; stop for good |
//! | `InjectPanic` | tests | ChannelActor | the next poll panics in the connector |

pub mod channel;
pub mod cluster;
pub mod delivery;
pub mod error;
pub mod inventory;
pub mod plugin;
pub mod registry;
pub mod supervision;
pub mod turn;
pub mod webhook;
