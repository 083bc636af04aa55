//! Commands: the examples of RFC 3501, RFC 9051 and the extension RFCs parsed, written back
//! and parsed again; refusals of the strict parser.

use bytes::Bytes;

use super::*;
use crate::codec::encode::LiteralPolicy;
use crate::codec::encode_command::encode_command;
use crate::types::{
    Date, FetchAttribute, Flag, Mode, SearchKey, Section, SectionText, SequenceSet, Tag, UidSet,
};

fn parse_in(wire: &[u8], opts: ParseOptions) -> Result<Command, ParseError> {
    let input = Bytes::copy_from_slice(wire);
    match parse_command(&input, opts)? {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, wire.len(), "{}", String::from_utf8_lossy(wire));
            Ok(value)
        }
        Parsed::Incomplete => panic!("incomplete: {}", String::from_utf8_lossy(wire)),
    }
}

/// Parses, writes back, parses again: the same command. Returns it.
fn round(wire: &str) -> Command {
    round_in(wire, Mode::REV1)
}

fn round_in(wire: &str, mode: Mode) -> Command {
    let wire = wire.replace('\n', "\r\n");
    let opts = ParseOptions::strict(mode);
    let command = parse_in(wire.as_bytes(), opts).unwrap_or_else(|e| panic!("{e}: {wire}"));
    let encoded = encode_command(&command, mode, LiteralPolicy::Sync).unwrap();
    let again = parse_in(&encoded.to_vec(), opts).unwrap();
    assert_eq!(again, command, "{wire}");
    command
}

/// Like `round`, and the encoder writes exactly the example.
fn exact(wire: &str) -> Command {
    let command = round(wire);
    let encoded = encode_command(&command, Mode::REV1, LiteralPolicy::Sync).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&encoded.to_vec()),
        wire.replace('\n', "\r\n")
    );
    command
}

#[test]
fn rfc3501_section_6_examples() {
    for wire in [
        "a002 NOOP\n",
        "abcd CAPABILITY\n",
        "A023 LOGOUT\n",
        "a001 STARTTLS\n",
        "A001 AUTHENTICATE GSSAPI\n",
        "a001 LOGIN SMITH SESAME\n",
        "A142 SELECT INBOX\n",
        "A932 EXAMINE blurdybloop\n",
        "A003 CREATE owatagusiam/\n",
        "A682 DELETE blurdybloop\n",
        "A683 RENAME blurdybloop sarasoop\n",
        "A002 SUBSCRIBE #news.comp.mail.mime\n",
        "A002 UNSUBSCRIBE #news.comp.mail.mime\n",
        "A101 LIST \"\" \"\"\n",
        "A202 LIST ~/Mail/ %\n",
        "A042 STATUS blurdybloop (UIDNEXT MESSAGES)\n",
        "FXXZ CHECK\n",
        "A341 CLOSE\n",
        "A202 EXPUNGE\n",
        "A283 SEARCH TEXT \"string not in mailbox\"\n",
        "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\n",
        "A003 STORE 2:4 +FLAGS (\\Deleted)\n",
        "A003 COPY 2:4 MEETING\n",
        "A999 UID FETCH 4827313:4828442 FLAGS\n",
    ] {
        exact(wire);
    }
    // Written back in another (equally valid) form.
    round("A102 LIST #news.comp.mail.misc \"\"\n");
    round("A002 LSUB \"#news.\" \"comp.mail.*\"\n");
    let search = round("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\n");
    let CommandBody::Search { criteria, .. } = search.body else {
        panic!()
    };
    assert_eq!(
        criteria,
        vec![
            SearchKey::Flagged,
            SearchKey::Since(Date::new(1994, 2, 1).unwrap()),
            SearchKey::Not(Box::new(SearchKey::From(
                crate::AString::try_from("Smith").unwrap()
            )))
        ]
    );
    let search = round("A284 SEARCH CHARSET UTF-8 TEXT {6}\nXXXXXX\n");
    assert!(matches!(
        search.body,
        CommandBody::Search {
            charset: Some(_),
            ..
        }
    ));
    let append = round("A003 APPEND saved-messages (\\Seen) {23}\nDate: x\n\nHello Joe!\n\n");
    let CommandBody::Append { mailbox, messages } = append.body else {
        panic!()
    };
    assert_eq!(mailbox.name(), Some("saved-messages"));
    assert_eq!(messages[0].flags, vec![Flag::Seen]);
    assert!(matches!(&messages[0].data, AppendData::Inline(l) if l.data().len() == 23));
}

