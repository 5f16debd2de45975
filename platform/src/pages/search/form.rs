//! The search page's query string: parsed leniently (a malformed value becomes a readable message,
//! not an error status), turned into a `SearchRequest`, and written back into links (app filter,
//! paging) that keep the other filters.

use chrono::{NaiveDate, TimeZone};
use kumiki_search::{PartKind, SearchRequest, Sort};

use crate::i18n::{self, Lang};

/// Hits per page.
pub const PAGE_SIZE: usize = 20;
/// The deepest page offered (the API's limit).
const MAX_OFFSET: usize = 100_000;

/// Why a search could not run.
#[derive(Debug, Clone)]
pub enum Problem {
    /// A message key of the `search` catalog.
    Key(&'static str),
    /// A message of the search service (English), mapped to the catalog when known.
    Service(String),
}

#[derive(Debug, Clone)]
pub struct SearchForm {
    pub q: String,
    /// Raw `app` values (repeated or comma-separated).
    apps: Vec<String>,
    pub field: String,
    pub creator: String,
    /// `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub file_type: String,
    pub kind: String,
    pub sort: String,
    pub offset: usize,
    pub timezone: chrono_tz::Tz,
}

impl SearchForm {
    /// Reads the query string; unknown keys are ignored.
    pub fn parse(query: &str, timezone: chrono_tz::Tz) -> SearchForm {
        let mut f = SearchForm {
            q: String::new(),
            apps: Vec::new(),
            field: String::new(),
            creator: String::new(),
            from: String::new(),
            to: String::new(),
            file_type: String::new(),
            kind: String::new(),
            sort: "best".into(),
            offset: 0,
            timezone,
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let v = value.trim().to_owned();
            match key.as_ref() {
                "q" => f.q = value.into_owned(),
                "app" => f.apps.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                ),
                "field" => f.field = v,
                "creator" => f.creator = v,
                "from" => f.from = v,
                "to" => f.to = v,
                "fileType" => f.file_type = v,
                "kind" => f.kind = v,
                "sort" if v == "newest" => f.sort = v,
                "offset" => f.offset = v.parse::<usize>().unwrap_or(0).min(MAX_OFFSET),
                _ => {}
            }
        }
        f
    }

    /// Whether any filter besides the query and the sort is set.
    pub fn has_filters(&self) -> bool {
        !self.apps.is_empty()
            || [
                &self.field,
                &self.creator,
                &self.from,
                &self.to,
                &self.file_type,
                &self.kind,
            ]
            .iter()
            .any(|v| !v.is_empty())
    }

    /// The chosen app ids, when every `app` value is one.
    fn app_ids(&self) -> Option<Vec<i64>> {
        self.apps
            .iter()
            .map(|a| a.parse::<i64>().ok().filter(|n| *n > 0))
            .collect()
    }

    /// The app when exactly one is chosen.
    pub fn single_app(&self) -> Option<i64> {
        match self.app_ids()?.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn day(&self, s: &str, end_of_day: bool) -> Result<Option<i64>, Problem> {
        if s.is_empty() {
            return Ok(None);
        }
        let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Problem::Key("date"))?;
        let time = if end_of_day {
            day.and_hms_opt(23, 59, 59)
        } else {
            day.and_hms_opt(0, 0, 0)
        };
        time.and_then(|t| self.timezone.from_local_datetime(&t).earliest())
            .map(|t| Some(t.timestamp()))
            .ok_or(Problem::Key("date"))
    }

    /// The request for the search service.
    pub fn request(&self) -> Result<SearchRequest, Problem> {
        let apps = self.app_ids().ok_or(Problem::Key("app"))?;
        let kind = match self.kind.as_str() {
            "" => None,
            k => Some(PartKind::parse(k).ok_or(Problem::Key("kind"))?),
        };
        let from = self.day(&self.from, false)?;
        let to = self.day(&self.to, true)?;
        if let (Some(a), Some(b)) = (from, to) {
            if a > b {
                return Err(Problem::Key("date_order"));
            }
        }
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        Ok(SearchRequest {
            q: self.q.clone(),
            apps,
            field: some(&self.field),
            creator: some(&self.creator),
            from,
            to,
            file_type: some(&self.file_type),
            kind,
            sort: if self.sort == "newest" {
                Sort::Newest
            } else {
                Sort::Best
            },
            offset: self.offset,
            size: PAGE_SIZE,
        })
    }

