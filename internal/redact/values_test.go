package redact

import (
	"strings"
	"testing"
)

// TestValues: a known value of at least MinSecretLen bytes is masked wherever it occurs,
// glued to other text too; a shorter one only as a whole word; ContainsValue agrees with
// Values on every case.
func TestValues(t *testing.T) {
	t.Parallel()
	const tok = "TOKEN-0123456789" // long: substring rule
	tests := []struct {
		name   string
		in     string
		values []string
		want   string
	}{
		{"alone", tok, []string{tok}, Mask},
		{"request id", "rid-" + tok, []string{tok}, "rid-" + Mask},
		{"glued both sides", "abc-" + tok + "-x", []string{tok}, "abc-" + Mask + "-x"},
		{"inside a word", "abc" + tok + "xyz", []string{tok}, "abc" + Mask + "xyz"},
		{"twice", tok + tok, []string{tok}, Mask + Mask},
		{"in a url", "https://h/p/" + tok + "?a=" + tok + "&b", []string{tok}, "https://h/p/" + Mask + "?a=" + Mask + "&b"},
		{"exactly 8 bytes is long", "x-ABCDEFGH-y", []string{"ABCDEFGH"}, "x-" + Mask + "-y"},
		{"short as a word", "Project P is /P/ PP P1 xP P-1", []string{"P"}, "Project " + Mask + " is /" + Mask + "/ PP P1 xP P-1"},
		{"7 bytes glued is kept", "rid-ABCDEFG", []string{"ABCDEFG"}, "rid-ABCDEFG"},
		{"7 bytes alone", "id ABCDEFG.", []string{"ABCDEFG"}, "id " + Mask + "."},
		{"empty and mask ignored", "a REDACTED b", []string{"", Mask}, "a REDACTED b"},
		{"several", "x " + tok + " SK", []string{tok, "SK"}, "x " + Mask + " " + Mask},
		{"absent", "nothing here", []string{tok}, "nothing here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Values(tc.in, tc.values...)
			if got != tc.want {
				t.Errorf("Values(%q, %q) = %q, want %q", tc.in, tc.values, got, tc.want)
			}
			i, found := ContainsValue(tc.in, tc.values...)
			if found != (got != tc.in) {
				t.Errorf("ContainsValue(%q) = %d, %v, but Values changed it: %v", tc.in, i, found, got != tc.in)
			}
			if j, again := ContainsValue(got, tc.values...); again {
				t.Errorf("value #%d still found after masking: %q", j, got)
			}
		})
	}
}

// FuzzValues: Values and ContainsValue never disagree, and a long value never survives.
func FuzzValues(f *testing.F) {
	f.Add("rid-TOKEN-0123456789", "TOKEN-0123456789")
	f.Add("Project P is", "P")
	f.Fuzz(func(t *testing.T, s, v string) {
		out := Values(s, v)
		if _, found := ContainsValue(s, v); found != (out != s) {
			t.Fatalf("ContainsValue(%q, %q) = %v, Values = %q", s, v, found, out)
		}
		if len(v) >= MinSecretLen && v != Mask && !overlapsMask(v) && strings.Contains(out, v) {
			t.Fatalf("Values(%q, %q) = %q still holds it", s, v, out)
		}
	})
}

// overlapsMask reports whether v could be rebuilt from the mask and the text around it (a
// suffix of Mask is a prefix of v, or a prefix of Mask a suffix of v).
func overlapsMask(v string) bool {
	for i := 1; i < len(Mask); i++ {
		if strings.HasPrefix(v, Mask[i:]) || strings.HasSuffix(v, Mask[:i]) {
			return true
		}
	}
	return strings.Contains(v, Mask)
}
