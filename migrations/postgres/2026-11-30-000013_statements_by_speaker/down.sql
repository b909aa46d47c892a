DROP INDEX attributions_speaker_idx;
