package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/demo"
)

func newDemoCommand() *cobra.Command {
	var (
		asJSON    bool
		staff     int
		suppliers int
		states    int
		accounts  int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create the demo states with synthetic data and print their URLs and logins (not in production)",
		Long: `Create the four demo states — pahang (self_register), kelantan and
selangor (payroll_match, Selangor accepting only selangor.gov.my mail) and melaka (admin_only) —
with departments, PTJs, synthetic staff and suppliers, then print their URLs and logins.

Idempotent: a second run adds only what is missing and changes no row. Refused in production.`,
		Example: `  speks demo
  speks demo --json
  speks demo --staff 20000   # benchmark volume, loaded with COPY
  speks demo --states 16 --accounts 64   # 12 synthetic states more, 64 staff accounts each`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Refused before anything connects, so a production database is never touched.
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if !cfg.IsDev() {
				return demo.ErrProduction
			}
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			port, err := strconv.Atoi(rt.cfg.Port())
			if err != nil {
				return fmt.Errorf("port of http.listen %q: %w", rt.cfg.HTTP.Listen, err)
			}
			steps := rt.demoTenantSteps()
			if accounts > 0 {
				steps = append(steps, demo.StaffAccountsStep(accounts))
			}
			out, err := demo.Run(cmd.Context(), demo.Deps{
				Databases: rt.dbs, Registry: rt.registry, Provisioner: rt.provisioner,
			}, demo.Options{
				Production:    !rt.cfg.IsDev(),
				Port:          port,
				DevHostSuffix: rt.cfg.Platform.DevHostSuffix,
				PlatformHost:  rt.cfg.Platform.Host,
				Staff:         staff,
				Suppliers:     suppliers,
				States:        states,
				TenantSteps:   steps,
				PlatformSteps: rt.demoPlatformSteps(),
			})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			return demo.WriteText(cmd.OutOrStdout(), out)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the URLs and logins as one JSON document (docs/API.md \"Demo\")")
	f.IntVar(&staff, "staff", demo.DefaultStaff, fmt.Sprintf("staff per state in the payroll master (at most %d)", demo.MaxStaff))
	f.IntVar(&suppliers, "suppliers", demo.DefaultSuppliers, fmt.Sprintf("suppliers per state (at most %d)", demo.MaxSuppliers))
	f.IntVar(&states, "states", 0, fmt.Sprintf("tenants in all: the four demo states, then synthetic copies bench05… up to this many (at most %d)", demo.MaxStates))
	f.IntVar(&accounts, "accounts", 0, "staff accounts per state with the demo staff password (benchmark volume; one shared hash)")
	return cmd
}

// demoTenantSteps lists what adds demo accounts to each state (and fills their
// keys of the --json document).
func (rt *runtime) demoTenantSteps() []demo.TenantStep {
	return []demo.TenantStep{
		demo.RecordsStep(time.Now()),              // payslips, EC statements and payments of this month, through feed.Import
		demo.StaffStep(credentials.DefaultArgon2), // staff and supplier with demo passwords
		// IT officer, treasury, head of department, PTJ admin (after staff); their TOTP secrets are
		// sealed with secrets.session, so it needs the same account service as `speks serve`.
		demo.OfficersStep(rt.accountService(), credentials.DefaultArgon2),
		demo.RequestsStep(), // a few pending user-administration requests (after the PTJ admin)
	}
}

// demoPlatformSteps lists what adds platform-wide demo data (the platform admin).
func (rt *runtime) demoPlatformSteps() []demo.PlatformStep {
	return []demo.PlatformStep{
		demo.PlatformAdminStep(rt.platformService()), // the JANM platform admin with its TOTP secret
	}
}
