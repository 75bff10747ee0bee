-- +goose Up
-- The payslips feed copies a new month's lines straight into payslip_lines as it reads the
-- file, and writes their payslips after the last line (modules/feed/payslips_direct.go). It
-- defers this key's checks to that point with SET CONSTRAINTS; everything else still has
-- them checked at once, as before (INITIALLY IMMEDIATE).
ALTER TABLE payslip_lines ALTER CONSTRAINT payslip_lines_ic_no_year_month_fkey DEFERRABLE INITIALLY IMMEDIATE;

-- +goose Down
ALTER TABLE payslip_lines ALTER CONSTRAINT payslip_lines_ic_no_year_month_fkey NOT DEFERRABLE;
