//! Decision tokens answered the wrong way: for every kind of decision the server opens (login,
//! each kind of AUTH question, retrieve, update), every answer method of another kind gives the
//! token back open, sends nothing and leaves the session open; answered the right way, the
//! session goes on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Instant;

use pop3_proto::StatusLine;
use pop3_proto::UsageError;
use pop3_proto::{LoginRefusal, MaildropEntry, Server, ServerConfig, ServerEvent};
use proto_core::{Decision, Machine};
use sasl_proto::codec::encode;
use sasl_proto::testing;
use sasl_proto::{Answer, FixedNonce, MemoryStore, QuestionKind};

fn server() -> Server {
    let config = ServerConfig::new()
        .with_implicit_tls(true)
        .with_sasl_mechanisms(testing::mechanisms())
        .with_nonce_source(FixedNonce("server-nonce".into()));
    let mut s = Server::new(config, Instant::now());
    let greeting = out(&mut s);
    assert!(greeting.starts_with("+OK"), "{greeting}");
    s
}

fn out(server: &mut Server) -> String {
    proto_core::testing::take_output(server)
}

fn next(server: &mut Server, bytes: &[u8]) -> ServerEvent {
    server.receive(bytes, std::time::Instant::now());
    match server.poll_event() {
        Some(Ok(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// The answer methods, each by name, so that every wrong one can be tried.
const METHODS: [&str; 7] = [
    "accept_login",
    "reject_login",
    "answer_auth",
    "accept_retrieve",
    "reject_retrieve",
    "accept_update",
    "reject_update",
];

fn call(server: &mut Server, method: &str, decision: Decision) -> Result<(), UsageError> {
    match method {
        "accept_login" => server.accept_login(decision, Vec::new()),
        "reject_login" => server.reject_login(decision, LoginRefusal::BadCredentials),
        "answer_auth" => server.answer_auth(decision, Answer::Authorize(true)),
        "accept_retrieve" => server.accept_retrieve(decision),
        "reject_retrieve" => server.reject_retrieve(decision, StatusLine::err(&b"gone"[..])),
        "accept_update" => server.accept_update(decision, None),
        "reject_update" => server.reject_update(decision),
        other => panic!("{other}"),
    }
}

/// Tries every method but `right` (and `also_right`) on `decision`: each gives it back open.
fn try_wrong(server: &mut Server, mut decision: Decision, right: &[&str]) -> Decision {
    for method in METHODS.iter().filter(|m| !right.contains(m)) {
        let err = call(server, method, decision).unwrap_err();
        assert!(
            matches!(err, UsageError::WrongAnswer(_)),
            "{method}: {err:?}"
        );
        decision = err.into_decision().unwrap();
        assert_eq!(out(server), "", "{method}");
        assert!(!server.is_closed(), "{method}");
    }
    decision
}

#[test]
fn every_wrong_method_on_login_retrieve_and_update_gives_the_token_back() {
    let mut s = server();
    let ServerEvent::Login { decision, .. } = next(&mut s, b"USER test\r\nPASS 1234\r\n") else {
        panic!()
    };
    assert_eq!(out(&mut s), "+OK send PASS\r\n");
    let decision = try_wrong(&mut s, decision, &["accept_login", "reject_login"]);
    s.accept_login(decision, vec![MaildropEntry::new(9, "uid-1")])
        .unwrap();
    assert_eq!(
        out(&mut s),
        "+OK test's maildrop has 1 messages (9 octets)\r\n"
    );

    let ServerEvent::Retrieve { decision, .. } = next(&mut s, b"RETR 1\r\n") else {
        panic!()
    };
    let decision = try_wrong(&mut s, decision, &["accept_retrieve", "reject_retrieve"]);
    s.accept_retrieve(decision).unwrap();
    s.write_body(b"Hi\r\nthere").unwrap();
    s.finish_body().unwrap();
    assert_eq!(out(&mut s), "+OK 9 octets\r\nHi\r\nthere\r\n.\r\n");

    let ServerEvent::Update { decision, .. } = next(&mut s, b"QUIT\r\n") else {
        panic!()
    };
    let decision = try_wrong(&mut s, decision, &["accept_update", "reject_update"]);
    s.accept_update(decision, None).unwrap();
    assert_eq!(out(&mut s), "+OK POP3 server signing off\r\n");
    assert!(s.is_closed());
}

/// An AUTH command that brings the server to a question of `kind`.
fn auth_command(kind: QuestionKind) -> Vec<u8> {
    format!("AUTH {}\r\n", testing::auth_arguments(kind)).into_bytes()
}

#[test]
fn every_wrong_answer_to_every_auth_question_gives_the_token_back() {
    for kind in QuestionKind::ALL {
        let mut s = server();
        let ServerEvent::AuthQuestion { question, decision } = next(&mut s, &auth_command(kind))
        else {
            panic!("{kind:?}")
        };
        assert_eq!(question.kind(), kind);
        let mut decision = try_wrong(&mut s, decision, &["answer_auth"]);
        for answer in testing::wrong_answers(kind) {
            let err = s.answer_auth(decision, answer.clone()).unwrap_err();
            assert!(matches!(err, UsageError::WrongAnswer(_)), "{answer:?}");
            decision = err.into_decision().unwrap();
        }
        assert_eq!(out(&mut s), "", "{kind:?}");
        // The right answer goes on with the exchange.
        s.answer_auth(decision, testing::right_answer(kind).unwrap())
            .unwrap();
        match kind {
            QuestionKind::Secret => assert!(out(&mut s).starts_with("+ "), "{kind:?}"),
            QuestionKind::Authorize => {
                let Some(Ok(ServerEvent::Login { decision, .. })) = s.poll_event() else {
                    panic!()
                };
                s.accept_login(decision, Vec::new()).unwrap();
                assert!(out(&mut s).starts_with("+OK"));
            }
            _ => {
                let Some(Ok(ServerEvent::AuthQuestion { question, decision })) = s.poll_event()
                else {
                    panic!("{kind:?}")
                };
                assert_eq!(question.kind(), QuestionKind::Authorize);
                s.answer_auth(decision, Answer::Authorize(true)).unwrap();
                assert!(matches!(
                    s.poll_event(),
                    Some(Ok(ServerEvent::Login { .. }))
                ));
            }
        }
    }
}

#[test]
fn an_unknown_scram_user_gets_a_server_first_message_like_a_known_one() {
    let mut store = MemoryStore::new();
    store
        .add_scram(
            "user",
            "pencil",
            &[1u8; 16],
            4096,
            &sasl_proto::Limits::default(),
        )
        .unwrap();
    let first = |user: &str| {
        let mut s = server();
        let ir = String::from_utf8(encode(format!("n,,n={user},r=cnonce").as_bytes())).unwrap();
        let command = format!("AUTH SCRAM-SHA-256 {ir}\r\n");
        let ServerEvent::AuthQuestion { question, decision } = next(&mut s, command.as_bytes())
        else {
            panic!()
        };
        s.answer_auth(decision, question.answer_from(&store))
            .unwrap();
        let line = out(&mut s);
        line.strip_prefix("+ ").unwrap().trim_end().to_owned()
    };
    let known = first("user");
    let unknown = first("nobody");
    let shape = |challenge: &str| testing::server_first_shape(challenge.as_bytes()).unwrap();
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(first("nobody"), unknown);
}
