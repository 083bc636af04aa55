//! Responses: the examples of RFC 3501 and RFC 9051 sections 7 and 8 and of the extension
//! RFCs, parsed, written back and parsed again; the quirks of real servers.

use bytes::Bytes;

use super::*;
use crate::codec::encode_response::encode_response;
use crate::types::{
    BodyStructure, Capability, Flag, Mailbox, Mode, SectionText, SpecificFields, StatusItem,
};

fn parse_in(wire: &[u8], opts: ParseOptions) -> Result<Response, ParseError> {
    let input = Bytes::copy_from_slice(wire);
    match parse_response(&input, opts)? {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, wire.len(), "{}", String::from_utf8_lossy(wire));
            Ok(value)
        }
        Parsed::Incomplete => panic!("incomplete: {}", String::from_utf8_lossy(wire)),
    }
}

/// Parses leniently in `mode`, writes back, parses again: the same response.
fn round_in(wire: &str, mode: Mode) -> Response {
    let wire = wire.replace('\n', "\r\n");
    let opts = ParseOptions::lenient(mode);
    let response = parse_in(wire.as_bytes(), opts).unwrap_or_else(|e| panic!("{e}: {wire}"));
    let encoded = written(&response, mode).unwrap_or_else(|e| panic!("{e}: {wire}"));
    let again = parse_in(&encoded, opts).unwrap();
    assert_eq!(again, response, "{wire}");
    // The strict parser reads what the encoder wrote.
    assert_eq!(
        parse_in(&encoded, ParseOptions::strict(mode)),
        Ok(response.clone()),
        "{}",
        String::from_utf8_lossy(&encoded)
    );
    response
}

/// `response` as `encode_response` writes it into a `Vec`.
fn written(response: &Response, mode: Mode) -> Result<Vec<u8>, crate::EncodeError> {
    let mut out = Vec::new();
    encode_response(response, mode, &mut out).map(|()| out)
}

fn round(wire: &str) -> Response {
    round_in(wire, Mode::REV1)
}

/// Like `round`, and the encoder writes exactly the example.
fn exact(wire: &str) -> Response {
    let response = round(wire);
    let encoded = written(&response, Mode::REV1).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&encoded),
        wire.replace('\n', "\r\n")
    );
    response
}

