//! The values of IMAP: owned, cheap to clone (backed by `Bytes` split from the input), and
//! valid on the wire once built.

pub mod body;
pub mod capability;
pub mod code;
pub mod command;
pub mod datetime;
pub mod envelope;
pub mod extensions;
pub mod fetch;
pub mod flag;
pub mod mailbox;
pub mod mode;
pub mod response;
pub mod search;
pub mod sequence;
pub mod status;
pub mod string;
pub mod utf7;

pub use body::{
    BodyExtension, BodyFields, BodyParams, BodyStructure, Disposition, ExtensionTail,
    MultiExtension, SingleExtension, SpecificFields,
};
pub use capability::{Capabilities, Capability};
pub use code::{Code, Rfc5530};
pub use command::{
    AppendData, AppendMessage, Command, CommandBody, ListCommand, MessageSet, StoreMode,
};
pub use datetime::{Date, DateTime};
pub use envelope::{Address, Envelope};
pub use extensions::rfc2342::{NamespaceDescr, Namespaces};
pub use extensions::rfc4731::{ESearch, ESearchItem};
pub use extensions::rfc5256::{SortCriterion, SortKey, Thread};
pub use extensions::rfc5258::{ListReturn, ListSelect, MailboxAttr};
pub use extensions::rfc5464::{Depth, GetMetadataOptions, MetadataEntry};
pub use extensions::rfc7162::{EntryType, FetchModifiers, QresyncParams, SelectParams};
pub use extensions::rfc9208::{QuotaLimit, QuotaResource};
pub use fetch::{
    FetchAttribute, FetchItem, FetchItems, Partial, Section, SectionData, SectionText,
};
pub use flag::{Flag, FlagFetch, FlagPerm};
pub use mailbox::Mailbox;
pub use mode::{Mode, Revision};
pub use response::{
    Condition, Continue, Data, ListItem, Response, StatusAttr, StatusResponse, TaggedExtValue,
};
pub use search::{SearchKey, SearchReturn};
pub use sequence::{SeqNumber, SeqRange, SequenceSet, UidSet};
pub use status::StatusItem;
pub use string::{AString, Atom, IString, Literal, NString, Tag};
