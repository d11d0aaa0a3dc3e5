package contract_test

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// A reproducer is a command that shows a finding's exchange again, with every secret as an
// environment variable, so that an operator can see it for themselves or paste it into a
// support ticket. It follows each failure and warning in the console, JUnit and JSON reports.

// reproduceRecorded focuses make conformance on one interaction of a cassette (dir is empty
// for the built-in cassettes). FOCUS is Ginkgo's --focus, a regular expression: the spec's
// name is quoted for it.
func reproduceRecorded(dir, spec string) string {
	cmd := fmt.Sprintf("RDS_LABELS=recorded make conformance FOCUS=%s", shellQuote(regexp.QuoteMeta(spec)))
	if dir != "" {
		cmd = "RDS_RECORDINGS=" + shellQuote(resolveDir(dir)) + " " + cmd
	}
	return cmd
}

// reproduceFake focuses make conformance on one scenario of the fake container.
func reproduceFake(scenario string) string {
	return fmt.Sprintf("RDS_LABELS=fake make conformance FOCUS=%s", shellQuote(regexp.QuoteMeta(scenario)))
}

// reproduceLive returns the command that sends a live exchange again: curl with the token
// from $RDS_AUTH_TOKEN, or, for AK/SK (which curl cannot sign), rdsbackup files --output raw
// with the same endpoint settings. badCredentials is the suite's wrong credential scenario.
func reproduceLive(rawURL string, badCredentials bool) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	token := os.Getenv(rdsbackup.EnvAuthToken) != ""
	backupID, hasID := u.Query()["backup_id"]
	switch {
	case token:
		auth := `-H "X-Auth-Token: $RDS_AUTH_TOKEN"`
		if badCredentials {
			auth = "-H " + shellQuote("X-Auth-Token: "+liveInvalidToken)
		}
		ca := ""
		if os.Getenv(rdsbackup.EnvCAFile) != "" {
			ca = `--cacert "$RDS_CA_FILE" `
		}
		return fmt.Sprintf("curl -sS -i %s%s %s", ca, auth, shellQuote(u.String()))
	case !hasID || len(backupID) != 1:
		return "(AK/SK: no command sends a request without backup_id; with a token, curl can)"
	case badCredentials:
		return fmt.Sprintf("HUAWEICLOUD_SDK_SK=%s rdsbackup files --backup-id %s --output raw", shellQuote(liveWrongSK), shellQuote(backupID[0]))
	}
	return fmt.Sprintf("rdsbackup files --backup-id %s --output raw   # with the same RDS_ENDPOINT/HUAWEICLOUD_SDK_* settings", shellQuote(backupID[0]))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
