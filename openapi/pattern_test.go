package openapi_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/openapi"
)

// timestampPattern returns the pattern of link_expired_time as the description gives it.
func timestampPattern(t *testing.T) string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Schemas["BackupFile"].Value.Properties["link_expired_time"].Value.Pattern
	if p == "" {
		t.Fatal("link_expired_time has no pattern")
	}
	return p
}

// patternCases are values of link_expired_time through the pattern alone, as a tool that
// does not know the custom format rds-timestamp sees them.
var patternCases = []struct {
	value string
	ok    bool
	why   string
}{
	{"2018-08-16T10:15:14+0800", true, "the documented example"},
	{"2026-01-01T08:00:00+0800", true, "new year"},
	{"2024-02-29T23:59:59-1400", true, "29 February, a leap year, offset -14:00"},
	{"2023-02-29T00:00:00+0000", true, "29 February of a common year: the format's to reject, not the pattern's"},
	{"1999-12-31T00:00:00+1400", true, "offset +14:00"},
	{"2018-04-30T12:00:00+0545", true, "30 April, offset +05:45"},
	{"2018-07-31T12:00:00+1345", true, "31 July, offset +13:45"},
	{"0000-01-01T00:00:00+0000", true, "year 0000 (the layout allows it)"},
	{"2018-08-016T10:15:14+0800", false, "three-digit day (the provider's own example)"},
	{"2018-00-16T10:15:14+0800", false, "month 00"},
	{"2018-13-16T10:15:14+0800", false, "month 13"},
	{"2018-08-00T10:15:14+0800", false, "day 00"},
	{"2018-08-32T10:15:14+0800", false, "day 32"},
	{"2018-04-31T10:15:14+0800", false, "31 April"},
	{"2018-11-31T10:15:14+0800", false, "31 November"},
	{"2018-02-30T10:15:14+0800", false, "30 February"},
	{"2018-08-16T24:00:00+0800", false, "hour 24"},
	{"2018-08-16T10:60:14+0800", false, "minute 60"},
	{"2018-08-16T10:15:60+0800", false, "second 60 (leap second)"},
	{"2018-08-16T10:15:61+0800", false, "second 61"},
	{"2018-08-16T10:15:14+08:00", false, "a colon in the offset (RFC 3339)"},
	{"2018-08-16T10:15:14+1401", false, "offset beyond +14:00"},
	{"2018-08-16T10:15:14-1500", false, "offset beyond -14:00"},
	{"2018-08-16T10:15:14+0860", false, "offset minutes 60"},
	{"2018-08-16T10:15:14Z", false, "Z instead of an offset"},
	{"2018-08-16 10:15:14+0800", false, "a space instead of T"},
	{"2018-08-16t10:15:14+0800", false, "a lower-case t"},
	{"2018-08-16T10:15:14.5+0800", false, "fractional seconds"},
	{"2018-08-16T10:15:14+080", false, "three-digit offset"},
	{"18-08-16T10:15:14+0800", false, "two-digit year"},
	{"2018-8-16T10:15:14+0800", false, "one-digit month"},
	{"2018-08-16T10:15:14+0800\n", false, "a trailing newline"},
	{" 2018-08-16T10:15:14+0800", false, "a leading space"},
	{"2018-08-16T10:15:14+0800x", false, "trailing text"},
	{"2018-08-16T1O:15:14+0800", false, "a letter O for a zero"},
	{"２０１８-08-16T10:15:14+0800", false, "full-width digits"},
	{"", false, "empty"},
}

// TestTimestampPatternTable: each value through the pattern alone (Go's RE2, as kin-openapi
// and libopenapi-validator compile it), and the pattern never rejects what the custom format
// accepts.
func TestTimestampPatternTable(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(timestampPattern(t))
	for _, c := range patternCases {
		if got := re.MatchString(c.value); got != c.ok {
			t.Errorf("%q (%s): pattern says %v, want %v", c.value, c.why, got, c.ok)
		}
		if err := rdsbackup.CheckTimestamp(c.value); err == nil && !c.ok {
			t.Errorf("%q (%s): the custom format accepts what the pattern rejects", c.value, c.why)
		}
	}
}

