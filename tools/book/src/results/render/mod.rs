//! What a results directive becomes: prose for `{{#value}}`, `{{#ratio}}` and
//! `{{#machine}}`, for `{{#bench}}` a chart per unit and a table with its caption, and for
//! `{{#timeline}}` the timeline drawn and told in sentences, the reader's beside the reference.

use super::directive::{Directive, find};
use crate::markdown::escape as html_escape;
use crate::results::chart::{self, Bar, Chart, Span};
use crate::results::{Measured, Results, day, distinct_machines, factor, quantity};
use figures::timeline;
use schema::{Machine, Record, Spread, Unit};
use std::fmt::Write;

/// Why a directive cannot be expanded with these results, if it cannot: the check `cargo
/// book check` runs before building.
pub fn missing(directive: &Directive, results: &Results) -> Option<String> {
    render(directive, results).err()
}

/// The Markdown (and inline HTML) a directive becomes.
pub fn render(directive: &Directive, results: &Results) -> Result<String, String> {
    match directive {
        Directive::Bench(prefixes) => bench(prefixes, results),
        Directive::Value(id) => value(id, results),
        Directive::Ratio(a, b) => ratio(a, b, results),
        Directive::Machine => machine(results),
        Directive::Timeline(id) => timeline(id, results),
    }
}

fn no_reference(what: &str) -> String {
    format!(
        "no reference result for `{what}` (results/reference/ has none; \
         run `cargo book measure --reference` on the reference machine)"
    )
}

fn reference<'a>(id: &str, results: &'a Results) -> Result<Measured<'a>, String> {
    results.reference.get(id).ok_or_else(|| no_reference(id))
}

/// The reader's result for `id`, if they measured it in the same unit.
fn local<'a>(id: &str, unit: Unit, results: &'a Results) -> Option<Measured<'a>> {
    results.local.get(id).filter(|m| m.record.unit == unit)
}

fn value(id: &str, results: &Results) -> Result<String, String> {
    let reference = reference(id, results)?.record;
    let mut text = quantity(reference.median, reference.unit);
    if let Some(yours) = local(id, reference.unit, results) {
        let _ = write!(
            text,
            " (yours: {})",
            quantity(yours.record.median, yours.record.unit)
        );
    }
    Ok(text)
}

fn ratio(a: &str, b: &str, results: &Results) -> Result<String, String> {
    let (ra, rb) = (reference(a, results)?.record, reference(b, results)?.record);
    if ra.unit != rb.unit {
        return Err(format!(
            "cannot divide `{a}` ({}) by `{b}` ({}): different units",
            ra.unit, rb.unit
        ));
    }
    let divide = |x: f64, y: f64| (y != 0.0).then(|| factor(x / y));
    let mut text = divide(ra.median, rb.median)
        .ok_or_else(|| format!("`{b}` is zero: cannot divide by it"))?;
    let yours = local(a, ra.unit, results).zip(local(b, rb.unit, results));
    if let Some(ours) = yours.and_then(|(la, lb)| divide(la.record.median, lb.record.median)) {
        let _ = write!(text, " (yours: {ours})");
    }
    Ok(text)
}

fn machine(results: &Results) -> Result<String, String> {
    let reference = results.reference.machines();
    if reference.is_empty() {
        return Err("no reference results at all: `{{#machine}}` has nothing to describe".into());
    }
    let mut text = format!("Reference results: measured on {}.", machines(&reference));
    let yours = results.local.machines();
    if !yours.is_empty() {
        let _ = write!(text, " Your results: measured on {}.", machines(&yours));
    }
    Ok(text)
}

