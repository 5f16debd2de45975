//! The synthetic archive: deterministic records (record `i` depends only on `i`), Japanese titles and
//! bodies in administrative style, 50–400 chars per record, with the width variants people type
//! (ﾃﾞｰﾀ, ＫＩＮＴＯＮＥ, full-width digits), a few line breaks inside words, and 50 apps.

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use crate::words::*;

pub const APPS: usize = 50;
const SEED: u64 = 0x6b75_6d69_6b69_2d73;

/// The field codes of every archive app.
pub const TITLE: &str = "件名";
pub const BODY: &str = "本文";
pub const DEPARTMENT: &str = "担当課";

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ SEED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Uniform pick.
    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    /// A skewed pick: early entries are much more frequent (index = n·u²), so the corpus has both
    /// common and rare words, as real archives do.
    pub fn skewed<'a>(&mut self, list: &[&'a str]) -> &'a str {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        list[((u * u) * list.len() as f64) as usize % list.len()]
    }
}

/// One generated record.
pub struct Record {
    /// 0-based app index (`i % APPS`).
    pub app: usize,
    /// Record id within its app, from 1.
    pub id: i64,
    pub title: String,
    pub body: String,
    pub department: String,
    pub creator: String,
    pub updated: i64,
}

impl Record {
    /// The record's stored JSON (`records.data`): field code → value.
    pub fn data_json(&self) -> String {
        json!({ TITLE: self.title, BODY: self.body, DEPARTMENT: self.department }).to_string()
    }

    /// The input shape of `records::add_records` (kintone's `{"code": {"value": ...}}`).
    pub fn input(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        for (code, value) in [
            (TITLE, &self.title),
            (BODY, &self.body),
            (DEPARTMENT, &self.department),
        ] {
            m.insert(code.to_owned(), json!({ "value": value }));
        }
        m
    }

    /// The texts that become parts, in field order.
    pub fn texts(&self) -> [&str; 3] {
        [&self.title, &self.body, &self.department]
    }
}

/// Record number `i` (0-based) of the corpus.
pub fn record(i: u64) -> Record {
    let mut rng = Rng::new(i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let app = (i % APPS as u64) as usize;
    let title = title(&mut rng);
    let target = 40 + rng.below(321);
    let mut body = String::new();
    let mut chars = 0;
    while chars < target {
        let mut s = sentence(&mut rng);
        if rng.chance(3) {
            wrap_inside(&mut rng, &mut s);
        }
        chars += s.chars().count();
        if !body.is_empty() && rng.chance(25) {
            body.push('\n');
        }
        body.push_str(&s);
    }
    Record {
        app,
        id: (i / APPS as u64) as i64 + 1,
        title,
        body,
        department: variant(&mut rng, rng_pick_dept(i)),
        creator: format!("user{}", i % 20),
        updated: 1_700_000_000 + (i as i64) * 30,
    }
}

fn rng_pick_dept(i: u64) -> &'static str {
    DEPARTMENTS[(i as usize / 7) % DEPARTMENTS.len()]
}

/// A noun, half the time made a compound with a suffix.
fn noun(rng: &mut Rng) -> String {
    let n = rng.skewed(NOUNS);
    if rng.chance(50) {
        format!("{n}{}", rng.pick(SUFFIXES))
    } else {
        n.to_owned()
    }
}

fn place(rng: &mut Rng) -> &'static str {
    if rng.chance(30) {
        rng.skewed(PREFECTURES)
    } else {
        rng.skewed(MUNICIPALITIES)
    }
}

fn year(rng: &mut Rng) -> String {
    let era = rng.pick(ERAS);
    let n = if era == "令和" {
        1 + rng.below(7)
    } else {
        20 + rng.below(12)
    };
    format!("{era}{}年度", digits(rng, n))
}

fn kana_word(rng: &mut Rng) -> String {
    let w = rng.pick(KATAKANA);
    variant(rng, w)
}

fn latin_word(rng: &mut Rng) -> String {
    let w = rng.pick(LATIN);
    variant(rng, w)
}

/// `(from + uniform(0..count)) * scale`, sometimes in full-width digits.
fn number(rng: &mut Rng, from: usize, count: usize, scale: usize) -> String {
    let n = (from + rng.below(count)) * scale;
    digits(rng, n)
}

fn digits(rng: &mut Rng, n: usize) -> String {
    let s = n.to_string();
    if rng.chance(10) {
        full_width(&s)
    } else {
        s
    }
}

