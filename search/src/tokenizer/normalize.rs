//! Character folding that remembers where every folded char came from.
//!
//! Each original char is mapped through NFKC on its own, so the folded chars can carry the byte range
//! of the original char they came from (snippets then highlight the original text). NFKC per char
//! does not compose a base with a following combining mark, so that is done here: a half-width
//! dakuten (ﾃﾞ → テ + U+3099) or a decomposed accent is composed into the previous char, and its
//! original bytes are added to that char's range.

use unicode_normalization::char::{compose, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// One folded char and the byte range `start..end` of the original text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FoldedChar {
    pub(crate) ch: char,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Folds `text` into `out` (cleared first): NFKC per char, combining marks composed into the char
/// before them (or dropped when they do not compose), lower case. A char whose NFKC form has several
/// chars (㍿ → 株式会社) gives several folded chars with the same original range.
pub(crate) fn fold_chars(text: &str, out: &mut Vec<FoldedChar>) {
    out.clear();
    let mut scratch = String::new();
    for (start, original) in text.char_indices() {
        let end = start + original.len_utf8();
        scratch.clear();
        if original.is_ascii() {
            scratch.push(original);
        } else if let Some(mark) = spacing_sound_mark(original) {
            // ゛/゜ typed after a kana mean the same as the combining marks; NFKC would turn them
            // into a space plus the mark, which would break the word.
            scratch.push(mark);
        } else if is_nfkc_quick(std::iter::once(original)) == IsNormalized::Yes {
            scratch.push(original);
        } else {
            scratch.extend(std::iter::once(original).nfkc());
        }
        for folded in scratch.chars() {
            if is_combining_mark(folded) {
                attach_mark(out, folded, end);
                continue;
            }
            for lower in folded.to_lowercase() {
                if is_combining_mark(lower) {
                    // İ lower-cases to i + U+0307: keep the dot out of the token.
                    attach_mark(out, lower, end);
                } else {
                    out.push(FoldedChar {
                        ch: lower,
                        start,
                        end,
                    });
                }
            }
        }
    }
}

/// The folded text as a plain string (no offsets): what [`crate::tokenizer::fold`] returns.
pub(crate) fn fold_string(text: &str) -> String {
    let mut chars = Vec::with_capacity(text.len());
    fold_chars(text, &mut chars);
    chars.iter().map(|folded| folded.ch).collect()
}

/// Composes `mark` into the last folded char when Unicode has a composed form; either way the
/// mark's original bytes join that char's range. A mark at the very start is dropped.
fn attach_mark(out: &mut [FoldedChar], mark: char, mark_end: usize) {
    if let Some(last) = out.last_mut() {
        if let Some(composed) = compose(last.ch, mark) {
            last.ch = composed;
        }
        last.end = last.end.max(mark_end);
    }
}

/// The combining form of the spacing (full-width) voiced and semi-voiced sound marks.
fn spacing_sound_mark(ch: char) -> Option<char> {
    match ch {
        '\u{309B}' => Some('\u{3099}'),
        '\u{309C}' => Some('\u{309A}'),
        _ => None,
    }
}
