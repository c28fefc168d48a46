-- Active sentra per province and OVOP commodity group, per census year.
-- Sentra aktif per provinsi dan kelompok komoditas OVOP, per tahun sensus.
CREATE VIEW active_by_province_commodity AS
SELECT c.census_year,
       substr(c.region_code, 1, 2) AS province_code,
       c.commodity_group,
       count(*) FILTER (WHERE c.status = 'active') AS active,
       count(*) FILTER (WHERE c.status = 'at_risk') AS at_risk,
       count(*) FILTER (WHERE c.status = 'inactive') AS reported_inactive,
       count(*) AS reported
FROM sentra_census AS c
GROUP BY ALL;
