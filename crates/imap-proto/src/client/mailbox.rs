//! The selected mailbox as the client sees it: counts, UID validity, the highest mod-sequence,
//! and the sequence-number-to-UID map, renumbered on EXPUNGE and VANISHED.

use std::num::NonZeroU32;

use crate::types::{Code, Flag, FlagPerm, Mailbox, SeqNumber, UidSet};

/// The view of the mailbox selected with SELECT or EXAMINE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedMailbox {
    name: Mailbox,
    read_only: bool,
    exists: u32,
    recent: Option<u32>,
    uid_validity: Option<NonZeroU32>,
    uid_next: Option<NonZeroU32>,
    highest_modseq: Option<u64>,
    flags: Vec<Flag>,
    permanent_flags: Vec<FlagPerm>,
    /// UID of sequence number `i + 1`, 0 where the server has not told it. Never longer
    /// than EXISTS nor than the configured cap.
    uids: Vec<u32>,
    max_uids: usize,
}

impl SelectedMailbox {
    pub(crate) fn new(name: Mailbox, read_only: bool, max_uids: usize) -> Self {
        Self {
            name,
            read_only,
            exists: 0,
            recent: None,
            uid_validity: None,
            uid_next: None,
            highest_modseq: None,
            flags: Vec::new(),
            permanent_flags: Vec::new(),
            uids: Vec::new(),
            max_uids,
        }
    }

    /// The mailbox's name.
    pub fn name(&self) -> &Mailbox {
        &self.name
    }

    /// True for EXAMINE, or a SELECT the server answered `[READ-ONLY]`.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The number of messages.
    pub fn exists(&self) -> u32 {
        self.exists
    }

    /// The RECENT count (IMAP4rev1 only).
    pub fn recent(&self) -> Option<u32> {
        self.recent
    }

    /// UIDVALIDITY: UIDs are only comparable while it stays the same.
    pub fn uid_validity(&self) -> Option<NonZeroU32> {
        self.uid_validity
    }

    /// UIDNEXT: the least UID the next message can have.
    pub fn uid_next(&self) -> Option<NonZeroU32> {
        self.uid_next
    }

    /// HIGHESTMODSEQ (CONDSTORE), raised by every MODSEQ the server reports.
    pub fn highest_modseq(&self) -> Option<u64> {
        self.highest_modseq
    }

    /// The flags defined in the mailbox (FLAGS).
    pub fn flags(&self) -> &[Flag] {
        &self.flags
    }

    /// The flags the client can change permanently (PERMANENTFLAGS).
    pub fn permanent_flags(&self) -> &[FlagPerm] {
        &self.permanent_flags
    }

    /// The UID of sequence number `seq`, where the server has told it.
    pub fn uid(&self, seq: u32) -> Option<NonZeroU32> {
        let index = usize::try_from(seq.checked_sub(1)?).ok()?;
        self.uids.get(index).and_then(|&uid| NonZeroU32::new(uid))
    }

    /// The sequence number of the message with `uid`, where the server has told it.
    pub fn seq(&self, uid: NonZeroU32) -> Option<u32> {
        let index = self.uids.iter().position(|&u| u == uid.get())?;
        u32::try_from(index).ok()?.checked_add(1)
    }

    pub(crate) fn set_exists(&mut self, n: u32) {
        self.exists = n;
        let keep = usize::try_from(n).unwrap_or(usize::MAX);
        self.uids.truncate(keep);
    }

    pub(crate) fn set_recent(&mut self, n: u32) {
        self.recent = Some(n);
    }

    pub(crate) fn set_flags(&mut self, flags: Vec<Flag>) {
        self.flags = flags;
    }

    /// Takes what a response code says of the mailbox; false when it says nothing of it.
    pub(crate) fn apply_code(&mut self, code: &Code) -> bool {
        match code {
            Code::UidValidity(n) => {
                if self.uid_validity != Some(*n) {
                    self.uids.clear();
                }
                self.uid_validity = Some(*n);
            }
            Code::UidNext(n) => self.uid_next = Some(*n),
            Code::HighestModSeq(n) => self.highest_modseq = Some(*n),
            Code::NoModSeq => self.highest_modseq = None,
            Code::PermanentFlags(flags) => self.permanent_flags = flags.clone(),
            Code::ReadOnly => self.read_only = true,
            Code::ReadWrite => self.read_only = false,
            _ => return false,
        }
        true
    }

