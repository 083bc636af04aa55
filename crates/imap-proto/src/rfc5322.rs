//! IMAP on the wire for rfc5322's views (feature `rfc5322`): its ENVELOPE and BODYSTRUCTURE
//! fields become this crate's [`Envelope`] and [`BodyStructure`], which the response encoder
//! writes (`FetchItem::Envelope`, `FetchItem::BodyStructure`, `FetchItem::Body`). rfc5322
//! gives values; imap-proto writes IMAP.
//!
//! NUL cannot travel in an IMAP string (RFC 3501 section 4.3; only a `literal8` may carry
//! it): a header that holds one (RFC 5322 forbids it) is written without its NULs. A part
//! nested deeper than [`MAX_DEPTH`] levels, which no client parser of this crate would read,
//! is shown as an empty text/plain part; a multipart whose parts rfc5322 could not find holds
//! one such part, as Dovecot shows it (its section 1, as rfc5322 numbers it).
//!
//! message/global (RFC 6532) encloses a message in IMAP4rev2 only: RFC 9051's
//! `media-message` is `"MESSAGE" ("RFC822" / "GLOBAL")`, and its body is described with the
//! enclosed message's envelope, body and lines, as message/rfc822's; RFC 3501's
//! `media-message` is RFC822 alone, so under IMAP4rev1 message/global is a basic part
//! (`body-type-basic`, no lines), as rfc5322's [`ImapRevision`](rfc5322::ImapRevision)
//! numbers its sections.

use bytes::Bytes;
use rfc5322::imap as views;
use rfc5322::{Part, PartKind};

use crate::codec::MAX_DEPTH;
use crate::types::{
    Address, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail, IString, Mode,
    MultiExtension, NString, SingleExtension, SpecificFields,
};

/// A string for the wire: NULs removed.
fn istring(s: &str) -> IString {
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != 0).collect();
    IString::from_checked(Bytes::from(bytes))
}

fn nstring(s: Option<&str>) -> NString {
    s.map(istring)
}

fn address(a: &views::EnvelopeAddress) -> Address {
    Address {
        name: nstring(a.name.as_deref()),
        adl: nstring(a.adl.as_deref()),
        mailbox: nstring(a.mailbox.as_deref()),
        host: nstring(a.host.as_deref()),
    }
}

/// rfc5322's ENVELOPE view as this crate's [`Envelope`].
pub fn envelope(e: &views::Envelope) -> Envelope {
    let list = |l: &[views::EnvelopeAddress]| l.iter().map(address).collect();
    Envelope {
        date: nstring(e.date.as_deref()),
        subject: nstring(e.subject.as_deref()),
        from: list(&e.from),
        sender: list(&e.sender),
        reply_to: list(&e.reply_to),
        to: list(&e.to),
        cc: list(&e.cc),
        bcc: list(&e.bcc),
        in_reply_to: nstring(e.in_reply_to.as_deref()),
        message_id: nstring(e.message_id.as_deref()),
    }
}

fn params(p: &[(String, String)]) -> Vec<(IString, IString)> {
    p.iter()
        .map(|(k, v)| (istring(&k.to_ascii_uppercase()), istring(v)))
        .collect()
}

fn fields(f: &views::BodyFields) -> BodyFields {
    BodyFields {
        params: params(&f.params),
        id: nstring(f.id.as_deref()),
        description: nstring(f.description.as_deref()),
        encoding: istring(&f.encoding),
        octets: u32::try_from(f.size).unwrap_or(u32::MAX),
    }
}

fn tail(f: &views::BodyFields) -> ExtensionTail {
    ExtensionTail {
        disposition: Some(f.disposition.as_ref().map(|(kind, p)| Disposition {
            kind: istring(&kind.to_ascii_uppercase()),
            params: params(p),
        })),
        language: Some(f.language.iter().map(|l| istring(l)).collect()),
        location: Some(nstring(f.location.as_deref())),
        extensions: Vec::new(),
    }
}

