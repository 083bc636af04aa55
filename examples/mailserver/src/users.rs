//! The users file: one line per user, written by `mailserver passwd`.
//!
//! ```text
//! alice:$argon2id$v=19$m=19456,t=2,p=1$...:scram-sha-256=<salt>,<iterations>,<stored key>,<server key>:scram-sha-1=...[:plain=<secret>]
//! ```
//!
//! The argon2 hash checks passwords the server sees (POP3 USER/PASS, SASL PLAIN and LOGIN);
//! the SCRAM stored keys, derived when the password is set, serve SCRAM without the password;
//! the plaintext-equivalent secret that CRAM-MD5 and APOP need is kept only for users for whom
//! the administrator enabled it (`--allow-plain-secret`). Base64 never holds `:`.

use std::collections::HashMap;
use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sasl_proto::{
    Answer, CredentialStore, Mechanism, Question, ScramHash, ScramKeys, Secret, StoredSecret,
};

/// SCRAM iterations for new passwords (RFC 7677 asks for at least 4096).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// A user file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsersError {
    /// Reading or writing the file.
    #[error("users file")]
    Io(#[from] std::io::Error),
    /// A line is malformed.
    #[error("users file line {line}: {why}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// The user name cannot be stored.
    #[error("invalid user name {0:?}")]
    Name(String),
}

/// One user's records.
#[derive(Clone)]
pub struct User {
    /// The argon2 PHC string.
    pub argon2: String,
    /// SCRAM-SHA-256 stored keys.
    pub scram_sha256: Option<ScramKeys>,
    /// SCRAM-SHA-1 stored keys.
    pub scram_sha1: Option<ScramKeys>,
    /// The plaintext-equivalent secret for CRAM-MD5 and APOP, when enabled.
    pub plain: Option<Secret>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("plain", &self.plain.is_some())
            .finish_non_exhaustive()
    }
}

/// All users, by name.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<String, User>,
}

impl Users {
    /// Reads a users file (a missing file is no users).
    pub fn load(path: &Path) -> Result<Self, UsersError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the text of a users file.
    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let mut users = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |why: &str| UsersError::Syntax {
                line: index + 1,
                why: why.into(),
            };
            let mut fields = line.split(':');
            let name = fields
                .next()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| syntax("no name"))?;
            if !is_safe_name(name) {
                return Err(syntax(
                    "a user name must be [a-z0-9._-], not starting with a dot",
                ));
            }
            let argon2 = fields
                .next()
                .filter(|h| h.starts_with("$argon2"))
                .ok_or_else(|| syntax("no argon2 hash"))?;
            let mut user = User {
                argon2: argon2.to_owned(),
                scram_sha256: None,
                scram_sha1: None,
                plain: None,
            };
            for field in fields {
                if let Some(keys) = field.strip_prefix("scram-sha-256=") {
                    user.scram_sha256 = Some(
                        parse_keys(keys, ScramHash::Sha256)
                            .ok_or_else(|| syntax("bad scram-sha-256"))?,
                    );
                } else if let Some(keys) = field.strip_prefix("scram-sha-1=") {
                    user.scram_sha1 = Some(
                        parse_keys(keys, ScramHash::Sha1)
                            .ok_or_else(|| syntax("bad scram-sha-1"))?,
                    );
                } else if let Some(secret) = field.strip_prefix("plain=") {
                    let bytes = B64.decode(secret).map_err(|_| syntax("bad plain"))?;
                    let text = String::from_utf8(bytes).map_err(|_| syntax("bad plain"))?;
                    user.plain = Some(Secret::new(text));
                } else {
                    return Err(syntax("unknown field"));
                }
            }
            users.insert(name.to_owned(), user);
        }
        Ok(Self { users })
    }

    /// The user named `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// True if a user named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.users.contains_key(name)
    }

    /// True if any user has a plaintext-equivalent secret (APOP can be offered).
    pub fn any_plain(&self) -> bool {
        self.users.values().any(|u| u.plain.is_some())
    }

    /// Checks a password against the argon2 hash.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let Some(user) = self.users.get(name) else {
            // Spend the same effort on unknown users as on known ones.
            let _ = hash_password("decoy");
            return false;
        };
        PasswordHash::new(&user.argon2)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

