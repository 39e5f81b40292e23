//! Flashcards: every quiz question, with its answer and explanation, as a plain-text file that
//! Anki imports (File → Import), for readers who drill outside the browser.
//! `cargo book flashcards [--out FILE]` writes it, and every build writes it into the built
//! book as [`FILE_NAME`], which the interview page links as a download.
//!
//! It lives in `quiz/` because it is another rendering of the quizzes: it reads the questions
//! the loader validated and rendered (Markdown already HTML, choices in the widget's order) and
//! the placements of the quizzes on pages, which are private to this feature. A second loader
//! would drift from the one the widget uses.
//!
//! # The file
//!
//! Anki's text import, as its manual describes it ("Importing → Text Files → File Headers",
//! <https://docs.ankiweb.net/importing/text-files.html>) and as its importer reads it
//! (`rslib/src/import_export/text/csv/metadata.rs` and `import.rs` in Anki's source). UTF-8,
//! one note per line, fields separated by tabs, after these header lines (the separator comes
//! first: Anki splits `#columns` with it; `⇥` stands for a tab here):
//!
//! ```text
//! #separator:tab
//! #html:true
//! #notetype:Basic
//! #columns:GUID⇥Deck⇥Tags⇥Front⇥Back
//! #guid column:1
//! #deck column:2
//! #tags column:3
//! ```
//!
//! | Column | Holds |
//! |---|---|
//! | 1, GUID | `threads-vs-processes/QUIZ/QUESTION`: the note's id, so importing a newer file updates the cards instead of adding copies. |
//! | 2, Deck | `Threads vs Processes::CHAPTER`: one deck per chapter, named by SUMMARY.md; a quiz on no page gets a deck named by its title. Anki creates a missing deck. |
//! | 3, Tags | `threads-vs-processes::chapter::SLUG` (the page's path, `labs/spawn-cost.md` → `labs-spawn-cost`) and `threads-vs-processes::kind::KIND` (`single`, `multi`, `short` or `tracing`), separated by a space. |
//! | 4, Front | HTML: the prompt; the choices lettered A, B, … for multiple choice; the program with numbered lines for tracing. |
//! | 5, Back | HTML: the right choice(s) by letter with why, then why each other choice is wrong; or the accepted answer(s), or what the program prints or the line of its error; then the question's context and the explanations of likely answers. |
//!
//! The note type is Anki's stock `Basic` (fields Front and Back, matched by the `#columns`
//! names). In an Anki whose note types are named in another language, the import dialog
//! falls back to the current note type and fills its fields in column order: Front, then Back.
//!
//! # Escaping
//!
//! The fields are HTML (`#html:true`), so a row stays one line without quoting: a tab or a
//! newline in a field is written as the character reference `&#9;` or `&#10;` (inside `<pre>`
//! a reference is still a line break), and a carriage return is dropped. Anki's reader treats
//! a `"` at the start of a field as an opening quote and a `#` at the start of a line as a
//! comment: the GUID starts every line with a letter, the HTML fields start with `<`, and a
//! leading `"` of the other fields is written as a typographic quote.

use super::*;
use anyhow::Context as _;
use mdbook_driver::MDBook;

/// The file's name in the built book, beside `index.html`.
pub const FILE_NAME: &str = "flashcards.txt";

/// The columns, in order, as `#columns` names them.
pub const COLUMNS: [&str; 5] = ["GUID", "Deck", "Tags", "Front", "Back"];

/// The header lines, each without its newline.
pub const HEADERS: [&str; 7] = [
    "#separator:tab",
    "#html:true",
    "#notetype:Basic",
    "#columns:GUID\tDeck\tTags\tFront\tBack",
    "#guid column:1",
    "#deck column:2",
    "#tags column:3",
];

/// One note: a question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// `BOOK/QUIZ/QUESTION`, with the book's title as a slug.
    pub guid: String,
    /// `BOOK::CHAPTER`.
    pub deck: String,
    pub tags: Vec<String>,
    /// HTML.
    pub front: String,
    /// HTML.
    pub back: String,
}

