//! The tantivy adapter over lindera: the text is folded exactly like the bigram analyzer folds it
//! (NFKC per char, dakuten re-joined, lower case), cut into dictionary words, and every word keeps
//! the byte range of the ORIGINAL text it came from, so snippets highlight what the user wrote.

use std::borrow::Cow;
use std::sync::Arc;

use lindera::segmenter::Segmenter;
use tantivy::tokenizer::{Token, Tokenizer};

use crate::tokenizer::{fold_chars, FoldedChar, JaTokenStream};

/// Dictionary words of the folded text; punctuation-only words are dropped.
#[derive(Clone)]
pub struct MorphTokenizer {
    segmenter: Arc<Segmenter>,
    folded: Vec<FoldedChar>,
    /// Byte offset in the folded string of each folded char (same length as `folded`).
    folded_starts: Vec<usize>,
    tokens: Vec<Token>,
}

impl MorphTokenizer {
    pub fn new(segmenter: Arc<Segmenter>) -> Self {
        MorphTokenizer {
            segmenter,
            folded: Vec::new(),
            folded_starts: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// The index of the folded char starting at folded byte `offset` (or the first one after it).
    fn char_at(&self, offset: usize) -> usize {
        self.folded_starts.partition_point(|&start| start < offset)
    }
}

impl Tokenizer for MorphTokenizer {
    type TokenStream<'a> = JaTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JaTokenStream<'a> {
        fold_chars(text, &mut self.folded);
        self.tokens.clear();
        self.folded_starts.clear();
        let mut normalized = String::with_capacity(text.len());
        for c in &self.folded {
            self.folded_starts.push(normalized.len());
            normalized.push(c.ch);
        }
        let words = match self.segmenter.segment(Cow::Borrowed(normalized.as_str())) {
            Ok(words) => words,
            Err(e) => {
                // Never fails on valid UTF-8 in practice; the bigram field still has the text.
                tracing::warn!(error = %e, "word segmentation failed; text not word-indexed");
                Vec::new()
            }
        };
        let mut position = 0;
        let mut tokens = Vec::with_capacity(words.len());
        for word in &words {
            if !word.surface.chars().any(char::is_alphanumeric) {
                continue;
            }
            let first = self.char_at(word.byte_start);
            let last = self.char_at(word.byte_end);
            let Some(chars) = self.folded.get(first..last).filter(|c| !c.is_empty()) else {
                continue;
            };
            let offset_from = chars[0].start;
            let offset_to = chars.iter().map(|c| c.end).max().unwrap_or(offset_from);
            tokens.push(Token {
                offset_from,
                offset_to,
                position,
                text: word.surface.to_string(),
                position_length: 1,
            });
            position += 1;
        }
        self.tokens = tokens;
        JaTokenStream::over(&mut self.tokens)
    }
}
