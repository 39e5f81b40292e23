//! What the directives become: a quiz's widget, the index of every quiz, and the drill.

use super::*;

pub(super) struct Site<'a> {
    pub(super) quizzes: &'a BTreeMap<String, Result<Quiz, ()>>,
    /// Quiz id → the page (path in the book, e.g. `concepts/process.md`) it is placed on.
    pub(super) placements: &'a BTreeMap<String, PathBuf>,
    pub(super) drill_page: Option<PathBuf>,
    /// Every page, in the book's order.
    pub(super) book_order: Vec<PathBuf>,
}

/// What the index and the drill say about a quiz, besides the quiz itself.
#[derive(Serialize)]
pub(super) struct Listed<'a> {
    #[serde(flatten)]
    pub(super) quiz: &'a Quiz,
    /// The quiz's page, relative to the page showing the list.
    pub(super) href: Option<String>,
}

impl Site<'_> {
    /// The HTML replacing a directive on `page`. Raw HTML in Markdown ends at a blank line, so
    /// none is emitted: newlines inside rendered Markdown become `&#10;`.
    pub(super) fn expand(&self, page: &Path, directive: &Directive) -> String {
        match &directive.kind {
            Kind::Quiz(path) => {
                // `scan` checked that the path is `quizzes/ID.toml` and the quiz valid, or the
                // build stopped before expanding anything.
                let id = Path::new(path).file_stem().and_then(|s| s.to_str());
                match id.and_then(|id| self.quizzes.get(id)) {
                    Some(Ok(quiz)) => quiz_html(quiz),
                    _ => String::new(),
                }
            }
            Kind::Index => self.index_html(page),
            Kind::Drill => self.drill_html(page),
        }
    }

    fn valid(&self) -> impl Iterator<Item = &Quiz> {
        self.quizzes.values().filter_map(|q| q.as_ref().ok())
    }

    /// Quizzes in book order (placed ones, by their page's position), then unplaced by id.
    fn ordered(&self) -> Vec<&Quiz> {
        let mut list: Vec<&Quiz> = self.valid().collect();
        list.sort_by_key(|q| {
            let position = self
                .placements
                .get(&q.id)
                .and_then(|p| self.book_order.iter().position(|b| b == p));
            (position.is_none(), position, q.id.clone())
        });
        list
    }

    fn listed<'q>(&self, page: &Path, quiz: &'q Quiz) -> Listed<'q> {
        Listed {
            quiz,
            href: self
                .placements
                .get(&quiz.id)
                .map(|p| relative_href(page, p)),
        }
    }

    fn index_html(&self, page: &Path) -> String {
        let quizzes = self.ordered();
        let drill = self.drill_page.as_ref().map(|d| relative_href(page, d));
        #[derive(Serialize)]
        struct IndexEntry<'a> {
            id: &'a str,
            questions: Vec<[&'a str; 2]>,
        }
        let entries: Vec<IndexEntry> = quizzes
            .iter()
            .map(|q| IndexEntry {
                id: &q.id,
                questions: q
                    .questions
                    .iter()
                    .map(|x| [x.id.as_str(), x.rev.as_str()])
                    .collect(),
            })
            .collect();
        let mut html = String::from("<div class=\"tvp-quiz-index\">");
        html.push_str(&json_script(&serde_json::json!({
            "drill": drill,
            "quizzes": entries,
        })));
        if quizzes.is_empty() {
            html.push_str("<p>No quizzes yet.</p></div>");
            return html;
        }
        html.push_str(
            "<table><thead><tr><th>Quiz</th><th>Questions</th><th>Your progress</th>\
             <th>Practise</th></tr></thead><tbody>",
        );
        for quiz in &quizzes {
            let listed = self.listed(page, quiz);
            let title = escape(&quiz.title);
            let name = match &listed.href {
                Some(href) => format!("<a href=\"{}\">{title}</a>", escape(href)),
                None => format!("{title} <small>(not on a page yet)</small>"),
            };
            let practise = match &drill {
                Some(d) => format!(
                    "<a href=\"{}#quiz={}\">drill</a>",
                    escape(d),
                    escape(&quiz.id)
                ),
                None => String::new(),
            };
            let _ = write!(
                html,
                "<tr data-quiz-id=\"{}\"><td>{name}</td><td>{}</td>\
                 <td class=\"tvp-quiz-progress\">–</td><td>{practise}</td></tr>",
                escape(&quiz.id),
                quiz.questions.len()
            );
        }
        html.push_str("</tbody></table></div>");
        html
    }

    fn drill_html(&self, page: &Path) -> String {
        let quizzes: Vec<Listed> = self
            .ordered()
            .into_iter()
            .map(|q| self.listed(page, q))
            .collect();
        let mut html = String::from("<div class=\"tvp-quiz-drill\">");
        html.push_str(&json_script(&serde_json::json!({ "quizzes": quizzes })));
        html.push_str(
            "<noscript><p>The drill needs JavaScript: it draws questions in a random order in \
             your browser. Every quiz is also on its chapter's page.</p></noscript></div>",
        );
        html
    }
}

