-- Indexes for the weekly digest and the period report (storage/reports.py).
-- Each one serves a range over a timestamp; the benchmark (benchmarks/bench_reports.py)
-- shows the query plans and timings on a commune of 1,000,000 feedback items and
-- 5,000,000 ratings.

-- Items received in a period, grouped by category and hamlet: covered, no table lookups.
CREATE INDEX feedback_created ON feedback (created_at, category, hamlet);
-- Items resolved in a period, with what on-time and median need: covered.
CREATE INDEX feedback_resolved ON feedback (resolved_at, status, deadline, created_at, category)
    WHERE resolved_at IS NOT NULL;
-- Items closed after a moment (overdue at a past moment): updated_at is never before the
-- moment an item was closed.
CREATE INDEX feedback_updated ON feedback (updated_at);
-- Ratings of feedback handling in a period (SIPAS component 5): covered.
CREATE INDEX feedback_rated ON feedback (rated_at, rating) WHERE rated_at IS NOT NULL;

-- Satisfaction per component over a period: covered, so a year is one index range scan.
CREATE INDEX ratings_scores ON ratings (created_at, c1, c2, c3, c4, c5, overall);

CREATE INDEX residents_created ON residents (created_at, hamlet, status);
CREATE INDEX outbox_delivered ON outbox (sent_at, kind, resident_id) WHERE status = 'sent';
CREATE INDEX outbox_unreachable ON outbox (created_at) WHERE status = 'unreachable';
CREATE INDEX content_reads_when ON content_reads (last_read_at, item_id);
CREATE INDEX content_answers_when ON content_answers (answered_at, item_id, correct);
CREATE INDEX survey_done_when ON survey_done (completed_at);
