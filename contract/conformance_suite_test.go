package contract_test

// The conformance suite (Ginkgo): every exchange, recorded, provoked from the in-process fake
// or sent to a live endpoint, is checked with every check of the contract, and each check is
// its own spec named after it, so that a JUnit report says which promise broke:
//
//	recorded  cassette doc-example.yaml interaction 0  timestamp_format
//	fake      404 unknown backup                       error_body
//	live      bad credentials                          expected_status
//
// Containers are labelled recorded, fake and live (select with --label-filter). Variables:
//
//	RDS_RECORDINGS=DIR      check the cassettes in DIR (not in its subdirectories) instead
//	                        of testdata/recordings (and skip the known-bad ones)
//	RDS_ENDPOINT / HUAWEICLOUD_SDK_REGION
//	                        turn the live container on (see live_suite_test.go)
//	RDS_BACKUP_ID           the backup of the live happy path
//	RDS_RECORD=DIR          record the live traffic, redacted, into DIR/live-<time>.yaml
//	RDS_REDACT_PROJECT=1    recordings also hide the project ID
//	RDS_MAX_LINK_TTL=D      longest link validity accepted (Go duration; default 168h)
//	RDS_STRICT=1            undocumented fields fail their spec (default: a warning)
//
// A relative DIR is taken from the module's root directory when the suite runs inside the
// module (go test and ginkgo run it in contract/), else from the working directory; the
// suite prints the directory it used.
//
// Failures (Severity Failure) fail the spec of their check; warnings and notes never fail:
// they are added as report entries (shown with -v or on failure, and kept in the JUnit and
// JSON reports).

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/htmlreport"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Environment variables of the suite (the client's own, such as RDS_ENDPOINT, are
// rdsbackup.Env*).
const (
	envRecordings    = "RDS_RECORDINGS"
	envRecord        = "RDS_RECORD"
	envRedactProject = "RDS_REDACT_PROJECT"
	envBackupID      = "RDS_BACKUP_ID"
	envMaxLinkTTL    = "RDS_MAX_LINK_TTL"
	envStrict        = "RDS_STRICT" // 1: undocumented fields fail the run instead of warning
)

// checkExpectedStatus is the name of the spec that checks a provoked exchange got the status
// it was provoked for. It is a property of the scenario, not of the contract, so it is not
// one of contract.Checks.
const checkExpectedStatus = "expected_status"

func TestContract(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	// A run in which no spec ran checked nothing: it fails (make conformance passes
	// --fail-on-empty too; this covers the standalone binary and go test).
	suiteConfig.FailOnEmpty = true
	RunSpecs(t, "Contract conformance suite", suiteConfig, reporterConfig)
}

// liveSelectedButOff returns a one-line reason to stop when the label filter asks for the
// live container (RDS_LABELS=live) but no endpoint is configured: such a run would skip
// every live spec and look green.
func liveSelectedButOff(filter string) string {
	if strings.TrimSpace(filter) == "" {
		return ""
	}
	lf, err := types.ParseLabelFilter(filter)
	if err != nil || !lf([]string{"live"}) {
		return ""
	}
	if on, _ := liveMode(); on {
		return ""
	}
	return fmt.Sprintf("the live checks are selected (label filter %q) but no endpoint is configured: set %s or %s, with %s, credentials (%s, or %s and %s) and %s",
		filter, rdsbackup.EnvEndpoint, rdsbackup.EnvRegion, rdsbackup.EnvProjectID, rdsbackup.EnvAuthToken, rdsbackup.EnvAccessKey, rdsbackup.EnvSecretKey, envBackupID)
}

// validator is built once per process, in BeforeSuite, with the coverage of the run.
var (
	validator *contract.Validator
	coverage  *contract.Coverage
)

