//! Interop with a real Dovecot (`doveadm`, from Debian's dovecot-core) on the same maildir:
//! Dovecot reads what we store (sizes, flags, text, UIDs, with no error logged), and we read
//! what Dovecot stores.
//!
//! Skipped with a message when `doveadm` is not installed, unless `MAILSTORE_REQUIRE_DOVECOT`
//! is set (then a missing Dovecot fails the test). Dovecot refuses mail access as root, so
//! when run as root the maildir is handed to `nobody` and doveadm runs under `setpriv`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::TempDir;
use mailstore::{Flag, Flags, Maildir};

struct Dovecot {
    conf: std::path::PathBuf,
    home: std::path::PathBuf,
    /// (uid, gid) to run as, when we are root.
    run_as: Option<(u32, u32)>,
}

fn find(prog: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([
            Path::new("/usr/sbin").to_owned(),
            Path::new("/sbin").to_owned(),
        ])
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

fn current_uid() -> u32 {
    // /proc/self/status: "Uid:\t<real>\t<effective>..."
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX)
}

fn nobody() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .expect("a nobody user");
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

fn chown_tree(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid, gid);
        }
    }
}

impl Dovecot {
    fn setup(t: &TempDir) -> Option<Dovecot> {
        if find("doveadm").is_none() {
            if std::env::var_os("MAILSTORE_REQUIRE_DOVECOT").is_some() {
                panic!("doveadm not found: install dovecot-core (apt-get install dovecot-core)");
            }
            eprintln!(
                "SKIPPED: doveadm not found (install dovecot-core to run the Dovecot interop test)"
            );
            return None;
        }
        let run_as = if current_uid() == 0 {
            if find("setpriv").is_none() {
                eprintln!("SKIPPED: running as root without setpriv");
                return None;
            }
            Some(nobody())
        } else {
            None
        };
        let conf = t.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "mail_location = maildir:{}\nssl = no\nlog_path = /dev/stderr\n",
                t.join("Maildir").display()
            ),
        )
        .unwrap();
        Some(Dovecot {
            conf,
            home: t.path().to_owned(),
            run_as,
        })
    }

    /// Hands the tree to the user doveadm runs as.
    fn share(&self) {
        if let Some((uid, gid)) = self.run_as {
            chown_tree(&self.home, uid, gid);
        }
    }

    /// Runs doveadm; returns stdout and asserts that nothing was logged.
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        self.share();
        let mut cmd = match self.run_as {
            Some((uid, gid)) => {
                let mut c = Command::new(find("setpriv").unwrap());
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg(find("doveadm").unwrap());
                c
            }
            None => Command::new(find("doveadm").unwrap()),
        };
        cmd.arg("-c").arg(&self.conf).args(args);
        cmd.env("HOME", &self.home).env("USER", "mailstore-test");
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(data) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(data).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "doveadm {args:?}: {}\n{stderr}",
            out.status
        );
        out.stdout
    }

    /// `uid flags size.virtual size.physical` of every message, by UID.
    fn fetch_meta(&self) -> Vec<(u32, String, u64, u64)> {
        let out = self.run(
            &[
                "-f",
                "tab",
                "fetch",
                "uid flags size.virtual size.physical",
                "all",
            ],
            None,
        );
        String::from_utf8(out)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f[0].parse().unwrap(),
                    f[1].to_owned(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                )
            })
            .collect()
    }

    fn fetch_text(&self, uid: u32) -> Vec<u8> {
        let out = self.run(
            &["-f", "pager", "fetch", "text", "uid", &uid.to_string()],
            None,
        );
        out.strip_prefix(b"text:\n").unwrap().to_vec()
    }
}

fn imap_flags(f: Flags) -> String {
    let mut v: Vec<&str> = Vec::new();
    for (flag, name) in [
        (Flag::Replied, "\\Answered"),
        (Flag::Flagged, "\\Flagged"),
        (Flag::Trashed, "\\Deleted"),
        (Flag::Seen, "\\Seen"),
        (Flag::Draft, "\\Draft"),
    ] {
        if f.contains(flag) {
            v.push(name);
        }
    }
    v.join(" ")
}

