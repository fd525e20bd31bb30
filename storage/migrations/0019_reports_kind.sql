-- Complaints and denunciations follow their laws' time limits, not the commune's feedback
-- deadlines (Luật Khiếu nại 02/2011/QH13, Luật Tố cáo 25/2018/QH14): the figures measured
-- against those deadlines (resolved on time, time to resolve, overdue) leave them out. The
-- resolution index carries the kind so that leaving them out stays a covered index range.
DROP INDEX feedback_resolved;
CREATE INDEX feedback_resolved
    ON feedback (resolved_at, status, deadline, created_at, category, kind)
    WHERE resolved_at IS NOT NULL;
