package recording_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/contract/recording"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Secrets planted in the fake and the client: none may reach a recording.
const (
	plantedToken         = "TOKEN-PLANTED-1"
	plantedAK            = "AK-PLANTED"
	plantedSK            = "SK-PLANTED-2"
	plantedSecurityToken = "SECURITY-TOKEN-PLANTED-3"
	plantedProject       = "5e1d3c2b4a6f47e89d0c1b2a3f4e5d6c"
)

var (
	validatorOnce sync.Once
	validatorV    *contract.Validator
	validatorErr  error
)

// sharedValidator builds the validator once for the package's tests.
func sharedValidator(t *testing.T) *contract.Validator {
	t.Helper()
	validatorOnce.Do(func() { validatorV, validatorErr = contract.NewValidator(contract.Options{}) })
	if validatorErr != nil {
		t.Fatal(validatorErr)
	}
	return validatorV
}

// startFake starts the fake over TLS (so that its links are https) and returns its URL and
// a transport that trusts it.
func startFake(t *testing.T) (string, *http.Transport) {
	t.Helper()
	srv, base := testutil.StartFake(t, fake.Config{
		ProjectID: plantedProject, AccessKey: plantedAK, SecretKey: plantedSK, Token: plantedToken,
		Faults: true, TLS: true,
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("the fake's CA certificate does not parse")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return base, tr
}

// spy sits below the recorder and keeps the Authorization headers as sent on the wire.
type spy struct {
	next http.RoundTripper
	mu   sync.Mutex
	auth []string
}

func (s *spy) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		s.mu.Lock()
		s.auth = append(s.auth, a)
		s.mu.Unlock()
	}
	return s.next.RoundTrip(req)
}

var (
	signatureParam = regexp.MustCompile(`Signature=([0-9A-Fa-f]+)`)
	authSignature  = regexp.MustCompile(`Signature=([0-9a-f]{64})`)
)

// readTree returns every byte of every file under dir.
func readTree(t *testing.T, dir string) []byte {
	t.Helper()
	var all bytes.Buffer
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}

func TestRecorderRedactsEverySecret(t *testing.T) {
	cases := []struct {
		name          string
		token         bool // token auth instead of AK/SK signing
		redactProject bool
	}{
		{name: "aksk", token: false, redactProject: false},
		{name: "aksk-redact-project", token: false, redactProject: true},
		{name: "token", token: true, redactProject: false},
		{name: "token-redact-project", token: true, redactProject: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			base, tr := startFake(t)
			sp := &spy{next: tr}
			dir := filepath.Join(t.TempDir(), "recordings")
			rec, err := recording.NewRecorder(dir, "fake-"+tc.name, sp, recording.Options{
				RedactProject: tc.redactProject,
				ProjectID:     plantedProject,
				Secrets:       []string{plantedToken, plantedSK, plantedSecurityToken},
			})
			if err != nil {
				t.Fatal(err)
			}
			hc := &http.Client{Transport: rec}
			auth := rdsbackup.WithAKSK(plantedAK, plantedSK, plantedSecurityToken)
			wrongAuth := rdsbackup.WithAKSK(plantedAK, "SK-WRONG", plantedSecurityToken)
			if tc.token {
				auth = rdsbackup.WithToken(plantedToken)
				wrongAuth = rdsbackup.WithToken("TOKEN-WRONG")
			}
			newAPI := func(a rdsbackup.Option) *rdsbackup.API {
				api, err := rdsbackup.New(rdsbackup.WithEndpoint(base), rdsbackup.WithProjectID(plantedProject), a, rdsbackup.WithCustomHTTPClient(hc))
				if err != nil {
					t.Fatal(err)
				}
				return api
			}
			api := newAPI(auth)

			// secrets the traffic carried, to look for in the recording
			secrets := map[string]string{
				"token": plantedToken, "secret key": plantedSK, "security token": plantedSecurityToken,
				"link access key": "FAKEOBSACCESSKEY",
			}
			var downloadLink string
			for _, id := range []string{fake.DemoMySQLFull, fake.DemoPostgresDBLevel, fake.DemoMySQLBinlog} {
				res, err := api.ShowBackupDownloadLink(ctx, id)
				if err != nil {
					t.Fatalf("backup %s: %v", id, err)
				}
				for _, f := range res.Files {
					m := signatureParam.FindStringSubmatch(f.DownloadLink)
					if m == nil {
						t.Fatalf("the caller got a link without its signature: %s", f.DownloadLink)
					}
					secrets["link signature of "+f.Name] = m[1]
					if id == fake.DemoMySQLBinlog {
						downloadLink = f.DownloadLink
					}
				}
			}
			wantStatus := map[string]int{"00000000000000000000000000000000br01": 404, fake.FaultThrottled: 429, fake.FaultServerError: 500}
			for id, status := range wantStatus {
				_, err := api.ShowBackupDownloadLink(ctx, id)
				var ae *rdsbackup.APIError
				if !errors.As(err, &ae) || ae.StatusCode != status {
					t.Fatalf("backup %s: got %v, want HTTP %d", id, err, status)
				}
			}
			if _, err := newAPI(wrongAuth).ShowBackupDownloadLink(ctx, fake.DemoMySQLFull); err == nil {
				t.Fatal("wrong credentials were accepted")
			}
			// a download through the same client: recorded, and skipped by Validate
			rsp, err := hc.Get(downloadLink)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rsp.Body)
			rsp.Body.Close()
			if rsp.StatusCode != http.StatusOK {
				t.Fatalf("download: HTTP %d", rsp.StatusCode)
			}

			for i, a := range sp.auth {
				m := authSignature.FindStringSubmatch(a)
				if m == nil {
					t.Fatal("a signed request's Authorization has no signature")
				}
				secrets["signature of signed request #"+strconv.Itoa(i+1)] = m[1]
			}
			if !tc.token && len(sp.auth) == 0 {
				t.Fatal("no signed request was seen")
			}

			if err := rec.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := rec.Stop(); err != nil { // idempotent
				t.Fatal(err)
			}
			if _, err := os.Stat(rec.File()); err != nil {
				t.Fatal(err)
			}
			all := readTree(t, dir)
			if tc.redactProject {
				secrets["project ID"] = plantedProject
			} else if !bytes.Contains(all, []byte(plantedProject)) {
				t.Error("the project ID was redacted although RedactProject is off")
			}
			for what, s := range secrets {
				if bytes.Contains(all, []byte(s)) {
					t.Errorf("the recording holds the %s", what)
				}
			}
			if n := bytes.Count(all, []byte("Expires=")); n < 5 {
				t.Errorf("the recording keeps Expires in %d links, want every link (5)", n)
			}

			cassettes, err := recording.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(cassettes) != 1 {
				t.Fatalf("LoadDir found %d cassettes, want 1", len(cassettes))
			}
			c := cassettes[0]
			if got, want := len(c.Interactions), 3+len(wantStatus)+1+1; got != want {
				t.Fatalf("%d interactions recorded, want %d", got, want)
			}
			var skipped int
			for _, in := range c.Interactions {
				if in.Skip != "" {
					skipped++
				}
			}
			if skipped != 1 {
				t.Errorf("%d interactions skipped, want 1 (the download)", skipped)
			}
			for _, f := range recording.Validate(sharedValidator(t), c) {
				if f.Severity == contract.Failure {
					t.Errorf("the redacted recording does not conform: %s", f)
				}
			}
		})
	}
}

