//! Queue: durability across reopen, backoff with synthetic time, per-recipient state,
//! expiry and the DSN, limits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{TempDir, names};
use mailstore::{Envelope, Error, Limits, Outcome, Queue, QueueId, RecipientState, Retry};
use proptest::prelude::*;
use rfc5322::Message;

const MSG: &[u8] = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: report\r\nMessage-ID: <1@example.org>\r\n\r\nHello Bob.\r\n";

fn t0() -> SystemTime {
    // 2026-01-02 03:04:05 UTC plus some nanoseconds.
    UNIX_EPOCH + Duration::new(1_767_323_045, 123_456_789)
}

fn mins(m: u64) -> Duration {
    Duration::from_secs(60 * m)
}

fn retry() -> Retry {
    Retry::new()
        .first_delay(mins(1))
        .factor(2)
        .max_delay(mins(10))
        .give_up_after(Duration::from_secs(24 * 3600))
}

#[test]
fn backoff_delays() {
    let r = retry();
    let got: Vec<u64> = (1..=8).map(|n| r.delay(n).as_secs() / 60).collect();
    assert_eq!(got, [1, 2, 4, 8, 10, 10, 10, 10]);
    assert_eq!(r.delay(0), mins(1));
    assert_eq!(r.delay(u32::MAX), mins(10));
    let d = Retry::default();
    assert_eq!(
        (d.first_delay, d.factor, d.max_delay, d.give_up_after),
        (mins(5), 2, mins(240), Duration::from_secs(5 * 86_400))
    );
    // A huge factor saturates instead of overflowing.
    let big = Retry::new()
        .first_delay(Duration::from_secs(u64::MAX / 2))
        .factor(u32::MAX)
        .max_delay(Duration::MAX);
    assert_eq!(big.delay(3), Duration::MAX);
}

#[test]
fn schedule_with_synthetic_time() {
    let t = TempDir::new("schedule");
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    let env = Envelope::new("alice@example.org", ["bob@example.net"]);
    let id = q.enqueue(&env, [&MSG[..30], &MSG[30..]], t0()).unwrap();
    assert_eq!(q.message(&id).unwrap(), MSG);
    let due = q.due(t0()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, id);
    assert_eq!(due[0].size, MSG.len() as u64);
    assert_eq!(due[0].attempts, 0);
    // Attempt n fails at `now`; the next is due exactly delay(n) later, not a second sooner.
    let mut now = t0();
    for (n, wait) in [1u64, 2, 4, 8, 10, 10].into_iter().enumerate() {
        let item = q.defer(&id, "connection refused", now).unwrap();
        assert_eq!(item.attempts as usize, n + 1);
        assert_eq!(item.next_attempt, now + mins(wait));
        assert!(
            q.due(now + mins(wait) - Duration::from_secs(1))
                .unwrap()
                .is_empty()
        );
        assert_eq!(q.due(now + mins(wait)).unwrap().len(), 1);
        assert!(q.expired(now + mins(wait)).unwrap().is_empty());
        now += mins(wait);
    }
    let item = q.get(&id).unwrap();
    assert_eq!(
        item.recipients[0].last_error.as_deref(),
        Some("connection refused")
    );
    assert_eq!(item.recipients[0].last_attempt, Some(now - mins(10)));
    // Delivered: the item is gone.
    let item = q
        .update(&id, &[("bob@example.net", Outcome::Delivered)], now)
        .unwrap();
    assert_eq!(item.recipients[0].state, RecipientState::Delivered);
    assert!(q.items().unwrap().is_empty());
    assert!(names(&t.join("msg")).is_empty());
    assert!(names(&t.join("env")).is_empty());
    assert!(matches!(q.get(&id), Err(Error::NotFound(_))));
}

