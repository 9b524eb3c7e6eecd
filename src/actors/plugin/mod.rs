//! PluginActor: one per enabled plugin (fulfilment centre). Sends the orders routed to it from
//! the outbox, signed as Standard Webhooks, one at a time in the order they were routed;
//! retries with back-off until the plugin answers 2xx. Supervised like the channel actors: a
//! panic stops this actor alone and the Supervisor starts it again with its state reloaded.

pub mod registry;
mod send;

use std::time::Duration;

use actix::prelude::*;

use crate::actors::supervision::{restart_backoff, Reload, Retire};
use crate::actors::turn::Turn;
use crate::db::{self, plugins::Plugin, DbPool};
use crate::secrets::SecretBox;

/// Send what is due now (routed orders, or a retry falling due).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendNow;

pub struct PluginActor {
    /// The lease this actor writes under (None on SQLite: one process owns everything).
    fence: Option<crate::db::cluster::Fence>,
    id: i64,
    pool: DbPool,
    secrets: SecretBox,
    client: awc::Client,
    allow_private: bool,
    plugin: Option<Plugin>,
    /// The send round: one at a time, once more if asked for while it ran.
    sending: Turn,
    timer: Option<SpawnHandle>,
    retired: bool,
    restarts: u32,
}

impl PluginActor {
    pub fn new(
        id: crate::domain::ids::PluginId,
        pool: DbPool,
        secrets: SecretBox,
        allow_private: bool,
        fence: Option<crate::db::cluster::Fence>,
    ) -> Self {
        PluginActor {
            fence,
            id: id.get(),
            pool,
            secrets,
            client: crate::connectors::http::http_client(allow_private),
            allow_private,
            plugin: None,
            sending: Turn::Idle,
            timer: None,
            retired: false,
            restarts: 0,
        }
    }

    fn load(&mut self, ctx: &mut Context<Self>, first_send_after: Duration) {
        if self.retired {
            return;
        }
        let id = self.id;
        let fut = db::run(&self.pool, move |conn| Ok(db::plugins::find(conn, id)?));
        ctx.spawn(fut.into_actor(self).map(move |found, act, ctx| match found {
            Ok(Some(mut plugin)) if plugin.enabled => {
                match act.secrets.open(&plugin.signing_secret) {
                    Ok(plain) => plugin.signing_secret = plain,
                    Err(e) => {
                        // Sending unsigned or mis-signed orders would be worse than waiting.
                        tracing::error!(plugin_id = act.id, error = %e, "cannot open the plugin's signing secret");
                        act.plugin = None;
                        return;
                    }
                }
                act.plugin = Some(plugin);
                // Whatever was queued before a stop or a crash goes out now.
                act.timer = Some(ctx.notify_later(SendNow, first_send_after));
            }
            Ok(_) => {
                tracing::info!(plugin_id = act.id, "plugin gone or disabled; actor going dormant");
                act.plugin = None;
                if let Some(t) = act.timer.take() {
                    ctx.cancel_future(t);
                }
            }
            Err(e) => {
                tracing::error!(plugin_id = act.id, error = %e, "cannot load plugin; retrying");
                ctx.notify_later(Reload, Duration::from_secs(2));
            }
        }));
    }
}

impl Actor for PluginActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load(ctx, restart_backoff(self.restarts));
    }
}

impl actix::Supervised for PluginActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.sending.reset();
        self.timer = None;
        tracing::warn!(plugin_id = self.id, restarts = self.restarts, "plugin actor restarting");
    }
}

impl Handler<Reload> for PluginActor {
    type Result = ();
    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        self.load(ctx, Duration::ZERO);
    }
}

impl Handler<Retire> for PluginActor {
    type Result = ();
    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        self.retired = true;
        self.plugin = None;
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
    }
}

/// The InventoryActor's word that a commit routed orders to this plugin.
impl Handler<crate::actors::inventory::WorkQueued> for PluginActor {
    type Result = ();
    fn handle(&mut self, _: crate::actors::inventory::WorkQueued, ctx: &mut Context<Self>) {
        self.handle(SendNow, ctx);
    }
}

impl Handler<SendNow> for PluginActor {
    type Result = ();

    fn handle(&mut self, _: SendNow, ctx: &mut Context<Self>) {
        let Some(plugin) = self.plugin.clone() else { return };
        if !self.sending.begin() {
            return;
        }
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        let work = send::drain(plugin, self.client.clone(), self.pool.clone(), self.allow_private, self.fence.clone());
        let span = tracing::info_span!("plugin.send", plugin_id = self.id);
        let guarded = crate::actors::supervision::guarded(work, span);
        ctx.spawn(guarded.into_actor(self).map(|result, act, ctx| {
            let again = act.sending.end();
            let next_due_at = match result {
                Ok(Ok(next)) => {
                    act.restarts = 0;
                    next
                }
                Ok(Err(e)) => {
                    tracing::warn!(plugin_id = act.id, error = %e, "plugin send round failed; retrying in 2 s");
                    Some(db::now_ms() + 2_000)
                }
                Err(_) => {
                    tracing::error!(plugin_id = act.id, "plugin send panicked; restarting this plugin's actor");
                    ctx.stop();
                    return;
                }
            };
            if again {
                ctx.notify(SendNow);
            } else if let Some(at) = next_due_at {
                let wait = Duration::from_millis((at - db::now_ms()).clamp(0, 3_600_000) as u64);
                act.timer = Some(ctx.notify_later(SendNow, wait));
            }
        }));
    }
}
