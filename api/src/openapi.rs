//! The OpenAPI document, collected from the same route registration the server uses.

use utoipa::OpenApi;

use crate::{problem, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "claimdesk",
        description = "Track the claims that appear in the news: who said what, through whom, \
                       who confirms or denies it, and what the desk has decided.\n\n\
                       Errors are RFC 9457 `application/problem+json` documents with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "claims", description = "Checkable statements seen in the news, their sourcing status and history"),
        (name = "attributions", description = "Who said what about a claim, and through whom"),
        (name = "sources", description = "Whoever says or relays things"),
        (name = "tokens", description = "API tokens (admin)"),
        (name = "webhooks", description = "Signed POSTs of the change feed's events to newsroom tools (admin)"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
    components(schemas(problem::ProblemDocument, problem::FieldError)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the bearer token scheme that every `/v1` operation uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token: `Authorization: Bearer cdk_...`. Roles: viewer reads; reporter also \
                         submits claims, sources and attributions; editor also edits and sets statuses; \
                         admin also manages tokens. Each operation names the role it needs.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, collected from the same route registration the server uses.
pub fn openapi() -> serde_json::Value {
    use utoipa_actix_web::AppExt;
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = serde_json::to_value(&api).unwrap_or_default();
    refine(&mut doc);
    doc
}

/// The limits core enforces on request fields, stated in the schemas: (schema, property,
/// constraints). A string must never hold U+0000, and text that must not be blank needs a
/// character other than whitespace.
const FIELD_LIMITS: &[(&str, &str, &str)] = &[
    ("CreateClaimRequest", "text", r#"{"minLength": 1, "maxLength": 10000, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}"#),
    ("ClaimPatchRequest", "text", r#"{"minLength": 1, "maxLength": 10000, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}"#),
    ("CreateClaimRequest", "context", r#"{"maxLength": 20000}"#),
    ("ClaimPatchRequest", "context", r#"{"maxLength": 20000}"#),
    ("CreateClaimRequest", "claimant", r#"{"maxLength": 300}"#),
    ("CreateClaimRequest", "language", LANGUAGE),
    ("ClaimPatchRequest", "language", LANGUAGE),
    ("CreateClaimRequest", "tags", TAGS),
    ("ClaimPatchRequest", "tags", TAGS),
    ("CreateClaimRequest", "claimed_at", PARTIAL_DATE),
    ("ClaimPatchRequest", "claimed_at", PARTIAL_DATE),
    ("CreateClaimRequest", "attributions", r#"{"maxItems": 500}"#),
    ("AttributionRequest", "relay_ids", r#"{"maxItems": 20, "uniqueItems": true}"#),
    ("AttributionRequest", "quote", r#"{"maxLength": 10000}"#),
    ("AttributionRequest", "url", URL),
    ("AttributionRequest", "published_at", PARTIAL_DATE),
    ("CreateSourceRequest", "name", NAME),
    ("SourcePatchRequest", "name", NAME),
    ("CreateSourceRequest", "aliases", ALIASES),
    ("SourcePatchRequest", "aliases", ALIASES),
    ("CreateSourceRequest", "homepage", URL),
    ("SourcePatchRequest", "homepage", URL),
    ("CreateSourceRequest", "descriptor", r#"{"maxLength": 300}"#),
    ("SourcePatchRequest", "descriptor", r#"{"maxLength": 300}"#),
    ("CreateSourceRequest", "notes", r#"{"maxLength": 10000}"#),
    ("SourcePatchRequest", "notes", r#"{"maxLength": 10000}"#),
    ("SimilarRequest", "text", r#"{"minLength": 1, "maxLength": 10000, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}"#),
    ("SimilarRequest", "language", LANGUAGE),
    ("ExtractRequest", "text", r#"{"minLength": 1, "maxLength": 200000}"#),
    ("ExtractRequest", "language", LANGUAGE),
    ("ExtractRequest", "url", URL),
    ("AcceptRequest", "language", LANGUAGE),
    ("AcceptRequest", "url", URL),
    ("AcceptCandidate", "claim", r#"{"minLength": 1, "maxLength": 10000}"#),
    ("AcceptParty", "source_id", r#"{"format": "uuid"}"#),
    ("AcceptParty", "name", NAME),
    ("MergeRequest", "duplicate_etag", r#"{"maxLength": 200}"#),
    ("CreateWebhookRequest", "url", URL),
    ("CreateWebhookRequest", "description", r#"{"maxLength": 500}"#),
    (
        "CreateWebhookRequest",
        "events",
        r#"{"maxItems": 8, "items": {"type": "string", "enum": ["created", "edited", "attribution_added", "attribution_edited", "attribution_removed", "status_changed", "merged", "merged_into"]}}"#,
    ),
    ("CreateTokenRequest", "name", r#"{"minLength": 1, "maxLength": 100, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}"#),
];
const LANGUAGE: &str = r#"{"maxLength": 35, "pattern": "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"}"#;
const TAGS: &str = r#"{"maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^\\u0000-\\u001f]*\\S[^\\u0000-\\u001f]*$"}}"#;
const PARTIAL_DATE: &str = r#"{"pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?)?)?$"}"#;
const URL: &str = r#"{"maxLength": 2000, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$"}"#;
const NAME: &str = r#"{"minLength": 1, "maxLength": 300, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}"#;
const ALIASES: &str = r#"{"maxItems": 50, "uniqueItems": true, "items": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": "^[^\\u0000]*[A-Za-z0-9\\u00c0-\\uffff][^\\u0000]*$"}}"#;

/// What the route macros cannot say, added to the generated document in one place:
/// - ids are UUIDs (`format: uuid`), in paths, queries and bodies;
/// - the limits core enforces on request fields ([`FIELD_LIMITS`]);
/// - every operation with a body may answer 408, 413 and 415; `If-Match` takes `*` or tags;
/// - the `ETag` and `Link` headers wherever they are sent;
/// - history changes as named schemas with a discriminator on `kind`;
/// - the health probes need no token; the server is this gateway.
fn refine(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    doc["servers"] = json!([{"url": "/", "description": "This gateway"}]);
    let problem = |description: &str| json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let uuid = json!({"type": "string", "format": "uuid"});
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (method, op) in item.iter_mut() {
                if !path.starts_with("/v1") {
                    op["security"] = json!([]);
                }
                if matches!(op["operationId"].as_str(), Some("create_claim" | "create_source")) {
                    add_idempotency_key(op);
                }
                let mut lists = false;
                let claim_search = op["operationId"] == "list_claims";
                if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                    for param in params {
                        let name = param["name"].as_str().unwrap_or_default().to_owned();
                        match name.as_str() {
                            "id" | "attribution_id" | "claimant_id" => param["schema"] = uuid.clone(),
                            "page_token" => lists = true,
                            "If-Match" => {
                                param["description"] = json!(
                                    "The ETag of your last read (`\"4-9c1f0e6a2b7d3e58\"` for a claim, `\"3\"` for a \
                                     source); also `*` (any current version) or a list of ETags. Weak tags never match."
                                );
                                param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 1000, "pattern": "^[\\s,]*[^\\s,][^\\r\\n]*$"});
                            }
                            // A claim search takes longer queries than a source lookup.
                            "q" if claim_search => {
                                param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 1000});
                            }
                            "q" => param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 200}),
                            "tag" => param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 64}),
                            "created_from" | "created_to" => {
                                param["schema"] = json!({"type": "string", "format": "date-time"});
                            }
                            "claimed_from" | "claimed_to" => {
                                param["schema"] = serde_json::from_str(PARTIAL_DATE).unwrap_or_default();
                                param["schema"]["type"] = json!("string");
                                param["schema"]["minLength"] = json!(4);
                            }
                            "language" => param["schema"] = serde_json::from_str(LANGUAGE).unwrap_or_default(),
                            "state" => param["schema"] = json!({"type": "string", "enum": ["pending", "delivered"]}),
                            "replay_from" => {
                                param["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[A-Za-z0-9_-]+$"});
                            }
                            _ => {}
                        }
                        if name == "language" {
                            param["schema"]["type"] = json!("string");
                            // A filter: any well-formed tag, however long (it matches nothing).
                            param["schema"].as_object_mut().map(|s| s.remove("maxLength"));
                        }
                    }
                }
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
                if op_has_body(method) {
                    for (code, description) in [
                        ("408", "The body did not arrive in time (`request_timeout`)"),
                        ("413", "Body over 1 MiB (`payload_too_large`)"),
                        ("415", "Body is not JSON (`unsupported_media_type`)"),
                    ] {
                        responses.entry(code).or_insert_with(|| problem(description));
                    }
                }
                for (code, response) in responses.iter_mut() {
                    if !code.starts_with('2') {
                        continue;
                    }
                    let headers = response.as_object_mut().map(|r| r.entry("headers").or_insert_with(|| json!({})));
                    let Some(headers) = headers.and_then(Value::as_object_mut) else { continue };
                    if lists {
                        headers.entry("Link").or_insert_with(|| {
                            json!({"description": "`<...>; rel=\"next\"` when there is a next page", "schema": {"type": "string"}})
                        });
                    }
                    if path.starts_with("/v1/sources") && !lists {
                        headers.entry("ETag").or_insert_with(|| {
                            json!({"description": "The source's version, for If-Match", "schema": {"type": "string"}})
                        });
                    }
                    if headers.is_empty() {
                        response.as_object_mut().map(|r| r.remove("headers"));
                    }
                }
            }
        }
    }
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else { return };
    for (name, schema) in schemas.iter_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        for (field, property) in properties.iter_mut() {
            // Every id of a resource is a UUID; a request id is whatever the client sent.
            if field == "id" || (field.ends_with("_id") && field != "request_id") {
                set_format_uuid(property);
            }
            if field == "relay_ids" {
                property["items"] = uuid.clone();
            }
            for (_, _, limits) in FIELD_LIMITS.iter().filter(|(s, f, _)| s == name && f == field) {
                let limits: Value = serde_json::from_str(limits).unwrap_or_default();
                if let Some(limits) = limits.as_object() {
                    for (key, value) in limits {
                        property[key] = value.clone();
                    }
                }
            }
        }
    }
    name_the_changes(schemas);
    add_links(doc);
}

/// OpenAPI links from what a response names (an id, the new `ETag`) to the requests that use
/// it: generated clients and stateful testers (schemathesis) follow them to chain a creation
/// with its reads and changes.
fn add_links(doc: &mut serde_json::Value) {
    use serde_json::json;
    let claim = |id: &str| {
        json!({
            "get_claim": {"operationId": "get_claim", "parameters": {"id": id}},
            "update_claim": {"operationId": "update_claim", "parameters": {"id": id, "header.If-Match": "$response.header.ETag"}},
            "set_status": {"operationId": "set_status", "parameters": {"id": id, "header.If-Match": "$response.header.ETag"}},
            "add_attribution": {"operationId": "add_attribution", "parameters": {"id": id, "header.If-Match": "$response.header.ETag"}},
            "get_history": {"operationId": "get_history", "parameters": {"id": id}},
            "get_sourcing": {"operationId": "get_sourcing", "parameters": {"id": id}},
        })
    };
    let attribution = json!({
        "get_attribution": {"operationId": "get_attribution", "parameters": {"id": "$request.path.id", "attribution_id": "$response.body#/attribution/id"}},
        "replace_attribution": {"operationId": "replace_attribution", "parameters": {
            "id": "$request.path.id", "attribution_id": "$response.body#/attribution/id", "header.If-Match": "$response.header.ETag"}},
        "remove_attribution": {"operationId": "remove_attribution", "parameters": {
            "id": "$request.path.id", "attribution_id": "$response.body#/attribution/id", "header.If-Match": "$response.header.ETag"}},
    });
    let source = json!({
        "get_source": {"operationId": "get_source", "parameters": {"id": "$response.body#/id"}},
        "update_source": {"operationId": "update_source", "parameters": {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}},
    });
    for (pointer, links) in [
        ("/paths/~1v1~1claims/post/responses/201", claim("$response.body#/id")),
        ("/paths/~1v1~1claims~1{id}/patch/responses/200", claim("$response.body#/id")),
        ("/paths/~1v1~1claims~1{id}~1status/post/responses/200", claim("$response.body#/id")),
        ("/paths/~1v1~1claims~1{id}~1attributions/post/responses/201", attribution),
        ("/paths/~1v1~1sources/post/responses/201", source.clone()),
        ("/paths/~1v1~1sources~1{id}/patch/responses/200", source),
    ] {
        if let Some(response) = doc.pointer_mut(pointer) {
            response["links"] = links;
        }
    }
}

/// `Idempotency-Key` on a creation: the parameter, its answers and the replay header.
fn add_idempotency_key(op: &mut serde_json::Value) {
    use serde_json::json;
    let parameter = json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Makes a retry safe: for 24 hours, the same key from the same token with the same body \
                        answers what the first request created (with `Idempotent-Replayed: true`) and creates \
                        nothing; with another body, 422 `idempotency_key_reused`; while the first is in flight, \
                        409 `idempotency_key_in_use`.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}
    });
    match op.get_mut("parameters").and_then(serde_json::Value::as_array_mut) {
        Some(parameters) => parameters.push(parameter),
        None => op["parameters"] = json!([parameter]),
    }
    let problem = |description: &str| json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    if let Some(responses) = op.get_mut("responses").and_then(serde_json::Value::as_object_mut) {
        responses.insert(
            "422".to_owned(),
            problem("The Idempotency-Key was used with another body (`idempotency_key_reused`)"),
        );
        let conflict = responses.entry("409").or_insert_with(|| problem("Conflict"));
        let described = conflict["description"].as_str().unwrap_or_default().to_owned();
        conflict["description"] = json!(format!(
            "{described}; or a request with this Idempotency-Key is in flight (`idempotency_key_in_use`)"
        ));
        if let Some(created) = responses.get_mut("201") {
            created["headers"]["Idempotent-Replayed"] = json!({
                "description": "`true` when this answers an earlier request with the same Idempotency-Key",
                "schema": {"type": "string", "enum": ["true"]}
            });
        }
    }
}

fn op_has_body(method: &str) -> bool {
    matches!(method, "post" | "put" | "patch")
}

/// `format: uuid` on a string property, also when it may be null.
fn set_format_uuid(property: &mut serde_json::Value) {
    if property.get("$ref").is_none() && property.get("oneOf").is_none() {
        property["format"] = serde_json::json!("uuid");
    }
}

/// Each kind of history change becomes a schema of its own (`ChangeCreated`...), and `Change`
/// a `oneOf` of them with a discriminator on `kind`, which generated clients need to decode it.
fn name_the_changes(schemas: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::json;
    let Some(variants) = schemas.get("Change").and_then(|c| c["oneOf"].as_array()).cloned() else { return };
    let mut refs = Vec::new();
    let mut mapping = serde_json::Map::new();
    for variant in variants {
        let Some(kind) = variant["properties"]["kind"]["enum"][0].as_str().map(str::to_owned) else { return };
        let name = format!("Change{}", kind.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect::<String>());
        let reference = format!("#/components/schemas/{name}");
        mapping.insert(kind, json!(reference));
        refs.push(json!({"$ref": reference}));
        schemas.insert(name, variant);
    }
    schemas.insert(
        "Change".to_owned(),
        json!({
            "description": "What changed, by `kind`.",
            "oneOf": refs,
            "discriminator": {"propertyName": "kind", "mapping": mapping}
        }),
    );
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = serde_json::to_string_pretty(&openapi()).unwrap_or_default();
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    /// Every link points at an operation of the document, and the chains a stateful client
    /// follows exist (a link lost to a renamed path would fail silently otherwise).
    #[test]
    fn links_chain_creations_to_their_changes() {
        let doc = super::openapi();
        let mut operations = std::collections::HashSet::new();
        let mut targets = Vec::new();
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("path item").values() {
                operations.insert(op["operationId"].as_str().unwrap_or_default().to_owned());
                for response in op["responses"].as_object().into_iter().flat_map(|r| r.values()) {
                    for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                        targets.push(link["operationId"].as_str().unwrap_or_default().to_owned());
                    }
                }
            }
        }
        for expected in ["update_claim", "set_status", "replace_attribution", "remove_attribution", "update_source"] {
            assert!(targets.iter().any(|t| t == expected), "no link to {expected}");
        }
        for target in &targets {
            assert!(operations.contains(target), "a link to {target}, which is no operation");
        }
    }

    /// Refining adds to the document, never a `null` where OpenAPI wants an object or a list
    /// (indexing a JSON value mutably inserts one).
    #[test]
    fn the_refined_document_holds_no_null_outside_examples() {
        fn walk(value: &serde_json::Value, path: &str, nulls: &mut Vec<String>) {
            match value {
                serde_json::Value::Null => nulls.push(path.to_owned()),
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}/{i}"), nulls);
                    }
                }
                serde_json::Value::Object(map) => {
                    for (key, item) in map {
                        if key != "example" && key != "examples" && key != "default" {
                            walk(item, &format!("{path}/{key}"), nulls);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut nulls = Vec::new();
        walk(&super::openapi(), "", &mut nulls);
        assert!(nulls.is_empty(), "{nulls:?}");
    }

    /// Every `$ref` names a schema the document holds (a type used only in a query parameter
    /// is not collected by itself).
    #[test]
    fn every_reference_resolves() {
        fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
            match value {
                serde_json::Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
                serde_json::Value::Object(map) => {
                    for (key, item) in map {
                        match item.as_str() {
                            Some(target) if key == "$ref" => out.push(target),
                            _ => refs(item, out),
                        }
                    }
                }
                _ => {}
            }
        }
        let doc = super::openapi();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "{} references", found.len());
        let dangling: Vec<_> = found
            .into_iter()
            .filter(|r| {
                let path = r.trim_start_matches("#/");
                path.split('/').try_fold(&doc, |node, key| node.get(key.replace("~1", "/"))).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "unresolved: {dangling:?}");
    }
}
