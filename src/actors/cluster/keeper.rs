//! The lease keeper: every renewal period it records this process as alive, renews what it
//! holds (stopping what it lost), takes expired or free leases up to its fair share and hands
//! back what is over it, so the work spreads across live processes and survives any one of them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use super::{Cluster, Kind};
use crate::db::{self, DbError};

/// How many of `total` leases one of `live` processes should hold: the total split evenly,
/// rounded up so that every lease has a taker.
pub fn share_of(total: usize, live: usize) -> usize {
    total.div_ceil(live.max(1))
}

/// What one look found in the database.
struct Seen {
    live: usize,
    /// Enabled targets of each kind.
    wanted: BTreeMap<Kind, BTreeSet<i64>>,
    /// Leases this process still holds: (kind, id) → token.
    renewed: BTreeMap<(Kind, i64), i64>,
    /// Targets whose lease is free, expired or missing.
    free: Vec<(Kind, i64)>,
    /// The fewest live leases any live process holds.
    fewest: usize,
}

/// Runs [`look`] every renewal period, or at once when a peer asks (it left).
pub(super) fn spawn(cluster: Cluster) {
    /// Marks the cluster stopped when the keeper's task is dropped (its runtime ended).
    struct Running(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Running {
        fn drop(&mut self) {
            self.0.store(false, Ordering::Relaxed);
        }
    }
    actix_web::rt::spawn(async move {
        let weak = std::sync::Arc::downgrade(&cluster.0);
        let running = Running(cluster.0.running.clone());
        drop(cluster);
        loop {
            if !running.0.load(Ordering::Relaxed) {
                return;
            }
            let Some(inner) = weak.upgrade() else { return };
            let cluster = Cluster(inner);
            let period = cluster.0.timing.renew;
            {
                let woken = cluster.0.tick_now.notified();
                let _ = actix_web::rt::time::timeout(period, woken).await;
            }
            look(&cluster).await;
        }
    });
}

/// One look: heartbeat, renewal, share; then the actors here made to match what is held.
pub(super) async fn look(cluster: &Cluster) {
    let me = cluster.0.me.clone();
    let address = cluster.0.address.get().cloned().unwrap_or_default();
    let ttl = cluster.0.timing.ttl.as_millis() as i64;
    let leasing = cluster.0.leasing;
    let seen = db::run(&cluster.0.pool, move |conn| see(conn, &me, &address, ttl, leasing)).await;
    let seen = match seen {
        Ok(seen) => seen,
        Err(e) => {
            tracing::warn!(error = %e, "the lease keeper could not reach the database; trying again");
            return;
        }
    };
    // On SQLite there is one process whatever rows a crashed start left behind.
    let peers = if leasing { seen.live.saturating_sub(1) } else { 0 };
    let had_peers = cluster.0.peers.swap(peers, Ordering::Relaxed) > 0;
    if had_peers && peers == 0 {
        // Figures cached while others committed may be behind: start afresh, alone now.
        if let Some(cache) = cluster.0.stock_cache.get() {
            cache.clear();
        }
    }
    if !leasing {
        return;
    }
    // Lost: another process took it while this one was away (paused, partitioned).
    let lost: Vec<(Kind, i64)> =
        cluster.0.held.iter().map(|e| *e.key()).filter(|k| !seen.renewed.contains_key(k)).collect();
    for (kind, id) in lost {
        tracing::warn!(kind = kind.as_str(), id, "lease lost to another process; stopping here");
        cluster.0.held.remove(&(kind, id));
        if let Some(owned) = cluster.owned(kind) {
            owned.stop(id);
        }
    }
    for (key, generation) in &seen.renewed {
        // Lost and taken back between two looks: the running actor's fence is stale; a fresh
        // actor (started below) writes under the new one.
        if cluster.0.held.insert(*key, *generation).is_some_and(|before| before != *generation) {
            if let Some(owned) = cluster.owned(key.0) {
                owned.stop(key.1);
            }
        }
    }
    // Held but no longer wanted (disabled or deleted elsewhere).
    let unwanted: Vec<(Kind, i64)> = seen
        .renewed
        .keys()
        .filter(|(kind, id)| !seen.wanted.get(kind).is_some_and(|w| w.contains(id)))
        .copied()
        .collect();
    for (kind, id) in unwanted {
        hand_back(cluster, kind, id).await;
    }
    let total: usize = seen.wanted.values().map(BTreeSet::len).sum();
    let share = share_of(total, seen.live);
    let floor = total / seen.live.max(1);
    let mut holding = cluster.0.held.len();
    // Over the share, or above the floor while another process is below it (it joined): hand
    // back the newest ids first, for it to take.
    let keep = if holding > share {
        share
    } else if seen.fewest < floor && holding > floor {
        floor
    } else {
        holding
    };
    if keep < holding {
        let mut mine: Vec<(Kind, i64)> = cluster.0.held.iter().map(|e| *e.key()).collect();
        mine.sort();
        for (kind, id) in mine.into_iter().rev().take(holding - keep) {
            hand_back(cluster, kind, id).await;
        }
    } else {
        // While a process is below the floor, take only up to it: the rest is that one's.
        let limit = if seen.fewest < floor { floor.max(1) } else { share };
        for (kind, id) in seen.free {
            if holding >= limit {
                break;
            }
            match cluster.claim(kind, id).await {
                Ok(true) => {
                    holding += 1;
                    tracing::info!(kind = kind.as_str(), id, "lease taken");
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(kind = kind.as_str(), id, error = %e, "taking a lease failed"),
            }
        }
    }
    // Every held lease has a running actor (one that died is started again).
    for (kind, owned) in cluster.0.owned.get().map(Vec::as_slice).unwrap_or_default() {
        let running: BTreeSet<i64> = owned.running().into_iter().collect();
        let held: Vec<i64> = cluster.0.held.iter().filter(|e| e.key().0 == *kind).map(|e| e.key().1).collect();
        for id in held.into_iter().filter(|id| !running.contains(id)) {
            owned.start(id);
        }
        for id in running {
            if !cluster.0.held.contains_key(&(*kind, id)) {
                owned.stop(id);
            }
        }
    }
}

/// Stops the actor here, then gives the lease back so another process takes it at once.
async fn hand_back(cluster: &Cluster, kind: Kind, id: i64) {
    cluster.0.held.remove(&(kind, id));
    if let Some(owned) = cluster.owned(kind) {
        owned.stop(id);
    }
    let me = cluster.0.me.clone();
    match db::run(&cluster.0.pool, move |conn| db::cluster::release(conn, kind.as_str(), id, &me)).await {
        Ok(_) => tracing::info!(kind = kind.as_str(), id, "lease handed back"),
        Err(e) => {
            tracing::warn!(kind = kind.as_str(), id, error = %e, "handing a lease back failed; it expires instead")
        }
    }
    cluster.notify("tick".to_string()).await;
}

fn see(conn: &mut db::DbConn, me: &str, address: &str, ttl: i64, leasing: bool) -> Result<Seen, DbError> {
    let now = db::now_ms();
    db::cluster::heartbeat(conn, me, address, now, ttl)?;
    let processes = db::cluster::processes(conn, now, false)?;
    let live = processes.len();
    let mut seen = Seen { live, wanted: BTreeMap::new(), renewed: BTreeMap::new(), free: Vec::new(), fewest: 0 };
    db::cluster::forget_dead(conn, now)?;
    if !leasing {
        return Ok(seen);
    }
    db::cluster::drop_unwanted(conn)?;
    let wanted = [
        (Kind::Channel, db::channels::list(conn)?.into_iter().filter(|c| c.enabled).map(|c| c.id).collect()),
        (Kind::Plugin, db::plugins::list(conn)?.into_iter().filter(|p| p.enabled).map(|p| p.id).collect()),
        (Kind::Subscription, db::webhooks::list(conn)?.into_iter().filter(|s| s.enabled).map(|s| s.id).collect()),
    ];
    for (kind, ids) in wanted {
        seen.wanted.insert(kind, ids);
    }
    for (kind, id, generation) in db::cluster::renew(conn, me, now, ttl)? {
        if let Some(kind) = Kind::parse(&kind) {
            seen.renewed.insert((kind, id), generation);
        }
    }
    let leases = db::cluster::leases(conn)?;
    let taken: BTreeSet<(&str, i64)> = leases
        .iter()
        .filter(|l| l.owner.is_some() && l.expires_at > now)
        .map(|l| (l.kind.as_str(), l.target_id))
        .collect();
    let mut held_by: BTreeMap<&str, usize> = processes.iter().map(|p| (p.id.as_str(), 0)).collect();
    for lease in leases.iter().filter(|l| l.expires_at > now) {
        if let Some(count) = lease.owner.as_deref().and_then(|o| held_by.get_mut(o)) {
            *count += 1;
        }
    }
    seen.fewest = held_by.values().copied().min().unwrap_or(0);
    for (kind, ids) in &seen.wanted {
        seen.free.extend(ids.iter().filter(|id| !taken.contains(&(kind.as_str(), **id))).map(|id| (*kind, *id)));
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::share_of;

    #[test]
    fn the_share_covers_every_lease_and_splits_them_evenly() {
        assert_eq!(share_of(0, 3), 0);
        assert_eq!(share_of(4, 1), 4);
        assert_eq!(share_of(4, 3), 2);
        assert_eq!(share_of(6, 3), 2);
        assert_eq!(share_of(7, 3), 3);
        assert_eq!(share_of(5, 0), 5);
        for total in 0..50 {
            for live in 1..6 {
                assert!(share_of(total, live) * live >= total);
                assert!(share_of(total, live) * live < total + live);
            }
        }
    }
}
