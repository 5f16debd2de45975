//! Collects matching parts into matching RECORDS: the best-scoring part of each record, with the
//! record's update time (fast fields, no stored-document reads).

use std::collections::HashMap;

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

pub struct RecordCollector;

pub struct RecordSegmentCollector {
    segment: SegmentOrdinal,
    app: Column<u64>,
    record: Column<u64>,
    updated: Column<i64>,
    best: HashMap<(u64, u64), RecordHit>,
}

fn keep_best(best: &mut HashMap<(u64, u64), RecordHit>, key: (u64, u64), hit: RecordHit) {
    best.entry(key)
        .and_modify(|h| {
            if hit.score > h.score {
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
            best: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<RecordHit>>) -> tantivy::Result<Vec<RecordHit>> {
        if fruits.len() == 1 {
            return Ok(fruits.into_iter().flatten().collect());
        }
        let mut best = HashMap::new();
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
