//! One authored question validated and rendered for the widget, in named steps: the parts
//! every kind shares, then the kind's own rules.

use super::*;

/// Validates one question and renders it for the widget. Every error found is returned, in
/// the order the steps find them: the shared parts first, then the kind's own rules.
pub(super) fn question(
    quiz_id: &str,
    qid: &str,
    q: QuestionToml,
    multipart: &BTreeMap<String, String>,
) -> Result<Question, Vec<String>> {
    let mut step = Step {
        out: Question {
            id: qid.to_owned(),
            rev: String::new(),
            kind: QuestionKind::Short,
            prompt: String::new(),
            program: None,
            choices: Vec::new(),
            accepted: Vec::new(),
            responses: Vec::new(),
            long: false,
            compiles: None,
            line: None,
            context: None,
        },
        prompt: String::new(),
        errors: Vec::new(),
    };
    step.shared_parts(&q, multipart);
    match q {
        QuestionToml::MultipleChoice(f) => step.multiple_choice(f, &format!("{quiz_id}/{qid}")),
        QuestionToml::ShortAnswer(f) => step.short_answer(f),
        QuestionToml::Tracing(f) => step.tracing(f),
    }
    step.finish()
}

/// A question being validated: what it becomes, its prompt so far, and the errors found.
struct Step {
    out: Question,
    /// HTML: the multipart group's text, then the question's own prompt.
    prompt: String,
    errors: Vec<String>,
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

impl Step {
    fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    /// The parts every kind shares: the multipart group's text, the explanations (none
    /// empty), and the context shown after an answer.
    fn shared_parts(&mut self, q: &QuestionToml, multipart: &BTreeMap<String, String>) {
        let (group, context, explanations) = match q {
            QuestionToml::MultipleChoice(f) => (&f.multipart, &f.context, &f.explanations),
            QuestionToml::ShortAnswer(f) => (&f.multipart, &f.context, &f.explanations),
            QuestionToml::Tracing(f) => (&f.multipart, &f.context, &f.explanations),
        };
        if let Some(group) = group {
            match multipart.get(group) {
                Some(text) => {
                    let _ = write!(
                        self.prompt,
                        "<div class=\"tvp-quiz-part\">{}</div>",
                        markdown::to_html(text)
                    );
                }
                None => self.error(format!(
                    "`multipart = \"{group}\"` is not a key of the quiz's [multipart] table"
                )),
            }
        }
        for (answer, why) in explanations {
            if blank(why) {
                self.error(format!("the explanation of `{answer}` is empty"));
            }
        }
        self.out.context = context
            .as_deref()
            .filter(|c| !blank(c))
            .map(markdown::to_html);
    }

    /// The question's own prompt, which must not be empty.
    fn prompt(&mut self, text: &str) {
        if blank(text) {
            self.error("`prompt.prompt` is empty");
        }
        self.prompt.push_str(&markdown::to_html(text));
    }

    /// Single choice (one answer) or multi-select (a list): choices, their explanations,
    /// their order. `seed` names the question, for a reproducible shuffle.
    fn multiple_choice(&mut self, f: Fields<ChoicePrompt, ChoiceAnswer>, seed: &str) {
        self.prompt(&f.prompt.prompt);
        let (answers, multi) = match f.answer.answer {
            OneOrMany::One(a) => (vec![a], false),
            OneOrMany::Many(list) => (list, true),
        };
        self.out.kind = if multi {
            QuestionKind::Multi
        } else {
            QuestionKind::Single
        };
        if answers.is_empty() {
            self.error("`answer.answer` is an empty list: mark at least one choice correct");
        }
        if !multi && f.prompt.distractors.is_empty() {
            self.error("a single-choice question needs `prompt.distractors`");
        }
        self.answer_index(&f.prompt, multi);
        let choices = self.choices(&answers, &f.prompt.distractors, &f.explanations);
        self.out.choices = order_choices(
            choices,
            f.prompt.answer_index.filter(|_| self.errors.is_empty()),
            f.prompt.sort_answers == Some(true),
            seed,
        );
    }

    /// `prompt.answerIndex` places the one answer among the distractors, and does not fight
    /// `prompt.sortAnswers`.
    fn answer_index(&mut self, prompt: &ChoicePrompt, multi: bool) {
        let Some(index) = prompt.answer_index else {
            return;
        };
        if multi {
            self.error("`prompt.answerIndex` places one answer; this question has a list");
        } else if index > prompt.distractors.len() {
            self.error(format!(
                "`prompt.answerIndex` is {index}, but there are only {} choices (indexes 0 to {})",
                prompt.distractors.len() + 1,
                prompt.distractors.len()
            ));
        }
        if prompt.sort_answers == Some(true) {
            self.error("`prompt.answerIndex` and `prompt.sortAnswers` disagree on the order");
        }
    }

    /// Every choice, answers first: non-empty, distinct, each explained, and no explanation
    /// of something that is not a choice.
    fn choices(
        &mut self,
        answers: &[String],
        distractors: &[String],
        explanations: &BTreeMap<String, String>,
    ) -> Vec<Choice> {
        let mut texts = BTreeSet::new();
        let all = answers
            .iter()
            .map(|a| (a, true))
            .chain(distractors.iter().map(|d| (d, false)));
        let mut choices = Vec::new();
        for (text, correct) in all {
            if blank(text) {
                self.error("a choice is empty");
            }
            if !texts.insert(text.as_str()) {
                self.error(format!("the choice `{text}` appears twice"));
            }
            let why = match explanations.get(text) {
                Some(why) => markdown::to_html(why),
                None => {
                    let side = if correct {
                        "correct answer"
                    } else {
                        "distractor"
                    };
                    self.error(format!(
                        "the {side} `{text}` has no explanation: add `{} = \"why…\"` under \
                         [questions.explanations]",
                        toml_key(text)
                    ));
                    String::new()
                }
            };
            choices.push(Choice {
                html: inline_markdown(text),
                correct,
                why,
            });
        }
        for key in explanations.keys() {
            if !texts.contains(key.as_str()) {
                self.error(format!(
                    "[questions.explanations] explains `{key}`, which is not a choice \
                     (keys must be a choice's exact text)"
                ));
            }
        }
        choices
    }

