-- Submissions per office and year: what came in, what was accepted, rejected, held.
-- Kelengkapan kiriman per dinas dan tahun: berkas, baris diterima/ditolak, status.
CREATE VIEW office_completeness AS
SELECT census_year,
       office_code,
       count(*) FILTER (WHERE status <> 'superseded') AS current_files,
       count(*) FILTER (WHERE status = 'superseded') AS superseded_files,
       bool_or(status = 'needs_review') AS held_for_review,
       bool_or(status = 'rejected') AS has_rejected_file,
       sum(rows_total) FILTER (WHERE status <> 'superseded') AS rows_total,
       sum(rows_accepted) FILTER (WHERE status <> 'superseded') AS rows_accepted,
       sum(rows_rejected) FILTER (WHERE status <> 'superseded') AS rows_rejected,
       max(received_at) AS last_received_at
FROM submissions
GROUP BY ALL;
