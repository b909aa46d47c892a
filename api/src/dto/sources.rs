//! Sources: whoever says or relays things.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{from_timestamp, mask, present, proto_enum};
use crate::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Person,
    Organization,
    OfficialBody,
    NewsOutlet,
    NewsAgency,
    Document,
    /// An unnamed group, described by `descriptor`.
    Anonymous,
}

proto_enum!(SourceKind <=> SourceKind { Person, Organization, OfficialBody, NewsOutlet, NewsAgency, Document, Anonymous });

/// Admiralty reliability grade: A (completely reliable) to F (cannot be judged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
    F,
}

proto_enum!(Grade <=> ReliabilityGrade { A, B, C, D, E, F });

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    pub grade: Grade,
    pub rationale: Option<String>,
}

/// A source to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "The Washington Post",
    "kind": "news_outlet",
    "homepage": "https://www.washingtonpost.com",
    "aliases": ["WaPo"],
    "reliability": {"grade": "B", "rationale": "Established daily with a corrections policy"}
}))]
pub struct CreateSourceRequest {
    /// Unique: no other source may have it as name or alias (ignoring case, accents,
    /// punctuation and a leading article).
    pub name: String,
    pub kind: SourceKind,
    /// Who they are; required for `anonymous` ("sources proches de l'administration Trump").
    pub descriptor: Option<String>,
    /// An http(s) URL.
    pub homepage: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub reliability: Option<Reliability>,
    pub notes: Option<String>,
}

fn reliability(r: Reliability) -> pb::Reliability {
    pb::Reliability { grade: pb::ReliabilityGrade::from(r.grade).into(), rationale: r.rationale }
}

impl From<CreateSourceRequest> for pb::CreateSourceRequest {
    fn from(req: CreateSourceRequest) -> Self {
        let CreateSourceRequest { name, kind, descriptor, homepage, aliases, reliability: rel, notes } = req;
        pb::CreateSourceRequest {
            source: Some(pb::SourceFields {
                name,
                kind: pb::SourceKind::from(kind).into(),
                descriptor,
                homepage,
                aliases,
                reliability: rel.map(reliability),
                notes,
            }),
            request_id: None,
        }
    }
}

/// An edit: only the fields present change; `null` clears an optional field. Needs `If-Match`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"aliases": ["WaPo", "Washington Post"]}))]
pub struct SourcePatchRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SourceKind>)]
    pub kind: Option<Option<SourceKind>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub descriptor: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub homepage: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub aliases: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Reliability>)]
    pub reliability: Option<Option<Reliability>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

impl SourcePatchRequest {
    pub fn into_proto(self, id: String, expected_version: i64) -> pb::UpdateSourceRequest {
        let SourcePatchRequest { name, kind, descriptor, homepage, aliases, reliability: rel, notes } = self;
        let update_mask = mask(&[
            ("name", name.is_some()),
            ("kind", kind.is_some()),
            ("descriptor", descriptor.is_some()),
            ("homepage", homepage.is_some()),
            ("aliases", aliases.is_some()),
            ("reliability", rel.is_some()),
            ("notes", notes.is_some()),
        ]);
        pb::UpdateSourceRequest {
            id,
            expected_version,
            source: Some(pb::SourceFields {
                name: name.flatten().unwrap_or_default(),
                kind: kind.flatten().map_or(pb::SourceKind::Unspecified, Into::into).into(),
                descriptor: descriptor.flatten(),
                homepage: homepage.flatten(),
                aliases: aliases.flatten().unwrap_or_default(),
                reliability: rel.flatten().map(reliability),
                notes: notes.flatten(),
            }),
            update_mask: Some(update_mask),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub descriptor: Option<String>,
    pub homepage: Option<String>,
    pub aliases: Vec<String>,
    pub reliability: Option<Reliability>,
    pub notes: Option<String>,
    /// Starts at 1; bumped by every change. Also the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<pb::Source> for Source {
    type Error = Problem;

    fn try_from(s: pb::Source) -> Result<Self, Problem> {
        let kind = SourceKind::try_from(s.kind())?;
        let pb::Source {
            id,
            name,
            kind: _,
            descriptor,
            homepage,
            aliases,
            reliability,
            notes,
            version,
            created_at,
            updated_at,
        } = s;
        let reliability = reliability
            .map(|r| Ok::<_, Problem>(Reliability { grade: Grade::try_from(r.grade())?, rationale: r.rationale }))
            .transpose()?;
        Ok(Source {
            id,
            name,
            kind,
            descriptor,
            homepage,
            aliases,
            reliability,
            notes,
            version,
            created_at: from_timestamp(created_at)?,
            updated_at: from_timestamp(updated_at)?,
        })
    }
}

/// A source as other resources show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceRef {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
}

impl TryFrom<pb::SourceRef> for SourceRef {
    type Error = Problem;

    fn try_from(s: pb::SourceRef) -> Result<Self, Problem> {
        let kind = SourceKind::try_from(s.kind())?;
        Ok(SourceRef { id: s.id, name: s.name, kind })
    }
}

/// Search and pagination for sources, ordered by name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSourcesQuery {
    /// Results per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
    /// Sources whose names or aliases hold every word of the query, read as claim searches
    /// read a query with no language: French and English stems, accents and case folded,
    /// stop words dropped; a word of 3 or more characters also matches the name words it
    /// begins (at most 200 characters): `q=washington` finds "The Washington Post",
    /// `q=ministries` "Ministry of Foreign Affairs", `q=madu` "Nicolás Maduro". In name order.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub kind: Option<SourceKind>,
}

impl From<ListSourcesQuery> for pb::ListSourcesRequest {
    fn from(q: ListSourcesQuery) -> Self {
        let ListSourcesQuery { page_size, page_token, q, kind } = q;
        pb::ListSourcesRequest {
            page_size,
            page_token,
            query: q,
            kind: kind.map_or(pb::SourceKind::Unspecified, Into::into).into(),
            ids: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourcePage {
    pub sources: Vec<Source>,
    pub next_page_token: Option<String>,
}
