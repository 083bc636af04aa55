//! Bodies that do not fit in memory: FETCH body sections handed on as `Bytes` chunks while
//! they arrive, and APPEND data written as the application has it.

use std::num::NonZeroU32;

use bytes::Bytes;
use proto_core::CommandId;
use proto_core::line::literal_at_end;

use super::send::Kind;
use super::{Client, ClientEvent, UsageError};
use crate::codec::{Message, parse_response_message};
use crate::types::{
    AppendData, AppendMessage, CommandBody, Data, DateTime, FetchItem, Flag, Mailbox, Response,
    SectionData,
};

/// The streamed APPEND data still to come.
#[derive(Debug)]
pub(super) struct AppendStream {
    pub id: CommandId,
    pub remaining: u64,
}

/// The streamed FETCH body section being received.
#[derive(Debug)]
pub(super) struct BodyStream {
    id: Option<CommandId>,
}

impl Client {
    /// APPEND one message whose `size` octets the application writes with
    /// [`Client::write_append`] once [`ClientEvent::BodyWritable`] comes (after the server's
    /// `+`, or at once under LITERAL+). A NO or BAD before the `+` (for example
    /// `NO [TOOBIG]`) ends the command: its completion comes and no data is taken.
    pub fn append_stream(
        &mut self,
        mailbox: Mailbox,
        flags: Vec<Flag>,
        date: Option<DateTime>,
        size: u64,
    ) -> Result<CommandId, UsageError> {
        if let Some(limit) = self.caps.as_ref().and_then(|c| c.append_limit())
            && size > limit
        {
            return Err(UsageError::BodyTooLong(size));
        }
        let body = CommandBody::Append {
            mailbox,
            messages: vec![AppendMessage {
                flags,
                date,
                data: AppendData::Streamed {
                    size,
                    binary: false,
                },
            }],
        };
        self.submit(body, Kind::Plain)
    }

    /// Writes APPEND data: returns how many octets of `data` were taken (0 when the output
    /// holds [`ClientConfig::body_high_water`](super::ClientConfig::body_high_water) octets;
    /// wait for [`ClientEvent::BodyWritable`]). More than the announced size is refused.
    pub fn write_append(&mut self, data: &[u8]) -> Result<usize, UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        let Some(append) = self.append.as_mut() else {
            return Err(UsageError::NotNow(
                "APPEND data before the server asked for it",
            ));
        };
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        if len > append.remaining {
            return Err(UsageError::BodyTooLong(len - append.remaining));
        }
        let room = self
            .config
            .body_high_water
            .saturating_sub(self.output.len());
        let take = data.len().min(room);
        let Some(part) = data.get(..take) else {
            return Ok(0);
        };
        self.output.push(part);
        append.remaining -= u64::try_from(take).unwrap_or(0);
        if append.remaining == 0 {
            // The last octet is written: the command's line end follows.
            self.pump();
        }
        Ok(take)
    }

    /// Tells the application when written output made room for more APPEND data.
    pub(super) fn check_writable(&mut self) {
        let Some(append) = &self.append else {
            return;
        };
        if append.remaining > 0
            && self.output.len() < self.config.body_high_water / 2
            && !self
                .events
                .iter()
                .any(|e| matches!(e, Ok(ClientEvent::BodyWritable { .. })))
        {
            let id = append.id;
            self.push(ClientEvent::BodyWritable { id });
        }
    }

    pub(super) fn on_body_start(&mut self, head: &Message, size: u64) {
        let id = self.collects_fetch();
        self.body = Some(BodyStream { id });
        let Some(seq) = fetch_seq(&head.first) else {
            // Not a FETCH: a large literal elsewhere (a huge string). Its chunks are still
            // handed on, never held.
            return;
        };
        let item = streamed_item(head, size, self.parse_options());
        self.push(ClientEvent::FetchBodyStart { id, seq, item });
    }

    pub(super) fn on_body_chunk(&mut self, data: Bytes, remaining: u64) {
        let id = self.body.as_ref().and_then(|b| b.id);
        self.idle.body(data.len());
        if !data.is_empty() {
            self.push(ClientEvent::BodyChunk { id, data });
        }
        if remaining == 0 {
            self.body = None;
            self.push(ClientEvent::BodyEnd { id });
        }
    }
}

/// The sequence number of `* <n> FETCH`.
fn fetch_seq(first: &[u8]) -> Option<NonZeroU32> {
    let rest = first.strip_prefix(b"* ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, after) = rest.split_at_checked(digits)?;
    if !after.get(..6)?.eq_ignore_ascii_case(b" FETCH") {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}

/// The FETCH item whose data is the literal announced at the end of `head`: the head is
/// read by the response parser with `NIL)` in the literal's place, and the last item found
/// gets the streamed size.
fn streamed_item(head: &Message, size: u64, opts: crate::codec::ParseOptions) -> Option<FetchItem> {
    let mut message = head.clone();
    let last = match message.rest.last_mut() {
        Some(c) => &mut c.line,
        None => &mut message.first,
    };
    let start = literal_at_end(last)?.start;
    let mut line = last.get(..start)?.to_vec();
    line.extend_from_slice(b"NIL)");
    *last = Bytes::from(line);
    let Ok(Response::Data(Data::Fetch { items, .. })) = parse_response_message(&message, opts)
    else {
        return None;
    };
    let mut item = items.into_iter().last()?;
    let streamed = SectionData::Streamed { size };
    match &mut item {
        FetchItem::BodySection { data, .. }
        | FetchItem::Binary { data, .. }
        | FetchItem::Rfc822(data)
        | FetchItem::Rfc822Header(data)
        | FetchItem::Rfc822Text(data) => *data = streamed,
        _ => return None,
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ParseOptions;
    use crate::types::{Mode, Section};

    #[test]
    fn the_item_before_a_streamed_literal_is_read() {
        let head = Message::line(Bytes::from_static(b"* 12 FETCH (UID 5 BODY[] {20000000}"));
        assert_eq!(fetch_seq(&head.first), NonZeroU32::new(12));
        let item = streamed_item(&head, 20_000_000, ParseOptions::lenient(Mode::REV1));
        assert_eq!(
            item,
            Some(FetchItem::BodySection {
                section: Section::full(),
                origin: None,
                data: SectionData::Streamed { size: 20_000_000 },
            })
        );
        assert_eq!(fetch_seq(b"* 12 EXISTS"), None);
        assert_eq!(fetch_seq(b"* FETCH"), None);
    }
}
