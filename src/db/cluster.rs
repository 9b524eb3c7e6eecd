//! Cluster queries: live processes and their heartbeats, and the leases through which one process
//! at a time owns each channel, plugin and webhook subscription (with the fencing check an
//! owner's writes make in their own transaction).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::{cluster_processes, leases};
use super::{DbConn, DbError};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = cluster_processes)]
pub struct ProcessRow {
    pub id: String,
    pub address: String,
    pub started_at: i64,
    pub renewed_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = leases)]
pub struct LeaseRow {
    pub kind: String,
    pub target_id: i64,
    pub owner: Option<String>,
    pub generation: i64,
    pub renewed_at: i64,
    pub expires_at: i64,
}

/// What an owner proves it still holds when it writes on behalf of what it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub kind: &'static str,
    pub target_id: i64,
    pub owner: String,
    pub generation: i64,
}

#[derive(QueryableByName)]
struct Generation {
    #[diesel(sql_type = BigInt)]
    generation: i64,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    target_id: i64,
    #[diesel(sql_type = BigInt)]
    generation: i64,
}

/// Records that process `id` is alive until `now + ttl_ms`.
pub fn heartbeat(conn: &mut DbConn, id: &str, address: &str, now: i64, ttl_ms: i64) -> Result<(), DbError> {
    let row = (
        cluster_processes::id.eq(id),
        cluster_processes::address.eq(address),
        cluster_processes::started_at.eq(now),
        cluster_processes::renewed_at.eq(now),
        cluster_processes::expires_at.eq(now + ttl_ms),
    );
    let update = (cluster_processes::renewed_at.eq(now), cluster_processes::expires_at.eq(now + ttl_ms));
    crate::per_backend!(conn, c => diesel::insert_into(cluster_processes::table)
        .values(row)
        .on_conflict(cluster_processes::id)
        .do_update()
        .set(update)
        .execute(c))?;
    Ok(())
}

/// Processes whose heartbeat has not run out, oldest first; dead ones seen in the last ten
/// minutes come after them when `with_recent_dead`.
pub fn processes(conn: &mut DbConn, now: i64, with_recent_dead: bool) -> Result<Vec<ProcessRow>, DbError> {
    let since = if with_recent_dead { now - 600_000 } else { now };
    Ok(cluster_processes::table
        .filter(cluster_processes::expires_at.gt(since))
        .order((cluster_processes::started_at, cluster_processes::id))
        .select(ProcessRow::as_select())
        .load(conn)?)
}

/// Forgets processes dead for more than ten minutes.
pub fn forget_dead(conn: &mut DbConn, now: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(cluster_processes::table.filter(cluster_processes::expires_at.lt(now - 600_000)))
        .execute(conn)?)
}

/// Extends every lease `owner` still holds; returns them (kind, target, generation). A lease
/// another process took is not among them: it is lost.
pub fn renew(conn: &mut DbConn, owner: &str, now: i64, ttl_ms: i64) -> Result<Vec<(String, i64, i64)>, DbError> {
    let rows: Vec<Held> = diesel::sql_query(
        "UPDATE leases SET renewed_at = $1, expires_at = $2 WHERE owner = $3 \
         RETURNING kind, target_id, generation",
    )
    .bind::<BigInt, _>(now)
    .bind::<BigInt, _>(now + ttl_ms)
    .bind::<Text, _>(owner)
    .load(conn)?;
    Ok(rows.into_iter().map(|h| (h.kind, h.target_id, h.generation)).collect())
}

/// Takes the lease on (`kind`, `target`) for `owner` if it is free, expired or already
/// `owner`'s; returns the fencing token, or None if another live process holds it. The token
/// grows only when the owner changes: an owner taking its own lease again keeps its actors'
/// fences valid.
pub fn take(
    conn: &mut DbConn,
    kind: &str,
    target: i64,
    owner: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<Option<i64>, DbError> {
    let row: Option<Generation> = diesel::sql_query(
        "INSERT INTO leases (kind, target_id, owner, generation, renewed_at, expires_at) \
         VALUES ($1, $2, $3, 1, $4, $5) \
         ON CONFLICT (kind, target_id) DO UPDATE SET owner = excluded.owner, \
             generation = CASE WHEN leases.owner = excluded.owner THEN leases.generation \
                 ELSE leases.generation + 1 END, renewed_at = excluded.renewed_at, \
             expires_at = excluded.expires_at \
         WHERE leases.owner IS NULL OR leases.owner = excluded.owner OR leases.expires_at <= excluded.renewed_at \
         RETURNING generation",
    )
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(target)
    .bind::<Text, _>(owner)
    .bind::<BigInt, _>(now)
    .bind::<BigInt, _>(now + ttl_ms)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|g| g.generation))
}

/// Gives the lease back at once (the next process to look takes it), if `owner` holds it.
pub fn release(conn: &mut DbConn, kind: &str, target: i64, owner: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        leases::table
            .filter(leases::kind.eq(kind))
            .filter(leases::target_id.eq(target))
            .filter(leases::owner.eq(owner)),
    )
    .set((leases::owner.eq(None::<String>), leases::expires_at.eq(0)))
    .execute(conn)?)
}

