//! C2SP tlog-tiles entry bundles: a sequence of entries, each prefixed by
//! its length as a big-endian `u16`. A full bundle holds 256 entries.

use crate::error::{Error, Result};
use crate::tile::TILE_WIDTH;

/// Largest entry a bundle can hold.
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Encodes entries into bundle bytes. Fails on an entry over 65,535 bytes
/// or more than 256 entries.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>> {
    if entries.len() > usize::from(TILE_WIDTH) {
        return Err(Error::MalformedBundle("more than 256 entries"));
    }
    let total: usize = entries.iter().map(|e| 2 + e.as_ref().len()).sum();
    let mut out = Vec::with_capacity(total);
    for e in entries {
        append_entry(&mut out, e.as_ref())?;
    }
    Ok(out)
}

/// Appends one length-prefixed entry to `bundle`.
pub fn append_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<()> {
    let len = u16::try_from(entry.len()).map_err(|_| Error::EntryTooLarge(entry.len()))?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Decodes bundle bytes into entry slices. Rejects a truncated length
/// prefix, a length running past the end, and more than 256 entries.
/// An empty input decodes to no entries.
pub fn decode_entry_bundle(data: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if out.len() == usize::from(TILE_WIDTH) {
            return Err(Error::MalformedBundle("more than 256 entries"));
        }
        let [hi, lo, tail @ ..] = rest else {
            return Err(Error::MalformedBundle("truncated length prefix"));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if tail.len() < len {
            return Err(Error::MalformedBundle("entry runs past end of bundle"));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
    }
    Ok(out)
}

/// Decodes a bundle that must hold exactly `width` entries (the `.p/<W>`
/// width of its path, or 256 for a full bundle).
pub fn decode_entry_bundle_exact(data: &[u8], width: u16) -> Result<Vec<&[u8]>> {
    let entries = decode_entry_bundle(data)?;
    if entries.len() != usize::from(width) {
        return Err(Error::MalformedBundle(
            "entry count does not match bundle width",
        ));
    }
    Ok(entries)
}

/// The prefix of bundle `data` holding its first `width` entries: a store
/// that keeps only the widest version of a bundle serves narrower partial
/// bundles (`tile/entries/<N>.p/<W>`) from it. Fails if `data` holds fewer
/// than `width` entries or is malformed.
pub fn entry_bundle_prefix(data: &[u8], width: u16) -> Result<&[u8]> {
    let mut pos = 0usize;
    for _ in 0..width {
        let len = match data.get(pos..pos + 2) {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => {
                return Err(Error::MalformedBundle(
                    "bundle holds fewer entries than requested",
                ))
            }
        };
        pos += 2 + len;
        if pos > data.len() {
            return Err(Error::MalformedBundle("entry runs past end of bundle"));
        }
    }
    Ok(&data[..pos])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[0u8; 300]];
        let b = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&b[..5], &[0, 0, 0, 1, b'a']);
        assert_eq!(decode_entry_bundle(&b).unwrap(), entries);
        assert!(decode_entry_bundle_exact(&b, 3).is_ok());
        assert!(decode_entry_bundle_exact(&b, 4).is_err());
        assert!(decode_entry_bundle(&b[..b.len() - 1]).is_err());
        assert!(decode_entry_bundle(&[0]).is_err());
        assert!(decode_entry_bundle(&[0, 5, 1]).is_err());
        assert!(encode_entry_bundle(&[vec![0u8; 65_536]]).is_err());
        assert!(decode_entry_bundle(&[0u8; 2 * 257]).is_err());
        assert_eq!(decode_entry_bundle(&[0u8; 2 * 256]).unwrap().len(), 256);
        assert_eq!(entry_bundle_prefix(&b, 2).unwrap(), &b[..5]);
        assert_eq!(entry_bundle_prefix(&b, 0).unwrap(), &[] as &[u8]);
        assert_eq!(entry_bundle_prefix(&b, 3).unwrap(), &b[..]);
        assert!(entry_bundle_prefix(&b, 4).is_err());
        assert!(entry_bundle_prefix(&b[..b.len() - 1], 3).is_err());
    }
}
