//! Plain-text output for the labs' reports: aligned tables and readable quantities.

use std::fmt::Write;

/// A table printed with aligned columns; the first column is left-aligned, the rest right.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: ToString>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                if i == 0 {
                    let _ = write!(text, "{cell:<width$}");
                } else {
                    let _ = write!(text, "  {cell:>width$}");
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.header);
        line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
        for row in &self.rows {
            line(row);
        }
        out
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// A duration given in nanoseconds, in the unit that keeps three significant digits
/// readable: `850 ns`, `12.4 µs`, `3.21 ms`, `1.50 s`.
pub fn nanos(ns: f64) -> String {
    let (value, unit) = match ns.abs() {
        n if n < 1e3 => (ns, "ns"),
        n if n < 1e6 => (ns / 1e3, "µs"),
        n if n < 1e9 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    };
    let decimals = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    format!("{value:.decimals$} {unit}")
}

/// A ratio as every lab prints it, with the multiplication sign the book uses: `1.3×`,
/// `14×`, and two significant digits below one (`0.25×`).
pub fn times(ratio: f64) -> String {
    let decimals = match ratio.abs() {
        r if r >= 10.0 || r == 0.0 || !r.is_finite() => 0,
        r if r >= 1.0 => 1,
        r => (1 - r.log10().floor() as i64).max(2) as usize,
    };
    format!("{ratio:.decimals$}×")
}

/// A count and its noun, singular for one: `1 round`, `500 rounds`. Only for nouns whose
/// plural adds an `s` (every noun the labs count: rounds, cores, workers, ticks, times).
pub fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// A byte count in binary units: `512 B`, `64.0 KiB`, `1.50 GiB`.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = b;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_one_is_singular() {
        assert_eq!(count(1, "round"), "1 round");
        assert_eq!(count(0, "round"), "0 rounds");
        assert_eq!(count(500, "round"), "500 rounds");
    }

    #[test]
    fn formats_quantities() {
        assert_eq!(nanos(850.0), "850 ns");
        assert_eq!(nanos(12_400.0), "12.4 µs");
        assert_eq!(nanos(3_210_000.0), "3.21 ms");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(times(14.2), "14×");
        assert_eq!(times(1.26), "1.3×");
        assert_eq!(times(0.25), "0.25×");
        assert_eq!(times(0.031), "0.031×");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
    }

    #[test]
    fn aligns_columns() {
        let mut table = Table::new(["mode", "time"]);
        table.row(["threads", "1 ms"]).row(["processes", "10 ms"]);
        let text = table.render();
        assert_eq!(
            text,
            "mode        time\n---------  -----\nthreads     1 ms\nprocesses  10 ms\n"
        );
    }
}
