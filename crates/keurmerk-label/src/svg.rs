//! Label layout and SVG output.

use chrono::Datelike;

use crate::fit::{fit, ASCENT, LINE_HEIGHT};
use crate::text::{fill, texts, Lang};
use crate::{Design, IssuerKind, LabelError, LabelInput, MAX_STARS, PRINT_WIDTH_MM};

/// Label width in SVG user units (CSS px at scale 1).
pub const LABEL_WIDTH: f32 = 400.0;
/// Label height in SVG user units.
pub const LABEL_HEIGHT: f32 = 700.0;
const MARGIN: f32 = 16.0;
const QR_TOP: f32 = 390.0;
const QR_SIZE: f32 = 230.0;
const FONT: &str = "DejaVu Sans";

const BLUE: &str = "#003399";
const NOT_VALID_FILL: &str = "#b00020";
const INK: &str = "#1a1a1a";
const MUTED: &str = "#4d4d4d";
const TESTED_FILL: &str = "#14532d";
const SELF_FILL: &str = "#fff3cd";
const SELF_INK: &str = "#3d2700";
const SELF_EDGE: &str = "#7a4d00";

/// One laid-out line of text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    pub bold: bool,
    pub centred: bool,
    pub colour: &'static str,
    /// Width of the box the line was fitted into (starting at `x`, or centred on it).
    pub box_width: f32,
    /// Bottom of the slot; the last line's descent stays above it.
    pub slot_bottom: f32,
}

struct Slot {
    x: f32,
    top: f32,
    width: f32,
    base: f32,
    min: f32,
    lines: usize,
    bold: bool,
    centred: bool,
    colour: &'static str,
}

impl Slot {
    /// Fit `text` into the slot; returns the lines and the y just below the last one.
    fn place(&self, text: &str, out: &mut Vec<Line>) -> f32 {
        let f = fit(text, self.bold, self.width, self.base, self.min, self.lines);
        let step = f.size * LINE_HEIGHT;
        let bottom = self.top + step * self.lines as f32;
        for (i, t) in f.lines.into_iter().enumerate() {
            out.push(Line {
                text: t,
                x: self.x,
                baseline: self.top + f.size * ASCENT + step * i as f32,
                size: f.size,
                bold: self.bold,
                centred: self.centred,
                colour: self.colour,
                box_width: self.width,
                slot_bottom: bottom,
            });
        }
        let used = out
            .iter()
            .rev()
            .take_while(|l| l.slot_bottom == bottom)
            .count();
        self.top + step * used as f32
    }
}

/// `size` is (base font size, smallest allowed, most lines allowed).
fn slot(
    x: f32,
    top: f32,
    width: f32,
    size: (f32, f32, usize),
    bold: bool,
    colour: &'static str,
) -> Slot {
    let (base, min, lines) = size;
    Slot {
        x,
        top,
        width,
        base,
        min,
        lines,
        bold,
        centred: false,
        colour,
    }
}

