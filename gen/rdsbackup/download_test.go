package rdsbackup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// startFake runs the fake endpoint in process and returns a client of it (AK/SK auth).
func startFake(t *testing.T, cfg fake.Config) (*fake.Server, *rdsbackup.API) {
	t.Helper()
	if cfg.ProjectID == "" {
		cfg.ProjectID = "p1"
	}
	cfg.AccessKey, cfg.SecretKey = "AK", "SK-SECRET"
	srv, err := fake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID(cfg.ProjectID),
		rdsbackup.WithAKSK("AK", "SK-SECRET", ""), rdsbackup.WithRetries(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return srv, api
}

func digest(r io.Reader) [32]byte {
	h := sha256.New()
	io.Copy(h, r)
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

func fileDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return digest(f)
}

func TestClientAgainstFakeEveryStatus(t *testing.T) {
	t.Parallel()
	_, api := startFake(t, fake.Config{Faults: true})
	url := api.BaseURL()
	tests := []struct {
		name   string
		api    *rdsbackup.API
		id     string
		status int
		code   string
	}{
		{"ok", api, fake.DemoPostgresDBLevel, 200, ""},
		{"unknown backup", api, "nope", 404, "DBS.201010"},
		{"wrong secret", mustAPI(t, url, "p1", rdsbackup.WithAKSK("AK", "wrong", "")), fake.DemoMySQLFull, 401, "APIG.0301"},
		{"other project", mustAPI(t, url, "p2", rdsbackup.WithAKSK("AK", "SK-SECRET", "")), fake.DemoMySQLFull, 403, "DBS.280015"},
		{"throttled", api, fake.FaultThrottled, 429, "APIG.0308"},
		{"server failure", api, fake.FaultServerError, 500, "DBS.108000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := tc.api.ShowBackupDownloadLink(context.Background(), tc.id)
			if tc.status == 200 {
				if err != nil || len(res.Files) != 3 || res.RequestID == "" {
					t.Fatalf("res %+v err %v", res, err)
				}
				for _, f := range res.Files {
					if err := rdsbackup.CheckTimestamp(f.LinkExpiredTime.String()); err != nil {
						t.Error(err)
					}
				}
				return
			}
			var ae *rdsbackup.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Code != tc.code || ae.RequestID == "" {
				t.Fatalf("err %v, want HTTP %d %s with a request id", err, tc.status, tc.code)
			}
		})
	}
}

