package contract

import (
	"unicode/utf8"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// maxGot is the length (in bytes) beyond which Got and Want are cut.
const maxGot = 120

// maxMessage is the length (in bytes) beyond which a Message is cut.
const maxMessage = 400

// scrub removes secrets from free text: the signing query parameters of every http(s) URL,
// then any "name=value" pair whose name is a secret query parameter, so that links with other
// schemes (ftp://…) and fragments of links are covered as well.
func scrub(s string) string { return redact.Text(s) }

// short scrubs s and cuts it to at most n bytes (on a rune boundary), marking a cut with "…".
func short(s string, n int) string {
	s = scrub(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
