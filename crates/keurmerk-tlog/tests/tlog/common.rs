//! Shared helpers: an in-memory log over stored hashes.

use keurmerk_tlog::{read_tile_data, stored_hashes, Hash, Result, Tile, TileReader};

/// The RFC 6962 / certificate-transparency test leaves.
pub fn rfc6962_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect()
}

pub fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap()
}

/// A log kept as a dense vector of stored hashes.
#[derive(Default, Debug, Clone)]
pub struct MemLog {
    pub stored: Vec<Hash>,
    pub entries: Vec<Vec<u8>>,
}

impl MemLog {
    pub fn with_entries<E: AsRef<[u8]>>(entries: &[E]) -> MemLog {
        let mut log = MemLog::default();
        for e in entries {
            log.append(e.as_ref());
        }
        log
    }

    pub fn append(&mut self, data: &[u8]) {
        let n = self.entries.len() as u64;
        let hs = stored_hashes(n, data, &self.stored).unwrap();
        self.stored.extend(hs);
        self.entries.push(data.to_vec());
    }

    pub fn size(&self) -> u64 {
        self.entries.len() as u64
    }
}

/// Entries `i.to_be_bytes()` for `0..n`.
pub fn numbered(n: u64) -> Vec<Vec<u8>> {
    (0..n).map(|i| i.to_be_bytes().to_vec()).collect()
}

impl TileReader for MemLog {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|t| read_tile_data(t, &self.stored))
            .collect()
    }
}
