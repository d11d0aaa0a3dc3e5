// Package recording reads and writes recordings of the RDS backup-files operation
// (GET /v3/{project_id}/backup-files) as go-vcr v4 cassettes (YAML, "version: 2"), and
// checks them with a contract.Validator.
//
// Reading: Load and LoadDir turn each interaction of a cassette into a contract.Exchange
// (request method, URL and headers; response status, headers and body). An interaction that
// is not a request for the operation's path (a download of a file behind a link, say) is
// kept but marked as skipped (Interaction.Skip says why); Validate does not check it. An
// interaction on the operation's path with another method is checked (and fails "route").
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
	"net/url"
	"os"
	"path"
	"path/filepath"
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
	// not checked (it is not a request for GET /v3/{project_id}/backup-files).
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

// LoadDir loads every *.yaml and *.yml file directly in dir (not in its subdirectories),
// in name order. A cassette that cannot be loaded does not stop the others: LoadDir returns
// every cassette it could load and, when some could not, an error joining one *LoadError per
// file. A dir that cannot be listed is an error with no cassettes.
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
	for i, in := range c.Interactions {
		if in == nil {
			return Cassette{}, &LoadError{File: file, Reason: fmt.Sprintf("interaction %d is empty", i)}
		}
		ex := contract.Exchange{
			Method:        in.Request.Method,
			URL:           in.Request.URL,
			RequestHeader: in.Request.Headers,
			StatusCode:    in.Response.Code,
			Header:        in.Response.Headers,
			Body:          []byte(in.Response.Body),
		}
		out.Interactions = append(out.Interactions, Interaction{Index: i, Exchange: ex, Skip: SkipReason(ex)})
	}
	return out, nil
}

// unwrapPath drops the *fs.PathError around err (LoadError already names the file).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SkipReason says why ex is not a request for the operation GET /v3/{project_id}/backup-files
// and so is not validated, or returns "" when it is one. Only the path decides: a request on
// the operation's path with another method is validated (and fails the "route" check), while
// any other path (the download of a file behind a link, a token request) is skipped.
func SkipReason(ex contract.Exchange) string {
	u, err := url.Parse(ex.URL)
	if err != nil {
		return "" // let the validator say what is wrong with the URL (check route)
	}
	if IsOperationPath(u.Path) {
		return ""
	}
	method := ex.Method
	if method == "" {
		method = "GET"
	}
	host := u.Host
	if host != "" {
		host = " on " + host
	}
	return fmt.Sprintf("%s %s%s is not the backup-files operation (GET /v3/{project_id}/backup-files)", method, u.EscapedPath(), host)
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
