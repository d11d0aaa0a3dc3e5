// Package textsafe makes text from a server safe to print on a terminal or in a log line:
// control characters (C0, DEL, C1), bidirectional overrides and other invisible format
// characters are shown as escapes (\x1b, \u202e) instead of being obeyed by the terminal.
package textsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Dangerous reports whether r must not reach a terminal raw: a C0 or C1 control character,
// DEL, a bidirectional control (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) or
// another invisible format character (Unicode category Cf, e.g. U+200B, U+FEFF).
func Dangerous(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// Escape returns s with every dangerous rune (see Dangerous) written as a Go-style escape:
// \t, \n, \xNN below U+0100, \uNNNN above. Other text, including non-Latin scripts, is kept.
// A backslash is kept as is: escapes are for the reader, not for parsing back.
func Escape(s string) string {
	if !strings.ContainsFunc(s, Dangerous) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case Dangerous(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case Dangerous(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
