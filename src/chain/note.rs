//! C2SP signed notes with Ed25519 keys, and tlog checkpoints carried in them.
//!
//! Formats (interoperable with Go's `golang.org/x/mod/sumdb/note`):
//! - verifier key: `name+<8 hex key id>+base64(0x01 ‖ public key)`
//! - signer key:   `PRIVATE+KEY+name+<8 hex key id>+base64(0x01 ‖ seed)`
//! - key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)
//! - note: text (ending in a newline), a blank line, then lines `— name base64(key id ‖ sig)`.
//! - checkpoint text: `origin\nsize\nbase64(root)\n` followed by optional extension lines.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use super::merkle::Hash;

const ALG_ED25519: u8 = 0x01;
const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("malformed key: {0}")]
    Key(String),
    #[error("malformed note: {0}")]
    Malformed(String),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A key that verifies notes.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub name: String,
    pub id: [u8; 4],
    key: VerifyingKey,
}

/// A key that signs notes.
pub struct Signer {
    pub name: String,
    pub id: [u8; 4],
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Split `name+keyid+base64` into the name, the hex key id and the 32 bytes of key material.
fn split_key(s: &str) -> Result<(&str, &str, [u8; 32]), NoteError> {
    let v: Vec<&str> = s.trim().splitn(3, '+').collect();
    let [name, id, material] = v.as_slice() else {
        return Err(NoteError::Key("expected name+keyid+key".into()));
    };
    if !valid_name(name) {
        return Err(NoteError::Key(format!("invalid key name {name:?}")));
    }
    Ok((name, id, decode_key_material(material)?))
}

/// `prefix` + `name+keyid+base64(0x01 ‖ material)`.
fn encode_key(prefix: &str, name: &str, id: [u8; 4], material: &[u8; 32]) -> String {
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(material);
    format!(
        "{prefix}{name}+{}+{}",
        super::merkle::to_hex(&id),
        B64.encode(raw)
    )
}

fn decode_key_material(b64: &str) -> Result<[u8; 32], NoteError> {
    let raw = B64
        .decode(b64)
        .map_err(|e| NoteError::Key(format!("base64: {e}")))?;
    match raw.split_first() {
        Some((&ALG_ED25519, rest)) => rest
            .try_into()
            .map_err(|_| NoteError::Key("Ed25519 key must be 32 bytes".into())),
        Some((alg, _)) => Err(NoteError::Key(format!("unsupported key algorithm {alg}"))),
        None => Err(NoteError::Key("empty key".into())),
    }
}

fn check_id(name: &str, hex_id: &str, public: &[u8; 32]) -> Result<[u8; 4], NoteError> {
    let id = key_id(name, public);
    if hex_id.len() != 8 || super::merkle::to_hex(&id) != hex_id.to_ascii_lowercase() {
        return Err(NoteError::Key(format!(
            "key id {hex_id} does not match the key"
        )));
    }
    Ok(id)
}

impl Verifier {
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let (name, hex_id, public) = split_key(s)?;
        let id = check_id(name, hex_id, &public)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|e| NoteError::Key(e.to_string()))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    pub fn encode(&self) -> String {
        encode_key("", &self.name, self.id, self.key.as_bytes())
    }

    /// `name+keyid`, for messages.
    pub fn key_ref(&self) -> KeyRef {
        KeyRef {
            name: self.name.clone(),
            id: self.id,
        }
    }
}

impl Signer {
    /// A new key from 32 bytes of randomness.
    pub fn generate(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key(format!(
                "invalid key name {name:?}: no '+', no spaces"
            )));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let rest = s
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::Key("signer key must start with PRIVATE+KEY+".into()))?;
        let (name, hex_id, seed) = split_key(rest)?;
        let key = SigningKey::from_bytes(&seed);
        let id = check_id(name, hex_id, key.verifying_key().as_bytes())?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    pub fn encode(&self) -> String {
        encode_key("PRIVATE+KEY+", &self.name, self.id, &self.key.to_bytes())
    }

    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Sign `text` (must end with a newline) into a note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        if !text.ends_with('\n') {
            return Err(NoteError::Malformed(
                "note text must end with a newline".into(),
            ));
        }
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

/// A key as a note names it: `name+keyid` (the key id in 8 lowercase hex digits). This is how
/// messages identify keys, without ever showing key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub name: String,
    pub id: [u8; 4],
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{}", self.name, super::merkle::to_hex(&self.id))
    }
}

/// Outcome of opening a note against known verifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by these known keys, all of whose signatures verified.
    Verified(Vec<String>),
    /// A signature by a known key (name and key id both match) failed to verify.
    BadSignature(KeyRef),
    /// No signature by any of the known keys; these are the keys that did sign the note.
    NotTrusted(Vec<KeyRef>),
}

/// Why a note signed only by `signers` cannot be trusted by `trusted`:
/// `not signed by a trusted key (signed by: a+1234abcd; trusted: b+5678ef01)`.
pub fn not_trusted_reason(signers: &[KeyRef], trusted: &[Verifier]) -> String {
    let list = |refs: Vec<String>, none: &str| {
        if refs.is_empty() {
            none.to_owned()
        } else {
            refs.join(", ")
        }
    };
    format!(
        "not signed by a trusted key (signed by: {}; trusted: {})",
        list(signers.iter().map(ToString::to_string).collect(), "no one"),
        list(
            trusted.iter().map(|v| v.key_ref().to_string()).collect(),
            "no keys given"
        )
    )
}

