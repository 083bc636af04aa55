//! The IMAP client machine fed arbitrary server bytes in arbitrary chunks, with a script of
//! client actions (login, AUTHENTICATE, SELECT, FETCH, IDLE and DONE, streamed APPEND,
//! LOGOUT) interleaved and a synthetic clock that fires the timers.
//!
//! Input: the first octet chooses the configuration (leniency, LITERAL+, PREAUTH or login,
//! capabilities in the greeting or asked for, STARTTLS), the second the inline-literal limit
//! (0 to 63 octets, so that body sections stream), the third how many script octets follow
//! (0 to 16); each script octet is an action, a chunk size and a clock step. The rest is the
//! server's side, where octets from 0xE0 up stand for whole response lines (the alphabet
//! below), so that the fuzzer reaches the selected, IDLE and APPEND states quickly.
//!
//! Checked: no panic and no allocation over the cap (`mail_fuzz`); every completion names a
//! command that was queued and comes once; after an error the machine is closed; the events
//! of a run are bounded by its input (so `poll_event` ends); what the client writes while no
//! command is queued stays within a few CAPABILITY commands; `poll_timeout` after
//! `handle_timeout` is in the future (no driver spins on it).

#![no_main]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_proto::codec::{Limits, ParseOptions, Parsed, parse_command};
use imap_proto::{Client, ClientConfig, ClientEvent, CommandBody, Mailbox};
use libfuzzer_sys::fuzz_target;
use mail_fuzz::chunks;
use proto_core::{CommandId, Machine, TlsInfo, TlsPolicy, TransportAction};
use sasl_proto::Credentials;

const ALPHABET: [&[u8]; 32] = [
    b"\r\n",
    b"* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ AUTH=PLAIN SASL-IR] x\r\n",
    b"+ \r\n",
    b"+ go ahead\r\n",
    b"A1 OK done\r\n",
    b"A2 OK done\r\n",
    b"A3 OK done\r\n",
    b"A4 NO [TOOBIG] too large\r\n",
    b"A5 BAD what\r\n",
    b"* 3 EXISTS\r\n",
    b"* 1 EXPUNGE\r\n",
    b"* 2 RECENT\r\n",
    b"* OK [UIDVALIDITY 42] x\r\n",
    b"* FLAGS (\\Seen \\Deleted)\r\n",
    b"* 1 FETCH (FLAGS (\\Seen) UID 7)\r\n",
    b"* 1 FETCH (UID 7 RFC822.SIZE 10 BODY[] {10}\r\n0123456789)\r\n",
    // A literal left open: the raw octets after it are its data.
    b"* 2 FETCH (BODY[TEXT] {12}\r\n",
    b"* 1 FETCH (ENVELOPE (\"Mon, 7 Dec 2026 10:00:00 +0000\" \"subj\" ((\"A\" NIL \"a\" \"b.c\")) NIL NIL ((NIL NIL \"d\" \"e.f\")) NIL NIL NIL \"<id@x>\"))\r\n",
    b"* BYE bye\r\n",
    b"* CAPABILITY IMAP4rev1 IDLE\r\n",
    b"* SEARCH 1 2 3\r\n",
    b"* OK [ALERT] hey\r\n",
    b"* VANISHED (EARLIER) 1:3\r\n",
    b"* ENABLED CONDSTORE\r\n",
    b"A6 OK [APPENDUID 42 9] done\r\n",
    b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
    b"A1 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n",
    b"* 1 FETCH (BODY[] {0}\r\n)\r\n",
    b"A7 OK done\r\n",
    b"A8 OK done\r\n",
    b" {4294967295}\r\n",
    b"* STATUS INBOX (MESSAGES 3)\r\n",
];

/// The commands the script sends through [`Client::send`], in wire form.
const COMMANDS: [&[u8]; 7] = [
    b"SELECT INBOX",
    b"FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)",
    b"FETCH 1 BODY[]",
    b"UID FETCH 1:* (UID FLAGS)",
    b"NOOP",
    b"APPEND INBOX {5}\r\nhello",
    b"STORE 1 +FLAGS.SILENT (\\Seen)",
];

fn expand(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4);
    for &b in data {
        if b >= 0xE0 {
            out.extend_from_slice(ALPHABET[usize::from(b - 0xE0)]);
        } else {
            out.push(b);
        }
    }
    out
}

fn command(client: &Client, line: &[u8]) -> CommandBody {
    let mut wire = b"X ".to_vec();
    wire.extend_from_slice(line);
    wire.extend_from_slice(b"\r\n");
    match parse_command(&Bytes::from(wire), ParseOptions::strict(client.mode())) {
        Ok(Parsed::Complete { value, .. }) => value.body,
        other => panic!("script command {line:?} does not parse: {other:?}"),
    }
}

