package download

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func TestDownloadAndSkip(t *testing.T) {
	t.Parallel()
	api := startFake(t, fake.Config{})
	dir := t.TempDir()
	d := &Downloader{API: api, Dir: dir, Parallel: 2, SHA256: true}
	res, err := d.Download(context.Background(), fake.DemoPostgresDBLevel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	for i, f := range fake.DemoBackups()[fake.DemoPostgresDBLevel].Files {
		want := contentMD5(f.Name, f.Size)
		if got := fileMD5(t, filepath.Join(dir, f.Name)); got != want {
			t.Errorf("%s: content differs", f.Name)
		}
		if r := res[i]; r.MD5 != want || !r.Verified || len(r.SHA256) != 64 || r.Bytes != f.Size*1024 {
			t.Errorf("%s: result %+v", f.Name, r)
		}
		if _, err := os.Stat(filepath.Join(dir, f.Name+PartSuffix)); !os.IsNotExist(err) {
			t.Errorf("%s: .part left behind", f.Name)
		}
	}
	// a second run leaves complete files alone, having checked their MD5
	res, err = d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"})
	if err != nil || len(res) != 1 || !res[0].Skipped || !res[0].Verified {
		t.Fatalf("second run: %+v %v", res, err)
	}
	// an unrelated file of the same name is never overwritten without Force
	mine := strings.Repeat("mine", 500) // 2000 bytes: not the 1 KB file the API lists
	os.WriteFile(filepath.Join(dir, "5f0a6bd2_meta.json"), []byte(mine), 0o644)
	_, err = d.Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"})
	if !errors.Is(err, ErrExists) {
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
		t.Fatalf("unknown file: %v", err)
	}
}

// TestExistingSameSizeDifferentMD5: a 6-byte file where a 1 KB object is listed fits the
// size range, but its MD5 differs from the object's: it is a different file, not "complete".
func TestExistingSameSizeDifferentMD5(t *testing.T) {
	t.Parallel()
	api := startFake(t, fake.Config{})
	dir := t.TempDir()
	path := filepath.Join(dir, "5f0a6bd2_meta.json")
	os.WriteFile(path, []byte("hello\n"), 0o644)
	res, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), fake.DemoPostgresDBLevel, []string{"5f0a6bd2_meta.json"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "different file") || res[0].Skipped {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	if b, _ := os.ReadFile(path); string(b) != "hello\n" {
		t.Fatal("file changed")
	}
}

func TestDownloadResumesAfterInterruption(t *testing.T) {
	t.Parallel()
	api := startFake(t, fake.Config{})
	dir := t.TempDir()
	name := "5f0a6bd2_orders.tar.gz"
	ctx, cancel := context.WithCancel(context.Background())
	var written atomic.Int64
	d := &Downloader{API: api, Dir: dir, NewProgress: func(string) Progress {
		return cancelAfter{n: &written, limit: 1 << 20, cancel: cancel}
	}}
	res, err := d.Download(ctx, fake.DemoPostgresDBLevel, []string{name})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted download: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, name+PartSuffix))
	if err != nil || st.Size() == 0 || st.Size() >= 4096*1024 || res[0].Bytes != st.Size() || !res[0].Kept() || res[0].Total != 4096*1024 {
		t.Fatalf("partial file: %v %v, result %+v", st, err, res)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
		t.Fatal("final file exists after an interruption")
	}
	res, err = (&Downloader{API: api, Dir: dir}).Download(context.Background(), fake.DemoPostgresDBLevel, []string{name})
	if err != nil || !res[0].Resumed || !res[0].Verified {
		t.Fatalf("resume: %+v %v", res, err)
	}
	if fileMD5(t, filepath.Join(dir, name)) != contentMD5(name, 4096) {
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
			api := startFake(t, fake.Config{Now: clock, LinkTTL: time.Minute})
			var notes []string
			d := fast(&Downloader{API: api, Dir: t.TempDir(),
				Log: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) },
				// once the links are handed out, two minutes pass: they expire
				NewProgress: func(string) Progress { return onStart(func() { skew.Store(int64(2 * time.Minute)) }) },
			}, nil)
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
			if fileMD5(t, res[0].Path) != contentMD5(res[0].Name, 2803) {
				t.Fatal("content differs")
			}
		})
	}
}

