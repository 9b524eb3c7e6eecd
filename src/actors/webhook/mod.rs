//! WebhookActor: one per enabled subscription. Reads the event log from its own cursor and
//! delivers what its subscription takes, signed as Standard Webhooks; failed events wait in the
//! outbox for their retry while later events of other subjects go on. Supervised: a panic stops
//! this actor alone and it is started again with its state reloaded. A slow or failing
//! subscriber holds only its own actor.

pub mod registry;
mod round;
pub mod watch;

use std::rc::Rc;
use std::time::Duration;

use actix::prelude::*;

use crate::actors::supervision::{restart_backoff, Reload, Retire};
use crate::actors::turn::Turn;
use crate::config::WebhookSettings;
use crate::db::{self, webhooks::Subscription, DbPool};
use crate::secrets::SecretBox;

/// How often an idle subscription looks for new events by itself: a safety net only, since the
/// event watcher (`watch.rs`) wakes every subscription when events are written (here or by
/// another process); a retry falling due sooner sets its own timer.
const IDLE_POLL: Duration = Duration::from_secs(300);

#[derive(Message)]
#[rtype(result = "()")]
pub struct DeliverNow;

/// Events of these kinds were written: a subscription taking one of them delivers now.
#[derive(Message)]
#[rtype(result = "()")]
pub struct EventsWritten(pub std::sync::Arc<std::collections::BTreeSet<String>>);

pub struct WebhookActor {
    /// The lease this actor writes under (None on SQLite: one process owns everything).
    fence: Option<crate::db::cluster::Fence>,
    id: i64,
    pool: DbPool,
    settings: Rc<WebhookSettings>,
    secrets: SecretBox,
    client: awc::Client,
    subscription: Option<Subscription>,
    /// The delivery round: one at a time; woken while a round ran, the next starts as soon
    /// as this one ends.
    delivering: Turn,
    timer: Option<SpawnHandle>,
    retired: bool,
    restarts: u32,
}

impl WebhookActor {
    pub fn new(
        id: crate::domain::ids::SubscriptionId,
        pool: DbPool,
        settings: WebhookSettings,
        secrets: SecretBox,
        fence: Option<crate::db::cluster::Fence>,
    ) -> Self {
        let client = crate::connectors::http::http_client(settings.allow_private_networks);
        WebhookActor {
            fence,
            id: id.get(),
            pool,
            settings: Rc::new(settings),
            secrets,
            client,
            subscription: None,
            delivering: Turn::Idle,
            timer: None,
            retired: false,
            restarts: 0,
        }
    }

    fn load(&mut self, ctx: &mut Context<Self>, after: Duration) {
        if self.retired {
            return;
        }
        let id = self.id;
        let fut = db::run(&self.pool, move |conn| Ok(db::webhooks::find(conn, id)?));
        ctx.spawn(fut.into_actor(self).map(move |found, act, ctx| match found {
            Ok(Some(sub)) if sub.enabled => {
                act.subscription = Some(sub);
                act.arm(ctx, after);
            }
            Ok(_) => {
                tracing::info!(subscription_id = act.id, "subscription gone or disabled; actor going dormant");
                act.subscription = None;
                act.disarm(ctx);
            }
            Err(e) => {
                tracing::error!(subscription_id = act.id, error = %e, "cannot load subscription; retrying");
                ctx.notify_later(Reload, Duration::from_secs(2));
            }
        }));
    }

    fn arm(&mut self, ctx: &mut Context<Self>, after: Duration) {
        self.disarm(ctx);
        self.timer = Some(ctx.notify_later(DeliverNow, after));
    }

    fn disarm(&mut self, ctx: &mut Context<Self>) {
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
    }
}

impl Actor for WebhookActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load(ctx, restart_backoff(self.restarts));
    }
}

impl actix::Supervised for WebhookActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.delivering.reset();
        self.timer = None;
        tracing::warn!(subscription_id = self.id, restarts = self.restarts, "webhook actor restarting");
    }
}

impl Handler<Reload> for WebhookActor {
    type Result = ();
    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        self.load(ctx, Duration::ZERO);
    }
}

impl Handler<Retire> for WebhookActor {
    type Result = ();
    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        self.retired = true;
        self.subscription = None;
        self.disarm(ctx);
    }
}

impl Handler<EventsWritten> for WebhookActor {
    type Result = ();
    fn handle(&mut self, msg: EventsWritten, ctx: &mut Context<Self>) {
        let wanted = self.subscription.as_ref().is_some_and(|s| s.kinds().iter().any(|k| msg.0.contains(k)));
        if wanted {
            self.handle(DeliverNow, ctx);
        }
    }
}

impl Handler<DeliverNow> for WebhookActor {
    type Result = ();

    fn handle(&mut self, _: DeliverNow, ctx: &mut Context<Self>) {
        let Some(sub) = self.subscription.clone() else { return };
        if !self.delivering.begin() {
            return;
        }
        self.disarm(ctx);
        let work = round::run(
            sub,
            self.client.clone(),
            self.pool.clone(),
            self.settings.clone(),
            self.secrets.clone(),
            self.fence.clone(),
        );
        let span = tracing::info_span!("webhook.deliver", subscription_id = self.id);
        let guarded = crate::actors::supervision::guarded(work, span);
        ctx.spawn(guarded.into_actor(self).map(|result, act, ctx| {
            let again = act.delivering.end();
            let wait = match result {
                Ok(Ok(round::After::Continue)) => Duration::ZERO,
                Ok(Ok(round::After::Idle(next_retry))) => {
                    act.restarts = 0;
                    next_retry.map_or(IDLE_POLL, |at| {
                        Duration::from_millis((at - db::now_ms()).clamp(0, IDLE_POLL.as_millis() as i64) as u64)
                    })
                }
                Ok(Ok(round::After::Disabled(reason))) => {
                    tracing::warn!(subscription_id = act.id, %reason, "subscription disabled");
                    act.subscription = None;
                    return;
                }
                Ok(Err(e)) => {
                    tracing::warn!(subscription_id = act.id, error = %e, "delivery round failed; retrying in 2 s");
                    Duration::from_secs(2)
                }
                Err(_) => {
                    tracing::error!(subscription_id = act.id, "delivery panicked; restarting this webhook actor");
                    ctx.stop();
                    return;
                }
            };
            act.arm(ctx, if again { Duration::ZERO } else { wait });
        }));
    }
}
