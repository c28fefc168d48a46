-- Question: how many active sentra of the five OVOP commodity groups does each kab/kota
-- have now (input for DAK planning)?
-- Pertanyaan: berapa sentra aktif lima kelompok komoditas OVOP di setiap kab/kota saat ini
-- (bahan perencanaan DAK)?
CREATE VIEW ovop_per_kabkota AS
SELECT province_code,
       region_code,
       commodity_group,
       count(*) AS active_sentra,
       sum(units) AS units,
       sum(workers) AS workers
FROM sentra
WHERE status = 'active'
  AND commodity_group IN ('makanan_minuman', 'kain_tenun', 'kain_batik', 'anyaman', 'gerabah')
GROUP BY ALL;
