//! The search's fast path, taken when no searched app needs a check per record (issue 18: search over
//! all apps at 1M records). Instead of collecting every matching record into a map and sorting them
//! all (`collector::RecordCollector`), one pass over the matching parts
//! - marks each record in a bitset of record ids per app (`RecordSet`), which counts distinct records
//!   exactly, per app, without hashing, and
//! - keeps only the best `offset + size` records (`TopRecords`, a bounded heap keyed by record that
//!   keeps each record's best part), so the work per part is a bit set and, for most parts, one
//!   comparison with the worst record kept.
//!
//! Searches of several groups (words that may sit in different parts of a record) or with excluded
//! words collect each group's records with their best part into dense arrays (`ScoreSheet`), the
//! excluded words' records into a `RecordSet`, and `combine` them.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::collector::{better_part, RecordHit, RecordMap};
use crate::search::{compare_hits, Sort};

/// Largest record id the fast path is used for (a bitset of 2 MiB and, per group of a query of
/// several, a sheet of 200 MB for an app with that many records); an index with larger ids takes
/// the general path (`fits`).
const MAX_BITSET_RECORD_ID: u64 = 1 << 24;

/// The searched apps, each with a slot (its position in the sorted id list).
#[derive(Debug)]
pub struct AppSlots {
    ids: Vec<u64>,
}

impl AppSlots {
    pub fn new(apps: impl IntoIterator<Item = i64>) -> AppSlots {
        let mut ids: Vec<u64> = apps
            .into_iter()
            .filter_map(|a| u64::try_from(a).ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        AppSlots { ids }
    }

    fn slot(&self, app: u64) -> Option<usize> {
        self.ids.binary_search(&app).ok()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The app id of `slot`.
    pub fn app(&self, slot: usize) -> i64 {
        self.ids
            .get(slot)
            .and_then(|&a| i64::try_from(a).ok())
            .unwrap_or(0)
    }
}

/// Whether every record id in the index is small enough for the bitsets.
pub fn fits(searcher: &tantivy::Searcher) -> bool {
    searcher.segment_readers().iter().all(|reader| {
        reader
            .fast_fields()
            .u64("record_id")
            .map(|c| c.max_value() <= MAX_BITSET_RECORD_ID)
            .unwrap_or(false)
    })
}

/// A set of records: one bitset of record ids per app slot.
#[derive(Debug, Clone, Default)]
pub struct RecordSet {
    apps: Vec<Vec<u64>>,
}

impl RecordSet {
    fn for_slots(n: usize) -> RecordSet {
        RecordSet {
            apps: vec![Vec::new(); n],
        }
    }

    fn insert(&mut self, slot: usize, record: u64) {
        let Some(bits) = self.apps.get_mut(slot) else {
            return;
        };
        let word = (record / 64) as usize;
        if word >= bits.len() {
            bits.resize(word + 1, 0);
        }
        bits[word] |= 1 << (record % 64);
    }

    pub fn contains(&self, slot: usize, record: u64) -> bool {
        let word = (record / 64) as usize;
        self.apps
            .get(slot)
            .and_then(|bits| bits.get(word))
            .is_some_and(|w| w & (1 << (record % 64)) != 0)
    }

    pub fn union_with(&mut self, other: &RecordSet) {
        for (mine, theirs) in self.apps.iter_mut().zip(&other.apps) {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m |= t;
            }
        }
    }

    /// Records per slot.
    pub fn counts(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.apps
            .iter()
            .enumerate()
            .map(|(slot, bits)| (slot, bits.iter().map(|w| w.count_ones() as usize).sum()))
    }
}

/// The best `want` records in `sort` order, each through its best-scoring part: a heap with the
/// worst record kept at the root, and where each record sits in it.
pub struct TopRecords {
    want: usize,
    sort: Sort,
    heap: Vec<RecordHit>,
    at: RecordMap<usize>,
}

fn key(h: &RecordHit) -> (u64, u64) {
    (h.app as u64, h.record as u64)
}

impl TopRecords {
    pub fn new(want: usize, sort: Sort) -> TopRecords {
        TopRecords {
            want,
            sort,
            heap: Vec::new(),
            at: RecordMap::default(),
        }
    }

