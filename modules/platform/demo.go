package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/speks-portal/speks/modules/demo"
)

// Demo platform administrator, documented in the `speks demo` output and used only by
// `speks demo`, which refuses to run in production mode.
const (
	DemoAdminEmail    = "pentadbir.platform@anm.gov.my"
	DemoAdminName     = "Pentadbir Platform JANM (Demo)"
	DemoAdminPassword = "Teratai-Biru-Konsol-2026"
)

// DemoStep creates the demo platform administrator once and fills platform_admin of
// `speks demo --json` with its login and TOTP secret. A second run changes nothing and prints
// the same secret (read back from its sealed copy).
func (s *Service) DemoStep() demo.PlatformStep {
	return func(ctx context.Context, out *demo.Output) error {
		secret, err := s.demoSecret(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			created, cerr := s.CreateAdmin(ctx, NewAdmin{Email: DemoAdminEmail, Name: DemoAdminName, Password: DemoAdminPassword}, "demo")
			if cerr != nil {
				return fmt.Errorf("demo platform admin: %w", cerr)
			}
			secret, err = created.TOTPSecret, nil
		}
		if err != nil {
			return fmt.Errorf("demo platform admin: %w", err)
		}
		out.PlatformAdmin = &demo.Account{ID: DemoAdminEmail, Password: DemoAdminPassword, TOTPSecret: secret}
		return nil
	}
}

func (s *Service) demoSecret(ctx context.Context) (string, error) {
	var sealed string
	if err := s.public().GetContext(ctx, &sealed, `SELECT totp_secret FROM platform_users WHERE email = $1`, DemoAdminEmail); err != nil {
		return "", err
	}
	return s.Accounts.OpenTOTPSecret(sealed)
}
