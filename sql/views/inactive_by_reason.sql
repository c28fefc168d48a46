-- Question: which sentra became inactive in a census year, and why? For example
-- "which sentra in Jawa Tengah became inactive in 2026 and why":
--   SELECT * FROM inactive_by_reason WHERE province_code = '33' AND became_inactive_in = 2026
-- Pertanyaan: sentra mana yang menjadi tidak aktif pada suatu tahun sensus, dan mengapa?
-- One row per inactive interval in the status history of the latest consolidation.
CREATE VIEW inactive_by_reason AS
SELECT h.sentra_id,
       s.sentra_name,
       s.region_code,
       s.province_code,
       s.commodity_group,
       h.valid_from_year AS became_inactive_in,
       list_sort(h.reason_codes) AS reasons,
       h.is_current AS still_inactive,
       h.census_year AS as_of_census
FROM sentra_status_history AS h
JOIN sentra AS s ON s.sentra_id = h.sentra_id
WHERE h.status = 'inactive'
  AND h.census_year = (SELECT max(census_year) FROM sentra_status_history);
