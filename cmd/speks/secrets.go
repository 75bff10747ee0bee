package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/tenant"
)

func newSecretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Work on what the server secrets protect (rotation: docs/OPERATIONS.md)",
	}
	cmd.AddCommand(newSecretsResealCommand())
	return cmd
}

// resealReport is what `speks secrets reseal` did, per tenant and for the platform admins.
type resealReport struct {
	KeyID    string                             `json:"key_id"`
	Tenants  map[string]credentials.ResealCount `json:"tenants"`
	Platform credentials.ResealCount            `json:"platform_admins"`
}

func newSecretsResealCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reseal",
		Short: "Seal every stored TOTP secret again with the newest secrets.session key",
		Long: `Open every stored TOTP secret (the accounts of every tenant, suspended ones included, and
JANM's platform administrators) with the secrets.session key ring and seal it again with the
newest key. Each tenant and the platform are done in one transaction each, with an audit entry
(secrets.reseal). Secrets already under the newest key are left alone, so running it again is
harmless. Run it after every replica has the new key, and before removing the old one.
A secret counted "unreadable" opens with no key of the ring: its owner must enrol TOTP again
(an IT officer's reset); do not remove a key while the count is not zero for a reason you know.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			ctx := cmd.Context()
			accounts := rt.accountService()
			rep := resealReport{KeyID: accounts.Keys.NewestID(), Tenants: map[string]credentials.ResealCount{}}
			tenants, err := rt.registry.List(ctx)
			if err != nil {
				return err
			}
			const actor = "cli: speks secrets reseal"
			for _, t := range tenants {
				if t.Status == tenant.StatusProvisioning {
					continue // no accounts yet; provisioning finishes or is undone
				}
				db, err := rt.dbs.Schema(t.Schema)
				if err != nil {
					return err
				}
				// Suspended tenants too: their officers' TOTP must survive the old key's removal.
				count, err := accounts.ResealTOTP(tenant.NewContext(ctx, &tenant.Scope{Tenant: t, DB: db}), actor)
				if err != nil {
					return fmt.Errorf("tenant %s: %w", t.Code, err)
				}
				rep.Tenants[t.Code] = count
			}
			if rep.Platform, err = rt.platformService().ResealTOTP(ctx, actor); err != nil {
				return fmt.Errorf("platform admins: %w", err)
			}
			printReseal(cmd, rep, asJSON)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	return cmd
}

func printReseal(cmd *cobra.Command, rep resealReport, asJSON bool) {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	fmt.Fprintf(out, "TOTP secrets sealed with key %s:\n", rep.KeyID)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "WHERE\tRESEALED\tALREADY CURRENT\tUNREADABLE")
	codes := make([]string, 0, len(rep.Tenants))
	for code := range rep.Tenants {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		c := rep.Tenants[code]
		fmt.Fprintf(w, "tenant %s\t%d\t%d\t%d\n", code, c.Resealed, c.Current, c.Unreadable)
	}
	fmt.Fprintf(w, "platform admins\t%d\t%d\t%d\n", rep.Platform.Resealed, rep.Platform.Current, rep.Platform.Unreadable)
	_ = w.Flush()
}
