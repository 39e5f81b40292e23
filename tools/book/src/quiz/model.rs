//! Quizzes loaded and validated, as the widget receives them, and the loading itself.

use super::*;

// ---------------------------------------------------------------------------------------------
// Validated quizzes, as the widget receives them (JSON): Markdown already rendered to HTML, so
// the widget needs no Markdown parser, and choices already in display order.

/// A validated quiz.
#[derive(Debug, Clone, Serialize)]
pub struct Quiz {
    /// The file stem: `quizzes/NAME.toml` is quiz `NAME`.
    pub id: String,
    pub title: String,
    pub questions: Vec<Question>,
}

/// One question, ready for the widget.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub id: String,
    /// A hash of the question: a saved answer to an older version is not shown as this one's.
    pub rev: String,
    pub kind: QuestionKind,
    /// HTML.
    pub prompt: String,
    /// `Tracing`: the program, as plain text (the widget numbers its lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// `Single`/`Multi`: every choice in display order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// `Short`: accepted answers; `Tracing` that compiles: accepted outputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// `Short`/`Tracing`: explanations of answers a reader may give.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<Response>,
    /// `Short`: a multi-line response (`prompt.response = "long"` or `"code"`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub long: bool,
    /// `Tracing`: does the program compile?
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiles: Option<bool>,
    /// `Tracing` that does not compile: the line of the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// HTML shown after answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Multiple choice, one answer (radio buttons).
    Single,
    /// Multiple choice, one or more answers (checkboxes).
    Multi,
    /// A typed answer.
    Short,
    /// Predict the output: does it compile, and what does it print.
    Tracing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// HTML.
    pub html: String,
    pub correct: bool,
    /// HTML: why this choice is right or wrong.
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// The answer as the reader would type it.
    pub answer: String,
    /// HTML.
    pub why: String,
}

/// Every quiz under `root/quizzes/`, by id: `Err(())` for an invalid one, whose problems are
/// in the second list.
pub(super) fn load_all(root: &Path) -> (BTreeMap<String, Result<Quiz, ()>>, Vec<Problem>) {
    let mut quizzes = BTreeMap::new();
    let mut problems = Vec::new();
    for source in quiz_files(root) {
        let id = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        match load(root, &source) {
            Ok(quiz) => {
                quizzes.insert(id, Ok(quiz));
            }
            Err(errors) => {
                problems.extend(errors);
                quizzes.insert(id, Err(()));
            }
        }
    }
    (quizzes, problems)
}

/// `quizzes/*.toml`, relative to `root`, sorted.
pub fn quiz_files(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join(QUIZ_DIR)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| Some(Path::new(QUIZ_DIR).join(p.file_name()?)))
        .collect();
    files.sort();
    files
}

/// Reads and validates one quiz file (`source` relative to `root`). Every problem is located
/// in the file: a parse error at its line, a question's problem at its `[[questions]]` line.
pub fn load(root: &Path, source: &Path) -> Result<Quiz, Vec<Problem>> {
    let text = std::fs::read_to_string(root.join(source))
        .map_err(|e| vec![Problem::new(source, 1, format!("cannot read: {e}"))])?;
    let id = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    parse(&id, source, &text)
}

/// Validates a quiz's text; `source` only names it in problems.
pub fn parse(id: &str, source: &Path, text: &str) -> Result<Quiz, Vec<Problem>> {
    let toml_problem = |what: &str, e: toml::de::Error| {
        let line = e
            .span()
            .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
        Problem::new(source, line, format!("{what}: {}", e.message().trim()))
    };
    // The schema's own types first: a quiz must stay readable by mdbook-quiz. They ignore
    // unknown keys, so our extensions pass.
    toml::from_str::<mdbook_quiz_schema::Quiz>(text)
        .map_err(|e| vec![toml_problem("does not fit the mdbook-quiz schema", e)])?;
    let quiz: QuizToml =
        toml::from_str(text).map_err(|e| vec![toml_problem("is not a valid quiz", e)])?;

    let mut problems = Vec::new();
    if !is_id(id) {
        let message = "the file name must be a quiz id: letters, digits, `-` and `_`";
        problems.push(Problem::new(source, 1, message));
    }
    let title = quiz.title.unwrap_or_default();
    if title.trim().is_empty() {
        problems.push(Problem::new(
            source,
            1,
            "needs a `title` (before [[questions]])",
        ));
    }
    if quiz.questions.is_empty() {
        problems.push(Problem::new(source, 1, "has no [[questions]]"));
    }
    let multipart = quiz.multipart.unwrap_or_default();
    // `[[questions]]` headers, in order, to locate each question's problems.
    let header_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().replace(' ', "") == "[[questions]]")
        .map(|(i, _)| i + 1)
        .collect();
    let mut seen = BTreeMap::new();
    let mut questions = Vec::new();
    for (index, toml_question) in quiz.questions.into_iter().enumerate() {
        let line = header_lines.get(index).copied().unwrap_or(1);
        let qid = toml_question.id().unwrap_or_default().to_owned();
        let name = if qid.is_empty() {
            format!("question {}", index + 1)
        } else {
            format!("question {} (`{qid}`)", index + 1)
        };
        let mut errors = Vec::new();
        if qid.is_empty() {
            errors.push("needs an `id` (progress is saved under it)".to_owned());
        } else if !is_id(&qid) {
            errors.push("`id` may hold only letters, digits, `-` and `_`".to_owned());
        } else if let Some(first) = seen.insert(qid.clone(), index + 1) {
            errors.push(format!("`id` is the same as question {first}'s"));
        }
        match question(id, &qid, toml_question, &multipart) {
            Ok(q) if errors.is_empty() => questions.push(q),
            Ok(_) => {}
            Err(more) => errors.extend(more),
        }
        for error in errors {
            problems.push(Problem::new(source, line, format!("{name}: {error}")));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Quiz {
        id: id.to_owned(),
        title,
        questions,
    })
}

impl QuestionToml {
    pub(super) fn id(&self) -> Option<&str> {
        match self {
            QuestionToml::MultipleChoice(f) => f.id.as_deref(),
            QuestionToml::ShortAnswer(f) => f.id.as_deref(),
            QuestionToml::Tracing(f) => f.id.as_deref(),
        }
    }
}

pub(super) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
