//! Timelines of a run, drawn as inline SVG with plotters' SVG backend, and told in words.
//!
//! [`svg`] draws a [`Timeline`] the kit's `spans` recorder made: one lane per worker (thread or
//! process), top to bottom in the timeline's order, each span a rectangle coloured by the CPU it
//! ran on, under a time axis that counts from the first span's begin, with a legend of the
//! CPUs. A span that began on one CPU and ended on another is drawn half in each CPU's colour:
//! the recorder knows only those two moments, not when the move happened. A span wider than a
//! few pixels ends one pixel early, so that spans that follow one another without a pause (one
//! chunk, then the next) stay told apart: that one-pixel gap is the drawing's, not a pause.
//!
//! [`summary`] says the same in sentences (who ran where, for how long, with how many context
//! switches, and how much each pair of workers overlapped, or with more than a few workers how
//! many were busy at once on average), for screen readers and the print version.
//!
//! The SVG follows the book's bar charts' rules for living in a Markdown page under mdBook's
//! themes: no blank line; text and axes in a placeholder colour replaced by `currentColor`;
//! the spans in mid tones that read on light and dark backgrounds (the first two are the
//! charts' blue and orange); `role="img"` with an `aria-label` and a `<title>`; and
//! `max-width: 100%`. [`document`] stacks several in one standalone file instead, for a lab's
//! `--timeline FILE`.
//!
//! When the lab measured what recording a span costs (`Timeline::span_cost_ns`), the summary
//! weighs it against the median span; when it counted the clock-and-CPU readings its workers
//! made inside their work to find their pauses (`Timeline::checkpoints`), it gives their share
//! of the busy time. A lab that sets either times its own figures in runs without spans (the
//! `--json` run records its timelines after the timed rounds), and the summary says so.

use crate::svg::{
    CHAR_WIDTH, FOREGROUND, Figure, LABEL_SIZE, Rows, WIDTH, finish, plot_error, tick,
};
use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use schema::table::nanos;
use schema::timeline::{Lane, LaneKind, Span, Timeline, UNKNOWN_CPU};

/// CPU colours, in order: Tableau's ten, mid tones distinct for most colour-blind readers and
/// legible on white and on mdBook's dark themes. A machine with more CPUs reuses them; the
/// legend then names every CPU a colour stands for.
const CPU_COLORS: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
/// A lane's height when there are few; many lanes share [`LANES_HEIGHT`] instead.
const LANE_HEIGHT: u32 = 24;
const LANES_HEIGHT: u32 = 384;
/// The thinnest lane drawn: hundreds of threads still fit, a pixel or so apart.
const MIN_LANE_HEIGHT: u32 = 3;
/// Lanes thinner than this get a name only every few lanes, so names never overlap.
const NAMED_LANE_HEIGHT: u32 = 14;
/// Legend entries per line.
const LEGEND_PER_LINE: usize = 6;
const LEGEND_LINE: u32 = 20;
/// Above this many lanes the summary gives the average overlap, not every pair's.
const MAX_PAIRS_LANES: usize = 8;

/// The colour CPU `cpu` is drawn in.
fn color_of(cpu: u32) -> RGBColor {
    CPU_COLORS[cpu as usize % CPU_COLORS.len()]
}

/// A CPU's number as the legend and the summary name it: `?` for one the recorder could not
/// read.
fn cpu_name(cpu: u32) -> String {
    if cpu == UNKNOWN_CPU {
        "?".to_owned()
    } else {
        cpu.to_string()
    }
}

/// The legend: one entry per colour in use, naming the CPUs it stands for (`CPU 1`, or `CPU 0,
/// 10` when a machine has more CPUs than colours; `CPU ?` for one the recorder could not read).
pub fn legend(timeline: &Timeline) -> Vec<(RGBColor, String)> {
    let mut entries: Vec<(usize, Vec<String>)> = Vec::new();
    for cpu in timeline.cpus() {
        let slot = cpu as usize % CPU_COLORS.len();
        let name = cpu_name(cpu);
        match entries.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, names)) => names.push(name),
            None => entries.push((slot, vec![name])),
        }
    }
    entries
        .into_iter()
        .map(|(slot, names)| (CPU_COLORS[slot], format!("CPU {}", names.join(", "))))
        .collect()
}

