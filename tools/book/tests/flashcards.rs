//! `cargo book flashcards` as a reader runs it: it writes the Anki file where `--out` says,
//! one row per question, and a folder that does not exist is a one-line error with exit
//! status 1, not a panic.

use book::fixture::BookTest;
use book::quiz::flashcards::HEADERS;
use std::process::{Command, Output};

/// A checkout with one quiz of two questions on its only chapter.
fn checkout_with_a_quiz() -> BookTest {
    let quiz = "title = \"Q\"\n\n\
        [[questions]]\nid = \"one\"\ntype = \"ShortAnswer\"\nprompt.prompt = \"One?\"\n\
        answer.answer = \"1\"\ncontext = \"Counted.\"\n\n\
        [[questions]]\nid = \"two\"\ntype = \"ShortAnswer\"\nprompt.prompt = \"Two?\"\n\
        answer.answer = \"2\"\ncontext = \"Counted again.\"\n";
    BookTest::new("Cards")
        .checkout()
        .chapter("Only", "only.md", "# Only\n\n{{#quiz ../quizzes/q.toml}}\n")
        .file("quizzes/q.toml", quiz)
}

fn flashcards(book: &BookTest, out: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_book"))
        .arg("flashcards")
        .arg("--out")
        .arg(out)
        .current_dir(book.root())
        .output()
        .unwrap()
}

#[test]
fn writes_one_row_per_question_where_out_says() {
    let book = checkout_with_a_quiz();
    let out = book.root().join("cards.txt");
    let run = flashcards(&book, &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("Wrote 2 flashcards"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..HEADERS.len()], HEADERS);
    let rows = &lines[HEADERS.len()..];
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        assert_eq!(row.split('\t').count(), 5, "{row}");
        assert!(row.starts_with("cards/q/"), "{row}");
    }
}

#[test]
fn an_out_folder_that_does_not_exist_is_a_one_line_error() {
    let book = checkout_with_a_quiz();
    let out = book.root().join("no-such-folder/cards.txt");
    let run = flashcards(&book, &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-folder"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(!out.exists());
}
