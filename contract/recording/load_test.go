package recording_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/recording"
)

const minimalCassette = `---
version: 2
interactions:
    - id: 0
      request:
        url: https://rds.example.com/v3/p/backup-files?backup_id=b
        method: GET
        headers:
            X-Auth-Token:
                - REDACTED
      response:
        body: '{"error_code":"DBS.201010","error_msg":"Backup information does not exist."}'
        headers:
            Content-Type:
                - application/json
        code: 404
    - id: 1
      request:
        url: https://bucket.obs.example.com/object?Expires=1
        method: GET
      response:
        body: ""
        code: 200
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadConvertsInteractions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"one.yaml": minimalCassette})
	c, err := recording.Load(filepath.Join(dir, "one.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "one.yaml" || len(c.Interactions) != 2 {
		t.Fatalf("got %s with %d interactions, want one.yaml with 2", c.Name, len(c.Interactions))
	}
	ex := c.Interactions[0].Exchange
	if ex.Method != "GET" || ex.StatusCode != 404 || ex.Header.Get("Content-Type") != "application/json" ||
		ex.RequestHeader.Get("X-Auth-Token") != "REDACTED" || !strings.Contains(string(ex.Body), "DBS.201010") ||
		!strings.HasSuffix(ex.URL, "/v3/p/backup-files?backup_id=b") {
		t.Errorf("interaction 0 converted wrongly: %+v", ex)
	}
	if c.Interactions[0].Skip != "" || c.Interactions[1].Skip == "" {
		t.Errorf("skips: %q, %q; want only interaction 1 skipped", c.Interactions[0].Skip, c.Interactions[1].Skip)
	}
	if c.Interactions[1].Index != 1 {
		t.Errorf("index = %d, want 1", c.Interactions[1].Index)
	}
}

func TestLoadDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b.yaml":                minimalCassette,
		"a.yml":                 minimalCassette,
		"notes.txt":             "not a cassette",
		"known-bad/x--y.yaml":   minimalCassette, // a subdirectory is not read
		"z-broken.yaml":         "version: 2\ninteractions: [\n",
		"y-old.yaml":            "version: 1\ninteractions: []\n",
		"x-empty.yaml":          "\n",
		"w-none.yaml":           "---\nversion: 2\ninteractions: []\n",
		"v-not-a-cassette.yaml": "hello: world\n",
	})
	cs, err := recording.LoadDir(dir)
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "a.yml,b.yaml" {
		t.Errorf("loaded %s, want a.yml,b.yaml (in name order, despite the broken ones)", got)
	}
	if err == nil {
		t.Fatal("no error for the broken cassettes")
	}
	msg := err.Error()
	for _, want := range []struct{ file, reason string }{
		{"z-broken.yaml", "is not valid cassette YAML"},
		{"y-old.yaml", `is not a go-vcr v4 cassette (version 1, want "version: 2")`},
		{"x-empty.yaml", "is empty"},
		{"w-none.yaml", "holds no interactions"},
		{"v-not-a-cassette.yaml", "is not a go-vcr v4 cassette"},
	} {
		found := false
		for _, line := range strings.Split(msg, "\n") {
			if strings.Contains(line, want.file) {
				found = true
				if !strings.Contains(line, want.reason) {
					t.Errorf("error for %s is %q, want it to say %q", want.file, line, want.reason)
				}
			}
		}
		if !found {
			t.Errorf("no error line names %s:\n%s", want.file, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 5 {
		t.Errorf("%d error lines, want one per broken file (5):\n%s", n, msg)
	}
	var le *recording.LoadError
	if !errors.As(err, &le) {
		t.Error("the error does not hold a *LoadError")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "absent.yaml"), "absent.yaml: cannot be read: no such file or directory"},
		{"a directory", dir, "cannot be read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recording.Load(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Load(%s) = %v, want one line containing %q", tc.path, err, tc.want)
			}
		})
	}
	if _, err := recording.LoadDir(filepath.Join(dir, "absent")); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("LoadDir(absent) = %v, want an error naming it", err)
	}
}

func TestSkipReason(t *testing.T) {
	op := []string{"rds.example.com"}
	cases := []struct {
		method, url string
		hosts       []string
		skip        bool
	}{
		{"GET", "https://rds.example.com/v3/p/backup-files?backup_id=b", op, false},
		{"", "/v3/p/backup-files?backup_id=b", []string{""}, false},
		{"GET", "https://rds.example.com/v3/p/backup-files/", op, false},
		{"GET", "https://RDS.example.com:443/v3/p/backup-files", op, false},   // same host, spelled otherwise
		{"DELETE", "https://rds.example.com/v3/p/backup-files", op, false},    // validated: fails route
		{"GET", "https://rds.example.com/v2/p/backup-files", op, false},       // wrong version: route
		{"GET", "https://rds.example.com/v3/p/backup-file", op, false},        // singular: route
		{"GET", "https://rds.example.com/v3//backup-files", op, false},        // no project: route
		{"GET", "https://rds.example.com/v3/p/backups", op, false},            // another operation: route
		{"GET", "https://rds.example.com/v3/p/backup-files/extra", op, false}, // route
		{"POST", "https://rds.example.com/v3/auth/tokens", op, false},         // route
		{"GET", "https://rds.example.com/v2/p/backup-files", nil, false},      // no operation interaction at all
		{"GET", "https://bucket.obs.example.com/obj?Expires=1&Signature=REDACTED", nil, false},
		{"GET", "https://bucket.obs.example.com/obj?Expires=1&Signature=REDACTED", op, true},
		{"GET", "https://rds.example.com:8443/v3/p/backup-files", op, true}, // another port is another host
		{"HEAD", "https://rds.example.com/obs/bucket/backup/file", op, true},
		{"GET", "https://rds.example.com/obs/bucket/backup/file?Signature=REDACTED", nil, true},
		{"POST", "https://iam.example.com/v3/auth/tokens", op, true},
	}
	for _, tc := range cases {
		got := recording.SkipReason(contract.Exchange{Method: tc.method, URL: tc.url}, tc.hosts)
		if (got != "") != tc.skip {
			t.Errorf("SkipReason(%s %s, %q) = %q, want skipped=%v", tc.method, tc.url, tc.hosts, got, tc.skip)
		}
		if got != "" && (strings.Contains(got, "Signature") || !strings.Contains(got, "download of an object")) {
			t.Errorf("SkipReason(%s %s) = %q: want the path only and the reason", tc.method, tc.url, got)
		}
	}
}

func TestOperationHosts(t *testing.T) {
	got := recording.OperationHosts([]contract.Exchange{
		{URL: "https://RDS.example.com:443/v3/p/backup-files?backup_id=b"},
		{URL: "https://bucket.obs.example.com/obj"},
		{Method: "DELETE", URL: "https://rds.example.com/v3/p/backup-files"},
		{URL: "http://127.0.0.1:8080/v3/p/backup-files/"},
		{URL: "https://rds.example.com/v2/p/backup-files"},
		{URL: "/v3/p/backup-files"},
		{URL: "%zz"},
	})
	if want := "rds.example.com,127.0.0.1:8080,"; strings.Join(got, ",") != want {
		t.Errorf("OperationHosts = %q, want %q", got, want)
	}
}

// cassetteOf returns a cassette of the given interactions, each "METHOD URL".
func cassetteOf(requests ...string) string {
	var b strings.Builder
	b.WriteString("---\nversion: 2\ninteractions:\n")
	for i, r := range requests {
		method, u, _ := strings.Cut(r, " ")
		fmt.Fprintf(&b, `    - id: %d
      request:
        url: %s
        method: %s
      response:
        body: '{"error_code":"DBS.201010","error_msg":"Backup information does not exist."}'
        headers:
            Content-Type:
                - application/json
            X-Request-Id:
                - 0123456789abcdef0123456789abcdef
        code: 404
