-- Question: which sentra were reported active again after having been inactive?
-- Pertanyaan: sentra mana yang kembali aktif setelah sebelumnya tidak aktif?
-- Same sentra_id, history kept; the status rule adds reason code status_revived.
CREATE VIEW revived AS
SELECT h.sentra_id,
       s.sentra_name,
       s.region_code,
       s.province_code,
       h.valid_from_year AS revived_in,
       h.status
FROM sentra_status_history AS h
JOIN sentra AS s ON s.sentra_id = h.sentra_id
WHERE list_contains(h.reason_codes, 'status_revived')
  AND h.census_year = (SELECT max(census_year) FROM sentra_status_history);
