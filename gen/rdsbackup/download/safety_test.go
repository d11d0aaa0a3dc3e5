package download

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
)

// serve416 answers like object storage for content: a Range starting at its length gets 416
// with Content-Range "bytes */LEN" (or the header given); everything else is served.
func serve416(content []byte, etag string, rangeHeader *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		if rg := r.Header.Get("Range"); rg != "" {
			start, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			if start >= len(content) {
				cr := "bytes */" + strconv.Itoa(len(content))
				if rangeHeader != nil {
					cr = *rangeHeader
				}
				if cr != "" {
					w.Header().Set("Content-Range", cr)
				}
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
				return
			}
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	}
}

// TestCompletePartAnswered416: a .part that already holds every byte gets a 416 to its
// resume; Content-Range "bytes */LEN" equal to the .part's length means complete (verified),
// anything else restarts the file once. No loop, every retry bounded.
func TestCompletePartAnswered416(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("0123456789abcdef"), 128) // 2048 bytes: size 2 KB
	other := "bytes */999"
	none := ""
	tests := []struct {
		name      string
		part      []byte
		etag      string
		cr        *string
		wantHits  int32
		wantErr   string
		wantFinal bool
	}{
		{"complete part, MD5 ETag", content, `"` + md5hex(content) + `"`, nil, 1, "", true},
		{"complete part, no ETag", content, "", nil, 1, "", true},
		{"complete part but different bytes", bytes.Repeat([]byte("x"), 2048), `"` + md5hex(content) + `"`, nil, 1, "does not match the object's ETag", false},
		{"416 naming another length: restart once", content, "", &other, 2, "", true},
		{"416 without Content-Range: restart once", content, "", &none, 2, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, hits := objectServer(t, 2, serve416(content, tc.etag, tc.cr))
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "f.bin.part"), tc.part, 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := fast(&Downloader{API: api, Dir: dir}, nil).Download(ctx, "b", nil)
			if hits.Load() != tc.wantHits {
				t.Errorf("%d requests to the link, want %d", hits.Load(), tc.wantHits)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			got, ferr := os.ReadFile(filepath.Join(dir, "f.bin"))
			if tc.wantFinal && (ferr != nil || !bytes.Equal(got, content)) {
				t.Fatalf("final file: %d bytes, %v", len(got), ferr)
			}
			if !tc.wantFinal && ferr == nil {
				t.Fatal("final file written")
			}
		})
	}
}

