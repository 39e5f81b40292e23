//! What every figure the book draws with plotters shares (the bar charts in
//! [`crate::results::chart`], the timelines in [`crate::results::timeline`]): the placeholder
//! colour for text and axes that becomes `currentColor`, the text metrics, tick labels without
//! trailing zeros, and [`finish`], which makes plotters' SVG fit for a page.

use plotters::style::RGBColor;

/// Drawn for text and axes, then replaced by `currentColor` in [`finish`], so they take the
/// page's text colour in light and dark themes alike. No other element uses this exact colour.
pub const FOREGROUND: RGBColor = RGBColor(0x01, 0x02, 0x03);
const FOREGROUND_SVG: &str = "\"#010203\"";
/// The figures' width in SVG pixels; `finish` lets them scale down with the page.
pub const WIDTH: u32 = 680;
/// plotters' font size; it writes 1/1.24 of it into the SVG, so 15 is a 12 px text.
pub const LABEL_SIZE: u32 = 15;
/// Roughly the width of a character of a 12 px sans-serif text, for the labels' room.
pub const CHAR_WIDTH: u32 = 7;

/// plotters' errors borrow the backend; the message is all a build error needs.
pub fn plot_error(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing a figure: {err}")
}

/// A tick label from a measured value's text (`10.0 µs`, `2.50`): the trailing zeros dropped,
/// since a tick is exact (`10 µs`, `2.5`).
pub fn tick(text: &str) -> String {
    let (number, unit) = text.split_once(' ').unwrap_or((text, ""));
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number} {unit}").trim_end().to_owned()
}

/// Makes plotters' SVG fit for a page: theme colours, an accessible name (`role="img"`, an
/// `aria-label` and a `<title>`), scaling with the page, and no blank line (a blank line ends
/// an HTML block in Markdown).
pub fn finish(svg: &str, title: &str) -> String {
    let title = crate::markdown::escape(title);
    let svg = svg.replace(FOREGROUND_SVG, "\"currentColor\"");
    let (open, rest) = svg.split_once('>').unwrap_or((&svg, ""));
    let mut out = format!(
        "{open} role=\"img\" aria-label=\"{title}\" style=\"max-width:100%;height:auto\">\n\
         <title>{title}</title>"
    );
    for line in rest.lines().filter(|l| !l.trim().is_empty()) {
        out.push('\n');
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_drop_trailing_zeros_only() {
        assert_eq!(tick("10.0 µs"), "10 µs");
        assert_eq!(tick("2.50 ms"), "2.5 ms");
        assert_eq!(tick("100 ns"), "100 ns");
        assert_eq!(tick("20,000"), "20,000");
    }

    #[test]
    fn finish_names_the_figure_and_takes_the_page_colour() {
        let svg = "<svg a=\"1\">\n\n<text fill=\"#010203\">x</text>\n</svg>";
        let out = finish(svg, "A & B");
        assert!(
            out.starts_with("<svg a=\"1\" role=\"img\" aria-label=\"A &amp; B\""),
            "{out}"
        );
        assert!(out.contains("<title>A &amp; B</title>"), "{out}");
        assert!(
            out.contains("currentColor") && !out.contains("#010203"),
            "{out}"
        );
        assert!(!out.contains("\n\n"), "{out}");
    }
}
