package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/tenant"
)

func newMigrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the platform schema and every tenant schema up to date (safe to run concurrently)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			results, err := tenant.MigrateAll(cmd.Context(), rt.dbs)
			for _, r := range results {
				if len(r.Applied) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: up to date\n", r.Schema)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: applied %d migration(s)\n", r.Schema, len(r.Applied))
			}
			if err != nil {
				return err
			}
			// Tenants made before a default policy existed get it now (idempotent).
			if err := authz.SeedAll(cmd.Context(), rt.registry, rt.dbs.Public()); err != nil {
				return fmt.Errorf("default policies: %w", err)
			}
			return nil
		},
	}
}
