//! The search results page, `GET /search?q=...`: the query with its filters (app, field, creator,
//! update dates, file type, kind), the sort, per-app counts that filter to one app, and the hits
//! grouped by app, each linking to its record. Rendered on the server through the same
//! `kumiki_search` call as `GET /api/search.json`, so it sees exactly what the user may see. A bad
//! query or filter is a readable message on the page, never an error status.

mod form;
mod snippet;

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::fields::FieldType;
use kumiki_search::permissions::{field_readable, visible_apps, VisibleApp};
use kumiki_search::{PartKind, SearchError, SearchResponse};
use serde::Serialize;
use serde_json::Value;

use self::form::{bad_message, Problem, SearchForm, PAGE_SIZE};
use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// A `<select>` option.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// One app in the per-app counts.
#[derive(Serialize)]
struct AppFacet {
    name: String,
    count: usize,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct HitView {
    title: String,
    href: String,
    /// field | comment | file (a CSS modifier).
    kind: &'static str,
    /// Where the words were found: the field's label (a subtable cell: "table › field"), 「コメント」,
    /// or a file's FILE field.
    badge: String,
    /// For a file hit: the attached file's name.
    file_name: String,
    file_type: String,
    /// Only `<mark>` is markup (`snippet::safe_snippet`).
    snippet_html: String,
    updated: String,
}

#[derive(Serialize)]
struct HitGroup {
    #[serde(skip)]
    app: i64,
    app_name: String,
    count: usize,
    filter_href: String,
    hits: Vec<HitView>,
}

#[derive(Serialize)]
struct SearchPageData {
    q: String,
    searched: bool,
    error: String,
    app_options: Vec<Choice>,
    field_options: Vec<Choice>,
    /// The field filter needs one chosen app.
    field_enabled: bool,
    /// Filters are folded away unless one is set.
    filters_open: bool,
    creator: String,
    from: String,
    to: String,
    file_type_options: Vec<Choice>,
    kind_options: Vec<Choice>,
    sort_options: Vec<Choice>,
    total: usize,
    capped: bool,
    facets: Vec<AppFacet>,
    all_href: String,
    all_current: bool,
    groups: Vec<HitGroup>,
    no_results: bool,
    range: String,
    prev_href: String,
    next_href: String,
    /// The record list of the one chosen app.
    list_href: String,
}

/// What the blocking part found.
struct Found {
    apps: Vec<(i64, String)>,
    fields: Vec<(String, String)>,
    outcome: Outcome,
}

enum Outcome {
    NotSearched,
    Results(SearchResponse),
    Bad(Problem),
}

fn choice(value: &str, label: String, current: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        selected: value == current,
    }
}

/// Searchable fields of an app the user may read (text fields, files, their subtable cells).
fn searchable_fields(v: &VisibleApp) -> Vec<(String, String)> {
    let def = &v.app.definition;
    let searchable = |t: FieldType| {
        matches!(
            t,
            FieldType::SingleLineText
                | FieldType::MultiLineText
                | FieldType::RichText
                | FieldType::Link
                | FieldType::File
        )
    };
    let readable = |code: &str| {
        field_readable(v.access(), def, code, true) || field_readable(v.access(), def, code, false)
    };
    let mut out = Vec::new();
    for (code, p) in &def.properties {
        let inner = p.fields.iter().flat_map(|f| f.iter());
        for (c, q) in std::iter::once((code, p)).chain(inner) {
            if searchable(q.field_type) && readable(c) {
                let label = if q.label.is_empty() { c } else { &q.label };
                out.push((c.clone(), label.clone()));
            }
        }
    }
    out
}

