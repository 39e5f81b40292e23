//! Bar charts of results, drawn as inline SVG with plotters' SVG backend.
//!
//! One horizontal bar per result (labels read better beside a bar than under it), the
//! reference machine's bar beside the reader's own when there is one, and an error bar from
//! low to high on each. The value axis turns logarithmic when values span more than 100×, so
//! a thread's microseconds and a process's milliseconds both stay visible.
//!
//! The SVG is made to live inside Markdown and mdBook's themes:
//! - it has no blank line (a blank line ends an HTML block in Markdown);
//! - text and axes are drawn in a placeholder color that is replaced by `currentColor`, so
//!   they take the page's text color in light and dark themes alike; the bars use two mid
//!   tones that read on both;
//! - it carries a `<title>` and `role="img"` with an `aria-label`, for screen readers;
//! - it scales down with the page (`max-width: 100%`).

use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// A median with its spread, in the chart's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

/// One result: its label and its value on each machine that measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub reference: Option<Span>,
    pub local: Option<Span>,
}

/// Bars of one unit, to be drawn as one chart.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// What the chart shows, in words: the SVG's `<title>` and accessible name.
    pub title: &'a str,
    /// The values' unit (`ns` is drawn as readable durations).
    pub unit: &'a str,
    pub bars: &'a [Bar],
}

const WIDTH: u32 = 680;
/// Bar colors: a blue and an orange of middle lightness, distinct for color-blind readers and
/// legible on white and on mdBook's dark themes.
const REFERENCE_COLOR: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
const LOCAL_COLOR: RGBColor = RGBColor(0xf2, 0x8e, 0x2b);
/// Drawn for text and axes, then replaced by `currentColor` (see the module docs). No other
/// element uses this exact color.
const FOREGROUND: RGBColor = RGBColor(0x01, 0x02, 0x03);
const FOREGROUND_SVG: &str = "\"#010203\"";
/// plotters' font size; it writes 1/1.24 of it into the SVG, so 15 is a 12 px text.
const LABEL_SIZE: u32 = 15;
/// Labels longer than this are cut (the table beside the chart has them in full).
const MAX_LABEL_CHARS: usize = 40;

/// Draws the chart as one SVG element without blank lines.
pub fn svg(chart: &Chart<'_>) -> anyhow::Result<String> {
    let has_local = chart.bars.iter().any(|b| b.local.is_some());
    let row_height = if has_local { 44 } else { 30 };
    let legend_height = if has_local { 28 } else { 0 };
    let height = 20 + legend_height + 48 + row_height * chart.bars.len() as u32;
    let labels = labels(chart.bars);
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32 * 7 + 20;

    let spans = chart
        .bars
        .iter()
        .flat_map(|b| [b.reference, b.local])
        .flatten();
    let (min, max) = spans.fold((f64::INFINITY, 0.0f64), |(min, max), s| {
        (min.min(s.low.min(s.median)), max.max(s.high.max(s.median)))
    });
    let layout = Layout {
        chart,
        labels: &labels,
        size: (WIDTH, height),
        label_width,
        legend_height,
    };
    let mut svg = String::new();
    if min > 0.0 && max / min > 100.0 {
        // Whole decades around the data, so every bar starts at the axis and ends inside it.
        let from = 10f64.powf(min.log10().floor());
        let to = 10f64.powf(max.log10().ceil());
        layout.draw(&mut svg, (from..to).log_scale(), from, true)?;
    } else {
        let to = if max > 0.0 { max * 1.1 } else { 1.0 };
        layout.draw(&mut svg, 0.0..to, 0.0, false)?;
    }
    Ok(finish(&svg, chart.title))
}

struct Layout<'a> {
    chart: &'a Chart<'a>,
    labels: &'a [String],
    size: (u32, u32),
    label_width: u32,
    legend_height: u32,
}

