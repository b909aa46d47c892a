//! Use cases: the rules of the domain applied against storage. Transports call these and
//! nothing else.

use chrono::Utc;

use crate::{
    domain::{Claim, ClaimInput, Error, ListParams, Page, claim::parse_id},
    storage::{Database, claims},
};

#[derive(Debug, Clone)]
pub struct Claims {
    db: Database,
}

impl Claims {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create(&self, input: ClaimInput) -> Result<Claim, Error> {
        let claim = input.into_new_claim(Utc::now())?;
        self.db
            .run(move |conn| {
                claims::insert(conn, &claim)?;
                Ok(claim)
            })
            .await
    }

    pub async fn get(&self, id: &str) -> Result<Claim, Error> {
        let id = parse_id("id", id)?;
        self.db.run(move |conn| claims::get(conn, id)).await
    }

    pub async fn list(&self, params: ListParams) -> Result<Page<Claim>, Error> {
        let filter = params.into_filter()?;
        self.db.run(move |conn| claims::list(conn, &filter)).await
    }
}
