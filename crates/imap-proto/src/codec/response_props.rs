//! Proptest round trips: every response value, encoded in every mode, parses back to itself
//! with the lenient and the strict parser.

use std::num::NonZeroU32;

use bytes::Bytes;
use proptest::prelude::*;

use super::super::*;
use crate::codec::command::tests::props::{
    astring, atom, date_time, explicit_uids, flag, istring, mailbox, modes, part, section, seq_set,
    uid_set,
};
use crate::codec::encode_response::encode_response;
use crate::types::*;

fn nz() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn nstring() -> impl Strategy<Value = NString> {
    prop::option::of(istring())
}

fn text() -> impl Strategy<Value = Bytes> {
    "[ -~]{0,20}".prop_map(Bytes::from)
}

fn explicit_seqs() -> impl Strategy<Value = SequenceSet> {
    seq_set().prop_filter("no $", |s| !s.is_saved())
}

fn code() -> impl Strategy<Value = Code> {
    let rfc5530 = prop::sample::select(vec![
        Rfc5530::Unavailable,
        Rfc5530::AuthenticationFailed,
        Rfc5530::AuthorizationFailed,
        Rfc5530::Expired,
        Rfc5530::PrivacyRequired,
        Rfc5530::ContactAdmin,
        Rfc5530::NoPerm,
        Rfc5530::InUse,
        Rfc5530::ExpungeIssued,
        Rfc5530::Corruption,
        Rfc5530::ServerBug,
        Rfc5530::ClientBug,
        Rfc5530::CanNot,
        Rfc5530::Limit,
        Rfc5530::OverQuota,
        Rfc5530::AlreadyExists,
        Rfc5530::NonExistent,
    ]);
    prop_oneof![
        Just(Code::Alert),
        Just(Code::Parse),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        Just(Code::Closed),
        Just(Code::HasChildren),
        Just(Code::NotSaved),
        Just(Code::UnknownCte),
        Just(Code::UidNotSticky),
        Just(Code::NoModSeq),
        Just(Code::CompressionActive),
        Just(Code::UseAttr),
        Just(Code::MetadataTooMany),
        Just(Code::MetadataNoPrivate),
        rfc5530.prop_map(Code::Rfc5530),
        prop::collection::vec(astring(), 0..3).prop_map(Code::BadCharset),
        capabilities().prop_map(Code::Capability),
        prop::collection::vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Any)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), explicit_uids())
            .prop_map(|(uidvalidity, uids)| Code::AppendUid { uidvalidity, uids }),
        (nz(), explicit_uids(), explicit_uids()).prop_map(|(uidvalidity, source, destination)| {
            Code::CopyUid {
                uidvalidity,
                source,
                destination,
            }
        }),
        (0u64..1 << 62).prop_map(Code::HighestModSeq),
        explicit_seqs().prop_map(Code::Modified),
        atom().prop_map(Code::MailboxId),
        any::<u32>().prop_map(Code::MetadataLongEntries),
        any::<u32>().prop_map(Code::MetadataMaxSize),
        ("X[A-Z]{1,6}", prop::option::of("[ -Z^-~]{1,10}")).prop_map(|(n, v)| Code::Other {
            name: Atom::new(n).unwrap(),
            value: v.map(Bytes::from)
        }),
    ]
}

fn capabilities() -> impl Strategy<Value = Capabilities> {
    prop::collection::vec(
        prop_oneof![
            Just(Capability::Imap4Rev1),
            Just(Capability::Imap4Rev2),
            Just(Capability::Idle),
            Just(Capability::LiteralPlus),
            Just(Capability::QResync),
            Just(Capability::Utf8Accept),
            Just(Capability::StatusSize),
            atom().prop_map(Capability::Auth),
            atom().prop_map(Capability::Thread),
            atom().prop_map(Capability::Compress),
            prop::option::of(any::<u64>()).prop_map(Capability::AppendLimit),
            "X[A-Z0-9]{1,6}".prop_map(|s| Capability::Other(Atom::new(s).unwrap())),
        ],
        1..5,
    )
    .prop_map(Capabilities)
}

