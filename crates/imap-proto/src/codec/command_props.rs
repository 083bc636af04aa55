//! Proptest round trips: every command value, encoded in every mode and literal policy,
//! parses back to itself.

use std::num::NonZeroU32;

use bytes::Bytes;
use proptest::prelude::*;

use super::super::*;
use crate::codec::encode::LiteralPolicy;
use crate::codec::encode_command::encode_command;
use crate::types::*;

pub(crate) fn astring() -> impl Strategy<Value = AString> {
    prop::collection::vec(
        prop_oneof![6 => b'a'..=b'z', 1 => prop::sample::select(&b" \"\\(]{*%\r\n\xc3\xa9"[..])],
        0..12,
    )
    .prop_map(|v| AString::new(v).unwrap())
}

pub(crate) fn istring() -> impl Strategy<Value = IString> {
    astring().prop_map(|a| IString::new(a.into_bytes()).unwrap())
}

pub(crate) fn atom() -> impl Strategy<Value = Atom> {
    "[A-Za-z][A-Za-z0-9.$_-]{0,8}".prop_map(|s| Atom::new(s).unwrap())
}

pub(crate) fn mailbox() -> impl Strategy<Value = Mailbox> {
    "(INBOX|inbox|[a-z]{1,6}|Entw\u{fc}rfe|[a-z]+/[a-z &]+|\u{53f0}\u{5317}|)"
        .prop_map(|s| Mailbox::new(&s).unwrap())
}

pub(crate) fn pattern() -> impl Strategy<Value = Mailbox> {
    "(\\*|%|[a-z]{1,4}[%*]?|[a-z ]{1,4})".prop_map(|s| Mailbox::new(&s).unwrap())
}

pub(crate) fn range() -> impl Strategy<Value = SeqRange> {
    let n = prop_oneof![
        4 => (1u32..=u32::MAX).prop_map(|n| SeqNumber::new(n).unwrap()),
        1 => Just(SeqNumber::Last)
    ];
    (n.clone(), n).prop_map(|(start, end)| SeqRange { start, end })
}

pub(crate) fn seq_set() -> impl Strategy<Value = SequenceSet> {
    prop_oneof![
        6 => prop::collection::vec(range(), 1..4).prop_map(|r| SequenceSet::new(r).unwrap()),
        1 => Just(SequenceSet::saved()),
    ]
}

pub(crate) fn uid_set() -> impl Strategy<Value = UidSet> {
    prop::collection::vec(range(), 1..4).prop_map(|r| UidSet::new(r).unwrap())
}

pub(crate) fn explicit_uids() -> impl Strategy<Value = UidSet> {
    prop::collection::vec((1u32..1000, 1u32..1000), 1..3).prop_map(|r| {
        UidSet::new(r.into_iter().map(|(a, b)| SeqRange {
            start: SeqNumber::new(a).unwrap(),
            end: SeqNumber::new(b).unwrap(),
        }))
        .unwrap()
    })
}

pub(crate) fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        "[A-Z][a-z]{1,5}".prop_filter_map("system", |s| {
            match Flag::from_wire(Bytes::from(format!("\\{s}"))) {
                Ok(f @ Flag::Extension(_)) => Some(f),
                _ => None,
            }
        }),
    ]
}

pub(crate) fn date() -> impl Strategy<Value = Date> {
    (1u16..9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

pub(crate) fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..60, -1439i16..1440)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).unwrap())
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Draft),
        Just(K::Flagged),
        Just(K::New),
        Just(K::Old),
        Just(K::Recent),
        Just(K::Seen),
        Just(K::Unanswered),
        Just(K::Undeleted),
        Just(K::Undraft),
        Just(K::Unflagged),
        Just(K::Unseen),
        astring().prop_map(K::Bcc),
        astring().prop_map(K::Body),
        astring().prop_map(K::Cc),
        astring().prop_map(K::From),
        astring().prop_map(K::Subject),
        astring().prop_map(K::Text),
        astring().prop_map(K::To),
        (astring(), astring()).prop_map(|(a, b)| K::Header(a, b)),
        date().prop_map(K::Before),
        date().prop_map(K::On),
        date().prop_map(K::Since),
        date().prop_map(K::SentBefore),
        date().prop_map(K::SentOn),
        date().prop_map(K::SentSince),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        any::<u32>().prop_map(|n| K::Larger(n.into())),
        any::<u32>().prop_map(|n| K::Smaller(n.into())),
        uid_set().prop_map(K::Uid),
        seq_set().prop_map(K::SequenceSet),
        (
            prop::option::of((
                astring(),
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ]
            )),
            0u64..i64::MAX as u64
        )
            .prop_map(|(entry, modseq)| K::ModSeq { entry, modseq }),
        atom().prop_map(K::EmailId),
        atom().prop_map(K::ThreadId),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            prop::collection::vec(inner, 1..3).prop_map(K::And),
        ]
    })
}