func mustAPI(t *testing.T, url, project string, opts ...rdsbackup.Option) *rdsbackup.API {
	t.Helper()
	api, err := rdsbackup.New(append([]rdsbackup.Option{rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID(project), rdsbackup.WithRetries(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestDownloadAndSkip(t *testing.T) {
	t.Parallel()
	_, api := startFake(t, fake.Config{})
	dir := t.TempDir()
	d := &rdsbackup.Downloader{API: api, Dir: dir, Parallel: 2}
	res, err := d.Download(context.Background(), fake.DemoPostgresDBLevel, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fake.DemoBackups()[fake.DemoPostgresDBLevel].Files {
		if got, want := fileDigest(t, filepath.Join(dir, f.Name)), digest(fake.Content(f.Name, f.Size)); got != want {
			t.Errorf("%s: content differs", f.Name)
		}
		if _, err := os.Stat(filepath.Join(dir, f.Name+rdsbackup.PartSuffix)); !os.IsNotExist(err) {
			t.Errorf("%s: .part left behind", f.Name)
		}
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	// a second run leaves complete files alone
	res, err = d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"})
	if err != nil || len(res) != 1 || !res[0].Skipped {
		t.Fatalf("second run: %+v %v", res, err)
	}
	// an unrelated file of the same name is never overwritten without Force
	mine := strings.Repeat("mine", 500) // 2000 bytes: not the 1 KB file the API lists
	os.WriteFile(filepath.Join(dir, "5f0a6bd2_meta.json"), []byte(mine), 0o644)
	_, err = d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"})
	if !errors.Is(err, rdsbackup.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "5f0a6bd2_meta.json")); string(b) != mine {
		t.Fatal("file overwritten")
	}
	d.Force = true
	if _, err := d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"not-there"}); !errors.Is(err, rdsbackup.ErrInvalidArgument) {
		t.Fatalf("unknown --file: %v", err)
	}
}

func TestDownloadResumesAfterInterruption(t *testing.T) {
	t.Parallel()
	_, api := startFake(t, fake.Config{})
	dir := t.TempDir()
	name := "5f0a6bd2_orders.tar.gz"
	ctx, cancel := context.WithCancel(context.Background())
	var written atomic.Int64
	d := &rdsbackup.Downloader{API: api, Dir: dir, NewProgress: func(string) rdsbackup.Progress {
		return cancelAfter{n: &written, limit: 1 << 20, cancel: cancel}
	}}
	_, err := d.Download(ctx, fake.DemoPostgresDBLevel, []string{name})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted download: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, name+rdsbackup.PartSuffix))
	if err != nil || st.Size() == 0 || st.Size() >= 4096*1024 {
		t.Fatalf("partial file: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
		t.Fatal("final file exists after an interruption")
	}
	d2 := &rdsbackup.Downloader{API: api, Dir: dir}
	res, err := d2.Download(context.Background(), fake.DemoPostgresDBLevel, []string{name})
	if err != nil || !res[0].Resumed {
		t.Fatalf("resume: %+v %v", res, err)
	}
	if fileDigest(t, filepath.Join(dir, name)) != digest(fake.Content(name, 4096)) {
		t.Fatal("resumed file differs from the served content")
	}
}

// cancelAfter cancels the download once limit bytes were written.
type cancelAfter struct {
	n      *atomic.Int64
	limit  int64
	cancel context.CancelFunc
}

func (c cancelAfter) Start(string, int64, int64) {}
func (c cancelAfter) Finish(error)               {}
func (c cancelAfter) Add(n int64) {
	if c.n.Add(n) >= c.limit {
		c.cancel()
	}
}

func TestDownloadRefreshesExpiredLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		clientClock bool   // the downloader shares the fake's clock (sees the expiry itself)
		wantNote    string // what the downloader says it did
	}{
		{"expired before the transfer", true, "link expired"},
		{"refused by the server during the transfer", false, "link refused (HTTP 403)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var skew atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			_, api := startFake(t, fake.Config{Now: clock, LinkTTL: time.Minute})
			var notes []string
			d := &rdsbackup.Downloader{API: api, Dir: t.TempDir(),
				Log: func(f string, a ...any) { notes = append(notes, f) },
				// once the links are handed out, two minutes pass: they expire
				NewProgress: func(string) rdsbackup.Progress { return onStart(func() { skew.Store(int64(2 * time.Minute)) }) },
			}
			if tc.clientClock {
				d.Now = clock
			}
			res, err := d.Download(context.Background(), fake.DemoMySQLFull, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(notes, "|"), tc.wantNote) {
				t.Fatalf("notes %q lack %q", notes, tc.wantNote)
			}
			if fileDigest(t, res[0].Path) != digest(fake.Content(res[0].Name, 2803)) {
				t.Fatal("content differs")
			}
		})
	}
}

type onStart func()

func (f onStart) Start(string, int64, int64) { f() }
func (f onStart) Add(int64)                  {}
func (f onStart) Finish(error)               {}

func TestDownloadRefusesHostileNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../escape", "/etc/passwd", "a/b", ".."} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, api := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "x", Files: []fake.File{{Name: "ok.bin", Size: 1}, {Name: name, Size: 1}}}}})
			dir := t.TempDir()
			_, err := (&rdsbackup.Downloader{API: api, Dir: filepath.Join(dir, "in")}).Download(context.Background(), "b", nil)
			if !errors.Is(err, rdsbackup.ErrUnsafeName) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v", err)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "in"))
			if len(entries) != 0 {
				t.Fatalf("files written despite a hostile name: %v", entries)
			}
		})
	}
}