fn address() -> impl Strategy<Value = Address> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    let addrs = || prop::collection::vec(address(), 0..3);
    (
        nstring(),
        nstring(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        nstring(),
        nstring(),
    )
        .prop_map(
            |(date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id)| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = BodyParams> {
    prop::collection::vec((istring(), istring()), 0..2)
}

fn tail() -> impl Strategy<Value = ExtensionTail> {
    let ext = prop_oneof![
        nstring().prop_map(BodyExtension::String),
        any::<u32>().prop_map(BodyExtension::Number)
    ];
    let ext = ext.prop_recursive(2, 6, 3, |inner| {
        prop::collection::vec(inner, 1..3).prop_map(BodyExtension::List)
    });
    (
        0usize..5,
        prop::option::of(
            (istring(), params()).prop_map(|(kind, params)| Disposition { kind, params }),
        ),
        prop::collection::vec(istring(), 0..3),
        nstring(),
        prop::collection::vec(ext, 1..3),
    )
        .prop_map(|(n, dsp, lang, loc, exts)| ExtensionTail {
            disposition: (n >= 1).then_some(dsp),
            language: (n >= 2).then_some(lang),
            location: (n >= 3).then_some(loc),
            extensions: if n >= 4 { exts } else { Vec::new() },
        })
}

fn body(extensions: bool) -> impl Strategy<Value = BodyStructure> {
    let fields = || {
        (params(), nstring(), nstring(), istring(), any::<u32>()).prop_map(
            |(params, id, description, encoding, octets)| BodyFields {
                params,
                id,
                description,
                encoding,
                octets,
            },
        )
    };
    let single_ext = move || {
        prop::option::of((nstring(), tail()).prop_map(|(md5, tail)| SingleExtension { md5, tail }))
            .prop_map(move |e| if extensions { e } else { None })
    };
    let leaf = (
        prop_oneof![Just("text"), Just("application"), Just("image")],
        "[a-z]{1,6}",
        fields(),
        any::<u32>(),
        single_ext(),
    )
        .prop_map(|(t, sub, fields, lines, extension)| BodyStructure::Single {
            specific: if t == "text" {
                SpecificFields::Text { lines }
            } else {
                SpecificFields::Basic
            },
            media_type: IString::try_from(t).unwrap(),
            subtype: IString::try_from(sub.as_str()).unwrap(),
            fields,
            extension,
        });
    leaf.prop_recursive(3, 12, 3, move |inner| {
        prop_oneof![
            (
                prop::collection::vec(inner.clone(), 1..3),
                "[a-z]{1,8}",
                prop::option::of(
                    (params(), tail()).prop_map(|(params, tail)| MultiExtension { params, tail })
                )
            )
                .prop_map(move |(parts, sub, ext)| BodyStructure::Multi {
                    parts,
                    subtype: IString::try_from(sub.as_str()).unwrap(),
                    extension: if extensions { ext } else { None }
                }),
            (envelope(), inner, fields(), any::<u32>(), single_ext()).prop_map(
                |(env, inner, fields, lines, extension)| BodyStructure::Single {
                    media_type: IString::try_from("message").unwrap(),
                    subtype: IString::try_from("rfc822").unwrap(),
                    fields,
                    specific: SpecificFields::Message {
                        envelope: Box::new(env),
                        body: Box::new(inner),
                        lines
                    },
                    extension,
                }
            ),
        ]
    })
}

fn section_data() -> impl Strategy<Value = SectionData> {
    prop_oneof![
        Just(SectionData::Nil),
        prop::collection::vec(any::<u8>(), 0..30).prop_map(|v| SectionData::Inline(Bytes::from(v)))
    ]
}

fn fetch_item() -> impl Strategy<Value = FetchItem> {
    prop_oneof![
        prop::collection::vec(
            prop_oneof![flag().prop_map(FlagFetch::Flag), Just(FlagFetch::Recent)],
            0..3
        )
        .prop_map(FetchItem::Flags),
        nz().prop_map(FetchItem::Uid),
        date_time().prop_map(FetchItem::InternalDate),
        (0u64..1 << 62).prop_map(FetchItem::Rfc822Size),
        envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        body(false).prop_map(|b| FetchItem::Body(Box::new(b))),
        body(true).prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        (section(), prop::option::of(any::<u32>()), section_data()).prop_map(
            |(section, origin, data)| FetchItem::BodySection {
                section,
                origin,
                data
            }
        ),
        (part(), prop::option::of(any::<u32>()), section_data())
            .prop_map(|(part, origin, data)| FetchItem::Binary { part, origin, data }),
        (part(), any::<u32>()).prop_map(|(part, size)| FetchItem::BinarySize { part, size }),
        section_data().prop_map(FetchItem::Rfc822),
        section_data().prop_map(FetchItem::Rfc822Header),
        section_data().prop_map(FetchItem::Rfc822Text),
        (0u64..1 << 62).prop_map(FetchItem::ModSeq),
        atom().prop_map(FetchItem::EmailId),
        prop::option::of(atom()).prop_map(FetchItem::ThreadId),
        (
            "X-[A-Z]{1,6}",
            "(\\([a-z ]{0,6}\\)|[a-z0-9]{1,6}|\"[a-z ]{0,5}\")"
        )
            .prop_map(|(n, v)| FetchItem::Other {
                name: Bytes::from(n),
                value: Bytes::from(v)
            }),
    ]
}

fn thread() -> impl Strategy<Value = Thread> {
    let chain = prop::collection::vec(1u32..1000, 1..4).prop_map(|messages| Thread::Chain {
        messages,
        children: Vec::new(),
    });
    chain.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            (
                prop::collection::vec(1u32..1000, 1..3),
                prop::collection::vec(inner.clone(), 2..3)
            )
                .prop_map(|(messages, children)| Thread::Chain { messages, children }),
            prop::collection::vec(inner, 2..3).prop_map(Thread::Branches),
        ]
    })
}

