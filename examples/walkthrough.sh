#!/usr/bin/env bash
# The README's walk-through ("A walk-through with curl"), as a script that runs.
#
#   cargo build --release && examples/walkthrough.sh
#
# It starts its own `claimdesk serve` on a fresh SQLite database in a temporary directory, on
# free ports (so a service you already run on 8080 is left alone), runs the steps, prints what
# each step answers, then stops the service and removes the directory. Every run prints the same
# thing, except for the ids (UUIDs). Needs bash, curl and jq. CLAIMDESK_BIN names the binary
# (default: target/release/claimdesk, or under CARGO_TARGET_DIR; the README's first command
# builds it).
#
# The part between the two marker lines is what the README shows, character for character, and
# each `#>` line is what the command above it prints (with <id> for a UUID). CI checks both:
# .ci/first-hour.py.
set -euo pipefail

BIN="${CLAIMDESK_BIN:-${CARGO_TARGET_DIR:-target}/release/claimdesk}"
[[ -x "$BIN" ]] || { echo "walkthrough: no binary at $BIN (cargo build --release first)" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "walkthrough: needs $tool" >&2; exit 2; }
done

DIR="$(mktemp -d)"
export CLAIMDESK_DATABASE_URL="sqlite://$DIR/walkthrough.db"
RUST_LOG=info "$BIN" serve --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 >"$DIR/serve.log" 2>&1 &
SERVE=$!
stop() {
    local status=$?
    kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
    if [[ $status -ne 0 ]]; then
        echo "walkthrough: failed (exit $status); the service's log:" >&2
        cat "$DIR/serve.log" >&2
    fi
    rm -rf "$DIR"
}
trap stop EXIT
# Port 0 picks free ports; the gateway's start-up line says which.
ADDR=
for _ in $(seq 1 100); do
    ADDR=$(grep -ao 'gateway HTTP listening addr=[0-9.:]*' "$DIR/serve.log" | cut -d= -f2 || true)
    [[ -n "$ADDR" ]] && curl -sf "http://$ADDR/readyz" >/dev/null && break
    kill -0 "$SERVE" 2>/dev/null || exit 1
    sleep 0.1
done
curl -sf "http://$ADDR/readyz" >/dev/null

API="http://$ADDR/v1"
TOKEN=$("$BIN" token create --name desk --role editor 2>>"$DIR/serve.log")

# --- walk-through (the README shows what follows, up to the closing marker) ---
AUTH="authorization: Bearer $TOKEN"
post() { curl -s -H "$AUTH" -H 'content-type: application/json' "$API$1" -d "$2"; }
src() { post /sources "$1" | jq -r .id; }

# Sources: names are unique whatever the spelling ("Washington Post" is "The Washington Post").
WAPO=$(src '{"name": "The Washington Post", "kind": "news_outlet", "aliases": ["WaPo"]}')
PESKOV=$(src '{"name": "Dmitri Peskov", "kind": "person", "descriptor": "porte-parole du Kremlin"}')
TASS=$(src '{"name": "TASS", "kind": "news_agency", "reliability": {"grade": "D", "rationale": "State agency"}}')
HERALD=$(src '{"name": "Miami Herald", "kind": "news_outlet"}')
WSJ=$(src '{"name": "The Wall Street Journal", "kind": "news_outlet"}')
CLOSE=$(src '{"name": "Sources proches de l'\''administration Trump", "kind": "anonymous",
              "descriptor": "sources proches de l'\''administration Trump"}')
TRUMP=$(src '{"name": "Donald Trump", "kind": "person"}')
post /sources '{"name": "washington post", "kind": "news_outlet"}' | jq -c '{status, code, existing_id}'
#> {"status":409,"code":"already_exists","existing_id":"<id>"}
# Search names and aliases (stems, accents and case folded, word starts):
curl -s -H "$AUTH" "$API/sources?q=wapo" | jq -c '[.sources[].name]'
#> ["The Washington Post"]

