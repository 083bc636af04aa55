//! The bridge from a protocol's line exchange to the [`Server`] step machine, written once for
//! SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 3501, RFC 4959).
//!
//! A [`ServerExchange`] takes the client's lines as they arrive (the initial response of the
//! command, then each response line, without CRLF) and gives one [`ExchangeStep`] at a time:
//! a wire line to send (the protocol's prefix, `334 ` or `+ `, the base64 challenge and CRLF),
//! one [`Question`] for the application, success or failure. The application answers a question
//! with an [`Answer`] of the matching kind; [`Question::answer_from`] answers any of them from
//! a [`CredentialStore`]. SCRAM's additional data with success (`v=`), which none of the three
//! protocols can carry in its success reply, goes out as a last challenge that the client
//! answers with an empty line (RFC 4422 section 3.6); the exchange handles that rule here.
//!
//! ```
//! use sasl_proto::exchange::{Answer, ExchangeStep, Question, ServerExchange};
//! use sasl_proto::{Mechanism, ServerConfig};
//!
//! let mut exchange = ServerExchange::new(Mechanism::Login, ServerConfig::default(), "334 ")
//!     .unwrap();
//! assert_eq!(exchange.start(None), ExchangeStep::Send(b"334 VXNlcm5hbWU6\r\n".to_vec()));
//! assert_eq!(exchange.line(b"dGlt"), ExchangeStep::Send(b"334 UGFzc3dvcmQ6\r\n".to_vec()));
//! let ExchangeStep::Ask(Question::VerifyPassword { authcid, password, .. }) =
//!     exchange.line(b"dGFuc3RhYWY=")
//! else {
//!     panic!()
//! };
//! assert_eq!((authcid.as_str(), password.expose()), ("tim", "tanstaaf"));
//! // The application checks the password against its stored hash.
//! let step = exchange.answer(Answer::PasswordVerified(true));
//! assert!(matches!(step, ExchangeStep::Ask(Question::Authorize { .. })));
//! // An answer of the wrong kind is refused and changes nothing.
//! assert!(matches!(exchange.answer(Answer::PasswordVerified(true)), ExchangeStep::Failure(_)));
//! assert_eq!(
//!     exchange.answer(Answer::Authorize(true)),
//!     ExchangeStep::Success { authcid: "tim".into(), authzid: None }
//! );
//! ```

use std::fmt;

use crate::codec::{StepResponse, decode_response_with, encode_continuation};
use crate::mechanism::Mechanism;
use crate::secret::Secret;
use crate::server::{Server, ServerConfig, ServerStep, StoredSecret, TokenVerdict};
use crate::store::CredentialStore;
use crate::{Error, Limits};

/// What the application is asked during an exchange. Each kind takes its own [`Answer`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question {
    /// PLAIN or LOGIN: check `password` (against a password hash) and answer
    /// [`Answer::PasswordVerified`], or give the stored secret with [`Answer::Secret`] and
    /// let the exchange compare.
    VerifyPassword {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authentication identity (SASLprep applied).
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
        /// The password the client presented.
        password: Secret,
    },
    /// CRAM-MD5 or SCRAM: answer [`Answer::Secret`] with the password or the SCRAM keys of
    /// `authcid`, or `None` for an unknown user (SCRAM then goes on with made-up keys and
    /// fails at the final message; see [`ServerConfig::unknown_user_secret`]).
    Secret {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authentication identity (SASLprep applied).
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
    /// XOAUTH2 or OAUTHBEARER: validate the bearer token; answer [`Answer::Token`].
    Token {
        /// The mechanism.
        mechanism: Mechanism,
        /// The user named by the client (OAUTHBEARER's authzid, XOAUTH2's `user=`).
        user: Option<String>,
        /// The bearer token.
        token: Secret,
        /// OAUTHBEARER's `host=`.
        host: Option<String>,
        /// OAUTHBEARER's `port=`.
        port: Option<u16>,
    },
    /// EXTERNAL: give the identity the lower layer established (a TLS client certificate)
    /// with [`Answer::External`]. Asked only when [`ServerConfig::external_identity`] is not
    /// set.
    External {
        /// The authorization identity the client asked for.
        authzid: Option<String>,
    },
    /// The client proved `authcid`: may it log in, as `authzid` when given? Answer
    /// [`Answer::Authorize`].
    Authorize {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authenticated identity.
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
}

/// The application's answer to a [`Question`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// To [`Question::VerifyPassword`]: the application's verdict on the password.
    PasswordVerified(bool),
    /// To [`Question::Secret`] (or [`Question::VerifyPassword`]): the stored secret, `None`
    /// for an unknown user.
    Secret(Option<StoredSecret>),
    /// To [`Question::Token`]: the token's verdict.
    Token(TokenVerdict),
    /// To [`Question::External`]: the lower layer's identity, `None` when there is none.
    External(Option<String>),
    /// To [`Question::Authorize`]: whether the login is allowed.
    Authorize(bool),
}

