package contract_test

import (
	"context"
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

// Limits of a live run: it must stay gentle with a real endpoint.
const (
	liveBudget       = 30               // requests at most, waits for throttling included
	liveAttempts     = 4                // tries of one scenario while it is throttled (429)
	liveDefaultWait  = 2 * time.Second  // wait after a 429 without a usable Retry-After
	liveMaxWait      = 10 * time.Second // longest wait after a 429
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
// (Retry-After, else 2 s; at most 10 s) up to 4 tries and is never a failure; a scenario
// still throttled is skipped. A run sends at most 30 requests. With RDS_RECORD=DIR the
// traffic is recorded, redacted, into DIR/live-<UTC time>.yaml (RDS_REDACT_PROJECT=1 hides
// the project ID too), which RDS_RECORDINGS=DIR can check again offline.
var _ = describeLive()

func describeLive() bool {
	on, why := liveMode()
	if !on {
		return Describe("live endpoint", Label("live"), func() {
			It("is not run", func() { Skip(why) })
		})
	}
	return Describe("live endpoint", Label("live"), Ordered, ContinueOnFailure, func() {
		results := map[string]*subject{}
		var env *liveEnv

		BeforeAll(func(ctx SpecContext) {
			env = startLiveEnv()
			for _, c := range liveCases {
				if c.needs != "" && os.Getenv(c.needs) == "" {
					continue
				}
				results[c.name] = runLive(ctx, env, c)
			}
			fmt.Fprintf(GinkgoWriter, "live: %s, %d requests sent\n", env.good.BaseURL(), env.cap.requests())
			AddReportEntry("live endpoint", fmt.Sprintf("%s: %d requests sent", env.good.BaseURL(), env.cap.requests()))
		}, NodeTimeout(5*time.Minute))

		AfterAll(func() {
			if env == nil || env.rec == nil {
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
	})
}

// errorSummary is what the client said about a response, for a failure message.
func errorSummary(s *subject) string {
	if s.err == nil {
		return ""
	}
	return " (client: " + s.err.Error() + ")"
}

// runLive runs one scenario, waiting out throttling.
func runLive(ctx context.Context, e *liveEnv, c liveCase) *subject {
	s := &subject{label: "live: " + c.name}
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, time.Minute)
		s.err = c.run(callCtx, e)
		cancel()
		got := e.cap.take()
		if len(got) == 0 {
			return s // no response at all: expected_status fails with s.err
		}
		last := got[len(got)-1]
		if last.StatusCode != http.StatusTooManyRequests {
			s.ex = last
			s.validate()
			return s
		}
		if attempt == liveAttempts {
			s.skip = fmt.Sprintf("throttled (HTTP 429) on all %d tries; not counted as a failure", attempt)
			return s
		}
		wait := retryAfter(last.Header.Get("Retry-After"), time.Now())
		fmt.Fprintf(GinkgoWriter, "live: %s: throttled (HTTP 429), waiting %s before try %d\n", c.name, wait, attempt+1)
		select {
		case <-ctx.Done():
			s.err = ctx.Err()
			return s
		case <-time.After(wait):
		}
	}
}

// retryAfter is how long to wait after a 429 with that Retry-After value.
func retryAfter(v string, now time.Time) time.Duration {
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
	return min(d, liveMaxWait)
}

// startLiveEnv builds the clients from the environment, and the recorder when asked.
func startLiveEnv() *liveEnv {
	envOpts, err := rdsbackup.EnvOptions(os.LookupEnv)
	must(err, "reading the environment")
	// A client as the environment configures it (TLS, CA file), without retries: its
	// transport is the one the suite sends with.
	plain, err := rdsbackup.New(append(envOpts, rdsbackup.WithRetries(0, 0))...)
	must(err, "building the client from the environment")
	inner := plain.HTTPClient().Transport
	if inner == nil {
		inner = http.DefaultTransport
	}

	e := &liveEnv{backupID: os.Getenv(envBackupID)}
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