// redactForLog keeps a header value out of test logs.
func redactForLog(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

func TestRecorderLeavesTheCallersResponseAlone(t *testing.T) {
	base, tr := startFake(t)
	dir := t.TempDir()
	rec, err := recording.NewRecorder(dir, "caller.yaml", tr, recording.Options{RedactProject: true, ProjectID: plantedProject})
	if err != nil {
		t.Fatal(err)
	}
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(base), rdsbackup.WithProjectID(plantedProject),
		rdsbackup.WithToken(plantedToken), rdsbackup.WithCustomHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	if filepath.Base(rec.File()) != "caller.yaml" {
		t.Errorf("File() = %s, want …/caller.yaml", rec.File())
	}
	// Redaction happened before saving, on copies: what the caller holds still works.
	link := res.Files[0].DownloadLink
	if strings.Contains(link, "REDACTED") || !strings.Contains(string(res.Body), "Signature=") {
		t.Errorf("the caller's response was redacted: %s", redactForLog(link))
	}
	u, _ := url.Parse(link)
	if u.Query().Get("Signature") == "" {
		t.Error("the caller's link lost its signature")
	}
}

func TestNewRecorderRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", `a\b`, ".yaml"} {
		if _, err := recording.NewRecorder(t.TempDir(), name, nil, recording.Options{}); err == nil {
			t.Errorf("NewRecorder(%q) = nil error, want one", name)
		}
	}
	if _, err := recording.NewRecorder("", "x", nil, recording.Options{}); err == nil {
		t.Error("NewRecorder with no directory = nil error, want one")
	}
}

// Literal secrets (Options.Secrets) are masked wherever they appear, even where no rule
// knows them to be secret.
func TestRecorderMasksLiteralSecrets(t *testing.T) {
	const leaked = "LEAKED-VALUE-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Echo", leaked)
		io.WriteString(w, "your value is "+leaked+".") // not in a secret header or parameter
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec, err := recording.NewRecorder(dir, "leak", nil, recording.Options{Secrets: []string{leaked}})
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := (&http.Client{Transport: rec}).Get(srv.URL + "/anything?note=" + leaked)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	if !strings.Contains(string(body), leaked) {
		t.Fatal("the caller did not get the body as sent")
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	all := readTree(t, dir)
	if bytes.Contains(all, []byte(leaked)) {
		t.Fatal("the literal secret was written")
	}
	if !bytes.Contains(all, []byte("your value is REDACTED.")) {
		t.Errorf("the body was not kept around the mask:\n%s", all)
	}
}