/// `cargo book flashcards`: writes the file to `out`, or to `target/flashcards.txt` under the
/// root, and says where.
pub fn run(root: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let book =
        MDBook::load(root).with_context(|| format!("loading the book at {}", root.display()))?;
    let out = out.map_or_else(|| root.join("target").join(FILE_NAME), Path::to_path_buf);
    let count = write(root, &book, &out)?;
    println!("Wrote {count} flashcards to {}", out.display());
    Ok(())
}

/// Writes every card of the book loaded from `root` to `out`; returns how many.
pub fn write(root: &Path, book: &MDBook, out: &Path) -> anyhow::Result<usize> {
    let cards = cards(root, book)?;
    std::fs::write(out, text(&cards))
        .with_context(|| format!("writing the flashcards to {}", out.display()))?;
    Ok(cards.len())
}

/// Every question of every valid quiz, in the book's order: quizzes by the position of their
/// page in SUMMARY.md (then the quizzes on no page, by id), questions as in their file.
/// A quiz problem is an error: the build reports it first, `cargo book check` in full.
pub fn cards(root: &Path, book: &MDBook) -> anyhow::Result<Vec<Card>> {
    let title = book
        .config
        .book
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Quizzes".to_owned());
    let src = &book.config.book.src;
    let (quizzes, mut problems) = load_all(root);
    // The chapters as mdBook loaded them (before any preprocessor): their names for the decks,
    // and their directives for the placements.
    let mut pages = Vec::new();
    let mut names = BTreeMap::new();
    for item in book.book.iter() {
        let BookItem::Chapter(chapter) = item else {
            continue;
        };
        let (Some(path), Some(source)) = (&chapter.path, &chapter.source_path) else {
            continue;
        };
        let scan = scan(root, &src.join(source), &chapter.content, None);
        problems.extend(scan.problems);
        names.insert(path.clone(), chapter.name.clone());
        pages.push((path.clone(), scan.found));
    }
    let placed = placements(&pages, &quizzes, &mut problems);
    anyhow::ensure!(
        problems.is_empty(),
        "{} quiz problem(s), so no flashcards (`cargo book check` lists them): {}",
        problems.len(),
        problems[0]
    );
    let order: Vec<&PathBuf> = pages.iter().map(|(path, _)| path).collect();
    let mut list: Vec<&Quiz> = quizzes.values().filter_map(|q| q.as_ref().ok()).collect();
    list.sort_by_key(|q| {
        let position = placed
            .get(&q.id)
            .and_then(|page| order.iter().position(|p| *p == page));
        (position.is_none(), position, q.id.clone())
    });

    let book_slug = slug(&title);
    let mut cards = Vec::new();
    for quiz in list {
        let page = placed.get(&quiz.id);
        let chapter = page
            .and_then(|p| names.get(p))
            .unwrap_or(&quiz.title)
            .as_str();
        let chapter_slug = match page {
            Some(p) => slug(&p.with_extension("").to_string_lossy()),
            None => format!("quiz-{}", slug(&quiz.id)),
        };
        for question in &quiz.questions {
            cards.push(Card {
                guid: format!("{book_slug}/{}/{}", quiz.id, question.id),
                deck: format!("{}::{}", deck_part(&title), deck_part(chapter)),
                tags: vec![
                    format!("{book_slug}::chapter::{chapter_slug}"),
                    format!("{book_slug}::kind::{}", kind_name(question.kind)),
                ],
                front: front(question),
                back: back(question),
            });
        }
    }
    Ok(cards)
}

/// The file: the headers, then one line per card.
pub fn text(cards: &[Card]) -> String {
    let mut out = String::new();
    for header in HEADERS {
        out.push_str(header);
        out.push('\n');
    }
    for card in cards {
        let fields = [
            plain_field(&card.guid),
            plain_field(&card.deck),
            plain_field(&card.tags.join(" ")),
            html_field(&card.front),
            html_field(&card.back),
        ];
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

/// `single`, `multi`, `short` or `tracing`, as the widget's JSON names the kinds.
pub fn kind_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Single => "single",
        QuestionKind::Multi => "multi",
        QuestionKind::Short => "short",
        QuestionKind::Tracing => "tracing",
    }
}