impl Users {
    /// The one answer to a SASL question, for SMTP and POP3 alike: a presented password
    /// (PLAIN, LOGIN) is checked against the argon2 hash; SCRAM gets the stored keys (an
    /// unknown user gets none, and sasl-proto goes on with made-up keys to the final
    /// message); CRAM-MD5 the plain secret where kept; OAuth tokens and TLS client
    /// certificates are not accepted; a known user may act only as itself.
    pub fn answer_auth(&self, question: &Question) -> Answer {
        match question {
            Question::Authorize {
                authcid, authzid, ..
            } => Answer::Authorize(
                authzid.as_deref().is_none_or(|z| z == authcid) && self.contains(authcid),
            ),
            other => other.answer_from(self),
        }
    }
}

impl CredentialStore for Users {
    fn secret(&self, mechanism: &Mechanism, authcid: &str) -> Option<StoredSecret> {
        let user = self.users.get(authcid)?;
        match mechanism {
            Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => {
                user.scram_sha256.clone().map(StoredSecret::Scram)
            }
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => {
                user.scram_sha1.clone().map(StoredSecret::Scram)
            }
            Mechanism::CramMd5 => user.plain.clone().map(StoredSecret::Password),
            // PLAIN and LOGIN: checked against the argon2 hash by check_password.
            _ => user.scram_sha256.clone().map(StoredSecret::Scram),
        }
    }

    fn check_password(&self, authcid: &str, password: &Secret) -> Option<bool> {
        Some(self.verify(authcid, password.expose()))
    }
}

fn parse_keys(text: &str, hash: ScramHash) -> Option<ScramKeys> {
    let mut parts = text.split(',');
    let salt = B64.decode(parts.next()?).ok()?;
    let iterations = parts.next()?.parse().ok()?;
    let stored_key = B64.decode(parts.next()?).ok()?;
    let server_key = B64.decode(parts.next()?).ok()?;
    ScramKeys::from_stored(hash, salt, iterations, stored_key, server_key).ok()
}

fn keys_text(keys: &ScramKeys) -> String {
    format!(
        "{},{},{},{}",
        B64.encode(&keys.salt),
        keys.iterations,
        B64.encode(keys.stored_key.expose()),
        B64.encode(keys.server_key.expose())
    )
}

fn random_bytes<const N: usize>() -> Result<[u8; N], UsersError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| UsersError::Hash(e.to_string()))?;
    Ok(bytes)
}

fn hash_password(password: &str) -> Result<String, UsersError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| UsersError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

/// The users-file line for `name` with `password`: the argon2 hash and the SCRAM keys, and
/// the plaintext-equivalent secret only if `keep_plain`.
pub fn user_line(name: &str, password: &str, keep_plain: bool) -> Result<String, UsersError> {
    if !is_safe_name(name) {
        return Err(UsersError::Name(name.into()));
    }
    let scram = |hash| {
        ScramKeys::derive(password, &random_bytes::<16>()?, SCRAM_ITERATIONS, hash)
            .map_err(|e| UsersError::Hash(e.to_string()))
    };
    let mut line = format!(
        "{name}:{}:scram-sha-256={}:scram-sha-1={}",
        hash_password(password)?,
        keys_text(&scram(ScramHash::Sha256)?),
        keys_text(&scram(ScramHash::Sha1)?)
    );
    if keep_plain {
        line.push_str(":plain=");
        line.push_str(&B64.encode(password));
    }
    Ok(line)
}

/// Sets (adds or replaces) `name`'s password in the users file at `path`.
pub fn set_password(
    path: &Path,
    name: &str,
    password: &str,
    keep_plain: bool,
) -> Result<(), UsersError> {
    let line = user_line(name, password, keep_plain)?;
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    let prefix = format!("{name}:");
    let mut out: Vec<String> = existing
        .lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    out.push(line);
    write_private(path, (out.join("\n") + "\n").as_bytes())?;
    Ok(())
}

/// The longest user name.
pub const NAME_MAX: usize = 64;

