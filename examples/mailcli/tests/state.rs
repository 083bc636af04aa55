//! The state file format: any account and any ids survive render then parse (proptest), and
//! other accounts' lines are kept.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use mailcli::store::{BadStateLine, escape, parse_state, render_state, unescape};
use proptest::prelude::*;

proptest! {
    #[test]
    fn render_then_parse_gives_the_same_ids(
        account in any::<String>(),
        other in any::<String>(),
        seen in proptest::collection::btree_set(any::<String>(), 0..20),
        seen_other in proptest::collection::btree_set("[!-~]{1,70}", 0..5),
    ) {
        prop_assume!(escape(&account) != escape(&other));
        // The other account's lines, as its own run wrote them.
        let theirs = render_state(&other, &seen_other, &[]);
        let their_lines: Vec<String> =
            theirs.lines().skip(1).map(str::to_owned).collect();
        let text = render_state(&account, &seen, &their_lines);
        let parsed = parse_state(&text, &account).unwrap();
        prop_assert_eq!(&parsed.seen, &seen);
        prop_assert_eq!(&parsed.others, &their_lines);
        let back = parse_state(&text, &other).unwrap();
        prop_assert_eq!(back.seen, seen_other);
    }

    #[test]
    fn escape_round_trips_and_leaves_no_separator(s in any::<String>()) {
        let e = escape(&s);
        prop_assert_eq!(unescape(&e), s);
        prop_assert!(e.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(p) = parse_state(&text, "bob@h:110") {
            let again = parse_state(&render_state("bob@h:110", &p.seen, &p.others), "bob@h:110");
            prop_assert_eq!(again.unwrap(), p);
        }
    }
}

#[test]
fn a_line_without_a_tab_is_refused_with_its_number() {
    let text = "# mailcli\nbob@h:110\tu1\ngarbage\n";
    assert_eq!(
        parse_state(text, "bob@h:110"),
        Err(BadStateLine { line: 3 })
    );
}

#[test]
fn carriage_returns_at_line_ends_are_dropped_stably() {
    // Found by the fuzz target: a last line ending in several CRs lost one per round trip.
    let text = "\t)\t\r\r\r";
    let parsed = parse_state(text, "a").unwrap();
    assert_eq!(parsed.others, vec!["\t)\t".to_string()]);
    let again = parse_state(&render_state("a", &parsed.seen, &parsed.others), "a").unwrap();
    assert_eq!(again, parsed);
}

#[test]
fn known_text() {
    let seen: BTreeSet<String> = ["u1".to_string(), "a b%".to_string()].into();
    let text = render_state("bob smith@h:110", &seen, &["x@y:1\tz".to_string()]);
    assert_eq!(
        text,
        "# mailcli UIDL state v1: <account> TAB <unique id>, %XX-escaped\n\
         x@y:1\tz\n\
         bob%20smith@h:110\ta%20b%25\n\
         bob%20smith@h:110\tu1\n"
    );
}
