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

pub fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub fn get_opt(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub fn get_parse<T: FromStr>(row: &AnyRow, col: &'static str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let s = get_str(row, col)?;
    s.parse()
        .map_err(|e: T::Err| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_opt_parse<T: FromStr>(row: &AnyRow, col: &'static str) -> Result<Option<T>>
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

pub fn get_ts(row: &AnyRow, col: &'static str) -> Result<DateTime<Utc>> {
    let s = get_str(row, col)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_opt_ts(row: &AnyRow, col: &'static str) -> Result<Option<DateTime<Utc>>> {
    match get_opt(row, col)? {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| corrupt(col, format!("{s:?}: {e}"))),
    }
}

pub fn get_date(row: &AnyRow, col: &'static str) -> Result<NaiveDate> {
    let s = get_str(row, col)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| corrupt(col, format!("{s:?}: {e}")))
}

pub fn get_json<T: DeserializeOwned>(row: &AnyRow, col: &'static str) -> Result<T> {
    let s = get_str(row, col)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

pub fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt("json value", e))
}
