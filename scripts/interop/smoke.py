#!/usr/bin/env python3
"""Smoke check of the interop peers (Python 3.11, standard library only).

    python3 scripts/interop/smoke.py DIR      # DIR as given to start-peers

Proves that the peers started by start-peers work the way the Rust interop tests will use
them: Postfix takes mail over SMTP (plain, STARTTLS, implicit TLS; AUTH PLAIN, LOGIN,
CRAM-MD5 through Dovecot), refuses relaying, unknown users and wrong passwords, delivers
example.org through LMTP into Dovecot's Maildirs, and Dovecot serves it over POP3 (USER/PASS,
APOP, AUTH PLAIN, STLS, implicit TLS) and IMAP. Wrong passwords must not slow the next login.

Each check prints one line; the last line is "N passed, M failed". Exit status 0 when none
failed. Reads the Maildirs directly, so run it as root (as CI does).
"""

import base64
import hashlib
import hmac
import email
import email.policy
import email.utils
import imaplib
import os
import poplib
import shutil
import smtplib
import ssl
import subprocess
import sys
import time
import traceback
import uuid

PASSED = 0
FAILED = 0


def check(name):
    """Decorator: run the check now, count and print its result."""

    def run(fn):
        global PASSED, FAILED
        t0 = time.monotonic()
        try:
            detail = fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            FAILED += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            if os.environ.get("SMOKE_TRACE"):
                traceback.print_exc()
        else:
            PASSED += 1
            took = time.monotonic() - t0
            print(f"ok   {name} ({took:.2f} s){': ' + detail if detail else ''}", flush=True)
        return fn

    return run


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


if len(sys.argv) != 2:
    print("usage: smoke.py DIR   (the DIR given to start-peers)", file=sys.stderr)
    sys.exit(2)
E = read_env(os.path.join(sys.argv[1], "peers.env"))
HOST = E["INTEROP_HOST"]
SMTP = int(E["INTEROP_SMTP_PORT"])
SUBMISSION = int(E["INTEROP_SUBMISSION_PORT"])
SUBMISSIONS = int(E["INTEROP_SUBMISSIONS_PORT"])
LMTP = int(E["INTEROP_LMTP_PORT"])
POP3 = int(E["INTEROP_POP3_PORT"])
POP3S = int(E["INTEROP_POP3S_PORT"])
IMAP = int(E["INTEROP_IMAP_PORT"])
ALICE, ALICE_PW, ALICE_ADDR = E["INTEROP_ALICE_USER"], E["INTEROP_ALICE_PASS"], E["INTEROP_ALICE_ADDRESS"]
BOB, BOB_PW, BOB_ADDR = E["INTEROP_BOB_USER"], E["INTEROP_BOB_PASS"], E["INTEROP_BOB_ADDRESS"]
RUN = uuid.uuid4().hex[:12]  # marks this run's messages, so earlier runs in DIR do not count


def tls():
    ctx = ssl.create_default_context(cafile=E["INTEROP_CA_FILE"])  # verifies chain and name
    return ctx


def message(sender, rcpt, tag, body="Hello from the interop smoke test.\r\n"):
    return (
        f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: smoke {RUN} {tag}\r\n"
        f"Message-ID: <{RUN}.{tag}@smoke.example.org>\r\n"
        f"Date: {email.utils.formatdate(localtime=False)}\r\n\r\n{body}"
    ).encode("utf-8")