/// An HTML field on one line: tabs and newlines as character references.
fn html_field(html: &str) -> String {
    html.replace('\r', "")
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
}

/// A field Anki reads as text (GUID, deck, tags): whitespace that would end the field or the
/// line becomes a space, and a leading `"`, which would open a quoted field, a `“`.
fn plain_field(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    match one_line.strip_prefix('"') {
        Some(rest) => format!("“{rest}"),
        None => one_line,
    }
}

/// A deck name's level: `::` separates levels in Anki, so a title's own `::` becomes `:`.
fn deck_part(name: &str) -> String {
    name.trim().replace("::", ":")
}

/// Lower case, letters and digits, words joined by `-`: a tag has no spaces.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// `A`, `B`, … `Z`, then `27`, …: the choices' labels.
fn letter(index: usize) -> String {
    match u8::try_from(index).ok().filter(|&i| i < 26) {
        Some(i) => char::from(b'A' + i).to_string(),
        None => (index + 1).to_string(),
    }
}

fn front(q: &Question) -> String {
    let mut html = q.prompt.clone();
    if let Some(program) = &q.program {
        // Numbered, as the widget shows it: the answer may be a line number.
        let width = program.lines().count().to_string().len();
        let numbered: Vec<String> = program
            .lines()
            .enumerate()
            .map(|(i, line)| format!("{:>width$}  {}", i + 1, escape(line)))
            .collect();
        let _ = write!(html, "<pre><code>{}</code></pre>", numbered.join("\n"));
    }
    if !q.choices.is_empty() {
        html.push_str("<ol type=\"A\">");
        for choice in &q.choices {
            let _ = write!(html, "<li>{}</li>", choice.html);
        }
        html.push_str("</ol>");
    }
    if q.kind == QuestionKind::Multi {
        html.push_str("<p><em>Choose every right answer.</em></p>");
    }
    html
}

