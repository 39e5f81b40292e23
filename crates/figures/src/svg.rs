//! What every figure drawn with plotters shares (the book's bar charts, the timelines in
//! [`crate::timeline`]): the placeholder colour for text and axes that becomes `currentColor`,
//! the text metrics, tick labels without trailing zeros, [`finish`], which makes plotters' SVG
//! fit for a page, and [`document`], which stacks finished figures into one standalone file.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::{Color, DrawingBackend, IntoFont, TRANSPARENT};
use plotters::style::RGBColor;
use std::ops::Range;

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

/// The mesh every figure shares: no lines across the rows, faint lines at about six ticks of
/// the x axis, half-strong axes, and labels and axis names in the text colour at
/// [`LABEL_SIZE`]. The figure sets its formatters, its x axis's name and anything it draws
/// differently on what this returns, then `draw()`s it.
pub fn mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    let text = ("sans-serif", LABEL_SIZE).into_font().color(&FOREGROUND);
    mesh.disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(FOREGROUND.mix(0.15))
        .axis_style(FOREGROUND.mix(0.6))
        .x_labels(6)
        .label_style(text.clone())
        .axis_desc_style(text)
}

/// A y axis of rows, top to bottom: row i fills [i, i + 1], its label (the tick) at the
/// middle of every `every`-th row. The book's bar charts label every bar; a timeline with
/// thin lanes names only every few lanes, so names never overlap.
pub struct Rows {
    pub count: usize,
    pub every: usize,
}

impl Ranged for Rows {
    // Tick labels come from the chart's formatter; the default one only has to exist.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// plotters gives a y axis its pixel range bottom first, so that values grow upwards;
    /// rows grow downwards instead.
    fn map(&self, value: &f64, (bottom, top): (i32, i32)) -> i32 {
        let fraction = value / self.count.max(1) as f64;
        top + (fraction * f64::from(bottom - top)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.count)
            .step_by(self.every.max(1))
            .map(|i| i as f64 + 0.5)
            .collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.count as f64
    }
}

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

/// What lets a figure scale down with a page's column.
const PAGE_STYLE: &str = " style=\"max-width:100%;height:auto\"";

/// Makes plotters' SVG fit for a page: theme colours, an accessible name (`role="img"`, an
/// `aria-label` and a `<title>`), scaling with the page, and no blank line (a blank line ends
/// an HTML block in Markdown).
pub fn finish(svg: &str, title: &str) -> String {
    let title = escape(title);
    let svg = svg.replace(FOREGROUND_SVG, "\"currentColor\"");
    let (open, rest) = svg.split_once('>').unwrap_or((&svg, ""));
    let mut out =
        format!("{open} role=\"img\" aria-label=\"{title}\"{PAGE_STYLE}>\n<title>{title}</title>");
    for line in rest.lines().filter(|l| !l.trim().is_empty()) {
        out.push('\n');
        out.push_str(line);
    }
    out
}

/// Text and axes in a [`document`]: the page's `currentColor` has no page to take it from.
const DOCUMENT_FOREGROUND: &str = "\"#1a1a1a\"";
/// Room above each figure of a [`document`] for its title.
const DOCUMENT_TITLE_HEIGHT: u32 = 30;

/// One figure for [`document`]: its title and its SVG as [`finish`] made it, `height` pixels
/// high (its width is [`WIDTH`]).
#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub svg: String,
    pub height: u32,
}

/// A standalone SVG document, as a browser or an image viewer opens it from a file: an XML
/// declaration, the SVG namespace, a white background, and `figures` stacked top to bottom,
/// each under its title. Outside a page there is no theme, so the `currentColor` placeholders
/// become a real, dark colour. Each figure stays a nested `<svg>` with its own coordinates.
pub fn document(figures: &[Figure]) -> String {
    let height: u32 = figures
        .iter()
        .map(|f| DOCUMENT_TITLE_HEIGHT + f.height)
        .sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    );
    let mut y = 0;
    for figure in figures {
        out.push_str(&format!(
            "<text x=\"10\" y=\"{}\" font-family=\"sans-serif\" font-size=\"14\" \
             font-weight=\"bold\" fill={DOCUMENT_FOREGROUND}>{}</text>\n",
            y + DOCUMENT_TITLE_HEIGHT - 10,
            escape(&figure.title)
        ));
        y += DOCUMENT_TITLE_HEIGHT;
        let svg = figure.svg.replace("\"currentColor\"", DOCUMENT_FOREGROUND);
        // A page's rule to scale with the column means nothing inside another SVG, where
        // CSS sizing of a nested `<svg>` differs between browsers: its width and height stay.
        let svg = svg.replacen(PAGE_STYLE, "", 1);
        // Placed by `x` and `y` on the nested element.
        let svg = svg.replacen("<svg ", &format!("<svg x=\"0\" y=\"{y}\" "), 1);
        out.push_str(svg.trim_end());
        out.push('\n');
        y += figure.height;
    }
    out.push_str("</svg>\n");
    out
}

/// Text for an attribute or an element, in HTML and in XML alike: `<>&"'` and a newline
/// (`&#10;`, so an attribute keeps it). The book tool's `markdown::escape` is this one.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
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

    #[test]
    fn a_document_stacks_figures_under_their_titles_in_real_colours() {
        let figure = |title: &str| Figure {
            title: title.into(),
            svg: finish(
                "<svg width=\"680\" height=\"50\">\n<text fill=\"#010203\">x</text>\n</svg>",
                title,
            ),
            height: 50,
        };
        let out = document(&[figure("one"), figure("two & three")]);
        assert!(out.starts_with("<?xml version=\"1.0\""), "{out}");
        assert!(out.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(
            out.contains("height=\"160\""),
            "two titles and two figures: {out}"
        );
        assert!(out.contains("fill=\"#ffffff\""), "a white background");
        assert!(
            !out.contains("currentColor") && !out.contains("#010203"),
            "{out}"
        );
        assert!(out.contains(">two &amp; three</text>"), "{out}");
        assert!(out.contains("<svg x=\"0\" y=\"30\" width=\"680\""), "{out}");
        assert!(
            out.contains("<svg x=\"0\" y=\"110\" width=\"680\""),
            "{out}"
        );
        assert_eq!(out.matches("<svg").count(), out.matches("</svg>").count());
        assert!(!out.contains("max-width"), "{out}");
    }
}
