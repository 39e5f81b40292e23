//! Every mermaid block is a diagram mermaid can draw.

use crate::markdown::fences;
use crate::source::{Problem, pages};
use std::path::Path;

/// Diagram types mermaid understands (https://mermaid.js.org/intro/syntax-reference.html).
pub const MERMAID_TYPES: &[&str] = &[
    "flowchart",
    "graph",
    "sequenceDiagram",
    "classDiagram",
    "stateDiagram",
    "stateDiagram-v2",
    "erDiagram",
    "journey",
    "gantt",
    "pie",
    "quadrantChart",
    "requirementDiagram",
    "gitGraph",
    "mindmap",
    "timeline",
    "sankey-beta",
    "xychart-beta",
    "block-beta",
];

/// Every mermaid block is non-empty and starts with a known diagram type.
pub fn mermaid(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for page in pages(root) {
        for fence in fences(&page.text)
            .into_iter()
            .filter(|f| f.info == "mermaid")
        {
            let first = fence
                .body
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("%%"));
            let message = match first {
                None => "empty mermaid diagram".to_owned(),
                Some(line) => {
                    let kind = line.split_whitespace().next().unwrap_or("");
                    if MERMAID_TYPES.contains(&kind) {
                        continue;
                    }
                    format!("mermaid diagram starts with `{kind}`, not a known diagram type")
                }
            };
            problems.push(Problem::new(&page.path, fence.line, message));
        }
    }
    problems
}
