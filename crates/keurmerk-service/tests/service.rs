//! Service-layer tests: every denied path of SPEC §2, bad input, and the demo dataset rebuilt from
//! its events. Runs on SQLite, and on PostgreSQL too when `KEURMERK_TEST_POSTGRES` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod atomic;
mod attribution;
mod authz;
mod bulk;
mod complaints;
mod coverage;
mod demo;
mod images;
mod integrity;
mod monitoring;
mod outage;
mod readmodel;
mod reasons;
mod scheduler;
mod scope;
mod search;
mod signing;
mod softwarelists;
mod statuslist;
mod update_record;
mod workflow;
