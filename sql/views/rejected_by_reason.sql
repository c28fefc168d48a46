-- Rejected source rows per office, year and reason code.
-- Baris sumber yang ditolak per dinas, tahun dan kode alasan.
CREATE VIEW rejected_by_reason AS
SELECT census_year, office_code, reason_code, count(*) AS rows_rejected
FROM (
    SELECT census_year, office_code, unnest(reason_codes) AS reason_code
    FROM submission_rows
    WHERE verdict = 'rejected'
)
GROUP BY ALL;
