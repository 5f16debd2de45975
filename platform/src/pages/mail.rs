//! Notification mail pages (issue 13; docs/notifications-mail.md):
//! - `GET /account/notifications`: the signed-in user's choice (none, each, daily digest at an
//!   hour) and address; `account_notifications.js` saves through `PUT
//!   /api/account/notifications.json`. Says so when the server has no SMTP server configured.
//! - `GET /admin/mail`: administrators see the SMTP settings in effect (never the password), the
//!   recent deliveries with their state and last error, and send a test mail (`admin_mail.js`,
//!   `POST /api/admin/mail/test.json`).

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::mail::{self, Mode};
use serde::Serialize;
use serde_json::json;

use super::admin::{lang_of, local_time, require_admin};
use super::session::{page_for, require_user};
use super::Page;
use crate::i18n;
use crate::mail::MailStatus;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct HourOption {
    value: i64,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct AccountData {
    mail_enabled: bool,
    none: bool,
    each: bool,
    digest: bool,
    hours: Vec<HourOption>,
    email: String,
    address: String,
    guest_login_address: bool,
}

/// `GET /account/notifications`.
pub async fn account_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let st = state.get_ref().clone();
    let code = user.code.clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        let pref = mail::preference(&mut conn, &code)?;
        let address = mail::address_of(&mut conn, &code, &pref)?;
        Ok((pref, address))
    })
    .await;
    let Ok((pref, address)) = loaded else {
        return super::internal_error(&state, lang, Some(&user));
    };
    let address = address.unwrap_or_default();
    let data = AccountData {
        mail_enabled: state.mail.enabled(),
        none: pref.mode == Mode::None,
        each: pref.mode == Mode::Each,
        digest: pref.mode == Mode::Digest,
        hours: (0..24)
            .map(|h| HourOption {
                value: h,
                label: format!("{h:02}:00"),
                selected: h == pref.digest_hour,
            })
            .collect(),
        guest_login_address: pref.email.is_empty() && !address.is_empty(),
        email: pref.email,
        address,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "account_notifications",
            title: i18n::t(lang, "mail.account.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec!["account_notifications.js"],
        },
    )
}

#[derive(Serialize)]
struct DeliveryRow {
    id: i64,
    user: String,
    mode: String,
    to: String,
    subject: String,
    state: String,
    attempts: i64,
    error: String,
    created: String,
    sent: String,
}

#[derive(Serialize)]
struct AdminData {
    status: MailStatus,
    counts: String,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /admin/mail`.
pub async fn admin_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let tz: chrono_tz::Tz = user.timezone.parse().unwrap_or(chrono_tz::Asia::Tokyo);
    let st = state.get_ref().clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        Ok((mail::recent(&mut conn, 50)?, mail::counts(&mut conn)?))
    })
    .await;
    let Ok((recent, counts)) = loaded else {
        return super::internal_error(&state, lang, Some(&user));
    };
    let data = AdminData {
        status: state.mail.status().clone(),
        counts: counts
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(" / "),
        deliveries: recent
            .into_iter()
            .map(|d| DeliveryRow {
                id: d.id,
                user: d.user_code,
                mode: d.mode,
                to: d.to_address,
                subject: d.subject,
                state: d.state,
                attempts: d.attempts,
                error: d.last_error.unwrap_or_default(),
                created: local_time(d.created_at, tz),
                sent: d.sent_at.map(|t| local_time(t, tz)).unwrap_or_default(),
            })
            .collect(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "admin_mail",
            title: i18n::t(lang, "mail.admin.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec!["admin_mail.js"],
        },
    )
}
