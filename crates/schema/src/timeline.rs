//! Timelines: which worker ran when, and on which CPU, as a lab recorded it.
//!
//! A [`Timeline`] has one [`Lane`] per worker (a thread or a process), each with the worker's
//! [`Span`]s (units of work, begin and end in nanoseconds from one origin the whole run
//! shares) and its voluntary and involuntary context switches. The kit's `spans` module
//! records them; the book draws them. A report carries them in `timelines`, which results
//! written before timelines existed simply lack.

use serde::{Deserialize, Serialize};

/// One worker's kind: threads share their process's memory, processes do not; an async task
/// is not a kernel task at all, but a future that a runtime polls on one of its threads, so
/// many task lanes share one thread and have no context switches of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LaneKind {
    Thread,
    Process,
    Task,
}

impl LaneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LaneKind::Thread => "thread",
            LaneKind::Process => "process",
            LaneKind::Task => "task",
        }
    }
}

/// A span's CPU when the recorder could not read it: the kit's `spans` writes it, and the
/// figures draw and name it as `CPU ?`.
pub const UNKNOWN_CPU: u32 = u32::MAX;

/// One unit of work: `[begin_ns, end_ns)` from the run's origin, and the CPU the worker was
/// on when the span began and when it ended (the scheduler may move it in between;
/// [`UNKNOWN_CPU`] when it could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub begin_ns: u64,
    pub end_ns: u64,
    pub cpu_begin: u32,
    pub cpu_end: u32,
}

impl Span {
    pub fn len_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.begin_ns)
    }
}

/// One worker's spans, in the order it ran them, and its context switches over the run:
/// `voluntary` when it blocked or yielded, `involuntary` when the scheduler took the CPU away
/// (getrusage(2): `ru_nvcsw`, `ru_nivcsw`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    pub name: String,
    pub kind: LaneKind,
    pub spans: Vec<Span>,
    pub voluntary: u64,
    pub involuntary: u64,
}

impl Lane {
    /// Nanoseconds inside spans.
    pub fn busy_ns(&self) -> u64 {
        self.spans.iter().map(Span::len_ns).sum()
    }

    /// The CPUs the lane's spans began or ended on, ascending, each once.
    pub fn cpus(&self) -> Vec<u32> {
        let mut cpus: Vec<u32> = self
            .spans
            .iter()
            .flat_map(|s| [s.cpu_begin, s.cpu_end])
            .collect();
        cpus.sort_unstable();
        cpus.dedup();
        cpus
    }

    /// Whether the spans follow one another: each ends no earlier than it begins, and no
    /// earlier than the next one begins. A worker does one thing at a time.
    pub fn is_ordered(&self) -> bool {
        self.spans.iter().all(|s| s.begin_ns <= s.end_ns)
            && self.spans.windows(2).all(|w| w[0].end_ns <= w[1].begin_ns)
    }
}

/// The lanes of one run, all timed from the same origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    /// What recording one span cost on the machine that recorded the timeline, in
    /// nanoseconds (the kit's `spans::cost_per_span_ns`), so a reader can weigh it against the
    /// spans' lengths. `None` when the lab did not measure it; then it is not written, and
    /// results written before it existed stay valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_cost_ns: Option<u64>,
    /// For spans that end where the worker was paused (the kit's `Recorder::span_split`, the
    /// gil lab's Python workers): how many checkpoints (clock and CPU readings inside the work)
    /// the workers made in all, and what one cost, in nanoseconds, so the summary can say
    /// what share of the busy time the readings took. `None` without checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<Checkpoints>,
}

/// The checkpoints a timeline's workers made: how many, and what one cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoints {
    pub count: u64,
    pub cost_ns: u64,
}

impl Timeline {
    /// A timeline of these lanes, with no recording cost stated.
    pub fn new(lanes: Vec<Lane>) -> Self {
        Self {
            lanes,
            span_cost_ns: None,
            checkpoints: None,
        }
    }