#[test]
fn dovecot_reads_what_we_store() {
    let t = TempDir::new("dovecot-reads");
    let Some(dc) = Dovecot::setup(&t) else { return };
    let md = Maildir::open_or_create(t.join("Maildir")).unwrap();
    let messages: [&[u8]; 3] = [
        b"From: a@example.org\r\nSubject: one\r\n\r\nfirst body\r\n.\r\n",
        b"From: b@example.org\nSubject: two\n\nLF input\n\nend\n",
        b"Subject: three\r\n\r\nno final line end",
    ];
    let stored: Vec<_> = messages.iter().map(|m| md.deliver(m).unwrap()).collect();
    md.set_flags(
        &stored[1].id,
        Flags::empty().with(Flag::Seen).with(Flag::Flagged),
    )
    .unwrap();
    // Our UIDs first: Dovecot must keep them.
    let ours = md.list().unwrap();
    let meta = dc.fetch_meta();
    assert_eq!(meta.len(), 3);
    for (e, (uid, flags, vsize, size)) in ours.iter().zip(&meta) {
        assert_eq!(*uid, e.uid);
        assert_eq!(*vsize, e.size_crlf, "W= as Dovecot counts it");
        assert_eq!(*size, e.size_lf, "S= as Dovecot counts it");
        let expected = imap_flags(e.flags);
        let got: Vec<&str> = flags.split(' ').filter(|f| *f != "\\Recent").collect();
        assert_eq!(got.join(" "), expected, "flags of {}", e.id);
        assert_eq!(dc.fetch_text(*uid), std::fs::read(&e.path).unwrap());
    }
    // Dovecot changes a flag; we see it, under the same id and UID.
    dc.run(
        &["flags", "add", "\\Answered", "mailbox", "INBOX", "uid", "1"],
        None,
    );
    let after = md.list().unwrap();
    assert_eq!(after[0].id, ours[0].id);
    assert_eq!(after[0].uid, 1);
    assert_eq!(after[0].flags.letters(), "R");
    assert_eq!(md.read(&after[0].id).unwrap(), messages[0]);
}

#[test]
fn we_read_what_dovecot_stores() {
    let t = TempDir::new("dovecot-writes");
    let Some(dc) = Dovecot::setup(&t) else { return };
    let md = Maildir::open_or_create(t.join("Maildir")).unwrap();
    let ours = md.deliver(b"Subject: ours\r\n\r\nx\r\n").unwrap();
    md.list().unwrap();
    let theirs: [&[u8]; 2] = [
        b"From: d@example.org\r\nSubject: saved\r\n\r\nsaved by dovecot\r\n",
        b"Subject: lf\n\nwith LF\n",
    ];
    for m in theirs {
        dc.run(&["save", "-m", "INBOX"], Some(m));
    }
    dc.run(
        &[
            "flags",
            "add",
            "\\Seen \\Draft",
            "mailbox",
            "INBOX",
            "uid",
            "3",
        ],
        None,
    );
    let meta = dc.fetch_meta();
    let list = md.list().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].id, ours.id);
    for (e, (uid, _, vsize, size)) in list.iter().zip(&meta) {
        assert_eq!((e.uid, e.size_crlf, e.size_lf), (*uid, *vsize, *size));
    }
    assert_eq!(list[2].flags.letters(), "DS");
    assert_eq!(md.read(&list[1].id).unwrap(), theirs[0]);
    assert_eq!(
        md.read(&list[2].id).unwrap(),
        b"Subject: lf\r\n\r\nwith LF\r\n"
    );
    // And a delivery after Dovecot's gets the next UID in Dovecot's list.
    md.deliver(b"Subject: later\r\n\r\ny\r\n").unwrap();
    let list = md.list().unwrap();
    assert_eq!(list.iter().map(|e| e.uid).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let meta = dc.fetch_meta();
    assert_eq!(meta.iter().map(|m| m.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
}
