package contract_test

// Tests of the live container against hostile loopback endpoints. The container is built
// when the package loads, from the environment, so each case runs this test binary again
// (TestContract only, label live) with the environment pointing at an httptest server, and
// reads Ginkgo's JSON report.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func TestLiveTimeout(t *testing.T) {
	cases := []struct {
		value string
		set   bool
		want  time.Duration
	}{
		{"", false, rdsbackup.DefaultTimeout},
		{"", true, rdsbackup.DefaultTimeout},
		{"5s", true, 5 * time.Second},
		{"1m30s", true, 90 * time.Second},
		{"7", true, 7 * time.Second}, // seconds, as EnvOptions reads it
		{"0", true, rdsbackup.DefaultTimeout},
		{"0s", true, rdsbackup.DefaultTimeout},
		{"-3s", true, rdsbackup.DefaultTimeout},
		{"soon", true, rdsbackup.DefaultTimeout},
	}
	for _, tc := range cases {
		got := liveTimeout(func(k string) (string, bool) {
			if k == rdsbackup.EnvTimeout {
				return tc.value, tc.set
			}
			return "", false
		})
		if got != tc.want {
			t.Errorf("RDS_TIMEOUT=%q: %v, want %v", tc.value, got, tc.want)
		}
	}
}

func TestLiveBound(t *testing.T) {
	// 4 scenarios of at most 4 tries: 16 requests (under the budget of 30), 12 waits
	requests := min(liveBudget, len(liveCases)*liveAttempts)
	waits := len(liveCases) * (liveAttempts - 1)
	for _, timeout := range []time.Duration{time.Second, 5 * time.Second, rdsbackup.DefaultTimeout} {
		got := liveBound(timeout)
		if want := time.Duration(requests)*timeout + time.Duration(waits)*liveMaxWait; got != want {
			t.Errorf("liveBound(%v) = %v, want %v", timeout, got, want)
		}
		if got > liveBudget*timeout+time.Duration(waits)*liveMaxWait {
			t.Errorf("liveBound(%v) = %v exceeds budget × timeout + waits", timeout, got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		value       string
		wait, asked time.Duration
	}{
		{"", liveDefaultWait, liveDefaultWait},
		{"3", 3 * time.Second, 3 * time.Second},
		{"3600", liveMaxWait, time.Hour},
		{"0", liveDefaultWait, liveDefaultWait},
		{"soon", liveDefaultWait, liveDefaultWait},
		{now.Add(20 * time.Second).Format(http.TimeFormat), liveMaxWait, 20 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), liveDefaultWait, liveDefaultWait},
	}
	for _, tc := range cases {
		wait, asked := retryAfter(tc.value, now)
		if wait != tc.wait || asked != tc.asked {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.value, wait, asked, tc.wait, tc.asked)
		}
	}
}

// liveRun is the outcome of one run of the live container.
type liveRun struct {
	err     error // the child's exit status
	elapsed time.Duration
	output  string
	specs   map[string]types.SpecReport // by "scenario spec", e.g. "bad credentials expected_status"
}

// state returns the state of a spec, "absent" when there is none by that name.
func (r liveRun) state(name string) string {
	s, ok := r.specs[name]
	if !ok {
		return "absent"
	}
	return s.State.String()
}

// failed returns the names of the failed specs.
func (r liveRun) failed() []string {
	var out []string
	for name, s := range r.specs {
		if s.State.Is(types.SpecStateFailureStates) {
			out = append(out, name)
		}
	}
	return out
}

// runLiveSuite runs the live container of this test binary against endpoint, with timeout as
// RDS_TIMEOUT and, when backupID is set, RDS_BACKUP_ID.
func runLiveSuite(t *testing.T, endpoint, timeout, backupID string) liveRun {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestContract$", "-test.v",
		"-ginkgo.label-filter=live", "-ginkgo.no-color", "-ginkgo.json-report="+report)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RDS_") && !strings.HasPrefix(kv, "HUAWEICLOUD_") {
			env = append(env, kv)
		}
	}
	env = append(env, rdsbackup.EnvEndpoint+"="+endpoint, rdsbackup.EnvProjectID+"="+fakeProject,
		rdsbackup.EnvAuthToken+"=t", rdsbackup.EnvTimeout+"="+timeout)
	if backupID != "" {
		env = append(env, envBackupID+"="+backupID)
	}
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	run := liveRun{err: err, elapsed: time.Since(start), output: string(out), specs: map[string]types.SpecReport{}}
	data, rerr := os.ReadFile(report)
	if rerr != nil {
		t.Fatalf("no report (%v); output:\n%s", rerr, out)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt {
				continue
			}
			h := s.ContainerHierarchyTexts
			name := s.LeafNodeText
			if len(h) > 0 {
				name = h[len(h)-1] + " " + name
			}
			run.specs[name] = s
		}
	}
	return run
}

// errorJSON answers an error as the provider does.
func errorJSON(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "0123456789abcdef0123456789abcdef")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error_code":%q,"error_msg":%q}`, code, msg)
}

// conforming answers every live scenario but the happy path as the provider would.
func conforming(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Header.Get("X-Auth-Token") != "t":
		errorJSON(w, http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information.")
	case r.URL.Query().Get("backup_id") == "":
		errorJSON(w, http.StatusBadRequest, "DBS.200001", "Invalid parameter: backup_id is required.")
	default:
		errorJSON(w, http.StatusNotFound, "DBS.201010", "Backup information does not exist.")
	}
}

