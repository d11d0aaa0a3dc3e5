package fake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

const project = "97b026aa9cc4417888c14c84a1ad9860"

func start(t *testing.T, cfg fake.Config) string {
	t.Helper()
	if cfg.ProjectID == "" {
		cfg.ProjectID = project
	}
	srv, err := fake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return u
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return rsp, b
}

func get(t *testing.T, u string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Msg == "" {
		t.Fatalf("not the provider's error body: %s", body)
	}
	return e.Code
}

func TestErrorsAsTheProvider(t *testing.T) {
	t.Parallel()
	base := start(t, fake.Config{Token: "tok"})
	auth := map[string]string{"X-Auth-Token": "tok"}
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"missing backup_id", "/v3/" + project + "/backup-files", auth, 400, "DBS.200001"},
		{"empty backup_id", "/v3/" + project + "/backup-files?backup_id=", auth, 400, "DBS.200001"},
		{"bad X-Language", "/v3/" + project + "/backup-files?backup_id=x", map[string]string{"X-Auth-Token": "tok", "X-Language": "fr"}, 400, "DBS.200001"},
		{"unknown backup", "/v3/" + project + "/backup-files?backup_id=nope", auth, 404, "DBS.201010"},
		{"other project", "/v3/other/backup-files?backup_id=" + fake.DemoMySQLFull, auth, 403, "DBS.280015"},
		{"no credentials", "/v3/" + project + "/backup-files?backup_id=" + fake.DemoMySQLFull, nil, 401, "APIG.0301"},
		{"wrong token", "/v3/" + project + "/backup-files?backup_id=" + fake.DemoMySQLFull, map[string]string{"X-Auth-Token": "nope"}, 401, "APIG.0301"},
		{"unknown path", "/v3/" + project + "/backups", auth, 404, "APIG.0101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rsp, body := get(t, base+tc.path, tc.hdr)
			if rsp.StatusCode != tc.status || errorCode(t, body) != tc.code {
				t.Fatalf("got %d %s, want %d %s", rsp.StatusCode, body, tc.status, tc.code)
			}
			if !strings.HasPrefix(rsp.Header.Get("Content-Type"), "application/json") || rsp.Header.Get("X-Request-Id") == "" {
				t.Fatalf("headers %v", rsp.Header)
			}
		})
	}
}

func signedRequest(t *testing.T, u, ak, sk string, now time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	s := &signer.Signer{AccessKey: ak, SecretKey: sk, ProjectID: project, Now: func() time.Time { return now }}
	if err := s.Sign(req); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignatureVerification(t *testing.T) {
	t.Parallel()
	base := start(t, fake.Config{AccessKey: "AK", SecretKey: "SK"})
	u := base + "/v3/" + project + "/backup-files?backup_id=" + fake.DemoMySQLFull
	now := time.Now()
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"valid", func() *http.Request { return signedRequest(t, u, "AK", "SK", now) }, 200},
		{"valid with X-Language signed", func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("X-Language", "zh-cn")
			(&signer.Signer{AccessKey: "AK", SecretKey: "SK"}).Sign(req)
			return req
		}, 200},
		{"tampered query", func() *http.Request {
			req := signedRequest(t, u, "AK", "SK", now)
			req.URL.RawQuery = "backup_id=" + fake.DemoSQLServerLarge
			return req
		}, 401},
		{"stale date", func() *http.Request { return signedRequest(t, u, "AK", "SK", now.Add(-16*time.Minute)) }, 401},
		{"future date", func() *http.Request { return signedRequest(t, u, "AK", "SK", now.Add(16*time.Minute)) }, 401},
		{"wrong secret", func() *http.Request { return signedRequest(t, u, "AK", "wrong", now) }, 401},
		{"unknown access key", func() *http.Request { return signedRequest(t, u, "OTHER", "SK", now) }, 401},
		{"signed header missing", func() *http.Request {
			req := signedRequest(t, u, "AK", "SK", now)
			req.Header.Del("X-Project-Id")
			return req
		}, 401},
		{"signed header changed", func() *http.Request {
			req := signedRequest(t, u, "AK", "SK", now)
			req.Header.Set("X-Project-Id", "other")
			return req
		}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rsp, body := do(t, tc.req())
			if rsp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", rsp.StatusCode, tc.status, body)
			}
			if tc.status == 401 {
				var e rdsbackup.Error
				json.Unmarshal(body, &e)
				if e.ErrorCode != "APIG.0301" || e.RequestId == nil || *e.RequestId != rsp.Header.Get("X-Request-Id") {
					t.Fatalf("gateway body %s", body)
				}
			}
		})
	}
}

