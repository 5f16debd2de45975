//! `GET /admin/package-trust` (「信頼する署名者」): the trust list of signed app packages for
//! system administrators — this body's own key (name, fingerprint, public key to hand to other
//! bodies) and the trusted keys, with forms to name the body, add a key (pasted, or the signer of a
//! signed package file) and remove one. `admin_package_trust.js` saves through
//! `/api/packages/{key,trust}.json`, where the engine checks the right and audits.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::package_signing::{keys, trust};
use serde::Serialize;
use serde_json::json;

use super::admin::{lang_of, local_time, require_admin};
use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct TrustRow {
    name: String,
    fingerprint: String,
    public_key: String,
    added_by: String,
    added_at: String,
}

#[derive(Serialize)]
struct TrustData {
    own_name: String,
    own_fingerprint: String,
    own_public_key: String,
    keys: Vec<TrustRow>,
}

/// `GET /admin/package-trust`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        // A write transaction: the key is created on first use.
        Ok(conn.write_transaction(|c| {
            let own = keys::own_key(c)?;
            let list = trust::list(c, &acting)?;
            Ok::<_, kumiki_engine::EngineError>((own, list))
        })?)
    })
    .await;
    let (own, list) = match loaded {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "package trust page failed");
            return super::internal_error(&state, lang, Some(&user));
        }
    };
    let tz = user.tz(&state);
    let data = TrustData {
        own_name: own.name,
        own_fingerprint: own.fingerprint,
        own_public_key: own.public_key,
        keys: list
            .into_iter()
            .map(|k| TrustRow {
                name: k.name,
                fingerprint: k.fingerprint,
                public_key: k.public_key,
                added_by: k.added_by,
                added_at: local_time(k.added_at, tz),
            })
            .collect(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "admin_package_trust",
            title: i18n::t(lang, "packages.trust.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec!["admin_package_trust.js"],
        },
    )
}