var _ = BeforeSuite(func() {
	suiteConfig, _ := GinkgoConfiguration()
	if msg := liveSelectedButOff(suiteConfig.LabelFilter); msg != "" {
		Fail(msg) // every spec is skipped, the run fails, and the reports say why
	}
	opts := contract.Options{Strict: os.Getenv(envStrict) == "1"}
	if s := os.Getenv(envMaxLinkTTL); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			Fail(fmt.Sprintf("%s=%q is not a positive Go duration such as 24h", envMaxLinkTTL, s))
		}
		opts.MaxLinkTTL = d
	}
	v, err := contract.NewValidator(opts)
	must(err, "building the validator")
	validator = v
	coverage = v.NewCoverage()
})

// subject is one exchange under test, with what the validator said about it.
type subject struct {
	label      string            // who it is, in messages: "cassette x.yaml interaction 0", "fake: 404 unknown backup"
	ex         contract.Exchange // the exchange, once there is one
	have       bool              // ex holds an exchange
	violations []contract.Violation
	skip       string // when set, the check specs are skipped with this reason
	repro      string // a command that shows the exchange again (see reproduce_test.go)
	container  string // recorded, fake or live, for the coverage; "" is not counted (known-bad cassettes)
	err        error  // what the client returned, for the expected_status spec
	// throttled, when set, says why the scenario ended on a 429 (live): its expected_status
	// spec is skipped with this reason while the 429 itself is checked by every check.
	throttled string
}

// validate fills s.violations from s.ex.
func (s *subject) validate() {
	s.have = true
	if s.container == "" {
		s.violations = validator.Validate(s.ex)
		return
	}
	s.violations = validator.ValidateCovered(s.ex, coverage, s.container)
}

// skipAll counts every check of s as skipped, for why (no response came).
func (s *subject) skipAll(why string) {
	if s.container == "" {
		return
	}
	for _, check := range contract.Checks {
		coverage.Skip(s.container, check, why)
	}
}

// checkSpecs adds one It per check of the contract, in the order of contract.Checks, each
// asserting on the subject that get returns once the specs run.
func checkSpecs(get func() *subject) {
	for _, check := range contract.Checks {
		It(check, Offset(1), func() {
			s := get()
			Expect(s).NotTo(BeNil(), "no exchange was recorded for this spec")
			if s.skip != "" {
				Skip(s.skip)
			}
			if !s.have {
				Skip("no response to check (see " + checkExpectedStatus + ")")
			}
			assertCheck(s, check)
		})
	}
}

// assertCheck fails when s has failures of check, and reports its warnings and notes.
func assertCheck(s *subject, check string) {
	var failures []contract.Violation
	for _, v := range s.violations {
		if v.Check != check {
			continue
		}
		if v.Severity == contract.Failure {
			failures = append(failures, v)
			record(s, v)
			continue
		}
		mention(s, v)
	}
	if len(failures) > 0 {
		Fail(failureMessage(s, check, failures))
	}
}

// findings are the run's failures and warnings, for the HTML report.
var (
	findingsMu sync.Mutex
	findings   []htmlreport.Finding
)

// record keeps a failure or warning of s for the HTML report (notes are left out).
func record(s *subject, v contract.Violation) {
	if v.Severity == contract.Note {
		return
	}
	findingsMu.Lock()
	defer findingsMu.Unlock()
	findings = append(findings, htmlreport.Finding{Container: s.container, Subject: s.label, Violation: v, Reproduce: s.repro})
}

// mention reports a warning or a note without failing.
func mention(s *subject, v contract.Violation) {
	record(s, v)
	text := s.label + ": " + v.String()
	if s.repro != "" {
		text += "\n  reproduce: " + s.repro
	}
	AddReportEntry(v.Severity.String()+" "+v.Check, text, ReportEntryVisibilityFailureOrVerbose)
}

