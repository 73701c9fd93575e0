//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `keurmerk` in `dir`, with no `KEURMERK_*` variable inherited from the test's environment.
pub fn keurmerk(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keurmerk"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir);
    c
}

/// Status lists the registry published: each is a log entry besides the events (issue 15's
/// status list, its hash logged so no one is shown a different list).
pub fn published_lists(db: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = keurmerk_store::SqlStore::connect(db).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM status_lists")
            .fetch_one(store.pool())
            .await
            .unwrap();
        store.close().await;
        u64::try_from(n).unwrap()
    })
}
