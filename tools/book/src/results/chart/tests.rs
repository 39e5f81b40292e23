use super::*;
use schema::Noun;

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
        unit: Unit::Nanoseconds,
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
fn draws_no_error_bar_for_a_single_value() {
    let mut bars = bars(false);
    bars[1].reference = Some(Span {
        median: 5.0,
        low: 5.0,
        high: 5.0,
    });
    let svg = svg(&Chart {
        title: "t",
        unit: Unit::Count(Noun::Processes),
        bars: &bars,
    })
    .unwrap();
    let whiskers = svg.matches("opacity=\"1\" stroke=\"currentColor\"").count();
    assert_eq!(
        whiskers, 3,
        "a line and two caps, for the first bar only: {svg}"
    );
}

#[test]
fn draws_both_machines_side_by_side_on_a_log_axis() {
    let mut bars = bars(true);
    bars[1].reference = span(40_000_000.0);
    let svg = svg(&Chart {
        title: "t",
        unit: Unit::Nanoseconds,
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
    assert_eq!(axis_value(10_000.0, Unit::Nanoseconds), "10 µs");
    assert_eq!(axis_value(2_500_000.0, Unit::Nanoseconds), "2.5 ms");
    assert_eq!(axis_value(20_000.0, Unit::Count(Noun::Updates)), "20,000");
    assert_eq!(axis_value(0.0, Unit::Nanoseconds), "0");
}

fn bar(label: &str) -> Bar {
    Bar {
        label: label.into(),
        reference: span(1.0),
        local: None,
    }
}

#[test]
fn drops_a_lead_in_every_label_shares() {
    let shown = labels(&[
        bar("create and wait:  thread::spawn\n+ join"),
        bar("create and wait: fork, child _exit(0), waitpid"),
    ]);
    assert_eq!(shown[0], ["thread::spawn + join"], "common words dropped");
    assert_eq!(shown[1], ["fork, child _exit(0), waitpid"]);
    assert_eq!(
        labels(&[bar("same words"), bar("same words")]),
        [["same words"], ["same words"]]
    );
    assert_eq!(labels(&[bar("only one label")]), [["only one label"]]);
}

/// Labels that differ only at the end are shown whole, wrapped, and broken where a
/// phrase ends when that keeps the lines even.
#[test]
fn wraps_long_labels_whole() {
    let shown = labels(&[
        bar("create and wait: fork, child _exit(0), waitpid"),
        bar("create and wait: fork, child _exit(0), waitpid, from a parent with 16 MiB touched"),
        bar("create and wait: fork, child _exit(0), waitpid, from a parent with 256 MiB touched"),
    ]);
    assert_eq!(shown[0], ["fork, child _exit(0), waitpid"]);
    assert_eq!(
        shown[1],
        [
            "fork, child _exit(0), waitpid,",
            "from a parent with 16 MiB touched"
        ]
    );
    assert_eq!(
        shown[2],
        [
            "fork, child _exit(0), waitpid,",
            "from a parent with 256 MiB touched"
        ]
    );
    assert_eq!(
        wrap("processes of generation 3 in the unguarded demo"),
        ["processes of generation 3", "in the unguarded demo"]
    );
    assert_eq!(
        wrap("sum of squares of 0..1000000000 (threads, W = 2)"),
        ["sum of squares of 0..1000000000", "(threads, W = 2)"]
    );
    assert_eq!(
        wrap("fork, child _exit(0), waitpid with 0 MiB touched in the parent"),
        [
            "fork, child _exit(0), waitpid",
            "with 0 MiB touched in the parent"
        ],
        "of two breaks that cost the same, the one that makes even lines"
    );
    assert_eq!(
        wrap("sum of squares of 0..1000000000 (sequential)"),
        ["sum of squares of 0..1000000000", "(sequential)"],
        "between clauses, though another break makes more even lines"
    );
    assert_eq!(
        wrap("processes, one AtomicU64 shard per worker in MAP_SHARED"),
        ["processes, one AtomicU64 shard", "per worker in MAP_SHARED"],
        "the first line would be too long after `processes,`"
    );
    let three = wrap(
        "Command::new(\"/bin/true\").spawn() + wait (posix_spawn) with 1024 MiB \
         touched in the parent",
    );
    assert_eq!(three.len(), 3, "{three:?}");
    assert!(
        three.iter().all(|l| l.chars().count() <= LINE_CHARS),
        "{three:?}"
    );
    assert_eq!(three.join(" ").matches("1024 MiB").count(), 1, "{three:?}");
}

#[test]
fn a_label_too_long_for_its_lines_keeps_its_words_and_its_end() {
    let word = "x".repeat(50);
    assert_eq!(wrap(&word), [word.as_str()], "a long word is not split");
    let long = format!("{}the end", "word ".repeat(30));
    let lines = wrap(long.trim());
    assert_eq!(lines.len(), MAX_LINES);
    let text = lines.join(" ");
    assert!(
        text.starts_with('…') && text.ends_with("word the end"),
        "{text}"
    );
    assert!(text.chars().count() <= MAX_LABEL_CHARS, "{text}");
}

#[test]
fn draws_every_line_of_every_label() {
    let bars = [
        bar("create and wait: fork, child _exit(0), waitpid"),
        bar("create and wait: fork, child _exit(0), waitpid, from a parent with 16 MiB touched"),
    ];
    let svg = svg(&Chart {
        title: "Spawn cost from bigger parents",
        unit: Unit::Nanoseconds,
        bars: &bars,
    })
    .unwrap();
    // plotters writes a text's content on a line of its own.
    let text = |line: &str| format!(">\n{line}\n</text>");
    for line in [
        "fork, child _exit(0), waitpid",
        "fork, child _exit(0), waitpid,",
        "from a parent with 16 MiB touched",
    ] {
        assert_eq!(svg.matches(&text(line)).count(), 1, "{line} in {svg}");
    }
    assert!(!svg.contains('…'), "nothing cut: {svg}");
    // The lines of the second label: right-aligned at one x, one line apart, centred on
    // their row, below the first label's line.
    let at = |line: &str| -> (i32, i32) {
        let before = &svg[..svg.find(&text(line)).unwrap()];
        let tag = &before[before.rfind("<text").unwrap()..];
        let attr = |name: &str| -> i32 {
            let from = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            tag[from..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(tag.contains("text-anchor=\"end\""), "{tag}");
        (attr("x"), attr("y"))
    };
    let (x0, y0) = at("fork, child _exit(0), waitpid");
    let (x1, y1) = at("fork, child _exit(0), waitpid,");
    let (x2, y2) = at("from a parent with 16 MiB touched");
    assert_eq!((x0, x1), (x2, x2));
    assert_eq!(y2 - y1, LINE_HEIGHT as i32);
    assert!(y1 > y0, "rows top to bottom");
    assert!(svg.contains("<title>Spawn cost from bigger parents</title>"));
}
