//! The walkthrough end to end: two servers, submission with STARTTLS and AUTH, relay, POP3.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_travels_from_alice_to_bob() {
    let dir = how_email_works::work_dir();
    let outcome = how_email_works::run(&dir).await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    // Bob's copy is Alice's message below two trace fields.
    assert!(outcome.received.ends_with(&outcome.sent));
    assert!(
        outcome
            .received
            .starts_with(b"Received: from mx.example.org ")
    );
    let narrative = how_email_works::narrate(&outcome);
    for hop in [
        "Alice's client -> mx.example.org",
        "mx.example.org relay to",
        "Bob's client -> mx.example.net",
    ] {
        assert!(narrative.contains(hop), "hop {hop} missing");
    }
    assert!(narrative.contains("[TLS established"));
    assert!(
        !narrative.contains("alice's secret") && !narrative.contains("YWxpY2UncyBzZWNyZXQ"),
        "no password in the narrative"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_check_refuses_an_altered_copy() {
    let sent = b"Subject: hi\r\n\r\nbody\r\n";
    let good = [
        &b"Received: from mx.example.org ([127.0.0.1])\r\n\tby mx.example.net with ESMTPS;\r\n\tdate\r\n"[..],
        b"Received: from a ([127.0.0.1])\r\n\tby mx.example.org with ESMTPSA;\r\n\tdate\r\n",
        sent,
    ]
    .concat();
    assert!(how_email_works::check(sent, &good).is_empty());
    let altered = [&good[..good.len() - 6], b"BODY\r\n"].concat();
    assert!(!how_email_works::check(sent, &altered).is_empty());
    let one_hop = [&good[good.len() - sent.len() - 80..]].concat();
    assert!(!how_email_works::check(sent, &one_hop).is_empty());
}
