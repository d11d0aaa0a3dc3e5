package rdsbackup_test

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
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

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

const okBody = `{"files":[{"name":"a.qp","size":2803,"download_link":"https://obs.example.com/b/a.qp?AccessKeyId=AK&Expires=1&Signature=SECRETSIG","link_expired_time":"2018-08-16T10:15:14+0800","database_name":"db"}],"bucket":"b"}`

// newAPI returns a client of srv with token auth, fast retries and the given extra options.
func newAPI(t *testing.T, url string, opts ...rdsbackup.Option) *rdsbackup.API {
	t.Helper()
	base := []rdsbackup.Option{
		rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("TOKEN-SECRET"),
		rdsbackup.WithRetries(2, time.Millisecond), rdsbackup.WithTimeout(5 * time.Second),
	}
	api, err := rdsbackup.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestShowBackupDownloadLinkOK(t *testing.T) {
	t.Parallel()
	var gotPath, gotQuery, gotToken, gotUA, gotLang string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery, gotToken = r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("X-Auth-Token")
		gotUA, gotLang = r.Header.Get("User-Agent"), r.Header.Get("X-Language")
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("X-Request-Id", "rid-1")
		io.WriteString(w, okBody)
	})
	api := newAPI(t, srv.URL, rdsbackup.WithLanguage("zh-cn"))
	res, err := api.ShowBackupDownloadLink(context.Background(), "bk1")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files" || gotQuery != "backup_id=bk1" {
		t.Errorf("request %s?%s", gotPath, gotQuery)
	}
	if gotToken != "TOKEN-SECRET" || !strings.HasPrefix(gotUA, "rdsbackup-go/") || gotLang != "zh-cn" {
		t.Errorf("headers token=%q ua=%q lang=%q", gotToken, gotUA, gotLang)
	}
	if string(res.Body) != okBody || res.RequestID != "rid-1" || res.Bucket != "b" || len(res.Files) != 1 {
		t.Fatalf("result %+v", res)
	}
	f := res.Files[0]
	if f.Size != 2803 || f.Name != "a.qp" || *f.DatabaseName != "db" {
		t.Errorf("file %+v", f)
	}
	tm, err := f.LinkExpiredTime.Time()
	if err != nil || !tm.Equal(time.Date(2018, 8, 16, 2, 15, 14, 0, time.UTC)) {
		t.Errorf("expiry %v %v", tm, err)
	}
}

