-- Question: per province and census year, how many kab/kota were expected to submit and
-- how many did? A kab/kota is expected when the register holds a sentra there that
-- existed that year; it is covered when its own office or its province office sent a
-- usable file (not superseded, not rejected as a whole).
-- Pertanyaan: per provinsi dan tahun sensus, berapa kab/kota yang wajib mengirim dan
-- berapa yang sudah mengirim berkas yang dapat dipakai?
CREATE VIEW submission_coverage AS
WITH years AS (
    SELECT DISTINCT census_year FROM submissions
), expected AS (
    SELECT DISTINCT y.census_year, s.province_code, s.region_code
    FROM sentra AS s
    JOIN years AS y ON coalesce(s.first_census_year, y.census_year) <= y.census_year
), usable AS (
    SELECT DISTINCT census_year, office_code
    FROM submissions
    WHERE status NOT IN ('superseded', 'rejected')
)
SELECT e.census_year,
       e.province_code,
       count(*) AS kabkota_expected,
       count(*) FILTER (WHERE u.office_code IS NOT NULL) AS kabkota_submitted,
       round(count(*) FILTER (WHERE u.office_code IS NOT NULL) / count(*), 4) AS completeness,
       coalesce(list_sort(list(e.region_code) FILTER (WHERE u.office_code IS NULL)), []) AS kabkota_missing
FROM expected AS e
LEFT JOIN usable AS u
       ON u.census_year = e.census_year
      AND (u.office_code = e.region_code OR u.office_code = e.province_code)
GROUP BY ALL;