#[test]
fn fetch_attributes_in_full() {
    let c = exact(
        "A01 FETCH 1 (BINARY.PEEK[1]<0.100> BINARY.SIZE[2] BODY.PEEK[1.2.MIME] BODY[]<0.2048> EMAILID THREADID MODSEQ RFC822.SIZE BODY BODYSTRUCTURE ENVELOPE INTERNALDATE UID BODY[HEADER.FIELDS.NOT (X-A)] BODY[1.TEXT] BODY[2])\n",
    );
    let CommandBody::Fetch {
        items: FetchItems::Attributes { list, .. },
        ..
    } = c.body
    else {
        panic!()
    };
    assert_eq!(list.len(), 16);
    assert!(matches!(
        &list[2],
        FetchAttribute::BodySection { section: Section { part, text: Some(SectionText::Mime) }, peek: true, partial: None }
            if part.len() == 2
    ));
    for wire in ["a FETCH 1:* ALL\n", "a FETCH 1 FAST\n", "a FETCH $ FULL\n"] {
        exact(wire);
    }
}

#[test]
fn extension_examples() {
    for wire in [
        // RFC 5258 / 6154 / 5819.
        "A02 LIST (SUBSCRIBED) \"\" *\n",
        "A05 LIST (SPECIAL-USE RECURSIVEMATCH) \"\" (INBOX Drafts*) RETURN (SPECIAL-USE SUBSCRIBED)\n",
        "A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\n",
        "t1 CREATE \"Important Messages\" (USE (\\Important))\n",
        // RFC 7162.
        "a SELECT INBOX (CONDSTORE)\n",
        "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\n",
        "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000 15000,22500,27000)))\n",
        "s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\n",
        "s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\n",
        "a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\n",
        "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\n",
        // RFC 4731, 5182.
        "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\n",
        "A301 SEARCH RETURN (SAVE) SINCE 19-Mar-2007 NOT SEEN\n",
        "A302 FETCH $ (UID FLAGS INTERNALDATE)\n",
        // RFC 5256.
        "A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\n",
        "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\n",
        "A284 THREAD REFERENCES US-ASCII TEXT gewp\n",
        // RFC 2971.
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)\n",
        "a1 ID NIL\n",
        // RFC 9208.
        "A003 GETQUOTA \"\"\n",
        "A003 GETQUOTAROOT INBOX\n",
        "A001 SETQUOTA \"\" (STORAGE 512)\n",
        // RFC 5464.
        "a GETMETADATA \"\" /shared/comment\n",
        "a GETMETADATA INBOX (/shared/comment /private/comment)\n",
        "a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX /shared/comment\n",
        "a SETMETADATA INBOX (/private/comment NIL)\n",
        // RFC 4978, 4315, 6851, 3691, 2342, 2177, 5161, 4959.
        "a01 COMPRESS DEFLATE\n",
        "a UID EXPUNGE 3000:3002\n",
        "a MOVE 2:4 mailbox\n",
        "a UID MOVE 42:69 foo\n",
        "a UID COPY 1,3 foo\n",
        "a1 UNSELECT\n",
        "a2 NAMESPACE\n",
        "a001 IDLE\n",
        "a ENABLE CONDSTORE QRESYNC\n",
        "a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\n",
        "a AUTHENTICATE PLAIN =\n",
        "a UID SEARCH UID 1:5 OR SEEN (DRAFT LARGER 10) EMAILID M1 THREADID T1\n",
    ] {
        exact(wire);
    }
    // An empty selection list is no selection.
    round("A03 LIST () \"\" % RETURN (CHILDREN)\n");
    // RFC 3502 MULTIAPPEND with dates, RFC 3516 literal8.
    let c = round(
        "A003 APPEND saved (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {3}\nabc (\\Draft) ~{2}\na\0\n",
    );
    let CommandBody::Append { messages, .. } = c.body else {
        panic!()
    };
    assert_eq!(messages.len(), 2);
    assert!(messages[0].date.is_some());
    assert!(matches!(&messages[1].data, AppendData::Inline(l) if l.is_binary()));
    let c = round("a SETMETADATA INBOX (/private/comment ~{3}\na\0b)\n");
    assert!(matches!(c.body, CommandBody::SetMetadata { .. }));
}

