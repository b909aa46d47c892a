//! The end-to-end suite: real core and gateway servers on port 0, real HTTP and gRPC clients.
//! Every scenario runs twice, against SQLite (`sqlite::`) and PostgreSQL (`postgres::`), each
//! on a database of its own.

mod authorization;
mod bad_input;
mod claimreview;
mod claims;
mod core_down;
mod desk;
mod docs;
mod extraction;
mod feed;
mod front_door;
mod grpc_services;
mod history;
mod idempotency;
mod imports;
mod migrations;
mod openapi;
mod postings;
mod representation;
mod search;
mod sources;
mod venezuela;
mod webhooks;
