//! The `--credential-process` cache: one 0600 file per distinct request in a private
//! directory beside the credentials file, so that the many invocations of a
//! credential_process (every process start, every SDK refresh) cost one AssumeRole per
//! lifetime.
//!
//! Trust rules, because a cache entry is handed to the consumer as the role's keys:
//! - the key covers every input that changes what STS returns (role, session name template,
//!   duration, external id, source identity, session policy and policy ARNs, tags, MFA
//!   device, region) and who the source is (user id, source profile, the source access key id
//!   when one is known without a network call); it is hashed (SHA-256), and the full digest
//!   is stored in the entry and compared on read, so neither the key id nor any input shows
//!   in a file name and no two requests can share an entry;
//! - `rolecreds/` and `rolecreds/cache/` are created 0700 and used only while they are real
//!   directories (not symlinks) owned by the user and writable by nobody else; an entry is
//!   read only if it is a regular file (opened with `O_NOFOLLOW | O_NONBLOCK`), owned by the
//!   user, not writable by others, and at most 64 KiB;
//! - anything else is a warning and the run goes on without the cache (or replaces the bad
//!   entry): the cache is an optimisation, never a reason to fail the consumer.

use crate::adapters::console::say;
use crate::adapters::fs::checked_read::{self, Owner, Rules, Writers};
use crate::adapters::fs::commit::{self, parent_dir};
use crate::adapters::fs::lock::{SidecarLock, lock_exclusive};
use crate::domain::assume::AssumeOptions;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::credentials_json::parse_credentials_json;
use crate::domain::role::RoleArn;
use anyhow::Context as _;
use sha2::Digest as _;
use std::fs::DirBuilder;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most of a cache entry read: a credential_process document is about 1.5 KiB.
const MAX_ENTRY_BYTES: u64 = 64 << 10;

/// The field of an entry holding its key's digest.
const KEY_FIELD: &str = "RolecredsKey";

/// Who the source credentials belong to, as far as can be told without resolving them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIdentity {
    /// The profile they come from (`--source-profile`, `AWS_PROFILE`, `default`), or `None`
    /// for keys in the environment.
    pub profile: Option<String>,
    /// The access key id, when known: from the environment, or the profile's static keys.
    pub access_key_id: Option<String>,
}

/// What is asked of STS, for the key: everything that changes what it returns.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub role: &'a RoleArn,
    pub session_template: &'a str,
    pub duration: Duration,
    pub options: &'a AssumeOptions,
    pub mfa_serial: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The SHA-256 of everything that changes what STS returns for `request` from `source`.
pub fn cache_key(request: &Request<'_>, source: &SourceIdentity) -> String {
    let options = request.options;
    let mut tags: Vec<String> = options
        .tags
        .iter()
        .map(|(k, v)| format!("{}={v}", k.to_lowercase()))
        .collect();
    tags.sort();
    let mut policy_arns = options.policy_arns.clone();
    policy_arns.sort();
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    let fields: [(&str, String); 14] = [
        ("version", "2".into()),
        ("uid", checked_read::effective_uid().to_string()),
        ("role", request.role.to_string()),
        ("session", request.session_template.to_owned()),
        ("duration", request.duration.as_secs().to_string()),
        ("external_id", text(options.external_id.as_deref())),
        ("source_identity", text(options.source_identity.as_deref())),
        ("policy", text(options.policy.as_deref())),
        ("policy_arns", policy_arns.join("\n")),
        ("tags", tags.join("\n")),
        ("mfa_serial", text(request.mfa_serial)),
        ("region", text(request.region)),
        ("source_profile", text(source.profile.as_deref())),
        ("source_key", text(source.access_key_id.as_deref())),
    ];
    let mut hasher = sha2::Sha256::new();
    for (name, value) in fields {
        // Length-prefixed, so no two different inputs concatenate to the same bytes.
        for part in [name, value.as_str()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The cache directory for a credentials file, once checked (or created) and trusted.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    entry: PathBuf,
    key: String,
}

/// The cache while this process holds its lock for one entry.
#[derive(Debug)]
pub struct LockedEntry<'c> {
    cache: &'c Cache,
    _lock: SidecarLock,
}

impl Cache {
    /// Creates (0700) or checks `rolecreds/cache` beside `credentials_file`; an error says
    /// why it cannot be trusted.
    pub fn open(credentials_file: &Path, key: String, role_label: &str) -> anyhow::Result<Self> {
        let base = parent_dir(credentials_file).join("rolecreds");
        let dir = base.join("cache");
        for path in [&base, &dir] {
            create_private_dir(path)?;
            let meta = std::fs::symlink_metadata(path)
                .with_context(|| format!("cannot stat `{}`", path.display()))?;
            if meta.file_type().is_symlink() {
                anyhow::bail!(
                    "`{}` is a symlink; rolecreds keeps its cache only in a directory of its own",
                    path.display()
                );
            }
            if !meta.is_dir() {
                anyhow::bail!(
                    "`{}` is not a directory (it is a {})",
                    path.display(),
                    checked_read::describe_file_type(&meta)
                );
            }
            checked_read::check_owner_and_mode(path, &meta, Owner::User, Writers::OwnerOnly)?;
        }
        let entry = dir.join(format!("{role_label}-{}.json", &key[..16]));
        Ok(Self { dir, entry, key })
    }

    /// Takes the entry's lock, waiting up to `wait`, and removes temp files a killed run left.
    pub fn lock(&self, wait: Duration) -> anyhow::Result<LockedEntry<'_>> {
        let lock = lock_exclusive(&self.entry.with_extension("lock"), wait)?;
        commit::remove_abandoned_temp_files(&self.dir, &self.file_name());
        Ok(LockedEntry {
            cache: self,
            _lock: lock,
        })
    }

    fn file_name(&self) -> String {
        let name = self.entry.file_name().unwrap_or_default();
        name.to_string_lossy().into_owned()
    }
}

impl LockedEntry<'_> {
    /// The cached credentials, if the entry exists, passes the trust rules and is for this
    /// very key. An entry that fails the rules is a warning, and is then replaced.
    pub fn read(&self) -> Option<TemporaryCredentials> {
        let rules = Rules {
            max_bytes: MAX_ENTRY_BYTES,
            follow_symlink: false,
            owner: Owner::User,
            writers: Writers::OwnerOnly,
        };
        let bytes = match checked_read::read(&self.cache.entry, &rules) {
            Ok(Some((bytes, _))) => bytes,
            Ok(None) => return None,
            Err(err) => {
                say!("rolecreds: warning: not using the cache entry: {err}");
                return None;
            }
        };
        let text = String::from_utf8(bytes).ok()?;
        let document: serde_json::Value = serde_json::from_str(&text).ok()?;
        if document.get(KEY_FIELD).and_then(|k| k.as_str()) != Some(self.cache.key.as_str()) {
            return None;
        }
        parse_credentials_json(&text).ok()
    }

    /// Replaces the entry with `document` plus the key's digest (0600, atomically).
    pub fn write(&self, mut document: serde_json::Value) -> anyhow::Result<()> {
        document[KEY_FIELD] = self.cache.key.clone().into();
        commit::replace_atomically(&self.cache.entry, None, document.to_string().as_bytes())?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.cache.entry
    }
}

/// `dir`, created 0700 if missing (its parent too, 0700, as for the credentials file); on
/// Windows both inherit the profile directory's ACL, private to the user already.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot create `{}`", dir.display())),
    }
}

/// A readable part of the entry's file name (account and role), in a safe alphabet.
pub fn role_label(role: &RoleArn) -> String {
    format!("{}-{}", role.account_id(), role.name())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
