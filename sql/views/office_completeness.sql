-- Question: what did each office send in a census year, and what became of its rows?
-- Pertanyaan: apa yang dikirim setiap dinas pada suatu tahun sensus, dan bagaimana hasilnya?
-- One row per (census_year, office_code); superseded files are counted apart.
-- Offices expected but silent: see submission_coverage.
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
