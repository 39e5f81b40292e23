//! Bar charts of results, drawn as inline SVG with plotters' SVG backend.
//!
//! One horizontal bar per result (labels read better beside a bar than under it), the
//! reference machine's bar beside the reader's own when there is one, and an error bar from
//! low to high on each. The value axis turns logarithmic when values span more than 100×, so
//! a thread's microseconds and a process's milliseconds both stay visible.
//!
//! Labels are shown whole: a long one wraps onto up to three lines, broken where a phrase
//! ends if that keeps the lines even (see [`labels`]). The rows that differ only at the end of
//! their descriptions (`… from a parent with 16 MiB touched`) are the ones that most need it.
//!
//! The SVG is made to live inside Markdown and mdBook's themes:
//! - it has no blank line (a blank line ends an HTML block in Markdown);
//! - text and axes are drawn in a placeholder color that is replaced by `currentColor`, so
//!   they take the page's text color in light and dark themes alike; the bars use two mid
//!   tones that read on both;
//! - it carries a `<title>` and `role="img"` with an `aria-label`, for screen readers;
//! - it scales down with the page (`max-width: 100%`).

use figures::svg::{CHAR_WIDTH, FOREGROUND, LABEL_SIZE, Rows, WIDTH, finish, plot_error, tick};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use schema::Unit;

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
    pub unit: Unit,
    pub bars: &'a [Bar],
}

/// Bar colors: a blue and an orange of middle lightness, distinct for color-blind readers and
/// legible on white and on mdBook's dark themes.
const REFERENCE_COLOR: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
const LOCAL_COLOR: RGBColor = RGBColor(0xf2, 0x8e, 0x2b);
/// Pixels from one line of a label to the next (12 px text).
const LINE_HEIGHT: u32 = 14;
/// A label's lines are at most this many characters long, if it fits in [`MAX_LINES`] lines
/// so; otherwise its lines grow as long as it takes.
const LINE_CHARS: usize = 40;
const MAX_LINES: usize = 3;
/// Labels longer than this lose their beginning, not their end, where rows differ (the table
/// beside the chart has them in full). No lab's description comes near it.
const MAX_LABEL_CHARS: usize = 120;