/// The texts of the label, positioned. Exposed to tests to check that nothing overflows.
pub(crate) fn layout(input: &LabelInput, lang: Lang) -> Vec<Line> {
    let t = texts(lang);
    let mut out = Vec::with_capacity(16);
    let inner = LABEL_WIDTH - 2.0 * MARGIN;
    let title = match input.design {
        Design::Statement => t.statement_title,
        Design::Declaration => t.declaration_title,
        Design::Eu | Design::Stars | Design::Plain => t.title,
    };
    slot(72.0, 14.0, 312.0, (13.0, 10.0, 1), false, "#ffffff").place(title, &mut out);
    slot(72.0, 34.0, 312.0, (20.0, 11.0, 2), true, "#ffffff").place(&input.scheme_name, &mut out);

    let product = format!("{}: {}", t.product, input.product_name);
    slot(MARGIN, 332.0, inner, (15.0, 8.0, 1), true, INK).place(&product, &mut out);
    let cert = format!("{}: {}", t.certificate, input.certificate_id);
    slot(MARGIN, 356.0, inner, (13.0, 8.0, 1), false, INK).place(&cert, &mut out);
    let caption = Slot {
        centred: true,
        ..slot(
            LABEL_WIDTH / 2.0,
            QR_TOP + QR_SIZE + 6.0,
            inner,
            (13.0, 9.0, 2),
            false,
            MUTED,
        )
    };
    caption.place(t.scan, &mut out);

    if let Some(reason) = &input.not_valid {
        // Nothing the label claims is drawn under the band: only "NOT VALID" and why.
        let band = |top, size| Slot {
            centred: true,
            ..slot(LABEL_WIDTH / 2.0, top, inner - 16.0, size, true, "#ffffff")
        };
        band(140.0, (44.0, 18.0, 1)).place(t.not_valid, &mut out);
        band(206.0, (24.0, 11.0, 2)).place(&format!("— {reason}"), &mut out);
        return out;
    }

    let level_w = if input.stars.is_some() { 220.0 } else { inner };
    slot(MARGIN, 106.0, level_w, (13.0, 10.0, 1), false, MUTED).place(t.level, &mut out);
    slot(MARGIN, 126.0, level_w, (22.0, 11.0, 1), true, INK).place(&input.level_name, &mut out);

    let (main, note, colour) = match input.issuer_kind {
        IssuerKind::ThirdParty => (
            fill(t.tested_by, &[&input.issuer_name]),
            t.tested_note,
            "#ffffff",
        ),
        IssuerKind::SelfDeclared => (t.self_declared.to_owned(), t.self_declared_note, SELF_INK),
    };
    // Worst case: 2 × 17 × 1.2 + 2 + 13 × 1.2 + 2 + 12 × 1.2 = 74.8, inside the 88-high band.
    let mut below = slot(84.0, 186.0, 288.0, (17.0, 10.0, 2), true, colour).place(&main, &mut out);
    if input.issuer_kind == IssuerKind::SelfDeclared {
        // The tested variant names the assessment body in its main line; here, name the maker.
        below = slot(84.0, below + 2.0, 288.0, (13.0, 9.0, 1), true, colour)
            .place(&input.issuer_name, &mut out);
    }
    slot(84.0, below + 2.0, 288.0, (12.0, 9.0, 1), false, colour).place(note, &mut out);

    let month = t
        .months
        .get(input.support_until.month0() as usize)
        .copied()
        .unwrap_or("");
    let date = format!("{month} {}", input.support_until.year());
    slot(MARGIN, 282.0, inner, (13.0, 10.0, 1), false, MUTED).place(t.updates_until, &mut out);
    slot(MARGIN, 298.0, inner, (20.0, 11.0, 1), true, INK).place(&date, &mut out);
    out
}

/// Escape text for XML and drop characters XML 1.0 cannot carry (controls, noncharacters).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
            c => out.push(c),
        }
    }
    out
}

/// The header colour of a design.
fn header_colour(d: Design) -> &'static str {
    match d {
        Design::Eu => BLUE,
        Design::Stars => "#a50021",
        Design::Statement => "#0b5345",
        Design::Declaration => "#1f2937",
        Design::Plain => "#334155",
    }
}