    /// Notes the UID the server gave for `seq`, within EXISTS and the cap.
    pub(crate) fn learn_uid(&mut self, seq: u32, uid: NonZeroU32) {
        if seq == 0 || seq > self.exists {
            return;
        }
        let Ok(index) = usize::try_from(seq - 1) else {
            return;
        };
        if index >= self.max_uids {
            return;
        }
        if self.uids.len() <= index {
            self.uids.resize(index + 1, 0);
        }
        if let Some(slot) = self.uids.get_mut(index) {
            *slot = uid.get();
        }
        if self.uid_next.is_some_and(|next| uid >= next) {
            self.uid_next = uid.checked_add(1);
        }
    }

    /// Raises HIGHESTMODSEQ to a reported MODSEQ.
    pub(crate) fn learn_modseq(&mut self, modseq: u64) {
        if let Some(highest) = &mut self.highest_modseq {
            *highest = (*highest).max(modseq);
        }
    }

    /// EXPUNGE `seq`: later messages move down by one (RFC 9051 section 7.5.1).
    pub(crate) fn expunge(&mut self, seq: NonZeroU32) {
        self.exists = self.exists.saturating_sub(1);
        if let Ok(index) = usize::try_from(seq.get() - 1)
            && index < self.uids.len()
        {
            self.uids.remove(index);
        }
    }

    /// VANISHED (not EARLIER): the messages with these UIDs are gone (RFC 7162 section
    /// 3.2.10). EXISTS goes down by the number of UIDs listed, as the server sends only UIDs
    /// of messages that were there.
    pub(crate) fn vanish(&mut self, uids: &UidSet) {
        let mut count: u64 = 0;
        for range in uids.ranges() {
            let (SeqNumber::Value(a), SeqNumber::Value(b)) = (range.start, range.end) else {
                continue;
            };
            count += u64::from(a.get().abs_diff(b.get())) + 1;
        }
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        self.exists = self.exists.saturating_sub(count);
        self.uids
            .retain(|&uid| uid == 0 || !uids.contains(uid, u32::MAX));
        let keep = usize::try_from(self.exists).unwrap_or(usize::MAX);
        self.uids.truncate(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    }

    fn view(exists: u32, uids: &[u32]) -> SelectedMailbox {
        let mut m = SelectedMailbox::new(Mailbox::inbox(), false, 100);
        m.set_exists(exists);
        for (i, &uid) in uids.iter().enumerate() {
            m.learn_uid(u32::try_from(i).unwrap_or(0) + 1, nz(uid));
        }
        m
    }

    #[test]
    fn expunge_renumbers_the_messages_after_it() {
        let mut m = view(4, &[10, 20, 30, 40]);
        m.expunge(nz(2));
        assert_eq!(m.exists(), 3);
        assert_eq!(m.uid(1), Some(nz(10)));
        assert_eq!(m.uid(2), Some(nz(30)));
        assert_eq!(m.uid(3), Some(nz(40)));
        assert_eq!(m.uid(4), None);
        assert_eq!(m.seq(nz(40)), Some(3));
        assert_eq!(m.seq(nz(20)), None);
    }

    #[test]
    fn vanished_removes_by_uid_and_counts_down() {
        let mut m = view(5, &[10, 20, 30, 40, 50]);
        m.vanish(&UidSet::parse(b"20,40:41").unwrap_or_else(|_| UidSet::all()));
        // 20, 40 and 41 listed: three UIDs, though 41 was never seen here.
        assert_eq!(m.exists(), 2);
        assert_eq!(m.uid(1), Some(nz(10)));
        assert_eq!(m.uid(2), Some(nz(30)));
        assert_eq!(m.uid(3), None);
    }

    #[test]
    fn the_uid_map_stays_within_exists_and_the_cap() {
        let mut m = SelectedMailbox::new(Mailbox::inbox(), false, 3);
        m.set_exists(u32::MAX);
        m.learn_uid(4_000_000_000, nz(1));
        m.learn_uid(3, nz(7));
        m.learn_uid(4, nz(8));
        assert_eq!(m.uid(3), Some(nz(7)));
        assert_eq!(m.uid(4), None);
        let mut m = view(2, &[]);
        m.learn_uid(3, nz(9));
        assert_eq!(m.uid(3), None);
    }

    #[test]
    fn a_new_uidvalidity_forgets_the_uids() {
        let mut m = view(2, &[5, 6]);
        assert!(m.apply_code(&Code::UidValidity(nz(1))));
        assert_eq!(m.uid(1), None);
        assert!(!m.apply_code(&Code::Alert));
    }
}
