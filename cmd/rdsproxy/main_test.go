package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/contract/recording"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "tok-SECRET-0123456789"

// proxyRun is one rdsproxy run in this process.
type proxyRun struct {
	url    string
	stderr *testutil.SyncBuffer
	cancel context.CancelFunc
	done   chan int
}

// startProxy runs rdsproxy with args (plus --listen 127.0.0.1:0) and returns once it printed
// its ready line.
func startProxy(t *testing.T, args ...string) *proxyRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &proxyRun{stderr: &testutil.SyncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		r.done <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), pw, r.stderr)
		pw.Close()
	}()
	t.Cleanup(func() { cancel(); r.wait(t) })
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v; stderr:\n%s", err, r.stderr)
	}
	var ok bool
	if r.url, ok = strings.CutPrefix(strings.TrimSpace(line), "listening on "); !ok {
		t.Fatalf("ready line %q", line)
	}
	go io.Copy(io.Discard, pr)
	return r
}

// wait returns the exit status once the run ends (on its own, as after --max-exchanges).
func (r *proxyRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("rdsproxy did not stop; stderr:\n%s", r.stderr)
	}
	return -1
}

// stop sends the equivalent of SIGINT and returns the exit status.
func (r *proxyRun) stop(t *testing.T) int {
	r.cancel()
	return r.wait(t)
}

// tokenAPI is a client of endpoint with the test token.
func tokenAPI(t *testing.T, endpoint string, opts ...rdsbackup.Option) *rdsbackup.API {
	t.Helper()
	api, err := rdsbackup.New(append([]rdsbackup.Option{rdsbackup.WithEndpoint(endpoint), rdsbackup.WithProjectID(testutil.Project),
		rdsbackup.WithToken(token), rdsbackup.WithRetries(0, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// junit is the part of a JUnit report the tests read.
type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junit {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j junit
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestReverseModeAgainstFake: three token exchanges through reverse mode are judged, logged,
// reported (one JUnit case per exchange and check) and recorded; the recording replays
// green; the run stops by itself after --max-exchanges and exits 0.
func TestReverseModeAgainstFake(t *testing.T) {
	t.Parallel()
	_, fakeURL := testutil.StartFake(t, fake.Config{Token: token})
	dir := t.TempDir()
	reports, recordings := filepath.Join(dir, "reports"), filepath.Join(dir, "recordings")
	r := startProxy(t, "--upstream", fakeURL, "--report", reports, "--record", recordings, "--max-exchanges", "3")
	api := tokenAPI(t, r.url)
	files, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoPostgresDBLevel)
	if err != nil || len(files.Files) != 3 {
		t.Fatalf("files through the proxy: %v %+v", err, files)
	}
	if _, err := api.ShowBackupDownloadLink(context.Background(), "no-such-backup"); err == nil {
		t.Fatal("an unknown backup did not fail")
	}
	if _, err := tokenAPI(t, r.url, rdsbackup.WithToken("wrong-token-0123456789")).ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull); err == nil {
		t.Fatal("a wrong token did not fail")
	}
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr)
	}
	log := r.stderr.String()
	for _, want := range []string{" 200 warn link_https(warning) request_id=", " 404 pass ", " 401 pass ", "judged 3 exchange(s): 2 passed, 1 with warnings, 0 failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	j := readJUnit(t, filepath.Join(reports, reportJUnit))
	if want := 3 * (1 + len(contract.Checks)); j.Tests != want || j.Failures != 0 {
		t.Errorf("JUnit: %d tests, %d failures; want %d, 0", j.Tests, j.Failures, want)
	}
	for _, f := range []string{reportJSON, reportHTML, reportCoverage} {
		if st, err := os.Stat(filepath.Join(reports, f)); err != nil || st.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}
	cassettes, err := recording.LoadDir(recordings)
	if err != nil || len(cassettes) != 1 || len(cassettes[0].Interactions) != 3 {
		t.Fatalf("recording: %v %+v", err, cassettes)
	}
	v, err := contract.NewValidator(contract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fs := recording.Validate(v, cassettes[0]); len(contract.Failures(violations(fs))) != 0 {
		t.Errorf("the recording does not replay green: %v", fs)
	}
	assertNoSecret(t, log, reports, recordings)
}

func violations(fs []recording.Finding) []contract.Violation {
	var vs []contract.Violation
	for _, f := range fs {
		vs = append(vs, f.Violation)
	}
	return vs
}

// assertNoSecret fails when the token is in the log or in any file under dirs.
func assertNoSecret(t *testing.T, log string, dirs ...string) {
	t.Helper()
	if strings.Contains(log, token) {
		t.Errorf("the token is in the log:\n%s", log)
	}
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), token) {
					t.Errorf("the token is in %s", p)
				}
			}
			return nil
		})
	}
}

