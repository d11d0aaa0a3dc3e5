package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/download"
	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// downloadFlags are the flags of `rdsbackup download`.
type downloadFlags struct {
	conn
	backupID, dir, progress, output, checksums string
	parallel                                   int
	force, noWait                              bool
	only                                       []string
}

func (f *downloadFlags) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet("download", stderr)
	f.register(fs)
	fs.StringVar(&f.backupID, "backup-id", "", "the backup's ID (required)")
	fs.StringVar(&f.dir, "dir", ".", "directory to write the files into (created if missing)")
	fs.IntVar(&f.parallel, "parallel", 2, "files downloaded at once (1-64)")
	fs.BoolVar(&f.force, "force", false, "download again files that are already there")
	fs.BoolVar(&f.noWait, "no-wait", false, "fail at once when another download holds the directory's lock")
	fs.Func("file", "download only this file (repeat for several)", func(s string) error {
		f.only = append(f.only, s)
		return nil
	})
	fs.StringVar(&f.progress, "progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or none")
	fs.StringVar(&f.output, "output", "text", "text (a line per file) or json (a JSON object per file and line)")
	fs.StringVar(&f.checksums, "checksums", "", "also write the SHA-256 of every complete file to FILE (sha256sum -c format)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case f.backupID == "":
		return &usageError{"--backup-id is required"}
	case f.parallel < 1 || f.parallel > 64:
		return &usageError{"--parallel must be between 1 and 64"}
	case f.output != "text" && f.output != "json":
		return &usageError{fmt.Sprintf("--output %q: want text or json", f.output)}
	}
	if f.progress == "auto" {
		f.progress = "lines"
		if isTerminal(stderr) {
			f.progress = "bar"
		}
	}
	if f.progress != "bar" && f.progress != "lines" && f.progress != "none" {
		return &usageError{fmt.Sprintf("--progress %q: want auto, bar, lines or none", f.progress)}
	}
	return nil
}

func cmdDownload(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) error {
	var f downloadFlags
	if err := f.parse(args, stderr); err != nil {
		return err
	}
	api, timeout, err := f.client(lookup, stderr)
	if err != nil {
		return err
	}
	d := &download.Downloader{
		API:        api,
		Dir:        f.dir,
		Parallel:   f.parallel,
		Force:      f.force,
		NoWait:     f.noWait,
		SHA256:     f.checksums != "",
		StallAfter: timeout,
		Log: func(format string, args ...any) {
			fmt.Fprintln(stderr, "rdsbackup: "+textsafe.Escape(oneLine(fmt.Sprintf(format, args...))))
		},
		NewProgress: newProgress(f.progress, stderr),
	}
	results, err := d.Download(ctx, f.backupID, f.only)
	if len(results) == 0 {
		return err // nothing started: the listing, the lock or the names failed
	}
	report := writeResultsText
	if f.output == "json" {
		report = writeResultsJSON
	}
	if werr := report(stdout, results); werr != nil {
		return werr
	}
	if f.checksums != "" {
		if cerr := writeChecksums(f.checksums, results); cerr != nil {
			fmt.Fprintln(stderr, "rdsbackup: "+oneLine(cerr.Error()))
			err = errors.Join(err, errReported)
		}
	}
	if err == nil {
		return nil
	}
	failed := reportFailures(ctx, stderr, results)
	if failed == 0 {
		return err
	}
	return errReported
}

// status names what happened to a file, for both outputs.
func status(r download.FileResult) string {
	switch {
	case r.Err != nil && errors.Is(r.Err, context.Canceled):
		return "interrupted"
	case r.Err != nil:
		return "failed"
	case r.Skipped:
		return "skipped"
	case r.Resumed:
		return "resumed"
	}
	return "downloaded"
}

// verification says how a complete file was checked.
func verification(r download.FileResult) string {
	if r.Verified {
		return "MD5 verified"
	}
	if r.Note != "" {
		return r.Note
	}
	return "not verified"
}

func writeResultsText(w io.Writer, results []download.FileResult) error {
	for _, r := range results {
		var err error
		switch {
		case r.Err != nil:
			continue // on stderr, with the reason
		case r.Skipped:
			_, err = fmt.Fprintf(w, "%s\talready complete (%s, %s); not downloaded again without --force\n", textsafe.Escape(r.Path), humanBytes(r.Bytes), verification(r))
		case r.Resumed:
			_, err = fmt.Fprintf(w, "%s\tresumed and completed (%s, %s)\n", textsafe.Escape(r.Path), humanBytes(r.Bytes), verification(r))
		default:
			_, err = fmt.Fprintf(w, "%s\tdownloaded (%s, %s)\n", textsafe.Escape(r.Path), humanBytes(r.Bytes), verification(r))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonResult is one line of `download --output json`.
type jsonResult struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Status   string `json:"status"` // downloaded, resumed, skipped, failed, interrupted
	Bytes    int64  `json:"bytes"`
	Total    int64  `json:"total_bytes"`
	MD5      string `json:"md5,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Verified bool   `json:"verified"`
	Note     string `json:"note,omitempty"`
	Error    string `json:"error,omitempty"`
}

func writeResultsJSON(w io.Writer, results []download.FileResult) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		j := jsonResult{Name: r.Name, Path: r.Path, Status: status(r), Bytes: r.Bytes, Total: r.Total,
			MD5: r.MD5, SHA256: r.SHA256, Verified: r.Verified, Note: r.Note}
		if r.Err != nil {
			j.Error = oneLine(r.Err.Error())
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}

// reportFailures prints one line per file that failed (or was interrupted) and returns how
// many did.
func reportFailures(ctx context.Context, stderr io.Writer, results []download.FileResult) int {
	n := 0
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		n++
		if ctx.Err() != nil {
			if r.Kept() {
				fmt.Fprintf(stderr, "rdsbackup: interrupted; %s kept (%d of %d bytes); run the same command to resume\n", textsafe.Escape(r.Path+download.PartSuffix), r.Bytes, r.Total)
			} else {
				fmt.Fprintf(stderr, "rdsbackup: interrupted before any byte of %s arrived; run the same command to download it\n", textsafe.Escape(r.Name))
			}
			continue
		}
		fmt.Fprintln(stderr, "rdsbackup: "+textsafe.Escape(oneLine(r.Err.Error())))
	}
	return n
}

// writeChecksums writes "HEX  NAME" for every complete file (sha256sum -c reads it from the
// download directory), sorted by name, replacing path atomically.
func writeChecksums(path string, results []download.FileResult) error {
	var lines []string
	for _, r := range results {
		if r.Err == nil && r.SHA256 != "" {
			lines = append(lines, r.SHA256+"  "+r.Name+"\n")
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	tmp, err := os.CreateTemp(filepath.Dir(path), ".checksums-*")
	if err != nil {
		return fmt.Errorf("--checksums: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strings.Join(lines, "")); err != nil {
		tmp.Close()
		return fmt.Errorf("--checksums: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--checksums: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--checksums: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--checksums: %w", err)
	}
	return nil
}
