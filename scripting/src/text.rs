//! String helpers for scripts: full-width/half-width conversion (ASCII letters, digits, symbols
//! and the space; katakana via NFKC for half-width input) and format checks without regular
//! expressions (a pattern language would be one more thing to bound).

use unicode_normalization::UnicodeNormalization;

/// Full-width ASCII (Ａ１！＃, U+FF01..U+FF5E and the ideographic space) to half-width.
/// Other characters are kept; half-width katakana stay as they are.
pub fn to_halfwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

/// Half-width ASCII to full-width, and half-width katakana to full-width katakana (NFKC).
pub fn to_fullwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            other => other,
        })
        .collect::<String>()
        .chars()
        .flat_map(|c| {
            if ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                c.to_string().nfkc().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect::<String>()
        // Voiced marks composed by NFKC come as separate characters otherwise.
        .nfc()
        .collect()
}

/// A Japanese postal code: `123-4567` or `1234567` (full-width digits accepted).
pub fn is_postal_code(text: &str) -> bool {
    let t = to_halfwidth(text.trim());
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match t.split_once('-') {
        Some((a, b)) => digits(a, 3) && digits(b, 4),
        None => digits(&t, 7),
    }
}

/// A Japanese phone number: digits with optional hyphens, starting with 0, 10 or 11 digits
/// (`03-1234-5678`, `090-1234-5678`, `0312345678`).
pub fn is_phone_number(text: &str) -> bool {
    let t = to_halfwidth(text.trim());
    if t.starts_with('-') || t.ends_with('-') || t.contains("--") {
        return false;
    }
    if !t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return false;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    digits.starts_with('0') && (digits.len() == 10 || digits.len() == 11)
}

/// A tiny pattern check: `9` a digit, `A` an ASCII letter, `*` any one character, every other
/// character itself; the whole text must match (`matches_pattern("123-4567", "999-9999")`).
pub fn matches_pattern(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    t.len() == p.len()
        && t.iter().zip(p.iter()).all(|(c, q)| match q {
            '9' => c.is_ascii_digit(),
            'A' => c.is_ascii_alphabetic(),
            '*' => true,
            other => c == other,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_conversion() {
        assert_eq!(to_halfwidth("ＡＢＣ１２３－　！"), "ABC123- !");
        assert_eq!(to_fullwidth("AB1 !"), "ＡＢ１　！");
        assert_eq!(to_fullwidth("ｶﾞｷﾞ"), "ガギ");
    }

    #[test]
    fn format_checks() {
        assert!(is_postal_code("100-0001"));
        assert!(is_postal_code("１００－０００１"));
        assert!(is_postal_code("1000001"));
        assert!(!is_postal_code("100-001"));
        assert!(is_phone_number("03-1234-5678"));
        assert!(is_phone_number("09012345678"));
        assert!(!is_phone_number("123-4567"));
        assert!(!is_phone_number("03--1234-5678"));
        assert!(matches_pattern("AB-12", "AA-99"));
        assert!(!matches_pattern("AB-1", "AA-99"));
    }
}
