package redact

import "strings"

// MinSecretLen is the length (in bytes) from which a known value is masked wherever it
// occurs, inside a longer word too ("rid-<token>", "abc<token>x"). Real tokens, secret keys
// and project IDs are far longer; a shorter value (a test's "SK", a project "P") is masked
// only as a whole word, so that it does not eat into ordinary words.
const MinSecretLen = 8

// Values returns s with every occurrence of each known value replaced by Mask: a value of at
// least MinSecretLen bytes wherever it occurs, a shorter one only where it stands as a whole
// word. Empty values and Mask itself are ignored.
//
// Values and ContainsValue apply the same rule: ContainsValue(s, v) reports exactly whether
// Values(s, v) would mask something, so a check made with one can never disagree with the
// masking made with the other.
func Values(s string, values ...string) string {
	for _, v := range values {
		s = maskValue(s, v)
	}
	return s
}

// ContainsValue returns the index in values of the first value that Values would mask in s
// (one still present), and whether there is one.
func ContainsValue(s string, values ...string) (int, bool) {
	for i, v := range values {
		if maskValue(s, v) != s {
			return i, true
		}
	}
	return -1, false
}

// isWordByte is a byte that continues a word (for whole-word matching).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// maskValue masks v in s by the rule of Values. A short value's occurrence is whole when it
// is not glued to a word byte on a side where the value itself begins or ends with a word
// byte, so that "P" does not eat into "Permission" while "/P/" is found.
func maskValue(s, v string) string {
	if v == "" || v == Mask || !strings.Contains(s, v) {
		return s
	}
	if len(v) >= MinSecretLen {
		return strings.ReplaceAll(s, v, Mask)
	}
	var b strings.Builder
	last, from := 0, 0
	for {
		i := strings.Index(s[from:], v)
		if i < 0 {
			break
		}
		i += from
		end := i + len(v)
		glued := (i > 0 && isWordByte(s[i-1]) && isWordByte(v[0])) ||
			(end < len(s) && isWordByte(s[end]) && isWordByte(v[len(v)-1]))
		if glued {
			from = i + 1
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(Mask)
		last, from = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
