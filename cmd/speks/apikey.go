package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/feed"
)

func newAPIKeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apikey",
		Short: "Create, list and revoke the API keys payroll and accounting systems send feeds with",
	}
	cmd.AddCommand(newAPIKeyCreateCommand(), newAPIKeyListCommand(), newAPIKeyRevokeCommand())
	return cmd
}

func newAPIKeyCreateCommand() *cobra.Command {
	var tenantCode, name string
	cmd := &cobra.Command{
		Use:   "create --tenant CODE [--name NAME]",
		Short: "Create a feed API key for a tenant and print it alone on standard output (shown once)",
		Example: `  KEY=$(speks apikey create --tenant selangor --name modul-py)
  curl -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' \
       --data-binary @gaji.csv http://selangor.localhost:8080/api/v1/feeds/payslips`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			key, _, err := feed.CreateAPIKey(ctx, scope.DB, name, "cli")
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	cmd.Flags().StringVar(&name, "name", "feed", "what the key is for, recorded on every batch it sends")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

func newAPIKeyListCommand() *cobra.Command {
	var tenantCode string
	cmd := &cobra.Command{
		Use:   "list --tenant CODE",
		Short: "List a tenant's feed API keys (prefix and name; the keys themselves are not stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			keys, err := feed.ListAPIKeys(ctx, scope.DB)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PREFIX\tNAME\tCREATED BY\tCREATED\tREVOKED")
			for _, k := range keys {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Name, k.CreatedBy, k.CreatedAt.Format("2006-01-02 15:04"), revoked)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

func newAPIKeyRevokeCommand() *cobra.Command {
	var tenantCode string
	cmd := &cobra.Command{
		Use:   "revoke --tenant CODE PREFIX",
		Short: "Revoke a feed API key by its prefix (see apikey list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			if err := feed.RevokeAPIKey(ctx, scope.DB, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "API key %s of %s revoked\n", args[0], tenantCode)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}