#[test]
fn per_recipient_state_and_failure_dsn() {
    let t = TempDir::new("rcpts");
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    let env = Envelope::new(
        "alice@example.org",
        [
            "bob@example.net",
            "carol@example.net",
            "dave@example.net",
            "bob@example.net",
        ],
    )
    .envid("QQ314159");
    let id = q.enqueue(&env, [MSG], t0()).unwrap();
    let item = q.get(&id).unwrap();
    assert_eq!(item.recipients.len(), 3, "duplicate recipient dropped");
    let t1 = t0() + mins(1);
    let item = q
        .update(
            &id,
            &[
                ("bob@example.net", Outcome::Delivered),
                (
                    "carol@example.net",
                    Outcome::Deferred("451 4.3.0 try later".into()),
                ),
                (
                    "dave@example.net",
                    Outcome::Failed("550 5.1.1 <dave@example.net>: no such user\r\n".into()),
                ),
            ],
            t1,
        )
        .unwrap();
    let states: Vec<RecipientState> = item.recipients.iter().map(|r| r.state).collect();
    assert_eq!(
        states,
        [
            RecipientState::Delivered,
            RecipientState::Pending,
            RecipientState::Failed
        ]
    );
    assert_eq!(
        item.recipients[2].last_error.as_deref(),
        Some("550 5.1.1 <dave@example.net>: no such user"),
        "line break removed"
    );
    // Only carol is retried; a DSN is not owed while someone is pending.
    assert!(q.expired(t1).unwrap().is_empty());
    assert!(matches!(
        q.update(&id, &[("eve@example.net", Outcome::Delivered)], t1),
        Err(Error::UnknownRecipient(_))
    ));
    let t2 = t1 + mins(1);
    assert_eq!(q.due(t2).unwrap().len(), 1);
    q.update(&id, &[("carol@example.net", Outcome::Delivered)], t2)
        .unwrap();
    // Nothing pending, dave failed: a DSN is owed now.
    assert!(q.due(t2 + mins(60)).unwrap().is_empty());
    let owed = q.expired(t2).unwrap();
    assert_eq!(owed.len(), 1);
    let dsn = q.build_dsn(&owed[0], "mx.example.org", t2).unwrap();
    let msg = Message::parse(dsn).unwrap();
    let root = msg.root();
    assert!(root.content_type().is("multipart", "report"));
    assert_eq!(
        root.content_type().param("report-type"),
        Some("delivery-status")
    );
    let ds = delivery_status(&msg);
    assert_eq!(ds.len(), 2, "per-message block and dave only: {ds:?}");
    assert_eq!(field(&ds[0], "Reporting-MTA"), Some("dns; mx.example.org"));
    assert_eq!(field(&ds[0], "Original-Envelope-Id"), Some("QQ314159"));
    assert_eq!(
        field(&ds[0], "Arrival-Date"),
        Some("Fri, 2 Jan 2026 03:04:05 +0000")
    );
    assert_eq!(
        field(&ds[1], "Final-Recipient"),
        Some("rfc822; dave@example.net")
    );
    assert_eq!(field(&ds[1], "Action"), Some("failed"));
    assert_eq!(field(&ds[1], "Status"), Some("5.1.1"));
    assert_eq!(
        field(&ds[1], "Diagnostic-Code"),
        Some("smtp; 550 5.1.1 <dave@example.net>: no such user")
    );
    assert_eq!(
        field(&ds[1], "Last-Attempt-Date"),
        Some("Fri, 2 Jan 2026 03:05:05 +0000")
    );
    q.complete(&id).unwrap();
    assert!(q.items().unwrap().is_empty());
    assert!(matches!(q.complete(&id), Err(Error::NotFound(_))));
}

/// The blocks of the `message/delivery-status` part, each as (name, value) pairs.
fn delivery_status(msg: &Message) -> Vec<Vec<(String, String)>> {
    let part = msg
        .parts()
        .find(|p| p.content_type().is("message", "delivery-status"))
        .expect("a message/delivery-status part");
    let text = String::from_utf8(part.decoded_body().into_owned()).unwrap();
    text.split("\r\n\r\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            block
                .lines()
                .map(|l| {
                    let (n, v) = l.split_once(':').unwrap();
                    (n.to_owned(), v.trim().to_owned())
                })
                .collect()
        })
        .collect()
}