pub(crate) fn part() -> impl Strategy<Value = Vec<NonZeroU32>> {
    prop::collection::vec((1u32..20).prop_map(|n| NonZeroU32::new(n).unwrap()), 0..3)
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    prop::option::of(
        (any::<u32>(), 1u32..=u32::MAX).prop_map(|(origin, l)| Partial {
            origin,
            length: NonZeroU32::new(l).unwrap(),
        }),
    )
}

pub(crate) fn section() -> impl Strategy<Value = Section> {
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        Just(Some(SectionText::Mime)),
        prop::collection::vec(astring(), 1..3).prop_map(|v| Some(SectionText::HeaderFields(v))),
        prop::collection::vec(astring(), 1..3).prop_map(|v| Some(SectionText::HeaderFieldsNot(v))),
    ];
    (part(), text).prop_filter_map("MIME needs a part", |(part, text)| {
        if text == Some(SectionText::Mime) && part.is_empty() {
            None
        } else {
            Some(Section { part, text })
        }
    })
}

fn fetch_attribute() -> impl Strategy<Value = FetchAttribute> {
    use FetchAttribute as A;
    prop_oneof![
        Just(A::Envelope),
        Just(A::Flags),
        Just(A::InternalDate),
        Just(A::Rfc822),
        Just(A::Rfc822Header),
        Just(A::Rfc822Size),
        Just(A::Rfc822Text),
        Just(A::Body),
        Just(A::BodyStructure),
        Just(A::Uid),
        Just(A::ModSeq),
        Just(A::EmailId),
        Just(A::ThreadId),
        (section(), partial(), any::<bool>()).prop_map(|(section, partial, peek)| A::BodySection {
            section,
            partial,
            peek
        }),
        (part(), partial(), any::<bool>()).prop_map(|(part, partial, peek)| A::Binary {
            part,
            partial,
            peek
        }),
        part().prop_map(A::BinarySize),
    ]
}

pub(crate) fn status_items() -> impl Strategy<Value = Vec<StatusItem>> {
    prop::collection::vec(
        prop::sample::select(vec![
            StatusItem::Messages,
            StatusItem::Recent,
            StatusItem::UidNext,
            StatusItem::UidValidity,
            StatusItem::Unseen,
            StatusItem::Deleted,
            StatusItem::Size,
            StatusItem::HighestModSeq,
            StatusItem::AppendLimit,
            StatusItem::MailboxId,
            StatusItem::DeletedStorage,
        ]),
        1..4,
    )
}

fn message_set() -> impl Strategy<Value = MessageSet> {
    prop_oneof![
        seq_set().prop_map(MessageSet::Seq),
        uid_set().prop_map(MessageSet::Uid)
    ]
}