fn namespace() -> impl Strategy<Value = Option<Vec<NamespaceDescr>>> {
    prop::option::of(prop::collection::vec(
        (
            istring(),
            prop::option::of(prop::sample::select(b"/.\"\\".to_vec())),
            prop::collection::vec((istring(), prop::collection::vec(istring(), 1..3)), 0..2),
        )
            .prop_map(|(prefix, delimiter, extensions)| NamespaceDescr {
                prefix,
                delimiter,
                extensions,
            }),
        1..3,
    ))
}

fn list_item() -> impl Strategy<Value = ListItem> {
    (
        prop::collection::vec(
            "[A-Z][a-z]{1,8}".prop_map(|s| MailboxAttr::new(&s).unwrap()),
            0..3,
        ),
        prop::option::of(prop::sample::select(b"/.\"\\".to_vec())),
        mailbox(),
        prop::collection::vec(
            (
                astring(),
                prop_oneof![
                    prop::collection::vec(istring(), 0..2).prop_map(TaggedExtValue::Strings),
                    "(\\(1 \\(a\\)\\)|[a-z0-9]{1,6})"
                        .prop_map(|v| TaggedExtValue::Raw(Bytes::from(v))),
                ],
            ),
            0..2,
        ),
    )
        .prop_map(|(attributes, delimiter, mailbox, extended)| ListItem {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
}

fn data() -> impl Strategy<Value = Data> {
    let a = prop_oneof![
        capabilities().prop_map(Data::Capability),
        list_item().prop_map(Data::List),
        list_item().prop_map(Data::Lsub),
        (
            mailbox(),
            prop::collection::vec(
                prop_oneof![
                    (
                        prop::sample::select(vec![
                            StatusItem::Messages,
                            StatusItem::UidNext,
                            StatusItem::Size,
                            StatusItem::Recent,
                            StatusItem::Deleted
                        ]),
                        0u64..1 << 62
                    )
                        .prop_map(|(i, n)| StatusAttr::Number(i, n)),
                    atom().prop_map(StatusAttr::MailboxId),
                    ("X[A-Z]{1,5}", "(\\([a-z ]{0,6}\\)|[a-z0-9]{1,6})").prop_map(|(n, v)| {
                        StatusAttr::Other {
                            name: Atom::new(n).unwrap(),
                            value: Bytes::from(v),
                        }
                    }),
                ],
                0..3
            )
        )
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (
            prop::collection::vec(1u32..u32::MAX, 0..5),
            prop::option::of(0u64..1 << 62)
        )
            .prop_map(|(numbers, modseq)| Data::Search { numbers, modseq }),
        (
            prop::collection::vec(1u32..u32::MAX, 0..5),
            prop::option::of(0u64..1 << 62)
        )
            .prop_map(|(numbers, modseq)| Data::Sort { numbers, modseq }),
        (
            prop::option::of("[A-Za-z0-9]{1,5}"),
            any::<bool>(),
            prop::collection::vec(
                prop_oneof![
                    any::<u32>().prop_map(ESearchItem::Min),
                    any::<u32>().prop_map(ESearchItem::Max),
                    any::<u32>().prop_map(ESearchItem::Count),
                    explicit_seqs().prop_map(ESearchItem::All),
                    (0u64..1 << 62).prop_map(ESearchItem::ModSeq)
                ],
                0..3
            )
        )
            .prop_map(|(tag, uid, items)| Data::ESearch(ESearch {
                tag: tag.map(|t| Tag::new(t).unwrap()),
                uid,
                items
            })),
        prop::collection::vec(flag(), 0..4).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz().prop_map(Data::Expunge),
    ];
    let b = prop_oneof![
        (nz(), prop::collection::vec(fetch_item(), 1..4))
            .prop_map(|(seq, items)| Data::Fetch { seq, items }),
        (
            any::<bool>(),
            uid_set().prop_filter("explicit", |u| u.is_explicit())
        )
            .prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        prop::collection::vec(atom(), 0..3).prop_map(Data::Enabled),
        prop::option::of(prop::collection::vec((istring(), nstring()), 0..3)).prop_map(Data::Id),
        (namespace(), namespace(), namespace()).prop_map(|(personal, other, shared)| {
            Data::Namespace(Namespaces {
                personal,
                other,
                shared,
            })
        }),
        (
            astring(),
            prop::collection::vec(
                (atom(), 0u64..1 << 62, 0u64..1 << 62).prop_map(|(resource, usage, limit)| {
                    QuotaResource {
                        resource,
                        usage,
                        limit,
                    }
                }),
                0..3
            )
        )
            .prop_map(|(root, resources)| Data::Quota { root, resources }),
        (mailbox(), prop::collection::vec(astring(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
        (
            mailbox(),
            prop::collection::vec(
                (
                    astring(),
                    prop::option::of(prop::collection::vec(any::<u8>(), 0..8))
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, e)| Data::Metadata {
                mailbox,
                entries: e
                    .into_iter()
                    .map(|(name, v)| MetadataEntry {
                        name,
                        value: v.map(Bytes::from)
                    })
                    .collect()
            }),
        (mailbox(), prop::collection::vec(astring(), 1..3))
            .prop_map(|(mailbox, names)| Data::MetadataChanged { mailbox, names }),
        prop::collection::vec(thread(), 0..3).prop_map(Data::Thread),
        ("X[A-Z]{1,6}", "[ -~]{0,12}").prop_map(|(n, r)| Data::Other {
            name: Bytes::from(n),
            rest: Bytes::from(r.trim().to_string())
        }),
    ];
    prop_oneof![a, b]
}

fn response() -> impl Strategy<Value = Response> {
    let condition = prop::sample::select(vec![
        Condition::Ok,
        Condition::No,
        Condition::Bad,
        Condition::PreAuth,
        Condition::Bye,
    ]);
    prop_oneof![
        (
            prop::option::of("[A-Za-z0-9]{1,5}"),
            condition,
            prop::option::of(code()),
            text()
        )
            .prop_map(|(tag, condition, code, text)| {
                let tagged = tag.is_some()
                    && matches!(condition, Condition::Ok | Condition::No | Condition::Bad);
                Response::Status(StatusResponse {
                    tag: if tagged {
                        tag.map(|t| Tag::new(t).unwrap())
                    } else {
                        None
                    },
                    condition,
                    code,
                    text,
                })
            }),
        (prop::option::of(code()), text())
            .prop_map(|(code, text)| Response::Continue(Continue { code, text })),
        data().prop_map(Response::Data),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn every_response_round_trips(response in response(), mode in modes()) {
        let mut out = Vec::new();
        match encode_response(&response, mode, &mut out) {
            Ok(()) => {
                let wire = Bytes::from(out);
                for opts in [ParseOptions::lenient(mode), ParseOptions::strict(mode)] {
                    match parse_response(&wire, opts) {
                        Ok(Parsed::Complete { value, consumed }) => {
                            prop_assert_eq!(consumed, wire.len());
                            prop_assert_eq!(&value, &response, "{:?}", wire);
                        }
                        // STATUS RECENT is refused by the strict parser in IMAP4rev2.
                        Err(e) => prop_assert!(!opts.lenient && mode.is_rev2() && e.kind.fault == Fault::NotInMode, "{} in {:?}", e, wire),
                        Ok(Parsed::Incomplete) => prop_assert!(false, "incomplete {:?}", wire),
                    }
                }
            }
            Err(e) => prop_assert!(
                mode.is_rev2()
                    || matches!(e, crate::EncodeError::Empty(_)
                        | crate::EncodeError::Invalid { byte: b'[' | b'}', .. }),
                "{}",
                e
            ),
        }
    }
}