func files(t *testing.T, base string, id string) rdsbackup.BackupFiles {
	t.Helper()
	return filesAs(t, base, id, "tok")
}

func filesAs(t *testing.T, base, id, token string) rdsbackup.BackupFiles {
	t.Helper()
	rsp, body := get(t, base+"/v3/"+project+"/backup-files?backup_id="+id, map[string]string{"X-Auth-Token": token})
	if rsp.StatusCode != 200 {
		t.Fatalf("%d %s", rsp.StatusCode, body)
	}
	var out rdsbackup.BackupFiles
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(`\u0026`)) {
		t.Fatalf("links must be written as the provider does, '&' unescaped: %s", body)
	}
	return out
}

func TestLinksAndObjects(t *testing.T) {
	t.Parallel()
	base := start(t, fake.Config{Token: "tok", LinkTTL: 3 * time.Minute})
	out := files(t, base, fake.DemoPostgresDBLevel)
	if len(out.Files) != 3 || out.Bucket != "rdsbucket-demo-1" {
		t.Fatalf("%+v", out)
	}
	f := out.Files[0]
	if err := rdsbackup.CheckTimestamp(f.LinkExpiredTime.String()); err != nil {
		t.Fatal(err)
	}
	exp, _ := f.LinkExpiredTime.Time()
	lu, _ := url.Parse(f.DownloadLink)
	if lu.Query().Get("Expires") != func() string { b, _ := json.Marshal(exp.Unix()); return string(b) }() {
		t.Fatalf("Expires %s and link_expired_time %s disagree", lu.Query().Get("Expires"), f.LinkExpiredTime)
	}
	if d := time.Until(exp); d < 2*time.Minute || d > 3*time.Minute {
		t.Fatalf("link lives %v, want about 3m", d)
	}
	want := sha256.New()
	io.Copy(want, fake.Content(f.Name, f.Size))

	t.Run("GET whole", func(t *testing.T) {
		rsp, body := get(t, f.DownloadLink, nil)
		if rsp.StatusCode != 200 || int64(len(body)) != f.Size*1024 || sha256.Sum256(body) != [32]byte(want.Sum(nil)) {
			t.Fatalf("status %d, %d bytes", rsp.StatusCode, len(body))
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodHead, f.DownloadLink, nil)
		rsp, body := do(t, req)
		if rsp.StatusCode != 200 || rsp.ContentLength != f.Size*1024 || len(body) != 0 || rsp.Header.Get("Accept-Ranges") != "bytes" {
			t.Fatalf("HEAD %d len %d", rsp.StatusCode, rsp.ContentLength)
		}
	})
	t.Run("Range and If-Range", func(t *testing.T) {
		rsp, body := get(t, f.DownloadLink, map[string]string{"Range": "bytes=1000-"})
		all, _ := io.ReadAll(fake.Content(f.Name, f.Size))
		if rsp.StatusCode != 206 || !bytes.Equal(body, all[1000:]) || !strings.HasPrefix(rsp.Header.Get("Content-Range"), "bytes 1000-") {
			t.Fatalf("Range: %d %s", rsp.StatusCode, rsp.Header.Get("Content-Range"))
		}
		etag := rsp.Header.Get("ETag")
		rsp, _ = get(t, f.DownloadLink, map[string]string{"Range": "bytes=1000-", "If-Range": etag})
		if rsp.StatusCode != 206 {
			t.Fatalf("matching If-Range: %d", rsp.StatusCode)
		}
		rsp, body = get(t, f.DownloadLink, map[string]string{"Range": "bytes=1000-", "If-Range": `"other"`})
		if rsp.StatusCode != 200 || len(body) != len(all) {
			t.Fatalf("stale If-Range must send the whole file: %d", rsp.StatusCode)
		}
	})
	t.Run("tampered link", func(t *testing.T) {
		for _, mut := range []func(q url.Values){
			func(q url.Values) { q.Set("Expires", "9999999999") },
			func(q url.Values) { q.Set("Signature", strings.Repeat("0", 64)) },
			func(q url.Values) { q.Del("Signature") },
		} {
			u2 := *lu
			q := u2.Query()
			mut(q)
			u2.RawQuery = q.Encode()
			rsp, body := get(t, u2.String(), nil)
			if rsp.StatusCode != 403 || !strings.Contains(string(body), "<Code>") || !strings.Contains(rsp.Header.Get("Content-Type"), "xml") {
				t.Fatalf("tampered link: %d %s", rsp.StatusCode, body)
			}
		}
	})
}