fn body() -> impl Strategy<Value = CommandBody> {
    use CommandBody as B;
    let simple = prop_oneof![
        Just(B::Capability),
        Just(B::Noop),
        Just(B::Logout),
        Just(B::StartTls),
        Just(B::Namespace),
        Just(B::Idle),
        Just(B::Check),
        Just(B::Close),
        Just(B::Unselect),
        Just(B::Expunge),
        (
            atom(),
            prop::option::of(
                "[A-Za-z0-9+/]{0,8}={0,2}".prop_filter("non-empty", |s| !s.is_empty())
            )
        )
            .prop_map(|(mechanism, i)| B::Authenticate {
                mechanism,
                initial: i.map(Bytes::from)
            }),
        (astring(), astring()).prop_map(|(username, password)| B::Login { username, password }),
        prop::collection::vec(atom(), 1..3).prop_map(B::Enable),
        (
            mailbox(),
            any::<bool>(),
            prop::option::of((
                1u32..u32::MAX,
                0u64..1 << 62,
                prop::option::of(explicit_uids()),
                prop::option::of((
                    seq_set().prop_filter("no $", |s| !s.is_saved()),
                    explicit_uids()
                ))
            ))
        )
            .prop_map(|(mailbox, condstore, q)| B::Select {
                mailbox,
                params: SelectParams {
                    condstore,
                    qresync: q.map(
                        |(uidvalidity, modseq, known_uids, seq_match)| QresyncParams {
                            uidvalidity,
                            modseq,
                            known_uids,
                            seq_match
                        }
                    )
                }
            }),
        mailbox().prop_map(|mailbox| B::Examine {
            mailbox,
            params: SelectParams::default()
        }),
        (
            mailbox(),
            prop::collection::vec(
                "[A-Z][a-z]{1,6}".prop_map(|s| MailboxAttr::new(&s).unwrap()),
                0..3
            )
        )
            .prop_map(|(mailbox, special_use)| B::Create {
                mailbox,
                special_use
            }),
        mailbox().prop_map(B::Delete),
        mailbox().prop_map(B::Subscribe),
        mailbox().prop_map(B::Unsubscribe),
        mailbox().prop_map(B::GetQuotaRoot),
        (mailbox(), mailbox()).prop_map(|(from, to)| B::Rename { from, to }),
    ];
    let more = prop_oneof![
        (
            prop::collection::vec(
                prop::sample::select(vec![
                    ListSelect::Subscribed,
                    ListSelect::Remote,
                    ListSelect::RecursiveMatch,
                    ListSelect::SpecialUse
                ]),
                0..3
            ),
            mailbox(),
            prop::collection::vec(pattern(), 1..3),
            prop::collection::vec(
                prop_oneof![
                    Just(ListReturn::Subscribed),
                    Just(ListReturn::Children),
                    Just(ListReturn::SpecialUse),
                    status_items().prop_map(ListReturn::Status)
                ],
                0..3
            ),
        )
            .prop_map(
                |(selection, reference, patterns, returns)| B::List(ListCommand {
                    selection,
                    reference,
                    patterns,
                    returns
                })
            ),
        (mailbox(), pattern()).prop_map(|(reference, pattern)| B::Lsub { reference, pattern }),
        (mailbox(), status_items()).prop_map(|(mailbox, items)| B::Status { mailbox, items }),
        (
            mailbox(),
            prop::collection::vec(
                (
                    prop::collection::vec(flag(), 0..3),
                    prop::option::of(date_time()),
                    prop::collection::vec(any::<u8>(), 0..20),
                    any::<bool>()
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, ms)| B::Append {
                mailbox,
                messages: ms
                    .into_iter()
                    .map(|(flags, date, data, binary)| AppendMessage {
                        flags,
                        date,
                        data: AppendData::Inline(if binary {
                            Literal::binary(data)
                        } else {
                            Literal::new(data.into_iter().map(|b| b.max(1)).collect::<Vec<_>>())
                                .unwrap()
                        }),
                    })
                    .collect(),
            }),
        prop::option::of(prop::collection::vec(
            (istring(), prop::option::of(istring())),
            0..3
        ))
        .prop_map(B::Id),
        astring().prop_map(B::GetQuota),
        (
            astring(),
            prop::collection::vec((atom(), any::<u64>().prop_map(|n| n >> 2)), 0..3)
        )
            .prop_map(|(root, l)| B::SetQuota {
                root,
                limits: l
                    .into_iter()
                    .map(|(resource, limit)| QuotaLimit { resource, limit })
                    .collect()
            }),
        (
            prop::option::of(any::<u32>()),
            prop::option::of(prop::sample::select(vec![
                Depth::Zero,
                Depth::One,
                Depth::Infinity
            ])),
            mailbox(),
            prop::collection::vec(astring(), 1..3)
        )
            .prop_map(|(max_size, depth, mailbox, entries)| B::GetMetadata {
                options: GetMetadataOptions { max_size, depth },
                mailbox,
                entries
            }),
        (
            mailbox(),
            prop::collection::vec(
                (
                    astring(),
                    prop::option::of(prop::collection::vec(any::<u8>(), 0..6))
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, e)| B::SetMetadata {
                mailbox,
                entries: e
                    .into_iter()
                    .map(|(name, v)| MetadataEntry {
                        name,
                        value: v.map(Bytes::from)
                    })
                    .collect()
            }),
        atom().prop_map(B::Compress),
        uid_set().prop_map(B::UidExpunge),
    ];
    let selected = prop_oneof![
        (
            any::<bool>(),
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec![
                    SearchReturn::Min,
                    SearchReturn::Max,
                    SearchReturn::All,
                    SearchReturn::Count,
                    SearchReturn::Save
                ]),
                0..3
            )),
            prop::option::of(astring()),
            prop::collection::vec(search_key(), 1..3)
        )
            .prop_map(|(uid, returns, charset, criteria)| B::Search {
                uid,
                returns,
                charset,
                criteria
            }),
        (
            message_set(),
            prop_oneof![
                Just(FetchItems::All),
                Just(FetchItems::Fast),
                Just(FetchItems::Full),
                (
                    prop::collection::vec(fetch_attribute(), 1..4),
                    any::<bool>()
                )
                    .prop_map(|(list, single)| FetchItems::Attributes {
                        single: single && list.len() == 1,
                        list
                    })
            ],
            prop::option::of(0u64..1 << 62),
            any::<bool>()
        )
            .prop_map(|(set, items, changed_since, vanished)| B::Fetch {
                set,
                items,
                modifiers: FetchModifiers {
                    changed_since,
                    vanished
                }
            }),
        (
            message_set(),
            prop::option::of(0u64..1 << 62),
            prop::sample::select(vec![StoreMode::Replace, StoreMode::Add, StoreMode::Remove]),
            any::<bool>(),
            prop::collection::vec(flag(), 0..3)
        )
            .prop_map(|(set, unchanged_since, mode, silent, flags)| B::Store {
                set,
                unchanged_since,
                mode,
                silent,
                flags
            }),
        (message_set(), mailbox()).prop_map(|(set, mailbox)| B::Copy { set, mailbox }),
        (message_set(), mailbox()).prop_map(|(set, mailbox)| B::Move { set, mailbox }),
        (
            any::<bool>(),
            prop::collection::vec(
                (
                    any::<bool>(),
                    prop::sample::select(vec![
                        SortKey::Arrival,
                        SortKey::Cc,
                        SortKey::Date,
                        SortKey::From,
                        SortKey::Size,
                        SortKey::Subject,
                        SortKey::To,
                        SortKey::DisplayFrom,
                        SortKey::DisplayTo
                    ])
                ),
                1..3
            ),
            astring(),
            prop::collection::vec(search_key(), 1..3)
        )
            .prop_map(|(uid, c, charset, search)| B::Sort {
                uid,
                criteria: c
                    .into_iter()
                    .map(|(reverse, key)| SortCriterion { reverse, key })
                    .collect(),
                charset,
                search
            }),
        (
            any::<bool>(),
            atom(),
            astring(),
            prop::collection::vec(search_key(), 1..3)
        )
            .prop_map(|(uid, algorithm, charset, search)| B::Thread {
                uid,
                algorithm,
                charset,
                search
            }),
    ];
    prop_oneof![simple, more, selected]
}