#[test]
fn utf8_mailbox_names_by_mode() {
    let c = exact("a SELECT Entw&APw-rfe\n");
    let CommandBody::Select { mailbox, .. } = &c.body else {
        panic!()
    };
    assert_eq!(mailbox.name(), Some("Entw\u{fc}rfe"));
    let c = round_in("a SELECT \"Entw\u{fc}rfe\"\n", Mode::REV2);
    assert_eq!(
        c.body,
        CommandBody::Select {
            mailbox: mailbox.clone(),
            params: Default::default()
        }
    );
    // The same octets in IMAP4rev1 without UTF-8: 8-bit quoted text is refused.
    let e = parse_in(
        "a SELECT \"Entw\u{fc}rfe\"\r\n".as_bytes(),
        ParseOptions::strict(Mode::REV1),
    )
    .unwrap_err();
    assert_eq!(e.kind.fault, Fault::Expected("7-bit text"));
}

fn refuse(wire: &str, mode: Mode) -> ParseError {
    parse_in(wire.as_bytes(), ParseOptions::strict(mode)).unwrap_err()
}

#[test]
fn strict_refusals_carry_the_tag() {
    let e = refuse("A1 FROB x\r\n", Mode::REV1);
    assert_eq!((e.kind.fault, e.offset), (Fault::UnknownCommand, 3));
    assert_eq!(e.kind.tag, Some(Tag::new("A1").unwrap()));
    assert_eq!(
        refuse("A1 SETACL x y z\r\n", Mode::REV1).kind.fault,
        Fault::UnknownCommand
    );
    assert_eq!(
        refuse("A1 NOOP \r\n", Mode::REV1).kind.fault,
        Fault::Trailing
    );
    assert_eq!(
        refuse("A1 SELECT  INBOX\r\n", Mode::REV1).kind.fault,
        Fault::Expected("astring")
    );
    assert_eq!(
        refuse("A1 FETCH 0 FLAGS\r\n", Mode::REV1).kind.fault,
        Fault::Expected("sequence set")
    );
    assert_eq!(
        refuse("A1 STORE 1 FLAGS (\\Seen\r\n", Mode::REV1)
            .kind
            .fault,
        Fault::Expected("SP")
    );
    // RFC 9051 Appendix E: LSUB and CHECK are gone; STATUS RECENT too.
    for wire in [
        "A1 LSUB \"\" *\r\n",
        "A1 CHECK\r\n",
        "A1 STATUS INBOX (RECENT)\r\n",
    ] {
        let e = refuse(wire, Mode::REV2);
        assert_eq!(e.kind.fault, Fault::NotInMode, "{wire}");
        assert_eq!(e.kind.tag, Some(Tag::new("A1").unwrap()));
    }
    // RFC 9755 section 3: CHARSET after UTF8=ACCEPT is BAD.
    let e = refuse(
        "A1 SEARCH CHARSET UTF-8 ALL\r\n",
        Mode::REV1.with_utf8_accept(true),
    );
    assert_eq!(e.kind.fault, Fault::NotInMode);
    let e = encode_command(
        &parse_in(
            b"A1 SEARCH CHARSET UTF-8 ALL\r\n",
            ParseOptions::strict(Mode::REV1),
        )
        .unwrap(),
        Mode::REV1.with_utf8_accept(true),
        LiteralPolicy::Sync,
    );
    assert!(e.is_err());
    let e = encode_command(
        &parse_in(b"A1 CHECK\r\n", ParseOptions::strict(Mode::REV1)).unwrap(),
        Mode::REV2,
        LiteralPolicy::Sync,
    );
    assert_eq!(e, Err(crate::EncodeError::NotInMode("CHECK")));
}

/// Found by the fuzzer: a MODSEQ entry name that starts with a digit must be written
/// quoted, or it reads back as the mod-sequence.
#[test]
fn modseq_entry_names_are_written_quoted() {
    let c = round("a SEARCH MODSEQ \"0flags\" all 2\n");
    let wire = encode_command(&c, Mode::REV1, LiteralPolicy::Sync)
        .unwrap()
        .to_vec();
    assert_eq!(wire, b"a SEARCH MODSEQ \"0flags\" all 2\r\n");
}

