//! PNG output: the SVG rasterised by resvg with the embedded fonts only.

use std::sync::{Arc, OnceLock};

use crate::fit::{BOLD_TTF, REGULAR_TTF};
use crate::svg::{render_svg, LABEL_HEIGHT, LABEL_WIDTH};
use crate::{LabelError, LabelInput, Lang};
use resvg::{tiny_skia, usvg};

fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        // Only the embedded fonts: no system fonts, so output is identical everywhere.
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(REGULAR_TTF.to_vec());
        db.load_font_data(BOLD_TTF.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Parse an SVG produced by this crate with the embedded fonts (also used by tests).
pub(crate) fn parse_tree(svg: &str) -> Result<usvg::Tree, LabelError> {
    let opt = usvg::Options {
        fontdb: fontdb(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &opt).map_err(|e| LabelError::Render(e.to_string()))
}

/// Render the label as PNG at `scale` (1.0 = 400 × 700 px; 0.1..=16). For a print of a given
/// size and resolution use [`crate::scale_for_print`].
pub fn render_png(input: &LabelInput, lang: Lang, scale: f32) -> Result<Vec<u8>, LabelError> {
    if !scale.is_finite() || !(0.1..=16.0).contains(&scale) {
        return Err(LabelError::Scale(scale.to_string()));
    }
    let tree = parse_tree(&render_svg(input, lang)?)?;
    let (w, h) = (
        (LABEL_WIDTH * scale).ceil() as u32,
        (LABEL_HEIGHT * scale).ceil() as u32,
    );
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| LabelError::Scale(scale.to_string()))?;
    // The SVG states its size in millimetres; draw its viewBox onto the requested pixels.
    let k = scale * LABEL_WIDTH / tree.size().width();
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(k, k),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| LabelError::Render(e.to_string()))
}
