//! The quiz format as authored in `quizzes/*.toml`: mdbook-quiz's schema and our additions,
//! read with serde (unknown keys are errors).

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuizToml {
    pub(super) title: Option<String>,
    pub(super) questions: Vec<QuestionToml>,
    pub(super) multipart: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
pub(super) enum QuestionToml {
    MultipleChoice(Fields<ChoicePrompt, ChoiceAnswer>),
    ShortAnswer(Fields<ShortPrompt, ShortAnswer>),
    Tracing(Fields<TracingPrompt, TracingAnswer>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Fields<P, A> {
    pub(super) id: Option<String>,
    pub(super) multipart: Option<String>,
    pub(super) prompt: P,
    pub(super) answer: A,
    pub(super) context: Option<String>,
    /// mdbook-quiz asks the reader to justify an answer for its telemetry; we have none, so it
    /// is accepted and ignored.
    #[allow(dead_code)]
    pub(super) prompt_explanation: Option<bool>,
    /// Ours: choice (or anticipated answer) → why it is right or wrong.
    #[serde(default)]
    pub(super) explanations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ChoicePrompt {
    pub(super) prompt: String,
    pub(super) distractors: Vec<String>,
    pub(super) answer_index: Option<usize>,
    pub(super) sort_answers: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChoiceAnswer {
    pub(super) answer: OneOrMany,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShortPrompt {
    pub(super) prompt: String,
    pub(super) response: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShortAnswer {
    pub(super) answer: String,
    pub(super) alternatives: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TracingPrompt {
    pub(super) program: String,
    /// Ours: text above the program.
    pub(super) prompt: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TracingAnswer {
    pub(super) does_compile: bool,
    pub(super) stdout: Option<String>,
    pub(super) line_number: Option<usize>,
    /// Ours: other outputs that are as right as `stdout` (nondeterministic programs).
    pub(super) alternatives: Option<Vec<String>>,
}