func TestArgumentsNeverChangeThePath(t *testing.T) {
	t.Parallel()
	type seen struct{ path, backup string }
	got := make(chan seen, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.URL.EscapedPath(), r.URL.Query().Get("backup_id")}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[],"bucket":"b"}`)
	})
	for _, v := range []string{"../x", "a/b", "a?b", "%2e%2e", "a#b", "a b", "..%2f", "é"} {
		t.Run(v, func(t *testing.T) {
			api := newAPI(t, srv.URL)
			if _, err := api.ShowBackupDownloadLink(context.Background(), v); err != nil {
				t.Fatal(err)
			}
			s := <-got
			segs := strings.Split(strings.TrimPrefix(s.path, "/"), "/")
			if len(segs) != 3 || segs[0] != "v3" || segs[2] != "backup-files" {
				t.Fatalf("project %q changed the path: %s", v, s.path)
			}
			if s.backup != v {
				t.Fatalf("backup_id arrived as %q, want %q", s.backup, v)
			}
		})
	}
}

func TestArgumentErrorsSendNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	tests := []struct {
		name string
		opts []rdsbackup.Option
		id   string
		want string
	}{
		{"empty backup", nil, "", "backup ID is empty"},
		{"blank backup", nil, "  ", "backup ID is empty"},
		{"empty project", []rdsbackup.Option{rdsbackup.WithProjectID("")}, "x", "no project ID: set HUAWEICLOUD_SDK_PROJECT_ID (or --project-id)"},
		{"dot-dot project", []rdsbackup.Option{rdsbackup.WithProjectID("..")}, "x", "not 32 hexadecimal characters"},
		{"short project", []rdsbackup.Option{rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad986")}, "x", "not 32 hexadecimal characters"},
		{"non-hex project", []rdsbackup.Option{rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad986g")}, "x", "not 32 hexadecimal characters"},
		{"no credentials", []rdsbackup.Option{rdsbackup.WithToken("")}, "x", "no credentials: set RDS_AUTH_TOKEN (or --token), or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or --ak and --sk)"},
		{"half AK/SK", []rdsbackup.Option{rdsbackup.WithToken(""), rdsbackup.WithAKSK("ak", "", "")}, "x", "both an access key and a secret key"},
		{"bad scheme", []rdsbackup.Option{rdsbackup.WithEndpoint("ftp://h")}, "x", "scheme must be https or http"},
		{"bad region", []rdsbackup.Option{rdsbackup.WithEndpoint(""), rdsbackup.WithRegion("ap/southeast")}, "x", "not a region name"},
		{"no endpoint", []rdsbackup.Option{rdsbackup.WithEndpoint("")}, "x", "no endpoint: set RDS_ENDPOINT (or --endpoint)"},
		{"bad language", []rdsbackup.Option{rdsbackup.WithLanguage("fr-fr")}, "x", "not en-us or zh-cn"},
		{"missing CA", []rdsbackup.Option{rdsbackup.WithCAFile("/nonexistent/ca.pem")}, "x", "CA file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]rdsbackup.Option{rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("t")}, tc.opts...)
			api, err := rdsbackup.New(opts...)
			if err == nil {
				_, err = api.ShowBackupDownloadLink(context.Background(), tc.id)
			}
			if !errors.Is(err, rdsbackup.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidArgument with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

func TestRegionEndpoint(t *testing.T) {
	t.Parallel()
	api, err := rdsbackup.New(rdsbackup.WithRegion("ap-southeast-1"), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	if api.BaseURL() != "https://rds.ap-southeast-1.myhuaweicloud.com" {
		t.Fatal(api.BaseURL())
	}
	api, err = rdsbackup.New(rdsbackup.WithRegion("ap-southeast-1"), rdsbackup.WithEndpoint("rds.example.com:8443/"), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("t"))
	if err != nil || api.BaseURL() != "https://rds.example.com:8443" {
		t.Fatalf("endpoint must win over region: %v %v", api.BaseURL(), err)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		ct, body    string
		header      string
		wantCode    string
		wantRID     string
		wantInError []string
	}{
		{"rds error", 404, "application/json", `{"error_code":"DBS.201010","error_msg":"Backup information does not exist."}`, "hdr-rid", "DBS.201010", "hdr-rid", []string{"HTTP 404", "DBS.201010", "Backup information does not exist.", "hdr-rid"}},
		{"gateway error", 401, "application/json", `{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIG.0301","request_id":"body-rid"}`, "", "APIG.0301", "body-rid", []string{"HTTP 401", "APIG.0301", "body-rid"}},
		{"html from a proxy", 502, "text/html", "<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>", "", "", "", []string{"HTTP 502", "not the provider's JSON error", "text/html", "502 Bad Gateway"}},
		{"empty body", 503, "", "", "", "", "", []string{"HTTP 503", "empty body"}},
		{"link in message", 400, "application/json", `{"error_code":"X","error_msg":"see https://h/p?Signature=SECRETSIG&x=1"}`, "", "X", "", []string{"Signature=REDACTED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.ct != "" {
					w.Header().Set("Content-Type", tc.ct)
				}
				if tc.header != "" {
					w.Header().Set("X-Request-Id", tc.header)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := newAPI(t, srv.URL, rdsbackup.WithRetries(0, 0)).ShowBackupDownloadLink(context.Background(), "b")
			var ae *rdsbackup.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.StatusCode != tc.status || ae.Code != tc.wantCode || ae.RequestID != tc.wantRID {
				t.Fatalf("APIError %+v", ae)
			}
			msg := err.Error()
			for _, w := range tc.wantInError {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "SECRETSIG") {
				t.Errorf("error must be one line without secrets: %q", msg)
			}
		})
	}
}

func TestUnusableSuccessResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct, body, want string
	}{
		{"truncated JSON", "application/json", okBody[:60], "JSON is truncated"},
		{"size as string", "application/json", `{"files":[{"name":"a","size":"12"}],"bucket":"b"}`, `field "files.size" is a JSON string`},
		{"files as object", "application/json", `{"files":{},"bucket":"b"}`, `field "files"`},
		{"bucket as number", "application/json", `{"files":[],"bucket":7}`, `field "bucket"`},
		{"html 200", "text/html", "<html>maintenance</html>", "not a JSON object"},
		{"empty 200", "application/json", "", "empty body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				io.WriteString(w, tc.body)
			})
			_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
			var re *rdsbackup.ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one-line *ResponseError with %q", err, tc.want)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprint("chunked=", chunked), func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(2<<20))
				}
				io.WriteString(w, `{"files":[],"bucket":"`)
				io.Copy(w, io.LimitReader(neverEnding('a'), 2<<20-22))
			})
			_, err := newAPI(t, srv.URL, rdsbackup.WithMaxBodySize(1<<20)).ShowBackupDownloadLink(context.Background(), "b")
			if !errors.Is(err, rdsbackup.ErrBodyTooLarge) || !strings.Contains(err.Error(), "exceeds the 1048576-byte limit") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestGzipBody(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, okBody)
		zw.Close()
	})
	res, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
	if err != nil || string(res.Body) != okBody {
		t.Fatalf("gzip body: %v", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("429 then 200, Retry-After honoured", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		var first time.Time
		var gap time.Duration
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				first = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				io.WriteString(w, `{"error_code":"APIG.0308","error_msg":"throttled"}`)
				return
			}
			gap = time.Since(first)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, okBody)
		})
		if _, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b"); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 2 || gap < 900*time.Millisecond {
			t.Fatalf("attempts %d, gap %v: Retry-After: 1 not honoured", n.Load(), gap)
		}
	})
	t.Run("500 exhausts retries", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			io.WriteString(w, `{"error_code":"DBS.108000","error_msg":"Server failure."}`)
		})
		_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
		var ae *rdsbackup.APIError
		if !errors.As(err, &ae) || ae.Code != "DBS.108000" || n.Load() != 3 {
			t.Fatalf("err %v after %d attempts, want DBS.108000 after 3", err, n.Load())
		}
	})
	t.Run("404 is not retried", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.WriteHeader(404)
		})
		_, _ = newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
		if n.Load() != 1 {
			t.Fatalf("%d attempts", n.Load())
		}
	})
	t.Run("long Retry-After is not waited", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		})
		start := time.Now()
		_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
		var ae *rdsbackup.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 429 || n.Load() != 1 || time.Since(start) > 2*time.Second {
			t.Fatalf("err %v, %d attempts", err, n.Load())
		}
	})
	t.Run("connection refused is retried, then reported", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = newAPI(t, "http://"+addr).ShowBackupDownloadLink(context.Background(), "b")
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("context cancels the wait", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(503)
		})
		// no deadline: the 30 s wait is made, and cancelling the context ends it
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := newAPI(t, srv.URL, rdsbackup.WithTimeout(0)).ShowBackupDownloadLink(ctx, "b")
		if !errors.Is(err, context.Canceled) || time.Since(start) > 3*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestStalledServerTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, `{"files":[`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	_, err := newAPI(t, srv.URL, rdsbackup.WithTimeout(300*time.Millisecond)).ShowBackupDownloadLink(context.Background(), "b")
	if err == nil || time.Since(start) > 3*time.Second || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestRedirectNeverCarriesCredentials(t *testing.T) {
	t.Parallel()
	leaked := make(chan string, 4)
	other := serve(t, func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{"X-Auth-Token", "Authorization", "X-Security-Token"} {
			if v := r.Header.Get(h); v != "" {
				leaked <- h + ": " + v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[],"bucket":"b"}`)
	})
	// the same server under another host name (localhost vs 127.0.0.1) is another host
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	origin := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusFound)
	})
	for _, opts := range [][]rdsbackup.Option{
		{rdsbackup.WithToken("TOKEN-SECRET")},
		{rdsbackup.WithToken(""), rdsbackup.WithAKSK("AK", "SK-SECRET", "STS-SECRET")},
	} {
		_, _ = newAPI(t, origin.URL, opts...).ShowBackupDownloadLink(context.Background(), "b")
	}
	close(leaked)
	for l := range leaked {
		t.Errorf("credential sent to another host: %s", l)
	}
}

func TestEnvOptions(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		rdsbackup.EnvEndpoint:   "http://127.0.0.1:1",
		rdsbackup.EnvRegion:     "ap-southeast-1",
		rdsbackup.EnvProjectID:  "0123456789abcdef0123456789abcdef",
		rdsbackup.EnvAccessKey:  "AK",
		rdsbackup.EnvSecretKey:  "SK",
		rdsbackup.EnvLanguage:   "en-us",
		rdsbackup.EnvTimeout:    "5s",
		rdsbackup.EnvAuthToken:  "",
		rdsbackup.EnvCAFile:     "",
		"UNRELATED_ENVIRONMENT": "x",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	opts, err := rdsbackup.EnvOptions(lookup)
	if err != nil {
		t.Fatal(err)
	}
	api, err := rdsbackup.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if api.BaseURL() != "http://127.0.0.1:1" || api.ProjectID() != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("RDS_ENDPOINT must win over the region: %s %s", api.BaseURL(), api.ProjectID())
	}
	env[rdsbackup.EnvTimeout] = "soon"
	if _, err := rdsbackup.EnvOptions(lookup); err == nil || !strings.Contains(err.Error(), "RDS_TIMEOUT") {
		t.Fatalf("bad timeout: %v", err)
	}
}

func TestCAFile(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[],"bucket":"b"}`)
	}))
	defer srv.Close()
	// verified by default: the test server's certificate is not trusted
	_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeCertPEM(t, ca, srv.Certificate().Raw)
	if _, err := newAPI(t, srv.URL, rdsbackup.WithCAFile(ca)).ShowBackupDownloadLink(context.Background(), "b"); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := rdsbackup.New(rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("t"), rdsbackup.WithCAFile(bad)); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA file: %v", err)
	}
}

