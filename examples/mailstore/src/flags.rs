//! Maildir flags: the letters after `:2,` in a file name.
//!
//! The six standard flags are upper-case letters (`D` draft, `F` flagged, `P` passed,
//! `R` replied, `S` seen, `T` trashed, as in D. J. Bernstein's maildir description); Dovecot
//! maps IMAP keywords to the lower-case letters `a`-`z` through its `dovecot-keywords` file.
//! Flags are written in ASCII order, as Dovecot writes them.

use std::fmt;

/// One of the six standard maildir flags.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `D`: the user considers the message a draft (IMAP `\Draft`).
    Draft,
    /// `F`: flagged for urgent or special attention (IMAP `\Flagged`).
    Flagged,
    /// `P`: passed (resent, forwarded or bounced).
    Passed,
    /// `R`: replied to (IMAP `\Answered`).
    Replied,
    /// `S`: seen (IMAP `\Seen`).
    Seen,
    /// `T`: trashed, to be deleted soon (IMAP `\Deleted`).
    Trashed,
}

impl Flag {
    /// All standard flags in ASCII order of their letters.
    pub const ALL: [Flag; 6] = [
        Flag::Draft,
        Flag::Flagged,
        Flag::Passed,
        Flag::Replied,
        Flag::Seen,
        Flag::Trashed,
    ];

    /// The flag's letter in a file name.
    pub fn letter(self) -> char {
        match self {
            Flag::Draft => 'D',
            Flag::Flagged => 'F',
            Flag::Passed => 'P',
            Flag::Replied => 'R',
            Flag::Seen => 'S',
            Flag::Trashed => 'T',
        }
    }
}

/// A set of flags: the standard ones and Dovecot keyword letters `a`-`z`.
///
/// Other upper-case letters (flags this crate does not name) are kept as they are, so that
/// changing one flag never loses another program's.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags {
    /// Bit `i` for `'A' + i` (0..26), bit `26 + i` for `'a' + i`.
    bits: u64,
}

fn bit(letter: u8) -> Option<u64> {
    match letter {
        b'A'..=b'Z' => Some(1 << (letter - b'A')),
        b'a'..=b'z' => Some(1 << (26 + u32::from(letter - b'a'))),
        _ => None,
    }
}

impl Flags {
    /// No flags.
    pub const fn empty() -> Self {
        Flags { bits: 0 }
    }

    /// Reads the letters of a `:2,` info part (without the `2,`). Characters that are not
    /// ASCII letters are ignored; the order does not matter.
    pub fn parse(letters: &str) -> Self {
        let mut flags = Flags::empty();
        for b in letters.bytes() {
            if let Some(bit) = bit(b) {
                flags.bits |= bit;
            }
        }
        flags
    }

    /// Whether a standard flag is set.
    pub fn contains(self, flag: Flag) -> bool {
        self.has_letter(flag.letter())
    }

    /// Whether a letter (standard flag, other upper-case letter, or keyword `a`-`z`) is set.
    pub fn has_letter(self, letter: char) -> bool {
        u8::try_from(letter)
            .ok()
            .and_then(bit)
            .is_some_and(|b| self.bits & b != 0)
    }

    /// Sets a standard flag.
    pub fn insert(&mut self, flag: Flag) {
        self.set_letter(flag.letter(), true);
    }

    /// Clears a standard flag.
    pub fn remove(&mut self, flag: Flag) {
        self.set_letter(flag.letter(), false);
    }

    /// With a standard flag set (builder style).
    pub fn with(mut self, flag: Flag) -> Self {
        self.insert(flag);
        self
    }

    /// Sets or clears a letter; returns false (and changes nothing) when it is not an ASCII
    /// letter.
    pub fn set_letter(&mut self, letter: char, on: bool) -> bool {
        match u8::try_from(letter).ok().and_then(bit) {
            Some(b) => {
                if on {
                    self.bits |= b;
                } else {
                    self.bits &= !b;
                }
                true
            }
            None => false,
        }
    }

    /// Whether no letter is set.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The letters in ASCII order (upper case first), as written after `:2,`.
    pub fn letters(self) -> String {
        (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .filter(|&l| bit(l).is_some_and(|b| self.bits & b != 0))
            .map(char::from)
            .collect()
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letters())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({:?})", self.letters())
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut flags = Flags::empty();
        for f in iter {
            flags.insert(f);
        }
        flags
    }
}
