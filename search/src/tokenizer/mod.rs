//! The Japanese analyzer: what text becomes searchable terms, for tantivy.
//!
//! Japanese has no spaces between words and we ship no dictionary, so CJK text is cut into
//! overlapping bigrams (東京都 → 東京, 京都) with one position per bigram; a phrase query then
//! matches exactly the substrings a user typed (市町村 matches 市町村課 but not 市町合併と町村).
//! Index time also stores every CJK char as a unigram at its bigram's position so that a
//! one-character query (県) finds it; query time uses bigrams only, which keeps queries fast.
//!
//! Before cutting, every char is folded (NFKC per char, half-width dakuten re-joined, lower case)
//! while the tokens keep the byte offsets of the ORIGINAL text, so snippets highlight what the user
//! wrote. Latin letters and digits form one lower-cased token per word. Whitespace between two CJK
//! chars (a line break, or the spaces pdf-extract puts between text runs) does not split a CJK run;
//! any other punctuation does.

// The folding is the engine's, so `like` and the index cannot drift apart.
pub(crate) use kumiki_engine::query::fold::{fold_chars, FoldedChar};
use tantivy::tokenizer::{
    RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// The name the analyzers are registered under; use it in the schema's `TextFieldIndexing`.
pub const JA: &str = "ja";

/// Tokens this long (bytes) or longer are dropped: tantivy rejects huge terms, and a 100-byte
/// "word" is a hash or a base64 blob nobody searches for.
const MAX_TOKEN_BYTES: usize = 100;

/// The analyzer for indexing: CJK bigrams plus every CJK char as a unigram, Latin words.
pub fn index_analyzer() -> TextAnalyzer {
    analyzer(true)
}

/// The analyzer for parsing queries: CJK bigrams only (a lone CJK char is still its unigram).
pub fn query_analyzer() -> TextAnalyzer {
    analyzer(false)
}

/// Registers [`index_analyzer`] as [`JA`] on `index`, so documents are indexed with it.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(JA, index_analyzer());
}

/// tantivy's default tokenizers plus [`JA`] mapped to [`query_analyzer`]; pass it to
/// `QueryParser::new` so that queries are cut into bigrams only.
pub fn query_tokenizer_manager() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(JA, query_analyzer());
    manager
}

/// `text` folded the way the analyzers fold it (NFKC per char, dakuten re-joined, lower case),
/// whitespace kept. `fold(haystack).contains(&fold(needle))` is the "substring truth" that search
/// results are compared with, and what `like` compares in SQL (`kumiki_engine::query::fold`).
pub fn fold(text: &str) -> String {
    kumiki_engine::query::fold::fold(text)
}

fn analyzer(unigrams: bool) -> TextAnalyzer {
    TextAnalyzer::builder(JaTokenizer::new(unigrams))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .build()
}

/// The tokenizer behind both analyzers; `unigrams` is on for indexing.
#[derive(Clone, Debug)]
pub struct JaTokenizer {
    unigrams: bool,
    folded: Vec<FoldedChar>,
    run: Vec<usize>,
    tokens: Vec<Token>,
}