/// The kinds of [`Question`], to tell which [`Answer`] fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuestionKind {
    /// [`Question::VerifyPassword`].
    VerifyPassword,
    /// [`Question::Secret`].
    Secret,
    /// [`Question::Token`].
    Token,
    /// [`Question::External`].
    External,
    /// [`Question::Authorize`].
    Authorize,
}

impl QuestionKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::VerifyPassword,
        Self::Secret,
        Self::Token,
        Self::External,
        Self::Authorize,
    ];

    /// Whether `answer` answers a question of this kind.
    pub fn fits(self, answer: &Answer) -> bool {
        matches!(
            (self, answer),
            (
                Self::VerifyPassword,
                Answer::PasswordVerified(_) | Answer::Secret(_)
            ) | (Self::Secret, Answer::Secret(_))
                | (Self::Token, Answer::Token(_))
                | (Self::External, Answer::External(_))
                | (Self::Authorize, Answer::Authorize(_))
        )
    }
}

impl Question {
    /// The kind of this question.
    pub fn kind(&self) -> QuestionKind {
        match self {
            Self::VerifyPassword { .. } => QuestionKind::VerifyPassword,
            Self::Secret { .. } => QuestionKind::Secret,
            Self::Token { .. } => QuestionKind::Token,
            Self::External { .. } => QuestionKind::External,
            Self::Authorize { .. } => QuestionKind::Authorize,
        }
    }

    /// The answer `store` gives: a password is checked with
    /// [`CredentialStore::check_password`] when the store has an opinion, else compared with
    /// its secret; a store knows no TLS client identity, so EXTERNAL gets `None`.
    pub fn answer_from<S: CredentialStore + ?Sized>(&self, store: &S) -> Answer {
        match self {
            Self::VerifyPassword {
                mechanism,
                authcid,
                password,
                ..
            } => match store.check_password(authcid, password) {
                Some(ok) => Answer::PasswordVerified(ok),
                None => Answer::Secret(store.secret(mechanism, authcid)),
            },
            Self::Secret {
                mechanism, authcid, ..
            } => Answer::Secret(store.secret(mechanism, authcid)),
            Self::Token {
                mechanism,
                user,
                token,
                ..
            } => Answer::Token(store.validate_token(mechanism, user.as_deref(), token)),
            Self::External { .. } => Answer::External(None),
            Self::Authorize {
                authcid, authzid, ..
            } => Answer::Authorize(store.authorize(authcid, authzid.as_deref())),
        }
    }
}

/// What the protocol does next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExchangeStep {
    /// Send this line (prefix, base64, CRLF) and pass the client's next line to
    /// [`ServerExchange::line`].
    Send(Vec<u8>),
    /// Ask the application; pass its answer to [`ServerExchange::answer`].
    Ask(Question),
    /// The client is authenticated (and authorized): send the protocol's success reply.
    Success {
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity, when one was requested.
        authzid: Option<String>,
    },
    /// The exchange failed ([`Error::Cancelled`] when the client sent `*`,
    /// [`Error::Base64`] for a line that does not decode). [`Error::Usage`] means the caller
    /// erred and nothing changed; every other error is final.
    Failure(Error),
}

#[derive(Clone, Debug)]
enum Phase {
    Start,
    /// A challenge is out; the client's line is next.
    Talking,
    /// A question is out; the application's answer is next.
    Asking(QuestionKind),
    /// The additional data went out as a last challenge; an empty line completes.
    FinalSent {
        authcid: String,
        authzid: Option<String>,
    },
    Done,
    Failed,
}

/// One SASL authentication on a line protocol, server side.
pub struct ServerExchange {
    server: Server,
    prefix: &'static str,
    limits: Limits,
    phase: Phase,
}

impl fmt::Debug for ServerExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerExchange")
            .field("server", &self.server)
            .field("prefix", &self.prefix)
            .field("phase", &self.phase)
            .finish()
    }
}

fn usage(what: &'static str) -> ExchangeStep {
    ExchangeStep::Failure(Error::Usage(what))
}

impl ServerExchange {
    /// An exchange for `mechanism` whose challenges start with `prefix` (`"334 "` for SMTP,
    /// `"+ "` for POP3 and IMAP). Client lines longer than `config.limits.max_line_len`
    /// fail with [`Error::Base64`]. Fails as [`Server::new`] does.
    pub fn new(
        mechanism: Mechanism,
        config: ServerConfig,
        prefix: &'static str,
    ) -> Result<Self, Error> {
        let limits = config.limits.clone();
        Ok(Self {
            server: Server::new(mechanism, config)?,
            prefix,
            limits,
            phase: Phase::Start,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        self.server.mechanism()
    }

    /// The ANONYMOUS trace information the client sent.
    pub fn trace(&self) -> Option<&str> {
        self.server.trace()
    }

    /// The kind of the question waiting for its answer, if one is.
    pub fn question_kind(&self) -> Option<QuestionKind> {
        match self.phase {
            Phase::Asking(kind) => Some(kind),
            _ => None,
        }
    }

    /// Whether `answer` answers the question waiting now.
    pub fn accepts(&self, answer: &Answer) -> bool {
        self.question_kind().is_some_and(|kind| kind.fits(answer))
    }

    /// Whether the exchange ended (in success or failure).
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done | Phase::Failed)
    }

