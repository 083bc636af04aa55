//! Which commands may go now: the connection state each needs (RFC 9051 section 3), the
//! capability each needs, and the pipelining rules of RFC 9051 section 5.5.

use crate::types::{Capabilities, Capability, CommandBody, MessageSet};

/// The connection's state (RFC 9051 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Before login.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// LOGOUT sent or BYE received.
    Logout,
}

/// Refuses `body` in `state`, with the reason.
pub(crate) fn check_state(body: &CommandBody, state: ConnectionState) -> Result<(), &'static str> {
    use CommandBody as B;
    use ConnectionState as S;
    let ok = match body {
        B::Capability | B::Noop | B::Logout | B::Id(_) => state != S::Logout,
        B::StartTls | B::Authenticate { .. } | B::Login { .. } => state == S::NotAuthenticated,
        B::Check
        | B::Close
        | B::Unselect
        | B::Expunge
        | B::UidExpunge(_)
        | B::Search { .. }
        | B::Fetch { .. }
        | B::Store { .. }
        | B::Copy { .. }
        | B::Move { .. }
        | B::Sort { .. }
        | B::Thread { .. } => state == S::Selected,
        _ => matches!(state, S::Authenticated | S::Selected),
    };
    if ok {
        return Ok(());
    }
    Err(match state {
        S::NotAuthenticated => "before login",
        S::Authenticated
            if matches!(body, B::StartTls | B::Login { .. } | B::Authenticate { .. }) =>
        {
            "after login"
        }
        S::Authenticated => "with no mailbox selected",
        S::Selected => "after login",
        S::Logout => "after LOGOUT",
    })
}

/// Refuses `body` when the server does not offer what it needs; the error names it.
pub(crate) fn check_capability(
    body: &CommandBody,
    caps: &Capabilities,
) -> Result<(), &'static str> {
    use Capability as C;
    use CommandBody as B;
    let need = |cap: Capability, name: &'static str| -> Result<(), &'static str> {
        if caps.has(&cap) { Ok(()) } else { Err(name) }
    };
    match body {
        B::StartTls => need(C::StartTls, "STARTTLS"),
        B::Login { .. } if caps.has(&C::LoginDisabled) => Err("LOGIN (LOGINDISABLED)"),
        B::Enable(_) => need(C::Enable, "ENABLE"),
        B::Idle => need(C::Idle, "IDLE"),
        B::Namespace => need(C::Namespace, "NAMESPACE"),
        B::Id(_) => need(C::Id, "ID"),
        B::Unselect => need(C::Unselect, "UNSELECT"),
        B::Move { .. } => need(C::Move, "MOVE"),
        B::UidExpunge(_) => need(C::UidPlus, "UIDPLUS"),
        B::Sort { .. } => need(C::Sort, "SORT"),
        B::Thread { algorithm, .. } => need(C::Thread(algorithm.clone()), "THREAD"),
        B::GetQuota(_) | B::GetQuotaRoot(_) | B::SetQuota { .. } => need(C::Quota, "QUOTA"),
        B::GetMetadata { .. } | B::SetMetadata { .. } => {
            need(C::Metadata, "METADATA").or_else(|_| need(C::MetadataServer, "METADATA"))
        }
        B::Compress(algorithm) => need(C::Compress(algorithm.clone()), "COMPRESS"),
        B::Select { params, .. } | B::Examine { params, .. } => {
            if params.qresync.is_some() {
                need(C::QResync, "QRESYNC")
            } else if params.condstore {
                need(C::CondStore, "CONDSTORE")
            } else {
                Ok(())
            }
        }
        B::Fetch { modifiers, .. } => {
            if modifiers.vanished {
                need(C::QResync, "QRESYNC")
            } else if modifiers.changed_since.is_some() {
                need(C::CondStore, "CONDSTORE")
            } else {
                Ok(())
            }
        }
        B::Store {
            unchanged_since: Some(_),
            ..
        } => need(C::CondStore, "CONDSTORE"),
        B::Append { messages, .. } if messages.len() > 1 => need(C::MultiAppend, "MULTIAPPEND"),
        B::Search {
            returns: Some(_), ..
        } => need(C::ESearch, "ESEARCH"),
        B::Create { special_use, .. } if !special_use.is_empty() => {
            need(C::CreateSpecialUse, "CREATE-SPECIAL-USE")
        }
        _ => Ok(()),
    }
}

/// How a command may be pipelined with those in flight (RFC 9051 section 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flow {
    /// Changes the state or the transport (SELECT, LOGIN, STARTTLS, IDLE...): goes alone,
    /// and nothing follows it until it completes.
    pub barrier: bool,
    /// Names messages by sequence number: may go only while every command in flight is one
    /// during which the server sends no EXPUNGE.
    pub uses_seq: bool,
    /// FETCH, STORE or SEARCH by sequence number: the server sends no EXPUNGE while it runs.
    pub holds_expunge: bool,
}

