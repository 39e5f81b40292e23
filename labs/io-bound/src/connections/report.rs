//! How many connections talk: the `--json` records (`io-bound/connections/…`) and the
//! readable table.

use super::Model;
use super::client::Served;
use kit::lab::{Outcome, write_heading};
use kit::table::{Table, bytes, nanos};
use kit::{Machine, Noun, Record, Report, Summary, Unit};
use std::time::Duration;

/// Every model's run at every N of the sweep.
#[derive(Debug, Clone)]
pub struct Connections {
    /// The N swept, ascending.
    pub connections: Vec<usize>,
    pub hold: Duration,
    pub pool_threads: usize,
    /// The runs, by N and then by model.
    pub served: Vec<Served>,
    /// The models that could not take an N, and why.
    pub skipped: Vec<Skipped>,
}

/// A model not run at one N, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub model: Model,
    pub connections: usize,
    pub reason: String,
}

impl Connections {
    /// The record id of `what` for `model` at `n` connections:
    /// `io-bound/connections/<model>/<what>/<n>`.
    pub fn id(model: Model, what: &str, n: usize) -> String {
        format!("io-bound/connections/{}/{what}/{n}", model.id())
    }

    /// The runs of `model`, smallest N first.
    pub fn runs_of(&self, model: Model) -> impl Iterator<Item = &Served> {
        self.served.iter().filter(move |s| s.model == model)
    }

    /// The readable report without the machine line: one table with an N column (the runs
    /// by N, then by model), the skipped runs, and what to observe.
    pub fn body(&self) -> String {
        let ns = |d: Duration| nanos(d.as_nanos() as f64);
        let mut table = Table::new([
            "N",
            "server",
            "right answers",
            "throughput",
            "p50 latency",
            "p99 latency",
            "server memory (peak Pss)",
            "threads (peak)",
        ]);
        for s in &self.served {
            table.row([
                s.connections.to_string(),
                s.model.label().to_owned(),
                format!("{}/{}", s.right, s.connections),
                format!("{:.0} requests/s", s.throughput()),
                ns(s.percentile(50.0)),
                ns(s.percentile(99.0)),
                bytes(s.memory as f64),
                s.threads.to_string(),
            ]);
        }
        let list: Vec<String> = self.connections.iter().map(usize::to_string).collect();
        let mut out = format!(
            "Many connections, swept over N = {list}: N clients connect to a loopback server \
             at once, then each sends one request; the server waits {hold} on each before \
             answering (the fixed pool has {pool} threads).\nMemory and threads are the \
             server's own (summed over its children for processes), sampled from /proc.\n\n\
             {table}\n",
            list = list.join(", "),
            hold = ns(self.hold),
            pool = self.pool_threads,
        );
        for s in &self.skipped {
            out.push_str(&format!(
                "skipped: {} at N = {}: {}\n",
                s.model.label(),
                s.connections,
                s.reason
            ));
        }
        if !self.skipped.is_empty() {
            out.push('\n');
        }
        kit::lab::write_observations(&mut out, self.observations());
        out
    }

    /// The first and last run of `model`, when it ran at two N or more.
    fn ends(&self, model: Model) -> Option<(&Served, &Served)> {
        let first = self.runs_of(model).next()?;
        let last = self.runs_of(model).last()?;
        (last.connections > first.connections).then_some((first, last))
    }

