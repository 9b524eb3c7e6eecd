//! The webhook registry: which WebhookActor serves which subscription. Started at boot for every
//! enabled subscription; the API starts, reloads and retires actors as subscriptions change.

use actix::ArbiterHandle;

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{DeliverNow, EventsWritten, WebhookActor};
use crate::actors::cluster::{Cluster, Kind};
use crate::actors::supervision::{Registry, Supervising};
use crate::config::WebhookSettings;
use crate::db::DbPool;
use crate::domain::ids::SubscriptionId;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct WebhookRegistry {
    actors: Registry<WebhookActor>,
    settings: WebhookSettings,
}

impl WebhookRegistry {
    pub fn new(
        arbiter: ArbiterHandle,
        pool: DbPool,
        settings: WebhookSettings,
        secrets: SecretBox,
        cluster: Option<Cluster>,
    ) -> Self {
        let s = settings.clone();
        let actors = Registry::new(arbiter, cluster.map(|c| (Kind::Subscription, c)), move |id, fence| {
            WebhookActor::new(SubscriptionId(id), pool.clone(), s.clone(), secrets.clone(), fence)
        });
        WebhookRegistry { actors, settings }
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    pub fn ensure(&self, id: SubscriptionId) {
        self.actors.ensure(id.get())
    }

    pub fn retire(&self, id: SubscriptionId) {
        self.actors.retire(id.get())
    }

    /// Tells every subscription which kinds of events are new in the log; those that take
    /// one of them deliver now.
    pub fn events_written(&self, kinds: Arc<BTreeSet<String>>) {
        self.actors.each(|addr| addr.do_send(EventsWritten(kinds.clone())));
    }

    /// Delivers now (after a replay or resend) rather than at the next look.
    pub fn deliver_now(&self, id: SubscriptionId) {
        if let Some(addr) = self.actors.get(id.get()) {
            addr.do_send(DeliverNow);
        }
    }
}

impl Supervising for WebhookRegistry {
    type Actor = WebhookActor;
    fn registry(&self) -> &Registry<WebhookActor> {
        &self.actors
    }
    fn wake(&self, id: i64) {
        self.deliver_now(SubscriptionId(id))
    }
}
