package contract_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Credentials of the in-process fake (not secrets: they exist only in this process).
const (
	fakeProject      = "97b026aa9cc4417888c14c84a1ad9860"
	fakeOtherProject = "0b7a5b3c4d2e4f60a1b2c3d4e5f60718"
	fakeAK           = "FAKE-SUITE-AK"
	fakeSK           = "FAKE-SUITE-SK"
	fakeToken        = "FAKE-SUITE-TOKEN"
	fakeUnknown      = "00000000000000000000000000000000br01"
)

// fakeEnv is the fake endpoint and the clients the fake container calls it with. All
// clients send through one capture transport; retries are off (WithCustomHTTPClient), so
// every call is exactly one exchange.
type fakeEnv struct {
	base    string
	hc      *http.Client
	cap     *capture
	aksk    *rdsbackup.API // right AK/SK
	token   *rdsbackup.API // right token
	wrongSK *rdsbackup.API // right AK, wrong SK
	other   *rdsbackup.API // right AK/SK, another project
}

// fakeCase provokes one status from the fake.
type fakeCase struct {
	name string
	want int
	raw  bool // sent as a raw request: no client's verdict to check
	run  func(ctx context.Context, e *fakeEnv) error
}

func showWith(api func(e *fakeEnv) *rdsbackup.API, backupID string) func(context.Context, *fakeEnv) error {
	return func(ctx context.Context, e *fakeEnv) error {
		_, err := api(e).ShowBackupDownloadLink(ctx, backupID)
		return err
	}
}

func withAKSK(e *fakeEnv) *rdsbackup.API    { return e.aksk }
func withToken(e *fakeEnv) *rdsbackup.API   { return e.token }
func withWrongSK(e *fakeEnv) *rdsbackup.API { return e.wrongSK }
func withOther(e *fakeEnv) *rdsbackup.API   { return e.other }

// withoutBackupID sends the operation without backup_id, authenticated as api does (the
// client refuses an empty backup ID before sending, so this is a raw request).
func withoutBackupID(ctx context.Context, api *rdsbackup.API) error {
	u := api.BaseURL() + "/v3/" + url.PathEscape(api.ProjectID()) + "/backup-files"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("building the request: %w", err)
	}
	if err := api.Authenticate(ctx, req); err != nil {
		return fmt.Errorf("authenticating the request: %w", err)
	}
	rsp, err := api.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	rsp.Body.Close() // the capture transport has read it
	return nil
}

// fakeCases are every status the operation documents, provoked on purpose.
var fakeCases = []fakeCase{
	{"200 MySQL full backup (AK/SK)", 200, false, showWith(withAKSK, fake.DemoMySQLFull)},
	{"200 PostgreSQL database-level backup, three files (AK/SK)", 200, false, showWith(withAKSK, fake.DemoPostgresDBLevel)},
	{"200 SQL Server full backup, 1 GiB file (token)", 200, false, showWith(withToken, fake.DemoSQLServerLarge)},
	{"200 MySQL binlog, empty file (token)", 200, false, showWith(withToken, fake.DemoMySQLBinlog)},
	{"400 backup_id missing (signed raw request)", 400, true, func(ctx context.Context, e *fakeEnv) error { return withoutBackupID(ctx, e.aksk) }},
	{"401 wrong secret key", 401, false, showWith(withWrongSK, fake.DemoMySQLFull)},
	{"403 another project", 403, false, showWith(withOther, fake.DemoMySQLFull)},
	{"404 unknown backup", 404, false, showWith(withAKSK, fakeUnknown)},
	{"429 throttled (fault-429, retries off)", 429, false, showWith(withAKSK, fake.FaultThrottled)},
	{"500 server failure (fault-500, retries off)", 500, false, showWith(withToken, fake.FaultServerError)},
}

