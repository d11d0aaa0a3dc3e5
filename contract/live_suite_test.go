package contract_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rdskit/rdsbackup/contract/recording"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Limits of a live run: it must stay gentle with a real endpoint, and end.
const (
	liveBudget       = 30               // requests at most, waits for throttling included
	liveAttempts     = 4                // tries of one scenario while it is throttled (429)
	liveDefaultWait  = 2 * time.Second  // wait after a 429 without a usable Retry-After
	liveMaxWait      = 10 * time.Second // longest wait after a 429; a longer Retry-After ends the tries
	liveGrace        = 30 * time.Second // Ginkgo's NodeTimeout beyond the run's own bound
	liveUnknownID    = "00000000000000000000000000000000br01"
	liveWrongSK      = "rdsbackup-conformance-wrong-secret-key"
	liveInvalidToken = "rdsbackup-conformance-invalid-token"
)

// liveEnv is what the live container calls the endpoint with. Every client sends through
// one capture transport (with the run's request budget), and through the recorder when
// RDS_RECORD is set; retries are off: the container waits out throttling itself.
type liveEnv struct {
	cap      *capture
	good     *rdsbackup.API // the environment's credentials
	bad      *rdsbackup.API // the same access key with a wrong secret key, or a wrong token
	badWhat  string         // which, for names
	rec      *recording.Recorder
	backupID string
	// closeIdle closes the idle connections of the transport every client sends with.
	closeIdle func()
}

// liveCase is one scenario against the endpoint.
type liveCase struct {
	name     string
	wantText string         // the statuses accepted, for messages
	want     func(int) bool // whether a status is the one expected
	needs    string         // when set and empty in the environment, the scenario is skipped
	run      func(ctx context.Context, e *liveEnv) error
}

func is4xx(code int) bool { return code >= 400 && code <= 499 }

// liveCases are the scenarios of a live run.
var liveCases = []liveCase{
	{
		name: "happy path (RDS_BACKUP_ID)", wantText: "200", needs: envBackupID,
		want: func(c int) bool { return c == http.StatusOK },
		run: func(ctx context.Context, e *liveEnv) error {
			_, err := e.good.ShowBackupDownloadLink(ctx, e.backupID)
			return err
		},
	},
	{
		name: "backup_id missing", wantText: "4xx with an error body", want: is4xx,
		run: func(ctx context.Context, e *liveEnv) error { return withoutBackupID(ctx, e.good) },
	},
	{
		name: "unknown backup_id " + liveUnknownID, wantText: "4xx with an error body", want: is4xx,
		run: func(ctx context.Context, e *liveEnv) error {
			_, err := e.good.ShowBackupDownloadLink(ctx, liveUnknownID)
			return err
		},
	},
	{
		name: "bad credentials", wantText: "401 or 403 with an error body",
		want: func(c int) bool { return c == http.StatusUnauthorized || c == http.StatusForbidden },
		run: func(ctx context.Context, e *liveEnv) error {
			_, err := e.bad.ShowBackupDownloadLink(ctx, liveUnknownID)
			return err
		},
	},
}

