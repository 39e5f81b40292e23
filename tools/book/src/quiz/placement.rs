//! Where each quiz stands: every page's directives resolved to quizzes, and the rules of
//! placement (a quiz on at most one page, one index, one drill).

use super::*;

/// One directive of a page, resolved.
pub(super) struct Found {
    pub(super) kind: Kind,
    /// The quiz id, for `Kind::Quiz` naming an existing quiz.
    pub(super) quiz: Option<String>,
    /// `file:line` of the directive, for messages.
    pub(super) file: PathBuf,
    pub(super) line: usize,
}

pub(super) struct Scan {
    pub(super) found: Vec<Found>,
    pub(super) problems: Vec<Problem>,
}

/// The directives of one page (`file`, relative to `root`), checked: each quiz path must name
/// a file in `quizzes/`. `original` is the page's file when `text` has had includes expanded,
/// to report the line the author sees.
pub(super) fn scan(root: &Path, file: &Path, text: &str, original: Option<&str>) -> Scan {
    let mut out = Scan {
        found: Vec::new(),
        problems: Vec::new(),
    };
    let page_dir = file.parent().unwrap_or(Path::new(""));
    for directive in scan_directives(text) {
        let directive = match directive {
            Ok(d) => d,
            Err((line, message)) => {
                out.problems.push(Problem::new(file, line, message));
                continue;
            }
        };
        let line = original
            .and_then(|o| o.lines().position(|l| l.contains(&directive.text)))
            .map_or(directive.line, |index| index + 1);
        let mut quiz = None;
        if let Kind::Quiz(path) = &directive.kind {
            match resolve(root, page_dir, path) {
                Ok(id) => quiz = Some(id),
                Err(message) => {
                    let message = format!("{}: {message}", directive.text);
                    out.problems.push(Problem::new(file, line, message));
                }
            }
        }
        out.found.push(Found {
            kind: directive.kind,
            quiz,
            file: file.to_path_buf(),
            line,
        });
    }
    out
}

/// The quiz id named by a directive's path, relative to the page's directory.
pub(super) fn resolve(root: &Path, page_dir: &Path, path: &str) -> Result<String, String> {
    let joined = normalize(&page_dir.join(path));
    let in_dir = joined.parent() == Some(Path::new(QUIZ_DIR));
    let id = joined
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|_| in_dir && joined.extension().is_some_and(|e| e == "toml"));
    let Some(id) = id else {
        return Err(format!(
            "{} is not a quiz: quizzes are `{QUIZ_DIR}/NAME.toml` at the repository root",
            joined.display()
        ));
    };
    if !root.join(&joined).is_file() {
        return Err(format!("{} does not exist", joined.display()));
    }
    Ok(id.to_owned())
}

/// `a/b/../c` → `a/c`, without touching the disk (the file may not exist).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Where each quiz is placed, by id: the page (path in the book) and the directive's location.
/// A quiz on two pages, or an invalid quiz placed on a page, is a problem at the directive.
pub(super) fn placements(
    pages: &[(PathBuf, Vec<Found>)],
    quizzes: &BTreeMap<String, Result<Quiz, ()>>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, PathBuf> {
    let mut placed: BTreeMap<String, (PathBuf, &Found)> = BTreeMap::new();
    let mut index_pages = Vec::new();
    let mut drill_pages = Vec::new();
    for (page, found) in pages {
        for f in found {
            match &f.kind {
                Kind::Index => index_pages.push(f),
                Kind::Drill => drill_pages.push(f),
                Kind::Quiz(path) => {
                    let Some(id) = &f.quiz else { continue };
                    if let Some(Err(())) = quizzes.get(id) {
                        let message = format!(
                            "{{{{#quiz {path}}}}}: {QUIZ_DIR}/{id}.toml is invalid (see its \
                             problems)"
                        );
                        problems.push(Problem::new(&f.file, f.line, message));
                    }
                    if let Some((_, first)) = placed.get(id) {
                        let message = format!(
                            "quiz `{id}` is already placed at {}:{}; a quiz belongs to one page",
                            first.file.display(),
                            first.line
                        );
                        problems.push(Problem::new(&f.file, f.line, message));
                    } else {
                        placed.insert(id.clone(), (page.clone(), f));
                    }
                }
            }
        }
    }
    for (what, list) in [("quiz-index", index_pages), ("quiz-drill", drill_pages)] {
        for extra in list.iter().skip(1) {
            let message = format!(
                "a second {{{{#{what}}}}}: the book has one, at {}:{}",
                list[0].file.display(),
                list[0].line
            );
            problems.push(Problem::new(&extra.file, extra.line, message));
        }
    }
    placed
        .into_iter()
        .map(|(id, (page, _))| (id, page))
        .collect()
}
