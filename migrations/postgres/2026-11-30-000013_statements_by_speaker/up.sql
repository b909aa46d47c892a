-- A source's statements, newest first (ListSourceStatements, GET /v1/sources/{id}/statements).
CREATE INDEX attributions_speaker_idx ON attributions (speaker_id, recorded_at, id);