/// The rectangles a span is drawn as, in nanoseconds from `start`: one in its CPU's colour, or
/// two halves when it ended on another CPU than it began on.
fn pieces(span: &Span, start: u64) -> Vec<(f64, f64, RGBColor)> {
    let begin = span.begin_ns.saturating_sub(start) as f64;
    let end = span.end_ns.saturating_sub(start) as f64;
    if span.cpu_begin == span.cpu_end {
        vec![(begin, end, color_of(span.cpu_begin))]
    } else {
        let middle = (begin + end) / 2.0;
        vec![
            (begin, middle, color_of(span.cpu_begin)),
            (middle, end, color_of(span.cpu_end)),
        ]
    }
}

/// The heights a timeline is drawn with: each lane's, the legend's and the whole figure's.
struct Geometry {
    lane_height: u32,
    legend_height: u32,
    height: u32,
}

fn geometry(timeline: &Timeline) -> Geometry {
    let count = timeline.lanes.len() as u32;
    let lane_height = if count * LANE_HEIGHT <= LANES_HEIGHT {
        LANE_HEIGHT
    } else {
        (LANES_HEIGHT / count).max(MIN_LANE_HEIGHT)
    };
    let legend_lines = legend(timeline).len().div_ceil(LEGEND_PER_LINE).max(1) as u32;
    let legend_height = LEGEND_LINE * legend_lines;
    Geometry {
        lane_height,
        legend_height,
        height: 10 + legend_height + 10 + lane_height * count + 50,
    }
}

/// Draws `timeline` as one SVG element without blank lines; `title` is its `<title>` and
/// accessible name.
pub fn svg(title: &str, timeline: &Timeline) -> anyhow::Result<String> {
    let lanes = &timeline.lanes;
    anyhow::ensure!(!lanes.is_empty(), "timeline {title:?} has no lanes");
    let Geometry {
        lane_height,
        legend_height,
        height,
    } = geometry(timeline);
    let name_every = NAMED_LANE_HEIGHT.div_ceil(lane_height) as usize;
    let legend = legend(timeline);
    let longest_name = lanes.iter().map(|l| l.name.chars().count()).max();
    let label_width = longest_name.unwrap_or(0) as u32 * CHAR_WIDTH + 20;
    let (start, end) = timeline.extent_ns().unwrap_or((0, 1));
    let length = (end - start).max(1) as f64;

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        let text = |size: u32| ("sans-serif", size).into_font().color(&FOREGROUND);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(10 + legend_height)
            // Room for the last tick label, centred on the axis's end.
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(label_width)
            .build_cartesian_2d(
                0.0..length,
                Rows {
                    count: lanes.len(),
                    every: name_every,
                },
            )
            .map_err(plot_error)?;
        let x_format = |v: &f64| axis_time(*v);
        let y_format = |v: &f64| {
            let lane = *v as usize;
            lanes.get(lane).map_or(String::new(), |l| l.name.clone())
        };
        crate::svg::mesh(&mut chart.configure_mesh())
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .x_desc("time since the first span began")
            .draw()
            .map_err(plot_error)?;
        // A thin gap between lanes, so neighbours stay apart when lanes are thin.
        let gap = if lane_height >= 8 { 0.15 } else { 0.0 };
        // Each lane's spans after a marker, and a marker after the last lane: [`group_lanes`]
        // turns them into one `<g class="lane">` per lane, which plotters cannot write.
        let marker = |color: RGBColor| Rectangle::new([(0.0, 0.0), (0.0, 0.0)], color.filled());
        // One pixel of time (the plot is about the figure's width less the names and the
        // margins): a span wider than a few pixels ends one pixel early, so that spans that
        // follow one another without a pause (one request after another) are still told apart.
        let plot_width = f64::from(WIDTH.saturating_sub(label_width + 50).max(100));
        let pixel = length / plot_width;
        for (row, lane) in lanes.iter().enumerate() {
            let top = row as f64 + gap;
            let rects = lane
                .spans
                .iter()
                .flat_map(move |span| {
                    let mut pieces = pieces(span, start);
                    if let Some(last) = pieces.last_mut()
                        && span.len_ns() as f64 > 4.0 * pixel
                    {
                        last.1 -= pixel;
                    }
                    pieces
                })
                .map(move |(from, to, color)| {
                    Rectangle::new([(from, top), (to, top + 1.0 - 2.0 * gap)], color.filled())
                });
            chart
                .draw_series(std::iter::once(marker(LANE_BEGINS)).chain(rects))
                .map_err(plot_error)?;
        }
        chart
            .draw_series(std::iter::once(marker(LANES_END)))
            .map_err(plot_error)?;
        // The legend sits above the lanes, where it can never cover a span.
        for (i, (color, name)) in legend.iter().enumerate() {
            let x = label_width as i32 + 10 + (i % LEGEND_PER_LINE) as i32 * 95;
            let y = 10 + (i / LEGEND_PER_LINE) as i32 * LEGEND_LINE as i32;
            root.draw(&Rectangle::new([(x, y), (x + 14, y + 12)], color.filled()))
                .map_err(plot_error)?;
            let style = text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(name.as_str(), (x + 20, y + 6), style))
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(finish(&group_lanes(&out, lanes)?, title))
}

