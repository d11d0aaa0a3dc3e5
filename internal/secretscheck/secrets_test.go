// Package secretscheck drives every output path of the toolkit with planted secrets and
// asserts that none of them appears in any byte written: client errors, rdsbackup's output
// (both formats) and failures, rdsfake's logs, the conformance suite's console output and
// reports, and recordings.
//
// One deliberate exception, documented in the README: `rdsbackup files --output json` prints
// the API's 200 body exactly as received, so the download links (and their signatures) appear
// there, inside the download_link values, and nowhere else.
package secretscheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/download"
)

// The planted secrets.
const (
	project    = "97b026aa9cc4417888c14c84a1ad9860"
	token      = "PLANTED-TOKEN-7f3a9c"
	accessKey  = "PLANTEDAK"
	secretKey  = "PLANTED-SECRET-KEY-41d2"
	stsToken   = "PLANTED-STS-TOKEN-88e1"
	linkSigHex = "5151515151515151515151515151515151515151515151515151515151515151"
)

// secrets are the strings that must never be written (the fake's own link signatures are
// added as they are discovered).
func secrets(extra ...string) []string {
	return append([]string{token, secretKey, stsToken, linkSigHex}, extra...)
}

func assertClean(t *testing.T, where string, data []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && bytes.Contains(data, []byte(s)) {
			i := bytes.Index(data, []byte(s))
			lo, hi := max(0, i-80), min(len(data), i+len(s)+40)
			t.Errorf("%s holds secret %q: ...%s...", where, s, data[lo:hi])
		}
	}
}

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	return out
}

// seenSignatures holds the request signatures the hostile server received (and echoed).
var seenSignatures sync.Map

func signatures() []string {
	var out []string
	seenSignatures.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	return out
}

