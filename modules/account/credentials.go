package account

import "github.com/speks-portal/speks/modules/account/credentials"

// Argon2Params and HashPassword are the credentials package's, named here as well because
// the browser tests of several modules build their fixtures' password hashes through
// account; new code names credentials directly.
type Argon2Params = credentials.Argon2Params

// HashPassword hashes secret with argon2id (credentials.HashPassword).
func HashPassword(secret string, p Argon2Params) (string, error) {
	return credentials.HashPassword(secret, p)
}
