package feed

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// The suppliers feed is the accounting system's supplier master. A supplier is matched by
// either form of its company number: a row that brings the other form adds it, so a
// supplier registered as 201901000005 (1312525-A) is one supplier whichever form a later
// feed, a payment or a login uses (Pahang's FAQ: a number in another format hides its payments).

const (
	supRegNo = iota
	supName
	supEmail
	supPhone
	supBankName
	supBankAccount
	supStatus
)

var supplierStatuses = []string{"active", "inactive"}

func init() {
	register(&kindSpec{
		kind: Suppliers,
		columns: []column{
			{"reg_no", true, 60}, {"name", true, 200}, {"email", false, 254}, {"phone", false, 30},
			{"bank_name", false, 100}, {"bank_account", false, 40}, {"status", false, 20},
		},
		stageDDL:     `reg_no_new text, reg_no_old text, name text, email text, phone text, bank_name text, bank_account text, status text`,
		stageColumns: []string{"reg_no_new", "reg_no_old", "name", "email", "phone", "bank_name", "bank_account", "status"},
		convert:      convertSupplier,
		check: func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
			return checks(ctx, tx,
				duplicateCheck("duplicate suppliers (new number)", "reg_no_new", "reg_no_new IS NOT NULL", "the same new-style company number"),
				duplicateCheck("duplicate suppliers (old number)", "reg_no_old", "reg_no_old IS NOT NULL", "the same old-style company number"),
				resolveSuppliers,
			)
		},
		apply: applySuppliers,
	})
}

func convertSupplier(r *row, out []any) bool {
	no := r.companyNo(supRegNo)
	out[0] = nullable(no.New)
	out[1] = nullable(no.Old)
	out[2] = r.text(supName)
	out[3] = r.email(supEmail)
	out[4] = r.phone(supPhone)
	out[5] = r.text(supBankName)
	out[6] = r.text(supBankAccount)
	out[7] = r.oneOf(supStatus, CodeInvalidValue, "active", supplierStatuses...)
	return !r.bad
}

// resolveSuppliers matches every row to the existing supplier holding either of its numbers
// (feed_suppliers, kept for apply) and reports rows whose two numbers point at two suppliers,
// or at a supplier registered with a different number of the other form.
func resolveSuppliers(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	if _, err := exec(ctx, tx, "resolve suppliers", `
		CREATE TEMP TABLE feed_suppliers ON COMMIT DROP AS
		SELECT s.*, n.id AS by_new, n.reg_no_old AS by_new_old, o.id AS by_old, o.reg_no_new AS by_old_new,
			coalesce(n.id, o.id) AS supplier_id
		FROM pg_temp.feed_stage s
		LEFT JOIN suppliers n ON n.reg_no_new = s.reg_no_new
		LEFT JOIN suppliers o ON o.reg_no_old = s.reg_no_old`); err != nil {
		return nil, err
	}
	conflicts, err := queryErrors(ctx, tx, "supplier number conflicts", `
		SELECT line, 'reg_no' AS "column", '`+CodeRegNoConflict+`' AS code,
			CASE WHEN by_new <> by_old
				THEN 'the new-style and the old-style number belong to two different registered suppliers'
			WHEN by_new IS NOT NULL AND by_new_old <> reg_no_old
				THEN 'the supplier registered with this new-style number has another old-style number'
			ELSE 'the supplier registered with this old-style number has another new-style number' END AS message
		FROM pg_temp.feed_suppliers
		WHERE by_new <> by_old OR by_new_old <> reg_no_old OR by_old_new <> reg_no_new
		ORDER BY line`)
	if err != nil {
		return nil, err
	}
	// Two rows, each with one form, may both match one registered supplier.
	twice, err := queryErrors(ctx, tx, "suppliers matched twice", `
		SELECT line, 'reg_no' AS "column", '`+CodeDuplicateRow+`' AS code,
			format('the same supplier (by its other company number) as line %s', first_line) AS message
		FROM (SELECT line, min(line) OVER (PARTITION BY supplier_id) AS first_line
		      FROM pg_temp.feed_suppliers WHERE supplier_id IS NOT NULL) d
		WHERE line <> first_line ORDER BY line`)
	return append(conflicts, twice...), err
}

func applySuppliers(ctx context.Context, tx *sqlx.Tx, _ int64) (counts, []RowError, error) {
	var c counts
	var err error
	c.updated, err = exec(ctx, tx, "update suppliers", `
		UPDATE suppliers t SET reg_no_new = coalesce(f.reg_no_new, t.reg_no_new),
			reg_no_old = coalesce(f.reg_no_old, t.reg_no_old), name = f.name, email = f.email, phone = f.phone,
			bank_name = f.bank_name, bank_account = f.bank_account, status = f.status, updated_at = now()
		FROM pg_temp.feed_suppliers f
		WHERE t.id = f.supplier_id
		AND (t.reg_no_new, t.reg_no_old, t.name, t.email, t.phone, t.bank_name, t.bank_account, t.status)
			IS DISTINCT FROM (coalesce(f.reg_no_new, t.reg_no_new), coalesce(f.reg_no_old, t.reg_no_old),
				f.name, f.email, f.phone, f.bank_name, f.bank_account, f.status)`)
	if err != nil {
		return counts{}, nil, err
	}
	c.inserted, err = exec(ctx, tx, "insert suppliers", `
		INSERT INTO suppliers (reg_no_new, reg_no_old, name, email, phone, bank_name, bank_account, status)
		SELECT reg_no_new, reg_no_old, name, email, phone, bank_name, bank_account, status
		FROM pg_temp.feed_suppliers WHERE supplier_id IS NULL ORDER BY line`)
	if err != nil {
		return counts{}, nil, err
	}
	var total int64
	if err := tx.GetContext(ctx, &total, `SELECT count(*) FROM pg_temp.feed_suppliers`); err != nil {
		return counts{}, nil, wrap("count suppliers", err)
	}
	c.unchanged = total - c.inserted - c.updated
	return c, nil, nil
}