fn field<'a>(block: &'a [(String, String)], name: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn expiry_and_dsn() {
    let t = TempDir::new("expiry");
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    let env = Envelope::new(
        "alice@example.org",
        ["bob@example.net", "carol@example.net"],
    );
    let id = q.enqueue(&env, [MSG], t0()).unwrap();
    q.update(
        &id,
        &[
            (
                "bob@example.net",
                Outcome::Deferred("421 4.4.2 connection dropped".into()),
            ),
            (
                "carol@example.net",
                Outcome::Deferred("no route to host".into()),
            ),
        ],
        t0(),
    )
    .unwrap();
    let window = Duration::from_secs(24 * 3600);
    let end = t0() + window;
    assert!(q.expired(end - Duration::from_secs(1)).unwrap().is_empty());
    assert_eq!(q.due(end - Duration::from_secs(1)).unwrap().len(), 1);
    // At the end of the window: no longer due, expired instead.
    assert!(q.due(end).unwrap().is_empty());
    let expired = q.expired(end).unwrap();
    assert_eq!(expired.len(), 1);
    let item = &expired[0];
    assert_eq!(item.expires_at(q.retry()), end);
    let dsn = q.build_dsn(item, "mx.example.org", end).unwrap();
    let text = String::from_utf8(dsn.clone()).unwrap();
    assert!(
        text.contains("\r\nAuto-Submitted: auto-replied\r\n"),
        "{text}"
    );
    let msg = Message::parse(dsn).unwrap();
    let root = msg.root();
    assert_eq!(root.to().len(), 1);
    assert_eq!(root.to()[0].mailboxes()[0].addr_spec(), "alice@example.org");
    assert_eq!(
        root.from()[0].mailboxes()[0].addr_spec(),
        "MAILER-DAEMON@mx.example.org"
    );
    assert_eq!(
        root.subject().as_deref(),
        Some("Undelivered Mail Returned to Sender")
    );
    assert_eq!(
        root.date().unwrap().unix_timestamp(),
        1_767_323_045 + 86_400
    );
    let kinds: Vec<String> = msg
        .parts_in_order()
        .iter()
        .map(|p| {
            let ct = p.content_type();
            format!("{}/{}", ct.media_type, ct.subtype)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "multipart/report",
            "text/plain",
            "message/delivery-status",
            "text/rfc822-headers"
        ]
    );
    let parts = msg.parts_in_order();
    let human = parts[1].body_text();
    assert!(human.contains("<bob@example.net>: not delivered before the retry window ended (421 4.4.2 connection dropped)"), "{human}");
    let returned = String::from_utf8(parts[3].decoded_body().into_owned()).unwrap();
    assert!(returned.starts_with("From: alice@example.org\r\n"));
    assert!(returned.contains("Subject: report\r\n"));
    assert!(!returned.contains("Hello Bob"), "header only");
    let ds = delivery_status(&msg);
    assert_eq!(ds.len(), 3);
    assert_eq!(
        field(&ds[1], "Final-Recipient"),
        Some("rfc822; bob@example.net")
    );
    assert_eq!(field(&ds[1], "Action"), Some("failed"));
    assert_eq!(field(&ds[1], "Status"), Some("4.4.2"));
    assert_eq!(
        field(&ds[1], "Diagnostic-Code"),
        Some("smtp; 421 4.4.2 connection dropped")
    );
    assert_eq!(
        field(&ds[2], "Final-Recipient"),
        Some("rfc822; carol@example.net")
    );
    assert_eq!(field(&ds[2], "Status"), Some("4.4.7"));
    assert_eq!(field(&ds[2], "Diagnostic-Code"), None, "not an SMTP reply");
    q.complete(&id).unwrap();
    assert!(q.expired(end).unwrap().is_empty());
}

#[test]
fn no_dsn_to_the_null_sender() {
    let t = TempDir::new("null");
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    let id = q
        .enqueue(&Envelope::new("", ["alice@example.org"]), [MSG], t0())
        .unwrap();
    let item = q
        .update(
            &id,
            &[("alice@example.org", Outcome::Failed("550 no".into()))],
            t0(),
        )
        .unwrap();
    assert_eq!(q.expired(t0()).unwrap().len(), 1);
    assert!(matches!(
        q.build_dsn(&item, "mx.example.org", t0()),
        Err(Error::NullSender)
    ));
    // Nothing failed or expired: nothing to report.
    let id2 = q
        .enqueue(
            &Envelope::new("a@example.org", ["b@example.org"]),
            [MSG],
            t0(),
        )
        .unwrap();
    assert!(matches!(
        q.build_dsn(&q.get(&id2).unwrap(), "mx.example.org", t0()),
        Err(Error::NothingToReport)
    ));
}