`, i, u, method)
	}
	return b.String()
}

// Interactions that are not on the operation's path are validated unless they are clearly
// downloads; a wrong path trips route instead of passing unseen.
func TestWrongPathsAreValidated(t *testing.T) {
	v := sharedValidator(t)
	cases := []struct {
		name     string
		requests []string
		checked  []int // interactions validated
		route    []int // interactions that trip route
	}{
		{"v2 path alone", []string{"GET https://rds.example.com/v2/p/backup-files?backup_id=b"}, []int{0}, []int{0}},
		{"singular path alone", []string{"GET https://rds.example.com/v3/p/backup-file?backup_id=b"}, []int{0}, []int{0}},
		{"v2 path beside the operation", []string{
			"GET https://rds.example.com/v3/p/backup-files?backup_id=b",
			"GET https://rds.example.com/v2/p/backup-files?backup_id=b",
			"GET https://bucket.obs.example.com/object?Expires=1",
			"GET https://rds.example.com/obs/bucket/object?Expires=1",
		}, []int{0, 1}, []int{1}},
		{"a download on another host and nothing else", []string{"GET https://bucket.obs.example.com/object?Expires=1"}, []int{0}, []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"c.yaml": cassetteOf(tc.requests...)})
			c, err := recording.Load(filepath.Join(dir, "c.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var checked []int
			for _, in := range c.Interactions {
				if in.Skip == "" {
					checked = append(checked, in.Index)
				}
			}
			if fmt.Sprint(checked) != fmt.Sprint(tc.checked) {
				t.Errorf("validated interactions %v, want %v", checked, tc.checked)
			}
			var route []int
			for _, f := range recording.Validate(v, c) {
				if f.Check == contract.CheckRoute && f.Severity == contract.Failure && !slices.Contains(route, f.Interaction) {
					route = append(route, f.Interaction)
				}
			}
			if fmt.Sprint(route) != fmt.Sprint(tc.route) {
				t.Errorf("interactions tripping route %v, want %v", route, tc.route)
			}
		})
	}
}

// A cassette of which no interaction is validated is an error, not a silent pass.
func TestCassetteWithoutTheOperationFails(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"downloads.yaml": cassetteOf("GET https://rds.example.com/obs/bucket/a?Expires=1", "HEAD https://x.example.com/obs/b"),
		"good.yaml":      minimalCassette,
	})
	_, err := recording.Load(filepath.Join(dir, "downloads.yaml"))
	if err == nil || !strings.Contains(err.Error(), "no interaction of the operation in downloads.yaml") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Load = %v, want one line saying there is no interaction of the operation in downloads.yaml", err)
	}
	var le *recording.LoadError
	if !errors.As(err, &le) {
		t.Errorf("error %T is not a *LoadError", err)
	}
	cs, err := recording.LoadDir(dir)
	if len(cs) != 1 || cs[0].Name != "good.yaml" || err == nil || !strings.Contains(err.Error(), "downloads.yaml") {
		t.Errorf("LoadDir = %d cassettes, %v; want good.yaml and an error naming downloads.yaml", len(cs), err)
	}
}

const lowercaseCassette = `---
version: 2
interactions:
    - id: 0
      request:
        url: https://rds.example.com/v3/p/backup-files?backup_id=b
        method: GET
        headers:
            x-auth-token:
                - REDACTED
      response:
        body: '{"files":[{"name":"f.qp","size":1,"download_link":"https://bucket.obs.example.com/f.qp?AccessKeyId=REDACTED&Expires=1767225600&Signature=REDACTED","link_expired_time":"2026-01-01T08:00:00+0800"}],"bucket":"bucket"}'
        headers:
            content-type:
                - application/json
            DATE:
                - %s
            x-request-id:
                - 0123456789abcdef0123456789abcdef
            X-Request-ID:
                - fedcba9876543210fedcba9876543210
        code: 200