fn data(r: Response) -> Data {
    match r {
        Response::Data(d) => d,
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc3501_section_7_examples() {
    for wire in [
        "* OK IMAP4rev1 server ready\n",
        "A001 OK LOGIN completed\n",
        "* NO Disk is 98% full, please delete unnecessary data\n",
        "* NO [ALERT] System shutdown in 10 minutes\n",
        "A223 NO COPY failed: disk is full\n",
        "* BAD Command line too long\n",
        "* BAD Empty command line\n",
        "A443 BAD no such command as \"FRIDGE\"\n",
        "* PREAUTH IMAP4rev1 server logged in as Smith\n",
        "* BYE Autologout; idle for too long\n",
        "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN\n",
        "* LIST (\\Noselect) \"/\" ~/Mail/foo\n",
        "* LSUB () \".\" #news.comp.mail.misc\n",
        "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\n",
        "* SEARCH 2 3 6\n",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n",
        "* 23 EXISTS\n",
        "* 5 RECENT\n",
        "* 44 EXPUNGE\n",
        "* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\n",
        "+ Ready for additional command text\n",
        "* OK [UNSEEN 17] Message 17 is the first unseen message\n",
        "* OK [UIDVALIDITY 3857529045] UIDs valid\n",
        "* OK [UIDNEXT 4392] Predicted next UID\n",
        "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\n",
        "A142 OK [READ-WRITE] SELECT completed\n",
        "A932 OK [READ-ONLY] EXAMINE completed\n",
        "A003 NO [TRYCREATE] No such mailbox\n",
    ] {
        exact(wire);
    }
    let caps = data(exact(
        "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\n",
    ));
    let Data::Capability(caps) = caps else {
        panic!()
    };
    assert!(caps.has(&Capability::StartTls) && caps.has_auth("gssapi"));
    let Data::Status { mailbox, items } =
        data(round("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\n"))
    else {
        panic!()
    };
    assert_eq!(mailbox, Mailbox::new("blurdybloop").unwrap());
    assert_eq!(
        items,
        vec![
            crate::types::StatusAttr::Number(StatusItem::Messages, 231),
            crate::types::StatusAttr::Number(StatusItem::UidNext, 44292)
        ]
    );
}

/// RFC 3501 section 8: the server's side of the sample session, FETCH with ENVELOPE and a
/// plain BODY included (imap-proto 0.17 fails that one).
#[test]
fn rfc3501_section_8_session() {
    let fetch = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\n";
    let Data::Fetch { seq, items } = data(exact(fetch)) else {
        panic!()
    };
    assert_eq!(seq.get(), 12);
    let FetchItem::Envelope(env) = &items[3] else {
        panic!()
    };
    assert_eq!(env.cc.len(), 2);
    assert_eq!(
        env.cc[1].mailbox.as_ref().map(|m| m.as_bytes()),
        Some(&b"KLENSIN"[..])
    );
    let FetchItem::Body(body) = &items[4] else {
        panic!()
    };
    let BodyStructure::Single {
        fields,
        specific,
        extension,
        ..
    } = body.as_ref()
    else {
        panic!()
    };
    assert_eq!(
        (fields.octets, specific),
        (3028, &SpecificFields::Text { lines: 92 })
    );
    assert!(extension.is_none());
    for wire in [
        "* OK IMAP4rev1 Service Ready\n",
        "a001 OK LOGIN completed\n",
        "* 18 EXISTS\n",
        "* OK [UIDVALIDITY 3857529045] UIDs valid\n",
        "a002 OK [READ-WRITE] SELECT completed\n",
        "a003 OK FETCH completed\n",
        "a004 OK FETCH completed\n",
        "* 12 FETCH (FLAGS (\\Seen \\Deleted))\n",
        "a005 OK +FLAGS completed\n",
        "* BYE IMAP4rev1 server terminating connection\n",
        "a006 OK LOGOUT completed\n",
    ] {
        exact(wire);
    }
    let header = round("* 12 FETCH (BODY[HEADER] {22}\nSubject: x\n\n12345678)\n");
    let Data::Fetch { items, .. } = data(header) else {
        panic!()
    };
    assert!(
        matches!(&items[0], FetchItem::BodySection { section, data: SectionData::Inline(d), .. }
        if section.text == Some(SectionText::Header) && d.len() == 22)
    );
}

#[test]
fn extension_examples() {
    for wire in [
        // RFC 4315.
        "A003 OK [APPENDUID 38505 3955] APPEND completed\n",
        "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\n",
        "A003 NO [UIDNOTSTICKY] Non-persistent UIDs\n",
        // RFC 7162.
        "* OK [HIGHESTMODSEQ 715194045007] Highest\n",
        "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\n",
        "d105 OK [MODIFIED 7,9] Conditional STORE failed\n",
        "* 1 FETCH (UID 4 MODSEQ (65402) FLAGS (\\Seen))\n",
        "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\n",
        "* VANISHED 405,407,410,425\n",
        "* OK [CLOSED] Previous mailbox closed\n",
        "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\n",
        // RFC 4731.
        "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\n",
        "* ESEARCH (TAG \"A283\") ALL 2,10:11\n",
        "* ESEARCH (TAG \"a\") UID MIN 1 MAX 4 ALL 1:4 MODSEQ 7\n",
        // RFC 5161, 2971, 2342.
        "* ENABLED CONDSTORE QRESYNC\n",
        "* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" NIL)\n",
        "* ID NIL\n",
        "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\n",
        "* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\n",
        // RFC 9208.
        "* QUOTA \"\" (STORAGE 10 512)\n",
        "* QUOTAROOT INBOX \"\"\n",
        "* QUOTAROOT comp.mail.mime\n",
        // RFC 5464.
        "* METADATA \"\" (/shared/comment \"My comment\")\n",
        "* METADATA INBOX /shared/comment /private/comment\n",
        "a OK [METADATA LONGENTRIES 2199] GETMETADATA complete\n",
        "a NO [METADATA TOOMANY] Too many entries\n",
        // RFC 5256.
        "* SORT 2 84 882\n",
        "* THREAD (166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)(177 (183)(182)(188)(184)(185)(186)(187)(189))(190)(191)(192)(193)(194 195)(196 (197)(198))(199)(200 202)(201)(203)(204)(205)(206 207)(208)\n",
        "* THREAD (2)(3 6 (4 23)(44 7 96))\n",
        "* THREAD ((3)(5))\n",
        "* THREAD\n",
        // RFC 5258, 6154, 5819.
        "* LIST () \"/\" Fruit (\"CHILDINFO\" (\"SUBSCRIBED\"))\n",
        "* LIST (\\Drafts \\HasNoChildren) \"/\" Drafts\n",
        "* LIST () NIL Tofu (\"OLDNAME\" (\"Foo\"))\n",
        "* STATUS Sent (MESSAGES 3 SIZE 12345 DELETED 1 HIGHESTMODSEQ 7 APPENDLIMIT 1000)\n",
        // RFC 5530, 3516, 8474, 4978, 9051.
        "a NO [AUTHENTICATIONFAILED] Authentication failed\n",
        "a NO [OVERQUOTA] Sorry\n",
        "* 1 FETCH (BINARY.SIZE[1] 42 EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9))\n",
        "* 2 FETCH (THREADID NIL)\n",
        "a OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed\n",
        "a NO [UNKNOWN-CTE] Can't decode\n",
        "a OK [COMPRESSIONACTIVE] DEFLATE active\n",
        "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\n",
        "a NO [HASCHILDREN] Has children\n",
        "a NO [NOTSAVED] Not saved\n",
    ] {
        exact(wire);
    }
    round("* LIST (\\Marked \\NoInferiors \\Subscribed) \"/\" inbox\n");
    let Data::Thread(threads) = data(round("* THREAD (2)(3 6 (4 23)(44 7 96))\n")) else {
        panic!()
    };
    assert_eq!(threads.len(), 2);
    assert!(
        matches!(&threads[1], Thread::Chain { messages, children } if messages == &[3, 6] && children.len() == 2)
    );
    // Binary data with NUL as a literal8.
    let Data::Fetch { items, .. } = data(round("* 1 FETCH (BINARY[1] ~{3}\na\0b)\n")) else {
        panic!()
    };
    assert!(
        matches!(&items[0], FetchItem::Binary { data: SectionData::Inline(d), .. } if &d[..] == b"a\0b")
    );
}

#[test]
fn a_multipart_bodystructure_with_extension_data() {
    let wire = "* 3 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 1234 40 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<id@x>\" \"Report\" \"base64\" 52000 \"md5sum\" (\"attachment\" (\"filename\" \"a.pdf\")) (\"en\" \"de\") \"http://x/\" 7 (\"x\" 8))(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1) 12) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\n";
    let Data::Fetch { items, .. } = data(exact(wire)) else {
        panic!()
    };
    let FetchItem::BodyStructure(body) = &items[0] else {
        panic!()
    };
    let BodyStructure::Multi {
        parts,
        subtype,
        extension,
    } = body.as_ref()
    else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(subtype.as_bytes(), b"mixed");
    assert_eq!(extension.as_ref().unwrap().params.len(), 1);
    let BodyStructure::Single {
        extension: Some(ext),
        ..
    } = &parts[1]
    else {
        panic!()
    };
    assert_eq!(ext.tail.language.as_ref().map(Vec::len), Some(2));
    assert_eq!(ext.tail.extensions.len(), 2);
    assert!(matches!(
        &parts[2],
        BodyStructure::Single {
            specific: SpecificFields::Message { lines: 12, .. },
            ..
        }
    ));
}

#[test]
fn nesting_of_bodystructure_is_limited_to_64() {
    for (depth, ok) in [
        (crate::codec::MAX_DEPTH - 1, true),
        (crate::codec::MAX_DEPTH, false),
    ] {
        let leaf = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
        let mut body = leaf.to_string();
        for _ in 1..depth {
            body = format!("({body} \"mixed\")");
        }
        let wire = format!("* 1 FETCH (BODY {body})\r\n");
        let got = parse_in(wire.as_bytes(), ParseOptions::lenient(Mode::REV1));
        assert_eq!(got.is_ok(), ok, "{depth}");
        if let Err(e) = got {
            assert_eq!(e.kind.fault, Fault::TooDeep(crate::codec::MAX_DEPTH));
        }
    }
}

#[test]
fn nesting_of_thread_is_limited_to_64() {
    for (depth, ok) in [
        (crate::codec::MAX_DEPTH, true),
        (crate::codec::MAX_DEPTH + 1, false),
    ] {
        // Each level is a branch: `((...(1)...))`.
        let wire = format!("* THREAD {}1{}\r\n", "(".repeat(depth), ")".repeat(depth));
        let got = parse_in(wire.as_bytes(), ParseOptions::lenient(Mode::REV1));
        assert_eq!(got.is_ok(), ok, "{depth}");
        if let Err(e) = got {
            assert_eq!(e.kind.fault, Fault::TooDeep(crate::codec::MAX_DEPTH));
        }
    }
}

#[test]
fn a_search_of_a_million_numbers() {
    let mut wire = b"* SEARCH".to_vec();
    for n in 1..=1_000_000u32 {
        wire.extend_from_slice(format!(" {n}").as_bytes());
    }
    wire.extend_from_slice(b"\r\n");
    let Response::Data(Data::Search {
        numbers,
        modseq: None,
    }) = parse_in(&wire, ParseOptions::lenient(Mode::REV1)).unwrap()
    else {
        panic!()
    };
    assert_eq!(numbers.len(), 1_000_000);
    assert_eq!(numbers[999_999], 1_000_000);
}

/// Quirks of real servers, each named after a server that sends it.
#[test]
fn lenient_quirks_of_real_servers() {
    let lenient = ParseOptions::lenient(Mode::REV1);
    let strict = ParseOptions::strict(Mode::REV1);
    let accept = |wire: &[u8]| parse_in(wire, lenient).unwrap_or_else(|e| panic!("{e}"));
    // Exchange and Gmail send a response code with no text.
    let r = accept(b"* OK [UIDVALIDITY 3]\r\n");
    assert!(matches!(r, Response::Status(StatusResponse { text, .. }) if text.is_empty()));
    assert!(parse_in(b"* OK [UIDVALIDITY 3]\r\n", strict).is_ok());
    // Courier sends a trailing space after SEARCH results.
    let r = accept(b"* SEARCH 1 2 \r\n");
    assert!(matches!(r, Response::Data(Data::Search { ref numbers, .. }) if numbers == &[1, 2]));
    assert!(parse_in(b"* SEARCH 1 2 \r\n", strict).is_err());
    // Dovecot with a Latin-1 mailbox in a NO text: 8-bit resp-text (imap-codec fails it).
    let r = accept(b"a NO Mailbox doesn't exist: Entw\xfcrfe\r\n");
    assert!(
        matches!(r, Response::Status(StatusResponse { text, .. }) if text.ends_with(b"\xfcrfe"))
    );
    assert!(parse_in(b"a NO Mailbox doesn't exist: Entw\xfcrfe\r\n", strict).is_err());
    // Yahoo sends NIL for a body's encoding, and -1 for an unknown size.
    let r = accept(b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL NIL -1 -1))\r\n");
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    let FetchItem::BodyStructure(body) = &items[0] else {
        panic!()
    };
    assert!(
        matches!(body.as_ref(), BodyStructure::Single { fields, .. } if fields.octets == 0 && fields.encoding.as_bytes().is_empty())
    );
    // Exchange: extra spaces inside FETCH and between the parts of a multipart.
    let r = accept(b"* 2 FETCH (UID 7  FLAGS (\\Seen) )\r\n");
    assert!(matches!(r, Response::Data(Data::Fetch { ref items, .. }) if items.len() == 2));
    let r = accept(b"* 2 FETCH (BODY ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) (\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1) \"alternative\"))\r\n");
    assert!(matches!(r, Response::Data(Data::Fetch { .. })));
    // A server (Zimbra) that sends "+" alone as a continuation.
    assert!(matches!(
        accept(b"+\r\n"),
        Response::Continue(Continue { code: None, .. })
    ));
    // A broken known code is kept raw, not fatal (hMailServer's "[UIDNEXT x]").
    let r = accept(b"* OK [UIDNEXT x] hi\r\n");
    assert!(matches!(
        r,
        Response::Status(StatusResponse {
            code: Some(Code::Other { .. }),
            ..
        })
    ));
    // Unknown untagged data and FETCH items are kept.
    let r = accept(b"* XSTATE a (b c)\r\n");
    assert!(
        matches!(r, Response::Data(Data::Other { ref name, ref rest }) if &name[..] == b"XSTATE" && &rest[..] == b"a (b c)")
    );
    let r = accept(
        b"* 1 FETCH (X-GM-LABELS (\\Inbox \"a b\") X-GM-MSGID 1278455344230334865 UID 3)\r\n",
    );
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    assert!(
        matches!(&items[0], FetchItem::Other { name, value } if &name[..] == b"X-GM-LABELS" && &value[..] == b"(\\Inbox \"a b\")")
    );
    assert!(matches!(&items[2], FetchItem::Uid(n) if n.get() == 3));
}