pub(crate) fn modes() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::REV1),
        Just(Mode::REV2),
        Just(Mode::REV1.with_utf8_accept(true))
    ]
}

fn policies() -> impl Strategy<Value = LiteralPolicy> {
    prop_oneof![
        Just(LiteralPolicy::Sync),
        Just(LiteralPolicy::Plus),
        Just(LiteralPolicy::Minus)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn every_command_round_trips(tag in "[A-Za-z0-9.]{1,6}", body in body(), mode in modes(), policy in policies()) {
        let command = Command::new(Tag::new(tag).unwrap(), body);
        match encode_command(&command, mode, policy) {
            Ok(encoded) => {
                let wire = Bytes::from(encoded.to_vec());
                let back = parse_command(&wire, ParseOptions::strict(mode));
                match back {
                    Ok(Parsed::Complete { value, consumed }) => {
                        prop_assert_eq!(consumed, wire.len());
                        prop_assert_eq!(value, command);
                    }
                    // A mode-only refusal is the only accepted failure (STATUS RECENT in rev2).
                    Err(e) => prop_assert!(e.kind.fault == Fault::NotInMode && mode.is_rev2(), "{} in {:?}", e, wire),
                    Ok(Parsed::Incomplete) => prop_assert!(false, "incomplete {:?}", wire),
                }
            }
            Err(_) => {
                let rev2_only = mode.is_rev2() && command.body.rev1_only();
                let charset = mode.utf8_accept && matches!(command.body, CommandBody::Search { charset: Some(_), .. });
                prop_assert!(rev2_only || charset);
            }
        }
    }
}