impl Layout<'_> {
    /// Draws with any value axis (linear or logarithmic); bars grow from `base`.
    fn draw<X>(&self, out: &mut String, x_axis: X, base: f64, log: bool) -> anyhow::Result<()>
    where
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let bars = self.chart.bars;
        let has_local = bars.iter().any(|b| b.local.is_some());
        let root = SVGBackend::with_string(out, self.size).into_drawing_area();
        let text = |size: u32| ("sans-serif", size).into_font().color(&FOREGROUND);
        let unit = self.chart.unit;
        let axis_name = match (unit, log) {
            ("ns", false) => "time".to_owned(),
            ("ns", true) => "time (log scale)".to_owned(),
            (unit, false) => unit.to_owned(),
            (unit, true) => format!("{unit} (log scale)"),
        };

        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(10 + self.legend_height)
            // Room for the last tick label, centred on the axis's end.
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(x_axis, Rows(bars.len()))
            .map_err(plot_error)?;
        let x_format = |v: &f64| axis_value(*v, unit);
        let y_format = |v: &f64| {
            self.labels
                .get(v.floor() as usize)
                .cloned()
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(FOREGROUND.mix(0.15))
            .axis_style(FOREGROUND.mix(0.6))
            .x_labels(6)
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .x_desc(axis_name)
            .label_style(text(LABEL_SIZE))
            .axis_desc_style(text(LABEL_SIZE))
            .draw()
            .map_err(plot_error)?;

        let slots: [(Option<f64>, bool); 2] = if has_local {
            [(Some(0.12), true), (Some(0.5), false)]
        } else {
            [(Some(0.2), true), (None, false)]
        };
        for (offset, is_reference) in slots {
            let Some(offset) = offset else { continue };
            let thickness = if has_local { 0.38 } else { 0.6 };
            let color = if is_reference {
                REFERENCE_COLOR
            } else {
                LOCAL_COLOR
            };
            let spans: Vec<(f64, Span)> = bars
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    let span = if is_reference { b.reference } else { b.local };
                    span.map(|s| (i as f64 + offset, s))
                })
                .collect();
            chart
                .draw_series(spans.iter().map(|&(top, s)| {
                    Rectangle::new([(base, top), (s.median, top + thickness)], color.filled())
                }))
                .map_err(plot_error)?;
            // Error bars from low to high, with short caps, across the middle of each bar.
            let whisker = FOREGROUND.stroke_width(1);
            chart
                .draw_series(spans.iter().flat_map(|&(top, s)| {
                    let mid = top + thickness / 2.0;
                    let cap = thickness / 4.0;
                    [
                        PathElement::new(vec![(s.low, mid), (s.high, mid)], whisker),
                        PathElement::new(vec![(s.low, mid - cap), (s.low, mid + cap)], whisker),
                        PathElement::new(vec![(s.high, mid - cap), (s.high, mid + cap)], whisker),
                    ]
                }))
                .map_err(plot_error)?;
        }
        if has_local {
            // The legend sits above the bars, in pixels of the whole picture, where it can
            // never cover a bar.
            let (x, y) = (self.label_width as i32 + 10, 12);
            let entries = [
                (REFERENCE_COLOR, "reference machine", x),
                (LOCAL_COLOR, "your machine", x + 170),
            ];
            for (color, name, x) in entries {
                root.draw(&Rectangle::new([(x, y), (x + 14, y + 12)], color.filled()))
                    .map_err(plot_error)?;
                let style = text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
                root.draw(&Text::new(name, (x + 20, y + 6), style))
                    .map_err(plot_error)?;
            }
        }
        root.present().map_err(plot_error)?;
        Ok(())
    }
}

/// The bars' axis: rows top to bottom in the order of the table, row i filling [i, i + 1]
/// with its label (the only tick) at the middle.
struct Rows(usize);

impl Ranged for Rows {
    // Tick labels come from the chart's formatter; the default one only has to exist.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// plotters gives a y axis its pixel range bottom first, so that values grow upwards;
    /// rows grow downwards instead.
    fn map(&self, value: &f64, (bottom, top): (i32, i32)) -> i32 {
        let fraction = value / self.0.max(1) as f64;
        top + (fraction * f64::from(bottom - top)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.0 as f64
    }
}

/// plotters' errors borrow the backend; the message is all a build error needs.
fn plot_error(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {err}")
}

/// A tick label: durations readable, other values as plain numbers, without the trailing
/// zeros a measured value keeps (`10 µs`, not `10.0 µs`: a tick is exact).
fn axis_value(value: f64, unit: &str) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let text = match unit {
        "ns" => kit::table::nanos(value),
        "bytes" | "B" => kit::table::bytes(value),
        _ => crate::results::number(value),
    };
    let (number, unit) = text.split_once(' ').unwrap_or((&text, ""));
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number} {unit}").trim_end().to_owned()
}

