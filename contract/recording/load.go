// Package recording reads and writes recordings of the RDS backup-files operation
// (GET /v3/{project_id}/backup-files) as go-vcr v4 cassettes (YAML, "version: 2"), and
// checks them with a contract.Validator.
//
// Reading: Load and LoadDir turn each interaction of a cassette into a contract.Exchange
// (request method, URL and headers; response status, headers and body). Header names are
// canonicalized (http.CanonicalHeaderKey: a cassette written by hand may say "content-type"
// or "DATE"), values of names that differ only in case being merged.
//
// An interaction is skipped (kept, with Interaction.Skip saying why; Validate does not check
// it) only when it is clearly the download of an object behind a link: its host differs from
// the host of the cassette's operation interactions (those on /v3/{project_id}/backup-files),
// or its path starts with /obs/ (the fake's downloads). Every other interaction is checked,
// whatever its method or path: a wrong path (/v2/{project_id}/backup-files, a singular
// /v3/{project_id}/backup-file) or method fails check "route". A cassette none of whose
// interactions is checked is an error ("no interaction of the operation in FILE"), never a
// silent pass.
//
// Writing: NewRecorder wraps go-vcr's recorder in ModeRecordOnly and redacts every secret
// (credential headers, cookies, the signing query parameters of URLs in the request and in
// the response body, given literal secrets and, optionally, the project ID) in a
// BeforeSaveHook, before a byte reaches the disk. See Recorder.
//
// Known-bad cassettes, which must trip one check, are named "<check>--<description>.yaml"
// (see ExpectedCheck).
package recording

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/internal/redact"
)

// Cassette is one recording file and its interactions, in file order.
type Cassette struct {
	File         string        // the path the cassette was read from
	Name         string        // the file's base name, e.g. "doc-example.yaml"
	Interactions []Interaction // every interaction of the file
}

// Interaction is one recorded request and its response.
type Interaction struct {
	Index    int               // position in the cassette, from 0
	Exchange contract.Exchange // the request and response, as recorded
	// Skip is empty for an interaction that Validate checks, and otherwise says why it is
	// not checked (it is the download of an object behind a link: see SkipReason).
	Skip string
}

// Finding is one violation found in one interaction of a cassette.
type Finding struct {
	File        string // the cassette's base name
	Interaction int    // the interaction's index in the cassette
	contract.Violation
}

// String renders f on one line: "file interaction N: check @ where: ...".
func (f Finding) String() string {
	return fmt.Sprintf("%s interaction %d: %s", f.File, f.Interaction, f.Violation.String())
}

// LoadError is the error of a cassette that cannot be read or is not a go-vcr v4 cassette.
// Its message is one line and names the file.
type LoadError struct {
	File   string // the path of the cassette
	Reason string // what is wrong, in a few words
	Err    error  // the underlying error, if any
}

