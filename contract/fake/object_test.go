package fake_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// goldenContent holds the MD5 of Content(name, size) as computed by the fake before its
// block cache existed: the served bytes are part of the contract (recorded digests depend
// on them) and must never change.
var goldenContent = []struct {
	name string
	size int64
	md5  string
}{
	{"43e4feaab48f11e89039fa163ebaa7e4br01.qp", 2803, "3b9bb7ea28e157da083eb594cafc854f"},
	{"5f0a6bd2_meta.json", 1, "0c2b8d7c2a6b7109e95ad17e012f673e"},
	{"mysql-bin.000042", 0, "d41d8cd98f00b204e9800998ecf8427e"},
	{"5f0a6bd2_billing.tar.gz", 1500, "d84bba8dd2898761ac6efd7f5c66912e"},
	{"x", 65, "93815513b5ce2b78bb2b531c6332511a"},
	{"", 3, "18b26d2e2786e58c1f05738927fabd94"},
	{"naïve 名前.bak", 130, "739b40b2d5ad94e05bc4fd03023de7ad"},
}

func md5Hex(b []byte) string { d := md5.Sum(b); return hex.EncodeToString(d[:]) }

func TestContentGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenContent {
		t.Run(fmt.Sprintf("%s/%d", tc.name, tc.size), func(t *testing.T) {
			t.Parallel()
			for round := range 2 { // the second round reads the cached block
				all, err := io.ReadAll(fake.Content(tc.name, tc.size))
				if err != nil || int64(len(all)) != tc.size*1024 || md5Hex(all) != tc.md5 {
					t.Fatalf("round %d: %d bytes, md5 %s, err %v; want md5 %s", round, len(all), md5Hex(all), err, tc.md5)
				}
				// ReadAt at any offset agrees with the whole
				for _, off := range []int64{0, 5, 1023, 65535, 65536, 65540, tc.size*1024 - 3} {
					if off < 0 || off >= int64(len(all)) {
						continue
					}
					p := make([]byte, min(70000, int64(len(all))-off))
					if _, err := fake.Content(tc.name, tc.size).ReadAt(p, off); err != nil && err != io.EOF || !bytes.Equal(p, all[off:off+int64(len(p))]) {
						t.Fatalf("ReadAt(%d) disagrees: %v", off, err)
					}
				}
			}
			if got := fake.ETag(tc.name, tc.size); got != tc.md5 {
				t.Fatalf("ETag = %s, want the content's MD5 %s", got, tc.md5)
			}
		})
	}
}

// link returns the download link of a backup's file named name.
func link(t *testing.T, base, backup, name string) rdsbackup.BackupFile {
	t.Helper()
	for _, f := range files(t, base, backup).Files {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no file %s in %s", name, backup)
	return rdsbackup.BackupFile{}
}

var (
	md5ETag       = regexp.MustCompile(`^"[0-9a-f]{32}"$`)
	multipartETag = regexp.MustCompile(`^"[0-9a-f]{32}-3"$`)
)

func TestObjectETag(t *testing.T) {
	t.Parallel()
	const name = "5f0a6bd2_billing.tar.gz" // 1500 KB, MD5 d84bba8d…
	want := `"d84bba8dd2898761ac6efd7f5c66912e"`
	tests := []struct {
		mode  fake.ObjectETagMode
		check func(etag string) bool
	}{
		{"", func(e string) bool { return e == want && md5ETag.MatchString(e) }},
		{fake.ObjectETagMD5, func(e string) bool { return e == want }},
		{fake.ObjectETagMultipart, func(e string) bool { return multipartETag.MatchString(e) && !strings.Contains(e, want[1:33]) }},
		{fake.ObjectETagNone, func(e string) bool { return e == "" }},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			base := start(t, fake.Config{Token: "tok", ObjectETag: tc.mode})
			f := link(t, base, fake.DemoPostgresDBLevel, name)
			req, _ := http.NewRequest(http.MethodHead, f.DownloadLink, nil)
			head, _ := do(t, req)
			rsp, body := get(t, f.DownloadLink, nil)
			etag := rsp.Header.Get("ETag")
			if rsp.StatusCode != 200 || !tc.check(etag) || head.Header.Get("ETag") != etag {
				t.Fatalf("mode %q: status %d, GET ETag %q, HEAD ETag %q", tc.mode, rsp.StatusCode, etag, head.Header.Get("ETag"))
			}
			if md5Hex(body) != want[1:33] {
				t.Fatalf("body MD5 %s", md5Hex(body))
			}
			if etag != "" { // the tag works as a validator for resuming
				rsp, _ = get(t, f.DownloadLink, map[string]string{"Range": "bytes=10-", "If-Range": etag})
				if rsp.StatusCode != 206 {
					t.Fatalf("If-Range with the ETag: %d", rsp.StatusCode)
				}
			}
		})
	}
}