/// `CPU, 2 cores, … (2025-06-01)`, several joined with `; `.
fn machines(machines: &[&Machine]) -> String {
    machines
        .iter()
        .map(|m| format!("{} ({})", m.summary(), day(m)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `{{#timeline}}`: one figure with the reference machine's timeline and, when the reader
/// recorded one, theirs under it (a timeline's time axis is its own run's, so two are drawn
/// apart rather than on one axis), each followed by its [`timeline::summary`] as visible
/// text, which screen readers and the print version get in place of the picture. The figure
/// is one HTML block: no blank line inside, so Markdown leaves it alone.
fn timeline(id: &str, results: &Results) -> Result<String, String> {
    let (reference, reference_machine) = results.reference.timeline(id).ok_or_else(|| {
        format!(
            "no reference timeline `{id}` (no report in results/reference/ has it; \
             run `cargo book measure --reference` on the reference machine)"
        )
    })?;
    let mut drawn = vec![("the reference machine", reference, reference_machine)];
    if let Some((yours, your_machine)) = results.local.timeline(id) {
        drawn.push(("your machine", yours, your_machine));
    }
    let mut out = String::from("\n\n<figure class=\"timeline\" style=\"margin: 1em 0\">\n");
    for (whose, timeline, machine) in drawn {
        let title = format!(
            "Timeline of {id} on {whose}: a lane per worker, each span of work coloured by \
             the CPU it ran on"
        );
        let svg = timeline::svg(&title, timeline).map_err(|e| format!("{id}: {e:#}"))?;
        out.push_str(&svg);
        out.push('\n');
        let _ = write!(
            out,
            "<p class=\"timeline-summary\"><strong>On {whose}</strong>, {}:",
            html_escape(&machines(&[machine]))
        );
        for line in timeline::summary(timeline).lines() {
            let _ = write!(out, "<br>\n{}", html_escape(line));
        }
        out.push_str("</p>\n");
    }
    out.push_str("</figure>\n\n");
    Ok(out)
}

/// One row of a `{{#bench}}` table: a result on the reference machine and/or the reader's.
struct Row<'a> {
    id: &'a str,
    what: &'a str,
    unit: Unit,
    reference: Option<Measured<'a>>,
    local: Option<Measured<'a>>,
}

/// A `{{#bench}}`: the rows under the prefixes, a chart per charted unit, the table, and a
/// caption naming the machines and what the spread is.
fn bench(prefixes: &[String], results: &Results) -> Result<String, String> {
    let rows = rows(prefixes, results)?;
    let has_local = rows.iter().any(|r| r.local.is_some());
    let units = charted_units(&rows);
    let charted = !units.is_empty();
    // A figure's default side margins would squeeze the table; the page has its own. A figure
    // with a chart is `chart` (the browser tests look for its bars), one without is `results`.
    let class = if charted { "chart" } else { "results" };
    let mut out = format!("\n\n<figure class=\"{class}\" style=\"margin: 1em 0\">\n");
    for unit in units {
        out.push_str(&unit_chart(prefixes, &rows, unit, has_local)?);
        out.push('\n');
    }
    out.push('\n');
    let kinds = spread_kinds(&rows);
    out.push_str(&table(&rows, has_local, &kinds));
    out.push('\n');
    out.push_str(&caption(&rows, has_local, charted, &kinds));
    Ok(out)
}

/// Prefix by prefix, the reference's results in its order, each beside the reader's; then
/// results only the reader has (a lab newer than the reference data), so nothing measured is
/// hidden. A result under two of the prefixes is shown once.
fn rows<'a>(prefixes: &[String], results: &'a Results) -> Result<Vec<Row<'a>>, String> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for prefix in prefixes {
        let reference = results.reference.under(prefix);
        if reference.is_empty() {
            return Err(no_reference(prefix));
        }
        for r in reference {
            if !rows.iter().any(|row| row.id == r.record.id) {
                rows.push(Row {
                    id: &r.record.id,
                    what: &r.record.what,
                    unit: r.record.unit,
                    reference: Some(r),
                    local: local(&r.record.id, r.record.unit, results),
                });
            }
        }
    }
    for l in prefixes.iter().flat_map(|p| results.local.under(p)) {
        if !rows.iter().any(|row| row.id == l.record.id) {
            rows.push(Row {
                id: &l.record.id,
                what: &l.record.what,
                unit: l.record.unit,
                reference: None,
                local: Some(l),
            });
        }
    }
    Ok(rows)
}

/// The units that get a chart, in the rows' order. One chart per unit: bars of different
/// units on one axis would compare nothing. Outcomes (a yes/no flag, a signal's number) get
/// no chart either: their bars would compare nothing, and the table says all there is. Nor
/// does a unit whose every value is zero (no core files left, say): it has no bars to draw.
fn charted_units(rows: &[Row<'_>]) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for row in rows {
        let all_zero = rows
            .iter()
            .filter(|r| r.unit == row.unit)
            .flat_map(|r| [r.reference, r.local])
            .flatten()
            .all(|m| m.record.median == 0.0);
        if !units.contains(&row.unit) && !row.unit.is_outcome() && !all_zero {
            units.push(row.unit);
        }
    }
    units
}

