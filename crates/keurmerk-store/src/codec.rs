//! Encoding of domain values in portable SQL columns (TEXT, BIGINT) and back.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, StoreError};

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn corrupt(what: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

/// A row read by any of the drivers: sqlx's (the pool) or rusqlite's ([`NamedRow`]: point
/// reads, ADR 0020), so one decoder serves both and the two paths cannot decode a row
/// differently.
pub trait Cols {
    /// A text column, `None` for NULL.
    fn text(&self, col: &str) -> Result<Option<String>>;
    /// An integer column, `None` for NULL.
    fn int(&self, col: &str) -> Result<Option<i64>>;
    /// A BLOB column.
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
}

impl Cols for AnyRow {
    fn text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    fn int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        Ok(self.try_get::<Vec<u8>, _>(col)?)
    }
}

/// A rusqlite row that finds its columns by name in the statement's column names, read once
/// per statement. rusqlite finds a column by asking SQLite for each column's name in turn until
/// one matches, on every `get`: for the certificate page's 40-column row that was about 7 % of
/// a view's instructions (`sqlite3_column_name`, callgrind, 2026-12-04). Names compare as
/// rusqlite compares them (ASCII case ignored, the first match).
pub struct NamedRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
}

impl<'a, 'r> NamedRow<'a, 'r> {
    /// `row` of a statement whose column names are `names` (`column_names(stmt)`).
    pub fn new(row: &'a rusqlite::Row<'r>, names: &'a [String]) -> Self {
        Self { row, names }
    }

    fn index(&self, col: &str) -> Result<usize> {
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(col))
            .ok_or_else(|| corrupt("column", format!("{col}: no such column")))
    }

    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T> {
        self.row
            .get::<_, T>(self.index(col)?)
            .map_err(|e| corrupt("column", format!("{col}: {e}")))
    }
}

/// The column names of `stmt`, for [`NamedRow`].
pub fn column_names(stmt: &rusqlite::Statement<'_>) -> Vec<String> {
    stmt.column_names().into_iter().map(str::to_owned).collect()
}

impl Cols for NamedRow<'_, '_> {
    fn text(&self, col: &str) -> Result<Option<String>> {
        self.get(col)
    }
    fn int(&self, col: &str) -> Result<Option<i64>> {
        self.get(col)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.get(col)
    }
}

pub fn get_str(row: &(impl Cols + ?Sized), col: &str) -> Result<String> {
    row.text(col)?
        .ok_or_else(|| corrupt("column", format!("{col} is NULL")))
}

pub fn get_opt(row: &(impl Cols + ?Sized), col: &str) -> Result<Option<String>> {
    row.text(col)
}

pub fn get_i64(row: &(impl Cols + ?Sized), col: &str) -> Result<i64> {
    row.int(col)?
        .ok_or_else(|| corrupt("column", format!("{col} is NULL")))
}

pub fn get_parse<T: FromStr>(row: &(impl Cols + ?Sized), col: &'static str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let s = get_str(row, col)?;
    s.parse()
        .map_err(|e: T::Err| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_opt_parse<T: FromStr>(row: &(impl Cols + ?Sized), col: &'static str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match get_opt(row, col)? {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|e: T::Err| corrupt(col, format!("{s:?}: {e}"))),
    }
}

pub fn get_ts(row: &(impl Cols + ?Sized), col: &'static str) -> Result<DateTime<Utc>> {
    parse_ts(col, &get_str(row, col)?)
}

/// A stored timestamp of column `col`, read by any driver.
pub fn parse_ts(col: &'static str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_opt_ts(row: &(impl Cols + ?Sized), col: &'static str) -> Result<Option<DateTime<Utc>>> {
    get_opt(row, col)?.map(|s| parse_ts(col, &s)).transpose()
}

pub fn get_date(row: &(impl Cols + ?Sized), col: &'static str) -> Result<NaiveDate> {
    let s = get_str(row, col)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_json<T: DeserializeOwned>(row: &(impl Cols + ?Sized), col: &'static str) -> Result<T> {
    parse_json(col, &get_str(row, col)?)
}

/// A stored JSON value of column `col`, read by any driver.
pub fn parse_json<T: DeserializeOwned>(col: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(col, e))
}

pub fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt("json value", e))
}
