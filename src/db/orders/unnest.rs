//! PostgreSQL's set-based insert of a page's new orders and lines: one array a column, expanded
//! by `unnest`. The statement's text and its bind count stay the same whatever the rows, so it is
//! prepared once per connection, where a multi-row `VALUES` binds every field of every row (1,800
//! parameters for 100 orders) for the server to parse and plan each time.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{NewLine, OrderValues};
use crate::db::prepared::Cached;

/// A row an insert returned: its id and its unique key (the key's two columns, `a` and `b`).
#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = Text)]
    b: String,
}

impl From<Inserted> for (i64, i64, String) {
    fn from(r: Inserted) -> Self {
        (r.id, r.a, r.b)
    }
}

pub(super) fn insert_orders(conn: &mut PgConnection, rows: &[OrderValues]) -> QueryResult<Vec<(i64, i64, String)>> {
    let inserted: Vec<Inserted> = Cached::new(
        "INSERT INTO orders (channel_id, external_id, name, status, hold_reason, financial_status, \
         fulfillment_status, channel_created_at, channel_updated_at, channel_digest, cancelled_at, imported_at, \
         updated_at, channel_reserved, number, details, personal, customer_email) \
         SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], \
         ?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], \
         ?::boolean[], ?::text[], ?::text[], ?::text[], ?::text[]) \
         RETURNING id, channel_id AS a, external_id AS b",
    )
    .big_ints(rows, |r| r.channel_id)
    .texts(rows, |r| &r.external_id)
    .texts(rows, |r| &r.name)
    .texts(rows, |r| &r.status)
    .null_texts(rows, |r| r.hold_reason.as_deref())
    .texts(rows, |r| &r.financial_status)
    .texts(rows, |r| &r.fulfillment_status)
    .big_ints(rows, |r| r.channel_created_at)
    .big_ints(rows, |r| r.channel_updated_at)
    .texts(rows, |r| &r.channel_digest)
    .null_big_ints(rows, |r| r.cancelled_at)
    .big_ints(rows, |r| r.imported_at)
    .big_ints(rows, |r| r.updated_at)
    .bools(rows, |r| r.channel_reserved)
    .null_texts(rows, |r| r.number.as_deref())
    .null_texts(rows, |r| r.details.as_deref())
    .null_texts(rows, |r| r.personal.as_deref())
    .null_texts(rows, |r| r.customer_email.as_deref())
    .load(conn)?;
    Ok(inserted.into_iter().map(Into::into).collect())
}

pub(super) fn insert_lines(conn: &mut PgConnection, rows: &[NewLine]) -> QueryResult<Vec<(i64, i64, String)>> {
    let inserted: Vec<Inserted> = Cached::new(
        "INSERT INTO order_lines (order_id, external_id, sku, quantity, fulfilled, allocated, channel_out, \
         returned, written_off, product_id, variant_id, details) \
         SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], \
         ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[]) \
         RETURNING id, order_id AS a, external_id AS b",
    )
    .big_ints(rows, |r| r.order_id)
    .texts(rows, |r| &r.external_id)
    .texts(rows, |r| &r.sku)
    .big_ints(rows, |r| r.quantity)
    .big_ints(rows, |r| r.fulfilled)
    .big_ints(rows, |r| r.allocated)
    .big_ints(rows, |r| r.channel_out)
    .big_ints(rows, |r| r.returned)
    .big_ints(rows, |r| r.written_off)
    .null_texts(rows, |r| r.product_id.as_deref())
    .null_texts(rows, |r| r.variant_id.as_deref())
    .null_texts(rows, |r| r.details.as_deref())
    .load(conn)?;
    Ok(inserted.into_iter().map(Into::into).collect())
}
