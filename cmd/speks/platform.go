package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/platform"
)

// platformService is JANM's console logic over the runtime's tenant machinery, built once.
func (rt *runtime) platformService() *platform.Service {
	if rt.platform == nil {
		rt.platform = &platform.Service{
			DBs: rt.dbs, Registry: rt.registry, Resolver: rt.resolver, Provisioner: rt.provisioner,
			Accounts: rt.accountService(), PlatformHost: rt.cfg.Platform.Host, LoginURL: rt.loginURL, Log: rt.log,
		}
	}
	return rt.platform
}

// newUserCreatePlatformAdminCommand creates a JANM platform administrator. The password is
// read from standard input (never a flag: flags end up in shell history and process lists);
// the TOTP secret is printed once, to be put in an authenticator app.
func newUserCreatePlatformAdminCommand() *cobra.Command {
	var email, name string
	cmd := &cobra.Command{
		Use:   "create-platform-admin --email EMAIL --name NAME < password",
		Short: "Create a JANM platform administrator (TOTP required); prints the TOTP secret once",
		Example: `  printf '%s\n' "$PASSWORD" | speks user create-platform-admin \
      --email admin@anm.gov.my --name "Pentadbir Platform"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && password == "" {
				return fmt.Errorf("read the password from standard input: %w", err)
			}
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			created, err := rt.platformService().CreateAdmin(cmd.Context(), platform.NewAdmin{
				Email: email, Name: name, Password: strings.TrimRight(password, "\r\n"),
			}, "cli")
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "platform admin %d created: %s\n", created.Admin.ID, created.Admin.Email)
			fmt.Fprintf(out, "TOTP secret (add it to an authenticator app now; it is not shown again): %s\n", created.TOTPSecret)
			fmt.Fprintf(out, "otpauth URL: %s\n", created.TOTPURL)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "e-mail address, the login ID (required)")
	cmd.Flags().StringVar(&name, "name", "", "full name (required)")
	for _, f := range []string{"email", "name"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
