package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/tenant"
)

func newDemoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Create the demo states with synthetic data and print their URLs and logins (not in production)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			if !rt.cfg.IsDev() {
				return errors.New("speks demo is refused when mode is production")
			}
			if _, err := tenant.MigrateAll(cmd.Context(), rt.dbs); err != nil {
				return err
			}
			for _, spec := range []tenant.Spec{
				{Code: "pahang", Name: "Pahang", Hosts: []string{"espeks.pahang.gov.my"}, RegistrationMode: tenant.SelfRegister},
				{Code: "kelantan", Name: "Kelantan", Hosts: []string{"ispeks.kelantan.gov.my"}, RegistrationMode: tenant.PayrollMatch},
				{Code: "melaka", Name: "Melaka", Hosts: []string{"p.ispeks.melaka.gov.my"}, RegistrationMode: tenant.AdminOnly},
				{Code: "selangor", Name: "Selangor", Hosts: []string{"p.ispeks.selangor.gov.my"}, RegistrationMode: tenant.PayrollMatch, EmailDomains: []string{"selangor.gov.my"}},
			} {
				_, err := rt.provisioner.Create(cmd.Context(), spec, "demo")
				if err != nil && !errors.Is(err, tenant.ErrDuplicate) {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "http://%s.localhost:%s\n", spec.Code, rt.cfg.Port())
			}
			return nil
		},
	}
}