/// The SVG bar chart of the rows in `unit`.
fn unit_chart(
    prefixes: &[String],
    rows: &[Row<'_>],
    unit: Unit,
    has_local: bool,
) -> Result<String, String> {
    let bars: Vec<Bar> = rows
        .iter()
        .filter(|r| r.unit == unit)
        .map(|r| Bar {
            label: r.what.to_owned(),
            reference: r.reference.map(span),
            local: r.local.map(span),
        })
        .collect();
    let machines = if has_local {
        "the reference machine and yours"
    } else {
        "the reference machine"
    };
    let title = format!(
        "Bar chart of the median of each result under {} ({unit}) on {machines}; \
         lines show the spread from low to high",
        prefixes.join(", ")
    );
    chart::svg(&Chart {
        title: &title,
        unit,
        bars: &bars,
    })
    .map_err(|e| format!("{e:#}"))
}

/// The figure's caption and its end: the machines, and with a chart what bars and lines show.
fn caption(rows: &[Row<'_>], has_local: bool, charted: bool, kinds: &[Option<Spread>]) -> String {
    let machines_of = |pick: for<'r> fn(&'r Row<'r>) -> Option<Measured<'r>>| {
        distinct_machines(rows.iter().filter_map(pick).map(|m| m.machine))
    };
    let mut out = format!(
        "<figcaption>Measured on: the reference machine, {}",
        html_escape(&machines(&machines_of(|r| r.reference)))
    );
    if has_local {
        let _ = write!(
            out,
            "; your machine, {}",
            html_escape(&machines(&machines_of(|r| r.local)))
        );
    }
    if !charted {
        out.push_str(".</figcaption>\n</figure>\n\n");
        return out;
    }
    out.push_str(". Bars show medians");
    match kinds {
        [] => out.push('.'),
        [kind] => {
            let _ = write!(out, ", lines the spread: {}.", meaning(*kind));
        }
        kinds => {
            let tags: Vec<String> = kinds
                .iter()
                .map(|&k| format!("“{}”, {}", tag(k), meaning(k)))
                .collect();
            let _ = write!(
                out,
                ", lines the spread, tagged in the table: {}.",
                tags.join("; ")
            );
        }
    }
    out.push_str("</figcaption>\n");
    out.push_str("</figure>\n\n");
    out
}

fn span(m: Measured<'_>) -> Span {
    Span {
        median: m.record.median,
        low: m.record.low,
        high: m.record.high,
    }
}

/// Whether a record's spread is worth a cell: a single value, or samples all alike, has none.
fn has_spread(r: &Record) -> bool {
    r.samples > 1 && r.low != r.high
}

/// The kinds of spread the table shows, in order of first appearance.
fn spread_kinds(rows: &[Row<'_>]) -> Vec<Option<Spread>> {
    let mut kinds = Vec::new();
    let shown = rows.iter().flat_map(|r| [r.reference, r.local]).flatten();
    for m in shown.filter(|m| has_spread(m.record)) {
        if !kinds.contains(&m.record.spread) {
            kinds.push(m.record.spread);
        }
    }
    kinds
}

/// A kind of spread in a few words, for a column header or a tag.
fn tag(kind: Option<Spread>) -> &'static str {
    match kind {
        Some(Spread::Ci95) => "95% CI",
        Some(Spread::Range) => "range",
        None => "low – high",
    }
}

/// A kind of spread, said in full for a caption.
fn meaning(kind: Option<Spread>) -> &'static str {
    match kind {
        Some(Spread::Ci95) => {
            "the 95% confidence interval of the median, as criterion estimates it from its samples"
        }
        Some(Spread::Range) => "the lowest and the highest of the samples",
        None => {
            "from low to high, as recorded (these results do not say whether that is the \
             range of the samples or a confidence interval)"
        }
    }
}

fn table(rows: &[Row<'_>], has_local: bool, kinds: &[Option<Spread>]) -> String {
    let spread_header = match kinds {
        // On one line: a browser may break after a dash even before a no-break space, and a
        // column as wide as its header has room for most spreads on one line too.
        [kind] => format!(
            "<span style=\"white-space: nowrap\">Spread ({})</span>",
            tag(*kind)
        ),
        _ => "Spread".to_owned(),
    };
    let mixed = kinds.len() > 1;
    let mut out = format!("| Measured | Median | {spread_header} | Samples |");
    if has_local {
        out.push_str(" Your median | Your spread | Your samples |");
    }
    out.push_str("\n|:--|--:|--:|--:|");
    if has_local {
        out.push_str("--:|--:|--:|");
    }
    out.push('\n');
    for row in rows {
        let _ = write!(out, "| {} |", markdown_text(row.what));
        let mut cells = vec![row.reference];
        if has_local {
            cells.push(row.local);
        }
        for cell in cells {
            match cell {
                Some(m) => {
                    let r = m.record;
                    // A value never wraps between its number and unit; a spread may wrap
                    // after its dash.
                    let cell = |v: f64| quantity(v, r.unit).replace(' ', "\u{a0}");
                    let spread = if !has_spread(r) {
                        "—".to_owned()
                    } else if mixed {
                        // The tag on a line of its own, the same in every row.
                        format!(
                            "{}\u{a0}– {}<br><small>({})</small>",
                            cell(r.low),
                            cell(r.high),
                            tag(r.spread).replace(' ', "\u{a0}")
                        )
                    } else {
                        format!("{}\u{a0}– {}", cell(r.low), cell(r.high))
                    };
                    let _ = write!(out, " {} | {spread} | {} |", cell(r.median), r.samples);
                }
                None => out.push_str(" — | — | — |"),
            }
        }
        out.push('\n');
    }
    out
}

/// Text shown as itself in Markdown: a lab's words such as `Mutex<u64>` or `_exit(0)` must not
/// become an HTML tag, emphasis or a table column.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Expands every directive of `text`. Errors are `(line, message)`, every one of them, so a
/// page with several missing results reports them all at once.
pub fn expand(text: &str, results: &Results) -> Result<String, Vec<(usize, String)>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut copied = 0;
    for found in find(text) {
        let expanded = found
            .directive
            .and_then(|d| render(&d, results))
            .map_err(|message| errors.push((found.line, message)));
        if let Ok(expanded) = expanded {
            out.push_str(&text[copied..found.range.start]);
            out.push_str(&expanded);
            copied = found.range.end;
        }
    }
    out.push_str(&text[copied..]);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
