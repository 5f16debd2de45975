//! The searcher's query syntax and its translation to tantivy:
//! - words separated by spaces must all match (AND) — in the same part of a record;
//! - `"a phrase"` matches those words in sequence (a Japanese word is always matched as a phrase of
//!   its bigrams, so `市町村` never matches `市町…町村`);
//! - `a OR b` matches either (binds tighter than the implicit AND);
//! - `-word` / `-"phrase"` excludes parts that contain it.
//!
//! Syntax errors (an open quotation mark, a dangling `OR`, nothing but exclusions) are reported with a
//! message fit to show.

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::error::SearchError;
use crate::morph::Morph;
use crate::tokenizer;

/// How much a whole-word match (word field) adds over the bigram field's score.
const WORD_BOOST: f32 = 2.0;

/// Where items are searched: the bigram field, and the word field with its dictionary when the
/// index has one (`SearchIndex::text_target`). A bare `Field` means bigrams only.
#[derive(Clone, Copy)]
pub struct TextTarget<'a> {
    pub text: Field,
    pub words: Option<(Field, &'a Morph)>,
}

impl From<Field> for TextTarget<'_> {
    fn from(text: Field) -> Self {
        TextTarget { text, words: None }
    }
}

const MAX_QUERY_CHARS: usize = 1000;
const MAX_ITEMS: usize = 32;

/// One word or phrase as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub quoted: bool,
}

/// A parsed query: every group must match (a group matches when one of its items does), and no
/// excluded item may.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserQuery {
    pub groups: Vec<Vec<Item>>,
    pub excluded: Vec<Item>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Item { item: Item, negated: bool },
    Or,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '＂')
}

fn lex(q: &str) -> Result<Vec<Token>, SearchError> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' || c == '－' {
            chars.next();
            negated = true;
        }
        match chars.peek().copied() {
            Some(c) if is_quote(c) => {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if is_quote(c) {
                        closed = true;
                        break;
                    }
                    text.push(c);
                }
                if !closed {
                    return Err(SearchError::bad("q", "A quotation mark is not closed."));
                }
                out.push(Token::Item {
                    item: Item { text, quoted: true },
                    negated,
                });
            }
            _ => {
                let mut text = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || is_quote(c) {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
                if !negated && text == "OR" {
                    out.push(Token::Or);
                } else if !text.is_empty() {
                    out.push(Token::Item {
                        item: Item {
                            text,
                            quoted: false,
                        },
                        negated,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Parses the searcher's query.
pub fn parse(q: &str) -> Result<UserQuery, SearchError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(SearchError::bad(
            "q",
            format!("The query is longer than {MAX_QUERY_CHARS} characters."),
        ));
    }
    let tokens = lex(q)?;
    let mut parsed = UserQuery::default();
    let mut pending_or = false;
    for (i, t) in tokens.into_iter().enumerate() {
        match t {
            Token::Or => {
                if i == 0 || pending_or || parsed.groups.is_empty() {
                    return Err(SearchError::bad("q", "OR needs a word on each side."));
                }
                pending_or = true;
            }
            Token::Item { item, negated } => {
                if negated {
                    if pending_or {
                        return Err(SearchError::bad("q", "OR cannot join an excluded word."));
                    }
                    parsed.excluded.push(item);
                } else if pending_or {
                    if let Some(last) = parsed.groups.last_mut() {
                        last.push(item);
                    }
                    pending_or = false;
                } else {
                    parsed.groups.push(vec![item]);
                }
            }
        }
    }
    if pending_or {
        return Err(SearchError::bad("q", "OR needs a word on each side."));
    }
    if parsed.groups.is_empty() {
        return Err(SearchError::bad(
            "q",
            "Enter at least one word to search for (not only excluded words).",
        ));
    }
    let items = parsed.groups.iter().map(Vec::len).sum::<usize>() + parsed.excluded.len();
    if items > MAX_ITEMS {
        return Err(SearchError::bad(
            "q",
            format!("The query has more than {MAX_ITEMS} words."),
        ));
    }
    Ok(parsed)
}

/// The tantivy query of one item on the bigram field: a term, or a phrase of its tokens; `None`
/// when it has no searchable token (punctuation only).
pub(crate) fn item_query(field: Field, item: &Item) -> Option<Box<dyn Query>> {
    analyzed_query(field, &mut tokenizer::query_analyzer(), item)
}

/// The query of one item on `target`. With a word field it is `bigrams AND (bigrams OR words^2)`
/// in tantivy terms (Must bigrams, Should boosted words): the bigram query alone decides what
/// matches, so recall is exactly the bigram recall, and a whole-word match only adds score (京都
/// ranks 京都府 above 東京都庁, which it still finds).
fn target_query(target: TextTarget<'_>, item: &Item) -> Option<Box<dyn Query>> {
    let bigrams = item_query(target.text, item)?;
    let Some((field, morph)) = target.words else {
        return Some(bigrams);
    };
    let Some(words) = analyzed_query(field, &mut morph.analyzer(), item) else {
        return Some(bigrams);
    };
    Some(Box::new(BooleanQuery::new(vec![
        (Occur::Must, bigrams),
        (Occur::Should, Box::new(BoostQuery::new(words, WORD_BOOST))),
    ])))
}

fn analyzed_query(
    field: Field,
    analyzer: &mut tantivy::tokenizer::TextAnalyzer,
    item: &Item,
) -> Option<Box<dyn Query>> {
    let mut stream = analyzer.token_stream(&item.text);
    let mut terms: Vec<(usize, Term)> = Vec::new();
    let mut first: Option<usize> = None;
    while stream.advance() {
        let token = stream.token();
        let base = *first.get_or_insert(token.position);
        terms.push((
            token.position.saturating_sub(base),
            Term::from_field_text(field, &token.text),
        ));
    }
    match terms.len() {
        0 => None,
        1 => terms.pop().map(|(_, t)| {
            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>
        }),
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    }
}

fn and_within(q: Box<dyn Query>, within: Option<&dyn Query>) -> Box<dyn Query> {
    match within {
        None => q,
        Some(w) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Must, w.box_clone()),
        ])),
    }
}

