//! Exercise 6 is solved when the parent sees every addition its children made.

use shared_counter::count_in_children;

#[test]
fn the_parent_sees_every_childs_additions() {
    let total = count_in_children(4, 10_000).expect("fork and waitpid work");
    assert!(
        total == 40_000,
        "4 children × 10000 additions, and the parent counted {total}, not 40000. Each child \
         added to its own copy of the counter: after fork, a child's writes go to its private \
         copy-on-write pages, which the parent never sees."
    );
}

#[test]
fn one_child_alone_is_counted_too() {
    assert_eq!(count_in_children(1, 1).expect("fork and waitpid work"), 1);
}