/// A quiz's HTML: the data for the widget, and the questions with their answers (in
/// `<details>`) for a reader without JavaScript.
pub fn quiz_html(quiz: &Quiz) -> String {
    let mut html = format!(
        "<div class=\"tvp-quiz\" data-quiz-id=\"{}\">",
        escape(&quiz.id)
    );
    html.push_str(&json_script(quiz));
    let mut fallback = format!(
        "<div class=\"tvp-quiz-static\"><p><strong>Quiz: {}</strong> (turn on JavaScript to \
         answer here and keep your progress)</p><ol>",
        escape(&quiz.title)
    );
    for q in &quiz.questions {
        fallback.push_str("<li>");
        fallback.push_str(&q.prompt);
        if let Some(program) = &q.program {
            let _ = write!(
                fallback,
                "<pre><code class=\"language-rust\">{}</code></pre>",
                escape(program)
            );
        }
        if !q.choices.is_empty() {
            fallback.push_str("<ul>");
            for c in &q.choices {
                let _ = write!(fallback, "<li>{}</li>", c.html);
            }
            fallback.push_str("</ul>");
        }
        fallback.push_str("<details><summary>Answer</summary>");
        match q.kind {
            QuestionKind::Single | QuestionKind::Multi => {
                fallback.push_str("<ul>");
                for c in &q.choices {
                    let verdict = if c.correct { "Right" } else { "Wrong" };
                    let _ = write!(
                        fallback,
                        "<li><strong>{verdict}:</strong> {} {}</li>",
                        c.html, c.why
                    );
                }
                fallback.push_str("</ul>");
            }
            QuestionKind::Short => {
                let accepted: Vec<String> = q.accepted.iter().map(|a| escape(a)).collect();
                let _ = write!(fallback, "<p>{}</p>", accepted.join(" or "));
            }
            QuestionKind::Tracing => match q.line {
                Some(line) => {
                    let _ = write!(
                        fallback,
                        "<p>It does not compile: the error is on line {line}.</p>"
                    );
                }
                None => {
                    fallback.push_str("<p>It compiles and prints:</p>");
                    for (i, out) in q.accepted.iter().enumerate() {
                        if i > 0 {
                            fallback.push_str("<p>or, as validly:</p>");
                        }
                        let _ = write!(fallback, "<pre><code>{}</code></pre>", escape(out));
                    }
                }
            },
        }
        for r in &q.responses {
            let _ = write!(fallback, "<p><em>{}</em>: </p>{}", escape(&r.answer), r.why);
        }
        if let Some(context) = &q.context {
            fallback.push_str(context);
        }
        fallback.push_str("</details></li>");
    }
    fallback.push_str("</ol></div>");
    html.push_str("<noscript>");
    html.push_str(&fallback.replace('\n', "&#10;"));
    html.push_str("</noscript></div>");
    html
}

/// JSON in a `<script>` that the page's HTML parser cannot end early: `<`, `>` and `&` are
/// written as JSON escapes (so `</script>` in a prompt stays text), which `JSON.parse` reads
/// back unchanged.
pub(super) fn json_script(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("quiz data serializes");
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!("<script type=\"application/json\">{json}</script>")
}

/// The link from one page of the book to another (both paths relative to `src/`), as the
/// built HTML needs it: `.md` becomes `.html`.
pub(super) fn relative_href(from: &Path, to: &Path) -> String {
    let depth = from.parent().map_or(0, |p| p.components().count());
    let mut href = "../".repeat(depth);
    href.push_str(
        &to.with_extension("html")
            .to_string_lossy()
            .replace('\\', "/"),
    );
    href
}
