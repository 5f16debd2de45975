//! The edge of the server: one middleware every request passes before any route (docs/security/edge.md).
//! In order, it
//! 1. resolves the client's address behind trusted proxies (`client_address`) and keeps it in the
//!    request, so the lockout, the audit log and the allowlist use one value;
//! 2. answers 403 to a client outside the server's IP allowlist (`kumiki_engine::allowlist`), on every
//!    path but `/healthz`, unless the operator started the server with `--allowlist-off`;
//! 3. answers 403 to a state-changing request that carries cookies (or posts a page form) from a page
//!    of another site, by its `Origin` (else `Referer`) — beside the CSRF token, which stays required;
//! 4. adds `X-Content-Type-Options: nosniff` to every response and `Cache-Control: no-store` to every
//!    response that sets no caching of its own except the static assets, so API answers and signed-in
//!    pages are never kept by browsers or shared caches.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use kumiki_engine::allowlist::{self, Matcher};

use crate::client_address::{resolve, ClientAddress, ProxyHeader};
use crate::error::ApiError;
use crate::state::{blocking, AppState};

/// How long a node keeps the allowlist it read; a change made on another node (or by the command
/// line) takes effect within this time, one made through this node at once.
const ALLOWLIST_TTL: Duration = Duration::from_secs(3);

/// The allowlist as last read from the database.
#[derive(Default)]
pub struct AllowlistCache {
    loaded: RwLock<Option<(Matcher, Instant)>>,
}

impl AllowlistCache {
    /// Forgets the cached list, so the next request reads the stored one.
    pub fn invalidate(&self) {
        if let Ok(mut l) = self.loaded.write() {
            *l = None;
        }
    }

    fn fresh(&self) -> Option<Matcher> {
        let l = self.loaded.read().ok()?;
        l.as_ref()
            .filter(|(_, at)| at.elapsed() < ALLOWLIST_TTL)
            .map(|(m, _)| m.clone())
    }

    fn put(&self, m: Matcher) {
        if let Ok(mut l) = self.loaded.write() {
            *l = Some((m, Instant::now()));
        }
    }

    /// The allowlist in effect: cached, else read.
    pub async fn current(&self, state: &AppState) -> Result<Matcher, ApiError> {
        if let Some(m) = self.fresh() {
            return Ok(m);
        }
        let st = state.clone();
        let m = blocking(move || {
            let mut conn = st.conn()?;
            Ok(allowlist::load(&mut conn)?.matcher())
        })
        .await?;
        self.put(m.clone());
        Ok(m)
    }
}

/// Issue 15: marks the public listener's app (`--public-listen`): it serves only the public forms,
/// to anyone, so the IP allowlist does not apply there.
pub struct PublicListener;

fn is_api(path: &str) -> bool {
    path.starts_with("/k/") || path.starts_with("/api/")
}