#[test]
fn search_nesting_is_limited() {
    for (depth, ok) in [
        (crate::codec::MAX_DEPTH - 1, true),
        (crate::codec::MAX_DEPTH, false),
    ] {
        let wire = format!("A1 SEARCH {}ALL\r\n", "NOT ".repeat(depth));
        let got = parse_in(wire.as_bytes(), ParseOptions::strict(Mode::REV1));
        assert_eq!(got.is_ok(), ok, "{depth}");
        if !ok {
            assert_eq!(
                got.unwrap_err().kind.fault,
                Fault::TooDeep(crate::codec::MAX_DEPTH)
            );
        }
    }
}

#[test]
fn sets_are_typed_by_command() {
    let c = exact("a UID FETCH 1:* UID\n");
    assert!(
        matches!(c.body, CommandBody::Fetch { set: MessageSet::Uid(ref s), .. } if *s == UidSet::all())
    );
    let c = exact("a FETCH 1:* UID\n");
    assert!(
        matches!(c.body, CommandBody::Fetch { set: MessageSet::Seq(ref s), .. } if *s == SequenceSet::all())
    );
}

#[path = "command_props.rs"]
pub(crate) mod props;

/// What the general parser reads from `line` (no line end), in `opts`.
fn general(line: &[u8], opts: ParseOptions) -> Result<Command, ParseError> {
    let input = Bytes::copy_from_slice(line);
    command(Cursor::over_line(&input, &[], input.len(), opts), &input)
}

/// Each line the command fast path takes, each it leaves to the general parser.
#[test]
fn the_fast_path_takes_the_common_commands_only() {
    let taken: &[(&[u8], CommandBody)] = &[
        (b"a NOOP", CommandBody::Noop),
        (b"A1 IDLE", CommandBody::Idle),
        (b"x.1 CAPABILITY", CommandBody::Capability),
        (
            b"A142 SELECT INBOX",
            CommandBody::Select {
                mailbox: Mailbox::inbox(),
                params: SelectParams::default(),
            },
        ),
        (
            b"A1 EXAMINE inbox",
            CommandBody::Examine {
                mailbox: Mailbox::inbox(),
                params: SelectParams::default(),
            },
        ),
        (
            b"A1 SELECT Entw&APw-rfe",
            CommandBody::Select {
                mailbox: Mailbox::new("Entw\u{fc}rfe").unwrap(),
                params: SelectParams::default(),
            },
        ),
    ];
    for (line, body) in taken {
        let input = Bytes::copy_from_slice(line);
        let fast = common_command(&input, line.len(), Mode::REV1).unwrap();
        assert_eq!(&fast.body, body, "{}", String::from_utf8_lossy(line));
        assert_eq!(
            fast,
            general(line, ParseOptions::strict(Mode::REV1)).unwrap()
        );
    }
    for line in [
        &b"a noop"[..],
        b"a NOOP ",
        b"a  NOOP",
        b" NOOP",
        b"a CHECK",
        b"a SELECT",
        b"a SELECT ",
        b"a SELECT  INBOX",
        b"a SELECT \"INBOX\"",
        b"a SELECT INBOX (CONDSTORE)",
        b"a SELECT a]b",
        b"a select INBOX",
        b"a LOGIN a b",
        b"+ NOOP",
    ] {
        crate::codec::message::tests::assert_declined(line, |input, len| {
            common_command(input, len, Mode::REV1)
        });
    }
}

proptest::proptest! {
    /// Every line the command fast path reads, the general parser reads to the same command
    /// in every mode, strict and lenient.
    #[test]
    fn the_fast_path_reads_what_the_parser_reads(
        line in "[A-Za-z0-9.+*]{0,5} (NOOP|IDLE|CHECK|LOGOUT|noop|SELECT|EXAMINE|SELECT |STARTTLS)( ?)([A-Za-z0-9&,+.\\-\\]]{0,10}| [ -~]{0,4}|)",
    ) {
        let input = Bytes::copy_from_slice(line.as_bytes());
        for mode in [Mode::REV1, Mode::REV2, Mode::REV1.with_utf8_accept(true)] {
            if let Some(fast) = common_command(&input, input.len(), mode) {
                for opts in [ParseOptions::strict(mode), ParseOptions::lenient(mode)] {
                    proptest::prop_assert_eq!(general(line.as_bytes(), opts), Ok(fast.clone()), "{:?}", opts);
                }
            }
        }
    }
}
