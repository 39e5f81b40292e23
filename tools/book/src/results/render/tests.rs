use super::*;
use crate::results;
use schema::{Record, Report, Unit};

fn machine(cpu: &str) -> Machine {
    results::records::tests::machine(cpu, "2025-06-01T12:00:00Z")
}

fn record(id: &str, median: f64) -> Record {
    Record {
        id: id.into(),
        what: format!("what {id}"),
        unit: Unit::Nanoseconds,
        median,
        low: median * 0.9,
        high: median * 1.1,
        samples: 100,
        spread: Some(Spread::Ci95),
    }
}

/// Results held in temporary folders shaped like a book's `results/`.
fn results(reference: Vec<Record>, local: Vec<Record>) -> Results {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    for (dir, records, cpu) in [
        (results::REFERENCE_DIR, reference, "Reference CPU"),
        (results::LOCAL_DIR, local, "Your CPU"),
    ] {
        if !records.is_empty() {
            let report = Report {
                lab: "lab".into(),
                machine: machine(cpu),
                records,
                benchmarks: Vec::new(),
                timelines: Vec::new(),
            };
            results::write_report(&root.join(dir), &report).unwrap();
        }
    }
    Results::load(root).unwrap()
}

#[test]
fn finds_directives_outside_code_only() {
    let text = "Threads take {{#value lab/thread}}.\n\n{{#bench lab}}\n\n\
                `{{#value lab/shown}}` and\n\n```md\n{{#bench lab/shown}}\n```\n\n\
                \\{{#value escaped}} {{#ratio lab/a  lab/b }} {{#machine}}\n";
    let found = find(text);
    let directives: Vec<_> = found
        .iter()
        .map(|f| (f.line, f.directive.clone()))
        .collect();
    assert_eq!(
        directives,
        [
            (1, Ok(Directive::Value("lab/thread".into()))),
            (3, Ok(Directive::Bench(vec!["lab".into()]))),
            (11, Ok(Directive::Ratio("lab/a".into(), "lab/b".into()))),
            (11, Ok(Directive::Machine)),
        ]
    );
    assert_eq!(&text[found[1].range.clone()], "{{#bench lab}}");
}

#[test]
fn rejects_malformed_directives() {
    let found = find("a {{#bench lab}} b\n{{#value}}\n{{#ratio a}}\n{{#machine x}}\n{{#bench}}\n");
    let errors: Vec<String> = found
        .into_iter()
        .map(|f| f.directive.unwrap_err())
        .collect();
    assert!(errors[0].contains("line of its own"), "{errors:?}");
    assert!(errors[1].contains("one result id"));
    assert!(errors[2].contains("two result ids"));
    assert!(errors[3].contains("no arguments"));
    assert!(errors[4].contains("takes id prefixes"));
    assert!(
        find("{{#benchmark x}} {{#values y}}").is_empty(),
        "other names"
    );
}

#[test]
fn values_and_ratios_come_from_the_reference_and_the_reader() {
    let only_reference = results(
        vec![
            record("lab/thread", 12_400.0),
            record("lab/fork", 174_000.0),
        ],
        vec![],
    );
    let value = |d, r| render(&Directive::Value(d), r).unwrap();
    let ratio = |a: &str, b: &str, r| render(&Directive::Ratio(a.into(), b.into()), r).unwrap();
    assert_eq!(value("lab/thread".into(), &only_reference), "12.4 µs");
    assert_eq!(ratio("lab/fork", "lab/thread", &only_reference), "14×");

    let both = results(
        vec![
            record("lab/thread", 12_400.0),
            record("lab/fork", 174_000.0),
        ],
        vec![record("lab/thread", 20_000.0), record("lab/fork", 64_000.0)],
    );
    assert_eq!(
        value("lab/thread".into(), &both),
        "12.4 µs (yours: 20.0 µs)"
    );
    assert_eq!(ratio("lab/fork", "lab/thread", &both), "14× (yours: 3.2×)");
    let machine = render(&Directive::Machine, &both).unwrap();
    assert!(machine.starts_with("Reference results: measured on Reference CPU, 2 cores"));
    assert!(machine.contains("Your results: measured on Your CPU"));
    assert!(machine.contains("(2025-06-01)"));
}

