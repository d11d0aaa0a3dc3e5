// Package reproduce writes the commands that show a finding's exchange again, for the
// conformance suite and rdsproxy: make conformance focused on one cassette interaction or
// fake scenario, curl with the token from $RDS_AUTH_TOKEN, or rdsbackup for AK/SK (which curl
// cannot sign). Every secret is an environment variable reference, never a value.
package reproduce

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Recorded focuses make conformance on the spec named spec of the recorded container; dir,
// when not empty, is the RDS_RECORDINGS directory (absolute). FOCUS is Ginkgo's --focus, a
// regular expression: the spec's name is quoted for it.
func Recorded(dir, spec string) string {
	cmd := fmt.Sprintf("RDS_LABELS=recorded make conformance FOCUS=%s", ShellQuote(regexp.QuoteMeta(spec)))
	if dir != "" {
		cmd = "RDS_RECORDINGS=" + ShellQuote(dir) + " " + cmd
	}
	return cmd
}

// RecordedSpec is the name of the recorded container's specs for one interaction of a
// cassette (its file's base name), as the suite names them.
func RecordedSpec(cassette string, index int) string {
	return fmt.Sprintf("cassette %s interaction %d", cassette, index)
}

// Fake focuses make conformance on one scenario of the fake container.
func Fake(scenario string) string {
	return fmt.Sprintf("RDS_LABELS=fake make conformance FOCUS=%s", ShellQuote(regexp.QuoteMeta(scenario)))
}

// Curl sends the request of rawURL again with curl: token is what follows "X-Auth-Token: "
// (an environment reference "$NAME" such as "$RDS_AUTH_TOKEN", left for the shell to
// expand, or a literal known not to be secret, quoted; empty sends none); caFile adds --cacert "$RDS_CA_FILE".
func Curl(rawURL, token string, caFile bool) string {
	auth := "-H " + ShellQuote("X-Auth-Token: "+token) + " "
	switch {
	case token == "":
		auth = ""
	case envRef.MatchString(token):
		auth = `-H "X-Auth-Token: ` + token + `" `
	}
	ca := ""
	if caFile {
		ca = `--cacert "$RDS_CA_FILE" `
	}
	return fmt.Sprintf("curl -sS -i %s%s%s", ca, auth, ShellQuote(rawURL))
}

// envRef is a reference to an environment variable, "$NAME".
var envRef = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)

// Files sends the request of rawURL again with rdsbackup (AK/SK), with env (assignments such
// as HUAWEICLOUD_SDK_SK=...) in front, or says why no command can.
func Files(rawURL, env string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	ids, ok := u.Query()["backup_id"]
	if !ok || len(ids) != 1 {
		return "(AK/SK: no command sends a request without backup_id; with a token, curl can)"
	}
	if env != "" {
		env += " "
	}
	return fmt.Sprintf("%srdsbackup files --backup-id %s --output raw   # with the same RDS_ENDPOINT/HUAWEICLOUD_SDK_* settings", env, ShellQuote(ids[0]))
}

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