// TestMD5MismatchKeepsPartAndStartsOver: bytes that differ from the object's MD5 ETag are
// kept as NAME.part with both digests named; the next run starts that file over.
func TestMD5MismatchKeepsPartAndStartsOver(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("good"), 512) // 2048 bytes
	var mu sync.Mutex
	corrupt := true
	var ranges []string
	api, _ := objectServer(t, 2, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body := content
		if corrupt {
			body = append([]byte("bad!"), content[4:]...)
		}
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		w.Header().Set("ETag", `"`+md5hex(content)+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
	dir := t.TempDir()
	_, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
	if err == nil || !strings.Contains(err.Error(), md5hex(content)) || !strings.Contains(err.Error(), md5hex(append([]byte("bad!"), content[4:]...))) {
		t.Fatalf("err = %v, want both digests", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "f.bin")); err == nil {
		t.Fatal("a file that failed its MD5 was renamed to its name")
	}
	if st, err := os.Stat(filepath.Join(dir, "f.bin.part")); err != nil || st.Size() != 2048 {
		t.Fatalf(".part not kept: %v %v", st, err)
	}
	mu.Lock()
	corrupt = false
	ranges = nil
	mu.Unlock()
	res, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
	if err != nil || !res[0].Verified || res[0].Resumed {
		t.Fatalf("second run: %+v %v", res, err)
	}
	if len(ranges) != 1 || ranges[0] != "" {
		t.Fatalf("second run asked for ranges %q, want the whole file once", ranges)
	}
}

// TestMultipartETagIsNotVerified: a multipart ETag states no MD5: length check only.
func TestMultipartETagIsNotVerified(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("m"), 1000)
	api, _ := objectServer(t, 1, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef-3"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	})
	res, err := (&Downloader{API: api, Dir: t.TempDir()}).Download(context.Background(), "b", nil)
	if err != nil || res[0].Verified || res[0].Note != "not verified (no MD5 ETag)" || res[0].MD5 != md5hex(content) {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestEveryRetryIsBoundedAndWaits: links that never give the file are tried a bounded
// number of times, with a pause before every attempt after the first.
func TestEveryRetryIsBoundedAndWaits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		obj     http.HandlerFunc
		maxHits int32
	}{
		{"always 503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, maxIdle + 1},
		{"always 429", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, maxIdle + 1},
		{"always 416", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(416) }, maxRestarts + 1},
		{"always a 2-byte body, then a reset", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1024")
			w.Write([]byte("ab"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, maxAttempts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, hits := objectServer(t, 1, tc.obj)
			dir := t.TempDir()
			if tc.name == "always 416" {
				os.WriteFile(filepath.Join(dir, "f.bin.part"), []byte("abc"), 0o644)
			}
			var pauses []int
			_, err := fast(&Downloader{API: api, Dir: dir}, &pauses).Download(context.Background(), "b", nil)
			if err == nil || hits.Load() > tc.maxHits {
				t.Fatalf("err %v after %d requests (at most %d)", err, hits.Load(), tc.maxHits)
			}
			if int32(len(pauses)) != hits.Load()-1 {
				t.Fatalf("%d pauses for %d requests", len(pauses), hits.Load())
			}
		})
	}
}

func TestBackoffDelayGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	for n := 1; n < 100; n++ {
		d := backoffDelay(n)
		if d < 150*time.Millisecond || d > 6250*time.Millisecond {
			t.Fatalf("backoffDelay(%d) = %v", n, d)
		}
	}
	if backoffDelay(1) >= backoffDelay(5) {
		t.Fatal("no growth")
	}
}

// TestWorkingFilesAreNeverFollowed: a symbolic link, a FIFO or a hard link in place of a
// working file is refused with one line naming it; nothing outside the directory changes,
// and nothing blocks.
func TestWorkingFilesAreNeverFollowed(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("z"), 1024)
	for _, working := range []string{"f.bin.part", "f.bin.part.validator", LockName} {
		for _, kind := range []string{"symlink", "dangling symlink", "fifo", "hard link", "directory"} {
			t.Run(working+"/"+kind, func(t *testing.T) {
				t.Parallel()
				api, hits := objectServer(t, 1, serve416(content, "", nil))
				outside := t.TempDir()
				victim := filepath.Join(outside, "victim")
				os.WriteFile(victim, []byte("precious"), 0o644)
				dir := t.TempDir()
				path := filepath.Join(dir, working)
				if working == "f.bin.part.validator" {
					os.WriteFile(filepath.Join(dir, "f.bin.part"), []byte("zz"), 0o644)
				}
				var err error
				switch kind {
				case "symlink":
					err = os.Symlink(victim, path)
				case "dangling symlink":
					err = os.Symlink(filepath.Join(outside, "created"), path)
				case "fifo":
					err = syscall.Mkfifo(path, 0o644)
				case "hard link":
					err = os.Link(victim, path)
				case "directory":
					err = os.Mkdir(path, 0o755)
				}
				if err != nil {
					t.Skip(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err = fast(&Downloader{API: api, Dir: dir}, nil).Download(ctx, "b", nil)
				if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), path) || ctx.Err() != nil {
					t.Fatalf("err = %v", err)
				}
				if b, _ := os.ReadFile(victim); string(b) != "precious" {
					t.Fatal("the file outside the directory was changed")
				}
				if _, err := os.Lstat(filepath.Join(outside, "created")); err == nil {
					t.Fatal("a file was created outside the directory")
				}
				if _, err := os.Lstat(filepath.Join(dir, "f.bin")); err == nil {
					t.Fatal("final file written despite the refusal")
				}
				if working == LockName && hits.Load() != 0 {
					t.Fatal("the link was fetched without the lock")
				}
			})
		}
	}
}

// TestFinalNameIsAlwaysARegularFile: a symbolic link at NAME is never written through.
func TestFinalNameIsAlwaysARegularFile(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("z"), 1024)
	api, _ := objectServer(t, 1, serve416(content, "", nil))
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	os.WriteFile(victim, bytes.Repeat([]byte("p"), 1000), 0o644)
	dir := t.TempDir()
	os.Symlink(victim, filepath.Join(dir, "f.bin"))
	for _, force := range []bool{false, true} {
		_, err := (&Downloader{API: api, Dir: dir, Force: force}).Download(context.Background(), "b", nil)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("force=%v: err = %v", force, err)
		}
	}
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, bytes.Repeat([]byte("p"), 1000)) {
		t.Fatal("written through the link")
	}
}