#[test]
fn a_missing_result_is_an_error_with_its_line() {
    let results = results(vec![record("lab/thread", 1.0)], vec![]);
    let text = "# Page\n\n{{#value lab/thread}}\n{{#value lab/nope}}\n\n{{#bench other}}\n";
    let errors = expand(text, &results).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].0, 4);
    assert!(errors[0].1.contains("no reference result for `lab/nope`"));
    assert_eq!(errors[1].0, 6);
    assert!(errors[1].1.contains("`other`"));
    let err = render(&Directive::Machine, &Results::default()).unwrap_err();
    assert!(err.contains("no reference results"));
}

#[test]
fn bench_shows_a_chart_and_a_table_per_machine() {
    let only_reference = results(
        vec![
            record("lab/thread", 12_400.0),
            record("lab/fork", 174_000.0),
        ],
        vec![],
    );
    let page = expand("Intro\n{{#bench lab}}\nAfter\n", &only_reference).unwrap();
    crate::fixture::assert_expected("bench-reference.md", &page);
    // The HTML block has no blank line until the table, and the page goes on after.
    let figure = page.split("<figure").nth(1).unwrap();
    assert!(!figure.split("</svg>").next().unwrap().contains("\n\n"));
    assert!(page.ends_with("</figure>\n\n\nAfter\n"));

    let both = results(
        vec![
            record("lab/thread", 12_400.0),
            record("lab/fork", 174_000.0),
        ],
        vec![record("lab/fork", 64_000.0), record("lab/new", 5.0)],
    );
    let page = expand("{{#bench lab/}}", &both).unwrap();
    crate::fixture::assert_expected("bench-both.md", &page);
}

#[test]
fn outcomes_get_a_table_but_no_chart() {
    let mut flag = record("lab/poisoned", 1.0);
    flag.unit = Unit::Flag;
    let page = expand("{{#bench lab}}", &results(vec![flag], vec![])).unwrap();
    assert!(!page.contains("<svg"), "{page}");
    assert!(page.contains("<figure class=\"results\""), "{page}");
    assert!(page.contains("| what lab/poisoned |"), "{page}");
    assert!(!page.contains("Bars show"), "{page}");
    assert!(
        page.trim_end().ends_with("</figcaption>\n</figure>"),
        "{page}"
    );
}

#[test]
fn bench_takes_several_prefixes_in_their_order() {
    let results = results(
        vec![
            record("lab/thread", 1.0),
            record("lab/fork", 2.0),
            record("lab/fork-exec", 3.0),
        ],
        vec![],
    );
    let found = find("{{#bench lab/fork-exec lab/thread lab/fork-exec}}");
    let Ok(directive) = &found[0].directive else {
        panic!("{found:?}")
    };
    let page = render(directive, &results).unwrap();
    let rows: Vec<&str> = page.lines().filter(|l| l.starts_with("| what")).collect();
    assert_eq!(rows.len(), 2, "each result once: {rows:?}");
    assert!(rows[0].starts_with("| what lab/fork-exec |"));
    assert!(rows[1].starts_with("| what lab/thread |"));
    let missing = render(
        &Directive::Bench(vec!["lab/thread".into(), "x".into()]),
        &results,
    );
    assert!(missing.unwrap_err().contains("`x`"));
}