/// The mark in the header's left corner, drawn in white on the header colour.
fn mark(d: Design, colour: &str) -> String {
    match d {
        // A shield with a check mark.
        Design::Eu | Design::Plain => format!(
            r##"<path d="M38,14L60,22V46C60,62 50,72 38,78C26,72 16,62 16,46V22Z" fill="#ffffff"/><path d="M27,46L35,54L50,36" fill="none" stroke="{colour}" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>"##
        ),
        // A large star.
        Design::Stars => {
            let pts: Vec<String> = STAR
                .iter()
                .map(|(x, y)| format!("{:.2},{:.2}", 38.0 + x * 28.0, 48.0 + y * 28.0))
                .collect();
            format!(r##"<polygon points="{}" fill="#ffffff"/>"##, pts.join(" "))
        }
        // A document with lines: a statement.
        Design::Statement => format!(
            r##"<path d="M20,16H48L58,26V78H20Z" fill="#ffffff"/><path d="M27,36H51M27,46H51M27,56H51M27,66H42" stroke="{colour}" stroke-width="3"/>"##
        ),
        // A round seal with a check mark: a declaration published by the authority.
        Design::Declaration => format!(
            r##"<circle cx="38" cy="47" r="24" fill="#ffffff"/><circle cx="38" cy="47" r="18" fill="none" stroke="{colour}" stroke-width="2"/><path d="M29,47L36,54L48,40" fill="none" stroke="{colour}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>"##
        ),
    }
}

/// Render the label as a standalone SVG document (400 × 700 user units, printed
/// [`PRINT_WIDTH_MM`] wide: `width`/`height` are in millimetres).
///
/// Fails only when the QR URL is too long to encode ([`LabelError::Qr`]).
pub fn render_svg(input: &LabelInput, lang: Lang) -> Result<String, LabelError> {
    let t = texts(lang);
    let qr = qr_path(&input.qr_url)?;
    let mut s = String::with_capacity(12_000);
    let title = summary(input, lang);
    let head = header_colour(input.design);
    s.push_str(&format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{wmm}mm" height="{hmm}mm" viewBox="0 0 {w} {h}" role="img" aria-labelledby="title" lang="{lang}" data-scheme="{scheme}" data-level="{level}" data-valid="{valid}"><title id="title">{title}</title>"##,
        wmm = PRINT_WIDTH_MM,
        hmm = PRINT_WIDTH_MM * LABEL_HEIGHT / LABEL_WIDTH,
        w = LABEL_WIDTH,
        h = LABEL_HEIGHT,
        valid = input.not_valid.is_none(),
        lang = lang.code(),
        scheme = escape(&input.scheme_id),
        level = escape(&input.level_id),
        title = escape(&title),
    ));
    s.push_str(&format!(r##"<rect x="0" y="0" width="400" height="700" rx="14" fill="#ffffff"/><path d="M0,14a14,14 0 0 1 14,-14h372a14,14 0 0 1 14,14v82h-400z" fill="{head}"/>"##));
    s.push_str(&mark(input.design, head));
    s.push_str(r##"<path d="M16,326H384M16,380H384" stroke="#c8cdd8" stroke-width="1"/>"##);
    if input.not_valid.is_some() {
        // The band covers every claim of the label (level, who vouches, update period).
        s.push_str(&format!(
            r##"<rect x="16" y="104" width="368" height="212" rx="10" fill="{NOT_VALID_FILL}"/>"##
        ));
    } else {
        s.push_str(r##"<path d="M16,172H384M16,276H384" stroke="#c8cdd8" stroke-width="1"/>"##);
        if let Some(n) = input.stars {
            s.push_str(&stars(n, t.stars_of));
        }
        s.push_str(&issuer_band(input.issuer_kind));
    }
    s.push_str(&format!(
        r##"<g transform="translate({x:.2},{y:.2}) scale({k:.4})" shape-rendering="crispEdges"><path d="{d}" fill="#000000"/></g>"##,
        x = (LABEL_WIDTH - QR_SIZE) / 2.0,
        y = QR_TOP,
        k = QR_SIZE / qr.1 as f32,
        d = qr.0
    ));
    for l in layout(input, lang) {
        s.push_str(&format!(
            r##"<text x="{:.2}" y="{:.2}" font-family="{FONT}" font-size="{:.1}"{}{} fill="{}">{}</text>"##,
            l.x,
            l.baseline,
            l.size,
            if l.bold { r##" font-weight="bold""## } else { "" },
            if l.centred { r##" text-anchor="middle""## } else { "" },
            l.colour,
            escape(&l.text)
        ));
    }
    s.push_str(&format!(r##"<rect x="1" y="1" width="398" height="698" rx="13" fill="none" stroke="{head}" stroke-width="2"/></svg>"##));
    Ok(s)
}

fn summary(input: &LabelInput, lang: Lang) -> String {
    let t = texts(lang);
    if let Some(reason) = &input.not_valid {
        return format!(
            "{} — {reason}. {}: {}. {}: {}. {}: {}.",
            t.not_valid,
            t.title,
            input.scheme_name,
            t.product,
            input.product_name,
            t.certificate,
            input.certificate_id
        );
    }
    let who = match input.issuer_kind {
        IssuerKind::ThirdParty => format!(
            "{}. {}",
            fill(t.tested_by, &[&input.issuer_name]),
            t.tested_note
        ),
        IssuerKind::SelfDeclared => format!("{}. {}", t.self_declared, t.self_declared_note),
    };
    let stars = input.stars.map_or(String::new(), |n| {
        let n = n.min(MAX_STARS).to_string();
        format!(" ({})", fill(t.stars_of, &[&n, &MAX_STARS.to_string()]))
    });
    let month = t
        .months
        .get(input.support_until.month0() as usize)
        .copied()
        .unwrap_or("");
    format!(
        "{}: {}. {}: {}. {}: {}{stars}. {who}. {}: {month} {}. {}: {}.",
        t.title,
        input.scheme_name,
        t.product,
        input.product_name,
        t.level,
        input.level_name,
        t.updates_until,
        input.support_until.year(),
        t.certificate,
        input.certificate_id
    )
}

/// Unit five-pointed star (outer radius 1, inner 0.382), clockwise from the top, as literals so
/// the output does not depend on the platform's trigonometry.
const STAR: [(f32, f32); 10] = [
    (0.0, -1.0),
    (0.2245, -0.3090),
    (0.9511, -0.3090),
    (0.3633, 0.1180),
    (0.5878, 0.8090),
    (0.0, 0.3820),
    (-0.5878, 0.8090),
    (-0.3633, 0.1180),
    (-0.9511, -0.3090),
    (-0.2245, -0.3090),
];

fn stars(n: u8, stars_of: &str) -> String {
    let n = n.min(MAX_STARS);
    let label = fill(stars_of, &[&n.to_string(), &MAX_STARS.to_string()]);
    let mut s = format!(r##"<g role="img" aria-label="{}">"##, escape(&label));
    for i in 0..MAX_STARS {
        let (cx, cy, r) = (264.0 + f32::from(i) * 32.0 + 14.0, 140.0, 15.0);
        let pts: Vec<String> = STAR
            .iter()
            .map(|(x, y)| format!("{:.2},{:.2}", cx + x * r, cy + y * r))
            .collect();
        let fill = if i < n { "#f2a900" } else { "#ffffff" };
        s.push_str(&format!(r##"<polygon points="{}" fill="{fill}" stroke="#7a5500" stroke-width="1.5" stroke-linejoin="round"/>"##, pts.join(" ")));
    }
    s.push_str("</g>");
    s
}

fn issuer_band(kind: IssuerKind) -> String {
    match kind {
        // Solid dark green band, magnifier-with-check icon: independently tested.
        IssuerKind::ThirdParty => format!(
            r##"<rect x="16" y="180" width="368" height="88" rx="10" fill="{TESTED_FILL}"/><circle cx="46" cy="218" r="16" fill="#ffffff"/><path d="M57,230L70,244" stroke="#ffffff" stroke-width="6" stroke-linecap="round"/><path d="M38,218L44,224L55,211" fill="none" stroke="{TESTED_FILL}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>"##
        ),
        // Pale band with a dashed border, document-and-pen icon: the maker's own declaration.
        IssuerKind::SelfDeclared => format!(
            r##"<rect x="17.5" y="181.5" width="365" height="85" rx="10" fill="{SELF_FILL}" stroke="{SELF_EDGE}" stroke-width="3" stroke-dasharray="9 5"/><path d="M30,200H54L62,208V244H30Z" fill="#ffffff" stroke="{SELF_INK}" stroke-width="2.5" stroke-linejoin="round"/><path d="M36,214H54M36,222H54M36,230H46" stroke="{SELF_INK}" stroke-width="2"/><path d="M50,246L68,222L73,226L55,250L49,252Z" fill="{SELF_EDGE}"/>"##
        ),
    }
}

/// QR code as one SVG path in module units (quiet zone included), with its size in modules.
fn qr_path(url: &str) -> Result<(String, usize), LabelError> {
    let (modules, n) = crate::qr::encode(url.as_bytes())?;
    let mut d = String::with_capacity(n * n * 3);
    for (y, row) in modules.chunks(n).enumerate() {
        let mut x = 0;
        while x < n {
            if row[x] {
                let start = x;
                while x < n && row[x] {
                    x += 1;
                }
                let run = x - start;
                d.push('M');
                push_num(&mut d, start + 4);
                d.push(',');
                push_num(&mut d, y + 4);
                d.push('h');
                push_num(&mut d, run);
                d.push_str("v1h-");
                push_num(&mut d, run);
                d.push('z');
            } else {
                x += 1;
            }
        }
    }
    Ok((d, n + 8))
}

/// Append a small number in decimal (QR coordinates; faster than `write!` in this hot loop).
fn push_num(s: &mut String, mut v: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    s.extend(buf[i..].iter().map(|b| char::from(*b)));
}