/// Found by the fuzzer: raw octets kept from a peer that end like a literal announcement
/// cannot end a line written back (the reader would wait for the literal).
#[test]
fn a_line_never_ends_like_a_literal_announcement() {
    let esearch = parse_in(
        b"* ESEARCH XLIMIT O{5+} \r\n",
        ParseOptions::lenient(Mode::REV1),
    )
    .unwrap();
    let other = Response::Data(Data::Other {
        name: Bytes::from_static(b"XSTATE"),
        rest: Bytes::from_static(b"a{5}"),
    });
    let text = Response::Status(StatusResponse {
        tag: None,
        condition: Condition::Ok,
        code: None,
        text: Bytes::from_static(b"hello {5}"),
    });
    for response in [esearch, other, text] {
        assert!(
            matches!(
                written(&response, Mode::REV1),
                Err(crate::EncodeError::Invalid { byte: b'}', .. })
            ),
            "{response:?}"
        );
    }
}

#[test]
fn errors_carry_offset_octets_and_tag() {
    let e = parse_in(b"a7 OK [UIDNEXT 0] x\r\n", ParseOptions::strict(Mode::REV1)).unwrap_err();
    assert_eq!(e.kind.fault, Fault::Zero);
    assert_eq!(e.kind.tag.as_ref().map(|t| t.as_str()), Some("a7"));
    assert_eq!(e.offset, 15);
    assert_eq!(e.found, b"0] x\r\n".get(..4).unwrap());
    let e = parse_in(b"* 0 FETCH (UID 1)\r\n", ParseOptions::lenient(Mode::REV1)).unwrap_err();
    assert_eq!((e.kind.fault, e.offset, e.kind.tag), (Fault::Zero, 2, None));
    let e = parse_in(b"a1 MAYBE\r\n", ParseOptions::lenient(Mode::REV1)).unwrap_err();
    assert_eq!(e.kind.fault, Fault::Expected("OK, NO or BAD"));
}

