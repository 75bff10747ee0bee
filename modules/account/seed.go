package account

import (
	"context"
	"fmt"

	"github.com/speks-portal/speks/tenant"
)

// DefaultQuestions is the bilingual security-question bank every tenant starts with. Migration
// 00011 wrote the same rows into the schemas that existed then; SeedSecurityQuestions (a
// Provisioner.AfterMigrate hook) keeps new tenants' banks complete if the list grows here.
var DefaultQuestions = []struct {
	ID     int
	MS, EN string
}{
	{1, "Apakah nama sekolah rendah pertama anda?", "What was the name of your first primary school?"},
	{2, "Di bandar manakah ibu anda dilahirkan?", "In which town was your mother born?"},
	{3, "Apakah nama haiwan peliharaan pertama anda?", "What was the name of your first pet?"},
	{4, "Apakah nama kampung atau taman tempat anda membesar?", "What was the name of the village or neighbourhood where you grew up?"},
	{5, "Apakah jenama kenderaan pertama anda?", "What was the make of your first vehicle?"},
	{6, "Apakah nama kawan baik anda semasa zaman kanak-kanak?", "What was the name of your best friend in childhood?"},
	{7, "Apakah makanan kegemaran anda semasa kecil?", "What was your favourite food as a child?"},
	{8, "Apakah nama jabatan pertama tempat anda bertugas?", "What was the name of the first department you worked in?"},
}

// SeedSecurityQuestions adds the default questions a tenant lacks; it never changes a question
// the tenant has edited. Register it with Provisioner.AfterMigrate.
func SeedSecurityQuestions(ctx context.Context, t *tenant.Tenant, db *tenant.DB) error {
	for _, q := range DefaultQuestions {
		if _, err := db.ExecContext(ctx, `INSERT INTO security_questions (id, text_ms, text_en) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING`, q.ID, q.MS, q.EN); err != nil {
			return fmt.Errorf("seed security questions of %s: %w", t.Code, err)
		}
	}
	return nil
}
