//! `sqlx::migrate!` embeds the migration files at compile time, but cargo does not know they are
//! inputs: without this, a new migration file is silently left out of the binary until something
//! else rebuilds the crate (sqlx documents this build script for exactly that).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