#[test]
fn rev2_and_utf8_modes() {
    // LIST with a UTF-8 name under IMAP4rev2; the same name in modified UTF-7 under rev1.
    let r = round_in("* LIST () \"/\" \"Entw\u{fc}rfe\"\n", Mode::REV2);
    let Data::List(item) = data(r) else { panic!() };
    assert_eq!(item.mailbox.name(), Some("Entw\u{fc}rfe"));
    let Data::List(rev1) = data(exact("* LIST () \"/\" Entw&APw-rfe\n")) else {
        panic!()
    };
    assert_eq!(rev1.mailbox, item.mailbox);
    // RECENT and LSUB do not exist in IMAP4rev2: the encoder refuses them.
    let recent = parse_in(b"* 3 RECENT\r\n", ParseOptions::lenient(Mode::REV1)).unwrap();
    assert!(written(&recent, Mode::REV2).is_err());
    assert_eq!(written(&recent, Mode::REV1).unwrap(), b"* 3 RECENT\r\n");
    let flags = data(exact("* FLAGS (\\Seen $Forwarded)\n"));
    assert!(matches!(flags, Data::Flags(ref f) if f[0] == Flag::Seen));
}

/// What the general parser reads from `line` (no line end), in `opts`.
fn general(line: &[u8], opts: ParseOptions) -> Result<Response, ParseError> {
    let input = Bytes::copy_from_slice(line);
    Cursor::over_line(&input, &[], input.len(), opts).response()
}

