//! QR codes as SVG, drawn here: the `qrcode` crate gives the modules, this draws one path of
//! horizontal runs (small, crisp at any size, no image decoding).

use qrcode::{Color, QrCode};

/// Modules of light margin around the code, as the standard asks.
const QUIET_ZONE: usize = 4;

/// The SVG of a QR code for `text`, or `None` when it does not fit in one.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for y in 0..width {
        let row = &colors[y * width..(y + 1) * width];
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    let label = label.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="{label}"><rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pay_link_becomes_a_square_svg_with_finder_patterns() {
        let svg = svg("http://127.0.0.1:8080/pay/bob", "Pay @bob").unwrap_or_default();
        assert!(svg.starts_with("<svg"), "{svg}");
        // Version 3 (29 modules) plus the quiet zone on both sides.
        assert!(svg.contains(r#"viewBox="0 0 37 37""#), "{svg}");
        // The top-left finder pattern: a run of 7 dark modules at the margin.
        assert!(svg.contains("M4 4h7v1h-7z"), "{svg}");
        assert!(svg.contains(r#"aria-label="Pay @bob""#));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = svg("x", r#"<b>"&"#).unwrap_or_default();
        assert!(svg.contains(r#"aria-label="&lt;b>&quot;&amp;""#), "{svg}");
    }
}
