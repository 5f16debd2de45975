//! Splits an expression into tokens, each with its 0-based character position. Whitespace (including the
//! full-width space Japanese keyboards produce) separates tokens and is otherwise ignored. Never panics.

use rust_decimal::Decimal;
use std::str::FromStr;

use super::FormulaError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Number(Decimal),
    Str(String),
    /// A field code or a function name; the parser decides by looking for `(`.
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Amp,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number(n) => format!("number {n}"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::Ident(s) => format!("\"{s}\""),
            Tok::LParen => "\"(\"".to_owned(),
            Tok::RParen => "\")\"".to_owned(),
            Tok::Comma => "\",\"".to_owned(),
            Tok::Plus => "\"+\"".to_owned(),
            Tok::Minus => "\"-\"".to_owned(),
            Tok::Star => "\"*\"".to_owned(),
            Tok::Slash => "\"/\"".to_owned(),
            Tok::Caret => "\"^\"".to_owned(),
            Tok::Amp => "\"&\"".to_owned(),
            Tok::Eq => "\"=\"".to_owned(),
            Tok::Ne => "\"!=\"".to_owned(),
            Tok::Lt => "\"<\"".to_owned(),
            Tok::Gt => "\">\"".to_owned(),
            Tok::Le => "\"<=\"".to_owned(),
            Tok::Ge => "\">=\"".to_owned(),
            Tok::End => "the end of the expression".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

/// Characters allowed in a field code besides letters, digits and `_` (kintone allows these in codes).
fn is_code_symbol(c: char) -> bool {
    matches!(c, '_' | '・' | '＄' | '￥' | '＿' | '$')
}

fn starts_ident(c: char) -> bool {
    (c.is_alphanumeric() && !c.is_ascii_digit()) || is_code_symbol(c)
}

fn continues_ident(c: char) -> bool {
    c.is_alphanumeric() || is_code_symbol(c)
}

pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '(' | '（' => Some(Tok::LParen),
            ')' | '）' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '^' => Some(Tok::Caret),
            '&' => Some(Tok::Amp),
            '=' => Some(Tok::Eq),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, pos: start });
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        match c {
            '!' => {
                if next != Some('=') {
                    return Err(FormulaError::at(start, "Expected \"!=\""));
                }
                out.push(Token {
                    tok: Tok::Ne,
                    pos: start,
                });
                i += 2;
            }
            '<' => {
                let (tok, len) = match next {
                    Some('=') => (Tok::Le, 2),
                    Some('>') => (Tok::Ne, 2),
                    _ => (Tok::Lt, 1),
                };
                out.push(Token { tok, pos: start });
                i += len;
            }
            '>' => {
                let (tok, len) = if next == Some('=') {
                    (Tok::Ge, 2)
                } else {
                    (Tok::Gt, 1)
                };
                out.push(Token { tok, pos: start });
                i += len;
            }
            '"' => {
                let (s, end) = lex_string(&chars, start)?;
                out.push(Token {
                    tok: Tok::Str(s),
                    pos: start,
                });
                i = end;
            }
            c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let (n, end) = lex_number(&chars, start)?;
                out.push(Token {
                    tok: Tok::Number(n),
                    pos: start,
                });
                i = end;
            }
            c if starts_ident(c) => {
                let mut end = i;
                while chars.get(end).is_some_and(|&c| continues_ident(c)) {
                    end += 1;
                }
                let name: String = chars.get(start..end).unwrap_or_default().iter().collect();
                out.push(Token {
                    tok: Tok::Ident(name),
                    pos: start,
                });
                i = end;
            }
            other => {
                return Err(FormulaError::at(
                    start,
                    format!("Unexpected character \"{other}\""),
                ));
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

/// A double-quoted string; `\"` and `\\` escape a quote and a backslash. Returns the text and the index after
/// the closing quote.
fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), FormulaError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FormulaError::at(
                    start,
                    "This string is never closed; expected '\"'",
                ))
            }
            Some('"') => return Ok((s, i + 1)),
            Some('\\') if matches!(chars.get(i + 1), Some('"') | Some('\\')) => {
                if let Some(&c) = chars.get(i + 1) {
                    s.push(c);
                }
                i += 2;
            }
            Some(&c) => {
                s.push(c);
                i += 1;
            }
        }
    }
}

fn lex_number(chars: &[char], start: usize) -> Result<(Decimal, usize), FormulaError> {
    let mut end = start;
    while chars.get(end).is_some_and(char::is_ascii_digit) {
        end += 1;
    }
    if chars.get(end) == Some(&'.') {
        end += 1;
        while chars.get(end).is_some_and(char::is_ascii_digit) {
            end += 1;
        }
    }
    if chars.get(end).is_some_and(|&c| starts_ident(c)) {
        return Err(FormulaError::at(
            end,
            "A number must not run into a name; field codes cannot start with a digit",
        ));
    }
    let text: String = chars.get(start..end).unwrap_or_default().iter().collect();
    // Decimal keeps 28 significant digits; longer integer parts do not fit.
    let n = Decimal::from_str(&text)
        .map_err(|_| FormulaError::at(start, format!("The number {text} is too large")))?;
    Ok((n, end))
}
