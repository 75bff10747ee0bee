-- +goose Up
-- An account's link to its own records (users.employee_ic → the payroll master, users.supplier_id
-- → the supplier master) follows from its login ID alone: a staff or officer account is the
-- employee with that IC number, a supplier account the supplier with either form of that
-- company number. Every way an account comes to exist (self-registration, first login from the
-- payroll, a user-administration request, onboarding, the CLI, the demo) and every way a master
-- record arrives (a feed, before or after the account) must end with the link set, or the person
-- logs in to empty payslip and payment pages. So the database keeps the link, not each caller:
--   * a row trigger on users fills a missing link when an account is inserted or its login ID
--     or category changes;
--   * statement triggers on employees and suppliers link the accounts still unlinked when master
--     records arrive later (one set-based UPDATE per feed statement, not one per row).
-- A link, once set, is never changed or cleared here: records stay reachable however the master
-- changes afterwards. The functions pin search_path to the schema they were created in, so they
-- work on the tenant's tables whatever the session's search_path is.

-- +goose StatementBegin
CREATE FUNCTION link_account_to_master() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF NEW.category IN ('staff', 'officer') AND NEW.employee_ic IS NULL THEN
        SELECT e.ic_no INTO NEW.employee_ic FROM employees e WHERE e.ic_no = NEW.login_id;
    ELSIF NEW.category = 'supplier' AND NEW.supplier_id IS NULL THEN
        SELECT s.id INTO NEW.supplier_id FROM suppliers s
        WHERE s.reg_no_new IN (NEW.login_id, NEW.alt_login_id) OR s.reg_no_old IN (NEW.login_id, NEW.alt_login_id)
        ORDER BY s.id LIMIT 1;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION link_accounts_to_masters() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE users u SET employee_ic = e.ic_no
    FROM employees e
    WHERE u.employee_ic IS NULL AND u.category IN ('staff', 'officer') AND e.ic_no = u.login_id;

    UPDATE users u SET supplier_id = s.id
    FROM suppliers s
    WHERE u.supplier_id IS NULL AND u.category = 'supplier'
      AND (s.reg_no_new IN (u.login_id, u.alt_login_id) OR s.reg_no_old IN (u.login_id, u.alt_login_id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_link_master
    BEFORE INSERT OR UPDATE OF login_id, alt_login_id, category ON users
    FOR EACH ROW EXECUTE FUNCTION link_account_to_master();

CREATE TRIGGER employees_link_accounts
    AFTER INSERT ON employees
    FOR EACH STATEMENT EXECUTE FUNCTION link_accounts_to_masters();

CREATE TRIGGER suppliers_link_accounts
    AFTER INSERT OR UPDATE OF reg_no_new, reg_no_old ON suppliers
    FOR EACH STATEMENT EXECUTE FUNCTION link_accounts_to_masters();

-- Accounts created before this migration without their link (self-registrations, officers).
UPDATE users u SET employee_ic = e.ic_no
FROM employees e
WHERE u.employee_ic IS NULL AND u.category IN ('staff', 'officer') AND e.ic_no = u.login_id;

UPDATE users u SET supplier_id = s.id
FROM suppliers s
WHERE u.supplier_id IS NULL AND u.category = 'supplier'
  AND (s.reg_no_new IN (u.login_id, u.alt_login_id) OR s.reg_no_old IN (u.login_id, u.alt_login_id));

-- +goose Down
DROP TRIGGER suppliers_link_accounts ON suppliers;
DROP TRIGGER employees_link_accounts ON employees;
DROP TRIGGER users_link_master ON users;
DROP FUNCTION link_accounts_to_masters();
DROP FUNCTION link_account_to_master();