type onStart func()

func (f onStart) Start(string, int64, int64) { f() }
func (f onStart) Add(int64)                  {}
func (f onStart) Finish(error)               {}

func TestDownloadLinkRefusedIsReported(t *testing.T) {
	t.Parallel()
	api, hits := objectServer(t, 1, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	_, err := (&Downloader{API: api, Dir: t.TempDir()}).Download(context.Background(), "b", nil)
	var te *TransferError
	if !errors.As(err, &te) || te.Status != 404 || strings.Contains(err.Error(), "SECRETSIG") || hits.Load() != 1 {
		t.Fatalf("err = %v after %d requests", err, hits.Load())
	}
}

func TestDownloadRefusesHTMLAndOverlongBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		obj  http.HandlerFunc
		want string
		part bool // the .part is kept
	}{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>please log in, "+testToken+"</html>")
		}, "HTML page", false},
		{"too long", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, 1025))
		}, "longer than the reported size", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, hits := objectServer(t, 1, tc.obj)
			dir := t.TempDir()
			_, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
			var te *TransferError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || hits.Load() != 1 || strings.Contains(err.Error(), testToken) {
				t.Fatalf("err %v after %d requests", err, hits.Load())
			}
			if _, err := os.Stat(filepath.Join(dir, "f.bin")); err == nil {
				t.Fatal("final file written")
			}
			if _, err := os.Stat(filepath.Join(dir, "f.bin.part")); (err == nil) != tc.part {
				t.Fatalf(".part kept: %v, want %v", err == nil, tc.part)
			}
		})
	}
}

// TestResumeChecksTheObject: a .part left by another object of the same name (another ETag)
// is not continued: If-Range makes the server send the whole new object.
func TestResumeChecksTheObject(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("new content "), 200) // 2400 bytes: size 3 KB
	var ifRange []string
	api, _ := objectServer(t, 3, func(w http.ResponseWriter, r *http.Request) {
		ifRange = append(ifRange, r.Header.Get("If-Range"))
		w.Header().Set("ETag", `"v2"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.bin.part"), bytes.Repeat([]byte("old"), 300), 0o644)
	os.WriteFile(filepath.Join(dir, "f.bin"+ValidatorSuffix), []byte(`"v1"`), 0o644)
	res, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "f.bin"))
	if !bytes.Equal(got, content) || len(ifRange) != 1 || ifRange[0] != `"v1"` {
		t.Fatalf("got %d bytes, If-Range %q", len(got), ifRange)
	}
	if res[0].Verified || res[0].Note != "not verified (no MD5 ETag)" {
		t.Fatalf("result %+v", res[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "f.bin"+ValidatorSuffix)); err == nil {
		t.Fatal("validator file left behind")
	}
}

// TestDownloadStallFails: a link that sends headers and then nothing fails once, for lack
// of data, with the .part kept.
func TestDownloadStallFails(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	api, hits := objectServer(t, 4, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4096")
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	dir := t.TempDir()
	_, err := (&Downloader{API: api, Dir: dir, StallAfter: 300 * time.Millisecond}).Download(context.Background(), "b", nil)
	if err == nil || !strings.Contains(err.Error(), "no data for 300ms") || hits.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, hits.Load())
	}
	if st, err := os.Stat(filepath.Join(dir, "f.bin.part")); err != nil || st.Size() != 100 {
		t.Fatalf("partial file: %v %v", st, err)
	}
}

// TestNoRefererOnRedirect: a link that redirects must not hand the signed URL to the next
// host as Referer.
func TestNoRefererOnRedirect(t *testing.T) {
	t.Parallel()
	var referer atomic.Value
	referer.Store("unset")
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		referer.Store(r.Header.Get("Referer"))
		w.Write(make([]byte, 1024))
	}))
	defer second.Close()
	api, _ := objectServer(t, 1, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/elsewhere", http.StatusFound)
	})
	if _, err := (&Downloader{API: api, Dir: t.TempDir()}).Download(context.Background(), "b", nil); err != nil {
		t.Fatal(err)
	}
	if got := referer.Load().(string); got != "" {
		t.Fatalf("Referer %q reached the redirect's target", got)
	}
}
