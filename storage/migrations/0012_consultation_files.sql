-- A consultation may carry one photo or document (drawings, estimates) sent with it.

ALTER TABLE consultations ADD COLUMN file_kind TEXT CHECK (file_kind IN ('photo', 'document'));
ALTER TABLE consultations ADD COLUMN file_name TEXT;
ALTER TABLE consultations ADD COLUMN file_data BLOB;
