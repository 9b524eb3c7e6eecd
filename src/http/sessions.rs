//! The console's signed-in sessions, held in `AppState` (the console's pages sign in and out
//! through them).

use std::time::{Duration, Instant};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

/// How long a session lasts without signing in again.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; signing in beyond it drops the oldest.
const MAX_SESSIONS: usize = 1_000;

fn digest(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

/// The console's sessions, by the SHA-256 of their cookie (a leaked store reveals no cookie).
/// Kept in memory: a restart signs everyone out.
#[derive(Default)]
pub struct Sessions(DashMap<[u8; 32], Session>);

#[derive(Clone)]
pub struct Session {
    pub csrf: String,
    expires: Instant,
}

impl Sessions {
    /// A new session for cookie `cookie` with CSRF token `csrf`; returns them.
    pub fn open(&self, cookie: String, csrf: String) -> (String, String) {
        let now = Instant::now();
        self.0.retain(|_, s| s.expires > now);
        if self.0.len() >= MAX_SESSIONS {
            let oldest = self.0.iter().min_by_key(|e| e.value().expires).map(|e| *e.key());
            if let Some(key) = oldest {
                self.0.remove(&key);
            }
        }
        self.0.insert(digest(&cookie), Session { csrf: csrf.clone(), expires: now + LIFETIME });
        (cookie, csrf)
    }

    /// The live session a cookie names.
    pub fn find(&self, cookie: &str) -> Option<Session> {
        let found = self.0.get(&digest(cookie)).map(|s| s.clone())?;
        (found.expires > Instant::now()).then_some(found)
    }

    /// Ends a session (sign-out).
    pub fn close(&self, cookie: &str) {
        self.0.remove(&digest(cookie));
    }
}