// The fake container starts the in-process fake endpoint over TLS (so that its links are
// https, as the provider's), provokes every documented status through the generated client
// in BeforeAll, and checks each exchange with every check, plus expected_status: the status
// is the one provoked and the client reports it as such.
var _ = Describe("fake endpoint", Label("fake"), Ordered, ContinueOnFailure, func() {
	results := map[string]*subject{}

	BeforeAll(func(ctx SpecContext) {
		e := startFakeEnv()
		for _, c := range fakeCases {
			s := &subject{label: "fake: " + c.name, repro: reproduceFake(c.name), container: "fake"}
			s.err = c.run(ctx, e)
			got := e.cap.take()
			if len(got) != 1 { // never print the exchanges: they carry credentials
				Fail(fmt.Sprintf("%s: sent %d requests, want exactly one (client: %v)", c.name, len(got), s.err))
			}
			s.ex = got[0]
			s.validate()
			results[c.name] = s
		}
		AddReportEntry("fake endpoint", fmt.Sprintf("%s: %d requests", e.base, e.cap.requests()), ReportEntryVisibilityFailureOrVerbose)
	}, NodeTimeout(time.Minute))

	for _, c := range fakeCases {
		Describe(c.name, func() {
			get := func() *subject { return results[c.name] }
			It(checkExpectedStatus, func() {
				s := get()
				Expect(s).NotTo(BeNil())
				assertStatus(s, c.want, !c.raw)
			})
			checkSpecs(get)
		})
	}
})

// assertStatus fails unless s got status want and, when viaClient, the client reported it:
// no error for a 2xx, an *rdsbackup.APIError with that status otherwise.
func assertStatus(s *subject, want int, viaClient bool) {
	if !s.have {
		Fail(fmt.Sprintf("%s: no response: %v", s.label, s.err))
	}
	if s.ex.StatusCode != want {
		Fail(fmt.Sprintf("%s: got HTTP %d, want %d%s", s.label, s.ex.StatusCode, want, errorSummary(s)))
	}
	switch {
	case !viaClient:
		if s.err != nil {
			Fail(fmt.Sprintf("%s: sending the raw request: %v", s.label, s.err))
		}
	case want >= 200 && want <= 299:
		if s.err != nil {
			Fail(fmt.Sprintf("%s: the client could not use the HTTP %d response: %v", s.label, want, s.err))
		}
	default:
		var ae *rdsbackup.APIError
		if !errors.As(s.err, &ae) || ae.StatusCode != want {
			Fail(fmt.Sprintf("%s: the client returned %v, want an *rdsbackup.APIError with status %d", s.label, s.err, want))
		}
	}
}

// startFakeEnv starts the fake and builds the clients; DeferCleanup stops it.
func startFakeEnv() *fakeEnv {
	srv, err := fake.New(fake.Config{
		ProjectID: fakeProject, AccessKey: fakeAK, SecretKey: fakeSK, Token: fakeToken,
		Faults: true, TLS: true,
	})
	must(err, "configuring the fake")
	base, err := srv.Start("127.0.0.1:0")
	must(err, "starting the fake")
	DeferCleanup(srv.Close)

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		Fail("the fake's CA certificate does not parse")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	DeferCleanup(tr.CloseIdleConnections)
	cp := &capture{next: tr}
	e := &fakeEnv{base: base, cap: cp, hc: &http.Client{Transport: cp, Timeout: 30 * time.Second}}
	build := func(project string, auth rdsbackup.Option) *rdsbackup.API {
		api, err := rdsbackup.New(rdsbackup.WithEndpoint(base), rdsbackup.WithProjectID(project), auth, rdsbackup.WithCustomHTTPClient(e.hc))
		must(err, "building a client")
		return api
	}
	e.aksk = build(fakeProject, rdsbackup.WithAKSK(fakeAK, fakeSK, ""))
	e.token = build(fakeProject, rdsbackup.WithToken(fakeToken))
	e.wrongSK = build(fakeProject, rdsbackup.WithAKSK(fakeAK, "FAKE-SUITE-WRONG-SK", ""))
	e.other = build(fakeOtherProject, rdsbackup.WithAKSK(fakeAK, fakeSK, ""))
	return e
}
