//! The cluster's listener: one PostgreSQL connection of its own, `LISTEN`ing for what other
//! processes ask of this one (wake an actor, reload or retire one, look at the leases now). The
//! database stays the truth; a missed notice only waits for the actors' own polling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

use super::{Cluster, Inner, NOTIFY_CHANNEL};

/// How often the listener reads what arrived on its connection (notices wait in the socket).
const READ_EVERY: Duration = Duration::from_millis(10);
/// Reads between two queries proving the connection alive (a half-open one reads nothing).
const PROBE_EVERY: u32 = 500;

/// Starts the listener thread; it ends when the process leaves the cluster, or the cluster it
/// serves is gone.
pub(super) fn spawn(cluster: Weak<Inner>, running: Arc<AtomicBool>, url: String) {
    let spawned = std::thread::Builder::new().name("chorus-listen".into()).spawn(move || {
        while cluster.strong_count() > 0 && running.load(Ordering::Relaxed) {
            match PgConnection::establish(&url) {
                Ok(mut conn) => {
                    if let Err(e) = listen(&mut conn, &cluster, &running) {
                        tracing::warn!(error = %e, "cluster listener lost its connection; reconnecting");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cluster listener cannot connect; trying again"),
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the cluster listener; other processes' work waits for polling");
    }
}

fn listen(conn: &mut PgConnection, cluster: &Weak<Inner>, running: &AtomicBool) -> diesel::QueryResult<()> {
    diesel::sql_query(format!("LISTEN {NOTIFY_CHANNEL}")).execute(conn)?;
    let mut reads = 0u32;
    loop {
        reads += 1;
        if reads % PROBE_EVERY == 0 {
            diesel::sql_query("SELECT 1").execute(conn)?;
        }
        if !running.load(Ordering::Relaxed) {
            return Ok(());
        }
        let Some(inner) = cluster.upgrade() else { return Ok(()) };
        let cluster = Cluster(inner);
        for notice in conn.notifications_iter() {
            let notice = notice?;
            tracing::debug!(payload = %notice.payload, "cluster notice");
            let for_arbiter = cluster.clone();
            cluster.0.arbiter.spawn_fn(move || for_arbiter.on_notice(&notice.payload));
        }
        drop(cluster);
        std::thread::sleep(READ_EVERY);
    }
}
