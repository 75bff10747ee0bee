// Package keyring holds a server secret as a ring of keys, newest first, so the secret can be
// rotated without breaking what the old key made: the newest key signs and seals, every key in
// the ring still verifies and opens, until the operator removes the old one (docs/OPERATIONS.md,
// "Rotating the server secrets"). A key is named by an ID derived from the key itself, so a
// sealed value says which key opens it and the operator never numbers keys by hand.
package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Ring is a secret's keys, newest first; the zero Ring has none.
type Ring struct {
	keys [][]byte
	ids  []string
}

// New returns the ring of secrets, newest first; empty strings are left out, and a secret
// given twice counts once (at its newest place).
func New(secrets ...string) Ring {
	var r Ring
	for _, s := range secrets {
		if s == "" {
			continue
		}
		id := ID([]byte(s))
		if r.has(id) {
			continue
		}
		r.keys = append(r.keys, []byte(s))
		r.ids = append(r.ids, id)
	}
	return r
}

func (r Ring) has(id string) bool {
	_, ok := r.Find(id)
	return ok
}

// ID names a key: the first 8 hex digits of HMAC-SHA-256(key, "speks key id v1"). It says
// which key sealed a value without revealing anything usable about the key.
func ID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("speks key id v1"))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// Len is the number of keys.
func (r Ring) Len() int { return len(r.keys) }

// Newest is the key that signs and seals (nil for an empty ring).
func (r Ring) Newest() []byte {
	if len(r.keys) == 0 {
		return nil
	}
	return r.keys[0]
}

// NewestID is the ID of Newest ("" for an empty ring).
func (r Ring) NewestID() string {
	if len(r.ids) == 0 {
		return ""
	}
	return r.ids[0]
}

// Oldest is the last key of the ring, the one still in force for values that must not change
// while a rotation is under way (the decoy phrases).
func (r Ring) Oldest() []byte {
	if len(r.keys) == 0 {
		return nil
	}
	return r.keys[len(r.keys)-1]
}

// Keys are all keys, newest first (the caller must not change them).
func (r Ring) Keys() [][]byte { return r.keys }

// Find returns the key with the ID.
func (r Ring) Find(id string) ([]byte, bool) {
	for i, have := range r.ids {
		if hmac.Equal([]byte(have), []byte(id)) {
			return r.keys[i], true
		}
	}
	return nil, false
}
