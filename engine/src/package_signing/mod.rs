//! Signed packages (issue 17 part 4): a body (a municipality's department) signs the packages it
//! exports with its own ed25519 key; the importing side sees who signed and whether its IT trusts
//! that key. Works on any package JSON object — a single app (`kumiki-app/1`) or a bundle — and
//! never looks inside it beyond the top-level `signature` member (docs/packages.md "Signature").
//!
//! What this module guarantees:
//! - The signed bytes are [`canonical_bytes`] of the package whose `signature` member is the
//!   envelope without its `value`: the signer's name, key and time are covered too, so none of them
//!   can be changed without breaking the signature.
//! - [`inspect`] answers exactly one of unsigned, valid (the key it was made with) or invalid; a
//!   package whose signature member is malformed, names another key than the one it carries, or
//!   does not verify is invalid — never "unsigned".
//! - Private keys never leave [`keys`]: the store in `server_settings`, created once per
//!   installation (every node of a multi-node deployment signs with the same key).

pub mod flows;
pub mod keys;
pub mod trust;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The member of the package object that holds the envelope.
pub const SIGNATURE: &str = "signature";
/// The only algorithm written and accepted.
pub const ALGORITHM: &str = "ed25519";
/// Prefixed to the canonical bytes before signing, so a signature over a package can never be
/// replayed as a signature over anything else this key signs.
const DOMAIN: &[u8] = b"kumiki-package-signature/1\n";
/// The prefix of a public key in its text form (`ed25519:<base64 of the 32 bytes>`).
pub const KEY_PREFIX: &str = "ed25519:";

/// The canonical byte form of a JSON value: object members sorted by the UTF-8 bytes of their
/// names (recursively), no whitespace, strings and numbers written as serde_json writes them
/// (strings as UTF-8 with only `"`, `\` and control characters escaped; integers as digits, other
/// numbers in their shortest round-trip form). serde_json here keeps insertion order
/// (`preserve_order`), so the sort is done here rather than relied upon.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (name, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(name.clone()), out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a scalar into a Vec cannot fail; an empty write would only break the signature.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// The bytes a signature covers: the domain prefix and the canonical form of `package` with its
/// `signature` member replaced by `envelope` (which has no `value`).
fn signed_message(package: &Map<String, Value>, envelope: &Map<String, Value>) -> Vec<u8> {
    // Written member by member instead of cloning a package that may carry megabytes of records.
    let mut members: Vec<(&String, &Value)> = package
        .iter()
        .filter(|(name, _)| name.as_str() != SIGNATURE)
        .collect();
    let signature_name = SIGNATURE.to_owned();
    let envelope_value = Value::Object(envelope.clone());
    members.push((&signature_name, &envelope_value));
    members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = DOMAIN.to_vec();
    out.push(b'{');
    for (i, (name, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_scalar(&Value::String(name.clone()), &mut out);
        out.push(b':');
        write_canonical(v, &mut out);
    }
    out.push(b'}');
    out
}

/// The fingerprint of a public key: the first 16 bytes of its SHA-256, in hex, in groups of four
/// (`1a2b:3c4d:...`). It is what people compare over the telephone.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// The text form of a public key: `ed25519:<base64>`.
pub fn public_key_text(key: &VerifyingKey) -> String {
    format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
    )
}

/// Why a pasted public key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Not base64 of exactly 32 bytes (with or without the `ed25519:` prefix).
    Malformed,
    /// 32 bytes that are not a valid ed25519 point.
    NotAKey,
}

/// Reads a public key in its text form; the `ed25519:` prefix is optional and surrounding
/// whitespace is ignored.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyProblem> {
    let t = text.trim();
    let t = t.strip_prefix(KEY_PREFIX).unwrap_or(t).trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| KeyProblem::Malformed)?;
    let array: [u8; 32] = bytes.try_into().map_err(|_| KeyProblem::Malformed)?;
    VerifyingKey::from_bytes(&array).map_err(|_| KeyProblem::NotAKey)
}

