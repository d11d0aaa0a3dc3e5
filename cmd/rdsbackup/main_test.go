package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/download"
)

const project = "97b026aa9cc4417888c14c84a1ad9860"

// env returns a lookup over the given variables only (the process environment is ignored).
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func startFake(t *testing.T, cfg fake.Config) (string, func(string) (string, bool)) {
	t.Helper()
	cfg.ProjectID, cfg.AccessKey, cfg.SecretKey = project, "AK", "SECRET-KEY-XYZ"
	_, u := testutil.StartFake(t, cfg)
	return u, env(rdsbackup.EnvEndpoint, u, rdsbackup.EnvProjectID, project, rdsbackup.EnvAccessKey, "AK", rdsbackup.EnvSecretKey, "SECRET-KEY-XYZ")
}

func runCmd(t *testing.T, lookup func(string) (string, bool), args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, lookup)
	return code, out.String(), errb.String()
}

func TestFilesTableAndJSON(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{})
	code, out, errOut := runCmd(t, lookup, "files", "--backup-id", fake.DemoPostgresDBLevel)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"NAME", "5f0a6bd2_orders.tar.gz", "4.0 MiB", "orders", "+0800", "3 file(s) in bucket rdsbucket-demo-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Signature") || strings.Contains(out, "http") {
		t.Errorf("the table must not show links:\n%s", out)
	}
	code, out, _ = runCmd(t, lookup, "files", "--backup-id", fake.DemoPostgresDBLevel, "--output", "json")
	var body rdsbackup.BackupFiles
	if code != 0 || json.Unmarshal([]byte(out), &body) != nil || len(body.Files) != 3 || !strings.Contains(out, "&Expires=") {
		t.Fatalf("json output (exit %d): %s", code, out)
	}
}