def maildir_find(maildir, needle, timeout=15.0):
    """Path of the first message in maildir (new/ or cur/) that contains needle."""
    needle = needle.encode("utf-8") if isinstance(needle, str) else needle
    deadline = time.monotonic() + timeout
    while True:
        for sub in ("new", "cur"):
            d = os.path.join(maildir, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                p = os.path.join(d, name)
                try:
                    with open(p, "rb") as f:
                        if needle in f.read():
                            return p
                except FileNotFoundError:  # moved from new/ to cur/ meanwhile
                    pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {needle!r} in {maildir} after {timeout} s")
        time.sleep(0.1)


def pop3_find(p, needle):
    """Message number of the message whose headers contain needle, via TOP."""
    count, _ = p.stat()
    for n in range(1, count + 1):
        _, lines, _ = p.top(n, 0)
        if any(needle.encode() in line for line in lines):
            return n
    raise AssertionError(f"no message with {needle!r} among {count}")


class Scram:
    """Client side of SCRAM-SHA-1/-256 (RFC 5802/7677), no channel binding, ASCII credentials."""

    def __init__(self, mech, user, password):
        self.hash = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mech]
        self.user, self.password = user, password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.bare = f"n={user},r={self.nonce}"

    def first(self):
        return ("n,," + self.bare).encode()

    def final(self, server_first):
        server_first = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        expect(attrs["r"].startswith(self.nonce), "server nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac(self.hash, self.password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", self.hash).digest()
        stored_key = hashlib.new(self.hash, client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{self.bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, self.hash).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", self.hash).digest()
        self.expected_verifier = base64.b64encode(hmac.new(server_key, auth_message, self.hash).digest())
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def check_verifier(self, server_final):
        expect(server_final == b"v=" + self.expected_verifier, f"server signature wrong: {server_final!r}")


def smtp_scram(s, mech, user, password):
    """AUTH SCRAM-* over smtplib's docmd; returns the final reply code."""
    sc = Scram(mech, user, password)
    code, resp = s.docmd("AUTH", f"{mech} {base64.b64encode(sc.first()).decode()}")
    expect(code == 334, f"AUTH {mech}: {code} {resp}")
    code, resp = s.docmd(base64.b64encode(sc.final(base64.b64decode(resp))).decode())
    if code == 334:  # server-final-message as a challenge, answered with an empty line
        sc.check_verifier(base64.b64decode(resp))
        code, resp = s.docmd("")
    return code, resp


# ---------------------------------------------------------------------------------------------
# Postfix: SMTP


@check("smtp EHLO offers PIPELINING CHUNKING SMTPUTF8 DSN 8BITMIME STARTTLS AUTH")
def _():
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        code, _ = s.ehlo()
        expect(code == 250, f"EHLO {code}")
        for kw in ("pipelining", "chunking", "smtputf8", "dsn", "8bitmime", "starttls", "auth", "enhancedstatuscodes"):
            expect(s.has_extn(kw), f"EHLO lacks {kw}: {s.esmtp_features}")
        mechs = s.esmtp_features["auth"].split()
        for m in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            expect(m in mechs, f"AUTH lacks {m}: {mechs}")
        return "AUTH " + " ".join(mechs)


@check("smtp plain (no TLS, no AUTH) to alice, delivered through LMTP into her Maildir")
def _():
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        refused = s.sendmail("sender@smoke.example.org", [ALICE_ADDR], message("sender@smoke.example.org", ALICE_ADDR, "plain"))
        expect(refused == {}, f"refused {refused}")
    return maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.plain@")


@check("smtp STARTTLS (certificate verified for localhost) + AUTH PLAIN as alice, to bob")
def _():
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.starttls(context=tls())  # verified against the IP SAN 127.0.0.1
        s.ehlo()
        s.user, s.password = ALICE, ALICE_PW
        code, resp = s.auth("PLAIN", s.auth_plain)
        expect(code == 235, f"AUTH PLAIN {code} {resp}")
        s.sendmail(ALICE_ADDR, [BOB_ADDR], message(ALICE_ADDR, BOB_ADDR, "starttls-plain"))
    return maildir_find(E["INTEROP_BOB_MAILDIR"], f"{RUN}.starttls-plain@")


@check("submission: no AUTH before STARTTLS; STARTTLS + AUTH LOGIN as bob, to alice")
def _():
    with smtplib.SMTP(HOST, SUBMISSION, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        expect(not s.has_extn("auth"), "AUTH offered before STARTTLS")
        code, resp = s.mail("bob@example.org")
        expect(code == 530, f"MAIL before STARTTLS: {code} {resp}")
        s.rset()
        s.starttls(context=tls())
        s.ehlo()
        expect(s.has_extn("auth"), "no AUTH after STARTTLS")
        s.user, s.password = BOB, BOB_PW
        code, resp = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        expect(code == 235, f"AUTH LOGIN {code} {resp}")
        s.sendmail(BOB_ADDR, [ALICE_ADDR], message(BOB_ADDR, ALICE_ADDR, "submission-login"))
    return maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.submission-login@")


@check("submission: mail without AUTH refused after STARTTLS")
def _():
    with smtplib.SMTP(HOST, SUBMISSION, local_hostname="smoke.example.org", timeout=10) as s:
        s.starttls(context=tls())
        s.ehlo()
        code, _ = s.mail("x@smoke.example.org")
        expect(code == 250, f"MAIL {code}")
        code, resp = s.rcpt(ALICE_ADDR)
        expect(code == 554, f"RCPT without AUTH: {code} {resp}")
        return f"{code} {resp.decode()}"


@check("submissions (implicit TLS) + AUTH CRAM-MD5 as alice, to alice")
def _():
    with smtplib.SMTP_SSL(HOST, SUBMISSIONS, local_hostname="smoke.example.org", context=tls(), timeout=10) as s:
        s.ehlo()
        s.user, s.password = ALICE, ALICE_PW
        code, resp = s.auth("CRAM-MD5", s.auth_cram_md5, initial_response_ok=False)
        expect(code == 235, f"AUTH CRAM-MD5 {code} {resp}")
        s.sendmail(ALICE_ADDR, [ALICE_ADDR], message(ALICE_ADDR, ALICE_ADDR, "submissions-cram"))
    return maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.submissions-cram@")


@check("smtp AUTH SCRAM-SHA-256 and SCRAM-SHA-1 (server signature verified) through Postfix to Dovecot")
def _():
    out = []
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
            s.ehlo()
            code, resp = smtp_scram(s, mech, BOB, BOB_PW)
            expect(code == 235, f"{mech}: {code} {resp}")
            out.append(f"{mech} {code}")
        with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
            s.ehlo()
            code, resp = smtp_scram(s, mech, BOB, "wrong-password")
            expect(code == 535, f"{mech} with a wrong password: {code} {resp}")
    return ", ".join(out)


@check("smtp PIPELINING (MAIL, 2 RCPT, BDAT in one write) and CHUNKING (BDAT ... LAST) to alice and bob")
def _():
    body = message("sender@smoke.example.org", ALICE_ADDR, "bdat")
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        half = len(body) // 2
        s.send(b"MAIL FROM:<sender@smoke.example.org>\r\n"  # Postfix has no BINARYMIME
               + f"RCPT TO:<{ALICE_ADDR}>\r\nRCPT TO:<{BOB_ADDR}>\r\n".encode()
               + f"BDAT {half}\r\n".encode() + body[:half])
        replies = [s.getreply() for _ in range(4)]
        expect([c for c, _ in replies] == [250, 250, 250, 250], f"pipelined replies {replies}")
        s.send(f"BDAT {len(body) - half} LAST\r\n".encode() + body[half:])
        code, resp = s.getreply()
        expect(code == 250, f"BDAT LAST {code} {resp}")
    maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.bdat@")
    maildir_find(E["INTEROP_BOB_MAILDIR"], f"{RUN}.bdat@")


@check("relay refused: RCPT to another domain, without and with AUTH")
def _():
    out = []
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        s.mail("sender@smoke.example.org")
        code, resp = s.rcpt("someone@example.com")
        expect(code == 554 and b"Relay access denied" in resp, f"unauthenticated relay: {code} {resp}")
        out.append(f"{code} {resp.decode()}")
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.starttls(context=tls())
        s.login(ALICE, ALICE_PW)
        s.mail(ALICE_ADDR)
        code, resp = s.rcpt("someone@example.com")
        expect(code == 554, f"authenticated relay: {code} {resp}")
    return out[0]


@check("unknown local recipient refused at RCPT")
def _():
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        s.mail("sender@smoke.example.org")
        code, resp = s.rcpt("nobody@example.org")
        expect(code == 550, f"RCPT nobody: {code} {resp}")
        return f"{code} {resp.decode()}"


@check("smtp wrong password refused (535) with PLAIN x3 and CRAM-MD5, no growing penalty, then accepted")
def _():
    # Dovecot 2.3 answers a failed PLAIN/LOGIN at its next 500 ms failure-queue tick (even with
    # auth_failure_delay = 0); CRAM-MD5/SCRAM failures carry nodelay and come back at once. With
    # the anvil penalty on, the second failure would wait 2 s more, the third 4 s, ...
    times = []
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.starttls(context=tls())
        s.ehlo()
        s.user, s.password = ALICE, "wrong-password"
        for mech, how in [("PLAIN", s.auth_plain)] * 3 + [("CRAM-MD5", s.auth_cram_md5)]:
            t0 = time.monotonic()
            try:
                s.auth(mech, how, initial_response_ok=mech == "PLAIN")
            except smtplib.SMTPAuthenticationError as e:
                expect(e.smtp_code == 535, f"wrong password: {e.smtp_code} {e.smtp_error}")
            else:
                raise AssertionError(f"wrong password accepted by {mech}")
            times.append(time.monotonic() - t0)
        s.login(ALICE, ALICE_PW)
    expect(max(times) < 1.0, f"failures took {['%.2f' % t for t in times]} s")
    return "failures answered in " + ", ".join(f"{t:.2f}" for t in times) + " s"


@check("DSN: NOTIFY=SUCCESS with ENVID to alice over LMTP, bob gets the success report")
def _():
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        code, resp = s.mail(BOB_ADDR, [f"ENVID={RUN}.dsn", "RET=HDRS"])
        expect(code == 250, f"MAIL {code} {resp}")
        code, resp = s.rcpt(ALICE_ADDR, ["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{ALICE_ADDR}"])
        expect(code == 250, f"RCPT {code} {resp}")
        code, resp = s.data(message(BOB_ADDR, ALICE_ADDR, "dsn"))
        expect(code == 250, f"DATA {code} {resp}")
    maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.dsn@")
    report = maildir_find(E["INTEROP_BOB_MAILDIR"], f"Original-Envelope-Id: {RUN}.dsn")
    with open(report, "rb") as f:
        rep = email.message_from_binary_file(f, policy=email.policy.default)
    expect(rep.get_content_type() == "multipart/report", f"report is {rep.get_content_type()}")
    # Postfix reports a hand-off over LMTP as "relayed" (RFC 3464), by pipe/LDA as "delivered".
    expect(b"Action: relayed" in rep.as_bytes(), "no 'Action: relayed' in the report")
    return report


@check("SMTPUTF8: UTF-8 headers and body to alice@UTF8_DOMAIN (dovecot-lda), read back by POP3")
def _():
    rcpt = f"{ALICE}@{E['INTEROP_UTF8_DOMAIN']}"
    subject = f"smoke {RUN} smtputf8 Grüße ✓"
    msg = (
        f"From: Bob <{BOB_ADDR}>\r\nTo: Älice <{rcpt}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{RUN}.smtputf8@smoke.example.org>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Grüße, ünïcödé\r\n"
    ).encode("utf-8")
    with smtplib.SMTP(HOST, SMTP, local_hostname="smoke.example.org", timeout=10) as s:
        s.ehlo()
        code, resp = s.mail(BOB_ADDR, ["SMTPUTF8", "BODY=8BITMIME"])
        expect(code == 250, f"MAIL {code} {resp}")
        code, resp = s.rcpt(rcpt)
        expect(code == 250, f"RCPT {code} {resp}")
        code, resp = s.data(msg)
        expect(code == 250, f"DATA {code} {resp}")
    maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.smtputf8@")
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        p.user(ALICE)
        p.pass_(ALICE_PW)
        _, lines, _ = p.retr(pop3_find(p, f"{RUN}.smtputf8@"))
        expect(f"Subject: {subject}".encode() in lines, "UTF-8 Subject not read back intact")
    finally:
        p.quit()


@check("lmtp (TCP) LHLO and direct delivery to bob")
def _():
    with smtplib.LMTP(HOST, LMTP, local_hostname="smoke.example.org", timeout=10) as s:
        code, _ = s.ehlo()  # smtplib.LMTP sends LHLO for ehlo()
        expect(code == 250, f"LHLO {code}")
        expect(s.has_extn("pipelining") and s.has_extn("chunking"), f"LHLO {s.esmtp_features}")
        refused = s.sendmail("sender@smoke.example.org", [BOB_ADDR], message("sender@smoke.example.org", BOB_ADDR, "lmtp"))
        expect(refused == {}, f"refused {refused}")
    return maildir_find(E["INTEROP_BOB_MAILDIR"], f"{RUN}.lmtp@", timeout=2)


# ---------------------------------------------------------------------------------------------
# Dovecot: POP3 (the messages above are in the Maildirs by now)


@check("pop3 CAPA: STLS, USER, SASL with PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1/256; APOP timestamp")
def _():
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        capa = p.capa()
        for kw in ("STLS", "USER", "UIDL", "TOP", "PIPELINING", "SASL", "RESP-CODES", "AUTH-RESP-CODE"):
            expect(kw in capa, f"CAPA lacks {kw}: {capa}")
        for m in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            expect(m in capa["SASL"], f"SASL lacks {m}: {capa['SASL']}")
        expect(p.timestamp.search(p.getwelcome()) is not None, f"no APOP timestamp: {p.getwelcome()}")
        return "SASL " + " ".join(capa["SASL"])
    finally:
        p.quit()


@check("pop3 USER/PASS as alice (no TLS): the plain SMTP message is there, RETR matches the Maildir")
def _():
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        p.user(ALICE)
        p.pass_(ALICE_PW)
        n = pop3_find(p, f"{RUN}.plain@")
        _, lines, _ = p.retr(n)
        with open(maildir_find(E["INTEROP_ALICE_MAILDIR"], f"{RUN}.plain@", timeout=0), "rb") as f:
            on_disk = f.read().replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
        expect(lines == on_disk, "RETR differs from the Maildir file")
        uidl = p.uidl(n).split()[-1].decode()
        return f"message {n}, UIDL {uidl}, {len(lines)} lines"
    finally:
        p.quit()


@check("pop3 APOP as alice")
def _():
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        resp = p.apop(ALICE, ALICE_PW)
        expect(resp.startswith(b"+OK"), f"APOP {resp}")
        count, size = p.stat()
        expect(count >= 3, f"alice has {count} messages")
        return f"{count} messages, {size} octets"
    finally:
        p.quit()


@check("pop3 STLS (certificate verified) then USER/PASS as bob")
def _():
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        p.stls(context=tls())
        expect("STLS" not in p.capa(), "STLS still offered after STLS")
        p.user(BOB)
        p.pass_(BOB_PW)
        pop3_find(p, f"{RUN}.starttls-plain@")
        return f"{p.sock.version()}"
    finally:
        p.quit()


@check("pop3 AUTH PLAIN (SASL, initial response) as bob")
def _():
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        ir = base64.b64encode(f"\0{BOB}\0{BOB_PW}".encode()).decode()
        resp = p._shortcmd(f"AUTH PLAIN {ir}")
        expect(resp.startswith(b"+OK"), f"AUTH PLAIN {resp}")
        pop3_find(p, f"{RUN}.lmtp@")
    finally:
        p.quit()


@check("pop3 AUTH SCRAM-SHA-256 and SCRAM-SHA-1 (server signature verified) as alice")
def _():
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        p = poplib.POP3(HOST, POP3, timeout=10)
        try:
            sc = Scram(mech, ALICE, ALICE_PW)
            resp = p._shortcmd(f"AUTH {mech} {base64.b64encode(sc.first()).decode()}")
            expect(resp.startswith(b"+ "), f"AUTH {mech}: {resp}")
            p._putcmd(base64.b64encode(sc.final(base64.b64decode(resp[2:]))).decode())
            resp, _ = p._getline()
            if resp.startswith(b"+ "):
                sc.check_verifier(base64.b64decode(resp[2:]))
                p._putcmd("")
                resp, _ = p._getline()
            expect(resp.startswith(b"+OK"), f"{mech} final: {resp}")
            p.stat()
        finally:
            p.quit()


@check("pop3s (implicit TLS) USER/PASS as alice, DELE of this run's plain message")
def _():
    p = poplib.POP3_SSL(HOST, POP3S, context=tls(), timeout=10)
    try:
        p.user(ALICE)
        p.pass_(ALICE_PW)
        n = pop3_find(p, f"{RUN}.plain@")
        p.dele(n)
    finally:
        p.quit()
    p = poplib.POP3_SSL(HOST, POP3S, context=tls(), timeout=10)
    try:
        p.user(ALICE)
        p.pass_(ALICE_PW)
        try:
            pop3_find(p, f"{RUN}.plain@")
        except AssertionError:
            return "gone after QUIT"
        raise AssertionError("deleted message still there")
    finally:
        p.quit()


@check("pop3 wrong password refused ([AUTH]) by PASS x3 and APOP, no growing penalty, then accepted")
def _():
    times = []
    for how in ("pass", "pass", "pass", "apop"):
        p = poplib.POP3(HOST, POP3, timeout=10)
        try:
            t0 = time.monotonic()
            try:
                if how == "pass":
                    p.user(ALICE)
                    p.pass_("wrong-password")
                else:
                    p.apop(ALICE, "wrong-password")
            except poplib.error_proto as e:
                expect(b"[AUTH]" in e.args[0], f"refusal without [AUTH]: {e}")
            else:
                raise AssertionError(f"wrong password accepted by {how}")
            times.append(time.monotonic() - t0)
        finally:
            p.close()
    p = poplib.POP3(HOST, POP3, timeout=10)
    try:
        p.user(ALICE)
        p.pass_(ALICE_PW)
    finally:
        p.quit()
    expect(max(times) < 1.0, f"failures took {['%.2f' % t for t in times]} s (auth penalty on?)")
    return "failures answered in " + ", ".join(f"{t:.2f}" for t in times) + " s"


@check("imap STARTTLS + LOGIN as alice, INBOX has the messages")
def _():
    m = imaplib.IMAP4(HOST, IMAP, timeout=10)
    try:
        m.starttls(ssl_context=tls())
        m.login(ALICE, ALICE_PW)
        typ, data = m.select("INBOX", readonly=True)
        expect(typ == "OK", f"SELECT {typ} {data}")
        typ, data = m.search(None, "HEADER", "Message-ID", f"{RUN}.submission-login@")
        expect(typ == "OK" and data[0].split(), f"SEARCH {typ} {data}")
        return f"{int(m.select('INBOX', readonly=True)[1][0])} messages"
    finally:
        m.logout()


@check("curl pop3 with --ssl-reqd (STLS) lists alice's messages")
def _():
    curl = shutil.which("curl")
    expect(curl is not None, "curl not installed")
    out = subprocess.run(
        [curl, "-sS", "--max-time", "10", "--ssl-reqd", "--cacert", E["INTEROP_CA_FILE"],
         "--user", f"{ALICE}:{ALICE_PW}", f"pop3://{HOST}:{POP3}/"],
        capture_output=True, text=True, check=False)
    expect(out.returncode == 0, f"curl exit {out.returncode}: {out.stderr.strip()}")
    expect(len(out.stdout.splitlines()) >= 2, f"curl listed {out.stdout!r}")
    return f"{len(out.stdout.splitlines())} messages listed"


if __name__ == "__main__":
    print(f"{PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)
