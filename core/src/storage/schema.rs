//! Diesel's view of the tables; keep in step with `migrations/`.

diesel::table! {
    claims (id) {
        id -> Text,
        text -> Text,
        language -> Text,
        context -> Nullable<Text>,
        claimant -> Nullable<Text>,
        claimed_at -> Nullable<Text>,
        claimed_start -> Nullable<Timestamp>,
        claimed_end -> Nullable<Timestamp>,
        tags -> Text,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    claim_tags (claim_id, tag) {
        claim_id -> Text,
        tag -> Text,
    }
}

diesel::joinable!(claim_tags -> claims (claim_id));
diesel::allow_tables_to_appear_in_same_query!(claims, claim_tags);
