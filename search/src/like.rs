//! kintone `like` through the index: the engine's query compiler asks for the records whose part of
//! a field may contain a pattern ([`TextMatcher`]), and keeps its own exact `LIKE` test on them.
//! Only patterns made of CJK characters are answered: the index holds every CJK bigram and unigram,
//! so it finds every record whose text contains such a pattern (a superset, never fewer), whereas
//! Latin words are indexed whole and a part of a word would be missed.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use kumiki_engine::query::{LikeCandidates, TextMatcher};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::collector::RecordCollector;
use crate::index::SearchIndex;
use crate::indexer::Progress;
use crate::query::{item_query, Item};
use crate::schema::PartKind;
use crate::tokenizer;

/// Beyond this many candidate records: no answer (the ids are bound parameters, and SQLite allows
/// 32,766 a statement; the plain probe is then used).
const MAX_CANDIDATES: usize = 5_000;

pub struct IndexLike {
    pub(crate) index: SearchIndex,
    pub(crate) progress: Arc<Progress>,
}

impl std::fmt::Debug for IndexLike {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexLike").finish_non_exhaustive()
    }
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

impl TextMatcher for IndexLike {
    fn like_candidates(&self, field: &str, text: &str, file_field: bool) -> Option<LikeCandidates> {
        let folded = tokenizer::fold(text);
        if folded.is_empty() || !folded.chars().all(tokenizer::is_cjk) {
            return None;
        }
        // The position first: the reader taken after it covers at least that much.
        let position = self.progress.position.load(Ordering::Relaxed);
        if position < 0 || self.progress.rebuilding.load(Ordering::Relaxed) {
            return None;
        }
        let f = &self.index.fields;
        let phrase = item_query(
            f.text,
            &Item {
                text: text.to_owned(),
                quoted: true,
            },
        )?;
        let kind = if file_field {
            PartKind::File
        } else {
            PartKind::Field
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, phrase),
            (Occur::Must, term(f.field_code, field)),
            (Occur::Must, term(f.kind, kind.as_str())),
        ]);
        let hits = self
            .index
            .reader
            .searcher()
            .search(&query, &RecordCollector)
            .ok()?;
        if hits.len() > MAX_CANDIDATES {
            return None;
        }
        let mut record_ids: Vec<i64> = hits.iter().map(|h| h.record).collect();
        record_ids.sort_unstable();
        record_ids.dedup();
        Some(LikeCandidates {
            position,
            record_ids,
        })
    }
}
