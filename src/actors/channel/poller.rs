//! The channel's one way in for orders. Every poll — the timer's, a webhook's, the import a
//! push round makes before it pushes or after a stale compare, a figure check's — goes through
//! here. They are not made to wait for each other: a push round must not sit behind a slow
//! poll (Shopify's cost throttle can hold one for tens of seconds), and importing an order
//! twice is harmless (an unchanged order is recognised and skipped). The actor's timer polls
//! run one at a time (its `Turn`).

use std::rc::Rc;

use actix::Addr;

use super::{ImportOrders, ImportOutcome, InventoryActor, MAX_PAGES, OVERLAP_MS};
use crate::actors::error::ActorError;
use crate::connectors::Connector;
use crate::db::{self, channels::Channel, DbPool};

/// What a channel's work needs: the channel as loaded, its connector, and where things go.
pub struct Poller {
    pub channel: Channel,
    pub connector: Rc<dyn Connector>,
    pub inventory: Addr<InventoryActor>,
    pub pool: DbPool,
    /// `options.cadence_ms`: this channel stands in for a polling-cadence system (benchmarks).
    pub cadence: Option<std::time::Duration>,
    /// The lease the channel's actor holds (None on SQLite), checked by its writes.
    pub fence: Option<crate::db::cluster::Fence>,
}

impl Poller {
    pub fn new(channel: Channel, connector: Rc<dyn Connector>, inventory: Addr<InventoryActor>, pool: DbPool) -> Self {
        let cadence = channel.options().cadence_ms.map(std::time::Duration::from_millis);
        Poller { channel, connector, inventory, pool, cadence, fence: None }
    }

    pub fn id(&self) -> i64 {
        self.channel.id
    }

    /// Fetches and imports everything changed on the channel since the cursor.
    pub async fn poll(&self) -> Result<ImportOutcome, ActorError> {
        self.poll_or_panic(false).await
    }

    /// `poll`, panicking inside the connector call first when `panic_now` (the test hook
    /// `InjectPanic`, for the actor's own timer poll only).
    pub async fn poll_or_panic(&self, panic_now: bool) -> Result<ImportOutcome, ActorError> {
        let id = self.channel.id;
        let state = db::run(&self.pool, move |conn| Ok(db::orders::channel_state(conn, id)?)).await?;
        let since = state.cursor_updated_at.map(|c| c - OVERLAP_MS);
        let mut total = ImportOutcome::default();
        let mut page_token = None;
        // The next page is read while the last one is written: one import in flight at a
        // time, so pages still go in in order.
        let mut writing = None;
        for _ in 0..MAX_PAGES {
            if panic_now {
                panic!("injected connector panic (test hook)");
            }
            let fetched = self.connector.fetch_orders(since, page_token.take()).await;
            if let Some(write) = writing.take() {
                total.add(&self.written(write).await?);
            }
            let page = fetched?;
            let cursor = page.orders.iter().map(|o| o.updated_at).max();
            let mut import = ImportOrders::for_channel(&self.channel, page.orders, cursor);
            // A cadence system ends each cycle by sending every figure again.
            import.resend = self.cadence.is_some() && page.next.is_none();
            import.fence = self.fence.clone();
            writing = Some(self.inventory.send(import));
            match page.next {
                Some(next) => page_token = Some(next),
                None => break,
            }
        }
        if let Some(write) = writing {
            total.add(&self.written(write).await?);
        }
        Ok(total)
    }

    /// Waits for a page's import and counts it.
    async fn written(
        &self,
        write: actix::dev::Request<InventoryActor, ImportOrders>,
    ) -> Result<ImportOutcome, ActorError> {
        let outcome = write.await??;
        crate::measure::import(self.channel.id, &outcome.counts());
        Ok(outcome)
    }
}