/// Who a valid signature says signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The body's name as the signer wrote it (not checked against anything: only the key is).
    pub name: String,
    pub fingerprint: String,
    /// The text form (`ed25519:...`).
    pub public_key: String,
    pub signed_at: String,
}

/// What a package's signature says, before the trust list is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    Unsigned,
    Valid(Signer),
    /// Tampered, or a signature member that is malformed; the reason is for logs and the CLI.
    Invalid(String),
}

/// Signs `package` (a JSON object) in place with `key` as `signer`, replacing any earlier
/// signature. Errors only when `package` is not an object.
pub fn sign(
    package: &mut Value,
    key: &SigningKey,
    signer: &str,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    let Value::Object(map) = package else {
        return Err("a package is a JSON object");
    };
    let public = key.verifying_key();
    let mut envelope = Map::new();
    envelope.insert("algorithm".into(), json!(ALGORITHM));
    envelope.insert("signer".into(), json!(signer));
    envelope.insert("keyId".into(), json!(fingerprint(&public)));
    envelope.insert("publicKey".into(), json!(public_key_text(&public)));
    envelope.insert(
        "signedAt".into(),
        json!(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    let message = signed_message(map, &envelope);
    let value = key.sign(&message);
    envelope.insert(
        "value".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(value.to_bytes())),
    );
    map.insert(SIGNATURE.into(), Value::Object(envelope));
    Ok(())
}

/// Checks the signature of `package` (any JSON value; a non-object is simply unsigned).
pub fn inspect(package: &Value) -> Inspection {
    let Some(map) = package.as_object() else {
        return Inspection::Unsigned;
    };
    let Some(raw) = map.get(SIGNATURE) else {
        return Inspection::Unsigned;
    };
    match check(map, raw) {
        Ok(signer) => Inspection::Valid(signer),
        Err(reason) => Inspection::Invalid(reason.into()),
    }
}

fn check(map: &Map<String, Value>, raw: &Value) -> Result<Signer, &'static str> {
    let envelope = raw.as_object().ok_or("the signature is not an object")?;
    let text = |name: &str| envelope.get(name).and_then(Value::as_str);
    if text("algorithm") != Some(ALGORITHM) {
        return Err("the signature's algorithm is not ed25519");
    }
    let public = parse_public_key(text("publicKey").ok_or("the signature has no public key")?)
        .map_err(|_| "the signature's public key is not an ed25519 key")?;
    let print = fingerprint(&public);
    if text("keyId") != Some(print.as_str()) {
        return Err("the signature's key id does not match its public key");
    }
    let name = text("signer").ok_or("the signature names no signer")?;
    let signed_at = text("signedAt").ok_or("the signature has no time")?;
    let value = base64::engine::general_purpose::STANDARD
        .decode(text("value").ok_or("the signature has no value")?)
        .map_err(|_| "the signature's value is not base64")?;
    let value: [u8; 64] = value
        .try_into()
        .map_err(|_| "the signature's value is not 64 bytes")?;
    let mut unsigned = envelope.clone();
    unsigned.remove("value");
    let message = signed_message(map, &unsigned);
    public
        .verify_strict(&message, &Signature::from_bytes(&value))
        .map_err(|_| {
            "the package was changed after it was signed, or the signature is not valid"
        })?;
    Ok(Signer {
        name: name.to_owned(),
        fingerprint: print,
        public_key: public_key_text(&public),
        signed_at: signed_at.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn package() -> Value {
        json!({
            "format": "kumiki-app/1",
            "app": {"name": "備品管理", "description": "", "code": ""},
            "properties": {"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "件名"}},
            "records": [{"title": {"value": "a\"b\\c\n"}}, 1.5, -3, null, true],
        })
    }

    fn signed(seed: u8, signer: &str) -> Result<Value, Box<dyn std::error::Error>> {
        let mut p = package();
        sign(&mut p, &key(seed), signer, Utc::now())?;
        Ok(p)
    }

    #[test]
    fn canonical_form_sorts_members_and_drops_whitespace() -> R {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": 1, "a": "é"}], "a": "x\ny", "B": 2.5 }"#)?;
        let text = String::from_utf8(canonical_bytes(&v))?;
        assert_eq!(text, r#"{"B":2.5,"a":"x\ny","b":[1,{"a":"é","z":1}]}"#);
        Ok(())
    }

    #[test]
    fn canonical_form_ignores_member_order_and_formatting() -> R {
        let a: Value = serde_json::from_str(r#"{"x": 1, "y": {"p": [true], "q": null}}"#)?;
        let b: Value =
            serde_json::from_str("{\n  \"y\": {\"q\": null, \"p\": [ true ]},\n  \"x\": 1\n}")?;
        assert_eq!(canonical_bytes(&a), canonical_bytes(&b));
        Ok(())
    }

    #[test]
    fn a_signed_package_verifies_after_a_round_trip_through_text() -> R {
        let p = signed(7, "長野市 情報政策課")?;
        let back: Value = serde_json::from_str(&serde_json::to_string_pretty(&p)?)?;
        let expected = Signer {
            name: "長野市 情報政策課".into(),
            fingerprint: fingerprint(&key(7).verifying_key()),
            public_key: public_key_text(&key(7).verifying_key()),
            signed_at: p["signature"]["signedAt"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        assert_eq!(inspect(&back), Inspection::Valid(expected));
        Ok(())
    }

    #[test]
    fn changing_one_character_anywhere_is_tampering() -> R {
        let p = signed(7, "長野市")?;
        let mut label = p.clone();
        label["properties"]["title"]["label"] = json!("件名!");
        assert!(matches!(inspect(&label), Inspection::Invalid(_)));
        let mut signer = p.clone();
        signer["signature"]["signer"] = json!("松本市");
        assert!(matches!(inspect(&signer), Inspection::Invalid(_)));
        let mut added = p.clone();
        added["extra"] = json!(1);
        assert!(matches!(inspect(&added), Inspection::Invalid(_)));
        Ok(())
    }

    #[test]
    fn another_key_in_the_envelope_is_invalid_not_unknown() -> R {
        let mut p = signed(7, "長野市")?;
        // Swap in another public key and its matching id: the value no longer verifies.
        let other = key(9).verifying_key();
        p["signature"]["publicKey"] = json!(public_key_text(&other));
        p["signature"]["keyId"] = json!(fingerprint(&other));
        assert!(matches!(inspect(&p), Inspection::Invalid(_)));
        // A key id that does not match the key carried.
        let mut q = signed(7, "長野市")?;
        q["signature"]["keyId"] = json!("0000");
        assert!(matches!(inspect(&q), Inspection::Invalid(_)));
        Ok(())
    }

    #[test]
    fn unsigned_and_malformed_signatures() {
        assert_eq!(inspect(&package()), Inspection::Unsigned);
        let mut p = package();
        p["signature"] = json!("yes");
        assert!(matches!(inspect(&p), Inspection::Invalid(_)));
    }

    #[test]
    fn public_keys_parse_with_or_without_prefix() {
        let k = key(3).verifying_key();
        let text = public_key_text(&k);
        assert_eq!(parse_public_key(&text), Ok(k));
        let bare = format!("  {}\n", text.trim_start_matches(KEY_PREFIX));
        assert_eq!(parse_public_key(&bare), Ok(k));
        assert_eq!(parse_public_key("hello"), Err(KeyProblem::Malformed));
        assert_eq!(parse_public_key("ed25519:AAAA"), Err(KeyProblem::Malformed));
        assert_eq!(fingerprint(&k).len(), 39);
    }
}