// Error returns "recording: FILE: reason: cause" on one line; URLs and secret name=value
// pairs quoted from the file by the YAML parser are redacted.
func (e *LoadError) Error() string {
	msg := "recording: " + e.File + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + maskPairs(redact.Links(oneLine(e.Err.Error())))
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// oneLine folds a possibly multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// isCassetteName reports whether a file name has a cassette's extension.
func isCassetteName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// LoadDir loads every *.yaml and *.yml file directly in dir, in name order. It does not
// descend into subdirectories, on purpose: the known-bad cassettes live in dir/known-bad and
// must not be checked as conforming ones; point LoadDir (or RDS_RECORDINGS) at each directory
// to check. A cassette that cannot be loaded, or that holds no interaction of the operation,
// does not stop the others: LoadDir returns every cassette it could load and, when some could
// not, an error joining one *LoadError per file. A dir that cannot be listed is an error with
// no cassettes.
func LoadDir(dir string) ([]Cassette, error) {
	return loadDir(os.DirFS(dir), ".", dir)
}

// LoadFS is LoadDir for the directory dir of fsys (an embed.FS, say); file names in
// Cassette.File and in errors are dir/name.
func LoadFS(fsys fs.FS, dir string) ([]Cassette, error) {
	return loadDir(fsys, dir, dir)
}

// loadDir loads the cassettes of dir in fsys; shown is how dir is named in File and errors.
func loadDir(fsys fs.FS, dir, shown string) ([]Cassette, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("recording: listing %s: %w", shown, unwrapPath(err))
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() || !isCassetteName(e.Name()) {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var (
		out  []Cassette
		errs []error
	)
	for _, n := range names {
		display := filepath.Join(shown, n)
		data, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			errs = append(errs, &LoadError{File: display, Reason: "cannot be read", Err: unwrapPath(err)})
			continue
		}
		c, err := parse(display, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// bytesFS hands go-vcr's loader bytes already read, whatever the name asked for.
type bytesFS struct{ data []byte }

func (f bytesFS) ReadFile(string) ([]byte, error) { return f.data, nil }
func (f bytesFS) WriteFile(string, []byte) error  { return errors.New("recording: read only") }
func (f bytesFS) IsFileExists(string) bool        { return true }

// Load reads one cassette file with go-vcr's own loader and converts its interactions.
// The error, if any, is a *LoadError.
func Load(file string) (Cassette, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Cassette{}, &LoadError{File: file, Reason: "cannot be read", Err: unwrapPath(err)}
	}
	return parse(file, data)
}

// parse reads the cassette data of the file file.
func parse(file string, data []byte) (Cassette, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return Cassette{}, &LoadError{File: file, Reason: "is empty, not a go-vcr cassette"}
	}
	// go-vcr's loader takes a file without "version" for the current version: ask for it.
	var head struct {
		Version int `yaml:"version"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return Cassette{}, &LoadError{File: file, Reason: "is not valid cassette YAML", Err: err}
	}
	if head.Version != cassette.CassetteFormatVersion {
		return Cassette{}, &LoadError{File: file, Reason: fmt.Sprintf("is not a go-vcr v4 cassette (version %d, want \"version: %d\")", head.Version, cassette.CassetteFormatVersion)}
	}
	c, err := cassette.LoadWithFS(strings.TrimSuffix(file, filepath.Ext(file)), bytesFS{data: data})
	if err != nil {
		return Cassette{}, &LoadError{File: file, Reason: "is not valid cassette YAML", Err: err}
	}
	if len(c.Interactions) == 0 {
		return Cassette{}, &LoadError{File: file, Reason: "holds no interactions"}
	}
	out := Cassette{File: file, Name: filepath.Base(file), Interactions: make([]Interaction, 0, len(c.Interactions))}
	exs := make([]contract.Exchange, 0, len(c.Interactions))
	for i, in := range c.Interactions {
		if in == nil {
			return Cassette{}, &LoadError{File: file, Reason: fmt.Sprintf("interaction %d is empty", i)}
		}
		exs = append(exs, contract.Exchange{
			Method:        in.Request.Method,
			URL:           in.Request.URL,
			RequestHeader: canonicalHeader(in.Request.Headers),
			StatusCode:    in.Response.Code,
			Header:        canonicalHeader(in.Response.Headers),
			Body:          []byte(in.Response.Body),
		})
	}
	hosts := OperationHosts(exs)
	checked := 0
	for i, ex := range exs {
		skip := SkipReason(ex, hosts)
		if skip == "" {
			checked++
		}
		out.Interactions = append(out.Interactions, Interaction{Index: i, Exchange: ex, Skip: skip})
	}
	if checked == 0 {
		return Cassette{}, &LoadError{File: file, Reason: fmt.Sprintf(
			"no interaction of the operation in %s: its %d interaction(s) are all object downloads (another host than the operation's, or a path under /obs/), which are not validated",
			filepath.Base(file), len(exs))}
	}
	return out, nil
}

// canonicalHeader returns h with every name in canonical form (http.CanonicalHeaderKey),
// merging the values of names that differ only in case (in the order of the names as
// written, sorted); h itself when every name is already canonical.
func canonicalHeader(h http.Header) http.Header {
	canonical := true
	for k := range h {
		if http.CanonicalHeaderKey(k) != k {
			canonical = false
			break
		}
	}
	if canonical {
		return h
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(http.Header, len(h))
	for _, k := range keys {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], h[k]...)
	}
	return out
}

// unwrapPath drops the *fs.PathError around err (LoadError already names the file).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// OperationHosts returns the hosts (lower case, without the scheme's default port) of the
// exchanges on the operation's path, /v3/{project_id}/backup-files, whatever their method,
// each once, in the order met. A relative URL's host is "".
func OperationHosts(exs []contract.Exchange) []string {
	var hosts []string
	for _, ex := range exs {
		u, err := url.Parse(ex.URL)
		if err != nil || !IsOperationPath(u.Path) {
			continue
		}
		h := hostOf(u)
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// hostOf is u's host in lower case, without the default port of its scheme.
func hostOf(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		h = strings.TrimSuffix(h, ":443")
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// SkipReason says why ex, an interaction of a cassette whose operation interactions are on
// operationHosts (see OperationHosts), is not validated, or returns "" when it is validated.
// Only what is clearly the download of an object behind a link is skipped: a request to
// another host than every one of operationHosts (when there is at least one), or one whose
// path starts with /obs/. Everything else is validated, so that a request on a wrong path
// (/v2/{project_id}/backup-files, /v3/{project_id}/backup-file) or with a wrong method fails
// check "route" instead of passing unseen; so is an interaction whose URL does not parse.
func SkipReason(ex contract.Exchange, operationHosts []string) string {
	u, err := url.Parse(ex.URL)
	if err != nil {
		return "" // let the validator say what is wrong with the URL (check route)
	}
	host := hostOf(u)
	var why string
	switch {
	case strings.HasPrefix(u.Path, "/obs/"):
		why = "its path is under /obs/"
	case len(operationHosts) > 0 && !slices.Contains(operationHosts, host):
		why = "its host is not the operation's (" + strings.Join(operationHosts, ", ") + ")"
	default:
		return ""
	}
	method := ex.Method
	if method == "" {
		method = "GET"
	}
	on := ""
	if u.Host != "" {
		on = " on " + u.Host
	}
	return fmt.Sprintf("%s %s%s is the download of an object, not the backup-files operation (GET /v3/{project_id}/backup-files): %s", method, u.EscapedPath(), on, why)
}

// IsOperationPath reports whether urlPath is /v3/{project_id}/backup-files (with an optional
// trailing slash) for a non-empty project_id.
func IsOperationPath(urlPath string) bool {
	p := strings.TrimSuffix(urlPath, "/")
	rest, ok := strings.CutPrefix(p, "/v3/")
	if !ok {
		return false
	}
	project, tail, ok := strings.Cut(rest, "/")
	return ok && project != "" && tail == "backup-files"
}

// Validate checks every interaction of c that is not skipped and returns the violations of
// all severities, interaction by interaction, each in the validator's order. Use
// contract.Failures on the Violations (or check Severity) to keep only the failures.
func Validate(v *contract.Validator, c Cassette) []Finding {
	var out []Finding
	for _, in := range c.Interactions {
		if in.Skip != "" {
			continue
		}
		for _, vi := range v.Validate(in.Exchange) {
			out = append(out, Finding{File: c.Name, Interaction: in.Index, Violation: vi})
		}
	}
	return out
}

// ExpectedCheck returns the check that a known-bad cassette must trip, read from its file
// name "<check>--<description>.yaml" (or .yml), e.g. "timestamp_format--documentation-example.yaml".
// The check must be one of contract.Checks.
func ExpectedCheck(fileName string) (string, error) {
	base := filepath.Base(fileName)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	check, desc, ok := strings.Cut(stem, "--")
	if !ok || check == "" || desc == "" {
		return "", fmt.Errorf("recording: known-bad cassette %s is not named <check>--<description>.yaml", base)
	}
	for _, c := range contract.Checks {
		if c == check {
			return check, nil
		}
	}
	return "", fmt.Errorf("recording: known-bad cassette %s names check %q, which is not one of %s", base, check, strings.Join(contract.Checks, ", "))
}