const (
	scenarioHappy   = "happy path (RDS_BACKUP_ID)"
	scenarioMissing = "backup_id missing"
	scenarioBadCred = "bad credentials"
)

func TestLiveSuiteHostileEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the live container against loopback servers (several seconds)")
	}
	if os.Getenv(rdsbackup.EnvEndpoint) != "" || os.Getenv(rdsbackup.EnvRegion) != "" {
		t.Skip("a live endpoint is configured: this test runs the live container itself")
	}

	t.Run("headers then stall", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"files":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // until the client gives up
		}))
		defer srv.Close()
		run := runLiveSuite(t, srv.URL, "1s", "x")
		// 4 scenarios, each bounded by the 1 s timeout (the fixed minute made this 80 s at 5 s)
		if run.elapsed > 20*time.Second {
			t.Errorf("the run took %v against a stalling endpoint with RDS_TIMEOUT=1s", run.elapsed)
		}
		if run.err == nil {
			t.Error("the run passed against an endpoint that never finishes a response")
		}
		for _, sc := range []string{scenarioHappy, scenarioMissing, scenarioBadCred} {
			s := run.specs[sc+" "+checkExpectedStatus]
			if !s.State.Is(types.SpecStateFailed) || !strings.Contains(s.Failure.Message, "no complete response within 1s") {
				t.Errorf("%s: %s, %q; want failed, saying no complete response within 1s", sc, s.State, s.Failure.Message)
			}
		}
		if t.Failed() {
			t.Logf("output:\n%s", run.output)
		}
	})

	t.Run("always 429, JSON, Retry-After 3600", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Retry-After", "3600")
			errorJSON(w, http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached.")
		}))
		defer srv.Close()
		run := runLiveSuite(t, srv.URL, "5s", "x")
		if run.err == nil {
			t.Error("the run passed although every scenario was throttled")
		}
		if got := run.failed(); len(got) != 1 || got[0] != "live endpoint throttled" {
			t.Errorf("failed specs %q, want only the throttled one", got)
		}
		if s := run.specs["live endpoint throttled"]; !strings.Contains(s.Failure.Message, "the endpoint throttled every scenario") {
			t.Errorf("throttled: %q", s.Failure.Message)
		}
		for _, sc := range []string{scenarioHappy, scenarioMissing, scenarioBadCred} {
			if st := run.state(sc + " " + checkExpectedStatus); st != "skipped" {
				t.Errorf("%s expected_status: %s, want skipped as throttled", sc, st)
			}
			for _, check := range []string{"status_code", "content_type", "error_body"} {
				if st := run.state(sc + " " + check); st != "passed" {
					t.Errorf("%s %s: %s, want the 429 checked and passed", sc, check, st)
				}
			}
		}
		// Retry-After asks for an hour: no scenario is tried again, and nothing is waited
		if n := hits.Load(); n != 4 {
			t.Errorf("%d requests, want one per scenario (4)", n)
		}
		if run.elapsed > 20*time.Second {
			t.Errorf("the run took %v", run.elapsed)
		}
		if t.Failed() {
			t.Logf("output:\n%s", run.output)
		}
	})

	t.Run("always 429, HTML", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, "<html><body><h1>429 Too Many Requests</h1></body></html>\n")
		}))
		defer srv.Close()
		run := runLiveSuite(t, srv.URL, "5s", "")
		if run.err == nil {
			t.Error("the run passed against an endpoint answering HTML 429s")
		}
		for _, sc := range []string{scenarioMissing, scenarioBadCred} {
			for _, check := range []string{"content_type", "error_body"} {
				if st := run.state(sc + " " + check); st != "failed" {
					t.Errorf("%s %s: %s, want failed (an HTML 429)", sc, check, st)
				}
			}
			if st := run.state(sc + " " + checkExpectedStatus); st != "skipped" {
				t.Errorf("%s expected_status: %s, want skipped as throttled", sc, st)
			}
		}
		if st := run.state("live endpoint throttled"); st != "failed" {
			t.Errorf("throttled: %s, want failed", st)
		}
		if t.Failed() {
			t.Logf("output:\n%s", run.output)
		}
	})

	t.Run("throttled once, then conforming", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				errorJSON(w, http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached.")
				return
			}
			conforming(w, r)
		}))
		defer srv.Close()
		run := runLiveSuite(t, srv.URL, "5s", "")
		if run.err != nil || len(run.failed()) != 0 {
			t.Errorf("the run failed (%v): %q", run.err, run.failed())
		}
		if st := run.state("live endpoint throttled"); st != "passed" {
			t.Errorf("throttled: %s, want passed (one scenario was throttled once, then answered)", st)
		}
		if st := run.state(scenarioMissing + " " + checkExpectedStatus); st != "passed" {
			t.Errorf("%s expected_status: %s, want passed after the retry", scenarioMissing, st)
		}
		if n := hits.Load(); n != 4 {
			t.Errorf("%d requests, want 4 (3 scenarios, one tried twice)", n)
		}
		if t.Failed() {
			t.Logf("output:\n%s", run.output)
		}
	})
}