/// The bars' labels, made to fit beside the chart: on one line, without a lead-in every label
/// starts with (`create and wait: …`; the table has it), and long ones cut in the middle,
/// since labels of related results often differ only at the end (`… 16 MiB touched`).
fn labels(bars: &[Bar]) -> Vec<String> {
    let one_line: Vec<String> = bars
        .iter()
        .map(|b| b.label.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let common = if one_line.len() > 1 {
        common_words(&one_line)
    } else {
        0
    };
    one_line.iter().map(|l| shorten(&l[common..])).collect()
}

/// Length in bytes of the lead-in all labels share, if it ends at a `: ` or `, ` (such as
/// `create and wait: ` or `wall time, `), so only a phrase of its own is dropped, never the
/// subject of a sentence; 0 if there is none or it would leave a label empty.
fn common_words(labels: &[String]) -> usize {
    let first = &labels[0];
    let cuts = first
        .match_indices(": ")
        .chain(first.match_indices(", "))
        .map(|(i, _)| i + 2);
    cuts.filter(|&end| {
        let prefix = &first[..end];
        labels
            .iter()
            .all(|l| l.starts_with(prefix) && l.len() > prefix.len())
    })
    .max()
    .unwrap_or(0)
}

fn shorten(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX_LABEL_CHARS {
        return label.to_owned();
    }
    let head = (MAX_LABEL_CHARS - 1) / 2;
    let tail = MAX_LABEL_CHARS - 1 - head;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{}…{}", start.trim_end(), end.trim_start())
}

/// Makes plotters' SVG fit for a page: theme colors, an accessible name, scaling, and no
/// blank lines.
fn finish(svg: &str, title: &str) -> String {
    let title = html_escape(title);
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

/// Escapes text for HTML content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(median: f64) -> Option<Span> {
        Some(Span {
            median,
            low: median * 0.9,
            high: median * 1.2,
        })
    }

    fn bars(local: bool) -> Vec<Bar> {
        vec![
            Bar {
                label: "spawn & join a thread".into(),
                reference: span(20_000.0),
                local: if local { span(25_000.0) } else { None },
            },
            Bar {
                label: "fork, then wait for the child".into(),
                reference: span(400_000.0),
                local: if local { span(300_000.0) } else { None },
            },
        ]
    }

    #[test]
    fn draws_an_accessible_svg_without_blank_lines() {
        let bars = bars(false);
        let svg = svg(&Chart {
            title: "Spawn cost <per> operation",
            unit: "ns",
            bars: &bars,
        })
        .unwrap();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>Spawn cost &lt;per&gt; operation</title>"));
        assert!(
            !svg.contains("\n\n"),
            "a blank line would end the HTML block"
        );
        assert!(svg.contains("currentColor") && !svg.contains("#010203"));
        assert!(
            svg.contains("spawn &amp; join a thread"),
            "labels are drawn"
        );
        assert!(svg.contains("µs"), "the axis shows durations");
        assert!(!svg.contains("your machine"), "no legend for one machine");
        // Two bars of the reference color.
        assert_eq!(svg.matches("fill=\"#4E79A7\"").count(), 2);
    }

    #[test]
    fn draws_both_machines_side_by_side_on_a_log_axis() {
        let mut bars = bars(true);
        bars[1].reference = span(40_000_000.0);
        let svg = svg(&Chart {
            title: "t",
            unit: "ns",
            bars: &bars,
        })
        .unwrap();
        assert!(svg.contains("log scale"));
        assert!(svg.contains("your machine") && svg.contains("reference machine"));
        assert_eq!(
            svg.matches("fill=\"#F28E2B\"").count(),
            3,
            "2 bars + legend"
        );
    }

    #[test]
    fn tick_labels_drop_trailing_zeros() {
        assert_eq!(axis_value(10_000.0, "ns"), "10 µs");
        assert_eq!(axis_value(2_500_000.0, "ns"), "2.5 ms");
        assert_eq!(axis_value(20_000.0, "updates"), "20,000");
        assert_eq!(axis_value(0.0, "ns"), "0");
    }

    #[test]
    fn shortens_long_labels() {
        let bar = |label: &str| Bar {
            label: label.into(),
            reference: None,
            local: None,
        };
        let long = format!("fork, {} 16 MiB touched", "x".repeat(60));
        let shown = labels(&[
            bar("create and wait:  thread::spawn\n+ join"),
            bar(&format!("create and wait: {long}")),
        ]);
        assert_eq!(shown[0], "thread::spawn + join", "common words dropped");
        assert_eq!(shown[1].chars().count(), MAX_LABEL_CHARS);
        assert!(shown[1].starts_with("fork, x") && shown[1].ends_with("x 16 MiB touched"));
        assert!(shown[1].contains('…'));
        assert_eq!(
            labels(&[bar("same words"), bar("same words")]),
            ["same words"; 2]
        );
        assert_eq!(labels(&[bar("only one label")]), ["only one label"]);
    }
}
