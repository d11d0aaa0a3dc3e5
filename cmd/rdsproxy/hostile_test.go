package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/internal/testutil"
)

// goodBody is a conforming 200 answer whose link is valid for an hour from now.
func goodBody(now time.Time) string {
	exp := now.Add(time.Hour)
	return `{"bucket":"b","files":[{"name":"f.qp","size":1,"download_link":"https://obs.example.com/b/f.qp?AccessKeyId=AK&Expires=` +
		itoa(exp.Unix()) + `&Signature=SIG","link_expired_time":"` + exp.In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04:05-0700") + `"}]}`
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// send makes one request of the operation through the proxy and returns what the client got.
func send(t *testing.T, proxyURL string) (int, http.Header, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", proxyURL+"/v3/"+testutil.Project+"/backup-files?backup_id=b1", nil)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Accept-Encoding", "gzip")
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// TestHostileUpstreams: whatever the upstream answers reaches the client as it came (or, when
// no HTTP answer came, as a 502), and the finding is named in the log, the reports and the
// exit status; the token echoed by the upstream is never written.
func TestHostileUpstreams(t *testing.T) {
	t.Parallel()
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    []string
		want    []string // in the exchange's log line
		status  int      // what the client gets
		exit    int
	}{
		{"the documentation's malformed timestamp", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, strings.Replace(goodBody(time.Now()), `"link_expired_time":"`, `"link_expired_time":"2018-08-016T10:15:14+0800","x":"`, 1))
		}, nil, []string{" 200 FAIL ", "timestamp_format"}, 200, 1},
		{"HTML where JSON is documented, token echoed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Request-Id", "rid-"+r.Header.Get("X-Auth-Token"))
			w.WriteHeader(500)
			io.WriteString(w, "<html>error for "+r.Header.Get("X-Auth-Token")+"</html>")
		}, nil, []string{" 500 FAIL ", "content_type", "request_id=rid-REDACTED"}, 500, 1},
		{"gzip-encoded conforming answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("X-Request-Id", "r1")
			w.Write(gz(goodBody(time.Now())))
		}, nil, []string{" 200 pass "}, 200, 0},
		{"a body beyond --max-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(bytes.Repeat([]byte(" "), 5000))
		}, []string{"--max-body", "1000"}, []string{" 200 FAIL complete_response ", "longer than --max-body (1000 bytes)"}, 200, 1},
		{"headers, then silence", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			io.WriteString(w, `{"files":[`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, []string{"--idle-timeout", "300ms"}, []string{" 200 FAIL complete_response ", "broke off after 10 bytes"}, -1, 1},
		{"no answer in time", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, []string{"--timeout", "300ms"}, []string{" --- FAIL complete_response ", "no response from the upstream"}, 502, 1},
		{"a warning only, --fail-on warning", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "r1")
			io.WriteString(w, strings.Replace(goodBody(time.Now()), `{"bucket"`, `{"extra":1,"bucket"`, 1))
		}, []string{"--fail-on", "warning"}, []string{" 200 warn undocumented(warning) "}, 200, 1},
		{"a failure, --fail-on never", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(418)
		}, []string{"--fail-on", "never"}, []string{" 418 FAIL status_code"}, 418, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sent []byte
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := &capture{ResponseWriter: w}
				tc.handler(rec, r)
				sent = rec.body.Bytes()
			}))
			defer upstream.Close()
			dir := t.TempDir()
			r := startProxy(t, append([]string{"--upstream", upstream.URL, "--report", dir, "--record", dir, "--max-exchanges", "1"}, tc.args...)...)
			status, _, body, err := send(t, r.url)
			switch {
			case tc.status == -1 && err == nil:
				t.Errorf("the client read a complete body (%q) from an upstream that stalled", body)
			case tc.status >= 0 && (err != nil || status != tc.status):
				t.Errorf("client got %d, %v; want %d", status, err, tc.status)
			case tc.status >= 0 && tc.status != 502 && !bytes.Equal(body, sent):
				t.Errorf("client got %q, upstream sent %q", body, sent)
			}
			if code := r.wait(t); code != tc.exit {
				t.Errorf("exit %d, want %d", code, tc.exit)
			}
			log := r.stderr.String()
			for _, w := range tc.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			if strings.Contains(log, " FAIL ") {
				if j := readJUnit(t, filepath.Join(dir, reportJUnit)); j.Failures == 0 {
					t.Error("the JUnit report has no failure")
				}
			}
			assertNoSecret(t, log, dir)
		})
	}
}

// capture keeps what a handler wrote.
type capture struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) { c.body.Write(b); return c.ResponseWriter.Write(b) }
func (c *capture) Flush()                      { c.ResponseWriter.(http.Flusher).Flush() }

// TestUsageMistakes: each mistake exits 2 with one line naming it.
func TestUsageMistakes(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "give --upstream URL (reverse mode) or --mitm (forward mode)"},
		{[]string{"--upstream", "https://h", "--mitm"}, "do not go together"},
		{[]string{"--upstream", "https://h", "--ca-out", "x"}, "--ca-out needs --mitm"},
		{[]string{"--upstream", "https://h", "--intercept", "*.h"}, "--intercept needs --mitm"},
		{[]string{"--mitm", "--ca-out", "x", "--intercept", "[x"}, `"[x" is not a host pattern`},
		{[]string{"--upstream", "ftp://h"}, "is not an http:// or https:// URL"},
		{[]string{"--upstream", "https://user:pw@h"}, "--upstream must not carry user information"},
		{[]string{"--mitm"}, "--mitm needs --ca-out FILE"},
		{[]string{"--mitm", "--ca-out", "x", "--intercept", "127.0.0.1:8443"}, "no port, no scheme"},
		{[]string{"--upstream", "https://h", "--listen", "nonsense"}, `--listen "nonsense" is not host:port`},
		{[]string{"--upstream", "https://h", "--keep", "-5"}, "--keep must be positive"},
		{[]string{"--upstream", "https://h", "--max-body", "0"}, "--max-body must be positive"},
		{[]string{"--upstream", "https://h", "--report", "/proc/no-such-dir"}, "--report: mkdir /proc/no-such-dir"},
		{[]string{"--upstream", "https://h", "--fail-on", "sometimes"}, "--fail-on must be failure, warning or never"},
		{[]string{"--upstream", "https://h", "--max-exchanges", "-1"}, "--max-exchanges must be 0 or more"},
		{[]string{"--upstream", "https://h", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"--upstream", "https://h", "--upstream-ca", missing}, "--upstream-ca: open"},
		{[]string{"--upstream", "https://h", "--upstream-ca", notPEM}, "no PEM certificate in it"},
		{[]string{"--upstream", "https://h", "stray"}, `unexpected argument "stray"`},
		{[]string{"--nope"}, "flag provided but not defined: -nope (rdsproxy --help lists the flags)"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rdsproxy: ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "pw") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, msg, tc.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "rdsproxy ") {
		t.Errorf("--version: %d %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "AK/SK") || !strings.Contains(stdout.String(), "-mitm") {
		t.Errorf("--help: %d %q (on stdout, for rdsproxy --help | less)", code, stdout.String())
	}
}

// TestClientGoingAwayIsNotTheUpstreamsFault: a client that gives up before the answer makes
// a skipped exchange, not a failure.
func TestClientGoingAwayIsNotTheUpstreamsFault(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer upstream.Close()
	r := startProxy(t, "--upstream", upstream.URL, "--max-exchanges", "1")
	c := &http.Client{Timeout: 200 * time.Millisecond}
	if resp, err := c.Get(r.url + "/v3/" + testutil.Project + "/backup-files?backup_id=b1"); err == nil {
		resp.Body.Close()
		t.Fatal("the client got an answer")
	}
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if log := r.stderr.String(); !strings.Contains(log, " --- skip (the client went away before the response came)") {
		t.Errorf("log:\n%s", log)
	}
}

// TestKeepBoundsWhatIsListed: beyond --keep, passing exchanges are counted, not listed, while
// failing ones still are; the recording keeps the first --keep.
func TestKeepBoundsWhatIsListed(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 4 {
			w.WriteHeader(418)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r1")
		io.WriteString(w, goodBody(time.Now()))
	}))
	defer upstream.Close()
	dir := t.TempDir()
	r := startProxy(t, "--upstream", upstream.URL, "--keep", "2", "--max-exchanges", "5", "--report", dir, "--record", dir)
	for range 5 {
		send(t, r.url) // one at a time: the upstream counts them in order
	}
	if code := r.wait(t); code != 1 {
		t.Errorf("exit %d, want 1 (exchange 4 failed)", code)
	}
	j := readJUnit(t, filepath.Join(dir, reportJUnit))
	if want := 3*13 + 1; j.Tests != want {
		t.Errorf("JUnit has %d cases, want %d (exchanges 1, 2 and 4, and the count of the others)", j.Tests, want)
	}
	// judging runs on several goroutines: "the first two" are the first two judged, any two
	// of the passing ones; the failing exchange 4 is listed whatever its turn
	listed, summary := map[string]bool{}, ""
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if n, ok := strings.CutPrefix(c.Name, "[It] proxy exchange "); ok {
				listed[strings.Fields(n)[0]] = true
			}
			if strings.Contains(c.Name, "not listed one by one") {
				summary = c.Name
			}
		}
	}
	if len(listed) != 3 || !listed["4"] {
		t.Errorf("listed exchanges %v, want two passing ones and 4", listed)
	}
	if summary == "" {
		t.Error("no case counts the exchanges not listed")
	}
	log := r.stderr.String()
	if !strings.Contains(log, "the recording holds 2 exchanges (--keep)") || !strings.Contains(log, "judged 5 exchange(s): 4 passed, 0 with warnings, 1 failed") {
		t.Errorf("log:\n%s", log)
	}
}

// TestUpstreamIsItself: an --upstream that names the proxy's own address is refused, not
// served in a loop.
func TestUpstreamIsItself(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--upstream", "http://" + addr, "--listen", addr}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "is this proxy's own address") || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestStartFailures: an address in use or a --ca-out that cannot be written ends the run with
// status 1 and one line, and leaves nothing running (goleak checks the goroutines).
func TestStartFailures(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, args := range [][]string{
		{"--upstream", "http://127.0.0.1:1", "--listen", ln.Addr().String()},
		{"--mitm", "--ca-out", filepath.Join(t.TempDir(), "no-such-dir", "ca.pem"), "--listen", "127.0.0.1:0"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != 1 || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}

// TestOnlyTheOperationIsJudged: other methods and other spellings of the path are other
// routes, forwarded and not judged; a relayed tunnel is said once per host.
func TestOnlyTheOperationIsJudged(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer upstream.Close()
	r := startProxy(t, "--upstream", upstream.URL, "--fail-on", "never")
	base := r.url + "/v3/" + testutil.Project
	for _, req := range []struct{ method, url string }{
		{"POST", base + "/backup-files?backup_id=b"}, {"HEAD", base + "/backup-files?backup_id=b"},
		{"GET", base + "/backup-files/?backup_id=b"}, {"GET", base + "/backup%2Dfiles?backup_id=b"}, {"GET", base + "/backups"},
	} {
		rq, _ := http.NewRequest(req.method, req.url, nil)
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Errorf("%s %s: %d, want the upstream's 204", req.method, req.url, resp.StatusCode)
		}
	}
	if code := r.stop(t); code != 0 || !strings.Contains(r.stderr.String(), "judged 0 exchange(s)") {
		t.Errorf("exit %d:\n%s", code, r.stderr)
	}
}

func TestTunnelledHostsAreSaid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startProxy(t, "--mitm", "--ca-out", filepath.Join(dir, "ca.pem"), "--intercept", "*.myhuaweicloud.com", "--fail-on", "never")
	target := strings.TrimPrefix(r.url, "http://") // any listening host:port will do
	for range 2 {
		conn, err := net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n")
		buf := make([]byte, 64)
		conn.Read(buf)
		conn.Close()
	}
	r.stop(t)
	log := r.stderr.String()
	if strings.Count(log, "CONNECT "+target+" relayed untouched") != 1 || !strings.Contains(log, "opening the tunnels to *.myhuaweicloud.com") {
		t.Errorf("log:\n%s", log)
	}
}
