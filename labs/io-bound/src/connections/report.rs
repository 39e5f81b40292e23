//! How many connections talk: the `--json` records (`io-bound/connections/…`) and the
//! readable table.

use super::Model;
use super::client::Served;
use kit::lab::Outcome;
use kit::table::{Table, bytes, nanos};
use kit::{Machine, Noun, Record, Report, Summary, Unit};
use std::time::Duration;

/// Every model's run with N connections.
#[derive(Debug, Clone)]
pub struct Connections {
    pub connections: usize,
    pub hold: Duration,
    pub pool_threads: usize,
    pub served: Vec<Served>,
}

impl Connections {
    /// The record id of `what` for `model`: `io-bound/connections/<model>/<what>`.
    pub fn id(model: Model, what: &str) -> String {
        format!("io-bound/connections/{}/{what}", model.id())
    }

    /// The run of `model`, if it ran.
    pub fn of(&self, model: Model) -> Option<&Served> {
        self.served.iter().find(|s| s.model == model)
    }

    /// The readable report without the machine line: the table and what to observe.
    pub fn body(&self) -> String {
        let ns = |d: Duration| nanos(d.as_nanos() as f64);
        let mut table = Table::new([
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
                s.model.label().to_owned(),
                format!("{}/{}", s.right, s.connections),
                format!("{:.0} requests/s", s.throughput()),
                ns(s.percentile(50.0)),
                ns(s.percentile(99.0)),
                bytes(s.memory as f64),
                s.threads.to_string(),
            ]);
        }
        let mut out = format!(
            "Many connections: N = {n} clients connect to a loopback server at once, then each \
             sends one request; the server waits {hold} on each before answering (the fixed \
             pool has {pool} threads).\nMemory and threads are the server's own (summed over \
             its children for processes), sampled from /proc.\n\n{table}\n",
            n = self.connections,
            hold = ns(self.hold),
            pool = self.pool_threads,
        );
        let mut observe = Vec::new();
        if let Some(t) = self.of(Model::Threads) {
            observe.push(format!(
                "A thread per connection peaked at {} threads for {} connections: each open \
                 connection holds a thread blocked in recv(2).",
                t.threads, t.connections
            ));
        }
        if let Some(a) = self.of(Model::Async) {
            observe.push(format!(
                "Async tasks served the same {} connections with {} threads: one idle worker \
                 waits for every socket at once in epoll_wait(2).",
                a.connections, a.threads
            ));
        }
        if let Some(p) = self.of(Model::Pool) {
            observe.push(format!(
                "The fixed pool answers only {} requests at a time: its p99 ({}) is the queue \
                 behind its busy threads.",
                self.pool_threads,
                ns(p.percentile(99.0))
            ));
        }
        if let Some(p) = self.of(Model::Processes) {
            observe.push(format!(
                "A process per connection cost {} in all, {} per connection: each child has \
                 its own page tables and written pages.",
                bytes(p.memory as f64),
                bytes(p.memory as f64 / p.connections as f64)
            ));
        }
        kit::lab::write_observations(&mut out, observe);
        out
    }
}

impl Outcome for Connections {
    /// `--json`: N, the hold, the pool's size; per model its throughput, p50, p99, peak
    /// memory, peak threads and right answers.
    fn report(&self) -> Report {
        let mut report = Report::new(crate::report::LAB);
        report.push(Record::count(
            "io-bound/connections/clients",
            "clients connected at once (N), one request each",
            Unit::Count(Noun::Requests),
            self.connections as f64,
        ));
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
        for s in &self.served {
            let (m, label) = (s.model, s.model.label());
            let latency = |p: f64| s.percentile(p).as_nanos() as f64;
            report.push(Record::count(
                Self::id(m, "throughput"),
                format!("requests answered per second, N clients at once, {label}"),
                Unit::RequestsPerSecond,
                // Whole requests per second: more digits would be noise.
                s.throughput().round(),
            ));
            report.push(Record::new(
                Self::id(m, "p50"),
                format!("median latency (request sent to answer read), {label}"),
                Unit::Nanoseconds,
                Summary::single(latency(50.0)),
            ));
            report.push(Record::new(
                Self::id(m, "p99"),
                format!("99th percentile latency, {label}"),
                Unit::Nanoseconds,
                Summary::single(latency(99.0)),
            ));
            report.push(Record::count(
                Self::id(m, "rss"),
                format!("server's peak resident memory (Pss, with its children), {label}"),
                Unit::Bytes,
                s.memory as f64,
            ));
            report.push(Record::count(
                Self::id(m, "threads"),
                format!("server's peak threads (with its children's), {label}"),
                Unit::Count(Noun::Threads),
                s.threads as f64,
            ));
            report.push(Record::count(
                Self::id(m, "right"),
                format!("clients that got exactly the right answer, {label}"),
                Unit::Count(Noun::Responses),
                s.right as f64,
            ));
        }
        report
    }

    fn render(&self, machine: &Machine) -> String {
        format!("Machine: {}\n{}", machine.summary(), self.body())
    }

    /// A missing or wrong answer fails the lab (exit status 1), after the table.
    fn check(&self) -> anyhow::Result<()> {
        let wrong: usize = self.served.iter().map(|s| s.connections - s.right).sum();
        anyhow::ensure!(wrong == 0, "{wrong} clients got no answer or a wrong one");
        Ok(())
    }
}