// TestTimestampPatternAgreesWithFormat: over every month and day of four years (leap, common,
// 1900, 2000), every hour, minute and second, and every offset up to ±15:60, the pattern
// and the custom format (rdsbackup.CheckTimestamp) agree, except 29 February of common years,
// which only the format rejects.
func TestTimestampPatternAgreesWithFormat(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(timestampPattern(t))
	var values []string
	for _, y := range []int{2023, 2024, 1900, 2000} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				values = append(values, fmt.Sprintf("%04d-%02d-%02dT10:15:14+0800", y, m, d))
			}
		}
	}
	for n := 0; n <= 61; n++ {
		values = append(values,
			fmt.Sprintf("2018-08-16T%02d:15:14+0800", n),
			fmt.Sprintf("2018-08-16T10:%02d:14+0800", n),
			fmt.Sprintf("2018-08-16T10:15:%02d+0800", n))
	}
	for h := 0; h <= 15; h++ {
		for m := 0; m <= 60; m++ {
			values = append(values, fmt.Sprintf("2018-08-16T10:15:14+%02d%02d", h, m), fmt.Sprintf("2018-08-16T10:15:14-%02d%02d", h, m))
		}
	}
	for _, v := range values {
		pattern, format := re.MatchString(v), rdsbackup.CheckTimestamp(v) == nil
		feb29 := strings.Contains(v, "-02-29T") && !strings.HasPrefix(v, "2024") && !strings.HasPrefix(v, "2000")
		if pattern != format && !(feb29 && pattern && !format) {
			t.Errorf("%s: pattern %v, format %v", v, pattern, format)
		}
	}
}

// portable is the syntax the pattern keeps to, so that ECMA-262 (with or without the u flag)
// and RE2 read it alike: anchors, literal letters, digits and - : + T, bracket expressions
// without escapes, {n} counts, non-capturing groups and alternation. No backslash at all
// (\d differs under Unicode flags), no lookaround, no named or capturing groups.
var portable = regexp.MustCompile(`^\^(?:[0-9A-Z:+-]|\[[0-9+-]+\]|\{[0-9]+\}|\(\?:|\)|\|)*\$$`)

func TestTimestampPatternIsPortable(t *testing.T) {
	t.Parallel()
	if p := timestampPattern(t); !portable.MatchString(p) {
		t.Fatalf("pattern %s uses syntax outside the subset that ECMA-262 and RE2 read alike", p)
	}
}

// TestTimestampPatternInJavaScript runs the table through JavaScript's RegExp (the engine of
// Spectral, Prism, openapi-examples-validator and most JavaScript code generators), with and
// without the u flag (ajv uses it). It needs node; without it, it is skipped.
func TestTimestampPatternInJavaScript(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the pattern is checked against RE2 and the portable syntax only")
	}
	values := make([]string, len(patternCases))
	for i, c := range patternCases {
		values[i] = c.value
	}
	in, _ := json.Marshal(map[string]any{"pattern": timestampPattern(t), "values": values})
	const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const {pattern,values}=JSON.parse(s);` +
		`const a=new RegExp(pattern),b=new RegExp(pattern,'u');console.log(JSON.stringify(values.map(v=>[a.test(v),b.test(v)])))})`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got [][2]bool
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(patternCases) {
		t.Fatalf("node printed %q: %v", out, err)
	}
	for i, c := range patternCases {
		if got[i][0] != c.ok || got[i][1] != c.ok {
			t.Errorf("%q (%s): JavaScript says %v (u flag: %v), want %v", c.value, c.why, got[i][0], got[i][1], c.ok)
		}
	}
}