/// The colours of the markers [`svg`] draws before each lane's spans and after the last lane;
/// no span or text uses them (the CPU colours are mid tones, the text colour is
/// [`FOREGROUND`]).
const LANE_BEGINS: RGBColor = RGBColor(0x01, 0x02, 0x04);
const LANES_END: RGBColor = RGBColor(0x01, 0x02, 0x05);

/// Replaces the markers in plotters' SVG with a group per lane, `<g class="lane"
/// data-lane="NAME">` around its spans' rectangles, so that a test or a script can find each
/// worker's spans without knowing the layout. Fails unless there is a marker per lane.
fn group_lanes(svg: &str, lanes: &[Lane]) -> anyhow::Result<String> {
    let fill = |RGBColor(r, g, b): RGBColor| format!("fill=\"#{r:02X}{g:02X}{b:02X}\"");
    let (begins, end) = (fill(LANE_BEGINS), fill(LANES_END));
    let mut out = String::with_capacity(svg.len());
    let mut names = lanes.iter().map(|l| crate::svg::escape(&l.name));
    let mut opened = 0;
    for line in svg.lines() {
        if line.contains(&begins) {
            let name = names.next().context("more lane markers than lanes")?;
            if opened > 0 {
                out.push_str("</g>\n");
            }
            out.push_str(&format!("<g class=\"lane\" data-lane=\"{name}\">\n"));
            opened += 1;
        } else if line.contains(&end) {
            anyhow::ensure!(opened == lanes.len(), "a lane marker is missing");
            out.push_str("</g>\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    anyhow::ensure!(
        opened == lanes.len(),
        "{opened} lane markers for {} lanes",
        lanes.len()
    );
    Ok(out)
}

/// `timelines` (each with its title, as a report's `timelines` hold them) as one standalone SVG
/// document, stacked top to bottom with their titles above them ([`crate::svg::document`]):
/// what a lab's `--timeline FILE` writes.
pub fn document(timelines: &[(String, Timeline)]) -> anyhow::Result<String> {
    let figures = timelines
        .iter()
        .map(|(title, timeline)| {
            Ok(Figure {
                title: title.clone(),
                svg: svg(title, timeline)?,
                height: geometry(timeline).height,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(crate::svg::document(&figures))
}

/// A tick label: a readable duration without the trailing zeros a measured value keeps.
fn axis_time(ns: f64) -> String {
    if ns == 0.0 {
        return "0".into();
    }
    tick(&nanos(ns))
}

/// The timeline in sentences: for each worker, its spans, how long it was busy, on which CPUs
/// (the time on each, a span that moved counted half to each CPU), and its context switches;
/// then how long each pair of workers ran at the same time, or with many workers how many were
/// busy at once on average; last, when the lab measured them, what recording a span cost beside
/// the median span and what the checkpoints' readings cost as a share of the busy time
/// (`cost_sentence`). One sentence per line.
pub fn summary(timeline: &Timeline) -> String {
    let lanes = &timeline.lanes;
    let Some((start, end)) = timeline.extent_ns() else {
        return format!("{}, no spans recorded.", workers(lanes.len()));
    };
    let wall = (end - start) as f64;
    let mut lines = vec![format!("{} over {}.", workers(lanes.len()), nanos(wall))];
    for lane in lanes {
        lines.push(lane_sentence(lane));
    }
    if lanes.len() > 1 && lanes.len() <= MAX_PAIRS_LANES {
        for a in 0..lanes.len() {
            for b in a + 1..lanes.len() {
                let both = timeline.overlap_ns(a, b);
                lines.push(if both == 0 {
                    format!(
                        "{} and {} never ran at the same time.",
                        lanes[a].name, lanes[b].name
                    )
                } else {
                    format!(
                        "{} and {} ran at the same time for {}.",
                        lanes[a].name,
                        lanes[b].name,
                        nanos(both as f64)
                    )
                });
            }
        }
    } else if lanes.len() > MAX_PAIRS_LANES {
        let busy: u64 = lanes.iter().map(Lane::busy_ns).sum();
        lines.push(format!(
            "On average {:.1} workers were busy at once.",
            busy as f64 / wall.max(1.0)
        ));
    }
    if let Some(cost) = cost_sentence(timeline) {
        lines.push(cost);
    }
    lines.join("\n")
}

/// What recording cost, when the lab measured it, so a reader sees how little (or how much) of
/// each bar is the recorder's: [`span_cost_sentence`] and [`checkpoint_sentence`], then that the
/// lab's timed figures do not include it. `None` when the lab measured neither.
fn cost_sentence(timeline: &Timeline) -> Option<String> {
    let spans = span_cost_sentence(timeline);
    let checkpoints = checkpoint_sentence(timeline);
    let said: Vec<String> = spans.into_iter().chain(checkpoints).collect();
    if said.is_empty() {
        return None;
    }
    Some(format!(
        "{} The lab's timed figures come from runs without spans.",
        said.join(" ")
    ))
}

/// The checkpoints' share of the time the workers were busy, when the lab counted them and
/// measured one (`Timeline::checkpoints`): their count times the cost of one, over the sum of
/// every lane's busy time.
fn checkpoint_sentence(timeline: &Timeline) -> Option<String> {
    let checkpoints = timeline.checkpoints?;
    let busy: u64 = timeline.lanes.iter().map(Lane::busy_ns).sum();
    let share = if busy == 0 {
        String::new()
    } else {
        let spent = checkpoints.count as f64 * checkpoints.cost_ns as f64;
        format!(", about {} of the busy time", percent(spent / busy as f64))
    };
    Some(format!(
        "The workers read the clock and the CPU {} times inside their work, to find where \
         they were paused, at about {} a reading{share}.",
        checkpoints.count,
        nanos(checkpoints.cost_ns as f64)
    ))
}

/// The cost of one span (`Timeline::span_cost_ns`) as a share of the median span's length.
fn span_cost_sentence(timeline: &Timeline) -> Option<String> {
    let cost = timeline.span_cost_ns?;
    let mut lengths: Vec<u64> = timeline
        .lanes
        .iter()
        .flat_map(|l| &l.spans)
        .map(Span::len_ns)
        .collect();
    lengths.sort_unstable();
    let median = *lengths.get(lengths.len() / 2)?;
    let share = if median == 0 {
        String::new()
    } else {
        format!(
            ", {} of the median span",
            percent(cost as f64 / median as f64)
        )
    };
    Some(format!(
        "Recording cost about {} per span{share}.",
        nanos(cost as f64)
    ))
}

/// A share as a percentage with two significant digits (`12%`, `1.5%`, `0.042%`,
/// `0.00023%`), however small: the recorder's cost beside a long span is a tiny share.
fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct <= 0.0 || !pct.is_finite() {
        return format!("{pct:.0}%");
    }
    let decimals = (1 - pct.log10().floor() as i32).max(0) as usize;
    format!("{pct:.decimals$}%")
}

/// `1 worker`, `2 workers`.
fn workers(count: usize) -> String {
    format!("{count} worker{}", if count == 1 { "" } else { "s" })
}

/// One worker's sentence for [`summary`].
fn lane_sentence(lane: &Lane) -> String {
    let mut per_cpu: Vec<(u32, f64)> = Vec::new();
    for span in &lane.spans {
        let half = span.len_ns() as f64 / 2.0;
        for cpu in [span.cpu_begin, span.cpu_end] {
            match per_cpu.iter_mut().find(|(c, _)| *c == cpu) {
                Some((_, ns)) => *ns += half,
                None => per_cpu.push((cpu, half)),
            }
        }
    }
    per_cpu.sort_by_key(|&(cpu, _)| cpu);
    let places: Vec<String> = per_cpu
        .iter()
        .map(|&(cpu, ns)| format!("{} on CPU {}", nanos(ns), cpu_name(cpu)))
        .collect();
    let spans = lane.spans.len();
    // A task is not a kernel task: the kernel switches the thread that polls it, not the task.
    let switches = if lane.kind == LaneKind::Task {
        "no context switches of its own (the kernel schedules the runtime's thread, not the task)"
            .to_owned()
    } else {
        format!(
            "{} voluntary and {} involuntary context switches",
            lane.voluntary, lane.involuntary
        )
    };
    format!(
        "{} ({}): {spans} span{}, busy {}{}; {switches}.",
        lane.name,
        lane.kind.as_str(),
        if spans == 1 { "" } else { "s" },
        nanos(lane.busy_ns() as f64),
        if places.is_empty() {
            String::new()
        } else {
            format!(" ({})", places.join(", "))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(begin_ns: u64, end_ns: u64, cpu_begin: u32, cpu_end: u32) -> Span {
        Span {
            begin_ns,
            end_ns,
            cpu_begin,
            cpu_end,
        }
    }

    fn lane(name: &str, kind: LaneKind, spans: Vec<Span>) -> Lane {
        Lane {
            name: name.into(),
            kind,
            spans,
            voluntary: 2,
            involuntary: 5,
        }
    }

    /// Two threads side by side on two CPUs; the second moves from CPU 1 to CPU 0 once.
    fn two_threads() -> Timeline {
        Timeline::new(vec![
            lane(
                "thread 0",
                LaneKind::Thread,
                vec![
                    span(1_000, 2_000_000, 0, 0),
                    span(2_000_000, 4_000_000, 0, 0),
                ],
            ),
            lane(
                "thread 1",
                LaneKind::Thread,
                vec![
                    span(1_000, 2_000_000, 1, 1),
                    span(2_500_000, 4_002_000, 1, 0),
                ],
            ),
        ])
    }

    /// Rectangles filled with a CPU colour: spans and legend swatches.
    fn rects_of(svg: &str, color: RGBColor) -> usize {
        let RGBColor(r, g, b) = color;
        svg.matches(&format!("fill=\"#{r:02X}{g:02X}{b:02X}\""))
            .count()
    }

    #[test]
    fn draws_an_accessible_svg_with_lanes_spans_and_a_legend() {
        let svg = svg("Two <threads>", &two_threads()).unwrap();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Two &lt;threads&gt;\""));
        assert!(svg.contains("<title>Two &lt;threads&gt;</title>"));
        assert!(svg.contains("max-width:100%"));
        assert!(
            !svg.contains("\n\n"),
            "a blank line would end the HTML block"
        );
        assert!(svg.contains("currentColor") && !svg.contains("#010203"));
        // One name per lane.
        assert_eq!(svg.matches("\nthread 0\n").count(), 1, "{svg}");
        assert_eq!(svg.matches("\nthread 1\n").count(), 1);
        // Legend: two CPUs, two entries.
        assert_eq!(svg.matches("\nCPU 0\n").count(), 1);
        assert_eq!(svg.matches("\nCPU 1\n").count(), 1);
        // Four spans, the migrated one in two halves, plus a legend swatch per CPU: CPU 0
        // colours two spans and half of one, CPU 1 one span and half of one.
        assert_eq!(rects_of(&svg, CPU_COLORS[0]), 3 + 1);
        assert_eq!(rects_of(&svg, CPU_COLORS[1]), 2 + 1);
        assert_eq!(svg.matches("<rect").count(), 5 + 2);
        // A group per lane around its spans, in the lanes' order, and no marker left.
        let groups: Vec<&str> = svg.split("<g class=\"lane\"").skip(1).collect();
        assert_eq!(groups.len(), 2, "{svg}");
        assert!(groups[0].starts_with(" data-lane=\"thread 0\">"));
        assert!(groups[1].starts_with(" data-lane=\"thread 1\">"));
        for (group, spans) in groups.iter().zip([2, 3]) {
            let inside = &group[..group.find("</g>").unwrap()];
            assert_eq!(inside.matches("<rect").count(), spans, "{inside}");
        }
        assert!(!svg.contains("#010204") && !svg.contains("#010205"));
        assert!(svg.contains("\ntime since the first span began\n"));
        assert!(svg.contains(" ms\n"), "the axis shows durations: {svg}");
    }

    #[test]
    fn many_lanes_are_thin_and_named_every_few_lanes() {
        let lanes = (0..200)
            .map(|i| {
                let begin = i * 1_000;
                let spans = vec![span(begin, begin + 50_000, (i % 2) as u32, (i % 2) as u32)];
                lane(&format!("t{i}"), LaneKind::Thread, spans)
            })
            .collect();
        let timeline = Timeline::new(lanes);
        let svg = svg("many", &timeline).unwrap();
        assert_eq!(rects_of(&svg, CPU_COLORS[0]), 100 + 1);
        assert_eq!(rects_of(&svg, CPU_COLORS[1]), 100 + 1);
        assert!(svg.contains("\nt0\n"));
        assert!(!svg.contains("\nt1\n"), "a name every few lanes only");
        let summary = summary(&timeline);
        assert!(summary.contains("On average"), "{summary}");
        assert!(
            !summary.contains("at the same time"),
            "no pairs for 200 lanes"
        );
    }

    #[test]
    fn more_cpus_than_colours_share_a_legend_entry() {
        let timeline = Timeline::new(vec![lane(
            "p",
            LaneKind::Process,
            vec![span(0, 10, 0, 0), span(10, 20, 10, 10), span(20, 30, 3, 3)],
        )]);
        let names: Vec<String> = legend(&timeline).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["CPU 0, 10", "CPU 3"]);
        let svg = svg("p", &timeline).unwrap();
        assert!(svg.contains("\nCPU 0, 10\n"));
    }

    #[test]
    fn a_timeline_without_lanes_is_an_error() {
        let err = svg("none", &Timeline::default()).unwrap_err();
        assert!(err.to_string().contains("no lanes"), "{err}");
    }

    #[test]
    fn the_summary_says_who_ran_where_and_how_much_they_overlapped() {
        let summary = summary(&two_threads());
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(
            lines,
            [
                "2 workers over 4.00 ms.",
                "thread 0 (thread): 2 spans, busy 4.00 ms (4.00 ms on CPU 0); 2 voluntary and 5 \
                 involuntary context switches.",
                "thread 1 (thread): 2 spans, busy 3.50 ms (751 µs on CPU 0, 2.75 ms on CPU 1); \
                 2 voluntary and 5 involuntary context switches.",
                "thread 0 and thread 1 ran at the same time for 3.50 ms.",
            ]
        );
        let empty = Timeline::new(vec![lane("idle", LaneKind::Process, Vec::new())]);
        assert_eq!(super::summary(&empty), "1 worker, no spans recorded.");
    }

    #[test]
    fn workers_that_took_turns_never_ran_at_the_same_time() {
        let turns = Timeline::new(vec![
            lane(
                "a",
                LaneKind::Thread,
                vec![span(0, 10, 0, 0), span(20, 30, 0, 0)],
            ),
            lane("b", LaneKind::Thread, vec![span(10, 20, 1, 1)]),
        ]);
        let said = summary(&turns);
        assert!(
            said.contains("a and b never ran at the same time."),
            "{said}"
        );
    }

    #[test]
    fn the_summary_weighs_the_recording_cost_against_the_median_span() {
        let mut timeline = two_threads();
        assert!(!summary(&timeline).contains("Recording cost"));
        // Spans of 1.999 ms, 2 ms, 1.999 ms and 1.502 ms: the median is 1.999 ms.
        timeline.span_cost_ns = Some(40);
        let summary = summary(&timeline);
        assert_eq!(
            summary.lines().last(),
            Some(
                "Recording cost about 40.0 ns per span, 0.0020% of the median span. The lab's \
                 timed figures come from runs without spans."
            ),
            "{summary}"
        );
        // Checkpoints: 1000 readings of 50 ns each over 7.5 ms busy in all (4 ms + 3.5 ms).
        timeline.span_cost_ns = None;
        timeline.checkpoints = Some(schema::timeline::Checkpoints {
            count: 1000,
            cost_ns: 50,
        });
        let summary = super::summary(&timeline);
        assert_eq!(
            summary.lines().last(),
            Some(
                "The workers read the clock and the CPU 1000 times inside their work, to find \
                 where they were paused, at about 50.0 ns a reading, about 0.67% of the busy \
                 time. The lab's timed figures come from runs without spans."
            ),
            "{summary}"
        );
        assert_eq!(percent(0.25), "25%");
        assert_eq!(percent(0.015), "1.5%");
        assert_eq!(percent(0.0042), "0.42%");
        assert_eq!(percent(0.000_002_3), "0.00023%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn a_document_stacks_every_timeline_with_its_title() {
        let one = two_threads();
        let doc = document(&[
            ("threads".into(), one.clone()),
            ("again".into(), one.clone()),
        ])
        .unwrap();
        assert!(doc.starts_with("<?xml "), "{doc}");
        assert_eq!(doc.matches("<svg").count(), 3, "one document, two figures");
        assert!(doc.contains(">threads</text>") && doc.contains(">again</text>"));
        assert_eq!(doc.matches("\nthread 0\n").count(), 2);
        let total = 2 * (30 + geometry(&one).height);
        assert!(doc.contains(&format!("height=\"{total}\"")), "{doc}");
        assert!(!doc.contains("currentColor"));
        assert!(document(&[("none".into(), Timeline::default())]).is_err());
    }
}
