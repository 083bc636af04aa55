//! Leaving mail on the server: which messages of a UIDL listing are new.

use super::*;

/// Which messages of a UIDL listing are new against the ids the caller has seen, and which
/// seen ids are gone from the server: the leave-on-server bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMessages {
    /// Messages whose unique id is not in the seen set, in listing order.
    pub new: Vec<(MessageNumber, String)>,
    /// Seen ids no longer on the server (the caller may forget them).
    pub gone: Vec<String>,
}

/// Compares a UIDL listing with the ids the caller keeps.
pub fn new_messages(listing: &[UidlEntry<'_>], seen: &HashSet<String>) -> NewMessages {
    let on_server: HashSet<&str> = listing.iter().map(|e| &*e.uid).collect();
    let mut gone: Vec<String> = seen
        .iter()
        .filter(|uid| !on_server.contains(uid.as_str()))
        .cloned()
        .collect();
    gone.sort();
    NewMessages {
        new: listing
            .iter()
            .filter(|e| !seen.contains(&*e.uid))
            .map(|e| (e.number, e.uid.to_string()))
            .collect(),
        gone,
    }
}
