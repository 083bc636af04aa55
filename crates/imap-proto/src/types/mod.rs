//! The values of IMAP: owned, cheap to clone (backed by `Bytes` split from the input), and
//! valid on the wire once built.

pub mod flag;
pub mod mailbox;
pub mod mode;
pub mod sequence;
pub mod string;
pub mod utf7;

pub use flag::{Flag, FlagFetch, FlagPerm};
pub use mailbox::Mailbox;
pub use mode::{Mode, Revision};
pub use sequence::{SeqNumber, SeqRange, SequenceSet, UidSet};
pub use string::{AString, Atom, IString, Literal, NString, Tag};