func TestNewRejectsBadObjectETag(t *testing.T) {
	t.Parallel()
	if _, err := fake.New(fake.Config{ProjectID: project, ObjectETag: "sha1"}); err == nil || !strings.Contains(err.Error(), "sha1") {
		t.Fatalf("err %v", err)
	}
}

func TestCorruptObjects(t *testing.T) {
	t.Parallel()
	const bad = "5f0a6bd2_orders.tar.gz"
	base := start(t, fake.Config{Token: "tok", CorruptObjects: map[string]bool{bad: true, "mysql-bin.000042": true}})
	out := files(t, base, fake.DemoPostgresDBLevel)
	for _, f := range out.Files {
		right, _ := io.ReadAll(fake.Content(f.Name, f.Size))
		rsp, body := get(t, f.DownloadLink, nil)
		if rsp.StatusCode != 200 || len(body) != len(right) || rsp.Header.Get("ETag") != `"`+md5Hex(right)+`"` {
			t.Fatalf("%s: status %d, %d bytes, ETag %s", f.Name, rsp.StatusCode, len(body), rsp.Header.Get("ETag"))
		}
		var diff []int
		for i := range body {
			if body[i] != right[i] {
				diff = append(diff, i)
			}
		}
		switch {
		case f.Name == bad && (len(diff) != 1 || diff[0] != len(right)/2 || md5Hex(body) == md5Hex(right)):
			t.Fatalf("%s: differing bytes at %v, want one at %d", f.Name, diff, len(right)/2)
		case f.Name != bad && len(diff) != 0:
			t.Fatalf("%s is not corrupted but differs at %v", f.Name, diff)
		}
		if f.Name != bad {
			continue
		}
		// ranges: the flipped byte is wrong in every range that holds it, and only there
		mid := len(right) / 2
		for _, r := range [][2]int{{mid - 5, mid + 5}, {mid, mid}, {mid + 1, len(right) - 1}, {0, mid - 1}} {
			rsp, body := get(t, f.DownloadLink, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", r[0], r[1])})
			want := append([]byte(nil), right[r[0]:r[1]+1]...)
			if mid >= r[0] && mid <= r[1] {
				want[mid-r[0]] ^= 0xff
			}
			if rsp.StatusCode != 206 || !bytes.Equal(body, want) {
				t.Fatalf("%s range %v: status %d, wrong bytes", f.Name, r, rsp.StatusCode)
			}
		}
	}
	empty := files(t, base, fake.DemoMySQLBinlog).Files[0]
	if rsp, body := get(t, empty.DownloadLink, nil); rsp.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("empty file: %d, %d bytes", rsp.StatusCode, len(body))
	}
}

// TestRangeAtEnd: Range bytes=N- with N the object's length means "you have it all"; the
// downloader relies on the 416 and its Content-Range: bytes */N. (An empty object is sent
// whole, 200 with no body, as http.ServeContent does.)
func TestRangeAtEnd(t *testing.T) {
	t.Parallel()
	base := start(t, fake.Config{Token: "tok"})
	tests := []struct {
		backup, name string
		rng          string
		status       int
		contentRange string
	}{
		{fake.DemoMySQLFull, "43e4feaab48f11e89039fa163ebaa7e4br01.qp", "bytes=2870272-", 416, "bytes */2870272"},
		{fake.DemoMySQLFull, "43e4feaab48f11e89039fa163ebaa7e4br01.qp", "bytes=2870273-", 416, "bytes */2870272"},
		{fake.DemoMySQLFull, "43e4feaab48f11e89039fa163ebaa7e4br01.qp", "bytes=2870271-", 206, "bytes 2870271-2870271/2870272"},
		{fake.DemoPostgresDBLevel, "5f0a6bd2_meta.json", "bytes=1024-", 416, "bytes */1024"},
		{fake.DemoMySQLBinlog, "mysql-bin.000042", "bytes=0-", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/"+tc.rng, func(t *testing.T) {
			t.Parallel()
			f := link(t, base, tc.backup, tc.name)
			rsp, _ := get(t, f.DownloadLink, map[string]string{"Range": tc.rng})
			if rsp.StatusCode != tc.status || rsp.Header.Get("Content-Range") != tc.contentRange {
				t.Fatalf("status %d Content-Range %q, want %d %q", rsp.StatusCode, rsp.Header.Get("Content-Range"), tc.status, tc.contentRange)
			}
		})
	}
}

