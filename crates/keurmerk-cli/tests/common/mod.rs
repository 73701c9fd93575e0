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
