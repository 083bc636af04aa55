//! Tables the protocol crates' tests share (feature `testing`): an AUTH command for each kind of
//! question the server exchange asks, one answer of each kind, and the shape of a SCRAM
//! server-first message. SMTP's AUTH, POP3's AUTH and IMAP's AUTHENTICATE take the same
//! arguments and ask the same questions, so their tests read these instead of each keeping a
//! copy.

use crate::codec::{decode_challenge, encode};
use crate::exchange::{Answer, QuestionKind};
use crate::mechanism::Mechanism;
use crate::server::{StoredSecret, TokenVerdict};

/// The mechanisms a server under test offers for [`auth_arguments`]: one per kind of question.
pub fn mechanisms() -> Vec<Mechanism> {
    vec![
        Mechanism::Plain,
        Mechanism::ScramSha256,
        Mechanism::XOAuth2,
        Mechanism::External,
        Mechanism::Anonymous,
    ]
}

/// The arguments of an AUTH command (mechanism, space, base64 initial response) that bring a
/// server exchange offering PLAIN, SCRAM-SHA-256, XOAUTH2, EXTERNAL and ANONYMOUS to a first
/// question of `kind`: PLAIN as `test` with password `1234`, SCRAM-SHA-256 and XOAUTH2 as
/// `user`, ANONYMOUS with the trace `trace`.
pub fn auth_arguments(kind: QuestionKind) -> String {
    let (mechanism, initial_response): (&str, &[u8]) = match kind {
        QuestionKind::VerifyPassword => ("PLAIN", b"\0test\x001234"),
        QuestionKind::Secret => ("SCRAM-SHA-256", b"n,,n=user,r=clientnonce"),
        QuestionKind::Token => ("XOAUTH2", b"user=user\x01auth=Bearer tok\x01\x01"),
        QuestionKind::External => ("EXTERNAL", b""),
        QuestionKind::Authorize => ("ANONYMOUS", b"trace"),
    };
    format!(
        "{mechanism} {}",
        String::from_utf8_lossy(&encode(initial_response))
    )
}

/// One answer of each kind, in the order of [`QuestionKind::ALL`]: the first that fits a kind
/// ([`QuestionKind::fits`]) is the right one for the questions [`auth_arguments`] brings (it
/// lets the exchange go on), every other that does not fit is a wrong one.
pub fn answers() -> [Answer; 5] {
    [
        Answer::PasswordVerified(true),
        Answer::Secret(Some(StoredSecret::Password("1234".into()))),
        Answer::Token(TokenVerdict::Valid {
            authcid: "user".into(),
        }),
        Answer::External(Some("cert-user".into())),
        Answer::Authorize(true),
    ]
}

/// The right answer to a question of `kind` among [`answers`].
pub fn right_answer(kind: QuestionKind) -> Option<Answer> {
    answers().into_iter().find(|a| kind.fits(a))
}

/// The answers of [`answers`] that do not fit a question of `kind`.
pub fn wrong_answers(kind: QuestionKind) -> Vec<Answer> {
    answers().into_iter().filter(|a| !kind.fits(a)).collect()
}

/// What a SCRAM server-first message (given as its base64 challenge) shows of the user: the
/// nonce attribute, the length of the decoded salt and the iteration attribute, or `None` when
/// it is not three attributes `r=`, `s=` and `i=`. An unknown user must give the same shape
/// as a known one.
pub fn server_first_shape(challenge: &[u8]) -> Option<(String, usize, String)> {
    let message = String::from_utf8(decode_challenge(challenge).ok()?).ok()?;
    let mut parts = message.split(',');
    let (Some(nonce), Some(salt), Some(iterations), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let salt = decode_challenge(salt.strip_prefix("s=")?.as_bytes()).ok()?;
    nonce.strip_prefix("r=")?;
    iterations.strip_prefix("i=")?;
    Some((nonce.to_owned(), salt.len(), iterations.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_right_answer_and_four_wrong_ones() {
        for kind in QuestionKind::ALL {
            let right = right_answer(kind).unwrap();
            assert!(kind.fits(&right), "{kind:?}");
            // VerifyPassword also takes a secret, so it has three wrong answers.
            let wrong = wrong_answers(kind);
            let expected = if kind == QuestionKind::VerifyPassword {
                3
            } else {
                4
            };
            assert_eq!(wrong.len(), expected, "{kind:?}");
            assert!(wrong.iter().all(|a| !kind.fits(a)));
        }
        assert_eq!(
            auth_arguments(QuestionKind::VerifyPassword),
            "PLAIN AHRlc3QAMTIzNA=="
        );
        assert_eq!(auth_arguments(QuestionKind::External), "EXTERNAL =");
    }

    #[test]
    fn the_shape_of_a_server_first_message() {
        let challenge = encode(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=4096");
        assert_eq!(
            server_first_shape(&challenge),
            Some(("r=abcdef".into(), 12, "i=4096".into()))
        );
        assert_eq!(server_first_shape(&encode(b"r=abc,s=QSXC")), None);
        assert_eq!(server_first_shape(&encode(b"r=a,x=QSXC,i=1")), None);
    }
}
