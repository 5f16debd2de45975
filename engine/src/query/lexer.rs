//! Splits a query into tokens. Never panics on any input: every malformed piece (unterminated or
//! badly escaped string, raw tab/newline in a literal, stray character, number glued to a word) is a
//! `CB_VA01` syntax error naming the character position.
//!
//! Whitespace is anything `char::is_whitespace` accepts (space, tab, CR/LF, U+3000 ...). Operators need
//! no surrounding spaces (`Number>=20`). Keywords are not distinguished here: they are words, and the
//! parser decides from context whether a word is a keyword or a field code.

use crate::error::{QueryErrorCode, UserError};

/// One token and the character offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A field code, keyword or function name.
    Word(String),
    /// A `"..."` literal, escapes expanded.
    Str(String),
    /// A bare number as written.
    Number(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl TokenKind {
    /// How the token looks in a message.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Word(w) => format!("\"{w}\""),
            TokenKind::Str(s) => format!("the string \"{s}\""),
            TokenKind::Number(n) => format!("\"{n}\""),
            TokenKind::LParen => "\"(\"".to_owned(),
            TokenKind::RParen => "\")\"".to_owned(),
            TokenKind::Comma => "\",\"".to_owned(),
            TokenKind::Eq => "\"=\"".to_owned(),
            TokenKind::Ne => "\"!=\"".to_owned(),
            TokenKind::Lt => "\"<\"".to_owned(),
            TokenKind::Gt => "\">\"".to_owned(),
            TokenKind::Le => "\"<=\"".to_owned(),
            TokenKind::Ge => "\">=\"".to_owned(),
        }
    }
}

pub(crate) fn syntax_error(position: usize, what: &str) -> UserError {
    UserError::query(
        QueryErrorCode::Syntax,
        format!("Query syntax error at character {}: {what}", position + 1),
    )
}

/// Characters that may appear in a field code or keyword. kintone codes use letters, digits, `_` and
/// non-ASCII characters; `$` is for `$id`, `.` for `table.field` (rejected later with a clear message).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || (!c.is_ascii() && !c.is_whitespace())
}

/// Tokenizes the whole query.
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, UserError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let next = chars.get(i + 1).copied();
        let (kind, len) = match c {
            '(' => (TokenKind::LParen, 1),
            ')' => (TokenKind::RParen, 1),
            ',' => (TokenKind::Comma, 1),
            '=' => (TokenKind::Eq, 1),
            '!' if next == Some('=') => (TokenKind::Ne, 2),
            '<' if next == Some('=') => (TokenKind::Le, 2),
            '>' if next == Some('=') => (TokenKind::Ge, 2),
            '<' => (TokenKind::Lt, 1),
            '>' => (TokenKind::Gt, 1),
            '"' => {
                let (text, end) = lex_string(&chars, start)?;
                (TokenKind::Str(text), end - start)
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+') && next.is_some_and(|n| n.is_ascii_digit())) =>
            {
                let end = lex_number(&chars, start)?;
                (TokenKind::Number(text_of(&chars, start, end)), end - start)
            }
            c if is_word_char(c) => {
                let mut end = start;
                while chars.get(end).is_some_and(|&c| is_word_char(c)) {
                    end += 1;
                }
                (TokenKind::Word(text_of(&chars, start, end)), end - start)
            }
            other => {
                return Err(syntax_error(
                    start,
                    &format!("unexpected character \"{other}\"."),
                ))
            }
        };
        tokens.push(Token {
            kind,
            position: start,
        });
        i = start + len;
    }
    Ok(tokens)
}

fn text_of(chars: &[char], start: usize, end: usize) -> String {
    chars
        .get(start..end)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// Reads a string literal starting at the opening quote; returns its text and the index after the
/// closing quote.
fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), UserError> {
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(syntax_error(start, "the string is not closed with \"."));
        };
        match c {
            '"' => return Ok((out, i + 1)),
            // kintone rejects raw control characters inside a literal; they must be written escaped.
            '\n' | '\r' | '\t' => {
                return Err(syntax_error(
                    i,
                    "a raw tab or line break inside a string; write \\t, \\n or \\r instead.",
                ))
            }
            '\\' => {
                let escaped = match chars.get(i + 1) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some(other) => {
                        return Err(syntax_error(i, &format!("unknown escape \"\\{other}\".")))
                    }
                    None => return Err(syntax_error(start, "the string is not closed with \".")),
                };
                out.push(escaped);
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Reads `[+-]digits[.digits][(e|E)[+-]digits]`; returns the index after it. A number glued to a word
/// (`12abc`) is an error rather than two tokens.
fn lex_number(chars: &[char], start: usize) -> Result<usize, UserError> {
    let digits = |mut i: usize| {
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start;
    if matches!(chars.get(i), Some('-' | '+')) {
        i += 1;
    }
    i = digits(i);
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('-' | '+')) {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            i = digits(j);
        }
    }
    if chars.get(i).is_some_and(|&c| is_word_char(c)) {
        return Err(syntax_error(
            start,
            "a number must be followed by a space or an operator.",
        ));
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Result<Vec<TokenKind>, UserError> {
        Ok(tokenize(q)?.into_iter().map(|t| t.kind).collect())
    }

    #[test]
    fn operators_need_no_spaces() -> Result<(), UserError> {
        assert_eq!(
            kinds("Number>=20")?,
            vec![
                TokenKind::Word("Number".into()),
                TokenKind::Ge,
                TokenKind::Number("20".into())
            ]
        );
        assert_eq!(
            kinds("a!=-1.5e3")?,
            vec![
                TokenKind::Word("a".into()),
                TokenKind::Ne,
                TokenKind::Number("-1.5e3".into())
            ]
        );
        Ok(())
    }

    #[test]
    fn strings_expand_escapes() -> Result<(), UserError> {
        assert_eq!(
            kinds(r#""a\"b\\c\nd\te\r""#)?,
            vec![TokenKind::Str("a\"b\\c\nd\te\r".into())]
        );
        Ok(())
    }

    #[test]
    fn whitespace_includes_ideographic_space() -> Result<(), UserError> {
        assert_eq!(
            kinds("品名\u{3000}=\r\n\t\"x\"")?,
            vec![
                TokenKind::Word("品名".into()),
                TokenKind::Eq,
                TokenKind::Str("x".into())
            ]
        );
        Ok(())
    }

    #[test]
    fn malformed_input_is_a_syntax_error() {
        for q in [
            "\"a\nb\"",
            "\"a\tb\"",
            "\"abc",
            "\"a\\qb\"",
            "a = 'x'",
            "a = 12abc",
            "\"\\",
        ] {
            assert!(
                matches!(
                    tokenize(q),
                    Err(UserError::Query {
                        code: QueryErrorCode::Syntax,
                        ..
                    })
                ),
                "{q:?}"
            );
        }
    }
}
