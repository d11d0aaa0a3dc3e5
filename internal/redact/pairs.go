package redact

import (
	"net/url"
	"strings"
)

// Pairs masks the value of every "name=value" pair of s whose name is a secret query
// parameter (IsSecretQuery), wherever it appears: in URLs of any scheme, in fragments of
// links, in form-encoded bodies, after a JSON-escaped '&' (\u0026).
func Pairs(s string) string {
	if strings.IndexByte(s, '=') < 0 {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] has been written to b
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		j := i // the name: the run of name bytes just before '='
		for j > 0 && isNameByte(s[j-1]) {
			j--
		}
		name := s[j:i]
		if j >= 1 && s[j-1] == '\\' && len(name) > 5 && strings.EqualFold(name[:5], "u0026") {
			name = name[5:] // a JSON-escaped '&' precedes the name
		}
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		if name == "" || !IsSecretQuery(name) {
			continue
		}
		k := i + 1 // the value: up to a separator
		for k < len(s) && !isValueEnd(s[k]) {
			k++
		}
		if k == i+1 || s[i+1:k] == Mask {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last : i+1])
		b.WriteString(Mask)
		last = k
		i = k - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Text masks secrets in free text (an error, an excerpt of a body, a log line): the signing
// parameters of every http(s) link (Links), then any secret name=value pair (Pairs).
func Text(s string) string {
	return Pairs(Links(s))
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