fn lines(f: &views::BodyFields) -> u32 {
    u32::try_from(f.lines.unwrap_or(0)).unwrap_or(u32::MAX)
}

/// The placeholder for a part that cannot be shown: an empty text/plain part (with empty
/// extension data in a BODYSTRUCTURE).
fn empty_text(extended: bool) -> BodyStructure {
    BodyStructure::Single {
        media_type: istring("TEXT"),
        subtype: istring("PLAIN"),
        fields: BodyFields {
            params: vec![(istring("CHARSET"), istring("US-ASCII"))],
            id: None,
            description: None,
            encoding: istring("7BIT"),
            octets: 0,
        },
        specific: SpecificFields::Text { lines: 0 },
        extension: extended.then(|| SingleExtension {
            md5: None,
            tail: ExtensionTail {
                disposition: Some(None),
                language: Some(Vec::new()),
                location: Some(None),
                extensions: Vec::new(),
            },
        }),
    }
}

/// The BODYSTRUCTURE (`extended`) or BODY (not extended) of `part` in `mode`, as rfc5322
/// describes it (media types and parameter names upper case, as servers send them).
/// message/global encloses a message under IMAP4rev2 only (see the [module](self) docs).
pub fn body_structure(part: &Part<'_>, extended: bool, mode: Mode) -> BodyStructure {
    build(part, extended, mode, 1)
}

