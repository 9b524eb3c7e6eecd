//! The webhook registry: which WebhookActor serves which subscription. Started at boot for every
//! enabled subscription; the API starts, reloads and retires actors as subscriptions change.

use std::sync::Arc;

use actix::{Addr, ArbiterHandle, Supervisor};
use dashmap::DashMap;

use super::{DeliverNow, Reload, Retire, WebhookActor};
use crate::config::WebhookSettings;
use crate::db::DbPool;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct WebhookRegistry {
    actors: Arc<DashMap<i64, Addr<WebhookActor>>>,
    arbiter: ArbiterHandle,
    pool: DbPool,
    settings: WebhookSettings,
    secrets: SecretBox,
}

impl WebhookRegistry {
    pub fn new(arbiter: ArbiterHandle, pool: DbPool, settings: WebhookSettings, secrets: SecretBox) -> Self {
        WebhookRegistry { actors: Arc::new(DashMap::new()), arbiter, pool, settings, secrets }
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// Starts the subscription's actor, or reloads it if it runs (and restarts it if it died).
    pub fn ensure(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            if addr.connected() {
                addr.do_send(Reload);
                return;
            }
        }
        let (pool, settings, secrets) = (self.pool.clone(), self.settings.clone(), self.secrets.clone());
        let addr = Supervisor::start_in_arbiter(&self.arbiter, move |_| WebhookActor::new(id, pool, settings, secrets));
        self.actors.insert(id, addr);
    }

    pub fn retire(&self, id: i64) {
        if let Some((_, addr)) = self.actors.remove(&id) {
            addr.do_send(Retire);
        }
    }

    /// Delivers now (after a replay or resend) rather than at the next look.
    pub fn deliver_now(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            addr.do_send(DeliverNow);
        }
    }
}