    /// A typed answer: the accepted answers (none empty), the size of the box, and a
    /// context that explains the answer.
    fn short_answer(&mut self, f: Fields<ShortPrompt, ShortAnswer>) {
        self.prompt(&f.prompt.prompt);
        self.out.long = match f.prompt.response.as_deref() {
            None | Some("short") => false,
            Some("long" | "code") => true,
            Some(other) => {
                self.error(format!(
                    "`prompt.response` is `{other}`; it may be short, long or code"
                ));
                false
            }
        };
        self.out.accepted = std::iter::once(f.answer.answer)
            .chain(f.answer.alternatives.unwrap_or_default())
            .collect();
        if self.out.accepted.iter().any(|a| blank(a)) {
            self.error("`answer.answer` and every alternative must be non-empty");
        }
        self.needs_context();
        self.out.responses = responses(&f.explanations);
    }

    /// A program to trace: it compiles and prints `stdout` (or an alternative), or it fails
    /// at a line that exists; never both.
    fn tracing(&mut self, f: Fields<TracingPrompt, TracingAnswer>) {
        self.out.kind = QuestionKind::Tracing;
        let lead = f.prompt.prompt.as_deref().unwrap_or(
            "Does this program compile? If it does, what does it print? If not, on which \
             line is the error?",
        );
        self.prompt.push_str(&markdown::to_html(lead));
        if blank(&f.prompt.program) {
            self.error("`prompt.program` is empty");
        }
        let program = f.prompt.program.trim_end().to_owned();
        let lines = program.lines().count();
        self.out.compiles = Some(f.answer.does_compile);
        match (f.answer.does_compile, f.answer.stdout, f.answer.line_number) {
            (true, Some(stdout), None) => {
                self.out.accepted = std::iter::once(stdout)
                    .chain(f.answer.alternatives.unwrap_or_default())
                    .collect();
            }
            (true, None, _) => self.error("`answer.doesCompile = true` needs `answer.stdout`"),
            (true, Some(_), Some(_)) => {
                self.error("a program that compiles has no `answer.lineNumber`")
            }
            (false, None, Some(line)) if (1..=lines).contains(&line) => {
                self.out.line = Some(line);
                if f.answer.alternatives.is_some() {
                    self.error("`answer.alternatives` are outputs; this program does not compile");
                }
            }
            (false, None, Some(line)) => self.error(format!(
                "`answer.lineNumber` is {line}, but the program has lines 1 to {lines}"
            )),
            (false, _, None) => {
                self.error("`answer.doesCompile = false` needs `answer.lineNumber`")
            }
            (false, Some(_), _) => {
                self.error("a program that does not compile has no `answer.stdout`")
            }
        }
        self.needs_context();
        self.out.program = Some(program);
        self.out.responses = responses(&f.explanations);
    }

    fn needs_context(&mut self) {
        if self.out.context.is_none() {
            self.error("needs a `context` explaining the answer");
        }
    }

    /// The question, with its prompt and its revision (a hash of the question, so a saved
    /// answer to an older version is not shown as this one's); or every error.
    fn finish(mut self) -> Result<Question, Vec<String>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        self.out.prompt = self.prompt;
        self.out.rev = format!(
            "{:08x}",
            fnv1a(&serde_json::to_vec(&self.out).unwrap_or_default()) as u32
        );
        Ok(self.out)
    }
}

pub(super) fn responses(explanations: &BTreeMap<String, String>) -> Vec<Response> {
    explanations
        .iter()
        .map(|(answer, why)| Response {
            answer: answer.clone(),
            why: markdown::to_html(why),
        })
        .collect()
}

/// A TOML key for a choice, as the author would write it under [questions.explanations].
pub(super) fn toml_key(text: &str) -> String {
    if is_id(text) {
        text.to_owned()
    } else if !text.contains('\'') && !text.contains('\n') {
        format!("'{text}'")
    } else {
        format!("{text:?}")
    }
}

/// mdbook-quiz's order: the answer at `answer_index` among the distractors as written, or
/// sorted by text, or shuffled. The shuffle is seeded by the question, so it is the same on
/// every build and a saved answer's choice stays put.
pub(super) fn order_choices(
    mut choices: Vec<Choice>,
    answer_index: Option<usize>,
    sort: bool,
    seed: &str,
) -> Vec<Choice> {
    if let Some(index) = answer_index {
        let answer = choices.remove(0);
        choices.insert(index.min(choices.len()), answer);
    } else if sort {
        choices.sort_by(|a, b| a.html.cmp(&b.html));
    } else {
        let mut state = fnv1a(seed.as_bytes()) | 1;
        for i in (1..choices.len()).rev() {
            // xorshift64: enough to deal cards.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = (state % (i as u64 + 1)) as usize;
            choices.swap(i, j);
        }
    }
    choices
}

pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Markdown for a choice: one paragraph loses its `<p>`, so it sits beside a radio button.
pub(super) fn inline_markdown(text: &str) -> String {
    let html = markdown::to_html(text);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html,
    }
}