// liveTimeout is the bound of one live call (one scenario's request, redirects included):
// the client's timeout, RDS_TIMEOUT as rdsbackup.EnvOptions reads it (a Go duration, or a
// number of seconds), else rdsbackup.DefaultTimeout. RDS_TIMEOUT=0, no limit for the client,
// still gets DefaultTimeout here: a live run must end. A value EnvOptions refuses also gets
// DefaultTimeout here; building the clients then fails with EnvOptions' message.
func liveTimeout(lookup func(string) (string, bool)) time.Duration {
	v, _ := lookup(rdsbackup.EnvTimeout)
	if v == "" {
		return rdsbackup.DefaultTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, err2 := strconv.Atoi(v)
		if err2 != nil {
			return rdsbackup.DefaultTimeout
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return rdsbackup.DefaultTimeout
	}
	return d
}

// liveBound is the longest a whole live run may take with that call timeout: every request
// it may send (at most the budget, at most liveAttempts per scenario) taking the whole
// timeout, plus every wait for throttling taking liveMaxWait.
func liveBound(timeout time.Duration) time.Duration {
	requests := min(liveBudget, len(liveCases)*liveAttempts)
	waits := len(liveCases) * (liveAttempts - 1)
	return time.Duration(requests)*timeout + time.Duration(waits)*liveMaxWait
}

// liveMode says whether the live container runs, and why not.
func liveMode() (on bool, why string) {
	if os.Getenv(rdsbackup.EnvEndpoint) != "" || os.Getenv(rdsbackup.EnvRegion) != "" {
		return true, ""
	}
	return false, fmt.Sprintf("live checks are off: neither %s nor %s is set (set one, with %s and credentials: %s, or %s and %s)",
		rdsbackup.EnvEndpoint, rdsbackup.EnvRegion, rdsbackup.EnvProjectID, rdsbackup.EnvAuthToken, rdsbackup.EnvAccessKey, rdsbackup.EnvSecretKey)
}

// The live container runs when RDS_ENDPOINT or HUAWEICLOUD_SDK_REGION is set, with the
// project, credentials and client settings of the environment (rdsbackup.EnvOptions):
//
//   - happy path: RDS_BACKUP_ID answers 200 (skipped, saying so, when it is unset);
//   - backup_id missing: a 4xx with an error body;
//   - unknown backup_id 00000000000000000000000000000000br01: a 4xx with an error body;
//   - bad credentials (the same access key with a wrong secret key, or a wrong token when
//     the environment authenticates with a token): 401 or 403 with an error body.
//
// Each scenario's exchange gets expected_status and one spec per check. A 429 is waited out
// (Retry-After, else 2 s) up to 4 tries; a Retry-After longer than 10 s ends the tries at
// once (the endpoint asked not to be called before then). A scenario still throttled after
// that has its expected_status spec skipped as throttled, and its last 429 exchange checked
// with every check like any other (a 429 must be documented, JSON, with an error body...).
// When every scenario that ran ended throttled, the spec "throttled" fails: nothing but
// 429s was seen, and a run that checked nothing else must not pass.
//
// Every call is bounded by the client's timeout (RDS_TIMEOUT, default 30 s; see
// liveTimeout), an endpoint that stalls included, and the whole run by liveBound. A run sends
// at most 30 requests. With RDS_RECORD=DIR the traffic is recorded, redacted, into
// DIR/live-<UTC time>.yaml (RDS_REDACT_PROJECT=1 hides the project ID too), which
// RDS_RECORDINGS=DIR can check again offline.
var _ = describeLive()

func describeLive() bool {
	on, why := liveMode()
	if !on {
		return Describe("live endpoint", Label("live"), func() {
			It("is not run", func() { Skip(why) })
		})
	}
	timeout := liveTimeout(os.LookupEnv)
	bound := liveBound(timeout)
	return Describe("live endpoint", Label("live"), Ordered, ContinueOnFailure, func() {
		results := map[string]*subject{}
		var env *liveEnv

		BeforeAll(func(ctx SpecContext) {
			env = startLiveEnv()
			runCtx, cancel := context.WithTimeout(ctx, bound)
			defer cancel()
			for _, c := range liveCases {
				if c.needs != "" && os.Getenv(c.needs) == "" {
					continue
				}
				results[c.name] = runLive(runCtx, env, c, timeout)
			}
			fmt.Fprintf(GinkgoWriter, "live: %s, %d requests sent\n", env.good.BaseURL(), env.cap.requests())
			AddReportEntry("live endpoint", fmt.Sprintf("%s: %d requests sent (call timeout %s, run bound %s)", env.good.BaseURL(), env.cap.requests(), timeout, bound))
		}, NodeTimeout(bound+liveGrace))

		AfterAll(func() {
			if env == nil {
				return
			}
			// no connection (and its goroutines) outlives the container
			defer env.closeIdle()
			if env.rec == nil {
				return
			}
			must(env.rec.Stop(), "writing the recording")
			fmt.Fprintf(GinkgoWriter, "live: traffic recorded (redacted) in %s\n", env.rec.File())
			AddReportEntry("recording", env.rec.File())
		})

		for _, c := range liveCases {
			Describe(c.name, func() {
				if c.needs != "" && os.Getenv(c.needs) == "" {
					It(checkExpectedStatus, func() {
						Skip(c.needs + " is not set: no backup to ask for, so the happy path is not checked")
					})
					return
				}
				get := func() *subject { return results[c.name] }
				It(checkExpectedStatus, func() {
					s := get()
					Expect(s).NotTo(BeNil())
					if s.skip != "" {
						Skip(s.skip)
					}
					if s.throttled != "" {
						Skip(s.throttled)
					}
					if !s.have {
						Fail(fmt.Sprintf("%s: no response: %v", s.label, s.err))
					}
					if !c.want(s.ex.StatusCode) {
						Fail(fmt.Sprintf("%s: got HTTP %d, want %s%s", s.label, s.ex.StatusCode, c.wantText, errorSummary(s)))
					}
				})
				checkSpecs(get)
			})
		}

		// A run whose every scenario ended throttled checked nothing but 429 answers: it
		// fails, so that an endpoint that always throttles never looks like a passing one.
		It("throttled", func() {
			ran, throttled := 0, 0
			for _, c := range liveCases {
				if s := results[c.name]; s != nil {
					ran++
					if s.throttled != "" {
						throttled++
						AddReportEntry("throttled", s.label+": "+s.throttled)
					}
				}
			}
			if ran > 0 && throttled == ran {
				Fail(fmt.Sprintf("the endpoint throttled every scenario (%d of %d ended with HTTP 429): only its 429 answers were checked, not one expected status; run again later, or ask the provider to raise the limit", throttled, ran))
			}
		})
	})
}

// errorSummary is what the client said about a response, for a failure message.
func errorSummary(s *subject) string {
	if s.err == nil {
		return ""
	}
	return " (client: " + s.err.Error() + ")"
}

// runLive runs one scenario, waiting out throttling. Each try is bounded by timeout, the
// client's; ctx bounds the whole run.
func runLive(ctx context.Context, e *liveEnv, c liveCase, timeout time.Duration) *subject {
	s := &subject{label: "live: " + c.name, container: "live"}
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, timeout)
		s.err = c.run(callCtx, e)
		timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded)
		cancel()
		got := e.cap.take()
		if len(got) == 0 {
			// no response at all: expected_status fails with s.err
			switch {
			case s.err == nil:
			case ctx.Err() != nil:
				s.err = fmt.Errorf("the live run's time bound ran out: %w", s.err)
			case timedOut:
				s.err = fmt.Errorf("no complete response within %s (the call timeout: %s, default %s): %w",
					timeout, rdsbackup.EnvTimeout, rdsbackup.DefaultTimeout, s.err)
			}
			s.skipAll("no response: " + c.name)
			return s
		}
		last := got[len(got)-1]
		s.ex = last
		s.repro = reproduceLive(last.URL, c.name == "bad credentials")
		s.validate() // a 429 is checked like any answer
		if last.StatusCode != http.StatusTooManyRequests {
			return s
		}
		wait, asked := retryAfter(last.Header.Get("Retry-After"), time.Now())
		switch {
		case attempt == liveAttempts:
			s.throttled = fmt.Sprintf("throttled (HTTP 429) on all %d tries; its last 429 is checked by the other specs", attempt)
			return s
		case asked > liveMaxWait:
			s.throttled = fmt.Sprintf("throttled (HTTP 429) with Retry-After %q, longer than the %s the suite waits: not tried again (try %d of %d); the 429 is checked by the other specs",
				last.Header.Get("Retry-After"), liveMaxWait, attempt, liveAttempts)
			return s
		}
		fmt.Fprintf(GinkgoWriter, "live: %s: throttled (HTTP 429), waiting %s before try %d\n", c.name, wait, attempt+1)
		select {
		case <-ctx.Done():
			s.throttled = fmt.Sprintf("throttled (HTTP 429) on %d tries, and the run's time bound ran out while waiting; the last 429 is checked by the other specs", attempt)
			return s
		case <-time.After(wait):
		}
	}
}