// TestAuthenticateBeforeValidating: the gateway authenticates an API request before its
// parameters are looked at; object links keep their own signature; unknown routes are 404.
func TestAuthenticateBeforeValidating(t *testing.T) {
	t.Parallel()
	noID := "/v3/" + project + "/backup-files"
	configs := []struct {
		name  string
		cfg   fake.Config
		valid func(t *testing.T, req *http.Request) *http.Request // adds valid credentials
	}{
		{"token", fake.Config{Token: "tok"}, func(t *testing.T, req *http.Request) *http.Request {
			req.Header.Set("X-Auth-Token", "tok")
			return req
		}},
		{"aksk", fake.Config{AccessKey: "AK", SecretKey: "SK"}, func(t *testing.T, req *http.Request) *http.Request {
			if err := (&signer.Signer{AccessKey: "AK", SecretKey: "SK", ProjectID: project}).Sign(req); err != nil {
				t.Fatal(err)
			}
			return req
		}},
	}
	type tcase struct {
		name   string
		req    func(t *testing.T, base string) *http.Request
		status int
		code   string
	}
	for _, c := range configs {
		plain := func(path string, hdr ...string) func(t *testing.T, base string) *http.Request {
			return func(t *testing.T, base string) *http.Request {
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Add(hdr[i], hdr[i+1])
				}
				return req
			}
		}
		valid := func(path string, hdr ...string) func(t *testing.T, base string) *http.Request {
			return func(t *testing.T, base string) *http.Request { return c.valid(t, plain(path, hdr...)(t, base)) }
		}
		tests := []tcase{
			{"no credentials, no backup_id", plain(noID), 401, "APIG.0301"},
			{"no credentials, empty backup_id", plain(noID + "?backup_id="), 401, "APIG.0301"},
			{"no credentials, X-Language twice", plain(noID+"?backup_id=x", "X-Language", "en-us", "X-Language", "zh-cn"), 401, "APIG.0301"},
			{"wrong token, no backup_id", plain(noID, "X-Auth-Token", "nope"), 401, "APIG.0301"},
			{"bad signature, no backup_id", func(t *testing.T, base string) *http.Request {
				return signedRequest(t, base+noID, "AK", "wrong", time.Now())
			}, 401, "APIG.0301"},
			{"valid credentials, no backup_id", valid(noID), 400, "DBS.200001"},
			{"valid credentials, X-Language twice", valid(noID+"?backup_id=x", "X-Language", "en-us", "X-Language", "zh-cn"), 400, "DBS.200001"},
			{"valid credentials, backup_id", valid(noID + "?backup_id=" + fake.DemoMySQLFull), 200, ""},
			{"no credentials, unknown path", plain("/v3/" + project + "/backups"), 404, "APIG.0101"},
			{"no credentials, wrong method", func(t *testing.T, base string) *http.Request {
				req, _ := http.NewRequest(http.MethodPost, base+noID, nil)
				return req
			}, 404, "APIG.0101"},
			{"no credentials, root", plain("/"), 404, "APIG.0101"},
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base := start(t, c.cfg)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					rsp, body := do(t, tc.req(t, base))
					if rsp.StatusCode != tc.status {
						t.Fatalf("status %d, want %d: %s", rsp.StatusCode, tc.status, body)
					}
					if tc.code == "" {
						return
					}
					var e rdsbackup.Error
					if err := json.Unmarshal(body, &e); err != nil || e.ErrorCode != tc.code || e.ErrorMsg == "" ||
						!strings.HasPrefix(rsp.Header.Get("Content-Type"), "application/json") {
						t.Fatalf("body %s, Content-Type %s, want %s", body, rsp.Header.Get("Content-Type"), tc.code)
					}
					if strings.HasPrefix(tc.code, "APIG.") && (e.RequestId == nil || *e.RequestId != rsp.Header.Get("X-Request-Id")) {
						t.Fatalf("gateway error without the request id: %s", body)
					}
				})
			}
			// object links need no gateway credentials, only their own signature
			var f rdsbackup.BackupFile
			{
				rsp, body := do(t, valid(noID+"?backup_id="+fake.DemoMySQLFull)(t, base))
				var out rdsbackup.BackupFiles
				if rsp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
					t.Fatalf("%d %s", rsp.StatusCode, body)
				}
				f = out.Files[0]
			}
			if rsp, _ := get(t, f.DownloadLink, nil); rsp.StatusCode != 200 {
				t.Fatalf("object link without gateway credentials: %d", rsp.StatusCode)
			}
			if rsp, body := get(t, strings.Replace(f.DownloadLink, "Signature=", "Signature=0", 1), nil); rsp.StatusCode != 403 || !bytes.Contains(body, []byte("SignatureDoesNotMatch")) {
				t.Fatalf("bad link signature: %d %s", rsp.StatusCode, body)
			}
		})
	}
}
