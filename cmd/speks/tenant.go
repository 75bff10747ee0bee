package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/tenant"
)

func newTenantCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Create, list, suspend and resume states (tenants)",
	}
	cmd.AddCommand(newTenantCreateCommand(), newTenantListCommand(),
		newTenantStatusCommand("suspend", tenant.StatusSuspended, "Suspend a tenant: its hosts answer 503 until resumed"),
		newTenantStatusCommand("resume", tenant.StatusActive, "Resume a suspended tenant"))
	return cmd
}

func newTenantCreateCommand() *cobra.Command {
	var spec tenant.Spec
	var mode string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a tenant: its registry row, its schema, migrated to the current version",
		Example: `  speks tenant create --code terengganu --name "Terengganu" \
    --host espeks.terengganu.gov.my --registration-mode payroll_match --email-domain terengganu.gov.my`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			spec.RegistrationMode = tenant.RegistrationMode(mode)
			t, err := rt.provisioner.Create(cmd.Context(), spec, "cli")
			if err != nil {
				return describeTenantError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tenant %s (%s) created: schema %s, hosts %v\n", t.Code, t.Name, t.Schema, t.Hosts)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Code, "code", "", "tenant code, e.g. terengganu (required)")
	f.StringVar(&spec.Name, "name", "", "display name, e.g. \"Terengganu\" (required)")
	f.StringSliceVar(&spec.Hosts, "host", nil, "production host name (repeatable)")
	f.StringVar(&mode, "registration-mode", "", "self_register, payroll_match or admin_only (required)")
	f.StringSliceVar(&spec.EmailDomains, "email-domain", nil, "email domain accepted at first login (repeatable)")
	f.IntVar(&spec.RetentionMonths, "retention-months", 24, "months payslips and statements are kept")
	f.StringVar(&spec.HelpdeskEmail, "helpdesk-email", "", "helpdesk email address")
	f.StringVar(&spec.HelpdeskPhone, "helpdesk-phone", "", "helpdesk phone number")
	return cmd
}

// describeTenantError turns registry errors into one clear line for the terminal.
func describeTenantError(err error) error {
	var invalid *tenant.ValidationError
	switch {
	case errors.As(err, &invalid):
		msg := "the tenant is not valid:"
		for _, p := range invalid.Problems {
			msg += "\n  - " + p.Field + ": " + p.Message
		}
		return errors.New(msg)
	case errors.Is(err, tenant.ErrDuplicate):
		return fmt.Errorf("%v: choose another code, or see `speks tenant list`", err)
	case errors.Is(err, tenant.ErrHostTaken):
		return fmt.Errorf("%v: a host serves one tenant only", err)
	case errors.Is(err, tenant.ErrNotFound):
		return fmt.Errorf("%v: see `speks tenant list`", err)
	}
	return err
}

func newTenantListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tenants with their status, registration mode and hosts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			tenants, err := rt.registry.List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CODE\tNAME\tSTATUS\tREGISTRATION\tHOSTS")
			for _, t := range tenants {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", t.Code, t.Name, t.Status, t.RegistrationMode, t.Hosts)
			}
			return w.Flush()
		},
	}
}

func newTenantStatusCommand(use string, status tenant.Status, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " CODE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			if err := rt.registry.SetStatus(cmd.Context(), args[0], status, "cli"); err != nil {
				return describeTenantError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tenant %s is now %s\n", args[0], status)
			return nil
		},
	}
}
