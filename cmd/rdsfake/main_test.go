package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// startRun runs the command until the test ends and returns the URL it printed.
func startRun(t *testing.T, args ...string) (string, *testutil.SyncBuffer, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr testutil.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, pw, &stderr); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("rdsfake did not stop")
		}
	})
	out := bufio.NewReader(pr)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v; stderr %s", err, stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	return url, &stderr, out
}

func TestReadyLineAndLogs(t *testing.T) {
	url, stderr, _ := startRun(t, "--listen", "127.0.0.1:0", "--project-id", "p1", "--token", "TOKEN-SECRET")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatal(url)
	}
	req, _ := http.NewRequest("GET", url+"/v3/p1/backup-files?backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01", nil)
	req.Header.Set("X-Auth-Token", "TOKEN-SECRET")
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != 200 {
		t.Fatalf("status %d", rsp.StatusCode)
	}
	time.Sleep(50 * time.Millisecond)
	log := stderr.String()
	if !strings.Contains(log, "backup_ids") || !strings.Contains(log, "status=200") || strings.Contains(log, "TOKEN-SECRET") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestTLSAndBackupsFile(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups.json")
	os.WriteFile(backups, []byte(`{"b1":{"bucket":"bk","files":[{"name":"f.bak","size":2}]}}`), 0o600)
	ca := filepath.Join(dir, "ca.pem")
	url, _, _ := startRun(t, "--listen", "127.0.0.1:0", "--project-id", "p1", "--backups", backups, "--tls", "--ca-out", ca)
	if !strings.HasPrefix(url, "https://") {
		t.Fatal(url)
	}
	pem, err := os.ReadFile(ca)
	if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("CA file: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"--project-id", "p", "--ak", "x"},
		{"--project-id", "p", "--ca-out", "x"},
		{"--project-id", "p", "--backups", "/nonexistent.json"},
		{"--project-id", "p", "--link-ttl", "-1s"},
		{"--project-id", "p", "extra"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, %q", args, code, stderr.String())
		}
	}
}

// TestObjectETagFlag: --object-etag chooses the ETag of the files behind the links; a bad
// value is a one-line usage error.
func TestObjectETagFlag(t *testing.T) {
	t.Parallel()
	t.Run("bad value", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"--project-id", "p", "--object-etag", "sha1"}, io.Discard, &stderr)
		if code != 2 || stderr.String() != "rdsfake: --object-etag must be md5, multipart or none\n" {
			t.Fatalf("exit %d, %q", code, stderr.String())
		}
	})
	tests := []struct {
		value string
		etag  *regexp.Regexp
	}{
		{"", regexp.MustCompile(`^"0c2b8d7c2a6b7109e95ad17e012f673e"$`)}, // default: MD5 of the 1 KB demo file
		{"md5", regexp.MustCompile(`^"0c2b8d7c2a6b7109e95ad17e012f673e"$`)},
		{"multipart", regexp.MustCompile(`^"[0-9a-f]{32}-3"$`)},
		{"none", regexp.MustCompile(`^$`)},
	}
	for _, tc := range tests {
		t.Run("value "+tc.value, func(t *testing.T) {
			t.Parallel()
			args := []string{"--listen", "127.0.0.1:0", "--project-id", "p1", "--token", "tok", "--log-format", "none"}
			if tc.value != "" {
				args = append(args, "--object-etag", tc.value)
			}
			url, _, _ := startRun(t, args...)
			req, _ := http.NewRequest("GET", url+"/v3/p1/backup-files?backup_id=5f0a6bd2a77f4b5e8f3c1d2e3f4a5b6cbr03", nil)
			req.Header.Set("X-Auth-Token", "tok")
			rsp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Files []struct {
					Name         string `json:"name"`
					DownloadLink string `json:"download_link"`
				}
			}
			err = json.NewDecoder(rsp.Body).Decode(&out)
			rsp.Body.Close()
			if err != nil || len(out.Files) != 3 || out.Files[2].Name != "5f0a6bd2_meta.json" {
				t.Fatalf("%v %+v", err, out)
			}
			obj, err := http.Head(out.Files[2].DownloadLink)
			if err != nil {
				t.Fatal(err)
			}
			obj.Body.Close()
			if obj.StatusCode != 200 || !tc.etag.MatchString(obj.Header.Get("ETag")) {
				t.Fatalf("status %d ETag %q, want %v", obj.StatusCode, obj.Header.Get("ETag"), tc.etag)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--version"}, &out, &errb)
	if code != 0 || !strings.HasPrefix(out.String(), "rdsfake "+rdsbackup.Version+" (") || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("exit %d %q %q", code, out.String(), errb.String())
	}
}
