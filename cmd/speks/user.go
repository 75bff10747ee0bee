package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/keyring"
	"github.com/speks-portal/speks/tenant"
)

// accountService is the account logic with the configured secrets, built once together with
// the flows' services (accountLogin, accountRegistration, accountRecovery), which share it.
func (rt *runtime) accountService() *account.Service {
	if rt.accounts == nil {
		rt.accounts = account.NewServiceWithKeys(keyring.New(rt.cfg.Secrets.Session...),
			keyring.New(rt.cfg.Secrets.Decoy...), rt.log)
	}
	return rt.accounts
}

// accountLogin is login, sessions and logout.
func (rt *runtime) accountLogin() *account.Login { return rt.accountService().Login }

// accountRegistration is how accounts come to be (self-registration, officers, requests).
func (rt *runtime) accountRegistration() *account.Registration {
	return rt.accountService().Registration
}

// accountRecovery is forgotten passwords, first login, activation and password changes.
func (rt *runtime) accountRecovery() *account.Recovery { return rt.accountService().Recovery }

// accountModule is the session middleware, account API and pages; serve.go mounts its
// SessionModule before authz and its Routes after it.
func (rt *runtime) accountModule() *account.Module {
	return &account.Module{Service: rt.accountService(), Login: rt.accountLogin(),
		Registration: rt.accountRegistration(), Recovery: rt.accountRecovery()}
}

// newProvisioner is the tenant provisioner with the modules' seeding hooks.
func newProvisioner(registry *tenant.Registry, dbs *tenant.Databases, platformHost string) *tenant.Provisioner {
	p := tenant.NewProvisioner(registry, dbs, platformHost)
	p.AfterMigrate = append(p.AfterMigrate, account.SeedSecurityQuestions, authz.SeedTenant)
	p.OnRemove = append(p.OnRemove, authz.DropDomainIn) // a failed provisioning leaves no policies
	return p
}

func newUserCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create and activate portal accounts of a tenant",
	}
	cmd.AddCommand(newUserCreateCommand(), newUserActivateCommand(), newUserCreatePlatformAdminCommand())
	return cmd
}

func newUserCreateCommand() *cobra.Command {
	var tenantCode, category, name, email, phone string
	var roles []string
	cmd := &cobra.Command{
		Use:   "create --tenant CODE --category staff|supplier|officer --name NAME --email EMAIL ID",
		Short: "Create an active account; a one-time code is mailed so the person sets their own password",
		Example: `  speks user create --tenant melaka --category officer --role it_officer \
      --name "Nurul Huda binti Kamal" --email it@melaka.gov.my 880808-04-5566`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			id, err := rt.accountRegistration().CreateAccount(ctx, account.NewAccount{
				Category: category, ID: args[0], Name: name, Email: email, Phone: phone, Roles: roles,
			}, "cli", rt.loginURL(scope.Tenant))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %d created in %s; a one-time code was mailed to %s\n", id, tenantCode, email)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	cmd.Flags().StringVar(&category, "category", identity.CategoryStaff, "staff, supplier or officer")
	cmd.Flags().StringVar(&name, "name", "", "full name (required)")
	cmd.Flags().StringVar(&email, "email", "", "e-mail address the one-time code goes to (required)")
	cmd.Flags().StringVar(&phone, "phone", "", "phone number")
	cmd.Flags().StringSliceVar(&roles, "role", nil, "role (repeatable); every role needs TOTP at login")
	for _, f := range []string{"tenant", "name", "email"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newUserActivateCommand() *cobra.Command {
	var tenantCode string
	cmd := &cobra.Command{
		Use:   "activate --tenant CODE ID",
		Short: "Activate a self-registration whose e-mail is verified; mails a one-time code for the first login",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, rt, scope, err := openTenant(cmd, tenantCode)
			if err != nil {
				return err
			}
			defer rt.Close()
			if err := rt.accountRegistration().ActivateRegistration(ctx, args[0], "cli", rt.loginURL(scope.Tenant)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account activated in %s; a one-time code was mailed\n", tenantCode)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenantCode, "tenant", "", "tenant code (required)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}