// TestRequestMatchesGenerated: the client builds its URL from a precomputed prefix (fewer
// allocations than the generated builder); for every input it must address the same path
// and query as the generated NewShowBackupDownloadLinkRequest.
func TestRequestMatchesGenerated(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.EscapedPath() + " " + r.URL.Query().Get("backup_id")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[],"bucket":"b"}`)
	})
	for _, v := range []string{"p1", "../x", "a/b", "a?b", "%2e%2e", "a b+c", "é", "a;b,c=d&e"} {
		api := newAPI(t, srv.URL)
		if _, err := api.ShowBackupDownloadLink(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		gen, err := rdsbackup.NewShowBackupDownloadLinkRequest(srv.URL, api.ProjectID(), &rdsbackup.ShowBackupDownloadLinkParams{BackupId: v})
		if err != nil {
			t.Fatal(err)
		}
		want := gen.URL.EscapedPath() + " " + gen.URL.Query().Get("backup_id")
		if g := <-got; g != want {
			t.Errorf("%q: client sent %q, generated builder %q", v, g, want)
		}
	}
}

// TestRetryStopsBeforeTheDeadline: a wait that would outlast the call's timeout is not made;
// the caller gets the server's answer (here a 429) instead of a bare deadline error.
func TestRetryStopsBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(429)
		io.WriteString(w, `{"error_code":"APIG.0308","error_msg":"throttled"}`)
	})
	start := time.Now()
	_, err := newAPI(t, srv.URL, rdsbackup.WithTimeout(time.Second)).ShowBackupDownloadLink(context.Background(), "b")
	var ae *rdsbackup.APIError
	if !errors.As(err, &ae) || ae.Code != "APIG.0308" || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestErrorsNeverCarryEchoedCredentials: a server that echoes the client's credentials into
// X-Request-Id ("rid-<token>"), the body's request_id, the message or the body gets none of
// them into the error's text or any of its fields, whichever error type it is.
func TestErrorsNeverCarryEchoedCredentials(t *testing.T) {
	t.Parallel()
	const (
		token = "ECHOED-TOKEN-5e1f0c"
		sk    = "ECHOED-SECRET-KEY-9a2b"
		sts   = "ECHOED-STS-TOKEN-77d4"
	)
	// echo answers with status, Content-Type ct and body, after replacing SECRET in each of
	// them (and in X-Request-Id) by the credential the request carried.
	echo := func(status int, ct, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			secret := r.Header.Get("X-Auth-Token")
			if secret == "" { // AK/SK: echo the security token and, as a hostile server might know it, the secret key
				secret = r.Header.Get("X-Security-Token") + "/" + sk
			}
			w.Header().Set("X-Request-Id", "rid-"+secret)
			if ct != "" {
				w.Header().Set("Content-Type", strings.ReplaceAll(ct, "SECRET", secret))
			}
			w.WriteHeader(status)
			io.WriteString(w, strings.ReplaceAll(body, "SECRET", secret))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"404 rds error, header request id", echo(404, "application/json", `{"error_code":"DBS.201010","error_msg":"no backup"}`)},
		{"401 request_id in the body", echo(401, "", `{"error_code":"APIG.0301","error_msg":"bad token SECRET","request_id":"rid-SECRET"}`)},
		{"502 html excerpt", echo(502, "text/html; x=SECRET", `<html>proxy abc-SECRET-x</html>`)},
		{"500 code echoed", echo(500, "application/json", `{"error_code":"E-SECRET","error_msg":"m"}`)},
		{"200 html", echo(200, "text/html", `<html>abc-SECRET-x</html>`)},
		{"200 empty", echo(200, "application/json", ``)},
		{"200 wrong type", echo(200, "application/json", `{"files":"SECRET","bucket":"b"}`)},
		{"200 truncated", echo(200, "application/json", `{"files":[{"name":"SECRET`)},
	}
	auths := map[string][]rdsbackup.Option{
		"token": {rdsbackup.WithToken(token)},
		"aksk":  {rdsbackup.WithToken(""), rdsbackup.WithAKSK("AK", sk, sts)},
	}
	for _, tc := range tests {
		for auth, opts := range auths {
			t.Run(tc.name+"/"+auth, func(t *testing.T) {
				t.Parallel()
				srv := serve(t, tc.handler)
				_, err := newAPI(t, srv.URL, append(opts, rdsbackup.WithRetries(0, 0))...).ShowBackupDownloadLink(context.Background(), "b")
				if err == nil {
					t.Fatal("no error")
				}
				texts := map[string]string{"Error()": err.Error()}
				var ae *rdsbackup.APIError
				var re *rdsbackup.ResponseError
				switch {
				case errors.As(err, &ae):
					texts["Code"], texts["Message"], texts["RequestID"], texts["ContentType"], texts["Excerpt"] = ae.Code, ae.Message, ae.RequestID, ae.ContentType, ae.Excerpt
				case errors.As(err, &re):
					texts["ContentType"], texts["RequestID"], texts["Reason"], texts["Excerpt"] = re.ContentType, re.RequestID, re.Reason, re.Excerpt
					if re.Err != nil {
						texts["Err"] = re.Err.Error()
					}
				default:
					t.Fatalf("err %T %v, want an *APIError or *ResponseError", err, err)
				}
				if !strings.Contains(texts["RequestID"], "rid-") {
					t.Errorf("RequestID %q: the request id itself must stay", texts["RequestID"])
				}
				for where, s := range texts {
					for _, secret := range []string{token, sk, sts} {
						if strings.Contains(s, secret) {
							t.Errorf("%s holds a credential: %q", where, s)
						}
					}
				}
			})
		}
	}
}

// TestRedirectDropsReferer: net/http sets Referer to the previous URL on a redirect, which
// would hand a signed link's AccessKeyId and Signature (or the API's URL) to the next host.
// Neither the API client nor the download client sends it, same host or not.
func TestRedirectDropsReferer(t *testing.T) {
	t.Parallel()
	const query = "?AccessKeyId=AK-REFERER&Expires=4102444800&Signature=SIG-REFERER"
	tests := []struct {
		name      string
		download  bool // the download client (a link), else the API client
		otherHost bool
	}{
		{"api same host", false, false},
		{"api other host", false, true},
		{"download same host", true, false},
		{"download other host", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			referers := make(chan string, 16)
			// the redirect's target: records the Referer it gets, serves the file or the API
			target := func(w http.ResponseWriter, r *http.Request) {
				referers <- r.Header.Get("Referer")
				if tc.download {
					io.WriteString(w, "data")
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"files":[],"bucket":"b"}`)
			}
			other := serve(t, target)
			var origin *httptest.Server
			origin = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasPrefix(r.URL.Path, "/moved"):
					target(w, r)
				case strings.HasPrefix(r.URL.Path, "/v3/") && tc.download: // the API: one file behind a signed link
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"files":[{"name":"f.bak","size":1,"download_link":"%s/obs/f.bak%s","link_expired_time":"2099-01-01T00:00:00+0800"}],"bucket":"b"}`, origin.URL, query)
				default: // the API call, or the signed link: moved
					to := "/moved" + r.URL.RequestURI()
					if tc.otherHost {
						to = other.URL + to
					}
					http.Redirect(w, r, to, http.StatusFound)
				}
			}))
			origin.Start()
			t.Cleanup(origin.Close)
			api := newAPI(t, origin.URL, rdsbackup.WithRetries(0, 0))
			if tc.download {
				rsp, err := api.DownloadClient().Get(origin.URL + "/obs/f.bak" + query)
				if err != nil {
					t.Fatal(err)
				}
				rsp.Body.Close()
			} else if _, err := api.ShowBackupDownloadLink(context.Background(), "b"); err != nil {
				t.Fatal(err)
			}
			n := 0
			for len(referers) > 0 {
				n++
				if ref := <-referers; ref != "" {
					t.Errorf("the redirect's target got Referer %q", ref)
				}
			}
			if n == 0 {
				t.Fatal("the redirect was not followed")
			}
		})
	}
}
