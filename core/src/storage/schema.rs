//! Diesel's view of the tables; keep in step with `migrations/`.

diesel::table! {
    claims (id) {
        id -> Text,
        text -> Text,
        language -> Text,
        context -> Nullable<Text>,
        claimed_at -> Nullable<Text>,
        claimed_start -> Nullable<Timestamp>,
        claimed_end -> Nullable<Timestamp>,
        tags -> Text,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        claimant_id -> Nullable<Text>,
        merged_into -> Nullable<Text>,
    }
}

diesel::table! {
    claim_tags (claim_id, tag) {
        claim_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    sources (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        descriptor -> Nullable<Text>,
        homepage -> Nullable<Text>,
        aliases -> Text,
        reliability_grade -> Nullable<Text>,
        reliability_rationale -> Nullable<Text>,
        notes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    source_names (key) {
        key -> Text,
        source_id -> Text,
        name -> Text,
    }
}

diesel::table! {
    attributions (id) {
        id -> Text,
        claim_id -> Text,
        speaker_id -> Text,
        stance -> Text,
        relay_ids -> Text,
        quote -> Nullable<Text>,
        url -> Nullable<Text>,
        published_at -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    claim_events (claim_id, version) {
        claim_id -> Text,
        version -> BigInt,
        actor -> Text,
        at -> Timestamp,
        change -> Text,
        written -> BigInt,
        feed_position -> Nullable<BigInt>,
    }
}

diesel::table! {
    change_counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(claim_tags -> claims (claim_id));
diesel::joinable!(claims -> sources (claimant_id));
diesel::joinable!(source_names -> sources (source_id));
diesel::joinable!(attributions -> sources (speaker_id));
diesel::joinable!(claim_events -> claims (claim_id));
diesel::allow_tables_to_appear_in_same_query!(
    change_counters,
    claims,
    claim_tags,
    sources,
    source_names,
    attributions,
    claim_events,
    api_tokens
);

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        secret_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (key) {
        key -> Text,
        request_hash -> Text,
        resource_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    search_postings (term, claim_id) {
        term -> Text,
        claim_id -> Text,
        tf -> Integer,
        impact -> Double,
    }
}

diesel::table! {
    search_docs (claim_id) {
        claim_id -> Text,
        len -> Integer,
        sim_text -> Text,
    }
}

diesel::table! {
    search_stats (term, shard) {
        term -> Text,
        shard -> Integer,
        df -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(claims, search_postings, search_docs);

diesel::table! {
    source_terms (term, source_id) {
        term -> Text,
        source_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sources, source_terms);

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        description -> Nullable<Text>,
        kinds -> Text,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        feed_position -> BigInt,
        failures -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        feed_position -> BigInt,
        claim_id -> Text,
        kind -> Text,
        body -> Text,
        attempts -> Integer,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_attempt_at -> Nullable<Timestamp>,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);

diesel::table! {
    claim_reviews (review_key) {
        review_key -> Text,
        claim_id -> Text,
        review_url -> Nullable<Text>,
        publisher -> Text,
        publisher_url -> Nullable<Text>,
        label -> Nullable<Text>,
        rating_value -> Nullable<Double>,
        best_rating -> Nullable<Double>,
        worst_rating -> Nullable<Double>,
        verdict -> Nullable<Text>,
        reviewed_at -> Nullable<Text>,
        imported_by -> Text,
        imported_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(claim_reviews -> claims (claim_id));
diesel::allow_tables_to_appear_in_same_query!(claims, claim_reviews);