/// Draws the chart as one SVG element without blank lines.
pub fn svg(chart: &Chart<'_>) -> anyhow::Result<String> {
    let has_local = chart.bars.iter().any(|b| b.local.is_some());
    let labels = labels(chart.bars);
    let most_lines = labels.iter().map(Vec::len).max().unwrap_or(1) as u32;
    // Room for the label's lines with a line's height to spare, and for two bars per row.
    let row_height = (LINE_HEIGHT * (most_lines + 1)).max(if has_local { 44 } else { 30 });
    let legend_height = if has_local { 28 } else { 0 };
    let height = 20 + legend_height + 48 + row_height * chart.bars.len() as u32;
    let longest_line = labels.iter().flatten().map(|l| l.chars().count()).max();
    let label_width = longest_line.unwrap_or(0) as u32 * CHAR_WIDTH + 20;

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
    /// Each bar's label, in lines.
    labels: &'a [Vec<String>],
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
            (Unit::Nanoseconds, false) => "time".to_owned(),
            (Unit::Nanoseconds, true) => "time (log scale)".to_owned(),
            (_, false) => unit.as_str().to_owned(),
            (_, true) => format!("{unit} (log scale)"),
        };

        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(10 + self.legend_height)
            // Room for the last tick label, centred on the axis's end.
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(
                x_axis,
                Rows {
                    count: bars.len(),
                    every: 1,
                },
            )
            .map_err(plot_error)?;
        let x_format = |v: &f64| axis_value(*v, unit);
        figures::svg::mesh(&mut chart.configure_mesh())
            .x_label_formatter(&x_format)
            .x_desc(axis_name)
            // plotters draws a tick label on one line: the mesh draws the rows' ticks, with
            // invisible labels (plotters skips transparent text), and the labels are drawn
            // below, line by line.
            .y_label_style(text(LABEL_SIZE).color(&TRANSPARENT))
            .draw()
            .map_err(plot_error)?;
        // Right-aligned beside the axis, as plotters places a tick label, centred on the row.
        let right = chart.plotting_area().get_base_pixel().0 - 9;
        let line_style = text(LABEL_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
        for (row, lines) in self.labels.iter().enumerate() {
            let (_, middle) = chart.backend_coord(&(base, row as f64 + 0.5));
            let first = middle as f64 - (lines.len() - 1) as f64 * f64::from(LINE_HEIGHT) / 2.0;
            for (i, line) in lines.iter().enumerate() {
                let y = (first + i as f64 * f64::from(LINE_HEIGHT)).round() as i32;
                root.draw(&Text::new(line.as_str(), (right, y), line_style.clone()))
                    .map_err(plot_error)?;
            }
        }

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
            // Error bars from low to high, with short caps, across the middle of each bar; none
            // for a single value (or samples all alike), which has no spread to show.
            let whisker = FOREGROUND.stroke_width(1);
            let spread = spans.iter().filter(|(_, s)| s.low < s.high);
            chart
                .draw_series(spread.flat_map(|&(top, s)| {
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

/// A tick label: durations readable, other values as plain numbers, without the trailing
/// zeros a measured value keeps (`10 µs`, not `10.0 µs`: a tick is exact).
fn axis_value(value: f64, unit: Unit) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let text = match unit {
        Unit::Nanoseconds => schema::table::nanos(value),
        Unit::Bytes => schema::table::bytes(value),
        _ => crate::results::number(value),
    };
    tick(&text)
}

/// The bars' labels, made to fit beside the chart: without a lead-in every label starts with
/// (`create and wait: …`; the table has it), and wrapped into lines (see [`wrap`]).
fn labels(bars: &[Bar]) -> Vec<Vec<String>> {
    let one_line: Vec<String> = bars
        .iter()
        .map(|b| b.label.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let common = if one_line.len() > 1 {
        common_words(&one_line)
    } else {
        0
    };
    one_line.iter().map(|l| wrap(&l[common..])).collect()
}

/// Length in bytes of the lead-in all labels share, if it ends at a `: ` or `, ` (such as
/// `create and wait: ` or `wall time, `), so only a phrase of its own is dropped, never the
/// subject of a sentence; 0 if there is none or it would leave a label empty. Only the first
/// such phrase goes: rows that all start `fork, child _exit(0), ` keep it, it says what the
/// chart compares.
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
    .min()
    .unwrap_or(0)
}

/// A label (on one line, words single-spaced) as the lines it is drawn in: the fewest lines
/// of at most [`LINE_CHARS`], up to [`MAX_LINES`], or else [`MAX_LINES`] lines as long as it
/// takes. Among the ways to break it, the one whose longest line is shortest wins, but a
/// break between clauses (after `,` `:` `;`, before `(`) beats one before a phrase (a word
/// such as `in`, `with`, `from`), which beats any other, unless that makes a line much longer:
/// `fork, child _exit(0), waitpid,` / `from a parent with 16 MiB touched`, `sum of squares of
/// 0..1000000000` / `(threads)`, `processes of generation 3` / `in the unguarded demo`. A
/// label too long even for that keeps its end, where the rows of a chart differ, behind a `…`.
fn wrap(label: &str) -> Vec<String> {
    let chars = label.chars().count();
    let label: String = if chars > MAX_LABEL_CHARS {
        let tail: String = label.chars().skip(chars - (MAX_LABEL_CHARS - 1)).collect();
        // Start at a word, unless the tail is one.
        let tail = tail.split_once(' ').map_or(tail.as_str(), |(_, rest)| rest);
        format!("…{tail}")
    } else {
        label.to_owned()
    };
    let words: Vec<&str> = label.split(' ').collect();
    let fits = |width: usize| (1..=MAX_LINES).find_map(|lines| best_breaks(&words, lines, width));
    // Terminates: with the whole label as the width, one line fits.
    (LINE_CHARS..)
        .find_map(fits)
        .expect("one line of the whole label fits")
}

/// The best way to set `words` in exactly `lines` lines of at most `width` characters, if
/// there is one (see [`wrap`]).
fn best_breaks(words: &[&str], lines: usize, width: usize) -> Option<Vec<String>> {
    /// What a break costs, in characters of the longest line: nothing between clauses, this
    /// much before a phrase, and `MID_PHRASE` anywhere else.
    const BEFORE_PHRASE: usize = 8;
    const MID_PHRASE: usize = 20;
    /// Words that start a phrase.
    const PHRASE_STARTS: [&str; 16] = [
        "in", "with", "from", "of", "for", "on", "to", "by", "at", "and", "or", "between", "while",
        "before", "after", "per",
    ];
    if lines == 0 || lines > words.len() {
        return None;
    }
    // Every choice of `lines - 1` breaks among the gaps between words; labels are short.
    // (cost, longest line, breaks): of two equal costs, the more even lines.
    let mut best: Option<(usize, usize, Vec<usize>)> = None;
    let mut breaks: Vec<usize> = (1..lines).collect();
    loop {
        let starts: Vec<usize> = std::iter::once(0).chain(breaks.iter().copied()).collect();
        let ends: Vec<usize> = breaks.iter().copied().chain([words.len()]).collect();
        let lengths: Vec<usize> = starts
            .iter()
            .zip(&ends)
            .map(|(&a, &b)| {
                words[a..b].iter().map(|w| w.chars().count()).sum::<usize>() + b - a - 1
            })
            .collect();
        let longest = lengths.iter().copied().max().unwrap_or(0);
        if longest <= width {
            let break_cost = |b: usize| {
                if words[b - 1].ends_with([',', ':', ';']) || words[b].starts_with('(') {
                    0
                } else if PHRASE_STARTS.contains(&words[b]) {
                    BEFORE_PHRASE
                } else {
                    MID_PHRASE
                }
            };
            let cost = longest + breaks.iter().map(|&b| break_cost(b)).sum::<usize>();
            if best
                .as_ref()
                .is_none_or(|(c, l, _)| (cost, longest) < (*c, *l))
            {
                best = Some((cost, longest, breaks.clone()));
            }
        }
        // The next combination of breaks, in lexicographic order.
        let gaps = words.len();
        let Some(i) = (0..breaks.len())
            .rev()
            .find(|&i| breaks[i] < gaps - (breaks.len() - i))
        else {
            break;
        };
        breaks[i] += 1;
        for j in i + 1..breaks.len() {
            breaks[j] = breaks[j - 1] + 1;
        }
    }
    let (_, _, breaks) = best?;
    let starts = std::iter::once(0).chain(breaks.iter().copied());
    let ends = breaks.iter().copied().chain([words.len()]);
    Some(
        starts
            .zip(ends)
            .map(|(a, b)| words[a..b].join(" "))
            .collect(),
    )
}

#[cfg(test)]
mod tests;