#[test]
fn bench_says_what_its_spread_is() {
    let with = |spread: Option<Spread>, samples: u64| {
        let mut r = record("lab/x", 1000.0);
        (r.spread, r.samples) = (spread, samples);
        r
    };
    let page = |records: Vec<Record>| expand("{{#bench lab}}", &results(records, vec![])).unwrap();
    let header = |kind: &str| format!("| Measured | Median | {kind} | Samples |");

    // One kind: named in the header and said in full in the caption.
    let ci = page(vec![with(Some(Spread::Ci95), 100)]);
    let nowrap = |text: &str| format!("<span style=\"white-space: nowrap\">{text}</span>");
    assert!(ci.contains(&header(&nowrap("Spread (95% CI)"))), "{ci}");
    assert!(ci.contains(
        "lines the spread: the 95% confidence interval of the median, as criterion \
         estimates it from its samples.</figcaption>"
    ));
    let range = page(vec![with(Some(Spread::Range), 20)]);
    assert!(
        range.contains(&header(&nowrap("Spread (range)"))),
        "{range}"
    );
    assert!(range.contains("lines the spread: the lowest and the highest of the samples."));

    // Results from before records said: the page does not guess.
    let unknown = page(vec![with(None, 20)]);
    assert!(
        unknown.contains(&header(&nowrap("Spread (low – high)"))),
        "{unknown}"
    );
    assert!(
        unknown.contains(
            "do not say whether that is the range of the samples or a confidence interval"
        )
    );

    // Two kinds in one table: every spread is tagged, and the caption says what tags mean.
    let mut range_row = with(Some(Spread::Range), 20);
    range_row.id = "lab/y".into();
    let mut single = with(None, 1);
    single.id = "lab/z".into();
    let mixed = page(vec![with(Some(Spread::Ci95), 100), range_row, single]);
    assert!(mixed.contains(&header("Spread")), "{mixed}");
    assert!(
        mixed.contains("900\u{a0}ns\u{a0}– 1.10\u{a0}µs<br><small>(95%\u{a0}CI)</small> | 100 |"),
        "{mixed}"
    );
    assert!(
        mixed.contains("<br><small>(range)</small> | 20 |"),
        "{mixed}"
    );
    assert!(mixed.contains("| what lab/x | 1.00\u{a0}µs |"));
    assert!(
        mixed.contains(" — | 1 |"),
        "a single value has no spread, nor a tag"
    );
    assert!(
        mixed.contains(
            "lines the spread, tagged in the table: “95% CI”, the 95% confidence interval of \
         the median, as criterion estimates it from its samples; “range”, the lowest and \
         the highest of the samples.</figcaption>"
        ),
        "{mixed}"
    );
    assert!(
        !mixed.contains("low – high"),
        "the single value's unknown kind is not shown"
    );

    // Nothing with a spread: nothing said about one.
    let counts = page(vec![with(None, 1)]);
    assert!(
        counts.contains("Bars show medians.</figcaption>"),
        "{counts}"
    );
    assert!(counts.contains(&header("Spread")));
}

#[test]
fn table_cells_show_a_labs_words_as_written() {
    assert_eq!(
        markdown_text("Mutex<u64> | _exit(0) & *x*"),
        "Mutex\\<u64\\> \\| \\_exit(0) &amp; \\*x\\*"
    );
}

/// A timeline of two workers: the first on CPU 0, the second moving from CPU 1 to CPU 2.
fn two_lanes() -> schema::timeline::Timeline {
    use schema::timeline::{Lane, LaneKind, Span, Timeline};
    let span = |begin_ns, end_ns, cpu_begin, cpu_end| Span {
        begin_ns,
        end_ns,
        cpu_begin,
        cpu_end,
    };
    let lane = |name: &str, spans| Lane {
        name: name.into(),
        kind: LaneKind::Thread,
        spans,
        voluntary: 0,
        involuntary: 1,
    };
    Timeline::new(vec![
        lane("thread 1", vec![span(0, 500, 0, 0), span(500, 1_000, 0, 0)]),
        lane("thread 2", vec![span(100, 900, 1, 2)]),
    ])
}

/// Results whose reports hold `lab/timeline` (and a record, as every report does) in the
/// folders asked for.
fn timeline_results(reference: bool, local: bool) -> (tempfile::TempDir, Results) {
    let temp = tempfile::tempdir().unwrap();
    for (dir, cpu, wanted) in [
        (results::REFERENCE_DIR, "Reference CPU", reference),
        (results::LOCAL_DIR, "Your CPU", local),
    ] {
        if wanted {
            let report = Report {
                lab: "lab".into(),
                machine: machine(cpu),
                records: vec![record("lab/thread", 1.0)],
                benchmarks: Vec::new(),
                timelines: vec![("lab/timeline".into(), two_lanes())],
            };
            results::write_report(&temp.path().join(dir), &report).unwrap();
        }
    }
    let loaded = Results::load(temp.path()).unwrap();
    (temp, loaded)
}

