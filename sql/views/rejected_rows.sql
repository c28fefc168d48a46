-- Question: which source rows were rejected, where are they in the office's file, and why?
-- Pertanyaan: baris sumber mana yang ditolak, di mana letaknya pada berkas dinas, dan mengapa?
-- Every column of submission_rows, for rows whose verdict is 'rejected'.
CREATE VIEW rejected_rows AS
SELECT *
FROM submission_rows
WHERE verdict = 'rejected';