// TestImpossibleSizesAreRefusedBeforeAnyTransfer: a size whose byte count overflows int64.
func TestImpossibleSizesAreRefusedBeforeAnyTransfer(t *testing.T) {
	t.Parallel()
	for _, size := range []int64{18014398509481985, 1 << 62, -1} {
		api, hits := objectServer(t, size, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
		dir := t.TempDir()
		_, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
		if !errors.Is(err, ErrBadSize) || hits.Load() != 0 {
			t.Fatalf("size %d: err %v after %d requests", size, err, hits.Load())
		}
		if _, err := os.Stat(filepath.Join(dir, "f.bin.part")); err == nil {
			t.Fatalf("size %d: .part created", size)
		}
	}
	if SizeFits(1, 18014398509481985) {
		t.Fatal("SizeFits wraps around")
	}
}

func TestSafeFileName(t *testing.T) {
	t.Parallel()
	bad := []string{"", ".", "..", "../escape", "/etc/passwd", "a/b", `a\b`, "nul\x00", "esc\x1b[31m",
		"evil\u202egp j.exe", "lri\u2066x", "pdi\u2069", "c1\u0085", "c1\u009f", "zw\u200b", "lrm\u200e",
		strings.Repeat("a", MaxNameBytes+1), strings.Repeat("a", 255), strings.Repeat("é", 121), LockName}
	for _, name := range bad {
		if err := SafeFileName(name); !errors.Is(err, ErrUnsafeName) || strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 || r == 0x202e }) {
			t.Errorf("SafeFileName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"a.tar.gz", "数据库.bak", "x y", strings.Repeat("a", MaxNameBytes), ".hidden", "a..b"} {
		if err := SafeFileName(name); err != nil {
			t.Errorf("SafeFileName(%q) = %v", name, err)
		}
	}
}

// TestLongestNameKeepsItsWorkingFiles: a name of MaxNameBytes bytes downloads, and its
// validator file can be written (the limit accounts for the longest suffix).
func TestLongestNameKeepsItsWorkingFiles(t *testing.T) {
	t.Parallel()
	name := strings.Repeat("n", MaxNameBytes)
	dir := t.TempDir()
	if err := writeState(filepath.Join(dir, name+ValidatorSuffix), `"v"`); err != nil {
		t.Fatalf("validator file of the longest name: %v", err)
	}
	api := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "k", Files: []fake.File{{Name: name, Size: 1}}}}})
	if _, err := (&Downloader{API: api, Dir: t.TempDir()}).Download(context.Background(), "b", nil); err != nil {
		t.Fatal(err)
	}
}

func TestDownloadRefusesHostileNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../escape", "/etc/passwd", "a/b", "..", "evil\u202egp j.exe", "c1\u0090x", strings.Repeat("a", 250)} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			t.Parallel()
			api := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "x", Files: []fake.File{{Name: "ok.bin", Size: 1}, {Name: name, Size: 1}}}}})
			dir := filepath.Join(t.TempDir(), "in")
			_, err := (&Downloader{API: api, Dir: dir}).Download(context.Background(), "b", nil)
			if !errors.Is(err, ErrUnsafeName) || strings.Contains(err.Error(), "\n") || strings.ContainsRune(err.Error(), 0x202e) {
				t.Fatalf("err = %v", err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != LockName {
					t.Fatalf("file written despite a hostile name: %s", e.Name())
				}
			}
		})
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
			api := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "k", Files: files}}})
			dir := t.TempDir()
			_, err := (&Downloader{API: api, Dir: dir, Parallel: 2}).Download(context.Background(), "b", nil)
			if !errors.Is(err, ErrUnsafeName) || !strings.Contains(err.Error(), "working name") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestTwoRunsIntoOneDirectory: the second run waits for the first and then finds every file
// complete; with NoWait it fails at once naming the holder.
func TestTwoRunsIntoOneDirectory(t *testing.T) {
	t.Parallel()
	api := startFake(t, fake.Config{})
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = (&Downloader{API: api, Dir: dir, Parallel: 2}).Download(context.Background(), fake.DemoPostgresDBLevel, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	lock, err := lockDir(context.Background(), dir, false, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	// flock locks belong to the open file description: a second open in this process
	// contends like another process would.
	_, err = (&Downloader{API: api, Dir: dir, NoWait: true}).Download(context.Background(), fake.DemoPostgresDBLevel, nil)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("NoWait: %v", err)
	}
	var said []string
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = (&Downloader{API: api, Dir: dir, Log: func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }}).Download(ctx, fake.DemoPostgresDBLevel, nil)
	if !errors.Is(err, context.DeadlineExceeded) || len(said) != 1 || !strings.Contains(said[0], "waiting for") {
		t.Fatalf("waiting run: %v, said %q", err, said)
	}
}

// FuzzSafeFileName: a name the guard accepts stays inside the directory, fits the working
// files and carries nothing a terminal would obey.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"a.bak", "../x", "..", ".", "/abs", `a\b`, "a/b", "x\x00", "CON", "...", "evil\u202egp j.exe", "c1\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if SafeFileName(name) != nil {
			return
		}
		if strings.ContainsAny(name, `/\`) || name == ".." || name == "." || name == "" || strings.ContainsRune(name, 0) ||
			len(name)+len(ValidatorSuffix) > 255 || strings.ContainsFunc(name, func(r rune) bool {
			return r < 0x20 || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		}) {
			t.Fatalf("unsafe name %q accepted", name)
		}
	})
}

func TestSizeFitsTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, kb int64
		want  bool
	}{
		{0, 0, true}, {1, 0, false}, {1, 1, true}, {1024, 1, true}, {1025, 1, false},
		{1024, 2, false}, {1025, 2, true}, {2048, 2, true}, {0, 1, false}, {0, -1, false},
		{1, 18014398509481985, false}, {9223372036854775807, 9007199254740991, false},
	}
	for _, tc := range tests {
		if got := SizeFits(tc.n, tc.kb); got != tc.want {
			t.Errorf("SizeFits(%d, %d) = %v", tc.n, tc.kb, got)
		}
	}
}