/// True for a user name that is safe as a directory name under the data directory:
/// `[a-z0-9._-]`, at most [`NAME_MAX`] characters, not starting with a dot (so neither `.`,
/// `..` nor a hidden name), and never holding `/`.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Replaces the file at `path` with `contents` so that a crash leaves the old file or the new
/// one, never a part: a temporary file readable by the owner only (it holds hashes and maybe
/// plaintext-equivalent secrets), fsynced, renamed over the old one, and the directory
/// fsynced so the rename itself is durable.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    // A temporary file left by an older run may have had wider permissions.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_line_reads_back_and_verifies() {
        let line = user_line("alice", "correct horse", false).unwrap();
        let users = Users::parse(&line).unwrap();
        assert!(users.verify("alice", "correct horse"));
        assert!(!users.verify("alice", "wrong"));
        assert!(!users.verify("bob", "correct horse"));
        let keys = users.get("alice").unwrap().scram_sha256.clone().unwrap();
        assert!(keys.verify_password("correct horse"));
        assert!(users.get("alice").unwrap().plain.is_none());
        assert!(!line.contains("correct horse"));
        let with_plain = Users::parse(&user_line("bob", "pw", true).unwrap()).unwrap();
        assert_eq!(
            with_plain
                .get("bob")
                .unwrap()
                .plain
                .as_ref()
                .unwrap()
                .expose(),
            "pw"
        );
        assert!(user_line("a:b", "pw", false).is_err());
        assert!(Users::parse("x:notahash").is_err());
    }

    /// The one answering function gives SMTP and POP3 the same answers.
    #[test]
    fn every_sasl_question_gets_its_answer_from_the_users_file() {
        let users = Users::parse(&user_line("alice", "alice-pw", false).unwrap()).unwrap();
        let verify = |password: &str| Question::VerifyPassword {
            mechanism: Mechanism::Plain,
            authcid: "alice".into(),
            authzid: None,
            password: password.into(),
        };
        // PLAIN and LOGIN against the argon2 hash.
        assert_eq!(
            users.answer_auth(&verify("alice-pw")),
            Answer::PasswordVerified(true)
        );
        assert_eq!(
            users.answer_auth(&verify("wrong")),
            Answer::PasswordVerified(false)
        );
        let secret = |authcid: &str| Question::Secret {
            mechanism: Mechanism::ScramSha256,
            authcid: authcid.into(),
            authzid: None,
        };
        let keys = users.get("alice").unwrap().scram_sha256.clone().unwrap();
        assert_eq!(
            users.answer_auth(&secret("alice")),
            Answer::Secret(Some(StoredSecret::Scram(keys)))
        );
        assert_eq!(users.answer_auth(&secret("bob")), Answer::Secret(None));
        let authorize = |authcid: &str, authzid: Option<&str>| Question::Authorize {
            mechanism: Mechanism::ScramSha256,
            authcid: authcid.into(),
            authzid: authzid.map(str::to_owned),
        };
        assert_eq!(
            users.answer_auth(&authorize("alice", None)),
            Answer::Authorize(true)
        );
        assert_eq!(
            users.answer_auth(&authorize("alice", Some("alice"))),
            Answer::Authorize(true)
        );
        assert_eq!(
            users.answer_auth(&authorize("alice", Some("root"))),
            Answer::Authorize(false)
        );
        assert_eq!(
            users.answer_auth(&authorize("anonymous", None)),
            Answer::Authorize(false)
        );
        let token = Question::Token {
            mechanism: Mechanism::XOAuth2,
            user: Some("alice".into()),
            token: "t".into(),
            host: None,
            port: None,
        };
        assert!(matches!(
            users.answer_auth(&token),
            Answer::Token(sasl_proto::TokenVerdict::Invalid { .. })
        ));
        let external = Question::External { authzid: None };
        assert_eq!(users.answer_auth(&external), Answer::External(None));
    }

    #[test]
    fn only_safe_names_are_written_or_read() {
        for bad in [
            "",
            "..",
            ".hidden",
            "../etc",
            "a/b",
            "Alice",
            "a b",
            "a:b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!is_safe_name(bad), "{bad:?}");
            assert!(
                matches!(user_line(bad, "pw", false), Err(UsersError::Name(_))),
                "{bad:?}"
            );
        }
        for good in ["alice", "a.b", "x-1_y", "0"] {
            assert!(is_safe_name(good), "{good:?}");
        }
        let line = user_line("alice", "pw", false).unwrap();
        let evil = line.replacen("alice", "../evil", 1);
        assert!(matches!(
            Users::parse(&evil),
            Err(UsersError::Syntax { line: 1, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn the_users_file_is_private_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mailserver-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users");
        // A leftover temporary file with wide permissions does not stay wide.
        std::fs::write(path.with_extension("tmp"), b"old").unwrap();
        std::fs::set_permissions(path.with_extension("tmp"), PermissionsExt::from_mode(0o644))
            .unwrap();
        set_password(&path, "alice", "one", false).unwrap();
        set_password(&path, "bob", "two", false).unwrap();
        set_password(&path, "alice", "three", false).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!path.with_extension("tmp").exists());
        let users = Users::load(&path).unwrap();
        assert!(users.verify("alice", "three") && users.verify("bob", "two"));
        assert!(set_password(&path, "../x", "pw", false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
