//! Transaction records: every outbound call to a channel, plugin or subscriber is noted (what,
//! when, status, duration, error, the first bytes of the answer) without holding up the call,
//! and counted in the metrics.

use std::time::Instant;

use crate::db::{self, transactions::NewTransaction, DbPool};

/// How much of an answer a record keeps.
pub const ANSWER_KEPT: usize = 512;

tokio::task_local! {
    /// What the calls made inside [`about`] are for (e.g. `fulfilment:12`): the console offers
    /// that thing's retry beside a failed call.
    static SUBJECT: String;
}

/// Runs `work` with its outbound calls recorded as being about `subject`.
pub async fn about<F: std::future::Future>(subject: String, work: F) -> F::Output {
    SUBJECT.scope(subject, work).await
}

/// Where one target's calls are recorded.
#[derive(Clone)]
pub struct Tap {
    pool: Option<DbPool>,
    kind: &'static str,
    id: i64,
}

impl Tap {
    pub fn channel(pool: DbPool, id: i64) -> Tap {
        Tap { pool: Some(pool), kind: "channel", id }
    }

    pub fn plugin(pool: DbPool, id: i64) -> Tap {
        Tap { pool: Some(pool), kind: "plugin", id }
    }

    pub fn subscriber(pool: DbPool, id: i64) -> Tap {
        Tap { pool: Some(pool), kind: "subscriber", id }
    }

    /// Records nothing (tools that call a marketplace outside a running Chorus).
    pub fn none() -> Tap {
        Tap { pool: None, kind: "none", id: 0 }
    }

    /// Starts timing one call; `action` says what it was (never a secret: no query string).
    pub fn call(&self, action: String) -> Call<'_> {
        Call { tap: self, action, started: Instant::now() }
    }
}

/// One outbound call being timed.
pub struct Call<'a> {
    tap: &'a Tap,
    action: String,
    started: Instant,
}

impl Call<'_> {
    /// Notes how the call ended: the answer's status and first bytes, or the transport error.
    pub fn done(self, status: Option<u16>, error: Option<String>, answer: &[u8]) {
        let elapsed = self.started.elapsed();
        let ok = error.is_none() && matches!(status, Some(200..=299));
        crate::measure::outbound(self.tap.kind, self.tap.id, ok, elapsed);
        let Some(pool) = self.tap.pool.clone() else { return };
        let row = NewTransaction {
            at: db::now_ms() - elapsed.as_millis() as i64,
            target_kind: self.tap.kind.to_string(),
            target_id: self.tap.id,
            action: self.action,
            subject: SUBJECT.try_with(Clone::clone).ok(),
            status_code: status.map(i32::from),
            duration_ms: elapsed.as_millis() as i64,
            error,
            response: String::from_utf8_lossy(&answer[..answer.len().min(ANSWER_KEPT)]).into_owned(),
        };
        // Recording must never hold up or fail the call it describes.
        actix_web::rt::spawn(async move {
            if let Err(e) = db::run(&pool, move |conn| Ok(db::transactions::insert_many(conn, &[row])?)).await {
                tracing::warn!(error = %e, "could not keep a transaction record");
            }
        });
    }
}
