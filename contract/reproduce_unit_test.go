package contract_test

import (
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func TestReproducers(t *testing.T) {
	const u = "https://rds.example.com/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01"
	t.Setenv(rdsbackup.EnvAuthToken, "tok-SECRET-0123456789")
	t.Setenv(rdsbackup.EnvCAFile, "")
	t.Setenv(envWorkDir, "/home/op")
	tests := []struct{ name, got, want string }{
		{"token", reproduceLive(u, false), `curl -sS -i -H "X-Auth-Token: $RDS_AUTH_TOKEN" '` + u + `'`},
		{"token, bad credentials", reproduceLive(u, true), `curl -sS -i -H 'X-Auth-Token: ` + liveInvalidToken + `' '` + u + `'`},
		{"recorded, built in", reproduceRecorded("", "cassette doc-example.yaml interaction 0"), `RDS_LABELS=recorded make conformance FOCUS='cassette doc-example\.yaml interaction 0'`},
		{"recorded, a directory", reproduceRecorded("recordings", "cassette x.yaml interaction 2"), `RDS_RECORDINGS=/home/op/recordings RDS_LABELS=recorded make conformance FOCUS='cassette x\.yaml interaction 2'`},
		{"fake", reproduceFake("404 unknown backup"), `RDS_LABELS=fake make conformance FOCUS='404 unknown backup'`},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
		if strings.Contains(tc.got, "tok-SECRET") {
			t.Errorf("%s: a secret in the reproducer", tc.name)
		}
	}
	t.Setenv(rdsbackup.EnvCAFile, "ca.pem")
	if got := reproduceLive(u, false); !strings.Contains(got, `--cacert "$RDS_CA_FILE"`) {
		t.Errorf("with a CA file: %s", got)
	}
	t.Setenv(rdsbackup.EnvAuthToken, "")
	if got := reproduceLive(u, false); got != "rdsbackup files --backup-id c0c9f155c7b7423a9d30f0175998b63bbr01 --output raw   # with the same RDS_ENDPOINT/HUAWEICLOUD_SDK_* settings" {
		t.Errorf("AK/SK: %s", got)
	}
	if got := reproduceLive(u, true); !strings.HasPrefix(got, "HUAWEICLOUD_SDK_SK="+liveWrongSK+" rdsbackup files") {
		t.Errorf("AK/SK, bad credentials: %s", got)
	}
	if got := reproduceLive("https://h/v3/p/backup-files", false); !strings.Contains(got, "no command sends a request without backup_id") {
		t.Errorf("AK/SK, no backup_id: %s", got)
	}
}