// retryAfter is how long to wait after a 429 with that Retry-After value (at most
// liveMaxWait), and how long the endpoint asked for (liveDefaultWait when it did not say).
func retryAfter(v string, now time.Time) (wait, asked time.Duration) {
	v = strings.TrimSpace(v)
	d := liveDefaultWait
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		d = liveDefaultWait
	}
	return min(d, liveMaxWait), d
}

// startLiveEnv builds the clients from the environment, and the recorder when asked.
func startLiveEnv() *liveEnv {
	envOpts, err := rdsbackup.EnvOptions(lookupEnv)
	must(err, "reading the environment")
	// A client as the environment configures it (TLS, CA file), without retries: its
	// transport is the one the suite sends with.
	plain, err := rdsbackup.New(append(envOpts, rdsbackup.WithRetries(0, 0))...)
	must(err, "building the client from the environment")
	inner := plain.HTTPClient().Transport
	if inner == nil {
		inner = http.DefaultTransport
	}

	e := &liveEnv{backupID: os.Getenv(envBackupID), closeIdle: plain.HTTPClient().CloseIdleConnections}
	next := inner
	if dir := os.Getenv(envRecord); dir != "" {
		redactProject := false
		if v := os.Getenv(envRedactProject); v != "" {
			redactProject, err = strconv.ParseBool(v)
			must(err, fmt.Sprintf("%s=%q is not 1, 0, true or false", envRedactProject, v))
		}
		abs := resolveDir(dir)
		name := "live-" + time.Now().UTC().Format("20060102T150405Z")
		e.rec, err = recording.NewRecorder(abs, name, inner, recording.Options{
			RedactProject: redactProject,
			ProjectID:     plain.ProjectID(),
			Secrets: []string{
				os.Getenv(rdsbackup.EnvAuthToken), os.Getenv(rdsbackup.EnvSecretKey),
				os.Getenv(rdsbackup.EnvSecurityToken), liveWrongSK, liveInvalidToken,
			},
		})
		must(err, "starting the recorder")
		fmt.Fprintf(GinkgoWriter, "live: recording into %s\n", e.rec.File())
		next = e.rec
	}
	e.cap = &capture{next: next, budget: liveBudget}
	hc := &http.Client{Transport: e.cap, CheckRedirect: plain.HTTPClient().CheckRedirect}

	e.good, err = rdsbackup.New(append(envOpts, rdsbackup.WithCustomHTTPClient(hc))...)
	must(err, "building the client")
	var badAuth rdsbackup.Option
	if os.Getenv(rdsbackup.EnvAuthToken) != "" {
		badAuth, e.badWhat = rdsbackup.WithToken(liveInvalidToken), "a wrong token"
	} else {
		sk := liveWrongSK
		if sk == os.Getenv(rdsbackup.EnvSecretKey) {
			sk += "-x"
		}
		badAuth = rdsbackup.WithAKSK(os.Getenv(rdsbackup.EnvAccessKey), sk, os.Getenv(rdsbackup.EnvSecurityToken))
		e.badWhat = "the same access key with a wrong secret key"
	}
	e.bad, err = rdsbackup.New(append(envOpts, badAuth, rdsbackup.WithCustomHTTPClient(hc))...)
	must(err, "building the client with bad credentials")
	fmt.Fprintf(GinkgoWriter, "live: bad credentials are %s\n", e.badWhat)
	return e
}
