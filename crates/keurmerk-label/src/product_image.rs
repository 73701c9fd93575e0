//! Product images uploaded by makers, checked before the registry stores and serves them.
//!
//! An upload is untrusted input that will be sent to every visitor of a search page, so it is
//! accepted only if it is what it claims to be: a PNG or a JPEG (told by its magic bytes, never
//! by a file name or `Content-Type`), at most [`MAX_IMAGE_BYTES`], with a header that states
//! dimensions within [`MIN_SIDE`]..=[`MAX_SIDE`] — read with `imagesize` *before* anything is
//! decoded, so a small file that claims a huge picture (a decompression bomb) is refused without
//! allocating for it — and that then decodes completely (`png` with CRC checks and an
//! allocation limit, `zune-jpeg` in strict mode), so a truncated or corrupt file is refused too.
//! Pure: bytes in, a verdict out.

use std::fmt;

/// Largest accepted file: 512 KiB, plenty for a product picture in a 96-pixel slot.
pub const MAX_IMAGE_BYTES: usize = 512 * 1024;
/// Largest accepted width or height, in pixels.
pub const MAX_SIDE: u32 = 2048;
/// Smallest accepted width or height, in pixels.
pub const MIN_SIDE: u32 = 16;

/// The accepted formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG (JFIF/EXIF baseline or progressive).
    Jpeg,
}

impl ImageFormat {
    /// The media type it is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }

    /// The format of a media type as stored (`image/png`, `image/jpeg`).
    pub fn from_media_type(t: &str) -> Option<Self> {
        match t {
            "image/png" => Some(ImageFormat::Png),
            "image/jpeg" => Some(ImageFormat::Jpeg),
            _ => None,
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
        })
    }
}

/// An image that passed [`check`]: its format and pixel size, as decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedImage {
    /// PNG or JPEG.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why an image is refused; each message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// No bytes at all.
    #[error("the image is empty")]
    Empty,
    /// More bytes than [`MAX_IMAGE_BYTES`].
    #[error("the image is {bytes} bytes; at most {max} bytes are accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes do not start like a PNG or a JPEG.
    #[error("the image is not a PNG or a JPEG (its first bytes are neither signature)")]
    NotPngOrJpeg,
    /// The header states a size outside the limits (checked before decoding).
    #[error(
        "the {format} states {width}×{height} pixels; each side must be from {MIN_SIDE} to {MAX_SIDE} pixels"
    )]
    Dimensions {
        /// Format.
        format: ImageFormat,
        /// Stated width.
        width: u64,
        /// Stated height.
        height: u64,
    },
    /// The file ends before the image does.
    #[error("the {0} is truncated: it does not end the way a complete {0} does")]
    Truncated(ImageFormat),
    /// The header or the image data cannot be decoded.
    #[error("the {format} cannot be decoded: {why}")]
    Corrupt {
        /// Format.
        format: ImageFormat,
        /// The decoder's words.
        why: String,
    },
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xff\xd8\xff";

/// Checks an uploaded image completely; see the module documentation for what is refused.
pub fn check(bytes: &[u8]) -> Result<CheckedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            bytes: bytes.len(),
            max: MAX_IMAGE_BYTES,
        });
    }
    let format = if bytes.starts_with(PNG_SIGNATURE) {
        ImageFormat::Png
    } else if bytes.starts_with(JPEG_SIGNATURE) {
        ImageFormat::Jpeg
    } else {
        return Err(ImageError::NotPngOrJpeg);
    };
    // The stated size, from the header only.
    let stated = imagesize::blob_size(bytes).map_err(|e| match e {
        // The file ends before the header says how large the picture is.
        imagesize::ImageError::IoError(_) | imagesize::ImageError::CorruptedImage => {
            ImageError::Truncated(format)
        }
        other => ImageError::Corrupt {
            format,
            why: other.to_string(),
        },
    })?;
    let (w, h) = (stated.width as u64, stated.height as u64);
    let side_ok = |s: u64| (u64::from(MIN_SIDE)..=u64::from(MAX_SIDE)).contains(&s);
    if !side_ok(w) || !side_ok(h) {
        return Err(ImageError::Dimensions {
            format,
            width: w,
            height: h,
        });
    }
    let (width, height) = match format {
        ImageFormat::Png => decode_png(bytes)?,
        ImageFormat::Jpeg => decode_jpeg(bytes)?,
    };
    // The decoder must agree with the header we checked the limits on.
    if (u64::from(width), u64::from(height)) != (w, h) {
        return Err(ImageError::Corrupt {
            format,
            why: format!("the header says {w}×{h} but the image decodes as {width}×{height}"),
        });
    }
    Ok(CheckedImage {
        format,
        width,
        height,
    })
}

