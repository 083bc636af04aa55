//! One answer to every SASL question of SMTP AUTH and POP3 AUTH: the users file
//! ([`Users::answer_auth`](crate::users::Users::answer_auth)) with the login throttle and the
//! hashing pool around it, so that both protocols are slowed down, locked out and hashed alike.

use std::net::SocketAddr;
use std::time::Instant;

use sasl_proto::{Answer, Question};

use crate::Context;

/// What a session remembers of an AUTH exchange between its questions: `Some` once a user
/// was named (with the name when it is a user of ours), until the exchange ends.
pub(crate) type Attempt = Option<Option<String>>;

/// Answers `question` for a client at `peer`.
///
/// A password is checked in the hashing pool, never on an async worker; an attempt while the
/// address or the user is locked out gets the answer of unknown credentials; the throttle
/// learns of a wrong password at once, and of the rest at the authorization question. An
/// exchange that ends without one (a wrong SCRAM proof, a cancel) is counted as a failure by
/// the caller, from `attempt`, when the next event is not that question.
pub(crate) async fn answer(
    ctx: &Context,
    peer: SocketAddr,
    attempt: &mut Attempt,
    question: &Question,
) -> Answer {
    match question {
        Question::VerifyPassword {
            authcid, password, ..
        } => {
            let named = named(ctx, authcid);
            let go = crate::smtp::throttle_attempt(ctx, peer, named.as_deref()).await;
            let ok = go && ctx.hashing.verify(authcid, password).await;
            if ok {
                *attempt = Some(named);
            } else {
                // A wrong password is known at once: counted now.
                ctx.throttle
                    .failed(peer.ip(), named.as_deref(), Instant::now());
                *attempt = None;
            }
            Answer::PasswordVerified(ok)
        }
        Question::Secret { authcid, .. } => {
            let named = named(ctx, authcid);
            let go = crate::smtp::throttle_attempt(ctx, peer, named.as_deref()).await;
            *attempt = Some(named);
            match go {
                true => ctx.users.answer_auth(question),
                false => Answer::Secret(None),
            }
        }
        Question::Authorize { authcid, .. } => {
            let answer = ctx.users.answer_auth(question);
            let named = attempt.take().flatten();
            let now = Instant::now();
            match answer {
                Answer::Authorize(true) => ctx.throttle.succeeded(peer.ip(), authcid, now),
                _ => ctx.throttle.failed(peer.ip(), named.as_deref(), now),
            }
            answer
        }
        other => ctx.users.answer_auth(other),
    }
}

/// The name when it is one of our users: guesses are counted against the address only, so
/// that a prober cannot fill the throttle with a record per guess.
fn named(ctx: &Context, authcid: &str) -> Option<String> {
    ctx.users.contains(authcid).then(|| authcid.to_owned())
}
