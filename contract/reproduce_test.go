package contract_test

import (
	"os"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/reproduce"
)

// A reproducer is a command that shows a finding's exchange again, with every secret as an
// environment variable, so that an operator can see it for themselves or paste it into a
// support ticket. It follows each failure and warning in the console, JUnit and JSON reports.
// The commands are written by package internal/reproduce, which rdsproxy shares.

// reproduceRecorded focuses make conformance on one interaction of a cassette (dir is empty
// for the built-in cassettes, else RDS_RECORDINGS as the user gave it).
func reproduceRecorded(dir, spec string) string {
	if dir != "" {
		dir = resolveDir(dir)
	}
	return reproduce.Recorded(dir, spec)
}

// reproduceFake focuses make conformance on one scenario of the fake container.
func reproduceFake(scenario string) string { return reproduce.Fake(scenario) }

// reproduceLive returns the command that sends a live exchange again: curl with the token
// from $RDS_AUTH_TOKEN, or, for AK/SK, rdsbackup files --output raw with the same endpoint
// settings. badCredentials is the suite's wrong credential scenario.
func reproduceLive(rawURL string, badCredentials bool) string {
	if os.Getenv(rdsbackup.EnvAuthToken) != "" {
		token := "$RDS_AUTH_TOKEN"
		if badCredentials {
			token = liveInvalidToken
		}
		return reproduce.Curl(rawURL, token, os.Getenv(rdsbackup.EnvCAFile) != "")
	}
	env := ""
	if badCredentials {
		env = "HUAWEICLOUD_SDK_SK=" + reproduce.ShellQuote(liveWrongSK)
	}
	return reproduce.Files(rawURL, env)
}
