//! Diesel table definitions, written to match `migrations/*/…_core/up.sql` on both backends.
// The migration-listing test in tests/ checks the two migration folders stay in step.

diesel::table! {
    users (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        locale -> Text,
        timezone -> Text,
        created_at -> BigInt,
        is_active -> Bool,
        credentials_epoch -> BigInt,
        totp_secret -> Nullable<Text>,
        totp_enabled -> Bool,
        totp_last_step -> BigInt,
        must_change_password -> Bool,
        is_guest -> Bool,
    }
}

diesel::table! {
    spaces (id) {
        id -> BigInt,
        name -> Text,
        is_guest -> Bool,
        created_at -> BigInt,
        body -> Text,
        is_private -> Bool,
        use_multi_thread -> Bool,
        fixed_member -> Bool,
        default_thread -> Nullable<BigInt>,
        creator -> Text,
        modifier -> Text,
        modified_at -> BigInt,
        create_app -> Text,
        show_announcement -> Bool,
        show_thread_list -> Bool,
        show_app_list -> Bool,
        show_member_list -> Bool,
        show_related_link_list -> Bool,
    }
}

diesel::table! {
    apps (id) {
        id -> BigInt,
        space_id -> Nullable<BigInt>,
        thread_id -> Nullable<BigInt>,
        creator -> Text,
        created_at -> BigInt,
        modifier -> Text,
        modified_at -> BigInt,
        next_record_id -> BigInt,
        next_row_id -> BigInt,
        live_version -> BigInt,
        deploy_status -> Text,
    }
}