#[test]
fn item_survives_reopen() {
    let t = TempDir::new("reopen");
    let env = Envelope::new(
        "\"odd %user\"@example.org",
        ["bob@example.net", "jos\u{e9}@example.net"],
    )
    .envid("id with space");
    let (id, before) = {
        let q = Queue::open(t.path()).unwrap().with_retry(retry());
        let id = q.enqueue(&env, [MSG], t0()).unwrap();
        q.update(
            &id,
            &[(
                "bob@example.net",
                Outcome::Deferred("450 mailbox busy 100%".into()),
            )],
            t0() + mins(1),
        )
        .unwrap();
        // A second queue on the same directory is refused while the first is open.
        assert!(matches!(Queue::open(t.path()), Err(Error::InUse(_))));
        let item = q.get(&id).unwrap();
        (id, item)
    };
    // Leftovers of a crash: a half-written file in tmp/, a message without an envelope.
    fs::write(t.join("tmp/123.msg"), b"half").unwrap();
    fs::write(t.join("msg/999.1.P1Q1"), b"orphan").unwrap();
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    assert!(names(&t.join("tmp")).is_empty());
    assert_eq!(names(&t.join("msg")), vec![id.to_string()]);
    let items = q.items().unwrap();
    assert_eq!(items, vec![before.clone()]);
    let after = &items[0];
    assert_eq!(after.from, "\"odd %user\"@example.org");
    assert_eq!(after.envid.as_deref(), Some("id with space"));
    assert_eq!(after.arrived, t0(), "nanoseconds kept");
    assert_eq!(after.attempts, 1);
    assert_eq!(after.next_attempt, t0() + mins(2));
    assert_eq!(after.recipients[1].address, "jos\u{e9}@example.net");
    assert_eq!(
        after.recipients[0].last_error.as_deref(),
        Some("450 mailbox busy 100%")
    );
    assert_eq!(q.message(&id).unwrap(), MSG);
    let mut streamed = Vec::new();
    std::io::Read::read_to_end(&mut q.open_message(&id).unwrap(), &mut streamed).unwrap();
    assert_eq!(streamed, MSG);
}

#[test]
fn dropped_writer_leaves_nothing() {
    let t = TempDir::new("qdrop");
    let q = Queue::open(t.path()).unwrap();
    {
        let mut w = q.begin(&Envelope::new("a@x", ["b@y"]), t0()).unwrap();
        w.write_chunk(b"partial").unwrap();
        assert_eq!(names(&t.join("tmp")).len(), 1);
    }
    let w = q.begin(&Envelope::new("a@x", ["b@y"]), t0()).unwrap();
    w.abort();
    assert!(names(&t.join("tmp")).is_empty());
    assert!(names(&t.join("msg")).is_empty());
    assert!(q.items().unwrap().is_empty());
}

#[test]
fn envelope_checks_and_ids() {
    let t = TempDir::new("checks");
    let q = Queue::open(t.path()).unwrap();
    for env in [
        Envelope::new("a@x", Vec::<String>::new()),
        Envelope::new("a@x", ["b@y\r\nRCPT TO:<evil@z>"]),
        Envelope::new("a\n@x", ["b@y"]),
        Envelope::new("a@x", [""]),
        Envelope::new("a@x", ["b@y"]).envid("x\0"),
    ] {
        assert!(
            matches!(q.enqueue(&env, [MSG], t0()), Err(Error::InvalidEnvelope(_))),
            "{env:?}"
        );
    }
    for bad in ["", "../env", ".x", "a/b", "a b"] {
        assert!(
            matches!(QueueId::parse(bad), Err(Error::InvalidId(_))),
            "{bad:?}"
        );
    }
    let id = QueueId::parse("1.2.P3Q4").unwrap();
    assert!(matches!(q.get(&id), Err(Error::NotFound(_))));
    // A corrupt envelope file is reported, not a panic.
    fs::write(t.join("env/1.2.P3Q4"), b"mailstore-queue 1\nfrom =a\n").unwrap();
    assert!(matches!(q.get(&id), Err(Error::Corrupt { .. })));
    fs::write(t.join("env/1.2.P3Q4"), b"\xff\xfe").unwrap();
    assert!(matches!(q.items(), Err(Error::Corrupt { .. })));
}