# A claim: 201 with Location, an ETag and the claim: status unverified, sourcing unsourced.
# The claimant is given by name and resolves to the existing source.
created=$(post /claims '{
  "text": "Maduro a demandé l'\''aide de la Russie, de la Chine et de l'\''Iran pour renforcer les défenses du pays",
  "language": "fr", "claimant": "Washington Post", "claimed_at": "2025-10", "tags": ["venezuela", "russie"]}')
echo "$created" | jq -c '{version, status, claimant: .claimant.name, level: .sourcing.level}'
#> {"version":1,"status":"unverified","claimant":"The Washington Post","level":"unsourced"}
HELP=$(echo "$created" | jq -r .id); TAG=$(echo "$created" | jq -r .etag)

# Attributions change the claim: each needs If-Match with the claim's current ETag, and
# answers with the new one (claim_etag, also the ETag header).
att() {
  curl -s -H "$AUTH" -H 'content-type: application/json' -H "if-match: \"$2\"" \
    "$API/claims/$1/attributions" -d "$3" | jq -r .claim_etag
}
TAG=$(att "$HELP" "$TAG" '{"speaker_id": "'"$WAPO"'", "stance": "asserts", "published_at": "2025-10-24"}')
TAG=$(att "$HELP" "$TAG" '{"speaker_id": "'"$WAPO"'", "stance": "asserts", "quote": "Maduro a sollicité l'\''aide"}')
TAG=$(att "$HELP" "$TAG" '{"speaker_id": "'"$PESKOV"'", "stance": "context", "relay_ids": ["'"$TASS"'"],
                          "quote": "« Nous sommes en contact avec nos amis vénézuéliens »", "published_at": "2025-10-26"}')
curl -s -H "$AUTH" "$API/claims/$HELP/sourcing" | jq -c '{level, independent_supporting, named_supporting, denials}'
#> {"level":"single_source","independent_supporting":1,"named_supporting":1,"denials":0}
curl -s -H "$AUTH" "$API/claims/$HELP/sourcing" | jq -r .explanation
#> One independent source supports the claim: The Washington Post. 2 supporting statements come from 1 origin(s): statements of one origin count once, whoever relays them. Context, neither support nor denial, from Dmitri Peskov. Level single_source: one independent source.

# The same claim in the article's other words: refused as a duplicate when asked to (409 with
# the matches and their scores, 0 to 1); without reject_duplicates_above it is stored and the
# matches come back as possible_duplicates.
post /claims '{"text": "Maduro a sollicité l'\''aide de la Russie, de la Chine et de l'\''Iran pour renforcer les défenses du pays",
               "language": "fr", "reject_duplicates_above": 0.8}' \
  | jq -c '{status, code, matches: [.matches[] | {claim_id, score: (.score * 100 | round / 100)}]}'
#> {"status":409,"code":"possible_duplicate","matches":[{"claim_id":"<id>","score":0.86}]}

# Two papers relaying one anonymous group, denied by the President: contested, anonymous only.
created=$(post /claims '{
  "text": "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
  "language": "fr", "claimant_id": "'"$CLOSE"'", "tags": ["venezuela", "usa"]}')
STRIKE=$(echo "$created" | jq -r .id); STAG=$(echo "$created" | jq -r .etag)
STAG=$(att "$STRIKE" "$STAG" '{"speaker_id": "'"$CLOSE"'", "stance": "asserts", "relay_ids": ["'"$HERALD"'"]}')
STAG=$(att "$STRIKE" "$STAG" '{"speaker_id": "'"$CLOSE"'", "stance": "asserts", "relay_ids": ["'"$WSJ"'"]}')
STAG=$(att "$STRIKE" "$STAG" '{"speaker_id": "'"$TRUMP"'", "stance": "denies"}')
curl -s -H "$AUTH" "$API/claims/$STRIKE/sourcing" | jq -c '{level, anonymous_only, independent_supporting, denials}'
#> {"level":"contested","anonymous_only":true,"independent_supporting":1,"denials":1}