    /// From the first span's begin to the last span's end, in nanoseconds since the origin;
    /// `None` without spans.
    pub fn extent_ns(&self) -> Option<(u64, u64)> {
        let spans = self.lanes.iter().flat_map(|l| &l.spans);
        let begin = spans.clone().map(|s| s.begin_ns).min()?;
        let end = spans.map(|s| s.end_ns).max()?;
        Some((begin, end))
    }

    /// Every CPU any span began or ended on, ascending, each once.
    pub fn cpus(&self) -> Vec<u32> {
        let mut cpus: Vec<u32> = self.lanes.iter().flat_map(Lane::cpus).collect();
        cpus.sort_unstable();
        cpus.dedup();
        cpus
    }

    /// Nanoseconds during which lanes `a` and `b` were both inside a span: how much the two
    /// workers ran at the same time. Each lane's spans must be ordered ([`Lane::is_ordered`]).
    pub fn overlap_ns(&self, a: usize, b: usize) -> u64 {
        overlap(&self.lanes[a].spans, &self.lanes[b].spans)
    }
}

/// The total intersection of two ordered, non-overlapping lists of spans (a merge walk).
fn overlap(a: &[Span], b: &[Span]) -> u64 {
    let (mut i, mut j, mut total) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let begin = a[i].begin_ns.max(b[j].begin_ns);
        let end = a[i].end_ns.min(b[j].end_ns);
        total += end.saturating_sub(begin);
        // The span that ends first can meet nothing later in the other list.
        if a[i].end_ns <= b[j].end_ns {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(begin_ns: u64, end_ns: u64, cpu: u32) -> Span {
        Span {
            begin_ns,
            end_ns,
            cpu_begin: cpu,
            cpu_end: cpu,
        }
    }

    fn lane(name: &str, spans: Vec<Span>) -> Lane {
        Lane {
            name: name.into(),
            kind: LaneKind::Thread,
            spans,
            voluntary: 1,
            involuntary: 2,
        }
    }

    #[test]
    fn overlap_is_the_time_both_lanes_are_busy() {
        let timeline = Timeline::new(vec![
            lane("a", vec![span(0, 10, 0), span(20, 30, 0)]),
            lane("b", vec![span(5, 25, 1)]),
            lane("c", vec![span(30, 40, 1)]),
        ]);
        // a and b share 5..10 and 20..25.
        assert_eq!(timeline.overlap_ns(0, 1), 10);
        assert_eq!(timeline.overlap_ns(1, 0), 10);
        // Touching at 30 is no overlap.
        assert_eq!(timeline.overlap_ns(0, 2), 0);
        assert_eq!(timeline.extent_ns(), Some((0, 40)));
        assert_eq!(timeline.cpus(), vec![0, 1]);
        assert_eq!(timeline.lanes[0].busy_ns(), 20);
        assert!(timeline.lanes.iter().all(Lane::is_ordered));
        assert!(!lane("x", vec![span(0, 10, 0), span(5, 12, 0)]).is_ordered());
    }

    #[test]
    fn round_trips_through_json_with_kinds_by_name() {
        let mut timeline = Timeline::new(vec![lane("worker 0", vec![span(1, 2, 3)])]);
        timeline.lanes[0].kind = LaneKind::Process;
        let json = serde_json::to_string(&timeline).unwrap();
        assert!(json.contains(r#""kind":"process""#), "{json}");
        // No cost measured: the field is left out, and a file without it still reads.
        assert!(!json.contains("span_cost_ns"), "{json}");
        assert_eq!(serde_json::from_str::<Timeline>(&json).unwrap(), timeline);
        timeline.span_cost_ns = Some(40);
        let json = serde_json::to_string(&timeline).unwrap();
        assert!(json.contains(r#""span_cost_ns":40"#), "{json}");
        assert_eq!(serde_json::from_str::<Timeline>(&json).unwrap(), timeline);
        assert_eq!(Timeline::default().extent_ns(), None);
    }
}
