-- Question: how many rows did each office have rejected, per reason code and census year?
-- Pertanyaan: berapa baris setiap dinas yang ditolak, per kode alasan dan tahun sensus?
-- A row rejected for two reasons counts once under each reason.
CREATE VIEW rejected_by_reason AS
SELECT census_year, office_code, reason_code, count(*) AS rows_rejected
FROM (
    SELECT census_year, office_code, unnest(reason_codes) AS reason_code
    FROM rejected_rows
)
GROUP BY ALL;