# The desk's decision: in review, then confirmed is refused (409, naming what is missing).
st() {
  curl -s -H "$AUTH" -H 'content-type: application/json' -H "if-match: \"$2\"" \
    "$API/claims/$1/status" -d "$3"
}
STAG=$(st "$STRIKE" "$STAG" '{"status": "in_review"}' | jq -r .etag)
st "$STRIKE" "$STAG" '{"status": "confirmed", "note": "Two papers say so"}' | jq -c '{status, code}'
#> {"status":409,"code":"confirmation_requirements_not_met"}
st "$STRIKE" "$STAG" '{"status": "confirmed", "note": "Two papers say so"}' | jq -r .detail
#> confirmed needs a confirmation by a named person, organisation or official body, or at least 3 independent supporting sources; this claim has 1 independent supporting source(s), all anonymous and no such confirmation
st "$STRIKE" "$STAG" '{"status": "disputed", "note": "Anonymous sources only, denied by the President"}' \
  | jq -c '{version, status}'
#> {"version":6,"status":"disputed"}

# Edits are JSON merge patches with If-Match; a stale ETag answers 412 with current_version and
# current_etag. The ETag also changes when a source the claim shows is edited (its name, kind):
# a change made against the old picture is refused, and the editor reads the claim again.
edit() {
  curl -s -H "$AUTH" -X PATCH -H 'content-type: application/merge-patch+json' -H "if-match: \"$2\"" \
    "$API/claims/$1" -d "$3"
}
edit "$HELP" "$TAG" '{"claimed_at": "2025-10-24", "tags": ["venezuela", "russie", "chine", "iran"]}' \
  | jq -c '{version, claimed_at, tags}'
#> {"version":5,"claimed_at":"2025-10-24","tags":["venezuela","russie","chine","iran"]}
edit "$HELP" "$TAG" '{"context": "x"}' | jq -c '{status, code, current_version}'
#> {"status":412,"code":"version_mismatch","current_version":5}

# Every change, oldest first, with who made it (the edit carries before and after).
curl -s -H "$AUTH" "$API/claims/$HELP/history?page_size=10" | jq -r '.events[] | "\(.version) \(.change.kind) by \(.actor)"'
#> 1 created by desk (editor)
#> 2 attribution_added by desk (editor)
#> 3 attribution_added by desk (editor)
#> 4 attribution_added by desk (editor)
#> 5 edited by desk (editor)

# Lists: newest first, filters status, language ("fr" also matches "fr-CA"), claimant_id, tag,
# created_from/created_to (RFC 3339) and claimed_from/claimed_to (partial dates, whole periods).
# A next_page_token (also a Link: <...>; rel="next" header) when there is more.
curl -s -H "$AUTH" "$API/claims?tag=venezuela&page_size=1" | jq -c '{texts: [.claims[].text], more: (.next_page_token != null)}'
#> {"texts":["Les États-Unis se préparaient à bombarder des installations militaires au Venezuela"],"more":true}
curl -s -H "$AUTH" "$API/claims?tag=venezuela&status=disputed" | jq -c '{texts: [.claims[].text], more: (.next_page_token != null)}'
#> {"texts":["Les États-Unis se préparaient à bombarder des installations militaires au Venezuela"],"more":false}

# Full-text search: stems, accents and case folded, best first.
curl -s -H "$AUTH" "$API/claims?q=etats-unis+bombardement" | jq -c '[.claims[].text]'
#> ["Les États-Unis se préparaient à bombarder des installations militaires au Venezuela"]

# Bad input: 400 application/problem+json with a stable code and every offending field.
post /claims '{"text": " ", "language": "en_US", "claimed_at": "2025-02-30"}' | jq -c '{status, code}, .errors[]'
#> {"status":400,"code":"validation_failed"}
#> {"field":"text","message":"is required and must not be blank"}
#> {"field":"language","message":"\"en_US\" is not a well-formed BCP 47 language tag (The given language subtag is invalid)"}
#> {"field":"claimed_at","message":"2025-02-30 is not a date that exists"}
# --- end of the walk-through ---