// failureMessage lists the failures of one check in one exchange, one block each.
func failureMessage(s *subject, check string, vs []contract.Violation) string {
	var b strings.Builder
	plural := "s"
	if len(vs) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "%s broke %s (%d finding%s)\n", s.label, check, len(vs), plural)
	for _, v := range vs {
		writeViolation(&b, v)
	}
	if s.repro != "" {
		fmt.Fprintf(&b, "  reproduce: %s\n", s.repro)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeViolation(b *strings.Builder, v contract.Violation) {
	fmt.Fprintf(b, "  - check:  %s\n", v.Check)
	fmt.Fprintf(b, "    where:  %s\n", v.Where)
	if v.Got != "" {
		fmt.Fprintf(b, "    got:    %s\n", v.Got)
	}
	if v.Want != "" {
		fmt.Fprintf(b, "    want:   %s\n", v.Want)
	}
	fmt.Fprintf(b, "    engine: %s\n", v.Engine)
	if v.Message != "" {
		fmt.Fprintf(b, "    why:    %s\n", v.Message)
	}
}

// must fails the current node with "what: err" (one readable line, no dump of the error's
// structure) when err is not nil.
func must(err error, what string) {
	if err != nil {
		Fail(what + ": " + err.Error())
	}
}

// capture is an http.RoundTripper that keeps every exchange it carries (the request as
// sent, the response as received, body read in full and handed on), and refuses requests
// beyond its budget (when budget > 0).
type capture struct {
	next   http.RoundTripper
	budget int

	mu   sync.Mutex
	sent int
	got  []contract.Exchange
}

// maxCapturedBody bounds the body kept for a response (the API's answers are small).
const maxCapturedBody = 16 << 20

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.budget > 0 && c.sent >= c.budget {
		c.mu.Unlock()
		return nil, fmt.Errorf("the suite's budget of %d requests is spent", c.budget)
	}
	c.sent++
	c.mu.Unlock()
	ex := contract.Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: req.Header.Clone()}
	rsp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(rsp.Body, maxCapturedBody))
	rsp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the HTTP %d response: %w", rsp.StatusCode, err)
	}
	rsp.Body = io.NopCloser(bytes.NewReader(body))
	ex.StatusCode, ex.Header, ex.Body, ex.Received = rsp.StatusCode, rsp.Header.Clone(), body, time.Now()
	c.mu.Lock()
	c.got = append(c.got, ex)
	c.mu.Unlock()
	return rsp, nil
}

// take returns the exchanges kept since the last take.
func (c *capture) take() []contract.Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

// requests returns how many requests were sent.
func (c *capture) requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

// envWorkDir names the directory that relative paths in the environment are taken from;
// make conformance sets it to the directory make was run from.
const envWorkDir = "RDS_WORKDIR"

// resolveDir turns a path given in the environment (RDS_RECORDINGS, RDS_RECORD,
// RDS_CA_FILE) into an absolute path: a relative one is taken from RDS_WORKDIR when set (the
// directory where the user ran make), else from the module's root when the working
// directory is this module's contract/ (go test runs there), else from the working directory
// (the standalone binary, wherever it runs).
func resolveDir(dir string) string {
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	if base := os.Getenv(envWorkDir); base != "" {
		return filepath.Join(base, dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return dir
	}
	if root, ok := goTestDir(wd); ok {
		return filepath.Join(root, dir)
	}
	return filepath.Join(wd, dir)
}

// goTestDir reports whether wd is where go test runs this suite (the module's contract/
// directory), and returns the module's root. The standalone binary run anywhere else, in a
// clone's other directories too, takes paths from where it runs.
func goTestDir(wd string) (string, bool) {
	root := moduleRoot(wd)
	return root, root != "" && filepath.Clean(wd) == filepath.Join(root, "contract")
}

// lookupEnv is os.LookupEnv with the path settings of the client (RDS_CA_FILE) resolved as
// the user typed them (resolveDir), not against contract/ where the tests run.
func lookupEnv(k string) (string, bool) {
	v, ok := os.LookupEnv(k)
	if ok && v != "" && k == rdsbackup.EnvCAFile {
		v = resolveDir(v)
	}
	return v, ok
}

// moduleRoot returns the directory of the go.mod of this module above dir, or "".
func moduleRoot(dir string) string {
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if bytes.Contains(b, []byte("module github.com/rdskit/rdsbackup\n")) {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