    /// Starts with the command's initial response as sent (base64, `=` for an empty one,
    /// `*` to cancel), or `None` without one.
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> ExchangeStep {
        if !matches!(self.phase, Phase::Start) {
            return usage("start called twice");
        }
        let decoded = match initial_response.map(|ir| self.decode(ir)) {
            None => None,
            Some(Ok(data)) => Some(data),
            Some(Err(e)) => return self.fail(e),
        };
        let step = self.server.start(decoded.as_deref());
        self.follow(step)
    }

    /// Passes the client's line (without CRLF) after a [`ExchangeStep::Send`].
    pub fn line(&mut self, line: &[u8]) -> ExchangeStep {
        match std::mem::replace(&mut self.phase, Phase::Failed) {
            Phase::Talking => match self.decode(line) {
                Ok(data) => {
                    let step = self.server.step(&data);
                    self.follow(step)
                }
                Err(e) => self.fail(e),
            },
            Phase::FinalSent { authcid, authzid } => match line {
                b"" | b"=" => {
                    self.phase = Phase::Done;
                    ExchangeStep::Success { authcid, authzid }
                }
                b"*" => self.fail(Error::Cancelled),
                _ => self.fail(Error::UnexpectedMessage),
            },
            phase => {
                self.phase = phase;
                usage("a client line while no challenge is out")
            }
        }
    }

    /// Answers the question of the last [`ExchangeStep::Ask`]. An answer of another kind is
    /// refused with [`Error::Usage`] and the question stays open.
    pub fn answer(&mut self, answer: Answer) -> ExchangeStep {
        if !self.accepts(&answer) {
            return usage("an answer of another kind than the question");
        }
        let step = match answer {
            Answer::PasswordVerified(ok) => self.server.password_verified(ok),
            Answer::Secret(secret) => self.server.provide_secret(secret),
            Answer::Token(verdict) => self.server.provide_token(verdict),
            Answer::External(identity) => self.server.provide_external(identity),
            Answer::Authorize(allowed) => self.server.authorize(allowed),
        };
        self.follow(step)
    }

    fn decode(&self, line: &[u8]) -> Result<Vec<u8>, Error> {
        match decode_response_with(line, &self.limits) {
            Ok(StepResponse::Data(data)) => Ok(data),
            Ok(StepResponse::Cancel) => Err(Error::Cancelled),
            Err(e) => Err(Error::Base64(e)),
        }
    }

    fn fail(&mut self, error: Error) -> ExchangeStep {
        self.phase = Phase::Failed;
        ExchangeStep::Failure(error)
    }

    fn send(&self, data: &[u8]) -> Vec<u8> {
        let mut line = self.prefix.as_bytes().to_vec();
        line.extend_from_slice(&encode_continuation(data));
        line.extend_from_slice(b"\r\n");
        line
    }

    fn ask(&mut self, question: Question) -> ExchangeStep {
        self.phase = Phase::Asking(question.kind());
        ExchangeStep::Ask(question)
    }

    /// Turns the machine's step into the protocol's.
    fn follow(&mut self, step: ServerStep) -> ExchangeStep {
        match step {
            ServerStep::Challenge(data) => {
                self.phase = Phase::Talking;
                ExchangeStep::Send(self.send(&data))
            }
            ServerStep::NeedSecret {
                mechanism,
                authcid,
                authzid,
            } => match self.server.presented_password().cloned() {
                Some(password) => self.ask(Question::VerifyPassword {
                    mechanism,
                    authcid,
                    authzid,
                    password,
                }),
                None => self.ask(Question::Secret {
                    mechanism,
                    authcid,
                    authzid,
                }),
            },
            ServerStep::NeedToken {
                mechanism,
                user,
                token,
                host,
                port,
            } => self.ask(Question::Token {
                mechanism,
                user,
                token,
                host,
                port,
            }),
            ServerStep::NeedExternal { authzid } => self.ask(Question::External { authzid }),
            ServerStep::NeedAuthorize { authcid, authzid } => {
                let mechanism = self.server.mechanism().clone();
                self.ask(Question::Authorize {
                    mechanism,
                    authcid,
                    authzid,
                })
            }
            ServerStep::Success {
                authcid,
                authzid,
                additional_data: Some(data),
            } => {
                self.phase = Phase::FinalSent { authcid, authzid };
                ExchangeStep::Send(self.send(&data))
            }
            ServerStep::Success {
                authcid,
                authzid,
                additional_data: None,
            } => {
                self.phase = Phase::Done;
                ExchangeStep::Success { authcid, authzid }
            }
            ServerStep::Failure(e @ Error::Usage(_)) => ExchangeStep::Failure(e),
            ServerStep::Failure(e) => self.fail(e),
        }
    }
}
