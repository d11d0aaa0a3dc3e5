package recording

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Writer collects interactions that did not pass through a Recorder (rdsproxy's, say) and
// writes them as one go-vcr v4 cassette on Close. Each interaction is redacted when it is
// added (Redact, with the Writer's Options plus that interaction's own secrets), so that no
// secret is kept in memory longer than needed, and the cassette is checked for every secret
// seen before it is written, as a Recorder does. Its methods are safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	c      *cassette.Cassette
	file   string
	opts   Options
	words  []string // every secret seen, for the check before writing
	closed bool
}

// NewWriter returns a Writer of the cassette dir/name.yaml (see NewRecorder for name).
func NewWriter(dir, name string, opts Options) (*Writer, error) {
	name = strings.TrimSuffix(name, ".yaml")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("recording: cassette name %q is not a plain file name", name)
	}
	if dir == "" {
		return nil, errors.New("recording: no directory for the cassette")
	}
	c := cassette.New(filepath.Join(dir, name))
	c.MarshalFunc = yaml.Marshal
	return &Writer{c: c, file: c.File, opts: opts, words: opts.words()}, nil
}

// File returns the path of the cassette that Close writes.
func (w *Writer) File() string { return w.file }

// Add redacts in, with secrets (literal values seen in this interaction: its token, access
// key, signature) masked as Options.Secrets are, and keeps it for the cassette. It returns
// the interaction's index in the cassette.
func (w *Writer) Add(in *cassette.Interaction, secrets ...string) int {
	opts := w.opts
	opts.Secrets = append(slices.Clip(opts.Secrets), secrets...)
	Redact(in, opts)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range (Options{Secrets: secrets}).words() {
		if !slices.Contains(w.words, s) {
			w.words = append(w.words, s)
		}
	}
	w.c.AddInteraction(in)
	return in.ID
}

// Len returns the number of interactions added.
func (w *Writer) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.c.Interactions)
}

// Close writes the cassette (atomically; never when a secret seen is still in it). Only the
// first call writes.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.c.SaveWithFS(checkedFS{words: w.words}); err != nil {
		return fmt.Errorf("recording: writing %s: %w", w.file, err)
	}
	return nil
}