#[test]
fn finds_timeline_directives_on_lines_of_their_own() {
    let found = find(
        "Text\n\n{{#timeline lab/timeline}}\n\nand {{#timeline lab/x}} inline\n{{#timeline}}\n",
    );
    assert_eq!(
        found[0].directive,
        Ok(Directive::Timeline("lab/timeline".into()))
    );
    assert_eq!(found[0].line, 3);
    assert!(
        found[1]
            .directive
            .clone()
            .unwrap_err()
            .contains("line of its own")
    );
    assert!(
        found[2]
            .directive
            .clone()
            .unwrap_err()
            .contains("one timeline id")
    );
}

#[test]
fn timeline_draws_the_reference_and_tells_it_in_sentences() {
    let (_temp, only_reference) = timeline_results(true, false);
    let page = expand(
        "Intro\n{{#timeline lab/timeline}}\nAfter\n",
        &only_reference,
    )
    .unwrap();
    let figure = page
        .split("<figure class=\"timeline\"")
        .nth(1)
        .expect("a timeline figure");
    let figure = &figure[..figure.find("</figure>").expect("closed")];
    assert!(!figure.contains("\n\n"), "one HTML block: {figure}");
    assert_eq!(figure.matches("<svg").count(), 1, "{figure}");
    assert!(figure.contains("role=\"img\""));
    assert!(figure.contains("On the reference machine</strong>, Reference CPU"));
    assert!(!figure.contains("your machine"));
    // The summary, as visible text under the picture: every worker and their overlap.
    let summary = figures::timeline::summary(&two_lanes());
    for line in summary.lines() {
        assert!(figure.contains(&html_escape(line)), "{line}\n{figure}");
    }
    assert!(page.ends_with("</figure>\n\n\nAfter\n"), "{page}");
}

#[test]
fn timeline_shows_the_readers_own_under_the_reference() {
    let (_temp, both) = timeline_results(true, true);
    let page = expand("{{#timeline lab/timeline}}", &both).unwrap();
    assert_eq!(page.matches("<svg").count(), 2, "{page}");
    let reference = page.find("On the reference machine").unwrap();
    let yours = page.find("On your machine</strong>, Your CPU").unwrap();
    assert!(reference < yours, "the reference first");
}

#[test]
fn a_missing_timeline_is_an_error_with_its_line() {
    let (_temp, results) = timeline_results(true, false);
    let text = "# Page\n\n{{#timeline lab/nope}}\n\n{{#timeline lab/thread}}\n";
    let errors = expand(text, &results).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.0).collect();
    assert_eq!(
        lines,
        [3, 5],
        "a record's id is not a timeline's: {errors:?}"
    );
    assert!(
        errors[0].1.contains("no reference timeline `lab/nope`"),
        "{errors:?}"
    );
    // Only the reader's: still an error, since every reader sees the reference.
    let (_temp, local_only) = timeline_results(false, true);
    assert!(expand("{{#timeline lab/timeline}}", &local_only).is_err());
}

#[test]
fn check_reports_a_missing_timeline_at_its_file_and_line() {
    let (temp, _) = timeline_results(true, false);
    let page = "# Lab\n\n{{#timeline lab/timeline}}\n\n{{#timeline lab/gone}}\n";
    std::fs::create_dir_all(temp.path().join("src")).unwrap();
    std::fs::write(temp.path().join("src/lab.md"), page).unwrap();
    let problems = crate::results::check(temp.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, std::path::Path::new("src/lab.md"));
    assert_eq!(problems[0].line, 5);
    assert!(problems[0].message.contains("lab/gone"));
}