impl Flow {
    pub(crate) fn of(body: &CommandBody) -> Self {
        use CommandBody as B;
        let seq_set = |set: &MessageSet| !set.is_uid();
        let barrier = matches!(
            body,
            B::Select { .. }
                | B::Examine { .. }
                | B::Close
                | B::Unselect
                | B::Login { .. }
                | B::Authenticate { .. }
                | B::StartTls
                | B::Logout
                | B::Idle
                | B::Compress(_)
                | B::Enable(_)
        );
        let holds_expunge = match body {
            B::Fetch { set, .. } | B::Store { set, .. } => seq_set(set),
            B::Search { uid, .. } => !uid,
            _ => false,
        };
        // A UID SEARCH, SORT or THREAD may name sequence numbers in its criteria: counted
        // as using them, which only ever waits longer.
        let uses_seq = holds_expunge
            || match body {
                B::Copy { set, .. } | B::Move { set, .. } => seq_set(set),
                B::Search { .. } | B::Sort { .. } | B::Thread { .. } => true,
                _ => false,
            };
        Self {
            barrier,
            uses_seq,
            holds_expunge,
        }
    }

    /// True when a command of this flow may be sent while the commands of `in_flight` run.
    pub(crate) fn may_follow(self, mut in_flight: impl Iterator<Item = Flow> + Clone) -> bool {
        if in_flight.clone().next().is_none() {
            return true;
        }
        if self.barrier || in_flight.clone().any(|f| f.barrier) {
            return false;
        }
        !self.uses_seq || in_flight.all(|f| f.holds_expunge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FetchItems, Mailbox, SequenceSet, StoreMode, UidSet};

    fn fetch(uid: bool) -> CommandBody {
        let set = if uid {
            MessageSet::Uid(UidSet::all())
        } else {
            MessageSet::Seq(SequenceSet::all())
        };
        CommandBody::Fetch {
            set,
            items: FetchItems::Fast,
            modifiers: Default::default(),
        }
    }

    fn store() -> CommandBody {
        CommandBody::Store {
            set: MessageSet::Seq(SequenceSet::all()),
            unchanged_since: None,
            mode: StoreMode::Add,
            silent: true,
            flags: Vec::new(),
        }
    }

    fn copy() -> CommandBody {
        CommandBody::Copy {
            set: MessageSet::Seq(SequenceSet::all()),
            mailbox: Mailbox::inbox(),
        }
    }

    fn may_run(seq: &[CommandBody]) -> bool {
        let mut flows = Vec::new();
        for body in seq {
            let flow = Flow::of(body);
            if !flow.may_follow(flows.iter().copied()) {
                return false;
            }
            flows.push(flow);
        }
        true
    }

    #[test]
    fn the_rfc_9051_examples_of_section_5_5() {
        // Invalid: FETCH + NOOP + STORE, STORE + COPY + FETCH, COPY + COPY.
        assert!(!may_run(&[fetch(false), CommandBody::Noop, store()]));
        assert!(!may_run(&[store(), copy(), fetch(false)]));
        assert!(!may_run(&[copy(), copy()]));
        // Valid: FETCH + STORE + SEARCH + NOOP, STORE + COPY + EXPUNGE.
        let search = CommandBody::Search {
            uid: false,
            returns: None,
            charset: None,
            criteria: Vec::new(),
        };
        assert!(may_run(&[fetch(false), store(), search, CommandBody::Noop]));
        assert!(may_run(&[store(), copy(), CommandBody::Expunge]));
        // After a UID command, a sequence-number command waits.
        assert!(!may_run(&[fetch(true), fetch(false)]));
        assert!(may_run(&[fetch(true), fetch(true)]));
    }

    #[test]
    fn state_changing_commands_go_alone() {
        let select = CommandBody::Select {
            mailbox: Mailbox::inbox(),
            params: Default::default(),
        };
        assert!(!may_run(&[CommandBody::Noop, select.clone()]));
        assert!(!may_run(&[select, CommandBody::Noop]));
        assert!(may_run(&[CommandBody::Idle]));
    }

    #[test]
    fn states_and_capabilities() {
        use ConnectionState as S;
        assert!(check_state(&fetch(true), S::Authenticated).is_err());
        assert!(check_state(&fetch(true), S::Selected).is_ok());
        assert!(check_state(&CommandBody::StartTls, S::Authenticated).is_err());
        assert!(check_state(&CommandBody::Noop, S::Logout).is_err());
        let caps = Capabilities(vec![Capability::Imap4Rev2]);
        assert_eq!(check_capability(&CommandBody::Idle, &caps), Ok(()));
        assert_eq!(
            check_capability(&CommandBody::Idle, &Capabilities::default()),
            Err("IDLE")
        );
    }
}
