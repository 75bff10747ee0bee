package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jmoiron/sqlx"
)

// Adapter stores Casbin rules in public.casbin_rule (platform migration 00001) through sqlx.
// It is written here rather than taken from a library: the maintained database/sql adapters
// expect their own table layout (p_type columns, created on start), while this table is
// part of our migrations; the five methods of persist.Adapter are all it takes.
type Adapter struct {
	db *sqlx.DB
}

// NewAdapter returns the adapter over db (any handle of the database: names are qualified).
func NewAdapter(db *sqlx.DB) *Adapter { return &Adapter{db: db} }

var _ persist.Adapter = (*Adapter)(nil)

type ruleRow struct {
	PType string `db:"ptype"`
	V0    string `db:"v0"`
	V1    string `db:"v1"`
	V2    string `db:"v2"`
	V3    string `db:"v3"`
	V4    string `db:"v4"`
	V5    string `db:"v5"`
}

// fields returns the rule without its trailing empty values, as Casbin expects them.
func (r ruleRow) fields() []string {
	v := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(v) > 0 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

func newRow(ptype string, rule []string) (ruleRow, error) {
	if len(rule) > 6 {
		return ruleRow{}, fmt.Errorf("authz: a rule has at most 6 values, got %d", len(rule))
	}
	v := make([]string, 6)
	copy(v, rule)
	return ruleRow{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}, nil
}

// LoadPolicy loads every rule into m.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []ruleRow
	err := a.db.SelectContext(context.Background(), &rows,
		`SELECT ptype, v0, v1, v2, v3, v4, v5 FROM public.casbin_rule ORDER BY id`)
	if err != nil {
		return fmt.Errorf("authz: load policies: %w", err)
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray(append([]string{r.PType}, r.fields()...), m); err != nil {
			return fmt.Errorf("authz: load rule %s %v: %w", r.PType, r.fields(), err)
		}
	}
	return nil
}

// SavePolicy replaces every stored rule with those of m, in one transaction.
func (a *Adapter) SavePolicy(m model.Model) error {
	tx, err := a.db.BeginTxx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("authz: save policies: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`DELETE FROM public.casbin_rule`); err != nil {
		return fmt.Errorf("authz: clear policies: %w", err)
	}
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, rule := range ast.Policy {
				if err := insertRule(context.Background(), tx, ptype, rule); err != nil {
					return err
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("authz: save policies: %w", err)
	}
	return nil
}

// AddPolicy stores one rule; storing a rule already there is not an error.
func (a *Adapter) AddPolicy(_ string, ptype string, rule []string) error {
	return insertRule(context.Background(), a.db, ptype, rule)
}

// AddPolicies stores several rules at once (persist.BatchAdapter).
func (a *Adapter) AddPolicies(_ string, ptype string, rules [][]string) error {
	tx, err := a.db.BeginTxx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("authz: add policies: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, rule := range rules {
		if err := insertRule(context.Background(), tx, ptype, rule); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("authz: add policies: %w", err)
	}
	return nil
}

// RemovePolicy deletes one rule.
func (a *Adapter) RemovePolicy(_ string, ptype string, rule []string) error {
	r, err := newRow(ptype, rule)
	if err != nil {
		return err
	}
	_, err = a.db.NamedExecContext(context.Background(), `DELETE FROM public.casbin_rule
		WHERE ptype = :ptype AND v0 = :v0 AND v1 = :v1 AND v2 = :v2 AND v3 = :v3 AND v4 = :v4 AND v5 = :v5`, r)
	if err != nil {
		return fmt.Errorf("authz: remove rule %s %v: %w", ptype, rule, err)
	}
	return nil
}

// RemovePolicies deletes several rules (persist.BatchAdapter).
func (a *Adapter) RemovePolicies(sec string, ptype string, rules [][]string) error {
	for _, rule := range rules {
		if err := a.RemovePolicy(sec, ptype, rule); err != nil {
			return err
		}
	}
	return nil
}

// RemoveFilteredPolicy deletes the rules whose values from fieldIndex on equal fieldValues
// (an empty value matches anything, as Casbin defines it).
func (a *Adapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, fieldValues ...string) error {
	if fieldIndex < 0 || fieldIndex+len(fieldValues) > 6 {
		return errors.New("authz: filter outside v0..v5")
	}
	where := []string{"ptype = $1"}
	args := []any{ptype}
	for i, v := range fieldValues {
		if v == "" {
			continue
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf("v%d = $%d", fieldIndex+i, len(args)))
	}
	_, err := a.db.ExecContext(context.Background(),
		`DELETE FROM public.casbin_rule WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return fmt.Errorf("authz: remove filtered rules %s: %w", ptype, err)
	}
	return nil
}

func insertRule(ctx context.Context, db sqlx.ExtContext, ptype string, rule []string) error {
	r, err := newRow(ptype, rule)
	if err != nil {
		return err
	}
	_, err = sqlx.NamedExecContext(ctx, db, `INSERT INTO public.casbin_rule (ptype, v0, v1, v2, v3, v4, v5)
		VALUES (:ptype, :v0, :v1, :v2, :v3, :v4, :v5) ON CONFLICT DO NOTHING`, r)
	if err != nil {
		return fmt.Errorf("authz: store rule %s %v: %w", ptype, rule, err)
	}
	return nil
}
