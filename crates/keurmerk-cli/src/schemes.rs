//! The scheme catalogue: the files shipped in `schemes/` are compiled in, and `--schemes DIR`
//! loads another directory instead (every `*.toml` in it).

use std::path::Path;

use anyhow::{Context, Result};
use keurmerk_domain::scheme::Catalogue;

pub fn load(dir: Option<&Path>) -> Result<Catalogue> {
    let Some(dir) = dir else {
        return Ok(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED)?);
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("reading scheme directory {}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no *.toml scheme files in {}",
        dir.display()
    );
    Ok(Catalogue::from_files(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    )?)
}
