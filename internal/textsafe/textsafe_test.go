package textsafe

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain.tar.gz", "plain.tar.gz"},
		{"数据库备份.bak", "数据库备份.bak"},
		{"evil\u202egp j.exe", `evil\u202egp j.exe`},
		{"a\x1b[31mred", `a\x1b[31mred`},
		{"c1\u009bx", `c1\x9bx`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"zw\u200bsp", `zw\u200bsp`},
		{"bom\ufeff", `bom\ufeff`},
		{"tab\there\nnl", `tab\there\nnl`},
		{"del\x7f", `del\x7f`},
		{"bad\xffutf8", `bad\xffutf8`},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDangerous(t *testing.T) {
	t.Parallel()
	for _, r := range []rune{0, 0x1f, 0x7f, 0x80, 0x9f, 0x202a, 0x202e, 0x2066, 0x2069, 0x200e, 0x200f, 0x061c} {
		if !Dangerous(r) {
			t.Errorf("Dangerous(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', ' ', 0xa0, 0xe9, 0x4e2d, 0x1f600} {
		if Dangerous(r) {
			t.Errorf("Dangerous(%U) = true", r)
		}
	}
}