    /// `/search?...` with these filters, `apps` instead of the chosen ones, and `offset`.
    fn href(&self, apps: &[String], offset: usize) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", &self.q);
        for a in apps {
            s.append_pair("app", a);
        }
        // A field belongs to one app: it goes when the app filter changes.
        if apps == self.apps.as_slice() && !self.field.is_empty() {
            s.append_pair("field", &self.field);
        }
        for (k, v) in [
            ("creator", &self.creator),
            ("from", &self.from),
            ("to", &self.to),
            ("fileType", &self.file_type),
            ("kind", &self.kind),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        if self.sort == "newest" {
            s.append_pair("sort", "newest");
        }
        if offset > 0 {
            s.append_pair("offset", &offset.to_string());
        }
        format!("/search?{}", s.finish())
    }

    /// The first page of the same search in one app (or in every app).
    pub fn href_with_app(&self, app: Option<i64>) -> String {
        let apps: Vec<String> = app.map(|a| a.to_string()).into_iter().collect();
        self.href(&apps, 0)
    }

    /// Another page of the same search.
    pub fn href_with_offset(&self, offset: usize) -> String {
        self.href(&self.apps, offset)
    }

    /// Unix seconds as local `YYYY-MM-DD HH:MM`.
    pub fn local_time(&self, t: i64) -> String {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| {
                d.with_timezone(&self.timezone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

/// The catalog key of a search service message (its texts are English and fixed).
fn service_key(message: &str) -> Option<&'static str> {
    let key = match message {
        "A quotation mark is not closed." => "quote",
        "OR needs a word on each side." => "or",
        "OR cannot join an excluded word." => "or_excluded",
        "Enter at least one word to search for (not only excluded words)." => "only_excluded",
        "The query has no word that can be searched for." => "no_word",
        "from is after to." => "date_order",
        m if m.starts_with("The query is longer than") => "too_long",
        m if m.starts_with("The query has more than") => "too_many",
        _ => return None,
    };
    Some(key)
}

/// The message shown for a search that could not run.
pub fn bad_message(lang: Lang, problem: &Problem) -> String {
    let key = match problem {
        Problem::Key(k) => Some(*k),
        Problem::Service(m) => service_key(m),
    };
    match (key, problem) {
        (Some(k), _) => i18n::t(lang, &format!("search.error.{k}")),
        (None, Problem::Service(m)) => i18n::format(lang, "search.error.other", &[("detail", m)]),
        (None, Problem::Key(_)) => i18n::t(lang, "search.error.other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_syntax_error_of_the_service_has_a_message() {
        for q in [
            "\"open",
            "OR a",
            "a OR",
            "a OR -b",
            "-only",
            "!!!",
            &"x ".repeat(40),
        ] {
            let key = match kumiki_search::query::parse(q) {
                Err(kumiki_search::SearchError::BadRequest { message, .. }) => {
                    service_key(&message)
                }
                Err(other) => panic!("{q}: {other}"),
                Ok(parsed) => {
                    let (schema, fields) = kumiki_search::schema::build();
                    let _ = schema;
                    match parsed.to_tantivy(fields.text) {
                        Err(kumiki_search::SearchError::BadRequest { message, .. }) => {
                            service_key(&message)
                        }
                        _ => continue,
                    }
                }
            };
            assert!(key.is_some(), "{q}: no catalog message");
        }
    }

    #[test]
    fn links_keep_filters_and_bad_values_are_problems() {
        let f = SearchForm::parse(
            "q=%E5%B8%82&app=3&field=f&kind=file&sort=newest&offset=20",
            chrono_tz::Asia::Tokyo,
        );
        assert_eq!(f.single_app(), Some(3));
        let next = f.href_with_offset(40);
        assert!(next.contains("app=3") && next.contains("field=f") && next.contains("offset=40"));
        let all = f.href_with_app(None);
        assert!(!all.contains("app=") && !all.contains("field=") && !all.contains("offset"));
        assert!(matches!(
            SearchForm::parse("q=a&app=x", chrono_tz::Asia::Tokyo).request(),
            Err(Problem::Key("app"))
        ));
        assert!(matches!(
            SearchForm::parse("q=a&from=2026-13-01", chrono_tz::Asia::Tokyo).request(),
            Err(Problem::Key("date"))
        ));
    }
}
