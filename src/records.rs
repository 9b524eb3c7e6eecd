//! Transaction records: every outbound call to a channel, plugin or subscriber is noted (what,
//! when, status, duration, error, the first bytes of the answer) without holding up the call,
//! and counted in the metrics.

use std::time::Instant;

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

/// One outbound call as noted; `db::transactions` writes it.
#[derive(Clone, Debug)]
pub struct Record {
    /// When the call started (ms).
    pub at: i64,
    pub target_kind: &'static str,
    pub target_id: i64,
    pub action: String,
    pub subject: Option<String>,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The first bytes of a failed call's answer (a successful answer is not kept: it can hold
    /// customers' personal data, and what it said is in the state it changed).
    pub response: String,
}

/// Where records go: a writer that stores them in batches (`db::transactions::writer`).
pub type Sink = tokio::sync::mpsc::UnboundedSender<Record>;

/// Where one target's calls are recorded.
#[derive(Clone)]
pub struct Tap {
    sink: Option<Sink>,
    kind: &'static str,
    id: i64,
}

impl Tap {
    /// `kind`: `channel`, `plugin` or `subscriber`.
    pub fn new(sink: Sink, kind: &'static str, id: i64) -> Tap {
        Tap { sink: Some(sink), kind, id }
    }

    /// Records nothing (tools that call a marketplace outside a running Chorus).
    pub fn none() -> Tap {
        Tap { sink: None, kind: "none", id: 0 }
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
        let Some(sink) = &self.tap.sink else { return };
        let now = chrono::Utc::now().timestamp_millis();
        let row = Record {
            at: now - elapsed.as_millis() as i64,
            target_kind: self.tap.kind,
            target_id: self.tap.id,
            action: self.action,
            subject: SUBJECT.try_with(Clone::clone).ok(),
            status_code: status.map(i32::from),
            duration_ms: elapsed.as_millis() as i64,
            error,
            response: if ok {
                String::new()
            } else {
                String::from_utf8_lossy(&answer[..answer.len().min(ANSWER_KEPT)]).into_owned()
            },
        };
        // Recording never holds up or fails the call it describes; a writer gone (the process
        // stopping) loses only the record.
        let _ = sink.send(row);
    }
}
