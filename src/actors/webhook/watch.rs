//! The event watcher: one per process. It gives newly committed events their delivery
//! position and wakes every webhook actor when there are new ones, so an idle subscription
//! makes no query of its own. It looks when the InventoryActor rings after a commit, and at
//! least every `webhooks.watch_interval_ms` for events written elsewhere (the API, another
//! process).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::registry::WebhookRegistry;
use crate::db::{self, DbPool};

/// Rung after a commit that may have written events.
#[derive(Clone, Default)]
pub struct EventBell(Arc<Notify>);

impl EventBell {
    pub fn ring(&self) {
        self.0.notify_one();
    }
}

pub fn spawn(pool: DbPool, webhooks: WebhookRegistry, bell: EventBell, interval: Duration) {
    actix_web::rt::spawn(async move {
        let mut seen: Option<i64> = None;
        loop {
            let looked = db::run(&pool, move |conn| {
                db::events::sequence(conn)?;
                let last = db::events::last_seq(conn)?;
                let kinds = match seen {
                    Some(s) if last > s => db::events::kinds_after(conn, s)?,
                    _ => Vec::new(),
                };
                Ok((last, kinds))
            })
            .await;
            match looked {
                Ok((last, kinds)) => {
                    if !kinds.is_empty() {
                        webhooks.events_written(Arc::new(kinds.into_iter().collect()));
                    }
                    seen = Some(last);
                }
                Err(e) => tracing::warn!(error = %e, "looking for new events failed; trying again"),
            }
            // A ring while this look ran is kept by the Notify: the next wait ends at once.
            let _ = actix_web::rt::time::timeout(interval, bell.0.notified()).await;
        }
    });
}
