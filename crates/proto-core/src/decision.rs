//! Decision tokens: how a server machine asks the application for a judgement.
//!
//! An event that needs the application's answer (MAIL FROM, RCPT TO, an AUTH identity, the end
//! of DATA, a POP3 login, an IMAP command) carries a [`Decision`]. The application answers it now
//! or later through the machine (`accept(token)`, `reject(token, reply)`); the token is consumed,
//! so a decision is answered once. Machines keep their open decisions in [`Decisions`], which also
//! refuses a token that belongs to another machine or was already answered, and gives back, still
//! open, a token answered through a method meant for another kind of decision
//! ([`Decisions::close_if`], [`WrongAnswer`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

// Ids are unique in the process, so a token handed to the wrong machine is recognised.
static NEXT_DECISION: AtomicU64 = AtomicU64::new(1);

/// A question the application must answer before the machine can go on.
///
/// Not `Clone`: answering consumes it.
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "a machine waits until its decision is answered"]
pub struct Decision {
    id: u64,
}

impl Decision {
    /// A number that identifies this decision in logs.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// The token given back was not one of this machine's open decisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("decision {id} is not open on this machine (answered already, or another machine's)")]
pub struct UnknownDecision {
    /// The id of the token.
    pub id: u64,
}

/// A token answered through a method meant for another kind of decision (for example an SMTP
/// `accept` on a token that asks for a SASL answer). The decision is still open: take the token
/// back with [`WrongAnswer::into_decision`] and answer it the right way.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("decision {} cannot be answered this way; it is still open", .decision.id)]
pub struct WrongAnswer {
    decision: Decision,
}

impl WrongAnswer {
    /// The id of the token.
    pub fn id(&self) -> u64 {
        self.decision.id
    }

