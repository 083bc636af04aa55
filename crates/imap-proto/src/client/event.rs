//! What the client machine reports to the application.

use std::num::NonZeroU32;

use bytes::Bytes;
use proto_core::CommandId;

use crate::error::ParseError;
use crate::types::{Capabilities, Code, Condition, Data, FetchItem, StatusResponse, UidSet};

/// The end of one command: its tagged status, and the data responses that answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The command's id.
    pub id: CommandId,
    /// The command's name (`UID FETCH`, `SELECT`...).
    pub command: &'static str,
    /// OK, NO or BAD.
    pub status: Condition,
    /// The response code, if any.
    pub code: Option<Code>,
    /// The human-readable text.
    pub text: Bytes,
    /// The data responses collected for this command while it ran (FETCH for FETCH and a
    /// non-silent STORE, SEARCH/ESEARCH, LIST, STATUS, SORT, THREAD, NAMESPACE, QUOTA,
    /// METADATA, ID, ENABLED, CAPABILITY; FLAGS, EXISTS and LIST for SELECT).
    pub data: Vec<Data>,
}

impl Completion {
    /// True when the server answered OK.
    pub fn is_ok(&self) -> bool {
        self.status == Condition::Ok
    }
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting (OK or PREAUTH).
    Greeting(StatusResponse),
    /// The session is set up (TLS as the policy asks, capabilities known): commands may go.
    Ready(Capabilities),
    /// The TLS handshake is done; the capabilities are asked again.
    TlsEstablished,
    /// The capabilities changed (learned again after login, or sent unasked).
    Capabilities(Capabilities),
    /// A command ended.
    Completed(Completion),
    /// IDLE is running: unsolicited responses follow until [`Client::idle_done`].
    ///
    /// [`Client::idle_done`]: crate::Client::idle_done
    Idling {
        /// The IDLE command's id.
        id: CommandId,
    },
    /// A streamed APPEND accepts data: call [`Client::write_append`].
    ///
    /// [`Client::write_append`]: crate::Client::write_append
    BodyWritable {
        /// The APPEND command's id.
        id: CommandId,
    },
    /// A FETCH response's body section too large to parse inline begins; its octets follow
    /// as [`ClientEvent::BodyChunk`]s, then [`ClientEvent::BodyEnd`]. The rest of the FETCH
    /// response is collected with the command as usual, this item's data shown as
    /// `SectionData::Streamed`.
    FetchBodyStart {
        /// The FETCH command in flight, when one is.
        id: Option<CommandId>,
        /// The message's sequence number.
        seq: NonZeroU32,
        /// The item (`BODY[...]`, `BINARY[...]`, `RFC822...`) with `SectionData::Streamed`
        /// and its size; `None` when the item before the literal could not be read.
        item: Option<FetchItem>,
    },
    /// Octets of a streamed body section, split off the input as they arrived.
    BodyChunk {
        /// The FETCH command in flight, when one is.
        id: Option<CommandId>,
        /// The octets.
        data: Bytes,
    },
    /// The streamed body section is complete.
    BodyEnd {
        /// The FETCH command in flight, when one is.
        id: Option<CommandId>,
    },
    /// The selected mailbox holds this many messages (untagged EXISTS).
    Exists(u32),
    /// RECENT (IMAP4rev1 only).
    Recent(u32),
    /// The message with this sequence number was expunged; later ones move down by one.
    Expunged(NonZeroU32),
    /// Messages were expunged, named by UID (QRESYNC); `earlier` for the answer to a
    /// SELECT or FETCH with VANISHED, which does not renumber.
    Vanished {
        /// `(EARLIER)`: not a change now, but a report of the past.
        earlier: bool,
        /// The UIDs.
        uids: UidSet,
    },
    /// A FETCH response no command asked for: flag changes by another client, or MODSEQ.
    Fetch {
        /// The message's sequence number.
        seq: NonZeroU32,
        /// The items.
        items: Vec<FetchItem>,
    },
    /// An `[ALERT]`: the server asks that the text be shown to the user.
    Alert(Bytes),
    /// An untagged OK, NO or BAD that no command took (a warning, a notice).
    Status(StatusResponse),
    /// Other data no command asked for (kept, never dropped).
    Data(Data),
    /// An untagged response that could not be parsed: the raw line and the error. The
    /// session goes on.
    Unparsed {
        /// The response's first line.
        line: Bytes,
        /// Why it could not be read.
        error: ParseError,
    },
    /// The server said BYE; the connection ends.
    Bye(StatusResponse),
    /// The connection ended cleanly (after LOGOUT, or a BYE).
    Closed,
}
