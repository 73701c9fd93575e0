//! Integration tests for keurmerk-tlog, one module per area of the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod merkle_vectors;
mod notes;
mod props;
mod receipts;
mod tiles;
