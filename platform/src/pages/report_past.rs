//! Issue 16, periodic reports: the 「過去の集計結果」 section of the chart page — the periods whose
//! snapshots were kept (`reports::snapshots`), newest first, each a link that opens the table of
//! that snapshot on the same page (`?snapshot=<id>`), with its CSV (`?snapshot=<id>&format=csv`,
//! the live chart's CSV format).
//!
//! Whether the section lists anything is the engine's rule (`snapshots::list` / `open`, decided by
//! `acl::Access::sees_whole_app_totals`): a viewer that a record rule narrows gets a sentence
//! instead, since a snapshot counts every record.

use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{AppDefinition, LiveApp};
use kumiki_engine::db::DbConn;
use kumiki_engine::reports::aggregate::ReportData;
use kumiki_engine::reports::snapshots::{self, Past, SnapshotSummary};
use kumiki_engine::reports::Report;
use kumiki_engine::{EngineError, EngineResult};
use serde::Serialize;

use super::report_view::{self, DataTable, Words};
use crate::i18n::{self, Lang};

/// The snapshot asked for with `?snapshot=`, as loaded.
pub enum Opened {
    Shown {
        summary: SnapshotSummary,
        report: Box<Report>,
        data: ReportData,
        names: Vec<std::collections::HashMap<String, String>>,
    },
    /// Its chart no longer checks against the app or the viewer's field rights.
    Broken(SnapshotSummary),
    /// No such snapshot of this chart.
    Missing,
}

/// What the section shows, before words.
pub struct Loaded {
    /// The viewer may not see numbers of every record.
    pub hidden: bool,
    pub items: Vec<SnapshotSummary>,
    pub opened: Option<Opened>,
}

/// Loads the section for the viewer whose rights `live` carries.
pub fn load(
    conn: &mut DbConn,
    acting: &ActingContext,
    live: &LiveApp,
    report_id: &str,
    wanted: Option<i64>,
) -> EngineResult<Loaded> {
    let items = match snapshots::list(conn, live, report_id)? {
        Past::Shown(items) => items,
        Past::Hidden => {
            return Ok(Loaded {
                hidden: true,
                items: Vec::new(),
                opened: None,
            })
        }
    };
    let opened = match wanted {
        None => None,
        Some(id) => Some(match snapshots::open(conn, live, report_id, id)? {
            Past::Shown(Some(snapshot)) => {
                let ctx = acting.query_context(live, None);
                match snapshots::report_of(&ctx, &snapshot) {
                    Ok(report) => {
                        let names = report_view::group_names(
                            conn,
                            &live.definition,
                            &report,
                            &snapshot.data,
                        )?;
                        Opened::Shown {
                            summary: snapshot.summary,
                            report: Box::new(report),
                            data: snapshot.data,
                            names,
                        }
                    }
                    Err(_) => Opened::Broken(snapshot.summary),
                }
            }
            Past::Shown(None) => Opened::Missing,
            // `list` said the viewer may see them; the rights cannot differ within one call.
            Past::Hidden => {
                return Err(EngineError::Internal(
                    "snapshot rights changed within one call".into(),
                ))
            }
        }),
    };
    Ok(Loaded {
        hidden: false,
        items,
        opened,
    })
}

#[derive(Serialize)]
pub struct PastItem {
    label: String,
    url: String,
    current: bool,
}

/// The section as the template shows it.
#[derive(Serialize)]
pub struct PastView {
    hidden: bool,
    items: Vec<PastItem>,
    /// The opened snapshot's period, its computing time, table and CSV link.
    opened_label: String,
    taken_at: String,
    table: Option<DataTable>,
    caption: String,
    csv_url: String,
    broken: bool,
    missing: bool,
}

fn local_time(t: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The opened snapshot's table (for the page and its CSV).
pub fn table(lang: Lang, def: &AppDefinition, opened: &Opened) -> Option<DataTable> {
    let Opened::Shown {
        report,
        data,
        names,
        ..
    } = opened
    else {
        return None;
    };
    let words = Words {
        names: names.clone(),
        ..Words::new(lang)
    };
    Some(report_view::data_table(lang, def, report, data, &words))
}

/// Words for the section. `tz`: the viewer's time zone, for the computing time.
pub fn view(
    lang: Lang,
    def: &AppDefinition,
    base: &str,
    name: &str,
    loaded: Loaded,
    tz: chrono_tz::Tz,
) -> PastView {
    let current = match &loaded.opened {
        Some(Opened::Shown { summary, .. } | Opened::Broken(summary)) => Some(summary.id),
        _ => None,
    };
    let items = loaded
        .items
        .iter()
        .map(|s| PastItem {
            label: s.period_label.clone(),
            url: format!("{base}?snapshot={}#report-past", s.id),
            current: current == Some(s.id),
        })
        .collect();
    let mut v = PastView {
        hidden: loaded.hidden,
        items,
        opened_label: String::new(),
        taken_at: String::new(),
        table: None,
        caption: String::new(),
        csv_url: String::new(),
        broken: matches!(loaded.opened, Some(Opened::Broken(_))),
        missing: matches!(loaded.opened, Some(Opened::Missing)),
    };
    if let Some(opened @ Opened::Shown { summary, .. }) = &loaded.opened {
        v.opened_label.clone_from(&summary.period_label);
        v.taken_at = i18n::format(
            lang,
            "charts.past.taken_at",
            &[("at", &local_time(summary.taken_at, tz))],
        );
        v.caption = i18n::format(
            lang,
            "charts.past.caption",
            &[("name", name), ("period", &summary.period_label)],
        );
        v.csv_url = format!("{base}?snapshot={}&format=csv", summary.id);
        v.table = table(lang, def, opened);
    }
    v
}