#[test]
fn limits() {
    let t = TempDir::new("qlimits");
    let q = Queue::open(t.path()).unwrap().with_limits(
        Limits::new()
            .max_recipients(2)
            .max_message_size(MSG.len() as u64),
    );
    // Recipients: N accepted, N+1 refused.
    assert!(
        q.enqueue(&Envelope::new("a@x", ["b@y", "c@y"]), [MSG], t0())
            .is_ok()
    );
    assert!(matches!(
        q.enqueue(&Envelope::new("a@x", ["b@y", "c@y", "d@y"]), [MSG], t0()),
        Err(Error::TooManyRecipients { limit: 2 })
    ));
    // Message size: N accepted, N+1 refused (and nothing left behind).
    let big = [MSG, b"x"].concat();
    assert!(matches!(
        q.enqueue(
            &Envelope::new("a@x", ["b@y"]),
            [&big[..10], &big[10..]],
            t0()
        ),
        Err(Error::MessageTooLarge { .. })
    ));
    assert!(names(&t.join("tmp")).is_empty());
    assert_eq!(q.items().unwrap().len(), 1);
    // Envelope file size: N accepted, N+1 refused.
    let id = q.items().unwrap()[0].id.clone();
    let n = fs::metadata(t.join("env").join(id.as_str())).unwrap().len();
    drop(q);
    let q = Queue::open(t.path())
        .unwrap()
        .with_limits(Limits::new().max_envelope_size(n));
    assert!(q.get(&id).is_ok());
    drop(q);
    let q = Queue::open(t.path())
        .unwrap()
        .with_limits(Limits::new().max_envelope_size(n - 1));
    assert!(matches!(q.get(&id), Err(Error::FileTooLarge { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the (control-free) envelope strings, the stored item reads back the same.
    #[test]
    fn envelope_round_trip(
        from in "[^\\p{Cc}]{0,40}",
        rcpts in proptest::collection::vec("[^\\p{Cc}]{1,40}", 1..5),
        envid in proptest::option::of("[^\\p{Cc}]{1,20}"),
        err in "[^\\p{Cc}]{0,60}",
        secs in 0u64..4_000_000_000,
        nanos in 0u32..1_000_000_000,
    ) {
        let t = TempDir::new("propq");
        let q = Queue::open(t.path()).unwrap();
        let mut env = Envelope::new(&from, rcpts.clone());
        env.envid = envid.clone();
        let now = UNIX_EPOCH + Duration::new(secs, nanos);
        let id = q.enqueue(&env, [b"x"], now).unwrap();
        let first = rcpts[0].clone();
        q.update(&id, &[(first.as_str(), Outcome::Deferred(err.clone()))], now).unwrap();
        let item = q.get(&id).unwrap();
        prop_assert_eq!(&item.from, &from);
        prop_assert_eq!(&item.envid, &envid);
        prop_assert_eq!(item.arrived, now);
        let mut uniq: Vec<String> = Vec::new();
        for r in &rcpts {
            if !uniq.contains(r) { uniq.push(r.clone()); }
        }
        let got: Vec<String> = item.recipients.iter().map(|r| r.address.clone()).collect();
        prop_assert_eq!(got, uniq);
        prop_assert_eq!(item.recipients[0].last_error.as_deref(), Some(err.trim()));
    }
}

#[test]
fn dsn_for_an_internationalized_recipient() {
    let t = TempDir::new("utf8");
    let q = Queue::open(t.path()).unwrap().with_retry(retry());
    let env = Envelope::new("alice@example.org", ["jos\u{e9}@example.net"]).envid("caf\u{e9}");
    let id = q.enqueue(&env, [MSG], t0()).unwrap();
    q.update(
        &id,
        &[(
            "jos\u{e9}@example.net",
            Outcome::Failed("550 5.1.1 utilisateur inconnu \u{2014} jos\u{e9}".into()),
        )],
        t0(),
    )
    .unwrap();
    let item = &q.expired(t0()).unwrap()[0];
    let dsn = q.build_dsn(item, "mx.example.org", t0()).unwrap();
    let msg = Message::parse(dsn).unwrap();
    let ds = delivery_status(&msg);
    assert_eq!(
        field(&ds[0], "Original-Envelope-Id"),
        None,
        "non-ASCII ENVID dropped"
    );
    assert_eq!(
        field(&ds[1], "Final-Recipient"),
        Some("utf-8; jos\\x{E9}@example.net")
    );
    assert_eq!(
        field(&ds[1], "Diagnostic-Code"),
        Some("smtp; 550 5.1.1 utilisateur inconnu ? jos?")
    );
    assert_eq!(field(&ds[1], "Status"), Some("5.1.1"));
}