/// Largest decoded buffer: the largest accepted picture at 16 bits per channel with alpha.
const MAX_DECODED_BYTES: usize = (MAX_SIDE as usize) * (MAX_SIDE as usize) * 8;

fn decode_png(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let f = ImageFormat::Png;
    let err = |e: ::png::DecodingError| match e {
        ::png::DecodingError::IoError(_) => ImageError::Truncated(f),
        ::png::DecodingError::Format(e) if e.to_string().contains("EOF") => {
            ImageError::Truncated(f)
        }
        other => ImageError::Corrupt {
            format: f,
            why: other.to_string(),
        },
    };
    let decoder = ::png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        ::png::Limits {
            bytes: MAX_DECODED_BYTES,
        },
    );
    let mut reader = decoder.read_info().map_err(err)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).map_err(err)?;
    // Reads the rest up to IEND, so a file cut after the pixel data is refused too.
    reader.finish().map_err(err)?;
    Ok((width, height))
}

fn decode_jpeg(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    use zune_jpeg::zune_core::options::DecoderOptions;
    let f = ImageFormat::Jpeg;
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    let err = |e: zune_jpeg::errors::DecodeErrors| {
        let why = e.to_string();
        if why.to_ascii_lowercase().contains("premature")
            || why.to_ascii_lowercase().contains("no more bytes")
            || why.to_ascii_lowercase().contains("end of")
        {
            ImageError::Truncated(f)
        } else {
            ImageError::Corrupt { format: f, why }
        }
    };
    decoder.decode().map_err(err)?;
    // A complete JPEG ends with its end-of-image marker; the decoder may stop reading before.
    if !bytes.ends_with(&[0xff, 0xd9]) {
        return Err(ImageError::Truncated(f));
    }
    let (w, h) = decoder.dimensions().ok_or_else(|| ImageError::Corrupt {
        format: f,
        why: "no dimensions after decoding".into(),
    })?;
    let conv = |s: usize| u32::try_from(s).unwrap_or(u32::MAX);
    Ok((conv(w), conv(h)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A real PNG of `w`×`h` pixels, encoded by the `png` crate.
    pub(crate) fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = ::png::Encoder::new(&mut out, w, h);
            enc.set_color(::png::ColorType::Rgb);
            enc.set_depth(::png::BitDepth::Eight);
            let mut wr = enc.write_header().unwrap();
            let data: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
            wr.write_image_data(&data).unwrap();
        }
        out
    }

    /// A PNG whose IHDR states `w`×`h` (CRC fixed up) but that carries no pixel data: what a
    /// decompression bomb looks like to the header check.
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut b = png_bytes(16, 16);
        b[16..20].copy_from_slice(&w.to_be_bytes());
        b[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&b[12..29]);
        b[29..33].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0xedb8_8320 & mask);
            }
        }
        !crc
    }

    /// A small real-world baseline JPEG (16×16, `tests/fixtures/README.md` names its source).
    const JPEG: &[u8] = include_bytes!("../tests/fixtures/python-16x16.jpg");

    #[test]
    fn a_real_png_and_jpeg_pass_with_their_size() {
        assert_eq!(
            check(&png_bytes(40, 30)),
            Ok(CheckedImage {
                format: ImageFormat::Png,
                width: 40,
                height: 30
            })
        );
        assert_eq!(
            check(JPEG),
            Ok(CheckedImage {
                format: ImageFormat::Jpeg,
                width: 16,
                height: 16
            })
        );
    }

    #[test]
    fn empty_oversize_and_wrong_magic_are_named() {
        assert_eq!(check(b""), Err(ImageError::Empty));
        let big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(matches!(check(&big), Err(ImageError::TooLarge { .. })));
        for not_image in [
            &b"GIF89a\x01\x00\x01\x00"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"\x89PNX\r\n\x1a\n",
            b"%PDF-1.7",
        ] {
            assert_eq!(check(not_image), Err(ImageError::NotPngOrJpeg));
        }
    }

    #[test]
    fn bomb_dimensions_are_refused_from_the_header() {
        let e = check(&png_claiming(100_000, 100_000)).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::Dimensions {
                    width: 100_000,
                    height: 100_000,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("100000×100000"), "{e}");
        assert!(matches!(
            check(&png_claiming(MAX_SIDE + 1, 16)),
            Err(ImageError::Dimensions { .. })
        ));
        assert!(matches!(
            check(&png_bytes(8, 8)),
            Err(ImageError::Dimensions { .. })
        ));
        // A JPEG whose frame header claims 65500×65500.
        let mut j = JPEG.to_vec();
        let sof = j
            .windows(2)
            .position(|w| w == [0xff, 0xc0] || w == [0xff, 0xc2])
            .unwrap();
        j[sof + 5..sof + 7].copy_from_slice(&65500u16.to_be_bytes());
        j[sof + 7..sof + 9].copy_from_slice(&65500u16.to_be_bytes());
        assert!(matches!(check(&j), Err(ImageError::Dimensions { .. })));
    }

    #[test]
    fn a_png_within_limits_that_lies_about_its_size_is_refused() {
        // Header says 64×64, the data holds 16×16.
        assert!(check(&png_claiming(64, 64)).is_err());
    }

    #[test]
    fn truncated_files_are_refused_at_every_cut() {
        for (name, whole) in [("png", png_bytes(40, 30)), ("jpeg", JPEG.to_vec())] {
            for cut in 1..whole.len() {
                assert!(
                    check(&whole[..cut]).is_err(),
                    "{name} cut at {cut} of {} passed",
                    whole.len()
                );
            }
        }
        let p = png_bytes(40, 30);
        assert_eq!(
            check(&p[..p.len() - 12]),
            Err(ImageError::Truncated(ImageFormat::Png)),
            "cut before IEND"
        );
        assert!(matches!(
            check(&JPEG[..JPEG.len() / 2]),
            Err(ImageError::Truncated(ImageFormat::Jpeg) | ImageError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_flipped_bit_in_the_pixel_data_is_refused() {
        let mut p = png_bytes(40, 30);
        let n = p.len();
        p[n - 20] ^= 0x01;
        assert!(check(&p).is_err());
    }

    proptest::proptest! {
        /// Whatever the bytes: no panic, and what passes is within the limits.
        #[test]
        fn any_bytes_give_a_verdict_without_panicking(
            head in proptest::sample::select(vec![PNG_SIGNATURE.to_vec(), JPEG_SIGNATURE.to_vec(), vec![]]),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
        ) {
            let mut b = head;
            b.extend(tail);
            if let Ok(c) = check(&b) {
                proptest::prop_assert!((MIN_SIDE..=MAX_SIDE).contains(&c.width));
                proptest::prop_assert!((MIN_SIDE..=MAX_SIDE).contains(&c.height));
            }
        }

        /// Random damage to a real image: no panic.
        #[test]
        fn damaged_images_never_panic(at in 0usize..4096, byte in proptest::num::u8::ANY, jpeg in proptest::bool::ANY) {
            let mut b = if jpeg { JPEG.to_vec() } else { png_bytes(40, 30) };
            let i = at % b.len();
            b[i] = byte;
            let _ = check(&b);
        }
    }
}
