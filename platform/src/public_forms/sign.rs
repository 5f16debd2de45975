//! What the residents' pages sign: the uploaded files a form carries between its steps, and the
//! proof-of-work challenges. Both are HMAC-SHA256 with the form's own secret
//! (`kumiki_engine::public_forms::store::secret`), so a resident can neither name a file key someone
//! else uploaded nor mint a challenge, and a leaked secret concerns one form only.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Challenges stay valid this long after the form page was served.
pub const CHALLENGE_SECS: i64 = 2 * 3600;
/// The most leading zero bits a form may ask for (about 2^28 hashes is minutes on a phone).
pub const MAX_BITS: u32 = 28;

/// The MAC over `parts` joined by `|`. HMAC takes keys of any length, so `None` never happens in
/// practice; callers then produce no signature and accept none.
fn mac(secret: &str, parts: &[&str]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"|");
        }
        mac.update(part.as_bytes());
    }
    Some(mac)
}

fn sign(secret: &str, parts: &[&str]) -> String {
    mac(secret, parts)
        .map(|m| hex(&m.finalize().into_bytes()))
        .unwrap_or_default()
}

fn verify(secret: &str, parts: &[&str], sig: &str) -> bool {
    match (unhex(sig), mac(secret, parts)) {
        (Some(bytes), Some(m)) => !bytes.is_empty() && m.verify_slice(&bytes).is_ok(),
        _ => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signature of the files a form carries: over `slug|token|files` (`token` empty without a
/// per-recipient link), hex.
pub fn sign_files(secret: &str, slug: &str, token: &str, files: &str) -> String {
    sign(secret, &[slug, token, files])
}

/// Whether `sig` is the signature of these files (compared in constant time).
pub fn verify_files(secret: &str, slug: &str, token: &str, files: &str, sig: &str) -> bool {
    verify(secret, &[slug, token, files], sig)
}

/// A new proof-of-work challenge for form `form`: `<form>.<expires>.<random>.<signature>`.
pub fn new_challenge(secret: &str, form: i64, now: i64) -> String {
    let random: [u8; 12] = rand::random();
    let body = format!("{form}.{}.{}", now + CHALLENGE_SECS, hex(&random));
    let sig = sign(secret, &["pow", &body]);
    format!("{body}.{sig}")
}

/// Why a proof of work was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PowRefusal {
    /// Not a challenge of this form's, or forged.
    Forged,
    /// Older than `CHALLENGE_SECS`.
    Expired,
    /// The answer does not have the leading zero bits.
    Wrong,
}

/// Checks that `challenge` was issued for `form` by this server and has not expired, and that
/// SHA-256 of `<challenge>:<answer>` starts with `bits` zero bits. Returns the challenge's expiry.
pub fn verify_pow(
    secret: &str,
    form: i64,
    challenge: &str,
    answer: &str,
    bits: u32,
    now: i64,
) -> Result<i64, PowRefusal> {
    let (body, sig) = challenge.rsplit_once('.').ok_or(PowRefusal::Forged)?;
    if !verify(secret, &["pow", body], sig) {
        return Err(PowRefusal::Forged);
    }
    let mut parts = body.split('.');
    let of_form = parts.next().and_then(|f| f.parse::<i64>().ok());
    let expires = parts.next().and_then(|e| e.parse::<i64>().ok());
    let (Some(of_form), Some(expires)) = (of_form, expires) else {
        return Err(PowRefusal::Forged);
    };
    if of_form != form {
        return Err(PowRefusal::Forged);
    }
    if expires < now {
        return Err(PowRefusal::Expired);
    }
    if answer.is_empty() || answer.len() > 32 {
        return Err(PowRefusal::Wrong);
    }
    let digest = Sha256::digest(format!("{challenge}:{answer}").as_bytes());
    if leading_zero_bits(&digest) >= bits.min(MAX_BITS) {
        Ok(expires)
    } else {
        Err(PowRefusal::Wrong)
    }
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut n = 0;
    for b in bytes {
        if *b == 0 {
            n += 8;
        } else {
            n += b.leading_zeros();
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_signatures_bind_form_link_and_files() {
        let sig = sign_files("k", "slug", "", "{}");
        assert!(verify_files("k", "slug", "", "{}", &sig));
        assert!(!verify_files("k", "slug", "t", "{}", &sig));
        assert!(!verify_files("k", "other", "", "{}", &sig));
        assert!(!verify_files("k2", "slug", "", "{}", &sig));
        assert!(!verify_files("k", "slug", "", "{}", "zz"));
        assert!(!verify_files("k", "slug", "", "{ }", &sig));
    }

    #[test]
    fn proof_of_work_round_trip() {
        let now = 1_000_000;
        let c = new_challenge("secret", 7, now);
        let bits = 8;
        let answer = (0u64..)
            .map(|n| n.to_string())
            .find(|a| leading_zero_bits(&Sha256::digest(format!("{c}:{a}").as_bytes())) >= bits)
            .unwrap_or_default();
        assert!(verify_pow("secret", 7, &c, &answer, bits, now).is_ok());
        assert_eq!(
            verify_pow("secret", 8, &c, &answer, bits, now),
            Err(PowRefusal::Forged)
        );
        assert_eq!(
            verify_pow("other", 7, &c, &answer, bits, now),
            Err(PowRefusal::Forged)
        );
        assert_eq!(
            verify_pow("secret", 7, &c, &answer, bits, now + CHALLENGE_SECS + 1),
            Err(PowRefusal::Expired)
        );
        assert_eq!(
            verify_pow("secret", 7, &c, "", bits, now),
            Err(PowRefusal::Wrong)
        );
        assert_eq!(leading_zero_bits(&[0, 0x10]), 11);
    }
}
