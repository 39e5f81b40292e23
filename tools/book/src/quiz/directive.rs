//! The quiz directives as written in a page: `{{#quiz PATH}}`, `{{#quiz-index}}` and
//! `{{#quiz-drill}}`, found outside code, malformed ones reported with their line.

use super::*;

/// Which directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `{{#quiz PATH}}`, with the path as written.
    Quiz(String),
    /// `{{#quiz-index}}`
    Index,
    /// `{{#quiz-drill}}`
    Drill,
}

/// A quiz directive found in a page, outside code.
#[derive(Debug, Clone)]
pub struct Directive {
    pub kind: Kind,
    /// Byte range of the whole `{{#…}}` in the text.
    pub range: Range<usize>,
    /// 1-based line in the text.
    pub line: usize,
    /// The directive as written, for messages.
    pub text: String,
}

/// The directive names the quiz preprocessor expands.
pub const DIRECTIVES: [&str; 3] = ["quiz", "quiz-index", "quiz-drill"];

pub(super) static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    let names = crate::directive::names_pattern(&DIRECTIVES);
    Regex::new(&format!(r"{names}(\s[^}}]*)?\}}\}}")).expect("valid regex")
});

/// Anything that starts like one of our directives: a match not covered by [`DIRECTIVE`] is
/// malformed (say `{{#quiz x.toml}` or `{{#quizz …}}`) and would show up as raw text.
pub(super) static LOOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\?)\{\{#quiz[A-Za-z_-]*").expect("valid regex"));

/// The quiz directives of a Markdown text, skipping code spans, code blocks and `\{{#…}}`
/// escapes. Malformed ones come back as `Err` with their line and what is wrong.
pub fn scan_directives(text: &str) -> Vec<Result<Directive, (usize, String)>> {
    let code = markdown::code_ranges(text);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let line_of = |at: usize| line_of(text, at);
    let mut found = Vec::new();
    let mut covered = Vec::new();
    for caps in DIRECTIVE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        covered.push(whole.range());
        if !caps[1].is_empty() || in_code(whole.start()) {
            continue;
        }
        let args: Vec<&str> = caps
            .get(3)
            .map_or("", |m| m.as_str())
            .split_whitespace()
            .collect();
        let line = line_of(whole.start());
        let kind = match (&caps[2], args.as_slice()) {
            ("quiz", [path]) => Kind::Quiz((*path).to_owned()),
            ("quiz", _) => {
                let message = format!(
                    "`{}` takes exactly one path, e.g. {{{{#quiz ../quizzes/NAME.toml}}}}",
                    whole.as_str()
                );
                found.push(Err((line, message)));
                continue;
            }
            ("quiz-index", []) => Kind::Index,
            ("quiz-drill", []) => Kind::Drill,
            (name, _) => {
                found.push(Err((line, format!("{{{{#{name}}}}} takes no arguments"))));
                continue;
            }
        };
        found.push(Ok(Directive {
            kind,
            range: whole.range(),
            line,
            text: whole.as_str().to_owned(),
        }));
    }
    for m in LOOSE.find_iter(text) {
        let escaped = m.as_str().starts_with('\\');
        if escaped || in_code(m.start()) || covered.iter().any(|r| r.contains(&m.start())) {
            continue;
        }
        let message = format!(
            "malformed quiz directive `{}…`: expected {{{{#quiz PATH}}}}, {{{{#quiz-index}}}} \
             or {{{{#quiz-drill}}}}",
            m.as_str()
        );
        found.push(Err((line_of(m.start()), message)));
    }
    found
}

/// The well-formed quiz directives of a text, in order (see [`scan_directives`]).
pub fn directives(text: &str) -> Vec<Directive> {
    scan_directives(text).into_iter().flatten().collect()
}
