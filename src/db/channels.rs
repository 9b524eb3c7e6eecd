//! Queries over channels (the marketplaces Chorus keeps in step).

use crate::domain::channel::{change_effects, ChangeEffects, ChannelKind, SyncSettings, UnknownChannelKind};
use diesel::prelude::*;

use super::schema::channels;
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = channels)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    /// JSON object; never leaves Chorus through the API or the logs.
    pub credentials: String,
    pub poll_interval_secs: i64,
    pub import_unpaid: bool,
    pub import_fulfilled: bool,
    pub stock_buffer: i64,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The source its orders ship from when fulfilled outside Chorus (`api`, `plugin:<id>`).
    pub ships_from: String,
    pub reserve_unpaid: bool,
    /// JSON object: [`crate::domain::channel::ChannelOptions`].
    pub options: String,
}

impl Channel {
    pub fn options(&self) -> crate::domain::channel::ChannelOptions {
        crate::domain::channel::ChannelOptions::from_stored(&self.options)
    }

    pub fn sync_settings(&self) -> SyncSettings {
        SyncSettings {
            import_unpaid: self.import_unpaid,
            import_fulfilled: self.import_fulfilled,
            reserve_unpaid: self.reserve_unpaid,
            stock_buffer: self.stock_buffer,
            enabled: self.enabled,
        }
    }

    /// The marketplace it is; a kind no longer known (a row written by a newer version) is an
    /// error, never a guess.
    pub fn kind(&self) -> Result<ChannelKind, UnknownChannelKind> {
        ChannelKind::parse(&self.kind)
    }

    /// The settings that decide what each of its orders does to stock.
    pub fn import_policy(&self) -> crate::domain::import::Policy {
        crate::domain::import::Policy {
            filter: crate::domain::order::ImportFilter { unpaid: self.import_unpaid, fulfilled: self.import_fulfilled },
            reserve_unpaid: self.reserve_unpaid,
            // Channels report order times to the second: an order placed in the second the
            // channel was added counts as placed after it.
            tracked_since: self.created_at - self.created_at.rem_euclid(1000),
        }
    }

    /// Where its orders ship from. The value is validated on the way in; one unreadable all
    /// the same (written by hand in the database) is logged and taken as `api`, the source
    /// every channel starts with, rather than stopping the channel's imports.
    pub fn ships_from(&self) -> crate::domain::source::Source {
        self.ships_from.parse().unwrap_or_else(|e| {
            tracing::error!(channel_id = self.id, error = %e, "the channel's ships_from is unreadable; using api");
            crate::domain::source::Source::Api
        })
    }
}

#[derive(Clone, Debug, Insertable, AsChangeset)]
#[diesel(table_name = channels)]
pub struct ChannelValues {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub credentials: String,
    pub poll_interval_secs: i64,
    pub import_unpaid: bool,
    pub import_fulfilled: bool,
    pub stock_buffer: i64,
    pub enabled: bool,
    pub updated_at: i64,
    pub ships_from: String,
    pub reserve_unpaid: bool,
    pub options: String,
}

pub fn insert(conn: &mut DbConn, values: &ChannelValues, now: i64) -> QueryResult<Channel> {
    crate::per_backend!(conn, c => diesel::insert_into(channels::table)
        .values((values, channels::created_at.eq(now)))
        .returning(Channel::as_returning())
        .get_result(c))
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Channel>> {
    channels::table.find(id).select(Channel::as_select()).first(conn).optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Channel>> {
    channels::table.order(channels::id).select(Channel::as_select()).load(conn)
}

pub fn update(conn: &mut DbConn, id: i64, values: &ChannelValues) -> QueryResult<Channel> {
    let n = diesel::update(channels::table.find(id)).set(values).execute(conn)?;
    if n == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    channels::table.find(id).select(Channel::as_select()).first(conn)
}

/// Open orders of the channel: while there are any, deleting it would lose their allocation.
pub fn open_orders(conn: &mut DbConn, id: i64) -> QueryResult<i64> {
    use super::schema::orders;
    orders::table
        .filter(orders::channel_id.eq(id))
        .filter(orders::status.eq_any(crate::domain::order::Status::OPEN.map(|s| s.as_str())))
        .count()
        .get_result(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    match diesel::delete(channels::table.find(id)).execute(conn)? {
        0 => Err(diesel::result::Error::NotFound),
        _ => Ok(()),
    }
}

/// Changes a channel's settings in one write transaction: reads the row (locked), lets
/// `change` edit its values, writes them and carries out what the change sets off (orders read
/// again, every listing pushed again). None when the channel does not exist. Two concurrent
/// changes cannot lose one another: the second reads what the first wrote.
pub fn change(
    conn: &mut DbConn,
    id: i64,
    now: i64,
    change: impl FnOnce(&mut ChannelValues),
) -> Result<Option<(Channel, ChangeEffects)>, super::DbError> {
    super::write_tx(conn, |conn| {
        // SQLite's IMMEDIATE transaction is the lock there.
        let current: Option<Channel> = match conn {
            // NO KEY: an import inserting this channel's orders (whose foreign key takes a share
            // lock on this row) while holding stock rows this change then locks must not wait.
            DbConn::Pg(c) => {
                channels::table.find(id).select(Channel::as_select()).for_no_key_update().first(c).optional()?
            }
            DbConn::Sqlite(c) => channels::table.find(id).select(Channel::as_select()).first(c).optional()?,
        };
        let Some(current) = current else { return Ok(None) };
        let before = current.sync_settings();
        let mut values = ChannelValues {
            name: current.name,
            kind: current.kind,
            base_url: current.base_url,
            credentials: current.credentials,
            poll_interval_secs: current.poll_interval_secs,
            import_unpaid: current.import_unpaid,
            import_fulfilled: current.import_fulfilled,
            stock_buffer: current.stock_buffer,
            enabled: current.enabled,
            updated_at: now,
            ships_from: current.ships_from,
            reserve_unpaid: current.reserve_unpaid,
            options: current.options,
        };
        change(&mut values);
        let channel = update(conn, id, &values)?;
        let effects = change_effects(before, channel.sync_settings());
        // The stock rows (locked by the listings' queueing) before the channel's state row,
        // in the order an import takes them, so the two never wait for each other in a circle.
        if effects.repush_listings {
            super::outbox::queue_channel_listings(conn, id, None, now)?;
        }
        if effects.reread_orders {
            super::orders::reset_cursor(conn, id)?;
        }
        Ok(Some((channel, effects)))
    })
}