/// Each level costs one frame; the depth is bounded by [`MAX_DEPTH`].
fn build(part: &Part<'_>, extended: bool, mode: Mode, depth: usize) -> BodyStructure {
    if depth >= MAX_DEPTH {
        return empty_text(extended);
    }
    let f = part.body_fields();
    let single_extension = |f: &views::BodyFields| {
        extended.then(|| SingleExtension {
            md5: nstring(f.md5.as_deref()),
            tail: tail(f),
        })
    };
    let multi = |parts| BodyStructure::Multi {
        parts,
        subtype: istring(&f.subtype.to_ascii_uppercase()),
        extension: extended.then(|| MultiExtension {
            params: params(&f.params),
            tail: tail(&f),
        }),
    };
    match part.kind() {
        PartKind::Multipart if part.children().len() > 0 => multi(
            part.children()
                .map(|c| build(&c, extended, mode, depth + 1))
                .collect(),
        ),
        PartKind::Multipart => multi(vec![empty_text(extended)]),
        kind => {
            // RFC 3501's media-message is RFC822 alone; RFC 9051 adds GLOBAL.
            let encloses = kind == PartKind::Message
                && (f.subtype.eq_ignore_ascii_case("rfc822") || mode.is_rev2());
            let inner = encloses.then(|| part.children().next()).flatten();
            let specific = match inner {
                Some(inner) => SpecificFields::Message {
                    envelope: Box::new(envelope(&inner.envelope())),
                    body: Box::new(build(&inner, extended, mode, depth + 1)),
                    lines: lines(&f),
                },
                None if f.media_type == "text" => SpecificFields::Text { lines: lines(&f) },
                None => SpecificFields::Basic,
            };
            BodyStructure::Single {
                media_type: istring(&f.media_type.to_ascii_uppercase()),
                subtype: istring(&f.subtype.to_ascii_uppercase()),
                fields: fields(&f),
                specific,
                extension: single_extension(&f),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rfc5322::Message;

    use super::*;
    use crate::codec::{ParseOptions, Parsed, encode_response, parse_response};
    use crate::types::{Data, FetchItem, Mode, Response};

    const MESSAGE: &[u8] = b"From: Fred Foobar <foobar@example.com>, team: a@b.example, c@d.example;\r\n\
To: mooch@owatagu.example\r\nSubject: =?utf-8?q?caf=C3=A9?= \"quoted\"\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
Message-Id: <B27397-0100000@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Language: en, de\r\n\r\nHello\r\nJoe\r\n\
--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=fwd.eml\r\n\r\n\
Subject: inner\r\nFrom: x@y.example\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n\
--outer\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <id@x>\r\n\r\nAAAA\r\n\
--outer--\r\n";

    fn fetch_line(item: FetchItem) -> Vec<u8> {
        let response = Response::Data(Data::Fetch {
            seq: std::num::NonZeroU32::MIN,
            items: vec![item],
        });
        let mut out = Vec::new();
        encode_response(&response, Mode::REV1, &mut out).unwrap();
        out
    }

    /// What rfc5322's own writers (`Part::write_imap_bodystructure`, `imap::write_envelope`)
    /// wrote for [`MESSAGE`] when they were moved here: this crate writes the same octets.
    const BODYSTRUCTURE: &str = "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 2 NIL NIL (\"en\" \"de\") NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 71 (NIL \"inner\" ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 9 1 NIL NIL NIL NIL) 5 NIL (\"ATTACHMENT\" (\"FILENAME\" \"fwd.eml\")) NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<id@x>\" NIL \"BASE64\" 4 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL))\r\n";
    const BODY: &str = "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 2)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 71 (NIL \"inner\" ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 9 1) 5)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<id@x>\" NIL \"BASE64\" 4) \"MIXED\"))\r\n";
    const ENVELOPE: &str = "* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"=?utf-8?q?caf=C3=A9?= \\\"quoted\\\"\" ((\"Fred Foobar\" NIL \"foobar\" \"example.com\")(NIL NIL \"team\" NIL)(NIL NIL \"a\" \"b.example\")(NIL NIL \"c\" \"d.example\")(NIL NIL NIL NIL)) ((\"Fred Foobar\" NIL \"foobar\" \"example.com\")(NIL NIL \"team\" NIL)(NIL NIL \"a\" \"b.example\")(NIL NIL \"c\" \"d.example\")(NIL NIL NIL NIL)) ((\"Fred Foobar\" NIL \"foobar\" \"example.com\")(NIL NIL \"team\" NIL)(NIL NIL \"a\" \"b.example\")(NIL NIL \"c\" \"d.example\")(NIL NIL NIL NIL)) ((NIL NIL \"mooch\" \"owatagu.example\")) NIL NIL NIL \"<B27397-0100000@example.com>\"))\r\n";

    #[test]
    fn writes_what_rfc5322_wrote_and_parses_back() {
        let msg = Message::parse(MESSAGE).unwrap();
        let root = msg.root();
        for (extended, expected) in [(true, BODYSTRUCTURE), (false, BODY)] {
            let body = body_structure(&root, extended, Mode::REV1);
            let item = if extended {
                FetchItem::BodyStructure(Box::new(body))
            } else {
                FetchItem::Body(Box::new(body))
            };
            let ours = fetch_line(item.clone());
            assert_eq!(String::from_utf8_lossy(&ours), expected);
            let back = parse_response(&Bytes::from(ours), ParseOptions::strict(Mode::REV1));
            let Ok(Parsed::Complete {
                value: Response::Data(Data::Fetch { items, .. }),
                ..
            }) = back
            else {
                panic!("{back:?}")
            };
            assert_eq!(items, vec![item]);
        }
        let env = envelope(&root.envelope());
        let ours = fetch_line(FetchItem::Envelope(Box::new(env.clone())));
        assert_eq!(String::from_utf8_lossy(&ours), ENVELOPE);
        // The group of the From line: start, two members, end.
        assert_eq!(env.from.len(), 5);
        assert!(env.from[1].host.is_none() && env.from[4].mailbox.is_none());
    }

    #[test]
    fn a_nul_in_a_header_is_left_out() {
        let msg = Message::parse(&b"Subject: a\0b\r\n\r\nbody\r\n"[..]).unwrap();
        let env = envelope(&msg.root().envelope());
        assert_eq!(env.subject.as_ref().map(|s| s.as_bytes()), Some(&b"ab"[..]));
        // (rfc5322's own writer put the NUL inside a literal, which IMAP forbids.)
        assert!(!fetch_line(FetchItem::Envelope(Box::new(env))).contains(&0));
    }
}
