package contract_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// TestLiveSelectedButOff: selecting the live container without an endpoint stops the run
// with one line naming what to set; other filters, or an endpoint, let it run.
func TestLiveSelectedButOff(t *testing.T) {
	t.Setenv(rdsbackup.EnvEndpoint, "")
	t.Setenv(rdsbackup.EnvRegion, "")
	for _, filter := range []string{"live", "recorded || live", "!fake"} {
		msg := liveSelectedButOff(filter)
		if msg == "" || strings.Contains(msg, "\n") {
			t.Errorf("filter %q: %q", filter, msg)
		}
		for _, want := range []string{"RDS_ENDPOINT", "HUAWEICLOUD_SDK_REGION", "HUAWEICLOUD_SDK_PROJECT_ID", "RDS_AUTH_TOKEN", "HUAWEICLOUD_SDK_AK", "RDS_BACKUP_ID"} {
			if !strings.Contains(msg, want) {
				t.Errorf("filter %q: %q does not name %s", filter, msg, want)
			}
		}
	}
	for _, filter := range []string{"", "recorded", "fake", "!live"} {
		if msg := liveSelectedButOff(filter); msg != "" {
			t.Errorf("filter %q: %q", filter, msg)
		}
	}
	t.Setenv(rdsbackup.EnvEndpoint, "https://rds.example.com")
	if msg := liveSelectedButOff("live"); msg != "" {
		t.Errorf("with an endpoint: %q", msg)
	}
}

// TestPathsAsTheUserTypedThem: relative path settings are taken from RDS_WORKDIR (the
// directory make was run from), not from contract/ where the tests run.
func TestPathsAsTheUserTypedThem(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(envWorkDir, dir)
	t.Setenv(rdsbackup.EnvCAFile, "ca.pem")
	if got, _ := lookupEnv(rdsbackup.EnvCAFile); got != filepath.Join(dir, "ca.pem") {
		t.Errorf("RDS_CA_FILE resolved to %q", got)
	}
	if got := resolveDir("recordings"); got != filepath.Join(dir, "recordings") {
		t.Errorf("RDS_RECORDINGS resolved to %q", got)
	}
	if got := resolveDir("/abs/x"); got != "/abs/x" {
		t.Errorf("an absolute path changed: %q", got)
	}
	os.Unsetenv(envWorkDir)
	wd, _ := os.Getwd()
	want := filepath.Join(wd, "x") // the standalone binary, run anywhere: the working directory
	if root, ok := goTestDir(wd); ok {
		want = filepath.Join(root, "x") // go test runs in contract/: the module's root
	}
	if _, ok := goTestDir(filepath.Join(wd, "..", "cmd")); ok {
		t.Error("a directory of the clone other than contract/ counted as go test's")
	}
	if got := resolveDir("x"); got != want {
		t.Errorf("without RDS_WORKDIR: %q, want %q", got, want)
	}
}
