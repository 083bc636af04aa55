//! Decision tokens answered the wrong way: for every kind of decision the server opens, an
//! answer through another kind's method gives the token back open, sends nothing, and the
//! session goes on when the token is then answered the right way. Also the AUTH questions:
//! the presented password reaches the application, and an unknown SCRAM user looks known.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Instant;

use common::*;
use proto_core::{Decision, Machine};
use sasl_proto::codec::encode;
use sasl_proto::testing;
use sasl_proto::{Answer, Question, QuestionKind};
use smtp_proto::UsageError;
use smtp_proto::{Server, ServerEvent};

fn server() -> Server {
    let config = server_config("foo.com")
        .with_extensions(small_extensions())
        .with_plaintext_auth(true)
        .with_auth_mechanisms(testing::mechanisms())
        .with_decide_connection(true)
        .with_decide_hello(true);
    Server::new(config, Instant::now())
}

fn out(server: &mut Server) -> String {
    proto_core::testing::take_output(server)
}

/// Feeds `bytes` and returns the next event that is not a body chunk.
fn next(server: &mut Server, bytes: &[u8]) -> ServerEvent {
    server.receive(bytes, std::time::Instant::now());
    loop {
        match server.poll_event() {
            Some(Ok(ServerEvent::BodyChunk(_))) => continue,
            Some(Ok(event)) => return event,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

fn wrong(result: Result<(), UsageError>) -> Decision {
    let err = result.unwrap_err();
    assert!(matches!(err, UsageError::WrongAnswer(_)), "{err:?}");
    err.into_decision().unwrap()
}

/// `answer_auth` on a decision that is not an AUTH question gives the token back.
fn refuse_answer_auth(server: &mut Server, decision: Decision) -> Decision {
    let decision = wrong(server.answer_auth(decision, Answer::Authorize(true)));
    let decision = wrong(server.answer_auth(decision, Answer::Secret(None)));
    assert_eq!(out(server), "");
    decision
}

#[test]
fn answer_auth_on_every_other_kind_of_decision_gives_the_token_back() {
    let mut s = server();
    let Some(Ok(ServerEvent::Connected { decision })) = s.poll_event() else {
        panic!()
    };
    let decision = refuse_answer_auth(&mut s, decision);
    s.accept(decision).unwrap();
    assert_eq!(out(&mut s), "220 foo.com ESMTP\r\n");

    let ServerEvent::Hello {
        decision: Some(decision),
        ..
    } = next(&mut s, b"EHLO bar.com\r\n")
    else {
        panic!()
    };
    let decision = refuse_answer_auth(&mut s, decision);
    s.accept(decision).unwrap();
    assert!(out(&mut s).starts_with("250-foo.com\r\n"));

    let ServerEvent::MailFrom { decision, .. } = next(&mut s, b"MAIL FROM:<a@b.c>\r\n") else {
        panic!()
    };
    let decision = refuse_answer_auth(&mut s, decision);
    s.accept(decision).unwrap();
    assert_eq!(out(&mut s), "250 2.1.0 Ok\r\n");

    let ServerEvent::RcptTo { decision, .. } = next(&mut s, b"RCPT TO:<d@e.f>\r\n") else {
        panic!()
    };
    let decision = refuse_answer_auth(&mut s, decision);
    s.reject(decision, reply_from("550 5.1.1 no such user"))
        .unwrap();
    assert_eq!(out(&mut s), "550 5.1.1 no such user\r\n");

    let ServerEvent::RcptTo { decision, .. } = next(&mut s, b"RCPT TO:<g@h.i>\r\n") else {
        panic!()
    };
    s.accept(decision).unwrap();
    assert_eq!(out(&mut s), "250 2.1.5 Ok\r\n");

    let ServerEvent::DataEnd { decision, .. } = next(&mut s, b"DATA\r\nhello\r\n.\r\n") else {
        panic!()
    };
    assert_eq!(out(&mut s), "354 End data with <CR><LF>.<CR><LF>\r\n");
    let decision = refuse_answer_auth(&mut s, decision);
    s.accept(decision).unwrap();
    assert_eq!(out(&mut s), "250 2.0.0 Ok: queued\r\n");
    // The session goes on.
    s.receive(b"QUIT\r\n", std::time::Instant::now());
    assert!(matches!(s.poll_event(), Some(Ok(ServerEvent::Quit))));
}

/// An AUTH command that brings the server to a question of `kind`.
fn auth_command(kind: QuestionKind) -> Vec<u8> {
    format!("AUTH {}\r\n", testing::auth_arguments(kind)).into_bytes()
}

/// A server that accepted the connection and EHLO.
fn greeted() -> Server {
    let mut s = server();
    let Some(Ok(ServerEvent::Connected { decision })) = s.poll_event() else {
        panic!()
    };
    s.accept(decision).unwrap();
    let ServerEvent::Hello {
        decision: Some(decision),
        ..
    } = next(&mut s, b"EHLO bar.com\r\n")
    else {
        panic!()
    };
    s.accept(decision).unwrap();
    let _ = out(&mut s);
    s
}

#[test]
fn every_wrong_answer_to_every_auth_question_gives_the_token_back() {
    for kind in QuestionKind::ALL {
        let mut s = greeted();
        let ServerEvent::AuthQuestion { question, decision } = next(&mut s, &auth_command(kind))
        else {
            panic!("{kind:?}")
        };
        assert_eq!(question.kind(), kind);
        let mut decision = wrong(s.accept(decision));
        decision = wrong(s.accept_with(decision, reply_from("235 2.7.0 yes")));
        decision = wrong(s.reject(decision, reply_from("535 5.7.8 no")));
        for answer in testing::wrong_answers(kind) {
            decision = wrong(s.answer_auth(decision, answer));
        }
        assert_eq!(out(&mut s), "", "{kind:?}");
        // The right answer goes on with the exchange.
        s.answer_auth(decision, testing::right_answer(kind).unwrap())
            .unwrap();
        match kind {
            // SCRAM sends its server-first message.
            QuestionKind::Secret => assert!(out(&mut s).starts_with("334 "), "{kind:?}"),
            QuestionKind::Authorize => {
                assert_eq!(out(&mut s), "235 2.7.0 Authentication successful\r\n");
                assert_eq!(s.authenticated(), Some("anonymous"));
            }
            _ => {
                let Some(Ok(ServerEvent::AuthQuestion { question, decision })) = s.poll_event()
                else {
                    panic!("{kind:?}")
                };
                assert_eq!(question.kind(), QuestionKind::Authorize, "{kind:?}");
                s.answer_auth(decision, Answer::Authorize(true)).unwrap();
                assert_eq!(out(&mut s), "235 2.7.0 Authentication successful\r\n");
            }
        }
    }
}

#[test]
fn a_plain_password_reaches_the_application_to_check_against_a_hash() {
    for (password, verdict, reply) in [
        ("1234", true, "235 2.7.0 Authentication successful\r\n"),
        ("wrong", false, "535 5.7.8 Error: authentication failed\r\n"),
    ] {
        let mut s = greeted();
        let ir = String::from_utf8(encode(format!("\0test\0{password}").as_bytes())).unwrap();
        let ServerEvent::AuthQuestion { question, decision } =
            next(&mut s, format!("AUTH PLAIN {ir}\r\n").as_bytes())
        else {
            panic!()
        };
        let Question::VerifyPassword {
            authcid,
            password: presented,
            ..
        } = question
        else {
            panic!("{question:?}")
        };
        assert_eq!((authcid.as_str(), presented.expose()), ("test", password));
        // The application compares with its stored hash and says yes or no.
        s.answer_auth(decision, Answer::PasswordVerified(verdict))
            .unwrap();
        if verdict {
            let Some(Ok(ServerEvent::AuthQuestion { decision, .. })) = s.poll_event() else {
                panic!()
            };
            s.answer_auth(decision, Answer::Authorize(true)).unwrap();
        }
        assert_eq!(out(&mut s), reply);
    }
}

#[test]
fn an_unknown_scram_user_gets_a_server_first_message_like_a_known_one() {
    let first = |user: &str| {
        let mut s = greeted();
        let ir = encode(format!("n,,n={user},r=clientnonce").as_bytes());
        let command = format!("AUTH SCRAM-SHA-256 {}\r\n", String::from_utf8(ir).unwrap());
        let ServerEvent::AuthQuestion { question, decision } = next(&mut s, command.as_bytes())
        else {
            panic!()
        };
        s.answer_auth(decision, question.answer_from(&store()))
            .unwrap();
        let line = out(&mut s);
        line.strip_prefix("334 ").unwrap().trim_end().to_owned()
    };
    let known = first("user");
    let unknown = first("nobody");
    let shape = |challenge: &str| testing::server_first_shape(challenge.as_bytes()).unwrap();
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(first("nobody"), unknown);
}