fn title(rng: &mut Rng) -> String {
    let head = rng.pick(TITLE_HEADS);
    match rng.below(4) {
        0 => format!("{head}{} {}{}", year(rng), place(rng), noun(rng)),
        1 => format!(
            "{head}{}{}{}",
            kana_word(rng),
            rng.pick(CONNECTIVES),
            noun(rng)
        ),
        2 => format!("{head}{}　{}について", noun(rng), noun(rng)),
        _ => format!(
            "{head}{}の{}（{}）",
            latin_word(rng),
            noun(rng),
            rng.pick(DEPARTMENTS)
        ),
    }
}

fn sentence(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => format!(
            "{}{}{}{}",
            place(rng),
            rng.pick(CONNECTIVES),
            noun(rng),
            rng.pick(ENDINGS)
        ),
        1 => format!(
            "{}より{}{}{}{}",
            rng.pick(DEPARTMENTS),
            noun(rng),
            rng.pick(CONNECTIVES),
            noun(rng),
            rng.pick(ENDINGS)
        ),
        2 => format!(
            "{}の{}は{}件でした。",
            year(rng),
            noun(rng),
            number(rng, 1, 5000, 1)
        ),
        3 => format!(
            "{}を活用した{}{}",
            kana_word(rng),
            noun(rng),
            rng.pick(ENDINGS)
        ),
        4 => format!(
            "{}による{}{}{}{}",
            latin_word(rng),
            noun(rng),
            rng.pick(CONNECTIVES),
            kana_word(rng),
            rng.pick(ENDINGS)
        ),
        5 => format!(
            "{}月{}日までに{}{}",
            number(rng, 1, 12, 1),
            number(rng, 1, 28, 1),
            noun(rng),
            rng.pick(ENDINGS)
        ),
        6 => format!(
            "{}の{}の予算は{}円です。",
            place(rng),
            noun(rng),
            number(rng, 1, 9000, 1000)
        ),
        _ => format!(
            "{}、{}及び{}{}",
            noun(rng),
            kana_word(rng),
            noun(rng),
            rng.pick(ENDINGS)
        ),
    }
}

/// Inserts a line break between two CJK chars, as in text wrapped by hand or pasted from a PDF.
fn wrap_inside(rng: &mut Rng, s: &mut String) {
    let cuts: Vec<usize> = s
        .char_indices()
        .zip(s.chars().skip(1))
        .filter(|((_, a), b)| is_kanji_or_kana(*a) && is_kanji_or_kana(*b))
        .map(|((at, a), _)| at + a.len_utf8())
        .collect();
    if !cuts.is_empty() {
        let at = cuts[rng.below(cuts.len())];
        s.insert(at, '\n');
    }
}

fn is_kanji_or_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}')
}

/// A word as people write it: katakana sometimes half-width, Latin sometimes upper-case or
/// full-width, else as is.
pub fn variant(rng: &mut Rng, word: &str) -> String {
    let latin = word.is_ascii();
    let roll = rng.below(100);
    if latin {
        match roll {
            0..=9 => full_width(word),
            10..=19 => word.to_uppercase(),
            _ => word.to_owned(),
        }
    } else if roll < 8 {
        half_width_kana(word)
    } else {
        word.to_owned()
    }
}

/// ASCII letters and digits → their full-width forms (ＫＩＮＴＯＮＥ, ２０２４).
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Katakana → half-width katakana (データ → ﾃﾞｰﾀ): the inverse of NFKC on U+FF61..U+FF9F, voiced
/// kana as base + ﾞ/ﾟ.
pub fn half_width_kana(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if let Some(h) = half_of(c) {
            out.push(h);
            continue;
        }
        let decomposed: Vec<char> = std::iter::once(c).nfd().collect();
        match decomposed.as_slice() {
            [base, mark] if half_of(*base).is_some() => {
                out.push(half_of(*base).unwrap_or(*base));
                out.push(if *mark == '\u{3099}' { 'ﾞ' } else { 'ﾟ' });
            }
            _ => out.push(c),
        }
    }
    out
}

fn half_of(c: char) -> Option<char> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<char, char>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ('\u{FF61}'..='\u{FF9D}')
            .filter_map(|h| {
                let folded: Vec<char> = std::iter::once(h).nfkc().collect();
                match folded.as_slice() {
                    [full] => Some((*full, h)),
                    _ => None,
                }
            })
            .collect()
    });
    table.get(&c).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(half_width_kana("データ"), "ﾃﾞｰﾀ");
        assert_eq!(half_width_kana("パソコン"), "ﾊﾟｿｺﾝ");
        assert_eq!(full_width("kintone5"), "ｋｉｎｔｏｎｅ５");
    }

    #[test]
    fn records_are_deterministic_and_sized() {
        for i in [0, 1, 999, 123_456] {
            let a = record(i);
            let b = record(i);
            assert_eq!(a.body, b.body);
            let n = a.title.chars().count() + a.body.chars().count();
            assert!((50..=460).contains(&n), "{n}");
        }
    }
}