func TestDownloadLinkRefusedIsReported(t *testing.T) {
	t.Parallel()
	obs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	defer obs.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[{"name":"f.bin","size":1,"download_link":"`+obs.URL+`/f.bin?Signature=SECRETSIG","link_expired_time":"2099-01-01T00:00:00+0800"}],"bucket":"b"}`)
	}))
	defer api.Close()
	c := mustAPI(t, api.URL, "p", rdsbackup.WithToken("t"))
	_, err := (&rdsbackup.Downloader{API: c, Dir: t.TempDir()}).Download(context.Background(), "b", nil)
	var te *rdsbackup.TransferError
	if !errors.As(err, &te) || te.Status != 404 || strings.Contains(err.Error(), "SECRETSIG") {
		t.Fatalf("err = %v", err)
	}
}

func TestDownloadRefusesCollidingNames(t *testing.T) {
	t.Parallel()
	for name, files := range map[string][]fake.File{
		"working name": {{Name: "x", Size: 2000}, {Name: "x.part", Size: 10}},
		"validator":    {{Name: "x", Size: 2}, {Name: "x.part.validator", Size: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, api := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "k", Files: files}}})
			dir := t.TempDir()
			_, err := (&rdsbackup.Downloader{API: api, Dir: dir, Parallel: 2}).Download(context.Background(), "b", nil)
			if !errors.Is(err, rdsbackup.ErrUnsafeName) || !strings.Contains(err.Error(), "working name") {
				t.Fatalf("err = %v", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("files written: %v", entries)
			}
		})
	}
}

// objectServer serves one API answer whose link is handled by obj.
func objectServer(t *testing.T, size int64, obj http.HandlerFunc) *rdsbackup.API {
	t.Helper()
	o := httptest.NewServer(obj)
	t.Cleanup(o.Close)
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[{"name":"f.bin","size":`+strconv.FormatInt(size, 10)+`,"download_link":"`+o.URL+`/f.bin","link_expired_time":"2099-01-01T00:00:00+0800"}],"bucket":"b"}`)
	}))
	t.Cleanup(a.Close)
	return mustAPI(t, a.URL, "p", rdsbackup.WithToken("t"))
}

func TestDownloadRefusesHTMLAndOverlongBodies(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	tests := []struct {
		name string
		obj  http.HandlerFunc
		want string
	}{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>please log in</html>")
		}, "HTML page"},
		{"too long", func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Write(make([]byte, 1025))
		}, "longer than the reported size"},
	}
	for _, tc := range tests {
		hits.Store(0)
		dir := t.TempDir()
		_, err := (&rdsbackup.Downloader{API: objectServer(t, 1, tc.obj), Dir: dir}).Download(context.Background(), "b", nil)
		var te *rdsbackup.TransferError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || hits.Load() != 1 {
			t.Fatalf("%s: err %v after %d requests", tc.name, err, hits.Load())
		}
		if _, err := os.Stat(filepath.Join(dir, "f.bin")); err == nil {
			t.Fatalf("%s: final file written", tc.name)
		}
		if tc.name == "html page" {
			if _, err := os.Stat(filepath.Join(dir, "f.bin.part")); err == nil {
				t.Fatalf("an HTML page must not be kept for resuming")
			}
		}
	}
}

// TestResumeChecksTheObject: a .part left by another object of the same name (another ETag)
// is not continued: If-Range makes the server send the whole new object.
func TestResumeChecksTheObject(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("new content "), 200) // 2400 bytes: size 3 KB
	var ifRange []string
	api := objectServer(t, 3, func(w http.ResponseWriter, r *http.Request) {
		ifRange = append(ifRange, r.Header.Get("If-Range"))
		w.Header().Set("ETag", `"v2"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.bin.part"), bytes.Repeat([]byte("old"), 300), 0o644)
	os.WriteFile(filepath.Join(dir, "f.bin"+rdsbackup.ValidatorSuffix), []byte(`"v1"`), 0o644)
	if _, err := (&rdsbackup.Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "f.bin"))
	if !bytes.Equal(got, content) || len(ifRange) != 1 || ifRange[0] != `"v1"` {
		t.Fatalf("got %d bytes, If-Range %q", len(got), ifRange)
	}
	if _, err := os.Stat(filepath.Join(dir, "f.bin"+rdsbackup.ValidatorSuffix)); err == nil {
		t.Fatal("validator file left behind")
	}
}

// TestDownloadStallFailsWithinTheTimeout: a link that sends headers and then nothing fails
// after about StallAfter, once, with the .part kept.
func TestDownloadStallFailsWithinTheTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	api := objectServer(t, 4, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4096")
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	dir := t.TempDir()
	start := time.Now()
	_, err := (&rdsbackup.Downloader{API: api, Dir: dir, StallAfter: 300 * time.Millisecond}).Download(context.Background(), "b", nil)
	if err == nil || !strings.Contains(err.Error(), "no data for 300ms") || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	if st, err := os.Stat(filepath.Join(dir, "f.bin.part")); err != nil || st.Size() != 100 {
		t.Fatalf("partial file: %v %v", st, err)
	}
}
