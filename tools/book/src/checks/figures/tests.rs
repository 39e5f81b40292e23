use super::*;

fn page(text: &str) -> Page {
    Page {
        path: PathBuf::from("src/p.md"),
        text: text.to_owned(),
    }
}

fn flagged(text: &str) -> Vec<usize> {
    typed_figures(&page(text), &[])
        .iter()
        .map(|p| p.line)
        .collect()
}

/// The phrases flagged in `text`, as the messages quote them.
fn phrases(text: &str) -> Vec<String> {
    typed_figures(&page(text), &[])
        .iter()
        .map(|p| p.message.split('`').nth(1).unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn flags_figures_in_prose_only() {
    let text = "A thread takes 12 µs.\nFork is 5x slower and uses 64 MiB.\n\
                Run `--delay-ms 100` or {{#value a/b}}.\n```text\ntook 3 ms\n```\nLost 75% of them.\n";
    assert_eq!(flagged(text), vec![1, 2, 2, 7]);
}

#[test]
fn ignores_numbers_without_units_and_hex() {
    assert!(flagged("Python 3.13 and 0x1f and 8 processes on 2 cores.").is_empty());
}

#[test]
fn allows_cited_phrases_on_their_page() {
    let allowed = [Allowed {
        page: PathBuf::from("src/p.md"),
        phrase: "2 MiB".into(),
        why: "std::thread docs".into(),
    }];
    assert!(typed_figures(&page("Stacks are 2 MiB (std docs)."), &allowed).is_empty());
    assert_eq!(typed_figures(&page("Stacks use 8 MiB."), &allowed).len(), 1);
}

#[test]
fn flags_counts_of_runs_in_digits_and_words() {
    // The review's examples (race.md, join.md, fork-bomb-guard.md), as they stand.
    assert_eq!(
        phrases(
            "The tests\nwere run 50 times in a row on all cores and 50 times pinned to one core"
        ),
        ["50 times in a row", "50 times"]
    );
    assert_eq!(
        phrases("the test process is left. They passed 100 runs in a row."),
        ["100 runs in a row"]
    );
    assert_eq!(
        phrases(
            "The whole test file was run ten times in a row on\nall cores and ten times pinned"
        ),
        ["ten times in a row", "ten times"]
    );
    assert_eq!(
        phrases(
            "With a hundred thousand it spends most of its time creating and destroying\n\
             threads"
        ),
        ["a hundred thousand"]
    );
    for (text, phrase) in [
        ("It ran a hundred times.", "a hundred times"),
        ("It ran a thousand trials.", "a thousand trials"),
        ("after 20 iterations", "20 iterations"),
        ("over fifty repetitions", "fifty repetitions"),
        ("from 30 samples each", "30 samples"),
        (
            "after three unrecorded warm-up rounds",
            "three unrecorded warm-up rounds",
        ),
        (
            "in batches, after 100 unrecorded ones.",
            "100 unrecorded ones",
        ),
        ("dozens of runs later", "dozens of runs"),
        ("twenty-five runs", "twenty-five runs"),
        ("It passed 100 in a row.", "100 in a row"),
        ("Fork costs four times as much.", "four times"),
        ("a few dozen more", "a few dozen"),
        ("thousands of them", "thousands"),
    ] {
        assert_eq!(phrases(text), [phrase], "{text}");
    }
}

#[test]
fn a_phrase_that_wraps_is_reported_at_its_first_line() {
    let problems = typed_figures(&page("Intro.\n\nIt passed 100 runs in\na row."), &[]);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 3);
    assert!(problems[0].message.contains("`100 runs in a row`"));
}

#[test]
fn flags_durations_in_words() {
    // The review's example (labs/index.md, cpu-bound.md).
    assert_eq!(
        phrases("The defaults finish in a few seconds on a two-core machine."),
        ["a few seconds"]
    );
    for (text, phrase) in [
        ("It finishes in seconds.", "in seconds"),
        ("done within minutes", "within minutes"),
        ("after several seconds", "several seconds"),
        ("more than a couple of seconds", "a couple of seconds"),
        ("It waits ten seconds.", "ten seconds"),
        ("one to ten milliseconds", "one to ten milliseconds"),
        ("two hours", "two hours"),
        ("It takes half a second.", "half a second"),
        ("a tenth of a second", "a tenth of a second"),
        ("It takes about a second to start", "about a second"),
        ("The default is a second.", "a second"),
        ("a second or two", "a second"),
        ("for a minute", "a minute"),
        ("half an hour", "half an hour"),
        ("less than a millisecond", "a millisecond"),
        ("It takes 5 minutes.", "5 minutes"),
    ] {
        assert_eq!(phrases(text), [phrase], "{text}");
    }
}

#[test]
fn does_not_flag_what_describes_a_program() {
    for text in [
        // Small counts of things, not of runs.
        "one thread, two processes and four workers on 2 cores",
        "It forks once, or twice in an explanation of an algorithm.",
        "the first time, then the second time",
        // "a second" as an ordinal, also where the noun is on the next line.
        "It starts a second thread and a second table.",
        "Some exercises have a second\ntest.",
        "A second test runs several consumers at once.",
        "takes a second lock",
        // "runs" as a verb, "times" as a verb or without a number.
        "Each one runs its own loop; no one runs it twice.",
        "Pick two ones and three zeros.",
        "Python 3.13 runs the same code; the lab times it many times over.",
        "Exercise 5 runs the program; step 2 samples the counter.",
        "while ARMv8.0 runs a loop, and x86-64 times it",
        "Run it a few times: many times cheaper, W times as fast on W cores.",
        // Units named, not durations claimed.
        "the latency of each answer, in milliseconds.",
        "wall times, in nanoseconds, and the deadline in seconds",
        "MiB per second",
        // Directives and code are not prose.
        "It passed {{#value race/tests/runs}} runs in a row.",
        "Run `for i in $(seq 10); do cargo test; done` first (`10 runs`, in code).",
        "```sh\nfor i in 1 2 3; do cargo test; done # 3 runs\n```",
        "<!-- 100 runs in a row -->",
    ] {
        assert!(phrases(text).is_empty(), "{text}: {:?}", phrases(text));
    }
}

#[test]
fn allows_cited_counts_even_when_they_wrap() {
    let allowed = [Allowed {
        page: PathBuf::from("src/p.md"),
        phrase: "one to ten milliseconds".into(),
        why: "the folklore under test".into(),
    }];
    let text = "The folklore says a process takes one to ten\nmilliseconds to create.";
    assert!(typed_figures(&page(text), &allowed).is_empty());
    assert_eq!(
        typed_figures(&page("It takes ten milliseconds."), &allowed).len(),
        1
    );
}

#[test]
fn an_entry_whose_phrase_left_its_page_is_stale() {
    let entry = |phrase: &str| Allowed {
        page: PathBuf::from("src/p.md"),
        phrase: phrase.into(),
        why: "the lab's default".into(),
    };
    let pages = [page("Its deadline is five\nseconds by default.")];
    assert!(stale_entries(&[entry("five seconds by default")], &[9], &pages).is_empty());
    let stale = stale_entries(&[entry("2 MiB"), entry("five seconds")], &[9, 14], &pages);
    assert_eq!(stale.len(), 1);
    assert_eq!(
        stale[0].to_string(),
        format!("{ALLOW_LIST}:9: `2 MiB` is no longer on src/p.md: remove its entry")
    );
}

#[test]
fn the_message_names_the_phrase_and_the_fix() {
    let problems = typed_figures(&page("They passed 100 runs in a row."), &[]);
    let message = problems[0].to_string();
    assert!(message.starts_with("src/p.md:1: `100 runs in a row` is a count typed by hand"));
    for fix in [
        "render it from a result",
        "cite its source in",
        "or drop it",
    ] {
        assert!(message.contains(fix), "{message}");
    }
}
