package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// EnsureAdmin creates the platform administrator a once (the demo's documented login, see
// modules/demo) and returns its TOTP secret; a second call changes nothing and returns the same
// secret, read back from its sealed copy.
func (s *Service) EnsureAdmin(ctx context.Context, a NewAdmin, actor string) (string, error) {
	var sealed string
	err := s.public().GetContext(ctx, &sealed, `SELECT totp_secret FROM platform_users WHERE email = $1`, a.Email)
	if errors.Is(err, sql.ErrNoRows) {
		created, err := s.CreateAdmin(ctx, a, actor)
		if err != nil {
			return "", fmt.Errorf("platform admin %s: %w", a.Email, err)
		}
		return created.TOTPSecret, nil
	}
	if err != nil {
		return "", fmt.Errorf("platform admin %s: %w", a.Email, err)
	}
	return s.Accounts.OpenTOTPSecret(sealed)
}