diesel::table! {
    app_settings (app_id, stage) {
        app_id -> BigInt,
        stage -> Text,
        revision -> BigInt,
        definition -> Text,
        scripts_changed_by -> Nullable<Text>,
        scripts_changed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    app_versions (app_id, version) {
        app_id -> BigInt,
        version -> BigInt,
        definition -> Text,
        deployed_by -> Text,
        deployed_at -> BigInt,
    }
}

diesel::table! {
    api_tokens (token) {
        token -> Text,
        app_id -> BigInt,
        can_view -> Bool,
        can_add -> Bool,
        can_edit -> Bool,
        can_delete -> Bool,
        can_manage -> Bool,
        created_at -> BigInt,
        hashed -> Bool,
        prefix -> Text,
        allowed_ips -> Text,
    }
}

diesel::table! {
    records (app_id, id) {
        app_id -> BigInt,
        id -> BigInt,
        revision -> BigInt,
        creator -> Text,
        created_at -> BigInt,
        modifier -> Text,
        updated_at -> BigInt,
        data -> Text,
    }
}

diesel::table! {
    files (file_key) {
        file_key -> Text,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        storage_path -> Text,
        app_id -> Nullable<BigInt>,
        record_id -> Nullable<BigInt>,
        uploaded_by -> Text,
        created_at -> BigInt,
        scan_verdict -> Nullable<Text>,
        scanned_at -> Nullable<BigInt>,
    }
}

// Issue 19: attachment bytes in the database (`--files-store database`, migration
// 2026-12-17-000010_file_blobs, `crate::records::files`).
diesel::table! {
    file_blobs (file_key, chunk) {
        file_key -> Text,
        chunk -> BigInt,
        bytes -> Binary,
    }
}

diesel::table! {
    record_comments (app_id, record_id, id) {
        app_id -> BigInt,
        record_id -> BigInt,
        id -> BigInt,
        text -> Text,
        mentions -> Text,
        creator -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    cursors (id) {
        id -> Text,
        app_id -> BigInt,
        owner -> Text,
        fields -> Text,
        query -> Text,
        size -> BigInt,
        position -> BigInt,
        total_count -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    apps,
    app_settings,
    app_versions,
    records,
    files,
    record_comments,
    users
);

diesel::table! {
    server_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    record_history (app_id, record_id, revision) {
        app_id -> BigInt,
        record_id -> BigInt,
        revision -> BigInt,
        action -> Text,
        actor -> Text,
        at -> BigInt,
        changes -> Text,
        process_action -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (login, at) {
        login -> Text,
        at -> BigInt,
        peer -> Text,
    }
}

diesel::table! {
    user_recent_apps (user_code, app_id) {
        user_code -> Text,
        app_id -> BigInt,
        visited_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_code -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_seen_at -> BigInt,
    }
}

// Organisation (migration 000003).

diesel::table! {
    departments (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        sort -> BigInt,
    }
}

diesel::table! {
    groups (code) {
        code -> Text,
        name -> Text,
    }
}

diesel::table! {
    user_departments (user_code, department_code) {
        user_code -> Text,
        department_code -> Text,
        is_primary -> Bool,
    }
}

diesel::table! {
    user_groups (user_code, group_code) {
        user_code -> Text,
        group_code -> Text,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> Text,
        user_code -> Text,
        name -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        allowed_ips -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        actor -> Text,
        peer -> Text,
        action -> Text,
        target -> Text,
        detail -> Text,
        outcome -> Text,
        chain -> Nullable<Text>,
    }
}

// Authentication hardening (migration 2026-12-05-000002).

diesel::table! {
    revoked_jwts (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_throttle (key) {
        key -> Text,
        window_start -> BigInt,
        count -> BigInt,
        actor -> Text,
        peer -> Text,
        action -> Text,
        target -> Text,
    }
}

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        app_id -> BigInt,
        record_id -> BigInt,
        created_at -> BigInt,
        kind -> Text,
        actor -> Nullable<Text>,
        field_ids -> Nullable<Text>,
        status_from -> Nullable<Text>,
        status_to -> Nullable<Text>,
    }
}

diesel::table! {
    change_consumers (name) {
        name -> Text,
        position -> BigInt,
        updated_at -> BigInt,
    }
}

// Durable jobs (migration 2026-12-04-000001_jobs, `crate::jobs`).

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        dedupe_key -> Text,
        payload -> Text,
        run_at -> BigInt,
        state -> Text,
        attempts -> BigInt,
        max_attempts -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

// Sign-in hardening (migration 2026-12-05-000003_mfa, `crate::mfa`).

diesel::table! {
    user_recovery_codes (id) {
        id -> BigInt,
        user_code -> Text,
        code_hash -> Text,
        used_at -> Nullable<BigInt>,
    }
}

// Spaces, threads, posts, read positions, notifications (migration 2026-12-06-000001_spaces,
// `crate::spaces`, `crate::notifications`).

diesel::table! {
    space_members (space_id, entity_type, code) {
        space_id -> BigInt,
        entity_type -> Text,
        code -> Text,
        is_admin -> Bool,
        include_subs -> Bool,
    }
}

diesel::table! {
    space_threads (id) {
        id -> BigInt,
        space_id -> BigInt,
        name -> Text,
        body -> Text,
        creator -> Text,
        created_at -> BigInt,
        modified_at -> BigInt,
        last_post_id -> BigInt,
    }
}

diesel::table! {
    thread_posts (id) {
        id -> BigInt,
        thread_id -> BigInt,
        space_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        author -> Text,
        body -> Text,
        mentions -> Text,
        files -> Text,
        created_at -> BigInt,
        edited_at -> Nullable<BigInt>,
        deleted -> Bool,
    }
}

diesel::table! {
    thread_reads (thread_id, user_code) {
        thread_id -> BigInt,
        user_code -> Text,
        last_read_post -> BigInt,
        read_at -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_code -> Text,
        kind -> Text,
        source_key -> Text,
        title -> Text,
        body -> Text,
        link -> Text,
        actor -> Text,
        app_id -> Nullable<BigInt>,
        record_id -> Nullable<BigInt>,
        space_id -> Nullable<BigInt>,
        thread_id -> Nullable<BigInt>,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    spaces,
    space_members,
    space_threads,
    thread_posts,
    thread_reads,
);

// Issue 13, guests (migration 2026-12-06-000030_guest_profiles).
diesel::table! {
    guest_profiles (code) {
        code -> Text,
        sur_name -> Text,
        given_name -> Text,
        sur_name_reading -> Text,
        given_name_reading -> Text,
        company -> Text,
        division -> Text,
        phone -> Text,
        call_to -> Text,
        locale -> Text,
        image -> Text,
        created_by -> Text,
        created_at -> BigInt,
    }
}
// Webhooks (issue 13 part "webhooks"; migration 2026-12-06-000060_webhooks, `crate::webhooks`).

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        app_id -> BigInt,
        name -> Text,
        url -> Text,
        enabled -> Bool,
        events -> Text,
        secret -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        delivery_id -> Text,
        webhook_id -> BigInt,
        app_id -> BigInt,
        change_seq -> Nullable<BigInt>,
        event -> Text,
        payload -> Text,
        state -> Text,
        attempts -> BigInt,
        next_at -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        response_code -> Nullable<BigInt>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);
// Space templates (issue 13, spaces part; migration 2026-12-06-000010_space_templates).
diesel::table! {
    space_templates (id) {
        id -> BigInt,
        name -> Text,
        settings -> Text,
        creator -> Text,
        created_at -> BigInt,
    }
}

// Issue 13, threads part: files attached to thread posts (migration 2026-12-06-000020).
diesel::table! {
    thread_post_files (file_key) {
        file_key -> Text,
        post_id -> BigInt,
        thread_id -> BigInt,
        space_id -> BigInt,
    }
}

// Issue 13 (mail): e-mail delivery of notifications (migration 2026-12-06-000050_mail,
// `crate::mail`).

diesel::table! {
    mail_preferences (user_code) {
        user_code -> Text,
        mode -> Text,
        digest_hour -> BigInt,
        email -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    mail_deliveries (id) {
        id -> BigInt,
        dedupe_key -> Text,
        user_code -> Text,
        mode -> Text,
        notification_ids -> Text,
        send_at -> BigInt,
        state -> Text,
        attempts -> BigInt,
        last_error -> Nullable<Text>,
        to_address -> Text,
        subject -> Text,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    mail_planner (name) {
        name -> Text,
        position -> BigInt,
    }
}

// Issue 14: survey relay (migration 2026-12-07-000010_surveys, `crate::surveys`).
diesel::table! {
    surveys (id) {
        id -> BigInt,
        title -> Text,
        body -> Text,
        due_at -> BigInt,
        state -> Text,
        fields -> Text,
        sheet -> Text,
        reminders -> Text,
        owners -> Text,
        recipients -> Text,
        creator -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        sent_at -> Nullable<BigInt>,
        closed_at -> Nullable<BigInt>,
        merge_app_id -> Nullable<BigInt>,
        parent_answer_id -> Nullable<BigInt>,
        copied_from -> Nullable<BigInt>,
        reminders_sent -> BigInt,
    }
}

diesel::table! {
    survey_files (file_key) {
        file_key -> Text,
        survey_id -> BigInt,
        role -> Text,
        position -> BigInt,
    }
}

diesel::table! {
    survey_answers (id) {
        id -> BigInt,
        survey_id -> BigInt,
        org_kind -> Text,
        org_code -> Text,
        org_name -> Text,
        contacts -> Text,
        state -> Text,
        due_at -> Nullable<BigInt>,
        opened_by -> Nullable<Text>,
        opened_at -> Nullable<BigInt>,
        saved_by -> Nullable<Text>,
        saved_at -> Nullable<BigInt>,
        submitted_by -> Nullable<Text>,
        submitted_at -> Nullable<BigInt>,
        returned_by -> Nullable<Text>,
        returned_at -> Nullable<BigInt>,
        return_comment -> Text,
        accepted_by -> Nullable<Text>,
        accepted_at -> Nullable<BigInt>,
        answer_values -> Text,
        sheet_file_key -> Nullable<Text>,
        sheet_rows -> Text,
        sheet_problems -> Text,
        merge_record_id -> Nullable<BigInt>,
        child_survey_id -> Nullable<BigInt>,
        revision -> BigInt,
    }
}

diesel::table! {
    survey_answer_files (file_key) {
        file_key -> Text,
        answer_id -> BigInt,
    }
}

diesel::table! {
    survey_answer_events (id) {
        id -> BigInt,
        answer_id -> BigInt,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        comment -> Text,
    }
}

diesel::table! {
    survey_lists (id) {
        id -> BigInt,
        name -> Text,
        owner -> Text,
        entries -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    surveys,
    survey_files,
    survey_answers,
    survey_answer_files,
    survey_answer_events,
    survey_lists,
);
diesel::allow_tables_to_appear_in_same_query!(survey_files, files);

// Issue 15: public forms (migration 2026-12-08-000010_public_forms, `crate::public_forms`).
diesel::table! {
    public_forms (id) {
        id -> BigInt,
        app_id -> BigInt,
        slug -> Text,
        name -> Text,
        state -> Text,
        settings -> Text,
        opens_at -> Nullable<BigInt>,
        closes_at -> Nullable<BigInt>,
        max_answers -> Nullable<BigInt>,
        answer_count -> BigInt,
        next_seq -> BigInt,
        secret -> Text,
        creator -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    public_form_links (id) {
        id -> BigInt,
        form_id -> BigInt,
        token -> Text,
        recipient -> Text,
        prefill -> Text,
        mode -> Text,
        expires_at -> Nullable<BigInt>,
        revoked -> BigInt,
        record_id -> Nullable<BigInt>,
        answer_id -> Nullable<BigInt>,
        answered_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    public_form_answers (id) {
        id -> BigInt,
        form_id -> BigInt,
        record_id -> BigInt,
        receipt -> Text,
        link_id -> Nullable<BigInt>,
        lang -> Text,
        vals -> Text,
        submitted_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    public_form_tallies (form_id, field, bucket) {
        form_id -> BigInt,
        field -> Text,
        bucket -> Text,
        answers -> BigInt,
        total -> Double,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    public_forms,
    public_form_links,
    public_form_answers,
    public_form_tallies,
);

// Record imports (migration 2026-12-09-000010_imports, `crate::import::store`).

diesel::table! {
    imports (id) {
        id -> BigInt,
        app_id -> BigInt,
        user_code -> Text,
        guest_space -> Nullable<BigInt>,
        file_name -> Text,
        file_path -> Text,
        format -> Text,
        encoding -> Nullable<Text>,
        sheet -> Nullable<Text>,
        settings -> Text,
        state -> Text,
        report -> Text,
        total_rows -> BigInt,
        error_count -> BigInt,
        records_written -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

// Signed packages: the trust list (migration 2026-12-11-000020_package_trust,
// `crate::package_signing::trust`).

diesel::table! {
    package_trusted_keys (id) {
        id -> BigInt,
        name -> Text,
        fingerprint -> Text,
        public_key -> Text,
        added_by -> Text,
        added_at -> BigInt,
    }
}
