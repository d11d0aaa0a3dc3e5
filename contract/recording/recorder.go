package recording

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/recorder"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// Recorder records the HTTP traffic that passes through it into one go-vcr v4 cassette,
// redacted. It is an http.RoundTripper: put it in the transport chain of the client whose
// traffic is to be recorded, and call Stop once at the end to write the cassette.
//
// It runs go-vcr's recorder in ModeRecordOnly: every request goes to the real endpoint and
// every run writes a fresh cassette (an existing file of the same name is replaced), because
// a conformance run must see what the endpoint answers today, never a replay
// (ModeReplayWithNewEpisodes would answer from an old cassette).
//
// Redaction (Redact, with the Options given to NewRecorder) happens in go-vcr's
// BeforeSaveHook, so that the caller receives the response exactly as the endpoint sent it
// (a download link stays usable) while nothing secret is written: go-vcr keeps interactions
// in memory and writes them only in Stop, after the hook. As a last line of defence the
// cassette's bytes are searched for the literal secrets and the project ID of the Options
// before they are written, and Stop fails rather than write a cassette holding one. go-vcr's
// debug log (VCR_DEBUG) is never enabled, since it would print requests unredacted.
type Recorder struct {
	rec  *recorder.Recorder
	file string

	mu      sync.Mutex
	stopped bool
	stopErr error
}

// NewRecorder returns a Recorder that sends requests on with next (http.DefaultTransport
// when nil) and, on Stop, writes the cassette dir/name.yaml (name may end in ".yaml"; it may
// not contain a path separator). dir is created on Stop if needed.
func NewRecorder(dir, name string, next http.RoundTripper, opts Options) (*Recorder, error) {
	name = strings.TrimSuffix(name, ".yaml")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("recording: cassette name %q is not a plain file name", name)
	}
	if dir == "" {
		return nil, errors.New("recording: no directory for the cassette")
	}
	if next == nil {
		next = http.DefaultTransport
	}
	words := opts.words()
	rec, err := recorder.New(filepath.Join(dir, name),
		recorder.WithMode(recorder.ModeRecordOnly),
		recorder.WithRealTransport(next),
		recorder.WithSkipRequestLatency(true), // do not wait the recorded duration again
		recorder.WithHook(func(in *cassette.Interaction) error {
			Redact(in, opts)
			return nil
		}, recorder.BeforeSaveHook),
		recorder.WithFS(checkedFS{words: words}),
		recorder.WithDebugWriter(silent{}), // a writer other than io.Discard: VCR_DEBUG cannot turn it on
	)
	if err != nil {
		return nil, fmt.Errorf("recording: starting the recorder: %w", err)
	}
	return &Recorder{rec: rec, file: filepath.Join(dir, name+".yaml")}, nil
}

// RoundTrip sends req with the next transport and keeps the exchange for the cassette.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	return r.rec.RoundTrip(req)
}

// File returns the path of the cassette that Stop writes.
func (r *Recorder) File() string { return r.file }

// Stop redacts the interactions recorded so far and writes the cassette. Only the first
// call writes; later calls return the first call's error.
func (r *Recorder) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return r.stopErr
	}
	r.stopped = true
	if err := r.rec.Stop(); err != nil {
		r.stopErr = fmt.Errorf("recording: writing %s: %w", r.file, err)
	}
	return r.stopErr
}

// silent discards go-vcr's debug log.
type silent struct{}

func (silent) Write(p []byte) (int, error) { return len(p), nil }

// checkedFS writes cassettes atomically (a temporary file renamed into place, mode 0644),
// after checking that none of words is left in them (redact.ContainsValue).
type checkedFS struct{ words []string }

func (checkedFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

func (checkedFS) IsFileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func (fs checkedFS) WriteFile(name string, data []byte) error {
	// the same rule as the masking (redact.Values), so the two never disagree
	if i, found := redact.ContainsValue(string(data), fs.words...); found {
		// never name the value itself
		return fmt.Errorf("refusing to write %s: secret #%d of the redaction options is still in it", filepath.Base(name), i+1)
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, 0o644)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
