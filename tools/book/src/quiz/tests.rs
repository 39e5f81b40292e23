use super::*;

const GOOD: &str = r#"
title = "Sample"

[[questions]]
id = "one"
type = "MultipleChoice"
prompt.prompt = "Pick *two*."
prompt.distractors = ["3"]
answer.answer = "2"
[questions.explanations]
"2" = "Right."
"3" = "Wrong."

[[questions]]
id = "many"
type = "MultipleChoice"
prompt.prompt = "Which are even?"
prompt.distractors = ["1"]
answer.answer = ["2", "4"]
[questions.explanations]
"1" = "Odd."
"2" = "Even."
"4" = "Even."

[[questions]]
id = "short"
type = "ShortAnswer"
prompt.prompt = "How many processes does `fork()` three times in a loop make?"
answer.answer = "8"
answer.alternatives = ["eight"]
context = "Each fork doubles them."
[questions.explanations]
"7" = "That is the new ones only."

[[questions]]
id = "trace"
type = "Tracing"
prompt.program = "fn main() {\n    let x = 1;\n    x = 2;\n}"
answer.doesCompile = false
answer.lineNumber = 3
context = "`x` is not `mut`."
"#;

fn problems_of(text: &str) -> String {
    match parse("sample", Path::new("quizzes/sample.toml"), text) {
        Ok(_) => String::new(),
        Err(problems) => crate::source::report(&problems),
    }
}

#[test]
fn a_good_quiz_validates_with_each_kind() {
    let quiz = parse("sample", Path::new("quizzes/sample.toml"), GOOD)
        .unwrap_or_else(|p| panic!("{}", crate::source::report(&p)));
    let kinds: Vec<QuestionKind> = quiz.questions.iter().map(|q| q.kind).collect();
    use QuestionKind::*;
    assert_eq!(kinds, [Single, Multi, Short, Tracing]);
    assert_eq!(quiz.questions[2].accepted, ["8", "eight"]);
    assert_eq!(quiz.questions[3].line, Some(3));
    assert!(quiz.questions[0].prompt.contains("<em>two</em>"));
}

#[test]
fn a_good_quiz_renders_as_its_expected_widget() {
    let quiz = parse("sample", Path::new("quizzes/sample.toml"), GOOD)
        .unwrap_or_else(|p| panic!("{}", crate::source::report(&p)));
    crate::fixture::assert_expected("quiz-sample.html", &quiz_html(&quiz));
}

#[test]
fn a_bad_answer_index_is_named_with_file_line_and_question() {
    let bad = GOOD.replace(
        "answer.answer = \"2\"",
        "answer.answer = \"2\"\nprompt.answerIndex = 5",
    );
    let report = problems_of(&bad);
    assert!(
        report.contains("quizzes/sample.toml:4: question 1 (`one`): `prompt.answerIndex` is 5"),
        "{report}"
    );
}

#[test]
fn every_choice_needs_an_explanation() {
    let bad = GOOD.replace("\"4\" = \"Even.\"\n", "");
    let report = problems_of(&bad);
    assert!(
        report.contains("question 2 (`many`): the correct answer `4` has no explanation"),
        "{report}"
    );
}

#[test]
fn misspelt_keys_duplicate_ids_and_missing_answers_are_errors() {
    let report = problems_of(&GOOD.replace("answer.alternatives", "answer.alternatvies"));
    assert!(report.contains("unknown field `alternatvies`"), "{report}");
    let report = problems_of(&GOOD.replace("id = \"many\"", "id = \"one\""));
    assert!(
        report.contains("`id` is the same as question 1's"),
        "{report}"
    );
    let report = problems_of(&GOOD.replace("answer.answer = [\"2\", \"4\"]", "answer.answer = []"));
    assert!(
        report.contains("mark at least one choice correct"),
        "{report}"
    );
    let report = problems_of(&GOOD.replace("answer.lineNumber = 3", "answer.lineNumber = 9"));
    assert!(report.contains("the program has lines 1 to 4"), "{report}");
    let report = problems_of(&GOOD.replace("prompt.distractors = [\"3\"]\n", ""));
    assert!(report.contains("mdbook-quiz schema"), "{report}");
}

#[test]
fn directives_in_code_are_not_expanded() {
    let text = "a\n\n{{#quiz ../quizzes/a.toml}}\n\n`{{#quiz x}}`\n\n```md\n{{#quiz-index}}\n```\n\n{{#quiz-drill}}\n{{#quiz}}\n";
    let found = scan_directives(text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        matches!(&found[0], Ok(d) if d.kind == Kind::Quiz("../quizzes/a.toml".into()) && d.line == 3)
    );
    assert!(matches!(&found[1], Ok(d) if d.kind == Kind::Drill && d.line == 11));
    assert!(matches!(&found[2], Err((12, _))));
}

#[test]
fn paths_resolve_into_the_quiz_folder() {
    let dir = Path::new("src/concepts");
    let root = Path::new("/nonexistent");
    assert!(
        resolve(root, dir, "../../quizzes/x.toml")
            .unwrap_err()
            .contains("does not exist")
    );
    assert!(
        resolve(root, dir, "../quizzes/x.toml")
            .unwrap_err()
            .contains("is not a quiz")
    );
    assert_eq!(
        normalize(Path::new("src/concepts/../../quizzes/x.toml")),
        Path::new("quizzes/x.toml")
    );
    assert_eq!(
        relative_href(Path::new("labs/race.md"), Path::new("concepts/thread.md")),
        "../concepts/thread.html"
    );
}

#[test]
fn json_in_a_script_cannot_close_it() {
    let script = json_script(&serde_json::json!({ "p": "</script><b>&" }));
    assert!(!script[8..script.len() - 9].contains('<'), "{script}");
    let inner =
        &script["<script type=\"application/json\">".len()..script.len() - "</script>".len()];
    let back: serde_json::Value = serde_json::from_str(inner).unwrap();
    assert_eq!(back["p"], "</script><b>&");
}
