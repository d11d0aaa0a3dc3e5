package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/redact"
	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// Progress receives a file's progress. Start and Finish are called from the goroutine that
// downloads the file, Add from the goroutine that writes it; the calls never overlap.
type Progress interface {
	Start(name string, total, done int64) // total in bytes (an upper bound), done already on disk
	Add(n int64)                          // n more bytes written
	Finish(err error)                     // the file is done (err nil) or failed
}

// Downloader downloads the files of a backup into a directory. The zero value is not
// usable: API is required. A Downloader is safe for concurrent use, but two downloads into
// one directory wait for each other (see NoWait).
type Downloader struct {
	API         *rdsbackup.API                   // the client that lists the files and refreshes links (required)
	Dir         string                           // target directory (created if missing); "" is "."
	Parallel    int                              // files at once (default 1)
	Force       bool                             // download again files that are already there
	NoWait      bool                             // fail at once, naming the holder, when another run holds Dir's lock
	SHA256      bool                             // also compute each file's SHA-256 (FileResult.SHA256)
	StallAfter  time.Duration                    // give up an attempt after this long with no data (default 60 s)
	NewProgress func(name string) Progress       // nil: no progress
	Client      *http.Client                     // for the links; nil: API.DownloadClient()
	Now         func() time.Time                 // clock; nil: time.Now
	Log         func(format string, args ...any) // notes such as "link expired, refreshed"; nil: none

	pause func(attempt int) time.Duration // wait before attempt n (n ≥ 1); tests shorten it
}

// FileResult says what happened to one file.
type FileResult struct {
	Name     string
	Path     string // the final path, DIR/NAME
	Bytes    int64  // bytes on disk: the file's length, or what NAME.part holds after a failure
	Total    int64  // the file's length in bytes when known, else the upper bound from the API's size
	Skipped  bool   // already complete; nothing downloaded
	Resumed  bool   // continued from a NAME.part
	MD5      string // hex MD5 of the file on disk, when it was read or written in full
	SHA256   string // hex SHA-256, with Downloader.SHA256
	Verified bool   // the MD5 matched the object's MD5 ETag
	Note     string // e.g. "not verified (no MD5 ETag)"
	Err      error  // *TransferError, or the cause that stopped the file
}

// Kept reports whether the result left a NAME.part to resume.
func (r FileResult) Kept() bool { return r.Err != nil && r.Bytes > 0 }

// TransferError is returned when a file cannot be downloaded. Every field is free of secrets.
type TransferError struct {
	Name   string // the file
	Status int    // the HTTP status of the link, when one was received
	Reason string // what happened, in one line
	Err    error  // the cause, if any (its text is masked too)
}

func (e *TransferError) Error() string {
	s := "rds: download " + strconv.Quote(e.Name) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TransferError) Unwrap() error { return e.Err }

// Download fetches the backup's file list and downloads the files named in only (all when
// only is empty). It returns one result per file and the first error, if any. Cancelling ctx
// stops the transfers and keeps the .part files for resuming.
func (d *Downloader) Download(ctx context.Context, backupID string, only []string) ([]FileResult, error) {
	if d.API == nil {
		return nil, fmt.Errorf("rds: %w: downloader has no API client", rdsbackup.ErrInvalidArgument)
	}
	dir := d.Dir
	if dir == "" {
		dir = "."
	}
	// The listing and its checks come first: a wrong backup ID, name or credential leaves
	// no directory behind. Links that expire while the lock is awaited are refreshed.
	res, err := d.API.ShowBackupDownloadLink(ctx, backupID)
	if err != nil {
		return nil, err
	}
	files, err := pick(res.Files, only, backupID)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(files); err != nil { // refuse the whole batch before anything is written
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rds: target directory: %w", err)
	}
	lock, err := lockDir(ctx, dir, d.NoWait, d.logf)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	links := &linkSet{api: d.API, backupID: backupID, files: map[string]rdsbackup.BackupFile{}}
	links.set(res)
	results := d.all(ctx, dir, files, links)
	for i := range results {
		results[i].Err = d.scrubError(results[i].Err)
	}
	for _, r := range results {
		if r.Err != nil {
			return results, r.Err
		}
	}
	return results, nil
}

