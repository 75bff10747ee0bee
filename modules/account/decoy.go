package account

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"strings"

	"github.com/speks-portal/speks/modules/foundation/web"
)

// decoyWordsEnglish is the EFF long word list as shipped by @zxcvbn-ts/language-common
// (7,776 words; MIT, see THIRD_PARTY_LICENSE_zxcvbn.txt); decoyWordsMalay is a list of everyday Malay words made for this portal.
// A decoy phrase is three words of the page's language: a Malay reader shown three English
// words would take them for someone else's phrase.
var (
	//go:embed decoy_words.txt
	decoyWordsEnglish string
	//go:embed decoy_words_ms.txt
	decoyWordsMalay string

	decoyWords = map[string][]string{
		web.LangEnglish: strings.Fields(decoyWordsEnglish),
		web.LangMalay:   strings.Fields(decoyWordsMalay),
	}
)

// DecoyPhrase is the stable phrase shown for an ID without an account (or without a phrase),
// in lang (Malay for any other value): derived with HMAC(secrets.decoy, tenant + ID), so it
// is the same on every try and from every address, and nobody without the secret can tell it
// from a real one. The key is the OLDEST of the secrets.decoy ring: adding a new key changes
// no phrase, so during a rotation every replica, old or new, shows an unknown ID the phrase it
// always saw; the new key takes over only when the old one is removed (docs/OPERATIONS.md). Identify asks for it in the state's default language, never the page's:
// a decoy that changed with the page language while a person's own phrase does not would let
// anyone asking twice tell an ID with a phrase from one without (docs/SECURITY.md).
func (s *Config) DecoyPhrase(tenantCode, key, lang string) string {
	list, ok := decoyWords[lang]
	if !ok {
		list = decoyWords[web.LangMalay]
	}
	m := hmac.New(sha256.New, s.Decoy.Oldest())
	m.Write([]byte(tenantCode + "\x00" + key))
	sum := m.Sum(nil)
	words := make([]string, 3)
	for i := range words {
		words[i] = list[binary.BigEndian.Uint32(sum[i*4:])%uint32(len(list))]
	}
	return strings.Join(words, " ")
}