/// Split a note into its text and verify its signature lines.
pub fn open<'a>(note: &'a str, verifiers: &[Verifier]) -> Result<(&'a str, Verdict), NoteError> {
    let i = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
    let (text, sigs) = (&note[..=i], &note[i + 2..]);
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block must end with a newline".into(),
        ));
    }
    let mut verified = Vec::new();
    let mut signers = Vec::new();
    for line in sigs.lines() {
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or_else(|| NoteError::Malformed(format!("bad signature line {line:?}")))?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            NoteError::Malformed("signature line needs a name and a signature".into())
        })?;
        let blob = B64
            .decode(b64)
            .map_err(|e| NoteError::Malformed(format!("signature base64: {e}")))?;
        if blob.len() < 4 {
            return Err(NoteError::Malformed("signature too short".into()));
        }
        let (id, sig) = blob.split_at(4);
        let signer = KeyRef {
            name: name.to_owned(),
            id: [id[0], id[1], id[2], id[3]],
        };
        let Some(v) = verifiers.iter().find(|v| v.name == name && v.id == id) else {
            signers.push(signer);
            continue;
        };
        let ok =
            Signature::from_slice(sig).is_ok_and(|s| v.key.verify(text.as_bytes(), &s).is_ok());
        if !ok {
            return Ok((text, Verdict::BadSignature(signer)));
        }
        verified.push(name.to_owned());
    }
    Ok((
        text,
        if verified.is_empty() {
            Verdict::NotTrusted(signers)
        } else {
            Verdict::Verified(verified)
        },
    ))
}

/// A tlog checkpoint: an origin, a tree size and a root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    pub fn parse_text(text: &str) -> Result<Self, NoteError> {
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| NoteError::Checkpoint("missing origin".into()))?;
        let size_s = lines
            .next()
            .ok_or_else(|| NoteError::Checkpoint("missing size".into()))?;
        if size_s.is_empty()
            || (size_s.len() > 1 && size_s.starts_with('0'))
            || !size_s.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NoteError::Checkpoint(format!("bad tree size {size_s:?}")));
        }
        let size = size_s
            .parse()
            .map_err(|_| NoteError::Checkpoint(format!("bad tree size {size_s:?}")))?;
        let root_s = lines
            .next()
            .ok_or_else(|| NoteError::Checkpoint("missing root hash".into()))?;
        let root: Hash = B64
            .decode(root_s)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| NoteError::Checkpoint("root hash must be base64 of 32 bytes".into()))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_ids_match() {
        let s = Signer::generate("audit.example/log", [7u8; 32]).unwrap();
        let enc = s.encode();
        assert!(enc.starts_with("PRIVATE+KEY+audit.example/log+"));
        let s2 = Signer::parse(&enc).unwrap();
        assert_eq!(s2.id, s.id);
        let v = Verifier::parse(&s.verifier().encode()).unwrap();
        assert_eq!(v.id, s.id);
        // A tampered key id is refused.
        let bad = s.verifier().encode().replacen('+', "+0", 1);
        assert!(Verifier::parse(&bad).is_err());
        assert!(Signer::generate("bad name", [0; 32]).is_err());
    }

    #[test]
    fn sign_and_open() {
        let s = Signer::generate("log", [1u8; 32]).unwrap();
        let other = Signer::generate("other", [2u8; 32]).unwrap();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 5,
            root: [9u8; 32],
        };
        let note = s.sign(&cp.text()).unwrap();
        let (text, verdict) = open(&note, &[s.verifier()]).unwrap();
        assert_eq!(verdict, Verdict::Verified(vec!["log".into()]));
        assert_eq!(Checkpoint::parse_text(text).unwrap(), cp);
        assert_eq!(
            open(&note, &[other.verifier()]).unwrap().1,
            Verdict::NotTrusted(vec![s.verifier().key_ref()])
        );
        assert_eq!(
            s.verifier().key_ref().to_string(),
            format!("log+{}", super::super::merkle::to_hex(&s.id))
        );
        let tampered = note.replacen("\n5\n", "\n6\n", 1);
        assert_eq!(
            open(&tampered, &[s.verifier()]).unwrap().1,
            Verdict::BadSignature(s.verifier().key_ref())
        );
    }

    /// A note signed by Go's sumdb/note documentation example key must verify.
    #[test]
    fn go_note_example_verifies() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let v = Verifier::parse(vkey).unwrap();
        let (text, verdict) = open(note, &[v]).unwrap();
        // Ed25519 is deterministic: signing with the example's signer key gives the same note.
        let s = Signer::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        assert_eq!(s.sign(text).unwrap(), note);
        assert_eq!(s.verifier().encode(), vkey);
        assert_eq!(verdict, Verdict::Verified(vec!["PeterNeumann".into()]));
        assert!(text.ends_with("is.\n"));
    }
}
