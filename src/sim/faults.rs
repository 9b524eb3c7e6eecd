//! Fault injection shared by the simulators: a queue of faults the tester posts to
//! `/_sim/faults`, each API request (never a `/_sim/` one) consuming one.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::Value;

/// One queued fault, applied `remaining` more times.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Answer with this status instead of serving the request.
    pub status: Option<u16>,
    /// `Retry-After` value, verbatim (`2`, `2.0`).
    pub retry_after: Option<String>,
    /// Wait this long before answering (then the status, or the normal answer).
    pub delay_ms: Option<u64>,
    pub remaining: u32,
}

/// What a request must suffer.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    pub delay: Option<Duration>,
}

#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: VecDeque<Fault>,
}

impl FaultQueue {
    /// Parses a tester body: one fault object or an array of them.
    pub fn push_json(&mut self, body: &Value) -> Result<usize, crate::sim::Refusal> {
        let items: Vec<&Value> = match body {
            Value::Array(a) => a.iter().collect(),
            Value::Object(_) => vec![body],
            _ => return Err("expected a fault object or an array of them".into()),
        };
        let mut parsed = Vec::with_capacity(items.len());
        for item in items {
            parsed.push(parse_fault(item)?);
        }
        let n = parsed.len();
        self.queue.extend(parsed);
        Ok(n)
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    pub fn pending(&self) -> u32 {
        self.queue.iter().map(|f| f.remaining).sum()
    }

    /// Consumes one use of the oldest fault, if any.
    pub fn take(&mut self) -> Option<Applied> {
        let front = self.queue.front_mut()?;
        let applied = Applied {
            status: front.status,
            retry_after: front.retry_after.clone(),
            delay: front.delay_ms.map(Duration::from_millis),
        };
        front.remaining = front.remaining.saturating_sub(1);
        if front.remaining == 0 {
            self.queue.pop_front();
        }
        Some(applied)
    }
}

fn parse_fault(v: &Value) -> Result<Fault, crate::sim::Refusal> {
    let obj = v.as_object().ok_or("each fault must be an object")?;
    let status = match obj.get("status") {
        None | Some(Value::Null) => None,
        Some(s) => match s.as_u64() {
            Some(n) if (100..=599).contains(&n) => Some(n as u16),
            _ => return Err("status must be an HTTP status between 100 and 599".into()),
        },
    };
    let retry_after = match obj.get("retry_after") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() && s.is_ascii() => Some(s.clone()),
        Some(_) => return Err("retry_after must be a number or a string".into()),
    };
    let delay_ms = match obj.get("delay_ms") {
        None | Some(Value::Null) => None,
        Some(d) => Some(d.as_u64().filter(|d| *d <= 600_000).ok_or("delay_ms must be 0..=600000")?),
    };
    let remaining = match obj.get("count") {
        None | Some(Value::Null) => 1,
        Some(c) => c.as_u64().filter(|c| (1..=1_000_000).contains(c)).ok_or("count must be 1..=1000000")? as u32,
    };
    if status.is_none() && delay_ms.is_none() {
        return Err("a fault needs a status or a delay_ms".into());
    }
    Ok(Fault { status, retry_after, delay_ms, remaining })
}

/// Waits out the fault's delay, then returns the error response to send, if the fault has a
/// status. `body` renders the platform's error body for a status.
pub async fn enact(applied: Applied, body: fn(u16) -> Value) -> Option<HttpResponse> {
    if let Some(d) = applied.delay {
        actix_web::rt::time::sleep(d).await;
    }
    let status = applied.status?;
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = HttpResponse::build(code);
    if let Some(ra) = applied.retry_after {
        resp.insert_header(("Retry-After", ra));
    }
    Some(resp.json(body(status)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn faults_are_consumed_in_order() {
        let mut q = FaultQueue::default();
        q.push_json(&json!([{"status":429,"retry_after":2,"count":2},{"delay_ms":10}])).unwrap();
        assert_eq!(q.pending(), 3);
        assert_eq!(q.take().unwrap().status, Some(429));
        assert_eq!(q.take().unwrap().retry_after.as_deref(), Some("2"));
        let d = q.take().unwrap();
        assert_eq!((d.status, d.delay), (None, Some(Duration::from_millis(10))));
        assert_eq!(q.take(), None);
    }

    #[test]
    fn bad_faults_are_refused() {
        let mut q = FaultQueue::default();
        assert!(q.push_json(&json!({"count":2})).is_err());
        assert!(q.push_json(&json!({"status":42})).is_err());
        assert!(q.push_json(&json!("x")).is_err());
        assert_eq!(q.pending(), 0);
    }
}