// pick keeps the files named in only, in the API's order; a name not listed is an error.
func pick(files []rdsbackup.BackupFile, only []string, backupID string) ([]rdsbackup.BackupFile, error) {
	if len(only) == 0 {
		return files, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var picked []rdsbackup.BackupFile
	for _, f := range files {
		if want[f.Name] {
			picked = append(picked, f)
			delete(want, f.Name)
		}
	}
	for _, n := range only {
		if want[n] {
			return nil, fmt.Errorf("rds: %w: backup %s has no file named %q", rdsbackup.ErrInvalidArgument, textsafe.Escape(backupID), textsafe.Escape(n))
		}
	}
	return picked, nil
}

// all downloads the files, Parallel at a time.
func (d *Downloader) all(ctx context.Context, dir string, files []rdsbackup.BackupFile, links *linkSet) []FileResult {
	par := max(d.Parallel, 1)
	results := make([]FileResult, len(files))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = FileResult{Name: f.Name, Path: filepath.Join(dir, f.Name), Total: f.Size * 1024,
					Err: &TransferError{Name: f.Name, Reason: "cancelled before it started", Err: ctx.Err()}}
				return
			}
			defer func() { <-sem }()
			results[i] = d.one(ctx, dir, f, links)
		}()
	}
	wg.Wait()
	return results
}

// scrubError masks, in every field of a TransferError, the client's credentials (a server
// may echo them) and the secret parameters of links.
func (d *Downloader) scrubError(err error) error {
	var te *TransferError
	if !errors.As(err, &te) {
		return redact.Error(err, d.API.Redact)
	}
	te.Name = d.API.Redact(te.Name)
	te.Reason = d.API.Redact(te.Reason)
	te.Err = redact.Error(te.Err, d.API.Redact)
	return err
}

func (d *Downloader) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Downloader) logf(format string, args ...any) {
	if d.Log != nil {
		d.Log("%s", d.API.Redact(fmt.Sprintf(format, args...)))
	}
}

func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return d.API.DownloadClient()
}

// wait sleeps before attempt n (n ≥ 1): exponential from 200 ms to 5 s with jitter, or the
// server's Retry-After when it names a shorter pause than 30 s. It returns ctx's error if
// cancelled meanwhile.
func (d *Downloader) wait(ctx context.Context, n int, retryAfter time.Duration) error {
	var p time.Duration
	switch {
	case d.pause != nil:
		p = d.pause(n)
	case retryAfter > 0 && retryAfter <= 30*time.Second:
		p = retryAfter
	default:
		p = backoffDelay(n)
	}
	t := time.NewTimer(p)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// linkSet holds the current links and asks the API again when one has expired.
type linkSet struct {
	mu       sync.Mutex
	api      *rdsbackup.API
	backupID string
	files    map[string]rdsbackup.BackupFile
}

func (l *linkSet) set(r *rdsbackup.Result) {
	for _, f := range r.Files {
		l.files[f.Name] = f
	}
}

func (l *linkSet) get(name string) rdsbackup.BackupFile {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.files[name]
}

// refresh asks the API for fresh links, unless another file already replaced stale's link.
func (l *linkSet) refresh(ctx context.Context, name, stale string) (rdsbackup.BackupFile, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files[name].DownloadLink == stale {
		r, err := l.api.ShowBackupDownloadLink(ctx, l.backupID)
		if err != nil {
			return rdsbackup.BackupFile{}, err
		}
		l.set(r)
	}
	f, ok := l.files[name]
	if !ok {
		return rdsbackup.BackupFile{}, fmt.Errorf("rds: file %q is no longer listed in backup %s", textsafe.Escape(name), textsafe.Escape(l.backupID))
	}
	return f, nil
}

// userAgent is sent to the download links.
var userAgent = rdsbackup.DefaultUserAgent
