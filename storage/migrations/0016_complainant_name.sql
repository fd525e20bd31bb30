-- A complaint (khiếu nại) or a named denunciation (tố cáo) carries the full name its sender
-- typed: Luật Khiếu nại 02/2011/QH13 needs a named complainant, and Luật Tố cáo 25/2018/QH14
-- does not handle an anonymous denunciation as one. Cleared when the sender deletes their data.

ALTER TABLE feedback ADD COLUMN complainant_name TEXT;