`

// Header names are canonicalized on loading: a cassette written with lowercase names passes
// content_type, and its Date is seen by link_not_expired.
func TestLoadCanonicalizesHeaderNames(t *testing.T) {
	v := sharedValidator(t)
	dir := writeFiles(t, map[string]string{
		"before.yaml": fmt.Sprintf(lowercaseCassette, "Wed, 31 Dec 2025 23:55:00 GMT"),
		"after.yaml":  fmt.Sprintf(lowercaseCassette, "Thu, 01 Jan 2026 00:05:00 GMT"),
	})
	c, err := recording.Load(filepath.Join(dir, "before.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ex := c.Interactions[0].Exchange
	for _, h := range []http.Header{ex.Header, ex.RequestHeader} {
		for k := range h {
			if k != http.CanonicalHeaderKey(k) {
				t.Errorf("header name %q kept as written", k)
			}
		}
	}
	if got := ex.Header.Values("X-Request-Id"); len(got) != 2 {
		t.Errorf("X-Request-Id = %q, want the values of x-request-id and X-Request-ID merged", got)
	}
	if ex.RequestHeader.Get("X-Auth-Token") != "REDACTED" || ex.Header.Get("Date") == "" {
		t.Errorf("headers not found by canonical name: %v %v", ex.RequestHeader, ex.Header)
	}
	for _, f := range recording.Validate(v, c) {
		if f.Severity == contract.Failure {
			t.Errorf("lowercase headers: %s", f)
		}
	}
	c, err = recording.Load(filepath.Join(dir, "after.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tripped := false
	for _, f := range recording.Validate(v, c) {
		tripped = tripped || f.Check == contract.CheckLinkNotExpired && f.Severity == contract.Failure
	}
	if !tripped {
		t.Error("a lowercase date after the link's expiry does not trip link_not_expired")
	}
}

func TestExpectedCheck(t *testing.T) {
	cases := []struct {
		file, check string
		ok          bool
	}{
		{"timestamp_format--documentation-example.yaml", "timestamp_format", true},
		{"dir/schema--size-as-string.yml", "schema", true},
		{"link_https--a--b.yaml", "link_https", true},
		{"no-separator.yaml", "", false},
		{"--no-check.yaml", "", false},
		{"schema--.yaml", "", false},
		{"not_a_check--thing.yaml", "", false},
	}
	for _, tc := range cases {
		got, err := recording.ExpectedCheck(tc.file)
		if (err == nil) != tc.ok || got != tc.check {
			t.Errorf("ExpectedCheck(%s) = %q, %v; want %q, ok=%v", tc.file, got, err, tc.check, tc.ok)
		}
	}
}

func TestValidateFindings(t *testing.T) {
	v := sharedValidator(t)
	dir := writeFiles(t, map[string]string{"one.yaml": minimalCassette})
	c, err := recording.Load(filepath.Join(dir, "one.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fs := recording.Validate(v, c)
	// interaction 0: a conforming 404 without X-Request-Id: one warning; interaction 1: skipped
	if len(fs) != 1 || fs[0].Check != contract.CheckRequestID || fs[0].Severity != contract.Warning || fs[0].Interaction != 0 {
		t.Fatalf("findings = %v, want one request_id warning on interaction 0", fs)
	}
	if s := fs[0].String(); !strings.HasPrefix(s, "one.yaml interaction 0: request_id @ header:X-Request-Id") {
		t.Errorf("Finding.String() = %q", s)
	}
}

// The cassettes shipped in testdata load, conform (or, known-bad, trip their check).
func TestShippedCassettes(t *testing.T) {
	v := sharedValidator(t)
	good, err := recording.LoadDir(recordingsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) == 0 {
		t.Fatal("no cassettes in testdata/recordings")
	}
	for _, c := range good {
		for _, f := range recording.Validate(v, c) {
			if f.Severity == contract.Failure {
				t.Errorf("%s", f)
			}
		}
	}
	bad, err := recording.LoadDir(filepath.Join(recordingsDir, "known-bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bad {
		check, err := recording.ExpectedCheck(c.Name)
		if err != nil {
			t.Error(err)
			continue
		}
		tripped := false
		for _, f := range recording.Validate(v, c) {
			tripped = tripped || f.Check == check
		}
		if !tripped {
			t.Errorf("%s does not trip %s", c.Name, check)
		}
	}
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"rec/a.yaml":         {Data: []byte(minimalCassette)},
		"rec/bad.yaml":       {Data: []byte("version: 3\n")},
		"rec/sub/c.yaml":     {Data: []byte(minimalCassette)},
		"rec/readme.md":      {Data: []byte("#")},
		"other/ignored.yaml": {Data: []byte(minimalCassette)},
	}
	cs, err := recording.LoadFS(fsys, "rec")
	if len(cs) != 1 || cs[0].File != filepath.Join("rec", "a.yaml") {
		t.Fatalf("LoadFS = %v, want rec/a.yaml only", cs)
	}
	if err == nil || !strings.Contains(err.Error(), filepath.Join("rec", "bad.yaml")) || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("error = %v, want one naming rec/bad.yaml and its version", err)
	}
	if _, err := recording.LoadFS(fsys, "absent"); err == nil {
		t.Error("LoadFS(absent) = nil error")
	}
}