/// Runs the action `op` stands for; the id of the command it queued, if any.
fn act(client: &mut Client, op: u8) -> Option<CommandId> {
    let id = match op % 16 {
        0..=6 => {
            let body = command(client, COMMANDS[usize::from(op % 16)]);
            client.send(body)
        }
        7 => client.login("user", "pencil"),
        8 => client.authenticate(
            Credentials::password("user", "pencil"),
            sasl_proto::ClientConfig::default(),
        ),
        9 => client.idle(),
        10 => {
            let _ = client.idle_done();
            return None;
        }
        11 => client.append_stream(Mailbox::inbox(), Vec::new(), None, u64::from(op >> 4)),
        12 => {
            let data = &b"0123456789abcdef"[..usize::from(op >> 4)];
            let _ = client.write_append(data);
            return None;
        }
        13 => client.logout(),
        _ => {
            // Carry out what the client asked of the transport.
            while let Some(action) = client.poll_transport() {
                if action == TransportAction::StartTls {
                    client.tls_established(TlsInfo::new());
                }
            }
            return None;
        }
    };
    id.ok()
}

fuzz_target!(|data: &[u8]| {
    let [flags, inline, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(count % 17).min(rest.len());
    let (script, server) = rest.split_at(count);

    let limits = Limits::CLIENT.with_max_inline_literal(u64::from(inline % 64));
    let config = ClientConfig::new()
        .with_tls(if flags & 16 != 0 {
            TlsPolicy::Opportunistic
        } else {
            TlsPolicy::Never
        })
        .with_plaintext_auth(true)
        .with_lenient(flags & 1 == 0)
        .with_limits(limits)
        .with_body_high_water(usize::from(inline % 32) + 1)
        // Sometimes a command keeps only a few responses and hands the rest on as events.
        .with_max_collected(if inline & 64 != 0 {
            usize::from(inline % 8) * 64
        } else {
            1 << 20
        });
    let greeting = format!(
        "* {}{} hi\r\n",
        if flags & 4 != 0 { "PREAUTH" } else { "OK" },
        if flags & 8 != 0 {
            ""
        } else if flags & 2 != 0 {
            " [CAPABILITY IMAP4rev1 IDLE UIDPLUS LITERAL+ AUTH=PLAIN SASL-IR STARTTLS]"
        } else {
            " [CAPABILITY IMAP4rev1 IDLE UIDPLUS AUTH=PLAIN STARTTLS]"
        },
    );
    // The greeting arrives whole before the script starts, or (flag 32) cut with the rest.
    let mut input = Vec::new();
    if flags & 32 != 0 {
        input.extend_from_slice(greeting.as_bytes());
    }
    input.extend(expand(server));

    let start = Instant::now();
    let mut now = start;
    let mut client = Client::new(config, now);
    let mut issued = HashSet::new();
    let mut completed = HashSet::new();
    let mut events = 0usize;
    // Octets written while no command was queued nor in flight.
    let mut unasked = 0usize;
    let sizes: Vec<u8> = script.iter().map(|b| b | 1).collect();
    let mut ops = script.iter().copied().cycle();
    if flags & 32 == 0 {
        client.receive(greeting.as_bytes(), now);
    }

    let drain = |client: &mut Client,
                 issued: &HashSet<CommandId>,
                 completed: &mut HashSet<CommandId>,
                 events: &mut usize| {
        while let Some(event) = client.poll_event() {
            *events += 1;
            match event {
                Ok(ClientEvent::Completed(c)) => {
                    assert!(
                        issued.contains(&c.id),
                        "completion of {} never queued",
                        c.id
                    );
                    assert!(completed.insert(c.id), "second completion of {}", c.id);
                }
                Ok(_) => {}
                Err(e) => assert!(client.is_closed(), "error {e} left the machine open"),
            }
            // Every event is owed to input octets or to an action.
            assert!(*events <= 64 + 4 * input.len(), "events without end");
        }
    };

    for chunk in chunks(&input, &sizes) {
        let op = ops.next().unwrap_or(0);
        // Mostly small steps; a few long enough for the response timeout and IDLE renewal.
        now += Duration::from_secs(match op >> 6 {
            0 => 0,
            1 => 1,
            2 => 30,
            _ => u64::from(op & 0x3f) * 60,
        });
        drain(&mut client, &issued, &mut completed, &mut events);
        if !client.is_closed() {
            if let Some(id) = act(&mut client, op) {
                issued.insert(id);
            }
            drain(&mut client, &issued, &mut completed, &mut events);
        }
        let quiet = client.pending() == 0;
        let before = client.transmit().len();
        client.receive(chunk, now);
        if client.poll_timeout().is_some_and(|t| t <= now) {
            client.handle_timeout(now);
            assert!(
                client.poll_timeout().is_none_or(|t| t > now),
                "a timeout due again at once"
            );
        }
        drain(&mut client, &issued, &mut completed, &mut events);
        if quiet {
            unasked += client.transmit().len().saturating_sub(before);
            assert!(unasked <= 256, "{unasked} octets written unasked");
        }
        // Write everything, or half, as a slow socket would.
        let n = client.transmit().len();
        client.advance_transmit(if op & 1 == 0 { n } else { n / 2 });
    }
    // The server hangs up: once the transport did what was asked, the session ends.
    let end = now + Duration::from_secs(3600);
    client.handle_timeout(end);
    act(&mut client, 14);
    client.receive_eof(end);
    drain(&mut client, &issued, &mut completed, &mut events);
    assert!(client.is_closed(), "still open after the end of input");
});
