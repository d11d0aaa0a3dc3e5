package reproduce

import (
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	t.Parallel()
	const u = "https://rds.example.com/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01"
	tests := []struct{ name, got, want string }{
		{"curl, token from the environment", Curl(u, "$RDS_AUTH_TOKEN", false), `curl -sS -i -H "X-Auth-Token: $RDS_AUTH_TOKEN" '` + u + `'`},
		{"curl, a literal token", Curl(u, "not-a-token", false), `curl -sS -i -H 'X-Auth-Token: not-a-token' '` + u + `'`},
		{"curl, no token", Curl(u, "", false), `curl -sS -i '` + u + `'`},
		{"curl, CA file", Curl(u, "$RDS_AUTH_TOKEN", true), `curl -sS -i --cacert "$RDS_CA_FILE" -H "X-Auth-Token: $RDS_AUTH_TOKEN" '` + u + `'`},
		{"files", Files(u, ""), "rdsbackup files --backup-id c0c9f155c7b7423a9d30f0175998b63bbr01 --output raw   # with the same RDS_ENDPOINT/HUAWEICLOUD_SDK_* settings"},
		{"files, environment", Files(u, "A=b"), "A=b rdsbackup files --backup-id c0c9f155c7b7423a9d30f0175998b63bbr01 --output raw   # with the same RDS_ENDPOINT/HUAWEICLOUD_SDK_* settings"},
		{"files, no backup_id", Files("https://h/v3/p/backup-files", ""), "(AK/SK: no command sends a request without backup_id; with a token, curl can)"},
		{"files, two backup_id", Files("https://h/v3/p/backup-files?backup_id=a&backup_id=b", ""), "(AK/SK: no command sends a request without backup_id; with a token, curl can)"},
		{"recorded", Recorded("", RecordedSpec("x.yaml", 2)), `RDS_LABELS=recorded make conformance FOCUS='cassette x\.yaml interaction 2'`},
		{"recorded, a directory with a space", Recorded("/tmp/my recs", "s"), `RDS_RECORDINGS='/tmp/my recs' RDS_LABELS=recorded make conformance FOCUS=s`},
		{"fake", Fake("404 unknown backup"), `RDS_LABELS=fake make conformance FOCUS='404 unknown backup'`},
		{"quote", ShellQuote("it's"), `'it'\''s'`},
		{"quote, empty", ShellQuote(""), `''`},
		{"quote, plain", ShellQuote("a-b_c.d/e:f=g@h"), `a-b_c.d/e:f=g@h`},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
	if got := Curl(u, "$(rm -rf /)", false); strings.Contains(got, `"X-Auth-Token: $(rm`) {
		t.Errorf("an environment reference is only what starts with $ and is a name: %s", got)
	}
}