func TestExpiredLinkRefused(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	base := start(t, fake.Config{Token: "tok", LinkTTL: time.Minute, Now: clock})
	f := files(t, base, fake.DemoMySQLFull).Files[0]
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	rsp, body := get(t, f.DownloadLink, nil)
	if rsp.StatusCode != 403 || !strings.Contains(string(body), "Request has expired") {
		t.Fatalf("%d %s", rsp.StatusCode, body)
	}
}

func TestLoadBackups(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"b1":{"bucket":"x","files":[{"name":"a","size":1,"database_name":"d"}]}}`, ""},
		{`{"b1":{"bucket":"x","files":[{"name":"","size":1}]}}`, "empty name"},
		{`{"b1":{"bucket":"x","files":[{"name":"a","size":-1}]}}`, "negative size"},
		{`{"b1":{"bucket":"x","files":[{"name":"a","size":1},{"name":"a","size":2}]}}`, "twice"},
		{`{"b1":{"bucket":"x","files":[],"extra":1}}`, "unknown field"},
		{`{}`, "no backups"},
		{`[`, "backups file"},
	}
	for _, tc := range tests {
		m, err := fake.LoadBackups(strings.NewReader(tc.in))
		if tc.want == "" {
			if err != nil || *m["b1"].Files[0].DatabaseName != "d" {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestLogsNoSecrets(t *testing.T) {
	t.Parallel()
	var buf testutil.SyncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	base := start(t, fake.Config{Token: "TOKEN-SECRET-1", AccessKey: "AK", SecretKey: "SECRET-KEY-2", Logger: logger})
	f := filesAs(t, base, fake.DemoMySQLFull, "TOKEN-SECRET-1").Files[0]
	get(t, f.DownloadLink, nil)
	do(t, signedRequest(t, base+"/v3/"+project+"/backup-files?backup_id=x", "AK", "wrong", time.Now()))
	sig := mustQuery(t, f.DownloadLink, "Signature")
	log := buf.String()
	if !strings.Contains(log, "/obs/") {
		t.Fatalf("requests not logged: %s", log)
	}
	for _, secret := range []string{"TOKEN-SECRET-1", "SECRET-KEY-2", sig, "Signature="} {
		if strings.Contains(log, secret) {
			t.Fatalf("log holds a secret %q:\n%s", secret, log)
		}
	}
}

func mustQuery(t *testing.T, link, key string) string {
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}

func TestTLSWithCA(t *testing.T) {
	t.Parallel()
	srv, err := fake.New(fake.Config{ProjectID: project, Token: "tok", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(u, "https://") {
		t.Fatal(u)
	}
	ca := t.TempDir() + "/ca.pem"
	if err := writeFile(ca, srv.CACertPEM()); err != nil {
		t.Fatal(err)
	}
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(u), rdsbackup.WithProjectID(project), rdsbackup.WithToken("tok"), rdsbackup.WithCAFile(ca))
	if err != nil {
		t.Fatal(err)
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull)
	if err != nil || !strings.HasPrefix(res.Files[0].DownloadLink, "https://") {
		t.Fatalf("%v %v", res, err)
	}
	// without the CA: refused
	api2, _ := rdsbackup.New(rdsbackup.WithEndpoint(u), rdsbackup.WithProjectID(project), rdsbackup.WithToken("tok"), rdsbackup.WithRetries(0, 0))
	if _, err := api2.ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted fake accepted: %v", err)
	}
}
