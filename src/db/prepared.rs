//! PostgreSQL statements of fixed text, prepared once per connection and then sent as one
//! round trip each.
//!
//! Diesel never caches `sql_query` (nor a multi-row `VALUES` insert, whose text changes with its
//! row count): each runs as an unnamed statement, a parse round trip and then an execute, planned
//! every time. Set-based writes whose rows travel as arrays (`unnest($1::text[], …)`) have one
//! text whatever the rows, so they can be cached like any query the DSL builds.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Untyped};
use diesel::QueryResult;

/// One bound value: a column of rows as an array, or a scalar.
pub enum Bind<'a> {
    Texts(Vec<&'a str>),
    NullTexts(Vec<Option<&'a str>>),
    BigInts(Vec<i64>),
    NullBigInts(Vec<Option<i64>>),
    Bools(Vec<bool>),
    BigInt(i64),
    Text(&'a str),
}

/// A statement whose text has a `?` for each bind, in order (it must hold no other `?`).
/// Its text is the cache key, so build it from constants, never from input.
pub struct Cached<'a> {
    sql: &'static str,
    binds: Vec<Bind<'a>>,
}

impl<'a> Cached<'a> {
    pub fn new(sql: &'static str) -> Self {
        Cached { sql, binds: Vec::new() }
    }

    pub fn bind(mut self, value: Bind<'a>) -> Self {
        self.binds.push(value);
        self
    }

    /// A column of `rows`, as one array bind.
    pub fn texts<T>(self, rows: &'a [T], f: impl Fn(&'a T) -> &'a str) -> Self {
        self.bind(Bind::Texts(rows.iter().map(f).collect()))
    }

    pub fn null_texts<T>(self, rows: &'a [T], f: impl Fn(&'a T) -> Option<&'a str>) -> Self {
        self.bind(Bind::NullTexts(rows.iter().map(f).collect()))
    }

    pub fn big_ints<T>(self, rows: &'a [T], f: impl Fn(&'a T) -> i64) -> Self {
        self.bind(Bind::BigInts(rows.iter().map(f).collect()))
    }

    pub fn null_big_ints<T>(self, rows: &'a [T], f: impl Fn(&'a T) -> Option<i64>) -> Self {
        self.bind(Bind::NullBigInts(rows.iter().map(f).collect()))
    }

    pub fn bools<T>(self, rows: &'a [T], f: impl Fn(&'a T) -> bool) -> Self {
        self.bind(Bind::Bools(rows.iter().map(f).collect()))
    }
}

impl QueryId for Cached<'_> {
    type QueryId = ();
    // No static id: diesel then keys its cache by the statement's text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Cached<'_> {
    type SqlType = Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Cached<'_> {}

impl QueryFragment<Pg> for Cached<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        if let Some(first) = parts.next() {
            out.push_sql(first);
        }
        let mut binds = self.binds.iter();
        for part in parts {
            let Some(bind) = binds.next() else {
                return Err(diesel::result::Error::QueryBuilderError("a `?` without its bind".into()));
            };
            match bind {
                Bind::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Bind::NullTexts(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v)?,
                Bind::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Bind::NullBigInts(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v)?,
                Bind::Bools(v) => out.push_bind_param::<Array<Bool>, _>(v)?,
                Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
            }
            out.push_sql(part);
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError("a bind without its `?`".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mark_becomes_the_next_numbered_parameter() {
        let rows = [("a", 1_i64), ("b", 2)];
        let q = Cached::new("SELECT * FROM unnest(?::text[], ?::bigint[]) WHERE ? > 0")
            .texts(&rows, |r| r.0)
            .big_ints(&rows, |r| r.1)
            .bind(Bind::BigInt(7));
        let sql = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(sql.starts_with("SELECT * FROM unnest($1::text[], $2::bigint[]) WHERE $3 > 0"), "{sql}");
    }

    #[test]
    fn a_mark_without_its_bind_or_a_bind_without_its_mark_is_an_error() {
        let mut out = String::new();
        let short = Cached::new("SELECT ?, ?").bind(Bind::BigInt(1));
        let long = Cached::new("SELECT ?").bind(Bind::BigInt(1)).bind(Bind::BigInt(2));
        for q in [short, long] {
            let shown = std::fmt::write(&mut out, format_args!("{}", diesel::debug_query::<Pg, _>(&q)));
            assert!(shown.is_err(), "rendered {out}");
        }
    }
}
