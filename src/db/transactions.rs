//! Transaction records (every outbound call Chorus made), sync-lag samples and the figure each
//! channel last confirmed per SKU: what the console and metrics read to explain a channel.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{channel_confirmations, sync_lag, transactions};
use super::DbConn;

/// One outbound call as it is written.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = transactions, treat_none_as_default_value = false)]
pub struct NewTransaction {
    pub at: i64,
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub subject: Option<String>,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response: String,
}

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = transactions)]
pub struct Transaction {
    pub id: i64,
    pub at: i64,
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub subject: Option<String>,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response: String,
}

impl Transaction {
    /// A call that did not end in a 2xx answer.
    pub fn failed(&self) -> bool {
        self.error.is_some() || !matches!(self.status_code, Some(200..=299))
    }
}

/// What the list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub failed_only: bool,
    pub subject: Option<String>,
    /// Only records older than this id (paging backwards from the newest).
    pub before_id: Option<i64>,
}

pub fn insert_many(conn: &mut DbConn, rows: &[NewTransaction]) -> QueryResult<()> {
    crate::upsert_rows!(conn, rows, |chunk| diesel::insert_into(transactions::table).values(chunk));
    Ok(())
}

/// The newest records matching `filter`, newest first.
pub fn list(conn: &mut DbConn, filter: &Filter, limit: i64) -> QueryResult<Vec<Transaction>> {
    let mut query = transactions::table.into_boxed();
    if let Some(kind) = &filter.target_kind {
        query = query.filter(transactions::target_kind.eq(kind.clone()));
    }
    if let Some(id) = filter.target_id {
        query = query.filter(transactions::target_id.eq(id));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(transactions::subject.eq(subject.clone()));
    }
    if filter.failed_only {
        query = query.filter(
            transactions::error
                .is_not_null()
                .or(transactions::status_code.is_null())
                .or(transactions::status_code.lt(200))
                .or(transactions::status_code.gt(299)),
        );
    }
    if let Some(before) = filter.before_id {
        query = query.filter(transactions::id.lt(before));
    }
    query.order(transactions::id.desc()).limit(limit).select(Transaction::as_select()).load(conn)
}

/// Deletes up to `limit` records (and sync-lag samples) older than `before`; returns how many
/// records went.
pub fn prune(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<usize> {
    let ids: Vec<i64> = transactions::table
        .filter(transactions::at.lt(before))
        .order(transactions::id)
        .limit(limit)
        .select(transactions::id)
        .load(conn)?;
    let gone = diesel::delete(transactions::table.filter(transactions::id.eq_any(&ids))).execute(conn)?;
    let samples: Vec<i64> =
        sync_lag::table.filter(sync_lag::at.lt(before)).limit(limit).select(sync_lag::id).load(conn)?;
    diesel::delete(sync_lag::table.filter(sync_lag::id.eq_any(&samples))).execute(conn)?;
    Ok(gone)
}

/// Records that a channel confirmed `figures` at `now`, each queued at its own time: one
/// sync-lag sample (the slowest of the batch) and each SKU's confirmed figure.
pub fn confirmed(conn: &mut DbConn, channel_id: i64, figures: &[(String, i64, i64)], now: i64) -> QueryResult<()> {
    let Some(oldest) = figures.iter().map(|(_, _, queued)| *queued).min() else { return Ok(()) };
    diesel::insert_into(sync_lag::table)
        .values((
            sync_lag::channel_id.eq(channel_id),
            sync_lag::at.eq(now),
            sync_lag::lag_ms.eq((now - oldest).max(0)),
            sync_lag::skus.eq(figures.len() as i32),
        ))
        .execute(conn)?;
    let rows: Vec<_> = figures
        .iter()
        .map(|(sku, quantity, _)| {
            (
                channel_confirmations::channel_id.eq(channel_id),
                channel_confirmations::sku.eq(sku.as_str()),
                channel_confirmations::quantity.eq(*quantity),
                channel_confirmations::confirmed_at.eq(now),
            )
        })
        .collect();
    crate::upsert_rows!(conn, rows, |chunk| diesel::insert_into(channel_confirmations::table)
        .values(chunk)
        .on_conflict((channel_confirmations::channel_id, channel_confirmations::sku))
        .do_update()
        .set((
            channel_confirmations::quantity.eq(excluded(channel_confirmations::quantity)),
            channel_confirmations::confirmed_at.eq(excluded(channel_confirmations::confirmed_at)),
        )));
    Ok(())
}

/// A channel's sync-lag samples since `since`, oldest first: (at, lag ms).
pub fn lag_since(conn: &mut DbConn, channel_id: i64, since: i64) -> QueryResult<Vec<(i64, i64)>> {
    sync_lag::table
        .filter(sync_lag::channel_id.eq(channel_id))
        .filter(sync_lag::at.ge(since))
        .order(sync_lag::at)
        .limit(5_000)
        .select((sync_lag::at, sync_lag::lag_ms))
        .load(conn)
}

/// Each channel's last confirmed figure for `sku`: (channel id, quantity, confirmed at).
pub fn confirmations_of(conn: &mut DbConn, sku: &str) -> QueryResult<Vec<(i64, i64, i64)>> {
    channel_confirmations::table
        .filter(channel_confirmations::sku.eq(sku))
        .select((
            channel_confirmations::channel_id,
            channel_confirmations::quantity,
            channel_confirmations::confirmed_at,
        ))
        .load(conn)
}

/// Records written at once, at most.
const BATCH: usize = 500;

/// A writer of transaction records into `pool`: calls are noted at once and written in batches
/// (as many as came in while the last batch was written), so a burst of calls costs a few
/// inserts. It ends, after writing what it holds, when the last `Tap` sharing it is dropped.
/// Started from within the runtime (an actor or a request).
pub fn writer(pool: super::DbPool) -> crate::records::Sink {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<crate::records::Record>();
    actix_web::rt::spawn(async move {
        let mut noted = Vec::with_capacity(BATCH);
        while rx.recv_many(&mut noted, BATCH).await > 0 {
            let rows: Vec<NewTransaction> = noted.drain(..).map(NewTransaction::from).collect();
            let kept = rows.len();
            if let Err(e) = super::run(&pool, move |conn| Ok(insert_many(conn, &rows)?)).await {
                tracing::warn!(error = %e, records = kept, "could not keep transaction records");
            }
        }
    });
    tx
}

impl From<crate::records::Record> for NewTransaction {
    fn from(r: crate::records::Record) -> Self {
        NewTransaction {
            at: r.at,
            target_kind: r.target_kind.to_string(),
            target_id: r.target_id,
            action: r.action,
            subject: r.subject,
            status_code: r.status_code,
            duration_ms: r.duration_ms,
            error: r.error,
            response: r.response,
        }
    }
}