/// Drops the lease of a deleted or disabled target, whoever holds it.
pub fn forget(conn: &mut DbConn, kind: &str, target: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(leases::table.filter(leases::kind.eq(kind)).filter(leases::target_id.eq(target)))
        .execute(conn)?)
}

/// A clean stop: every lease of `owner` given back, and the process gone from the live list.
pub fn leave(conn: &mut DbConn, owner: &str) -> Result<usize, DbError> {
    let released = diesel::update(leases::table.filter(leases::owner.eq(owner)))
        .set((leases::owner.eq(None::<String>), leases::expires_at.eq(0)))
        .execute(conn)?;
    diesel::delete(cluster_processes::table.filter(cluster_processes::id.eq(owner))).execute(conn)?;
    Ok(released)
}

/// Drops the leases whose channel, plugin or subscription is gone or disabled, judged by the
/// database at the moment of the delete (a lease just taken for a new channel stays).
pub fn drop_unwanted(conn: &mut DbConn) -> Result<usize, DbError> {
    let mut dropped = 0;
    for (kind, table) in [("channel", "channels"), ("plugin", "plugins"), ("subscription", "webhook_subscriptions")] {
        dropped += diesel::sql_query(format!(
            "DELETE FROM leases WHERE kind = '{kind}' AND NOT EXISTS \
             (SELECT 1 FROM {table} t WHERE t.id = leases.target_id AND t.enabled)"
        ))
        .execute(conn)?;
    }
    Ok(dropped)
}

/// Every lease, by kind and target.
pub fn leases(conn: &mut DbConn) -> Result<Vec<LeaseRow>, DbError> {
    Ok(leases::table.order((leases::kind, leases::target_id)).select(LeaseRow::as_select()).load(conn)?)
}

/// The live owner of (`kind`, `target`), if any.
pub fn owner_of(conn: &mut DbConn, kind: &str, target: i64, now: i64) -> Result<Option<String>, DbError> {
    Ok(leases::table
        .filter(leases::kind.eq(kind))
        .filter(leases::target_id.eq(target))
        .filter(leases::expires_at.gt(now))
        .select(leases::owner)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The targets of `kind` with a live lease, whoever holds it (one query for a whole list).
pub fn held_targets(conn: &mut DbConn, kind: &str, now: i64) -> Result<std::collections::HashSet<i64>, DbError> {
    Ok(leases::table
        .filter(leases::kind.eq(kind))
        .filter(leases::expires_at.gt(now))
        .filter(leases::owner.is_not_null())
        .select(leases::target_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Fails with [`DbError::Fenced`] unless `fence` still holds its lease with the same token. On
/// PostgreSQL the row is share-locked until the caller's transaction ends, so no takeover can
/// commit between this check and the caller's writes; a takeover waits for them instead. A
/// transaction checks one fence this way, never several (see [`check_unlocked`]).
pub fn check(conn: &mut DbConn, fence: &Fence) -> Result<(), DbError> {
    let sql = match conn {
        DbConn::Pg(_) => "SELECT generation FROM leases WHERE kind = $1 AND target_id = $2 AND owner = $3 FOR SHARE",
        DbConn::Sqlite(_) => "SELECT generation FROM leases WHERE kind = $1 AND target_id = $2 AND owner = $3",
    };
    held(conn, sql, fence)
}

/// [`check`] without the lock, for a transaction that checks the fences of several channels
/// (the InventoryActor's batch): share-locking them one by one could deadlock with a renewal.
/// What it guards (an import's cursor) only ever moves forward, so a takeover committing in
/// between does no harm.
pub fn check_unlocked(conn: &mut DbConn, fence: &Fence) -> Result<(), DbError> {
    held(conn, "SELECT generation FROM leases WHERE kind = $1 AND target_id = $2 AND owner = $3", fence)
}

fn held(conn: &mut DbConn, sql: &str, fence: &Fence) -> Result<(), DbError> {
    let held: Option<Generation> = diesel::sql_query(sql)
        .bind::<Text, _>(fence.kind)
        .bind::<BigInt, _>(fence.target_id)
        .bind::<Nullable<Text>, _>(Some(fence.owner.as_str()))
        .get_result(conn)
        .optional()?;
    match held {
        Some(g) if g.generation == fence.generation => Ok(()),
        _ => {
            crate::measure::fenced(fence.kind);
            tracing::warn!(
                kind = fence.kind,
                id = fence.target_id,
                generation = fence.generation,
                "a write refused: this process no longer holds the lease it was made under"
            );
            Err(DbError::Fenced(format!("{} {} is no longer held by this process", fence.kind, fence.target_id)))
        }
    }
}

/// Wakes listeners in every process (PostgreSQL `NOTIFY`; nothing on SQLite, one process).
pub fn notify(conn: &mut DbConn, channel: &str, payload: &str) -> Result<(), DbError> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)").bind::<Text, _>(channel).bind::<Text, _>(payload).execute(c)?;
    }
    Ok(())
}