impl JaTokenizer {
    /// A tokenizer that also emits CJK unigrams when `unigrams` is true.
    pub fn new(unigrams: bool) -> Self {
        JaTokenizer {
            unigrams,
            folded: Vec::new(),
            run: Vec::new(),
            tokens: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Cjk,
    Word,
    Space,
    Separator,
}

fn classify(ch: char) -> CharClass {
    if is_cjk(ch) {
        CharClass::Cjk
    } else if ch.is_alphanumeric() {
        CharClass::Word
    } else if ch.is_whitespace() {
        CharClass::Space
    } else {
        CharClass::Separator
    }
}

/// Hiragana, katakana (with ー, without the ・ separator), CJK ideographs (all planes, compatibility
/// ideographs), 々〆〇〻, and Hangul syllables: scripts written without spaces between words.
pub(crate) fn is_cjk(ch: char) -> bool {
    matches!(ch,
        '\u{3005}'..='\u{3007}' | '\u{303B}'
        | '\u{3041}'..='\u{309F}'
        | '\u{30A0}'..='\u{30FA}' | '\u{30FC}'..='\u{30FF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}')
}

impl Tokenizer for JaTokenizer {
    type TokenStream<'a> = JaTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JaTokenStream<'a> {
        fold_chars(text, &mut self.folded);
        self.tokens.clear();
        let chars = &self.folded;
        let mut position = 0;
        let mut i = 0;
        while i < chars.len() {
            match classify(chars[i].ch) {
                CharClass::Cjk => {
                    i = collect_cjk_run(chars, i, &mut self.run);
                    position =
                        push_cjk_run(chars, &self.run, position, self.unigrams, &mut self.tokens);
                }
                CharClass::Word => {
                    let start = i;
                    while i < chars.len() && classify(chars[i].ch) == CharClass::Word {
                        i += 1;
                    }
                    let word = &chars[start..i];
                    self.tokens.push(token(word, position));
                    position += 1;
                }
                CharClass::Space | CharClass::Separator => i += 1,
            }
        }
        JaTokenStream {
            tokens: &mut self.tokens,
            next: 0,
            empty: Token::default(),
        }
    }
}

/// Fills `run` with the indices of the CJK chars starting at `start`, skipping whitespace that has
/// CJK on both sides; returns the index just after the last CJK char of the run.
fn collect_cjk_run(chars: &[FoldedChar], start: usize, run: &mut Vec<usize>) -> usize {
    run.clear();
    run.push(start);
    let mut after = start + 1;
    loop {
        let mut next = after;
        while next < chars.len() && classify(chars[next].ch) == CharClass::Space {
            next += 1;
        }
        if next < chars.len() && classify(chars[next].ch) == CharClass::Cjk {
            run.push(next);
            after = next + 1;
        } else {
            return after;
        }
    }
}

/// Pushes the tokens of one CJK run starting at `position`; returns the next free position.
/// Bigram b sits at position + b; char c's unigram sits at its bigram's position (the last char at
/// the last bigram's), so a token right after the run (at the returned position) is adjacent to
/// both the last bigram and the last char.
fn push_cjk_run(
    chars: &[FoldedChar],
    run: &[usize],
    position: usize,
    unigrams: bool,
    tokens: &mut Vec<Token>,
) -> usize {
    if run.len() == 1 {
        tokens.push(token(&[chars[run[0]]], position));
        return position + 1;
    }
    for (offset, pair) in run.windows(2).enumerate() {
        let at = position + offset;
        tokens.push(token(&[chars[pair[0]], chars[pair[1]]], at));
        if unigrams {
            tokens.push(token(&[chars[pair[0]]], at));
            if offset + 2 == run.len() {
                tokens.push(token(&[chars[pair[1]]], at));
            }
        }
    }
    position + run.len() - 1
}

fn token(chars: &[FoldedChar], position: usize) -> Token {
    let offset_from = chars.first().map_or(0, |c| c.start);
    let offset_to = chars.iter().map(|c| c.end).max().unwrap_or(offset_from);
    Token {
        offset_from,
        offset_to,
        position,
        text: chars.iter().map(|c| c.ch).collect(),
        position_length: 1,
    }
}

/// The tokens of one text, computed up front by [`JaTokenizer::token_stream`] (and by the word
/// tokenizer in `morph`).
pub struct JaTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
    /// Returned by `token()` before the first `advance()`, instead of panicking.
    empty: Token,
}

impl<'a> JaTokenStream<'a> {
    pub(crate) fn over(tokens: &'a mut Vec<Token>) -> Self {
        JaTokenStream {
            tokens,
            next: 0,
            empty: Token::default(),
        }
    }
}

impl TokenStream for JaTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        self.next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .unwrap_or(&self.empty)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) if i < self.tokens.len() => &mut self.tokens[i],
            _ => &mut self.empty,
        }
    }
}

#[cfg(test)]
mod tests;
