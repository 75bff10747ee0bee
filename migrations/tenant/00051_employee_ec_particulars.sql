-- +goose Up
-- Part A of Borang EC names the employee's pension or provident fund number (KWAP for
-- pensionable officers, KWSP for contract staff), PERKESO number and the number of children
-- who qualify for tax relief. The employees feed carries them in optional columns; a person
-- on KWAP has kwap_no and usually no kwsp_no. children is NULL when the payroll did not say.
ALTER TABLE employees ADD COLUMN kwap_no text NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN perkeso_no text NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN children smallint CHECK (children BETWEEN 0 AND 99);

-- +goose Down
ALTER TABLE employees DROP COLUMN children;
ALTER TABLE employees DROP COLUMN perkeso_no;
ALTER TABLE employees DROP COLUMN kwap_no;
