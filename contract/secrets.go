package contract

import (
	"strings"
	"unicode/utf8"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// maxGot is the length (in bytes) beyond which Got and Want are cut.
const maxGot = 120

// maxMessage is the length (in bytes) beyond which a Message is cut.
const maxMessage = 400

// scrub removes secrets from free text: the signing query parameters of every http(s) URL
// (redact.Links), then any "name=value" pair whose name is a secret query parameter, so that
// links with other schemes (ftp://…) and fragments of links are covered as well.
func scrub(s string) string {
	if s == "" {
		return s
	}
	s = redact.Links(s)
	if strings.IndexByte(s, '=') < 0 {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] has been written to b (only when b is in use)
	changed := false
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		// the name: the run of name characters just before '='
		j := i
		for j > 0 && isNameByte(s[j-1]) {
			j--
		}
		name := s[j:i]
		if j >= 1 && s[j-1] == '\\' && len(name) > 5 && strings.EqualFold(name[:5], "u0026") {
			name = name[5:] // a JSON-escaped '&' (\u0026) precedes the name
		}
		if j == i || !redact.IsSecretQuery(name) {
			continue
		}
		// the value: up to a separator
		k := i + 1
		for k < len(s) && !isValueEnd(s[k]) {
			k++
		}
		if s[i+1:k] == redact.Mask || k == i+1 {
			continue
		}
		if !changed {
			b.Grow(len(s))
			changed = true
		}
		b.WriteString(s[last : i+1])
		b.WriteString(redact.Mask)
		last = k
		i = k - 1
	}
	if !changed {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '%'
}

func isValueEnd(c byte) bool {
	switch c {
	case '&', ' ', '"', '\'', '<', '>', '\n', '\r', '\t', '\\', '`', ',', ';', ')', ']', '}', '#':
		return true
	}
	return false
}

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
