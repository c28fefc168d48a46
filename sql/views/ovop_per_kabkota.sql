-- Active sentra of the five OVOP commodity groups per kab/kota (input for DAK planning).
-- Sentra aktif lima kelompok komoditas OVOP per kab/kota (bahan perencanaan DAK).
CREATE VIEW ovop_per_kabkota AS
SELECT region_code,
       commodity_group,
       count(*) AS active_sentra,
       sum(units) AS units,
       sum(workers) AS workers
FROM sentra
WHERE status = 'active'
  AND commodity_group IN ('makanan_minuman', 'kain_tenun', 'kain_batik', 'anyaman', 'gerabah')
GROUP BY ALL;
