//! Collects matching parts into matching RECORDS: the best-scoring part of each record, with the
//! record's update time (fast fields, no stored-document reads).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// A record that matched, through its best part.
#[derive(Debug, Clone, Copy)]
pub struct RecordHit {
    pub app: i64,
    pub record: i64,
    pub score: Score,
    pub updated: i64,
    /// The best part's document.
    pub doc: DocAddress,
}

/// Whether a part scoring `score` at `doc` is a better representative of its record than one
/// scoring `than` at `than_doc`: the higher score, and of equal scores the first document, so that
/// every path of a search picks the same part whatever order it visits the parts in.
pub fn better_part(score: Score, doc: DocAddress, than: Score, than_doc: DocAddress) -> bool {
    score > than || (score == than && doc < than_doc)
}

pub struct RecordCollector;

/// A hasher for the collector's (app, record) keys. Every hit of a broad query goes through the
/// map, and std's SipHash (DoS-resistant, which keys chosen by us do not need) was the top cost of
/// all-app queries in the 1M benchmark. Multiply-xorshift mixing of the two integers is enough.
#[derive(Default)]
pub struct RecordKeyHasher(u64);

impl Hasher for RecordKeyHasher {
    fn finish(&self) -> u64 {
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(23) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Maps keyed by (app, record).
pub type RecordMap<V> = HashMap<(u64, u64), V, BuildHasherDefault<RecordKeyHasher>>;

pub struct RecordSegmentCollector {
    segment: SegmentOrdinal,
    app: Column<u64>,
    record: Column<u64>,
    updated: Column<i64>,
    best: RecordMap<RecordHit>,
}

fn keep_best(best: &mut RecordMap<RecordHit>, key: (u64, u64), hit: RecordHit) {
    best.entry(key)
        .and_modify(|h| {
            if better_part(hit.score, hit.doc, h.score, h.doc) {
                *h = hit;
            }
        })
        .or_insert(hit);
}

impl Collector for RecordCollector {
    type Fruit = Vec<RecordHit>;
    type Child = RecordSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<RecordSegmentCollector> {
        let fast = reader.fast_fields();
        Ok(RecordSegmentCollector {
            segment,
            app: fast.u64("app_id")?,
            record: fast.u64("record_id")?,
            updated: fast.i64("updated")?,
            best: RecordMap::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<RecordHit>>) -> tantivy::Result<Vec<RecordHit>> {
        if fruits.len() == 1 {
            return Ok(fruits.into_iter().flatten().collect());
        }
        let mut best = RecordMap::default();
        for hit in fruits.into_iter().flatten() {
            let key = (hit.app as u64, hit.record as u64);
            keep_best(&mut best, key, hit);
        }
        Ok(best.into_values().collect())
    }
}

impl SegmentCollector for RecordSegmentCollector {
    type Fruit = Vec<RecordHit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let (Some(app), Some(record)) = (self.app.first(doc), self.record.first(doc)) else {
            return;
        };
        let hit = RecordHit {
            app: i64::try_from(app).unwrap_or(0),
            record: i64::try_from(record).unwrap_or(0),
            score,
            updated: self.updated.first(doc).unwrap_or(0),
            doc: DocAddress::new(self.segment, doc),
        };
        keep_best(&mut self.best, (app, record), hit);
    }

    fn harvest(self) -> Vec<RecordHit> {
        self.best.into_values().collect()
    }
}