fn run(state: &AppState, user: &SessionUser, form: &SearchForm) -> Result<Found, ApiError> {
    let mut conn = state.conn()?;
    let who = user.acting(state);
    let visible = visible_apps(&mut conn, &who, &[])?;
    let apps = visible
        .iter()
        .map(|v| (v.app.row.id, v.name().to_owned()))
        .collect();
    let fields = match form.single_app() {
        Some(id) => visible
            .iter()
            .find(|v| v.app.row.id == id)
            .map(searchable_fields)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    // An empty query shows the form only.
    let outcome = if form.q.trim().is_empty() {
        Outcome::NotSearched
    } else {
        match form.request() {
            Err(problem) => Outcome::Bad(problem),
            Ok(req) => match state.search.search(&mut conn, &who, &req) {
                Ok(r) => Outcome::Results(r),
                Err(SearchError::BadRequest { message, .. }) => {
                    Outcome::Bad(Problem::Service(message))
                }
                Err(e) => return Err(e.into()),
            },
        }
    };
    Ok(Found {
        apps,
        fields,
        outcome,
    })
}

fn hit_view(lang: Lang, form: &SearchForm, h: &kumiki_search::Hit) -> HitView {
    let (kind, badge) = match h.kind {
        PartKind::Field if !h.subtable_label.is_empty() => (
            "field",
            format!(
                "{} › {}",
                h.subtable_label,
                non_empty_or(&h.field_label, &h.field_code)
            ),
        ),
        PartKind::Field => ("field", non_empty_or(&h.field_label, &h.field_code)),
        PartKind::Comment => ("comment", i18n::t(lang, "search.kind.comment")),
        PartKind::File => ("file", non_empty_or(&h.field_label, &h.field_code)),
    };
    let title = if h.title.trim().is_empty() {
        i18n::format(lang, "search.untitled", &[("id", &h.record.to_string())])
    } else {
        h.title.clone()
    };
    HitView {
        title,
        href: format!("/apps/{}/records/{}", h.app, h.record),
        kind,
        badge,
        file_name: h.file_name.clone(),
        file_type: h.file_type.to_uppercase(),
        snippet_html: snippet::safe_snippet(&h.snippet),
        updated: form.local_time(h.updated),
    }
}

fn non_empty_or(a: &str, b: &str) -> String {
    if a.is_empty() { b } else { a }.to_owned()
}

fn build_data(lang: Lang, form: &SearchForm, found: Found) -> SearchPageData {
    let chosen = form.single_app();
    let mut app_options = vec![choice("", i18n::t(lang, "search.filter.all_apps"), "")];
    let current_app = chosen.map(|a| a.to_string()).unwrap_or_default();
    for (id, name) in &found.apps {
        app_options.push(choice(&id.to_string(), name.clone(), &current_app));
    }
    if !current_app.is_empty() {
        app_options[0].selected = false;
    }
    let mut field_options = vec![choice("", i18n::t(lang, "search.filter.all_fields"), "")];
    field_options.extend(
        found
            .fields
            .iter()
            .map(|(code, label)| choice(code, label.clone(), &form.field)),
    );
    let mut file_type_options = vec![choice("", i18n::t(lang, "search.filter.all"), "")];
    file_type_options.extend(kumiki_search::extract::FileKind::labels().iter().map(|l| {
        choice(
            l,
            i18n::t(lang, &format!("search.file_type.{l}")),
            &form.file_type,
        )
    }));
    let kind_options = ["", "field", "comment", "file"]
        .iter()
        .map(|k| {
            let key = if k.is_empty() { "all" } else { k };
            choice(k, i18n::t(lang, &format!("search.kind.{key}")), &form.kind)
        })
        .collect();
    let sort_options = ["best", "newest"]
        .iter()
        .map(|s| choice(s, i18n::t(lang, &format!("search.sort.{s}")), &form.sort))
        .collect();
    let mut data = SearchPageData {
        q: form.q.clone(),
        searched: false,
        error: String::new(),
        app_options,
        field_options,
        field_enabled: chosen.is_some(),
        filters_open: form.has_filters(),
        creator: form.creator.clone(),
        from: form.from.clone(),
        to: form.to.clone(),
        file_type_options,
        kind_options,
        sort_options,
        total: 0,
        capped: false,
        facets: Vec::new(),
        all_href: form.href_with_app(None),
        all_current: chosen.is_none(),
        groups: Vec::new(),
        no_results: false,
        range: String::new(),
        prev_href: String::new(),
        next_href: String::new(),
        list_href: chosen.map(|a| format!("/apps/{a}")).unwrap_or_default(),
    };
    match found.outcome {
        Outcome::NotSearched => {}
        Outcome::Bad(problem) => data.error = bad_message(lang, &problem),
        Outcome::Results(r) => fill_results(lang, form, &mut data, r),
    }
    data
}

fn fill_results(lang: Lang, form: &SearchForm, data: &mut SearchPageData, r: SearchResponse) {
    data.searched = true;
    data.total = r.total;
    data.capped = r.capped;
    data.no_results = r.hits.is_empty();
    let chosen = form.single_app();
    data.facets = r
        .apps
        .iter()
        .map(|a| AppFacet {
            name: a.name.clone(),
            count: a.count,
            href: form.href_with_app(Some(a.app)),
            current: chosen == Some(a.app),
        })
        .collect();
    for h in &r.hits {
        let view = hit_view(lang, form, h);
        // Groups in the order of each app's first hit on this page; hits keep their order.
        match data.groups.iter_mut().find(|g| g.app == h.app) {
            Some(g) => g.hits.push(view),
            None => data.groups.push(HitGroup {
                app: h.app,
                app_name: h.app_name.clone(),
                count: r
                    .apps
                    .iter()
                    .find(|a| a.app == h.app)
                    .map_or(0, |a| a.count),
                filter_href: form.href_with_app(Some(h.app)),
                hits: vec![view],
            }),
        }
    }
    if r.total > 0 && !r.hits.is_empty() {
        let first = form.offset + 1;
        let last = form.offset + r.hits.len();
        data.range = i18n::format(
            lang,
            "search.range",
            &[
                ("first", &first.to_string()),
                ("last", &last.to_string()),
                ("total", &r.total.to_string()),
            ],
        );
        if form.offset > 0 {
            data.prev_href = form.href_with_offset(form.offset.saturating_sub(PAGE_SIZE));
        }
        if last < r.total {
            data.next_href = form.href_with_offset(last);
        }
    }
}

/// `GET /search`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let form = SearchForm::parse(req.query_string(), user.tz(&state));
    let st = state.get_ref().clone();
    let u = user.clone();
    let f = form.clone();
    let found = match blocking(move || run(&st, &u, &f)).await {
        Ok(found) => found,
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let data = build_data(lang, &form, found);
    let title = if form.q.trim().is_empty() {
        i18n::t(lang, "search.title")
    } else {
        i18n::format(lang, "search.title_for", &[("q", form.q.trim())])
    };
    page_for(
        &state,
        &user,
        Page {
            template: "search",
            title,
            data: &data,
            page_data: Value::Null,
            scripts: vec!["search.js"],
        },
    )
}