impl UserQuery {
    /// One query per group (its alternatives OR-ed), for matching groups in DIFFERENT parts of a
    /// record: a record matches when every group matches one of its visible parts.
    pub fn group_queries<'a>(&self, target: impl Into<TextTarget<'a>>) -> Vec<Box<dyn Query>> {
        self.group_queries_within(target, None)
    }

    /// Like [`UserQuery::group_queries`], each alternative AND-ed with `within` (a filter such as
    /// the searched apps). The filter sits under the OR, not above it: tantivy answers a seek into
    /// an OR by reading every alternative over the next few thousand documents, so with the
    /// filter above, `補助金 OR 交付金` in one app matched both phrases over the whole index; below,
    /// each phrase is only tested on the filter's documents.
    pub fn group_queries_within<'a>(
        &self,
        target: impl Into<TextTarget<'a>>,
        within: Option<&dyn Query>,
    ) -> Vec<Box<dyn Query>> {
        let target = target.into();
        self.groups
            .iter()
            .filter_map(|group| {
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> = group
                    .iter()
                    .filter_map(|item| target_query(target, item))
                    .map(|q| (Occur::Should, and_within(q, within)))
                    .collect();
                match alternatives.len() {
                    0 => None,
                    1 => alternatives.pop().map(|(_, q)| q),
                    _ => Some(Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>),
                }
            })
            .collect()
    }

    /// One query per excluded item: a record with any visible part matching one is dropped.
    pub fn excluded_queries<'a>(&self, target: impl Into<TextTarget<'a>>) -> Vec<Box<dyn Query>> {
        self.excluded_queries_within(target, None)
    }

    /// Like [`UserQuery::excluded_queries`], each AND-ed with `within`.
    pub fn excluded_queries_within<'a>(
        &self,
        target: impl Into<TextTarget<'a>>,
        within: Option<&dyn Query>,
    ) -> Vec<Box<dyn Query>> {
        let field = target.into().text;
        self.excluded
            .iter()
            .filter_map(|item| item_query(field, item))
            .map(|q| and_within(q, within))
            .collect()
    }

    /// The text part of the search as a tantivy query on `field`. An item without a searchable
    /// token is ignored; a query left with nothing to match is an error.
    pub fn to_tantivy<'a>(
        &self,
        target: impl Into<TextTarget<'a>>,
    ) -> Result<Box<dyn Query>, SearchError> {
        let target = target.into();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .group_queries(target)
            .into_iter()
            .map(|q| (Occur::Must, q))
            .collect();
        if clauses.is_empty() {
            return Err(SearchError::bad(
                "q",
                "The query has no word that can be searched for.",
            ));
        }
        clauses.extend(
            self.excluded_queries(target)
                .into_iter()
                .map(|q| (Occur::MustNot, q)),
        );
        Ok(Box::new(BooleanQuery::new(clauses)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str, quoted: bool) -> Item {
        Item {
            text: text.to_owned(),
            quoted,
        }
    }

    #[test]
    fn words_phrases_or_and_exclusions() -> Result<(), SearchError> {
        let q = parse("補助金 \"空き家 対策\" 東京 OR 大阪 -廃止")?;
        assert_eq!(
            q.groups,
            vec![
                vec![item("補助金", false)],
                vec![item("空き家 対策", true)],
                vec![item("東京", false), item("大阪", false)],
            ]
        );
        assert_eq!(q.excluded, vec![item("廃止", false)]);
        let q = parse("　市町村　課　")?;
        assert_eq!(q.groups.len(), 2);
        Ok(())
    }

    #[test]
    fn bad_syntax_is_reported() {
        for bad in ["\"open", "OR x", "x OR", "x OR OR y", "-x", "", "x OR -y"] {
            assert!(
                matches!(parse(bad), Err(SearchError::BadRequest { param: "q", .. })),
                "{bad}"
            );
        }
    }
}
