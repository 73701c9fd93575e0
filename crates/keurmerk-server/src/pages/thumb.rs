//! The image slot of a search result (issue 13 item 5): a fixed 64×64 box, so nothing moves
//! while images load. With an image the maker set, an `<img>` from this registry (never a third
//! party), lazily loaded, with the product's name as `alt`; without one a neutral glyph of the
//! product's category, drawn inline (no request, allowed by the CSP), hidden from screen readers
//! because the result's link already names the product.

use keurmerk_domain::model::Category;
use keurmerk_store::ImageRef;
use maud::{html, Markup, PreEscaped};

/// The slot's side in CSS pixels (the stylesheet's `.thumb` says the same).
pub(crate) const SLOT: u32 = 64;

/// The outline of a category's glyph, as SVG path data on a 48×48 grid (stroked, not filled).
fn glyph(c: Category) -> &'static str {
    match c {
        // A camera: body and lens.
        Category::Camera | Category::BabyMonitor => {
            "M8 16h8l3-4h10l3 4h8v20H8z M24 20a6 6 0 1 0 0.01 0"
        }
        // A router: box and two antennas.
        Category::Router => "M8 28h32v10H8z M14 28V12 M34 28V12 M14 33h2 M20 33h2",
        // A plug: round face and two pins.
        Category::SmartPlug => "M24 8a16 16 0 1 0 0.01 0 M18 20v8 M30 20v8",
        // A padlock.
        Category::SmartLock => "M12 22h24v18H12z M16 22v-6a8 8 0 0 1 16 0v6 M24 29v5",
        // A speaker: cabinet and cone.
        Category::SmartSpeaker => "M14 6h20v36H14z M24 28a5 5 0 1 0 0.01 0 M24 13h0.01",
        // A thermostat: dial.
        Category::Thermostat => "M24 8a16 16 0 1 0 0.01 0 M24 24l6-6",
        // An alarm: bell.
        Category::Alarm => "M14 34V22a10 10 0 0 1 20 0v12 M10 34h28 M21 38h6",
        // A computer: screen and stand.
        Category::Computer => "M8 10h32v22H8z M20 38h8 M24 32v6",
        // A cloud.
        Category::CloudService => "M14 34a7 7 0 0 1 1-14 10 10 0 0 1 19 2 6 6 0 0 1 0 12z",
        // Signal waves.
        Category::ConnectivityService => {
            "M24 36h0.01 M18 30a8 8 0 0 1 12 0 M12 24a16 16 0 0 1 24 0"
        }
        // A phone.
        Category::MobileApp => "M16 6h16v36H16z M22 37h4",
        // A box.
        _ => "M8 16l16-8 16 8v18l-16 8-16-8z M8 16l16 8 16-8 M24 24v18",
    }
}

/// The slot for one result.
pub(crate) fn slot(product_name: &str, category: Category, image: Option<&ImageRef>) -> Markup {
    match image {
        Some(i) => html! {
            // Product names are the maker's own words (English unless stated), like the link.
            img.thumb src=(keurmerk_service::images::image_path(&i.sha256))
                width=(SLOT) height=(SLOT) alt=(product_name) lang="en"
                loading="lazy" decoding="async";
        },
        None => html! {
            span.thumb.thumb-none aria-hidden="true" {
                svg width=(SLOT) height=(SLOT) viewBox="0 0 48 48" focusable="false" {
                    path d=(PreEscaped(glyph(category))) fill="none" stroke="currentColor"
                        stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round" {}
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_gets_a_fixed_lazy_slot_named_after_the_product() {
        let i = ImageRef {
            sha256: "ab".repeat(32),
            media_type: "image/png".into(),
            width: 400,
            height: 300,
        };
        let html = slot("Cosy <Cam>", Category::Camera, Some(&i)).into_string();
        assert!(
            html.contains(&format!(r#"src="/images/{}""#, "ab".repeat(32))),
            "{html}"
        );
        for want in [
            r#"width="64""#,
            r#"height="64""#,
            r#"loading="lazy""#,
            r#"alt="Cosy &lt;Cam&gt;""#,
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
    }

    #[test]
    fn without_an_image_every_category_has_a_silent_placeholder_of_the_same_size() {
        for c in Category::ALL {
            let html = slot("X", *c, None).into_string();
            assert!(html.contains(r#"aria-hidden="true""#), "{html}");
            assert!(html.contains(r#"width="64""#) && html.contains(r#"height="64""#));
            assert!(!html.contains("<img"), "no request for a placeholder");
        }
    }
}