    /// Whether a part scoring `score` of a record not kept yet cannot enter (cheap test before the
    /// update time is read).
    fn rejects_score(&self, score: Score) -> bool {
        self.sort == Sort::Best
            && self.heap.len() >= self.want
            && self.heap.first().is_some_and(|worst| score < worst.score)
    }

    fn rejects_updated(&self, updated: i64) -> bool {
        self.sort == Sort::Newest
            && self.heap.len() >= self.want
            && self
                .heap
                .first()
                .is_some_and(|worst| updated < worst.updated)
    }

    /// `a` comes after `b` in the result (is worse).
    fn worse(&self, a: &RecordHit, b: &RecordHit) -> bool {
        compare_hits(a, b, self.sort) == Ordering::Greater
    }

    pub fn offer(&mut self, hit: RecordHit) {
        if self.want == 0 {
            return;
        }
        if let Some(&i) = self.at.get(&key(&hit)) {
            // The record is kept: its best part decides its place; a better one moves it away
            // from the root.
            let kept = &self.heap[i];
            if better_part(hit.score, hit.doc, kept.score, kept.doc) {
                self.heap[i] = hit;
                self.sift_down(i);
            }
            return;
        }
        if self.heap.len() < self.want {
            self.heap.push(hit);
            let last = self.heap.len() - 1;
            self.at.insert(key(&hit), last);
            self.sift_up(last);
            return;
        }
        if self.worse(&self.heap[0], &hit) {
            self.at.remove(&key(&self.heap[0]));
            self.heap[0] = hit;
            self.at.insert(key(&hit), 0);
            self.sift_down(0);
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.at.insert(key(&self.heap[i]), i);
        self.at.insert(key(&self.heap[j]), j);
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.worse(&self.heap[i], &self.heap[parent]) {
                self.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (left, right) = (2 * i + 1, 2 * i + 2);
            let mut worst = i;
            if left < self.heap.len() && self.worse(&self.heap[left], &self.heap[worst]) {
                worst = left;
            }
            if right < self.heap.len() && self.worse(&self.heap[right], &self.heap[worst]) {
                worst = right;
            }
            if worst == i {
                break;
            }
            self.swap(i, worst);
            i = worst;
        }
    }

    /// The kept records, best first.
    pub fn into_sorted(self) -> Vec<RecordHit> {
        let mut hits = self.heap;
        hits.sort_unstable_by(|a, b| compare_hits(a, b, self.sort));
        hits
    }
}

/// The columns every segment collector reads, and the slot of the last app seen (the parts of one
/// record, and mostly of one app, are neighbours in a segment).
struct Columns {
    slots: Arc<AppSlots>,
    app: Column<u64>,
    record: Column<u64>,
    last: Option<(u64, Option<usize>)>,
}

impl Columns {
    fn open(slots: &Arc<AppSlots>, reader: &SegmentReader) -> tantivy::Result<Columns> {
        let fast = reader.fast_fields();
        Ok(Columns {
            slots: Arc::clone(slots),
            app: fast.u64("app_id")?,
            record: fast.u64("record_id")?,
            last: None,
        })
    }

    /// The part's app slot (`None`: an app not searched) and record id.
    fn record_of(&mut self, doc: DocId) -> Option<(usize, u64)> {
        let app = self.app.first(doc)?;
        let slot = match self.last {
            Some((last, slot)) if last == app => slot,
            _ => {
                let slot = self.slots.slot(app);
                self.last = Some((app, slot));
                slot
            }
        }?;
        Some((slot, self.record.first(doc)?))
    }
}

/// Collects what a single-group search needs: every matching record (counted per app) and the
/// page's best records, best first.
pub struct PageCollector {
    pub slots: Arc<AppSlots>,
    pub want: usize,
    pub sort: Sort,
}

pub struct PageSegmentCollector {
    segment: SegmentOrdinal,
    cols: Columns,
    updated: Column<i64>,
    matched: RecordSet,
    top: TopRecords,
}

impl Collector for PageCollector {
    type Fruit = (RecordSet, Vec<RecordHit>);
    type Child = PageSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<PageSegmentCollector> {
        Ok(PageSegmentCollector {
            segment,
            cols: Columns::open(&self.slots, reader)?,
            updated: reader.fast_fields().i64("updated")?,
            matched: RecordSet::for_slots(self.slots.len()),
            top: TopRecords::new(self.want, self.sort),
        })
    }

