// Package credentials is what a person proves who they are with, and nothing else of the
// account module: argon2id password hashes and the rules a new password must meet (the
// common-password list), and the sealing and checking of TOTP secrets. It holds no state and
// reads no table; the login, recovery and enrolment flows that use it live in modules/account.
package credentials

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters. They are written into every hash (PHC string
// format), so raising them later only changes new hashes; old ones still verify and are
// re-hashed at the next successful login (NeedsRehash).
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	SaltLen   int
	KeyLen    uint32
}

// DefaultArgon2 is OWASP's first recommended argon2id setting: m=19 MiB, t=2, p=1.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash is returned for a stored hash that is not an argon2id PHC string.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding

// HashPassword hashes secret with argon2id and a fresh random salt, in PHC format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>. It takes no verification slot: requests
// call Hash; this is for seeding and tools.
func HashPassword(secret string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether secret matches hash, comparing in constant time with the
// parameters stored in the hash. It takes no verification slot: requests call Verify.
func VerifyPassword(secret, hash string) (bool, error) {
	p, salt, want, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether hash was made with weaker parameters than p.
func NeedsRehash(hash string, p Argon2Params) bool {
	got, _, _, err := parseHash(hash)
	return err != nil || got.MemoryKiB < p.MemoryKiB || got.Time < p.Time || got.Threads < p.Threads
}

func parseHash(hash string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: version %q", ErrMalformedHash, parts[2])
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: parameters: %v", ErrMalformedHash, err)
	}
	// Bounds keep a corrupted or hostile row from making one verification eat the server.
	if p.MemoryKiB < 1024 || p.MemoryKiB > 1<<20 || p.Time < 1 || p.Time > 20 || p.Threads < 1 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return p, salt, key, nil
}

// Password length limits (ASVS 2.1.1, 2.1.2): counted in Unicode characters, any character.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// Reasons a password is refused; the codes are part of the weak_password answer.
const (
	ReasonTooShort     = "too_short"
	ReasonTooLong      = "too_long"
	ReasonCommon       = "common"
	ReasonContainsID   = "contains_id"
	ReasonContainsName = "contains_name"
	// ReasonContainsContext: the password contains the name of the service it protects (the
	// platform's and portals' names, the state's code or name).
	ReasonContainsContext = "contains_context"
)

// ServiceNames are the names of the platform and its portals that no password may contain,
// whoever chooses it and in any case: the first words a guesser tries against a SPEKS portal
// (NIST SP 800-63B 5.1.1.2, context-specific words). Written as people know them, for the
// pages that say so; "eSPEKS" and "iSPEKS" contain "SPEKS" and are listed for that reason.
var ServiceNames = []string{"SPEKS", "eSPEKS", "iSPEKS", "portal"}

// minContextWord is the shortest context word checked: a state's three-letter code ("mlk")
// counts, two letters would refuse too much by chance.
const minContextWord = 3

// commonPasswordList is the password list of @zxcvbn-ts/language-common 4.1.3 (npm, MIT,
// see modules/account/THIRD_PARTY_LICENSE_zxcvbn.txt): 49,233 passwords most frequent in public breach
// corpora, lower-cased, one per line.
//
//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = newWordList(commonPasswordList)

// wordList is a set of words held without pointers: one string of the sorted words and their
// end offsets. A map of 49,233 strings would be 49,233 pointers that every garbage collection
// of the process scans (about a tenth of a PDF's CPU, measured); this is one.
type wordList struct {
	text string   // the words, sorted, back to back
	ends []uint32 // ends[i] is where word i ends in text
}

func newWordList(list string) wordList {
	var words []string
	for _, line := range strings.Split(list, "\n") {
		if w := strings.TrimSpace(line); w != "" {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	words = slices.Compact(words)
	var b strings.Builder
	ends := make([]uint32, len(words))
	for i, w := range words {
		b.WriteString(w)
		ends[i] = uint32(b.Len())
	}
	return wordList{text: b.String(), ends: ends}
}

func (l wordList) word(i int) string {
	start := uint32(0)
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.text[start:l.ends[i]]
}

func (l wordList) has(w string) bool {
	i := sort.Search(len(l.ends), func(i int) bool { return l.word(i) >= w })
	return i < len(l.ends) && l.word(i) == w
}

// CheckPassword returns the reasons secret is refused for the account with the given login ID
// and name, or nil. No composition rules (ASVS 2.1.9); a common-list check (2.1.7), which also
// catches a common password padded with digits or symbols ("password123456!"); no password
// that contains the login ID or a part of the name (3+ letters); and none that contains a
// context word (NIST SP 800-63B 5.1.1.2): ServiceNames always, and each word (3+ letters or
// digits) of context, which callers fill with where the password is used: a state's code and
// registered name (tenant.Tenant's Code and Name). Letters are compared case-insensitively
// and across separators ("Speks-Melaka" contains "speks" and "melaka").
func CheckPassword(secret, loginID, name string, context ...string) []string {
	var reasons []string
	switch n := utf8.RuneCountInString(secret); {
	case n < MinPasswordLen:
		reasons = append(reasons, ReasonTooShort)
	case n > MaxPasswordLen:
		reasons = append(reasons, ReasonTooLong)
	}
	folded := strings.ToLower(secret)
	if isCommon(folded) {
		reasons = append(reasons, ReasonCommon)
	}
	if loginID != "" && strings.Contains(stripNonAlnum(folded), strings.ToLower(loginID)) {
		reasons = append(reasons, ReasonContainsID)
	}
	for _, part := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if utf8.RuneCountInString(part) >= 3 && !nameParticles[part] && strings.Contains(folded, part) {
			reasons = append(reasons, ReasonContainsName)
			break
		}
	}
	if containsContextWord(stripNonAlnum(folded), context) {
		reasons = append(reasons, ReasonContainsContext)
	}
	return reasons
}

// containsContextWord reports whether stripped (lower case, letters and digits only) holds a
// service name or a word of context.
func containsContextWord(stripped string, context []string) bool {
	var words []string
	for _, c := range append(append([]string{}, ServiceNames...), context...) {
		words = append(words, strings.FieldsFunc(strings.ToLower(c), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	for _, w := range words {
		if utf8.RuneCountInString(w) >= minContextWord && strings.Contains(stripped, w) {
			return true
		}
	}
	return false
}

// nameParticles are the connecting words of Malaysian names, too common to forbid.
var nameParticles = map[string]bool{"bin": true, "binti": true, "bte": true, "bt": true, "a/l": true, "a/p": true}

// isCommon matches the list exactly, and also after dropping trailing digits and symbols (but
// only when what is left is itself long enough to be a real password base).
func isCommon(folded string) bool {
	if commonPasswords.has(folded) {
		return true
	}
	base := strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })
	if utf8.RuneCountInString(base) >= 6 && base != folded {
		return commonPasswords.has(base)
	}
	return false
}

func stripNonAlnum(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
