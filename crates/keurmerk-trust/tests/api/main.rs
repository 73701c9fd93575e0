//! Integration tests for keurmerk-trust, arranged like the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;
mod formats;
mod props;
mod statement;
mod status;
mod token;
mod trust_list;