    fn requires_scoring(&self) -> bool {
        // Also for `Newest`: records updated in the same second are ordered by score.
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(RecordSet, Vec<RecordHit>)>,
    ) -> tantivy::Result<(RecordSet, Vec<RecordHit>)> {
        let mut matched = RecordSet::for_slots(self.slots.len());
        let mut top = TopRecords::new(self.want, self.sort);
        for (set, hits) in fruits {
            matched.union_with(&set);
            for h in hits {
                top.offer(h);
            }
        }
        Ok((matched, top.into_sorted()))
    }
}

impl SegmentCollector for PageSegmentCollector {
    type Fruit = (RecordSet, Vec<RecordHit>);

    fn collect(&mut self, doc: DocId, score: Score) {
        let Some((slot, record)) = self.cols.record_of(doc) else {
            return;
        };
        self.matched.insert(slot, record);
        if self.top.rejects_score(score) {
            return;
        }
        let updated = self.updated.first(doc).unwrap_or(0);
        if self.top.rejects_updated(updated) {
            return;
        }
        self.top.offer(RecordHit {
            app: self.cols.slots.app(slot),
            record: i64::try_from(record).unwrap_or(0),
            score,
            updated,
            doc: DocAddress::new(self.segment, doc),
        });
    }

    fn harvest(self) -> (RecordSet, Vec<RecordHit>) {
        (self.matched, self.top.into_sorted())
    }
}

/// Collects the matching records without scoring.
pub struct MatchCollector {
    pub slots: Arc<AppSlots>,
}

pub struct MatchSegmentCollector {
    cols: Columns,
    matched: RecordSet,
}

impl Collector for MatchCollector {
    type Fruit = RecordSet;
    type Child = MatchSegmentCollector;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<MatchSegmentCollector> {
        Ok(MatchSegmentCollector {
            cols: Columns::open(&self.slots, reader)?,
            matched: RecordSet::for_slots(self.slots.len()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RecordSet>) -> tantivy::Result<RecordSet> {
        let mut matched = RecordSet::for_slots(self.slots.len());
        for set in &fruits {
            matched.union_with(set);
        }
        Ok(matched)
    }
}

impl SegmentCollector for MatchSegmentCollector {
    type Fruit = RecordSet;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some((slot, record)) = self.cols.record_of(doc) {
            self.matched.insert(slot, record);
        }
    }

    fn harvest(self) -> RecordSet {
        self.matched
    }
}

/// A record's best part in one group.
#[derive(Debug, Clone, Copy)]
struct Best {
    score: Score,
    segment: SegmentOrdinal,
    doc: DocId,
}

impl Best {
    fn better_than(&self, other: &Best) -> bool {
        better_part(
            self.score,
            DocAddress::new(self.segment, self.doc),
            other.score,
            DocAddress::new(other.segment, other.doc),
        )
    }
}

/// A negative score: the group did not match the record.
const ABSENT: Best = Best {
    score: -1.0,
    segment: 0,
    doc: 0,
};

/// One group's matching records with their best part: per app slot, an entry per record id. Dense
/// arrays (12 bytes a record id) instead of a map: a broad word matches a large share of the
/// records, and every matching part updates its record.
#[derive(Debug, Default)]
pub struct ScoreSheet {
    apps: Vec<Vec<Best>>,
}

impl ScoreSheet {
    fn for_slots(n: usize) -> ScoreSheet {
        ScoreSheet {
            apps: vec![Vec::new(); n],
        }
    }

    fn keep_best(&mut self, slot: usize, record: usize, part: Best) {
        let Some(records) = self.apps.get_mut(slot) else {
            return;
        };
        if record >= records.len() {
            records.resize(record + 1, ABSENT);
        }
        if part.better_than(&records[record]) {
            records[record] = part;
        }
    }

    fn get(&self, slot: usize, record: usize) -> Option<&Best> {
        self.apps
            .get(slot)
            .and_then(|records| records.get(record))
            .filter(|b| b.score >= 0.0)
    }

    fn merge(&mut self, other: ScoreSheet) {
        for (slot, records) in other.apps.into_iter().enumerate() {
            for (record, b) in records.into_iter().enumerate() {
                if b.score >= 0.0 {
                    self.keep_best(slot, record, b);
                }
            }
        }
    }
}

/// Records matching every sheet's group and none in `gone`, counted per app, with the best `want`
/// in `sort` order: a record's score is the sum of its groups' scores, its part the best-scoring one.
pub fn combine(
    searcher: &tantivy::Searcher,
    slots: &AppSlots,
    sheets: &[ScoreSheet],
    gone: Option<&RecordSet>,
    want: usize,
    sort: Sort,
) -> tantivy::Result<(RecordSet, Vec<RecordHit>)> {
    let Some((first, rest)) = sheets.split_first() else {
        return Ok((RecordSet::default(), Vec::new()));
    };
    let mut updated: Vec<Column<i64>> = Vec::new();
    for reader in searcher.segment_readers() {
        updated.push(reader.fast_fields().i64("updated")?);
    }
    let mut matched = RecordSet::for_slots(slots.len());
    let mut top = TopRecords::new(want, sort);
    for (slot, records) in first.apps.iter().enumerate() {
        'records: for (record, b) in records.iter().enumerate() {
            if b.score < 0.0 || gone.is_some_and(|g| g.contains(slot, record as u64)) {
                continue;
            }
            let mut best = *b;
            let mut total = b.score;
            for sheet in rest {
                let Some(other) = sheet.get(slot, record) else {
                    continue 'records;
                };
                total += other.score;
                if other.better_than(&best) {
                    best = *other;
                }
            }
            matched.insert(slot, record as u64);
            if top.rejects_score(total) {
                continue;
            }
            let hit = RecordHit {
                app: slots.app(slot),
                record: i64::try_from(record).unwrap_or(0),
                score: total,
                updated: updated
                    .get(best.segment as usize)
                    .and_then(|c| c.first(best.doc))
                    .unwrap_or(0),
                doc: DocAddress::new(best.segment, best.doc),
            };
            top.offer(hit);
        }
    }
    Ok((matched, top.into_sorted()))
}

/// Collects a group's `ScoreSheet`. Segments fill one sheet in turn (a finished segment leaves its
/// sheet in `spare` for the next), so the arrays are allocated once per search, not per segment.
pub struct SheetCollector {
    slots: Arc<AppSlots>,
    spare: Arc<Mutex<Vec<ScoreSheet>>>,
}

impl SheetCollector {
    pub fn new(slots: &Arc<AppSlots>) -> SheetCollector {
        SheetCollector {
            slots: Arc::clone(slots),
            spare: Arc::default(),
        }
    }
}

pub struct SheetSegmentCollector {
    segment: SegmentOrdinal,
    cols: Columns,
    sheet: ScoreSheet,
    spare: Arc<Mutex<Vec<ScoreSheet>>>,
}

fn lock(spare: &Mutex<Vec<ScoreSheet>>) -> std::sync::MutexGuard<'_, Vec<ScoreSheet>> {
    // A panic elsewhere cannot leave a sheet half-written in the list: sheets are moved whole.
    spare
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Collector for SheetCollector {
    type Fruit = ScoreSheet;
    type Child = SheetSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SheetSegmentCollector> {
        let sheet = lock(&self.spare)
            .pop()
            .unwrap_or_else(|| ScoreSheet::for_slots(self.slots.len()));
        Ok(SheetSegmentCollector {
            segment,
            cols: Columns::open(&self.slots, reader)?,
            sheet,
            spare: Arc::clone(&self.spare),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, _fruits: Vec<()>) -> tantivy::Result<ScoreSheet> {
        let mut sheets = std::mem::take(&mut *lock(&self.spare)).into_iter();
        let mut sheet = sheets
            .next()
            .unwrap_or_else(|| ScoreSheet::for_slots(self.slots.len()));
        for more in sheets {
            sheet.merge(more);
        }
        Ok(sheet)
    }
}

impl SegmentCollector for SheetSegmentCollector {
    type Fruit = ();

    fn collect(&mut self, doc: DocId, score: Score) {
        let Some((slot, record)) = self.cols.record_of(doc) else {
            return;
        };
        let part = Best {
            score,
            segment: self.segment,
            doc,
        };
        self.sheet.keep_best(slot, record as usize, part);
    }

    fn harvest(self) {
        lock(&self.spare).push(self.sheet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(app: i64, record: i64, score: f32, updated: i64) -> RecordHit {
        RecordHit {
            app,
            record,
            score,
            updated,
            doc: DocAddress::new(0, record as u32),
        }
    }

    #[test]
    fn the_top_keeps_each_records_best_part_and_the_best_records() {
        let mut top = TopRecords::new(3, Sort::Best);
        for (record, score) in [
            (1, 1.0),
            (2, 5.0),
            (3, 2.0),
            (1, 9.0),
            (4, 3.0),
            (3, 0.5),
            (5, 0.1),
        ] {
            top.offer(h(1, record, score, 0));
        }
        let kept: Vec<(i64, f32)> = top
            .into_sorted()
            .iter()
            .map(|h| (h.record, h.score))
            .collect();
        assert_eq!(kept, vec![(1, 9.0), (2, 5.0), (4, 3.0)]);
    }

    #[test]
    fn the_top_by_update_time_breaks_ties_by_score_then_record() {
        let mut top = TopRecords::new(2, Sort::Newest);
        for (record, score, updated) in [(1, 1.0, 10), (2, 5.0, 30), (3, 2.0, 30), (4, 9.0, 20)] {
            top.offer(h(7, record, score, updated));
        }
        let kept: Vec<i64> = top.into_sorted().iter().map(|h| h.record).collect();
        assert_eq!(kept, vec![2, 3]);
    }

    #[test]
    fn the_top_matches_a_full_sort_of_every_record() {
        // Pseudo-random parts of 300 records in 3 apps; the top 25 must equal the first 25 of all
        // records sorted, each through its best part.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for sort in [Sort::Best, Sort::Newest] {
            let mut top = TopRecords::new(25, sort);
            let mut all: RecordMap<RecordHit> = RecordMap::default();
            for _ in 0..2000 {
                let app = (next() % 3) as i64 + 1;
                let record = (next() % 100) as i64 + 1;
                let part = h(app, record, (next() % 50) as f32, record % 17);
                top.offer(part);
                all.entry((app as u64, record as u64))
                    .and_modify(|h| {
                        if part.score > h.score {
                            *h = part;
                        }
                    })
                    .or_insert(part);
            }
            let mut expected: Vec<RecordHit> = all.into_values().collect();
            expected.sort_unstable_by(|a, b| compare_hits(a, b, sort));
            let want: Vec<(i64, i64, f32)> = expected
                .iter()
                .take(25)
                .map(|h| (h.app, h.record, h.score))
                .collect();
            let got: Vec<(i64, i64, f32)> = top
                .into_sorted()
                .iter()
                .map(|h| (h.app, h.record, h.score))
                .collect();
            assert_eq!(got, want, "{sort:?}");
        }
    }

    #[test]
    fn record_sets_count_merge_and_grow() {
        let mut a = RecordSet::for_slots(2);
        for r in [1, 64, 65, 1000, 1000] {
            a.insert(0, r);
        }
        a.insert(1, 3);
        let mut b = RecordSet::for_slots(2);
        b.insert(0, 64);
        b.insert(0, 1000);
        b.insert(0, 5000);
        assert_eq!(a.counts().collect::<Vec<_>>(), vec![(0, 4), (1, 1)]);
        a.union_with(&b);
        assert_eq!(a.counts().collect::<Vec<_>>(), vec![(0, 5), (1, 1)]);
        assert!(a.contains(0, 65) && a.contains(0, 5000) && !a.contains(0, 66));
        assert!(!a.contains(1, 64) && !a.contains(3, 1));
    }
}
