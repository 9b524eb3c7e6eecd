//! The event watcher: one actor per process. It gives newly committed events their delivery
//! position and wakes every webhook actor when there are new ones, so an idle subscription
//! makes no query of its own. It looks when the InventoryActor's broadcast says a commit wrote
//! events (`EventsCommitted`), and at least every `webhooks.watch_interval_ms` for events
//! written elsewhere (the API, another process).

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::registry::WebhookRegistry;
use crate::actors::inventory::{EventsCommitted, InventoryActor, Listen, Listener};
use crate::db::{self, DbPool};

pub struct EventWatcher {
    pool: DbPool,
    webhooks: WebhookRegistry,
    interval: Duration,
    /// The last event position seen; none before the first look.
    seen: Option<i64>,
    looking: bool,
    /// Told of a commit while a look ran: look again when it ends.
    look_again: bool,
}

/// Starts the watcher and subscribes it to the InventoryActor's broadcast.
pub fn start(
    pool: DbPool,
    webhooks: WebhookRegistry,
    inventory: &Addr<InventoryActor>,
    interval: Duration,
) -> Recipient<EventsCommitted> {
    let watcher = EventWatcher { pool, webhooks, interval, seen: None, looking: false, look_again: false }.start();
    inventory.do_send(Listen(Listener::Events(watcher.clone().recipient())));
    watcher.recipient()
}

/// The safety-net look, every `webhooks.watch_interval_ms`.
#[derive(Message)]
#[rtype(result = "()")]
struct Tick;

impl Actor for EventWatcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.notify(Tick);
        ctx.run_interval(self.interval, |_, ctx| ctx.notify(Tick));
    }
}

impl Handler<Tick> for EventWatcher {
    type Result = ();

    /// A tick while a look runs is dropped: the look under way sees what it would have, so a
    /// slow database is not looked at back to back.
    fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
        if !self.looking {
            self.look(ctx);
        }
    }
}

impl Handler<EventsCommitted> for EventWatcher {
    type Result = ();

    /// A commit during a look may have written events that look missed: look again after it.
    fn handle(&mut self, _: EventsCommitted, ctx: &mut Context<Self>) {
        if self.looking {
            self.look_again = true;
        } else {
            self.look(ctx);
        }
    }
}

impl EventWatcher {
    fn look(&mut self, ctx: &mut Context<Self>) {
        self.looking = true;
        let seen = self.seen;
        let look = db::run(&self.pool, move |conn| {
            db::events::sequence(conn)?;
            let last = db::events::last_seq(conn)?;
            let kinds = match seen {
                Some(s) if last > s => db::events::kinds_after(conn, s)?,
                _ => Vec::new(),
            };
            Ok((last, kinds))
        });
        ctx.spawn(look.into_actor(self).map(|looked, act, ctx| {
            act.looking = false;
            match looked {
                Ok((last, kinds)) => {
                    if !kinds.is_empty() {
                        act.webhooks.events_written(Arc::new(kinds.into_iter().collect()));
                    }
                    act.seen = Some(last);
                }
                Err(e) => tracing::warn!(error = %e, "looking for new events failed; trying again"),
            }
            if std::mem::take(&mut act.look_again) {
                ctx.notify(EventsCommitted);
            }
        }));
    }
}