func TestJSONIsTheBodyAsReceived(t *testing.T) {
	t.Parallel()
	const raw = `{"bucket":"b","files":[{"name":"x","size":1,"download_link":"https://h/x","link_expired_time":"2018-08-016T10:15:14+0800","extra":[1,2]}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, raw)
	}))
	defer srv.Close()
	code, out, errOut := runCmd(t, env(rdsbackup.EnvEndpoint, srv.URL, rdsbackup.EnvProjectID, project, rdsbackup.EnvAuthToken, "t"), "files", "--backup-id", "b", "--output", "json")
	if code != 0 || out != raw+"\n" {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestExitStatuses(t *testing.T) {
	t.Parallel()
	u, lookup := startFake(t, fake.Config{})
	tests := []struct {
		name   string
		lookup func(string) (string, bool)
		args   []string
		code   int
		want   string
	}{
		{"no command", lookup, nil, 2, "usage"},
		{"unknown command", lookup, []string{"list"}, 2, `unknown command "list"`},
		{"missing backup id", lookup, []string{"files"}, 2, "--backup-id is required"},
		{"bad output", lookup, []string{"files", "--backup-id", "x", "--output", "xml"}, 2, "want table, json or raw"},
		{"bad flag", lookup, []string{"files", "--nope"}, 2, "flag provided but not defined"},
		{"stray argument", lookup, []string{"files", "--backup-id", "x", "extra"}, 2, `unexpected argument "extra"`},
		{"no project", env(rdsbackup.EnvEndpoint, u, rdsbackup.EnvAuthToken, "t"), []string{"files", "--backup-id", "x"}, 2, "no project ID: set HUAWEICLOUD_SDK_PROJECT_ID (or --project-id)"},
		{"bad parallel", lookup, []string{"download", "--backup-id", "x", "--parallel", "0"}, 2, "--parallel"},
		{"unknown backup", lookup, []string{"files", "--backup-id", "nope"}, 1, "HTTP 404 DBS.201010"},
		{"wrong secret", env(rdsbackup.EnvEndpoint, u, rdsbackup.EnvProjectID, project, rdsbackup.EnvAccessKey, "AK", rdsbackup.EnvSecretKey, "WRONG-SECRET"), []string{"files", "--backup-id", "x"}, 1, "APIG.0301"},
		{"unreachable", env(rdsbackup.EnvEndpoint, "http://127.0.0.1:1", rdsbackup.EnvProjectID, project, rdsbackup.EnvAuthToken, "t"), []string{"files", "--backup-id", "x", "--timeout", "2s"}, 1, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCmd(t, tc.lookup, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q lacks %q", code, tc.code, errOut, tc.want)
			}
			if strings.Contains(errOut, "SECRET") {
				t.Fatalf("secret in output: %s", errOut)
			}
			if tc.code == 1 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("failure must be one line: %q", errOut)
			}
		})
	}
}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func contentSHA(name string, kb int64) [32]byte {
	b, _ := io.ReadAll(fake.Content(name, kb))
	return sha256.Sum256(b)
}

func TestDownloadCommand(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{})
	dir := t.TempDir()
	code, out, errOut := runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--parallel", "3", "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range fake.DemoBackups()[fake.DemoPostgresDBLevel].Files {
		if sha(t, filepath.Join(dir, f.Name)) != contentSHA(f.Name, f.Size) {
			t.Errorf("%s differs", f.Name)
		}
	}
	if !strings.Contains(out, "downloaded") || !strings.Contains(errOut, "done") {
		t.Errorf("out %q err %q", out, errOut)
	}
	// again: nothing is overwritten, exit 0
	code, out, _ = runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--file", "5f0a6bd2_meta.json")
	if code != 0 || !strings.Contains(out, "already complete") {
		t.Fatalf("second run: %d %q", code, out)
	}
	// a different file under that name is protected
	os.WriteFile(filepath.Join(dir, "5f0a6bd2_meta.json"), bytes.Repeat([]byte("x"), 3000), 0o644)
	code, _, errOut = runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--file", "5f0a6bd2_meta.json")
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("existing file: %d %q", code, errOut)
	}
	code, _, errOut = runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--file", "5f0a6bd2_meta.json", "--force")
	if code != 0 || sha(t, filepath.Join(dir, "5f0a6bd2_meta.json")) != contentSHA("5f0a6bd2_meta.json", 1) {
		t.Fatalf("--force: %d %q", code, errOut)
	}
}

func TestDownloadResumesAfterInterruption(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			_, lookup := startFake(t, fake.Config{})
			dir := t.TempDir()
			name := "5f0a6bd2_orders.tar.gz"
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			go func() { // interrupt as soon as part of the file is on disk
				for ctx.Err() == nil {
					if st, err := os.Stat(filepath.Join(dir, name+".part")); err == nil && st.Size() > 0 {
						cancel(&signalError{sig})
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			var out, errb bytes.Buffer
			code := run(ctx, []string{"download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--file", name, "--progress", "none"}, &out, &errb, lookup)
			cancel(nil)
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Skip("the download finished before the interruption")
			}
			st, err := os.Stat(filepath.Join(dir, name+".part"))
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("rdsbackup: interrupted; %s kept (%d of %d bytes); run the same command to resume\n", filepath.Join(dir, name+".part"), st.Size(), 4096*1024)
			if code != 128+int(sig) || errb.String() != want {
				t.Fatalf("interrupted: exit %d, %q, want %d and %q", code, errb.String(), 128+int(sig), want)
			}
			code, outS, errS := runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--file", name)
			if code != 0 || !strings.Contains(outS, "resumed and completed") || !strings.Contains(outS, "MD5 verified") {
				t.Fatalf("resume: %d %q %q", code, outS, errS)
			}
			if sha(t, filepath.Join(dir, name)) != contentSHA(name, 4096) {
				t.Fatal("resumed file differs")
			}
		})
	}
}

// TestDownloadJSONAndChecksums: --output json prints one object per file; --checksums writes
// lines that sha256sum -c accepts in the download directory.
func TestDownloadJSONAndChecksums(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{})
	dir := t.TempDir()
	sums := filepath.Join(t.TempDir(), "SHA256SUMS")
	code, out, errOut := runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--output", "json", "--checksums", sums, "--progress", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	files := fake.DemoBackups()[fake.DemoPostgresDBLevel].Files
	if len(lines) != len(files) {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	for i, line := range lines {
		var r jsonResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		f := files[i]
		if r.Name != f.Name || r.Status != "downloaded" || !r.Verified || r.Bytes != f.Size*1024 || r.SHA256 != fmt.Sprintf("%x", contentSHA(f.Name, f.Size)) || len(r.MD5) != 32 {
			t.Errorf("line %d: %+v", i, r)
		}
	}
	b, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, n := range []string{"5f0a6bd2_billing.tar.gz", "5f0a6bd2_meta.json", "5f0a6bd2_orders.tar.gz"} {
		for _, f := range files {
			if f.Name == n {
				want += fmt.Sprintf("%x  %s\n", contentSHA(f.Name, f.Size), n)
			}
		}
	}
	if string(b) != want {
		t.Fatalf("checksums file:\n%s\nwant:\n%s", b, want)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "-c", sums)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	// a second run: skipped files are listed as such, still with their digests
	code, out, _ = runCmd(t, lookup, "download", "--backup-id", fake.DemoPostgresDBLevel, "--dir", dir, "--output", "json", "--checksums", sums, "--file", "5f0a6bd2_meta.json")
	var r jsonResult
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Status != "skipped" || !r.Verified || r.SHA256 == "" {
		t.Fatalf("second run: %d %q", code, out)
	}
}

// TestDownloadNoWait: --no-wait fails at once, naming the holder of the directory's lock.
func TestDownloadNoWait(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{})
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, download.LockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("pid 4242 on elsewhere since 2026-11-27T01:00:00Z\n")
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Skip(err)
	}
	code, _, errOut := runCmd(t, lookup, "download", "--backup-id", fake.DemoMySQLFull, "--dir", dir, "--no-wait")
	if code != 1 || !strings.Contains(errOut, "pid 4242 on elsewhere") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--version", "version"} {
		code, out, _ := runCmd(t, env(), arg)
		if code != 0 || !strings.HasPrefix(out, "rdsbackup "+rdsbackup.Version+" (") || strings.Count(out, "\n") != 1 {
			t.Fatalf("%s: %d %q", arg, code, out)
		}
	}
}

func TestDownloadRefusesHostileNames(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{Backups: map[string]fake.Backup{"b": {Bucket: "x", Files: []fake.File{{Name: "../../escape.sh", Size: 1}}}}})
	dir := t.TempDir()
	code, _, errOut := runCmd(t, lookup, "download", "--backup-id", "b", "--dir", filepath.Join(dir, "in"))
	if code != 1 || !strings.Contains(errOut, "unsafe file name") {
		t.Fatalf("exit %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.sh")); err == nil {
		t.Fatal("file written outside the directory")
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536000: "1.5 MiB", 1 << 30: "1.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCredentialFlags(t *testing.T) {
	t.Parallel()
	u, _ := startFake(t, fake.Config{})
	lookup := env(rdsbackup.EnvEndpoint, u, rdsbackup.EnvProjectID, project)
	code, out, errOut := runCmd(t, lookup, "files", "--backup-id", fake.DemoMySQLFull, "--ak", "AK", "--sk", "SECRET-KEY-XYZ")
	if code != 0 || !strings.Contains(out, "43e4feaab48f11e89039fa163ebaa7e4br01.qp") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "process list") || strings.Contains(errOut+out, "SECRET-KEY-XYZ") {
		t.Fatalf("want a warning about the flag and no secret: %q", errOut)
	}
	// the access key from the environment, the secret key from the flag
	code, _, errOut = runCmd(t, env(rdsbackup.EnvEndpoint, u, rdsbackup.EnvProjectID, project, rdsbackup.EnvAccessKey, "AK"), "files", "--backup-id", fake.DemoMySQLFull, "--sk", "wrong-secret-key")
	if code != 1 || !strings.Contains(errOut, "APIG.0301") {
		t.Fatalf("wrong key by flag: exit %d %q", code, errOut)
	}
}

// TestMistakesAreOneLine: a flag mistake is one line pointing at --help; --help lists the
// flags; a failed listing leaves no directory behind.
func TestMistakesAreOneLine(t *testing.T) {
	t.Parallel()
	_, lookup := startFake(t, fake.Config{})
	code, _, errOut := runCmd(t, lookup, "files", "--bogus")
	if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "-bogus") || !strings.Contains(errOut, "rdsbackup files --help") {
		t.Fatalf("exit %d %q", code, errOut)
	}
	code, _, errOut = runCmd(t, lookup, "download", "--help")
	if code != 0 || !strings.Contains(errOut, "-checksums") || !strings.Contains(errOut, "-no-wait") {
		t.Fatalf("--help: exit %d %q", code, errOut)
	}
	dir := filepath.Join(t.TempDir(), "new")
	code, _, errOut = runCmd(t, lookup, "download", "--backup-id", "00000000000000000000000000000000br01", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "DBS.201010") {
		t.Fatalf("unknown backup: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a failed listing created the directory")
	}
}

// TestFilesRaw: --output raw prints the exchange as received (status line, headers, body),
// never a request header, with credentials a server echoes in a header masked; a non-2xx
// answer is printed and exits 1.
func TestFilesRaw(t *testing.T) {
	t.Parallel()
	const token = "tok-RAW-SECRET-12345"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-"+r.Header.Get("X-Auth-Token"))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("backup_id") == "gone" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error_code":"DBS.201010","error_msg":"no"}`)
			return
		}
		io.WriteString(w, `{"files":[],"bucket":"b"}`)
	}))
	defer srv.Close()
	lookup := env(rdsbackup.EnvEndpoint, srv.URL, rdsbackup.EnvProjectID, project, rdsbackup.EnvAuthToken, token)
	code, out, errOut := runCmd(t, lookup, "files", "--backup-id", "b", "--output", "raw")
	want := "HTTP/1.1 200 OK\nContent-Length: 25\nContent-Type: application/json\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "\n\n{\"files\":[],\"bucket\":\"b\"}\n") ||
		!strings.Contains(out, "X-Request-Id: rid-REDACTED") || strings.Contains(out+errOut, token) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, lookup, "files", "--backup-id", "gone", "--output", "raw")
	if code != 1 || !strings.HasPrefix(out, "HTTP/1.1 404 Not Found\n") || !strings.Contains(out, "DBS.201010") || !strings.Contains(errOut, "404 Not Found (printed above)") {
		t.Fatalf("404: exit %d\n%s\n%s", code, out, errOut)
	}
}