fn back(q: &Question) -> String {
    let mut html = String::new();
    match q.kind {
        QuestionKind::Single | QuestionKind::Multi => {
            let (right, wrong): (Vec<_>, Vec<_>) =
                q.choices.iter().enumerate().partition(|(_, c)| c.correct);
            for (i, choice) in right {
                let _ = write!(
                    html,
                    "<p><strong>Right: {}.</strong> {}</p>{}",
                    letter(i),
                    choice.html,
                    choice.why
                );
            }
            if !wrong.is_empty() {
                html.push_str("<p>The other choices:</p><ul>");
                for (i, choice) in wrong {
                    let _ = write!(
                        html,
                        "<li><strong>{}.</strong> {}{}</li>",
                        letter(i),
                        choice.html,
                        choice.why
                    );
                }
                html.push_str("</ul>");
            }
        }
        QuestionKind::Short => {
            if let Some((first, others)) = q.accepted.split_first() {
                let _ = write!(html, "<p><strong>Answer:</strong> {}</p>", escape(first));
                if !others.is_empty() {
                    let others: Vec<String> = others.iter().map(|a| escape(a)).collect();
                    let _ = write!(html, "<p>Also accepted: {}</p>", others.join(", "));
                }
            }
        }
        QuestionKind::Tracing => match q.line {
            Some(line) => {
                let _ = write!(
                    html,
                    "<p><strong>It does not compile:</strong> the error is on line {line}.</p>"
                );
            }
            None => {
                html.push_str("<p><strong>It compiles and prints:</strong></p>");
                for (i, out) in q.accepted.iter().enumerate() {
                    if i > 0 {
                        html.push_str("<p>or, as validly:</p>");
                    }
                    let _ = write!(html, "<pre><code>{}</code></pre>", escape(out));
                }
            }
        },
    }
    if let Some(context) = &q.context {
        html.push_str(context);
    }
    for r in &q.responses {
        let _ = write!(html, "<p><em>{}</em>:</p>{}", escape(&r.answer), r.why);
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::BookTest;
    use std::collections::BTreeSet;

    /// The file as Anki's importer splits it: the header lines it reads (a `#` line before
    /// the first note), then each note's fields.
    fn parse(text: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines.last(), Some(&""), "the file ends with a newline");
        let lines = &lines[..lines.len() - 1];
        let headers = lines.iter().take_while(|l| l.starts_with('#')).copied();
        let headers: Vec<&str> = headers.collect();
        let rows = lines[headers.len()..]
            .iter()
            .map(|line| {
                assert!(!line.starts_with('#'), "a note Anki would skip: {line}");
                line.split('\t').collect::<Vec<_>>()
            })
            .collect();
        (headers, rows)
    }

    fn cards_of(root: &Path) -> Vec<Card> {
        let book = MDBook::load(root).unwrap();
        cards(root, &book).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn every_question_of_the_book_is_one_card_that_reads_back() {
        let root = crate::repo_root();
        let book = MDBook::load(&root).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join(FILE_NAME);
        let count = write(&root, &book, &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let (headers, rows) = parse(&text);
        assert_eq!(headers, HEADERS);
        assert_eq!(rows.len(), count);

        // What the quiz loader returns, question by question.
        let mut expected = BTreeMap::new();
        for source in quiz_files(&root) {
            let quiz = load(&root, &source).unwrap_or_else(|p| panic!("{p:?}"));
            for q in quiz.questions {
                let guid = format!("threads-vs-processes/{}/{}", quiz.id, q.id);
                assert!(expected.insert(guid, q).is_none());
            }
        }
        assert!(!expected.is_empty(), "the book has quizzes");
        let mut seen = BTreeSet::new();
        for row in &rows {
            assert_eq!(row.len(), COLUMNS.len(), "{row:?}");
            let [guid, deck, tags, front, back] = row[..] else {
                unreachable!()
            };
            assert!(seen.insert(guid), "{guid} twice");
            let question = expected
                .get(guid)
                .unwrap_or_else(|| panic!("{guid} is no question"));
            assert!(front.contains(&html_field(&question.prompt)), "{guid}");
            assert!(deck.starts_with("Threads vs Processes::"), "{deck}");
            let kind = format!("threads-vs-processes::kind::{}", kind_name(question.kind));
            let tags: Vec<&str> = tags.split(' ').collect();
            assert!(tags.contains(&kind.as_str()), "{tags:?}");
            assert!(
                tags.iter()
                    .any(|t| t.starts_with("threads-vs-processes::chapter::")),
                "{tags:?}"
            );
            for choice in question.choices.iter().filter(|c| c.correct) {
                assert!(back.contains(&html_field(&choice.why)), "{guid}");
            }
        }
        let expected: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
        assert_eq!(seen, expected, "every question exactly once");
    }

    /// A quiz with a tab and newlines in a question and an answer, placed on a chapter, and
    /// one on no page.
    fn book_with_awkward_quizzes() -> BookTest {
        let placed = "title = \"Awkward\"\n\n[[questions]]\nid = \"tabs\"\n\
            type = \"ShortAnswer\"\n\
            prompt.prompt = \"A\\ttab, and\\n\\nlines.\\n\\n```text\\nx\\ty\\n```\"\n\
            answer.answer = \"one\\ttwo\"\n\
            context = \"Because\\n\\nof\\ttabs.\"\n\n\
            [[questions]]\nid = \"pick\"\ntype = \"MultipleChoice\"\n\
            prompt.prompt = \"Pick\"\nanswer.answer = \"\\\"Quoted\\\"\"\n\
            prompt.distractors = [\"Other\"]\n\n\
            [questions.explanations]\n'\"Quoted\"' = \"Right.\"\n\"Other\" = \"Wrong.\"\n";
        let unplaced = "title = \"Loose :: ends\"\n\n[[questions]]\nid = \"t\"\n\
            type = \"Tracing\"\nprompt.program = \"fn main() {\\n\\tprintln!(\\\"a\\\");\\n}\"\n\
            answer.doesCompile = true\nanswer.stdout = \"a\"\ncontext = \"It prints.\"\n";
        BookTest::new("Demo Book")
            .chapter("Intro", "intro.md", "# Intro\n")
            .chapter(
                "Odd\tchapter",
                "part/odd.md",
                "# Odd\n\n{{#quiz ../../quizzes/awkward.toml}}\n",
            )
            .file("quizzes/awkward.toml", placed)
            .file("quizzes/loose.toml", unplaced)
    }

    #[test]
    fn tabs_and_newlines_cannot_break_a_row() {
        let book = book_with_awkward_quizzes();
        let cards = cards_of(book.root());
        let text = text(&cards);
        let (headers, rows) = parse(&text);
        assert_eq!(headers, HEADERS);
        assert_eq!(rows.len(), 3, "{text}");
        for row in &rows {
            assert_eq!(row.len(), COLUMNS.len(), "{row:?}");
            assert!(row.iter().all(|f| !f.contains('\r')));
            assert!(row.iter().all(|f| !f.starts_with('"')), "{row:?}");
        }
        let guids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
        assert_eq!(
            guids,
            [
                "demo-book/awkward/tabs",
                "demo-book/awkward/pick",
                "demo-book/loose/t"
            ]
        );
        // The placed quiz's deck is its chapter; the loose one's is its title, one level.
        assert_eq!(rows[0][1], "Demo Book::Odd chapter");
        assert_eq!(rows[2][1], "Demo Book::Loose : ends");
        assert_eq!(
            rows[0][2],
            "demo-book::chapter::part-odd demo-book::kind::short"
        );
        assert_eq!(
            rows[2][2],
            "demo-book::chapter::quiz-loose demo-book::kind::tracing"
        );
        // The tab survives as a reference, the code block's line breaks too.
        assert!(rows[0][3].contains("A&#9;tab"), "{}", rows[0][3]);
        assert!(rows[0][3].contains("x&#9;y"), "{}", rows[0][3]);
        assert!(rows[0][3].contains("&#10;"), "{}", rows[0][3]);
        assert!(rows[0][4].contains("one&#9;two"), "{}", rows[0][4]);
        // The multiple choice: the options on the front, the right one by letter on the back.
        let pick = &cards[1];
        let right = if pick.front.find("Quoted") < pick.front.find("Other") {
            "A"
        } else {
            "B"
        };
        assert!(pick.front.contains("<ol type=\"A\">"), "{}", pick.front);
        assert!(
            pick.back
                .starts_with(&format!("<p><strong>Right: {right}.</strong>")),
            "{}",
            pick.back
        );
        assert!(pick.back.contains("Wrong."), "{}", pick.back);
        // The program's lines are numbered, its tab a reference.
        assert!(rows[2][3].contains("1  fn main() {"), "{}", rows[2][3]);
        assert!(rows[2][3].contains("2  &#9;println!"), "{}", rows[2][3]);
    }

    #[test]
    fn a_leading_quote_of_a_text_field_cannot_open_a_quoted_field() {
        assert_eq!(plain_field("\"Odd\" title\tx"), "“Odd\" title x");
        assert_eq!(html_field("a\r\n\tb"), "a&#10;&#9;b");
        assert_eq!(slug("Threads vs Processes"), "threads-vs-processes");
        assert_eq!(slug("labs/spawn-cost"), "labs-spawn-cost");
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "27");
    }

    #[test]
    fn an_invalid_quiz_gives_no_flashcards() {
        let book = BookTest::new("Broken")
            .chapter("Only", "only.md", "# Only\n")
            .file("quizzes/bad.toml", "title = \"Bad\"\n");
        let err = cards(book.root(), &MDBook::load(book.root()).unwrap()).unwrap_err();
        assert!(err.to_string().contains("quiz problem"), "{err}");
        assert!(!err.to_string().contains('\n'), "{err}");
    }
}