/// The middleware (`App::wrap(from_fn(edge))`).
pub async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let settings = &state.settings;
    let peer = req.peer_addr().map(|a| a.ip());
    let header_name = match settings.proxy_header {
        ProxyHeader::XForwardedFor => "x-forwarded-for",
        ProxyHeader::Forwarded => "forwarded",
    };
    let values: Vec<&str> = req
        .headers()
        .get_all(header_name)
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = resolve(
        peer,
        settings.proxy_header,
        &values,
        &settings.trusted_proxies,
    );
    let via_trusted_proxy = peer.is_some_and(|p| settings.trusted_proxies.contains(p));
    req.extensions_mut().insert(ClientAddress(client));

    let path = req.path().to_owned();
    let public_listener = req.app_data::<web::Data<PublicListener>>().is_some();
    if !settings.allowlist_off && path != "/healthz" && !public_listener {
        let permitted = match state.allowlist.current(&state).await {
            Ok(m) => m.permits(client),
            Err(e) => {
                // Fail closed: without the list we cannot tell who may come in.
                tracing::error!(error = %e.message, "cannot read the IP allowlist");
                return Ok(refuse(req, &state, ApiError::internal(), None));
            }
        };
        if !permitted {
            tracing::info!(client = ?client, path = %path, "refused by the IP allowlist");
            return Ok(refuse(
                req,
                &state,
                ApiError::address_not_allowed(),
                Some((
                    "edge.address_not_allowed.title",
                    "edge.address_not_allowed.body",
                )),
            ));
        }
    }

    if needs_origin_check(&req) && !same_origin(&req, via_trusted_proxy) {
        tracing::info!(path = %path, "refused a state-changing request from another site");
        return Ok(refuse(
            req,
            &state,
            ApiError::foreign_origin(),
            Some(("edge.foreign_origin.title", "edge.foreign_origin.body")),
        ));
    }

    let mut res = next.call(req).await?.map_into_boxed_body();
    let headers = res.headers_mut();
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    if !path.starts_with("/static/") && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The refusal: kintone's JSON on API paths, a page (in the visitor's language) elsewhere.
fn refuse(
    req: ServiceRequest,
    state: &AppState,
    error: ApiError,
    page: Option<(&str, &str)>,
) -> ServiceResponse<BoxBody> {
    let (http, _) = req.into_parts();
    let mut resp = match page {
        Some((title, body)) if !is_api(http.path()) => {
            let lang = crate::pages::request_lang(&http, None);
            crate::pages::refused_page(state, lang, error.status, title, body)
        }
        _ => {
            HttpResponse::build(error.status).json(error.body(crate::routes::wants_japanese(&http)))
        }
    };
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    ServiceResponse::new(http, resp)
}

/// State-changing requests a browser may send on its own: those carrying cookies (the session is
/// in one), and form posts to pages (the sign-in form has no session yet).
///
/// Issue 15: not the public forms' posts (`/f/...`). They read no cookie and act for no one, so a
/// post from another site can do nothing a resident could not do by hand; and their pages send no
/// referrer (`Referrer-Policy: no-referrer`), for which browsers post `Origin: null`.
fn needs_origin_check(req: &ServiceRequest) -> bool {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    !safe
        && !req.path().starts_with("/f/")
        && (req.headers().contains_key(header::COOKIE) || !is_api(req.path()))
}

/// `host[:port]` of an absolute URL (`Origin`, `Referer`), lower-cased.
fn authority_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether the page that sent the request is one of ours: its `Origin` (else its `Referer`) names
/// the host the request was sent to. Without either header there is no browser evidence to judge
/// and the request passes (the CSRF token still decides). Behind a trusted proxy the host it
/// forwarded (`X-Forwarded-Host`, `Forwarded: host=`) counts too, because proxies may rewrite `Host`.
fn same_origin(req: &ServiceRequest, via_trusted_proxy: bool) -> bool {
    let text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let source = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => match authority_of(&origin) {
            Some(a) => a,
            // `Origin: null` (a sandboxed frame, a redirect across sites): not one of ours.
            None => return false,
        },
        (None, Some(referer)) => match authority_of(&referer) {
            Some(a) => a,
            None => return false,
        },
        (None, None) => return true,
    };
    let mut hosts: Vec<String> = Vec::new();
    if let Some(h) = text(header::HOST) {
        hosts.push(h.to_ascii_lowercase());
    } else if let Some(a) = req.uri().authority() {
        hosts.push(a.as_str().to_ascii_lowercase());
    }
    if via_trusted_proxy {
        for v in req.headers().get_all("x-forwarded-host") {
            if let Ok(v) = v.to_str() {
                hosts.extend(v.split(',').map(|h| h.trim().to_ascii_lowercase()));
            }
        }
        for v in req.headers().get_all(header::FORWARDED) {
            if let Ok(v) = v.to_str() {
                hosts.extend(
                    v.split([',', ';'])
                        .filter_map(|p| p.split_once('='))
                        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
                        .map(|(_, h)| h.trim().trim_matches('"').to_ascii_lowercase()),
                );
            }
        }
    }
    hosts.contains(&source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities() {
        assert_eq!(
            authority_of("http://LocalHost:8080/apps/1?x").as_deref(),
            Some("localhost:8080")
        );
        assert_eq!(
            authority_of("https://evil.example").as_deref(),
            Some("evil.example")
        );
        assert_eq!(authority_of("null"), None);
    }
}
