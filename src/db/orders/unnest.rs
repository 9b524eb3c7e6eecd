//! PostgreSQL's set-based insert of a page's new orders and lines: one array a column, expanded
//! by `unnest`. The statement's text and its bind count stay the same whatever the rows, where
//! a multi-row `VALUES` binds every field of every row (1,800 parameters for 100 orders) for the
//! server to parse and plan each time.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use super::{NewLine, OrderValues};

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

fn column<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

pub(super) fn insert_orders(conn: &mut PgConnection, rows: &[OrderValues]) -> QueryResult<Vec<(i64, i64, String)>> {
    let inserted: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO orders (channel_id, external_id, name, status, hold_reason, financial_status, \
         fulfillment_status, channel_created_at, channel_updated_at, channel_digest, cancelled_at, imported_at, \
         updated_at, channel_reserved, number, details, personal, customer_email) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], \
         $14::boolean[], $15::text[], $16::text[], $17::text[], $18::text[]) \
         RETURNING id, channel_id AS a, external_id AS b",
    )
    .bind::<Array<BigInt>, _>(column(rows, |r| r.channel_id))
    .bind::<Array<Text>, _>(column(rows, |r| r.external_id.as_str()))
    .bind::<Array<Text>, _>(column(rows, |r| r.name.as_str()))
    .bind::<Array<Text>, _>(column(rows, |r| r.status.as_str()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.hold_reason.as_deref()))
    .bind::<Array<Text>, _>(column(rows, |r| r.financial_status.as_str()))
    .bind::<Array<Text>, _>(column(rows, |r| r.fulfillment_status.as_str()))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.channel_created_at))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.channel_updated_at))
    .bind::<Array<Text>, _>(column(rows, |r| r.channel_digest.as_str()))
    .bind::<Array<Nullable<BigInt>>, _>(column(rows, |r| r.cancelled_at))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.imported_at))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.updated_at))
    .bind::<Array<Bool>, _>(column(rows, |r| r.channel_reserved))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.number.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.details.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.personal.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.customer_email.as_deref()))
    .load(conn)?;
    Ok(inserted.into_iter().map(Into::into).collect())
}

pub(super) fn insert_lines(conn: &mut PgConnection, rows: &[NewLine]) -> QueryResult<Vec<(i64, i64, String)>> {
    let inserted: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO order_lines (order_id, external_id, sku, quantity, fulfilled, allocated, channel_out, \
         returned, written_off, product_id, variant_id, details) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], \
         $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[]) \
         RETURNING id, order_id AS a, external_id AS b",
    )
    .bind::<Array<BigInt>, _>(column(rows, |r| r.order_id))
    .bind::<Array<Text>, _>(column(rows, |r| r.external_id.as_str()))
    .bind::<Array<Text>, _>(column(rows, |r| r.sku.as_str()))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.quantity))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.fulfilled))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.allocated))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.channel_out))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.returned))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.written_off))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.product_id.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.variant_id.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.details.as_deref()))
    .load(conn)?;
    Ok(inserted.into_iter().map(Into::into).collect())
}