    fn observations(&self) -> Vec<String> {
        let ns = |d: Duration| nanos(d.as_nanos() as f64);
        // What one more connection costs: the growth between the smallest and largest N run.
        let slope = |a: &Served, b: &Served| {
            (b.memory as f64 - a.memory as f64) / (b.connections - a.connections) as f64
        };
        let mut observe = Vec::new();
        if let Some((a, b)) = self.ends(Model::Threads) {
            observe.push(format!(
                "A thread per connection grew from {} threads at N = {} to {} at N = {}, one \
                 per connection, asleep in recv(2) until its request came and then in its \
                 hold, and its memory by {} per connection.",
                a.threads,
                a.connections,
                b.threads,
                b.connections,
                bytes(slope(a, b))
            ));
        }
        if let Some((a, b)) = self.ends(Model::Async) {
            observe.push(format!(
                "Async tasks held {} threads at N = {} and {} at N = {}: one idle worker waits \
                 for every socket at once in epoll_wait(2); memory grew by {} per connection.",
                a.threads,
                a.connections,
                b.threads,
                b.connections,
                bytes(slope(a, b))
            ));
        }
        if let Some((a, b)) = self.ends(Model::Pool) {
            observe.push(format!(
                "The fixed pool answers only {} at a time: its p99 went from {} at \
                 N = {} to {} at N = {}, the queue behind its busy {}.",
                if self.pool_threads == 1 {
                    "1 request".to_owned()
                } else {
                    format!("{} requests", self.pool_threads)
                },
                ns(a.percentile(99.0)),
                a.connections,
                ns(b.percentile(99.0)),
                b.connections,
                if self.pool_threads == 1 {
                    "thread"
                } else {
                    "threads"
                }
            ));
        }
        if let Some((a, b)) = self.ends(Model::Processes) {
            observe.push(format!(
                "A process per connection grew by {} per connection: each child has its own \
                 page tables and written pages.",
                bytes(slope(a, b))
            ));
        }
        if observe.is_empty() {
            for s in &self.served {
                observe.push(format!(
                    "{} held {} connections with {} threads and {}.",
                    s.model.label(),
                    s.connections,
                    s.threads,
                    bytes(s.memory as f64)
                ));
            }
        }
        observe
    }
}

impl Outcome for Connections {
    /// `--json`: each N, the hold, the pool's size; per model, metric and N its throughput,
    /// p50, p99, peak memory, peak threads and right answers. A model's records of one metric
    /// come one after another, smallest N first, so `{{#bench io-bound/connections/<model>/
    /// <metric>}}` draws one bar per N. A skipped run has no records.
    fn report(&self) -> Report {
        let mut report = Report::new(crate::report::LAB);
        for &n in &self.connections {
            report.push(Record::count(
                format!("io-bound/connections/clients/{n}"),
                "clients connected at once (N), one request each",
                Unit::Count(Noun::Requests),
                n as f64,
            ));
        }
        report.push(Record::count(
            "io-bound/connections/hold",
            "the server's wait on each request before it answers",
            Unit::Nanoseconds,
            self.hold.as_nanos() as f64,
        ));
        report.push(Record::count(
            "io-bound/connections/pool-size",
            "threads in the fixed pool",
            Unit::Count(Noun::Threads),
            self.pool_threads as f64,
        ));
        type Metric = fn(&Served, &str) -> (String, Unit, Summary);
        let metrics: [(&str, Metric); 6] = [
            ("throughput", |s, label| {
                (
                    format!("requests answered per second, {label}"),
                    Unit::RequestsPerSecond,
                    // Whole requests per second: more digits would be noise.
                    Summary::single(s.throughput().round()),
                )
            }),
            ("p50", |s, label| {
                (
                    format!("median latency (request sent to answer read), {label}"),
                    Unit::Nanoseconds,
                    Summary::single(s.percentile(50.0).as_nanos() as f64),
                )
            }),
            ("p99", |s, label| {
                (
                    format!("99th percentile latency, {label}"),
                    Unit::Nanoseconds,
                    Summary::single(s.percentile(99.0).as_nanos() as f64),
                )
            }),
            ("rss", |s, label| {
                (
                    format!("server's peak resident memory (Pss, with its children), {label}"),
                    Unit::Bytes,
                    Summary::single(s.memory as f64),
                )
            }),
            ("threads", |s, label| {
                (
                    format!("server's peak threads (with its children's), {label}"),
                    Unit::Count(Noun::Threads),
                    Summary::single(s.threads as f64),
                )
            }),
            ("right", |s, label| {
                (
                    format!("clients that got exactly the right answer, {label}"),
                    Unit::Count(Noun::Responses),
                    Summary::single(s.right as f64),
                )
            }),
        ];
        for model in Model::ALL {
            for (what, metric) in metrics {
                for s in self.runs_of(model) {
                    let label = format!("{}, N = {}", model.label(), s.connections);
                    let (description, unit, summary) = metric(s, &label);
                    report.push(Record::new(
                        Self::id(model, what, s.connections),
                        description,
                        unit,
                        summary,
                    ));
                }
            }
        }
        report
    }

    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "io-bound: N clients at once, four servers",
            machine,
        );
        out + &self.body()
    }

    /// A missing or wrong answer fails the lab (exit status 1), after the table.
    fn check(&self) -> anyhow::Result<()> {
        let wrong: usize = self.served.iter().map(|s| s.connections - s.right).sum();
        anyhow::ensure!(wrong == 0, "{wrong} clients got no answer or a wrong one");
        Ok(())
    }
}
