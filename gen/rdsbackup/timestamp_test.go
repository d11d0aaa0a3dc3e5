package rdsbackup

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLinkExpiredTimeRoundTripsBytes(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`"2018-08-16T10:15:14+0800"`,
		`"2018-08-016T10:15:14+0800"`,
		`"2018-08-16T10:15:14+08:00"`,
		`12345`,
		`null`,
		`{"odd": true}`,
		`"with \"escapes\" \u00e9"`,
	} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			in := []byte(`{"name":"n","size":1,"download_link":"https://x/y","link_expired_time":` + raw + `}`)
			var f BackupFile
			if err := json.Unmarshal(in, &f); err != nil {
				t.Fatalf("decoding must never fail for %s: %v", raw, err)
			}
			if got := string(f.LinkExpiredTime.Raw()); got != raw {
				t.Fatalf("Raw() = %s, want %s", got, raw)
			}
			out, err := json.Marshal(f.LinkExpiredTime)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != raw && !(raw == `{"odd": true}` && string(out) == `{"odd":true}`) {
				t.Fatalf("re-encoded %s, want %s", out, raw)
			}
		})
	}
}

func TestLinkExpiredTimeTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2018, 8, 16, 2, 15, 14, 0, time.UTC)
	tests := []struct {
		in      string
		ok      bool
		wantErr string
	}{
		{`"2018-08-16T10:15:14+0800"`, true, ""},
		{`"2018-08-16T10:15:14+08:00"`, true, ""},
		{`"2018-08-16T02:15:14Z"`, true, ""},
		{`"2018-08-016T10:15:14+0800"`, false, "matches neither"},
		{`"yesterday"`, false, "matches neither"},
		{`42`, false, "not a JSON string"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			var l LinkExpiredTime
			_ = l.UnmarshalJSON([]byte(tc.in))
			got, err := l.Time()
			if tc.ok {
				if err != nil || !got.Equal(want) {
					t.Fatalf("Time() = %v, %v; want %v", got, err, want)
				}
				return
			}
			var te *TimestampError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), TimestampLayoutHuman) {
				t.Fatalf("Time() error = %v; want a *TimestampError containing %q and the layout", err, tc.wantErr)
			}
		})
	}
}

func TestNewLinkExpiredTime(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("", 8*3600)
	l := NewLinkExpiredTime(time.Date(2026, 1, 1, 8, 0, 0, 0, zone))
	if l.String() != "2026-01-01T08:00:00+0800" {
		t.Fatalf("String() = %q", l.String())
	}
	if err := CheckTimestamp(l.String()); err != nil {
		t.Fatalf("what we write must pass the strict check: %v", err)
	}
	if got := LinkExpiredTimeFromString("a\"b").Raw(); string(got) != `"a\"b"` {
		t.Fatalf("FromString raw = %s", got)
	}
}

func TestCheckTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" = valid; else a fragment of the reason
	}{
		{"2018-08-16T10:15:14+0800", ""},
		{"2024-02-29T23:59:59-1400", ""},
		{"2026-12-31T00:00:00+1400", ""},
		{"2026-12-31T00:00:00+0545", ""},
		{"2018-08-016T10:15:14+0800", "has 25 characters"},
		{"2018-08-16T10:15:14+08:00", "has 25 characters"},
		{"2018-08-16T10:15:14Z", "has 20 characters"},
		{"2018-08-16 10:15:14+0800", "expected 'T'"},
		{"2018/08/16T10:15:14+0800", "expected '-'"},
		{"2018-08-16T10:15:14 0800", "expected '+' or '-'"},
		{"2018-0a-16T10:15:14+0800", "expected a digit"},
		{"2023-02-29T10:15:14+0800", "day 29 does not exist"},
		{"2018-02-30T10:15:14+0800", "day 30 does not exist"},
		{"2018-04-31T10:15:14+0800", "day 31 does not exist"},
		{"2018-00-10T10:15:14+0800", "month 00"},
		{"2018-13-10T10:15:14+0800", "month 13"},
		{"2018-08-00T10:15:14+0800", "day 00"},
		{"2018-08-16T24:00:00+0800", "hour 24"},
		{"2018-08-16T10:60:14+0800", "minute 60"},
		{"2018-08-16T10:15:60+0800", "second 60"},
		{"2018-08-16T10:15:14+1500", "beyond ±14:00"},
		{"2018-08-16T10:15:14-1401", "beyond ±14:00"},
		{"2018-08-16T10:15:14+0860", "offset minutes 60"},
		{"", "has 0 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			err := CheckTimestamp(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckTimestamp(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			var te *TimestampError
			if !errors.As(err, &te) || te.Value != tc.in || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckTimestamp(%q) = %v, want a *TimestampError containing %q", tc.in, err, tc.want)
			}
			if !strings.Contains(err.Error(), "yyyy-mm-ddThh:mm:ss±hhmm") {
				t.Fatalf("error must show the expected layout: %v", err)
			}
		})
	}
}

// FuzzTimestamp: the strict check never panics, whatever it accepts parses with Time() to an
// instant that formats back to the same text, and decoding never fails.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"2018-08-16T10:15:14+0800", "2018-08-016T10:15:14+0800", "2024-02-29T00:00:00-1400", "0000-01-01T00:00:00+0000", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := LinkExpiredTimeFromString(s)
		var back LinkExpiredTime
		if err := json.Unmarshal(l.Raw(), &back); err != nil {
			t.Fatalf("decode failed: %v", err)
		}
		if err := CheckTimestamp(s); err == nil {
			tm, err := l.Time()
			if err != nil {
				t.Fatalf("strictly valid %q does not parse: %v", s, err)
			}
			if got := tm.Format(TimestampLayout); got != s {
				t.Fatalf("%q parsed and formatted back as %q", s, got)
			}
		}
		_, _ = back.Time()
	})
}