// TestForwardModeAKSKWithTLS: a request signed by the client verifies at the fake through the
// forward proxy, which opens the tunnel with its own CA and verifies the fake's certificate.
func TestForwardModeAKSKWithTLS(t *testing.T) {
	t.Parallel()
	srv, fakeURL := testutil.StartFake(t, fake.Config{TLS: true, AccessKey: testutil.AccessKey, SecretKey: testutil.SecretKey})
	dir := t.TempDir()
	fakeCA, proxyCA := filepath.Join(dir, "fake-ca.pem"), filepath.Join(dir, "proxy-ca.pem")
	os.WriteFile(fakeCA, srv.CACertPEM(), 0o600)
	r := startProxy(t, "--mitm", "--ca-out", proxyCA, "--upstream-ca", fakeCA, "--max-exchanges", "2")
	hc := proxiedClient(t, r.url, proxyCA)
	for _, sk := range []string{testutil.SecretKey, "a-wrong-secret-key-0123"} {
		api, err := rdsbackup.New(rdsbackup.WithEndpoint(fakeURL), rdsbackup.WithProjectID(testutil.Project),
			rdsbackup.WithAKSK(testutil.AccessKey, sk, ""), rdsbackup.WithCustomHTTPClient(hc), rdsbackup.WithRetries(0, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		files, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull)
		switch {
		case sk == testutil.SecretKey && (err != nil || len(files.Files) != 1):
			t.Fatalf("signed request through the forward proxy: %v", err)
		case sk != testutil.SecretKey && err == nil:
			t.Fatal("a wrong secret key was accepted: the signature was not checked upstream")
		}
	}
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr)
	}
	log := r.stderr.String()
	if !strings.Contains(log, " 200 pass ") || !strings.Contains(log, " 401 pass ") || strings.Contains(log, testutil.SecretKey) {
		t.Errorf("stderr:\n%s", log)
	}
}

// proxiedClient is an HTTP client that goes through the forward proxy and trusts its CA only.
func proxiedClient(t *testing.T, proxyURL, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in --ca-out")
	}
	pu, _ := url.Parse(proxyURL)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestObjectsPassThroughByteExact: a download through the reverse proxy is the same bytes as
// direct, and is not judged (it is not the operation).
func TestObjectsPassThroughByteExact(t *testing.T) {
	t.Parallel()
	_, fakeURL := testutil.StartFake(t, fake.Config{Token: token})
	r := startProxy(t, "--upstream", fakeURL)
	files, err := tokenAPI(t, fakeURL).ShowBackupDownloadLink(context.Background(), fake.DemoPostgresDBLevel)
	if err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(files.Files[0].DownloadLink)
	direct := digest(t, link.String())
	link.Host = strings.TrimPrefix(r.url, "http://")
	if through := digest(t, link.String()); through != direct {
		t.Error("the object through the proxy differs from the object direct")
	}
	// nothing judged: that never counts as a pass
	if code := r.stop(t); code != 1 || strings.Contains(r.stderr.String(), " #1 ") || !strings.Contains(r.stderr.String(), "rdsproxy: exit 1: no exchange of GET") {
		t.Errorf("exit %d; want 1, no object download judged, and why:\n%s", code, r.stderr)
	}
}

func digest(t *testing.T, u string) [32]byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	if n, err := io.Copy(h, resp.Body); err != nil || n == 0 || resp.StatusCode != 200 {
		t.Fatalf("GET: %d bytes, %v, status %d", n, err, resp.StatusCode)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}