// hostile answers the API with an error whose message carries a signed link, and a 200 body
// whose link is refused by the object store with the signature echoed in the XML error.
func hostile(t *testing.T) *httptest.Server {
	t.Helper()
	// Created unstarted, so that srv is assigned before the first request can read it.
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		link := srv.URL + "/obs/f.bak?AccessKeyId=" + accessKey + "&Expires=4102444800&Signature=" + linkSigHex
		switch {
		case strings.HasPrefix(r.URL.Path, "/obs/"):
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>bad "+r.URL.String()+"</Message></Error>")
		case r.URL.Query().Get("backup_id") == "bad":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			if a := r.Header.Get("Authorization"); a != "" {
				_, sig, _ := strings.Cut(a, "Signature=")
				seenSignatures.Store(sig, true)
			}
			io.WriteString(w, `{"error_code":"DBS.200001","error_msg":"see `+link+` token `+r.Header.Get("X-Auth-Token")+
				` auth `+r.Header.Get("Authorization")+` sts `+r.Header.Get("X-Security-Token")+`"}`)
		case r.URL.Query().Get("backup_id") == "html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>proxy error for "+link+"</html>")
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"files":[{"name":"f.bak","size":1,"download_link":"`+link+`","link_expired_time":"2099-01-01T00:00:00+0800"}],"bucket":"b"}`)
		}
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// Backup IDs the echoing server knows.
const (
	echoHTML  = "echo-html"  // 200 with an HTML page: a *ResponseError
	echoEmpty = "echo-empty" // 202 with an empty body: a *ResponseError, and a failed expected_status in the suite
)

// echoing answers every request with the credential it carried echoed into X-Request-Id as
// "rid-<credential>" (the token, else the security token), as a server that builds its
// request IDs from the caller's headers would. Its bodies are the provider's usual ones,
// except for echoHTML, whose page shows the credential glued to other text.
func echoing(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred := r.Header.Get("X-Auth-Token")
		if cred == "" {
			cred = r.Header.Get("X-Security-Token")
		}
		w.Header().Set("X-Request-Id", "rid-"+cred)
		w.Header().Set("Content-Type", "application/json")
		id, has := r.URL.Query()["backup_id"]
		switch {
		case cred != token && cred != stsToken:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}`)
		case !has || id[0] == "":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error_code":"DBS.200001","error_msg":"backup_id is missing"}`)
		case id[0] == echoHTML:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>maintenance abc-"+cred+"-x</html>")
		case id[0] == echoEmpty:
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error_code":"DBS.201010","error_msg":"Backup information does not exist."}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClientErrorsEchoedRequestID: whatever error the client returns for a server that echoes
// the credential into X-Request-Id, neither its text nor any of its fields holds it.
func TestClientErrorsEchoedRequestID(t *testing.T) {
	t.Parallel()
	srv := echoing(t)
	tests := []struct {
		auth string
		opt  rdsbackup.Option
		id   string
	}{
		{"token", rdsbackup.WithToken(token), "nope"},
		{"token", rdsbackup.WithToken(token), echoHTML},
		{"token", rdsbackup.WithToken(token), echoEmpty},
		{"aksk", rdsbackup.WithAKSK(accessKey, secretKey, stsToken), "nope"},
		{"aksk", rdsbackup.WithAKSK(accessKey, secretKey, stsToken), echoHTML},
		{"aksk", rdsbackup.WithAKSK(accessKey, secretKey, stsToken), echoEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.auth+"/"+tc.id, func(t *testing.T) {
			t.Parallel()
			api, err := rdsbackup.New(rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID(project), rdsbackup.WithRetries(0, 0), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			_, err = api.ShowBackupDownloadLink(context.Background(), tc.id)
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			var ae *rdsbackup.APIError
			var re *rdsbackup.ResponseError
			switch {
			case errors.As(err, &ae):
				text += fmt.Sprintf("%+v", *ae)
			case errors.As(err, &re):
				text += fmt.Sprintf("%+v", *re)
			default:
				t.Fatalf("err %T %v", err, err)
			}
			if !strings.Contains(text, "rid-") {
				t.Errorf("the request id is gone: %s", text)
			}
			assertClean(t, "client error "+tc.id, []byte(text), secrets())
		})
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	srv := hostile(t)
	for _, opts := range [][]rdsbackup.Option{
		{rdsbackup.WithToken(token)},
		{rdsbackup.WithAKSK(accessKey, secretKey, stsToken)},
	} {
		api, err := rdsbackup.New(append([]rdsbackup.Option{rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID(project), rdsbackup.WithRetries(0, 0)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"bad", "html"} {
			_, err := api.ShowBackupDownloadLink(context.Background(), id)
			if err == nil {
				t.Fatalf("%s: no error", id)
			}
			assertClean(t, "client error "+id, []byte(err.Error()), secrets(signatures()...))
		}
		_, err = (&download.Downloader{API: api, Dir: t.TempDir()}).Download(context.Background(), "ok", nil)
		var te *download.TransferError
		if !errors.As(err, &te) {
			t.Fatalf("download error %v", err)
		}
		assertClean(t, "download error", []byte(err.Error()), secrets())
	}
}

func TestCommandsLogsSuiteAndRecordings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and runs the suite")
	}
	t.Parallel()
	bin := t.TempDir()
	rdsbackupBin, rdsfakeBin := build(t, bin, "cmd/rdsbackup"), build(t, bin, "cmd/rdsfake")

	// rdsfake with planted credentials; its stderr is the request log, written into fakeLog by
	// os/exec's copying goroutine until the process has exited: read it only after stopFake.
	var fakeLog bytes.Buffer
	fk := exec.Command(rdsfakeBin, "--listen", "127.0.0.1:0", "--project-id", project, "--token", token, "--ak", accessKey, "--log-format", "json")
	fk.Env = append(os.Environ(), "RDSFAKE_SK="+secretKey)
	fk.Stderr = &fakeLog
	out, _ := fk.StdoutPipe()
	if err := fk.Start(); err != nil {
		t.Fatal(err)
	}
	stopFake := sync.OnceFunc(func() { fk.Process.Kill(); fk.Wait() })
	defer stopFake()
	line, _ := bufio.NewReader(out).ReadString('\n')
	base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	if !strings.HasPrefix(base, "http://") {
		t.Fatalf("rdsfake: %q", line)
	}

	// The fake's own link signatures become secrets too.
	api, _ := rdsbackup.New(rdsbackup.WithEndpoint(base), rdsbackup.WithProjectID(project), rdsbackup.WithToken(token))
	res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoPostgresDBLevel)
	if err != nil {
		t.Fatal(err)
	}
	var sigs []string
	for _, f := range res.Files {
		u, _ := url.Parse(f.DownloadLink)
		sigs = append(sigs, u.Query().Get("Signature"))
	}
	all := secrets(sigs...)

	run := func(env []string, args ...string) (stdout, stderr []byte) {
		cmd := exec.Command(rdsbackupBin, args...)
		cmd.Env = append(os.Environ(), env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		_ = cmd.Run()
		return o.Bytes(), e.Bytes()
	}
	good := []string{"RDS_ENDPOINT=" + base, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "HUAWEICLOUD_SDK_AK=" + accessKey, "HUAWEICLOUD_SDK_SK=" + secretKey, "HUAWEICLOUD_SDK_SECURITY_TOKEN=" + stsToken}
	wrong := []string{"RDS_ENDPOINT=" + base, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "HUAWEICLOUD_SDK_AK=" + accessKey, "HUAWEICLOUD_SDK_SK=wrong-" + secretKey[:4]}
	dir := t.TempDir()
	// a server that echoes the credential into X-Request-Id as "rid-<credential>"
	echo := echoing(t)
	echoEnv := []string{"RDS_ENDPOINT=" + echo.URL, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "RDS_AUTH_TOKEN=" + token}
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"files table", good, []string{"files", "--backup-id", fake.DemoPostgresDBLevel}},
		{"download", good, []string{"download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--progress", "lines"}},
		{"unknown backup", good, []string{"files", "--backup-id", "nope"}},
		{"wrong key", wrong, []string{"files", "--backup-id", fake.DemoMySQLFull}},
		{"token", []string{"RDS_ENDPOINT=" + base, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "RDS_AUTH_TOKEN=" + token}, []string{"files", "--backup-id", fake.DemoMySQLFull}},
		{"hostile error", []string{"RDS_ENDPOINT=" + hostile(t).URL, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "RDS_AUTH_TOKEN=" + token}, []string{"files", "--backup-id", "bad"}},
		{"hostile echo of the signature", []string{"RDS_ENDPOINT=" + hostile(t).URL, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "HUAWEICLOUD_SDK_AK=" + accessKey, "HUAWEICLOUD_SDK_SK=" + secretKey, "HUAWEICLOUD_SDK_SECURITY_TOKEN=" + stsToken}, []string{"files", "--backup-id", "bad"}},
		{"hostile link", []string{"RDS_ENDPOINT=" + hostile(t).URL, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "RDS_AUTH_TOKEN=" + token}, []string{"download", "--backup-id", "ok", "--dir", t.TempDir()}},
		{"echoed request id, 404", echoEnv, []string{"files", "--backup-id", "nope"}},
		{"echoed request id, html 200", echoEnv, []string{"files", "--backup-id", echoHTML}},
		{"echoed request id, empty 202", echoEnv, []string{"files", "--backup-id", echoEmpty}},
		{"echoed request id, AK/SK", []string{"RDS_ENDPOINT=" + echo.URL, "HUAWEICLOUD_SDK_PROJECT_ID=" + project, "HUAWEICLOUD_SDK_AK=" + accessKey, "HUAWEICLOUD_SDK_SK=" + secretKey, "HUAWEICLOUD_SDK_SECURITY_TOKEN=" + stsToken}, []string{"files", "--backup-id", echoEmpty}},
	} {
		o, e := run(c.env, c.args...)
		assertClean(t, "rdsbackup "+c.name+" stdout", o, append(all, signatures()...))
		assertClean(t, "rdsbackup "+c.name+" stderr", e, append(all, signatures()...))
	}
	if len(signatures()) == 0 {
		t.Fatal("the hostile server saw no signed request: the echo case did not run")
	}
	// --output json prints the body as received: links only inside download_link values.
	o, e := run(good, "files", "--backup-id", fake.DemoPostgresDBLevel, "--output", "json")
	assertClean(t, "rdsbackup json stderr", e, all)
	var body struct {
		Files []map[string]any `json:"files"`
	}
	if err := json.Unmarshal(o, &body); err != nil {
		t.Fatalf("json output: %v", err)
	}
	for _, f := range body.Files {
		delete(f, "download_link")
	}
	rest, _ := json.Marshal(body)
	assertClean(t, "rdsbackup json outside download_link", rest, all)
	assertClean(t, "rdsbackup json", o, secrets()) // token, keys: never

	// The conformance suite, live against the fake, with recording, verbose, reports; once
	// with the right key and once with a wrong one (failures print their details); and once
	// against the server that echoes the token into X-Request-Id, whose happy path answers
	// 202 with an empty body (expected_status fails and prints the client's error).
	reports, recs := t.TempDir(), t.TempDir()
	for i, run := range []struct {
		env      []string
		backupID string
	}{{good, fake.DemoPostgresDBLevel}, {wrong, fake.DemoPostgresDBLevel}, {echoEnv, echoEmpty}} {
		cmd := exec.Command("go", "test", "./contract", "-count=1", "-v", "-run", "TestContract",
			"-ginkgo.v", "-ginkgo.no-color",
			"-ginkgo.junit-report="+filepath.Join(reports, "junit"+string(rune('0'+i))+".xml"),
			"-ginkgo.json-report="+filepath.Join(reports, "report"+string(rune('0'+i))+".json"))
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), append(run.env, "RDS_BACKUP_ID="+run.backupID, "RDS_RECORD="+recs, "RDS_REDACT_PROJECT=1",
			"RDS_REPORTS="+filepath.Join(reports, "run"+string(rune('0'+i))))...) // coverage.json, conformance.html
		console, _ := cmd.CombinedOutput()
		if !bytes.Contains(console, []byte("live")) {
			t.Fatalf("the suite did not run live:\n%s", console)
		}
		if run.backupID == echoEmpty && !bytes.Contains(console, []byte("rid-REDACTED")) {
			t.Errorf("the suite's run against the echoing server did not print the client's error (with its request id):\n%s", console)
		}
		assertClean(t, "suite console", console, all)
	}
	checked := 0
	for _, d := range []struct {
		dir     string
		secrets []string
	}{{reports, all}, {recs, append(all, project)}} { // RDS_REDACT_PROJECT=1: recordings only
		filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			assertClean(t, p, b, d.secrets)
			checked++
			return nil
		})
	}
	if checked < 13 {
		t.Fatalf("only %d report and recording files were written", checked)
	}
	if _, err := os.Stat(filepath.Join(reports, "run1", "conformance.html")); err != nil {
		t.Fatalf("the HTML report was not written: %v", err)
	}
	stopFake() // Wait returns once the log has been copied: no read races the copy
	assertClean(t, "rdsfake log", fakeLog.Bytes(), all)
	if !bytes.Contains(fakeLog.Bytes(), []byte(`"status":401`)) {
		t.Fatalf("rdsfake log lacks the refused requests:\n%s", fakeLog.Bytes())
	}
}