    /// The token, to answer it again.
    pub fn into_decision(self) -> Decision {
        self.decision
    }
}

/// Why [`Decisions::close_if`] did not close a decision.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    /// The token is not open on this machine.
    #[error(transparent)]
    Unknown(#[from] UnknownDecision),
    /// The token is open but asks for another kind of answer; it is given back.
    #[error(transparent)]
    WrongAnswer(#[from] WrongAnswer),
}

/// Gives a protocol crate's `UsageError` the two decision pieces every machine shares, written
/// once here: `From<CloseError>` (so `decisions.close_if(..)?` works) and `into_decision`, which
/// takes back the token of a wrong answer. The enum must have the variants
/// `UnknownDecision(UnknownDecision)` and `WrongAnswer(WrongAnswer)`.
///
/// ```
/// use proto_core::decision::{CloseError, Decisions, UnknownDecision, WrongAnswer};
///
/// #[derive(Debug)]
/// enum UsageError {
///     UnknownDecision(UnknownDecision),
///     WrongAnswer(WrongAnswer),
/// }
/// proto_core::decision_usage_error!(UsageError);
///
/// let mut decisions = Decisions::new();
/// let token = decisions.open("mail");
/// let id = token.id();
/// let error: UsageError = decisions.close_if(token, |c| *c == "rcpt").unwrap_err().into();
/// let token = error.into_decision().unwrap();
/// assert_eq!(token.id(), id);
/// assert_eq!(decisions.close(token), Ok("mail"));
/// ```
#[macro_export]
macro_rules! decision_usage_error {
    ($usage:ident) => {
        impl $usage {
            /// The token of a wrong answer (`UsageError::WrongAnswer`), still open, to answer it
            /// the right way; `None` for every other error.
            pub fn into_decision(self) -> Option<$crate::Decision> {
                match self {
                    Self::WrongAnswer(wrong) => Some(wrong.into_decision()),
                    _ => None,
                }
            }
        }

        impl From<$crate::decision::CloseError> for $usage {
            fn from(error: $crate::decision::CloseError) -> Self {
                match error {
                    $crate::decision::CloseError::Unknown(unknown) => {
                        Self::UnknownDecision(unknown)
                    }
                    $crate::decision::CloseError::WrongAnswer(wrong) => Self::WrongAnswer(wrong),
                }
            }
        }
    };
}

/// The open decisions of a machine, each with what the machine needs to finish it.
#[derive(Debug)]
pub struct Decisions<C> {
    open: VecDeque<(u64, C)>,
}

impl<C> Default for Decisions<C> {
    fn default() -> Self {
        Self {
            open: VecDeque::new(),
        }
    }
}

impl<C> Decisions<C> {
    /// No open decision.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a decision that carries `context` until it is answered.
    pub fn open(&mut self, context: C) -> Decision {
        let id = NEXT_DECISION.fetch_add(1, Ordering::Relaxed);
        self.open.push_back((id, context));
        Decision { id }
    }

    /// Closes the decision, giving back its context.
    pub fn close(&mut self, decision: Decision) -> Result<C, UnknownDecision> {
        let index = self
            .open
            .iter()
            .position(|(id, _)| *id == decision.id)
            .ok_or(UnknownDecision { id: decision.id })?;
        self.open
            .remove(index)
            .map(|(_, context)| context)
            .ok_or(UnknownDecision { id: decision.id })
    }

    /// Closes the decision only if its context `fits` the answer being given; otherwise the
    /// decision stays open and the token comes back in [`CloseError::WrongAnswer`], so a
    /// mistaken answer costs the caller nothing.
    pub fn close_if(
        &mut self,
        decision: Decision,
        fits: impl FnOnce(&C) -> bool,
    ) -> Result<C, CloseError> {
        let Some(index) = self.open.iter().position(|(id, _)| *id == decision.id) else {
            return Err(UnknownDecision { id: decision.id }.into());
        };
        if !self
            .open
            .get(index)
            .is_some_and(|(_, context)| fits(context))
        {
            return Err(WrongAnswer { decision }.into());
        }
        self.open
            .remove(index)
            .map(|(_, context)| context)
            .ok_or_else(|| UnknownDecision { id: decision.id }.into())
    }

    /// The context of the oldest open decision.
    pub fn oldest(&self) -> Option<&C> {
        self.open.front().map(|(_, context)| context)
    }

    /// Number of open decisions.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when no decision is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_closes_once_with_its_context() {
        let mut decisions = Decisions::new();
        let a = decisions.open("mail");
        let b = decisions.open("rcpt");
        assert_eq!(decisions.len(), 2);
        let b_id = b.id();
        assert_eq!(decisions.close(b), Ok("rcpt"));
        assert_eq!(decisions.oldest(), Some(&"mail"));
        assert_eq!(decisions.close(a), Ok("mail"));
        assert!(decisions.is_empty());
        // A forged token with an answered id is refused.
        assert_eq!(
            decisions.close(Decision { id: b_id }),
            Err(UnknownDecision { id: b_id })
        );
    }

    #[test]
    fn a_wrong_answer_gives_the_token_back_open() {
        let mut decisions = Decisions::new();
        let token = decisions.open("auth");
        let id = token.id();
        let refused = decisions.close_if(token, |c| *c == "mail");
        let Err(CloseError::WrongAnswer(wrong)) = refused else {
            panic!("{refused:?}");
        };
        assert_eq!(wrong.id(), id);
        assert_eq!(decisions.len(), 1);
        let token = wrong.into_decision();
        assert_eq!(decisions.close_if(token, |c| *c == "auth"), Ok("auth"));
        assert!(decisions.is_empty());
        assert_eq!(
            decisions.close_if(Decision { id }, |_| true),
            Err(CloseError::Unknown(UnknownDecision { id }))
        );
    }

    #[test]
    fn another_machines_token_is_refused() {
        let mut one = Decisions::new();
        let mut two: Decisions<()> = Decisions::new();
        let token = one.open(());
        let id = token.id();
        assert_eq!(two.close(token), Err(UnknownDecision { id }));
        assert_eq!(one.len(), 1);
    }
}
