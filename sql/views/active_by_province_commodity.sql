-- Question: how many sentra were active per province and commodity group in each census year?
-- Pertanyaan: berapa sentra aktif per provinsi dan kelompok komoditas pada setiap tahun sensus?
-- One row per (census_year, province_code, commodity_group); counts of the derived status.
CREATE VIEW active_by_province_commodity AS
SELECT c.census_year,
       c.province_code,
       c.commodity_group,
       count(*) FILTER (WHERE c.status = 'active') AS active,
       count(*) FILTER (WHERE c.status = 'at_risk') AS at_risk,
       count(*) FILTER (WHERE c.status = 'inactive') AS reported_inactive,
       count(*) AS reported
FROM sentra_census AS c
GROUP BY ALL;