fn all_options() -> Vec<ParseOptions> {
    let utf8 = Mode::REV1.with_utf8_accept(true);
    [Mode::REV1, Mode::REV2, utf8]
        .into_iter()
        .flat_map(|m| [ParseOptions::strict(m), ParseOptions::lenient(m)])
        .collect()
}

/// Each line the fast path takes, each it leaves to the general parser, and the value.
#[test]
fn the_fast_path_takes_the_common_lines_only() {
    let taken: &[(&[u8], Response)] = &[
        (b"* 23 EXISTS", Response::Data(Data::Exists(23))),
        (b"* 0 EXISTS", Response::Data(Data::Exists(0))),
        (
            b"* 999999999 EXISTS",
            Response::Data(Data::Exists(999_999_999)),
        ),
        (b"* 7 RECENT", Response::Data(Data::Recent(7))),
        (
            b"* 1 EXPUNGE",
            Response::Data(Data::Expunge(NonZeroU32::MIN)),
        ),
    ];
    for (line, value) in taken {
        let input = Bytes::copy_from_slice(line);
        assert_eq!(common_response(&input, line.len()).as_ref(), Some(value));
    }
    let status = |tag: &'static str, condition, code, text: &'static str| {
        Response::Status(StatusResponse {
            tag: Some(Tag::new(tag).unwrap()),
            condition,
            code,
            text: Bytes::from_static(text.as_bytes()),
        })
    };
    let tagged: &[(&[u8], Response)] = &[
        (
            b"A142 OK [READ-WRITE] SELECT completed",
            status(
                "A142",
                Condition::Ok,
                Some(Code::ReadWrite),
                "SELECT completed",
            ),
        ),
        (b"a NO x", status("a", Condition::No, None, "x")),
        (b"a BAD ", status("a", Condition::Bad, None, "")),
        (b"a OK  two", status("a", Condition::Ok, None, " two")),
        (
            b"a OK [ALERT]",
            status("a", Condition::Ok, Some(Code::Alert), ""),
        ),
        (
            b"a OK [ALERT] ",
            status("a", Condition::Ok, Some(Code::Alert), ""),
        ),
        (
            b"a NO [OVERQUOTA] full",
            status(
                "a",
                Condition::No,
                Some(Code::Rfc5530(Rfc5530::OverQuota)),
                "full",
            ),
        ),
    ];
    for (line, value) in tagged {
        let input = Bytes::copy_from_slice(line);
        assert_eq!(common_response(&input, line.len()).as_ref(), Some(value));
    }
    // Left to the general parser: lower case, extra or missing spaces, ten digits, zero for
    // EXPUNGE, a code with an argument or in lower case or unclosed, 8-bit or control text,
    // untagged status, no tag.
    for line in [
        &b"* 23 exists"[..],
        b"*  23 EXISTS",
        b"* 23  EXISTS",
        b"* 23 EXISTS ",
        b"* 0000000023 EXISTS",
        b"* 4294967296 EXISTS",
        b"* 0 EXPUNGE",
        b"* 23 FETCH (UID 1)",
        b"* OK hi",
        b"a ok hi",
        b"a OK",
        b"a  OK hi",
        b"a OKAY hi",
        b"a PREAUTH hi",
        b" OK hi",
        b"a OK [UIDNEXT 4] x",
        b"a OK [read-write] x",
        b"a OK [READ-WRITE",
        b"a OK [READ-WRITE]x",
        b"a OK [READ-WRITE2] x",
        b"a OK [] x",
        b"a OK caf\xc3\xa9",
        b"a OK a\tb",
        b"a OK a\x7f",
        b"a OK a\rb",
        b"a OK a\0b",
    ] {
        crate::codec::message::tests::assert_declined(line, common_response);
    }
}

proptest::proptest! {
    /// Every line the fast path reads, the general parser reads to the same value in every
    /// mode, strict and lenient; lines near the common forms are generated.
    #[test]
    fn the_fast_path_reads_what_the_parser_reads(
        line in "(\\* [0-9]{1,11} (EXISTS|EXPUNGE|RECENT|exists|FETCH)|[A-Za-z0-9.*+]{0,6} (OK|NO|BAD|BYE|ok)( |)(\\[[A-Z-]{0,12}( [0-9]{1,3})?\\]( |)|)[ -~\\t\\x80-\\xff]{0,8})",
    ) {
        let input = Bytes::copy_from_slice(line.as_bytes());
        if let Some(fast) = common_response(&input, input.len()) {
            for opts in all_options() {
                proptest::prop_assert_eq!(general(line.as_bytes(), opts), Ok(fast.clone()), "{:?}", opts);
            }
        }
    }
}

#[path = "response_props.rs"]
mod props;
