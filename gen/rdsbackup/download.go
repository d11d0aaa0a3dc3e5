package rdsbackup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// PartSuffix is appended to a file's name while it downloads; the file is renamed to its
// own name only once its length fits the size the API reported.
const PartSuffix = ".part"

// ErrUnsafeName is wrapped when a file name from the API would leave the target directory.
var ErrUnsafeName = errors.New("unsafe file name")

// ErrExists is wrapped when a file is already there and Force is not set.
var ErrExists = errors.New("file exists")

// SafeFileName checks that name, as the API gave it, can be used as a file name inside a
// directory: not empty, not "." or "..", no path separator, no NUL, not absolute, and local
// on this system (filepath.IsLocal, which also refuses reserved names on Windows).
func SafeFileName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("rds: %w %q: %s", ErrUnsafeName, oneLine(name, 80), why)
	}
	switch {
	case name == "":
		return bad("empty")
	case name == "." || name == "..":
		return bad("a directory reference")
	case strings.ContainsAny(name, `/\`):
		return bad("contains a path separator")
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return bad("contains a control character")
	case filepath.IsAbs(name) || !filepath.IsLocal(name):
		return bad("not a plain local file name")
	case len(name) > 255:
		return bad("longer than 255 bytes")
	}
	return nil
}

// ValidatorSuffix is appended to a file's name for the small file that remembers the
// object's validator (ETag or Last-Modified) while NAME.part exists, so that a resumed
// download asks for the rest of the same object (If-Range) and starts over otherwise.
const ValidatorSuffix = ".part.validator"

// checkNames refuses a file list that could not be written safely: unsafe names, the same
// name twice, or a name that is another file's working name (NAME.part, NAME.part.validator).
func checkNames(files []BackupFile) error {
	names := make(map[string]bool, len(files))
	for _, f := range files {
		if err := SafeFileName(f.Name); err != nil {
			return err
		}
		if names[f.Name] {
			return fmt.Errorf("rds: %w %q: listed twice in the backup", ErrUnsafeName, oneLine(f.Name, 80))
		}
		names[f.Name] = true
	}
	for _, f := range files {
		for _, suffix := range []string{PartSuffix, ValidatorSuffix} {
			if names[f.Name+suffix] {
				return fmt.Errorf("rds: %w %q: it is the working name of file %q", ErrUnsafeName, oneLine(f.Name+suffix, 80), oneLine(f.Name, 80))
			}
		}
	}
	return nil
}

// SizeFits reports whether a file of n bytes matches a size of sizeKB kilobytes as the API
// reports it: n in ((sizeKB-1)×1024, sizeKB×1024], and n == 0 for sizeKB == 0.
func SizeFits(n, sizeKB int64) bool {
	if sizeKB <= 0 {
		return n == 0
	}
	return n > (sizeKB-1)*1024 && n <= sizeKB*1024
}

// Progress receives a file's progress. Implementations must be safe for use from the
// goroutine that downloads that file.
type Progress interface {
	Start(name string, total, done int64) // total in bytes (an upper bound), done already on disk
	Add(n int64)                          // n more bytes written
	Finish(err error)                     // the file is done (err nil) or failed
}

// Downloader downloads the files of a backup into a directory, safely: each file is written
// as NAME.part, resumed with Range when that exists, and renamed to NAME only when its length
// fits the API's size. A link that has expired, before or during the transfer, is replaced by
// asking the API again.
type Downloader struct {
	API         *API
	Dir         string                           // target directory (created if missing); "" is "."
	Parallel    int                              // files at once (default 1)
	Force       bool                             // overwrite complete files that are already there
	StallAfter  time.Duration                    // give up an attempt after this long with no data (default 60 s)
	NewProgress func(name string) Progress       // nil: no progress
	Client      *http.Client                     // for the links; nil: the API's transport, no credentials
	Now         func() time.Time                 // clock; nil: time.Now
	Log         func(format string, args ...any) // notes such as "link expired, refreshed"; nil: none
}

// FileResult says what happened to one file.
type FileResult struct {
	Name    string
	Path    string // the final path
	Bytes   int64  // the file's length
	Skipped bool   // already complete; nothing downloaded
	Resumed bool   // continued from a .part
	Err     error
}

// Download fetches the backup's file list and downloads the files named in only (all when
// only is empty). It returns one result per file and the first error, if any. Cancelling ctx
// stops the transfers and keeps the .part files for resuming.
func (d *Downloader) Download(ctx context.Context, backupID string, only []string) ([]FileResult, error) {
	if d.API == nil {
		return nil, argError("downloader has no API client")
	}
	res, err := d.API.ShowBackupDownloadLink(ctx, backupID)
	if err != nil {
		return nil, err
	}
	files := res.Files
	if len(only) > 0 {
		want := map[string]bool{}
		for _, n := range only {
			want[n] = true
		}
		var picked []BackupFile
		for _, f := range files {
			if want[f.Name] {
				picked = append(picked, f)
				delete(want, f.Name)
			}
		}
		for n := range want {
			return nil, argError("backup %s has no file named %q", backupID, n)
		}
		files = picked
	}
	dir := d.Dir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rds: target directory: %w", err)
	}
	if err := checkNames(files); err != nil { // refuse the whole batch before anything is written
		return nil, err
	}
	links := &linkSet{api: d.API, backupID: backupID, files: map[string]BackupFile{}}
	links.set(res)
	par := d.Parallel
	if par < 1 {
		par = 1
	}
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
				results[i] = FileResult{Name: f.Name, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			results[i] = d.one(ctx, dir, f, links)
		}()
	}
	wg.Wait()
	for i := range results { // a server may echo credentials into an error
		if te, ok := results[i].Err.(*TransferError); ok {
			te.Reason = d.API.scrub(te.Reason)
			if te.Err != nil {
				te.Err = scrubbedError{te.Err, d.API.scrub}
			}
		}
	}
	for _, r := range results {
		if r.Err != nil {
			return results, r.Err
		}
	}
	return results, nil
}

// linkSet holds the current links and asks the API again when one has expired.
type linkSet struct {
	mu       sync.Mutex
	api      *API
	backupID string
	files    map[string]BackupFile
}

func (l *linkSet) set(r *Result) {
	for _, f := range r.Files {
		l.files[f.Name] = f
	}
}

func (l *linkSet) get(name string) BackupFile {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.files[name]
}

// refresh asks the API for fresh links, unless another file already replaced stale's link.
func (l *linkSet) refresh(ctx context.Context, name, stale string) (BackupFile, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files[name].DownloadLink == stale {
		r, err := l.api.ShowBackupDownloadLink(ctx, l.backupID)
		if err != nil {
			return BackupFile{}, err
		}
		l.set(r)
	}
	f, ok := l.files[name]
	if !ok {
		return BackupFile{}, fmt.Errorf("rds: file %q is no longer listed in backup %s", name, l.backupID)
	}
	return f, nil
}

// TransferError is returned when a file cannot be downloaded.
type TransferError struct {
	Name   string // the file
	Status int    // the HTTP status of the link, when one was received
	Reason string
	Err    error
}

func (e *TransferError) Error() string {
	s := "rds: download " + strconv.Quote(e.Name) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + redact.Text(e.Err.Error())
	}
	return s
}

func (e *TransferError) Unwrap() error { return e.Err }

func (d *Downloader) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Downloader) logf(format string, args ...any) {
	if d.Log != nil {
		d.Log(format, args...)
	}
}

// one downloads one file.
func (d *Downloader) one(ctx context.Context, dir string, f BackupFile, links *linkSet) (res FileResult) {
	res = FileResult{Name: f.Name, Path: filepath.Join(dir, f.Name)}
	final, part := res.Path, res.Path+PartSuffix
	var prog Progress // made once the transfer starts: skipped files show none
	defer func() {
		if prog != nil {
			prog.Finish(res.Err)
		}
	}()
	if st, err := os.Lstat(final); err == nil {
		switch {
		case !st.Mode().IsRegular():
			res.Err = &TransferError{Name: f.Name, Reason: fmt.Sprintf("%s exists and is not a regular file", final)}
			return res
		case !d.Force && SizeFits(st.Size(), f.Size):
			res.Skipped, res.Bytes = true, st.Size()
			return res
		case !d.Force:
			res.Err = &TransferError{Name: f.Name, Reason: fmt.Sprintf("%s exists with %d bytes, which does not fit %d KB; not overwritten without --force", final, st.Size(), f.Size), Err: ErrExists}
			return res
		}
	}
	out, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		res.Err = &TransferError{Name: f.Name, Reason: "open partial file", Err: err}
		return res
	}
	defer out.Close()
	defer func() { // a failure before any byte arrived leaves nothing behind
		if res.Err != nil {
			if st, err := os.Stat(part); err == nil && st.Size() == 0 {
				_ = os.Remove(part)
				_ = os.Remove(res.Path + ValidatorSuffix)
			}
		}
	}()
	if d.Force {
		if err := out.Truncate(0); err != nil {
			res.Err = &TransferError{Name: f.Name, Reason: "truncate partial file", Err: err}
			return res
		}
	}
	offset, err := out.Seek(0, io.SeekEnd)
	if err != nil {
		res.Err = &TransferError{Name: f.Name, Reason: "seek partial file", Err: err}
		return res
	}
	max := f.Size * 1024
	if offset > max { // longer than the file can be: start again
		if err := out.Truncate(0); err != nil {
			res.Err = &TransferError{Name: f.Name, Reason: "truncate partial file", Err: err}
			return res
		}
		offset = 0
	}
	validatorFile := res.Path + ValidatorSuffix
	validator := ""
	if offset > 0 {
		if b, err := os.ReadFile(validatorFile); err == nil {
			validator = strings.TrimSpace(string(b))
		}
	}
	res.Resumed = offset > 0
	if d.NewProgress != nil {
		prog = d.NewProgress(f.Name)
		prog.Start(f.Name, max, offset)
	}
	buf := make([]byte, 1<<20)
	refreshes, failures := 0, 0
	cur := links.get(f.Name)
	// A link that has already expired by our clock is replaced before it is tried (once: if
	// our clock is off, the server's 403 decides from then on).
	if t, err := cur.LinkExpiredTime.Time(); err == nil && !d.now().Before(t) {
		refreshes++
		d.logf("%s: link expired at %s; asking for a new one", f.Name, cur.LinkExpiredTime.String())
		if cur, err = links.refresh(ctx, f.Name, cur.DownloadLink); err != nil {
			res.Err = &TransferError{Name: f.Name, Reason: "refreshing the expired link", Err: err}
			return res
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			res.Err = &TransferError{Name: f.Name, Reason: "cancelled; the partial file is kept for resuming", Err: err}
			return res
		}
		n, status, seen, err := d.fetch(ctx, cur.DownloadLink, out, offset, max, validator, buf, prog)
		offset += n
		if seen != "" && seen != validator { // a (new) start of the object: remember which
			validator = seen
			_ = os.WriteFile(validatorFile, []byte(seen+"\n"), 0o644)
		}
		switch {
		case err == nil:
			if !SizeFits(offset, f.Size) {
				res.Err = &TransferError{Name: f.Name, Reason: fmt.Sprintf("received %d bytes, which does not fit the reported %d KB; kept as %s", offset, f.Size, part)}
				return res
			}
			if err := out.Sync(); err != nil {
				res.Err = &TransferError{Name: f.Name, Reason: "sync", Err: err}
				return res
			}
			if err := out.Close(); err != nil {
				res.Err = &TransferError{Name: f.Name, Reason: "close", Err: err}
				return res
			}
			if err := os.Rename(part, final); err != nil {
				res.Err = &TransferError{Name: f.Name, Reason: "rename", Err: err}
				return res
			}
			_ = os.Remove(validatorFile)
			if st, err := os.Stat(final); err != nil || !SizeFits(st.Size(), f.Size) {
				res.Err = &TransferError{Name: f.Name, Reason: fmt.Sprintf("%s changed under us after the rename", final), Err: err}
				return res
			}
			res.Bytes = offset
			return res
		case status == http.StatusForbidden && refreshes < 3:
			refreshes++
			d.logf("%s: link refused (HTTP 403); asking for a new one", f.Name)
			if cur, err = links.refresh(ctx, f.Name, cur.DownloadLink); err != nil {
				res.Err = &TransferError{Name: f.Name, Reason: "refreshing the refused link", Err: err}
				return res
			}
		case status == http.StatusRequestedRangeNotSatisfiable && offset > 0:
			// The .part already holds everything: rewind so the check above decides.
			offset, _ = out.Seek(0, io.SeekEnd)
			if SizeFits(offset, f.Size) {
				continue
			}
			res.Err = &TransferError{Name: f.Name, Status: status, Reason: "server refused to resume", Err: err}
			return res
		case ctx.Err() != nil:
			res.Err = &TransferError{Name: f.Name, Reason: fmt.Sprintf("cancelled after %d bytes; %s is kept for resuming", offset, part), Err: ctx.Err()}
			return res
		case status >= 200 && status <= 299: // an answer that cannot be the file (HTML, too long)
			res.Err = &TransferError{Name: f.Name, Status: status, Reason: "unusable answer from the download link", Err: err}
			return res
		case status != 0 && status != http.StatusTooManyRequests && status < 500:
			res.Err = &TransferError{Name: f.Name, Status: status, Reason: fmt.Sprintf("HTTP %d from the download link", status), Err: err}
			return res
		default:
			// An attempt that broke off after making progress is resumed at once (up to 20
			// times); one that brought nothing (a stall, a refused connection, a 5xx) is not
			// tried again, so that a dead link fails within about one --timeout.
			failures++
			if n == 0 || failures > 20 {
				res.Err = &TransferError{Name: f.Name, Status: status, Reason: fmt.Sprintf("gave up after %d bytes; %s is kept for resuming", offset, part), Err: err}
				return res
			}
			d.logf("%s: %v; resuming at byte %d", f.Name, d.API.scrub(redact.Text(err.Error())), offset)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
}

// fetch GETs link from offset (Range when offset > 0) and appends to out. It returns the bytes
// written, the HTTP status (0 when none came) and an error when the body did not end cleanly.
//
// validator (an ETag or Last-Modified value) is sent as If-Range when resuming; the validator
// of a response that starts the object from byte 0 is returned as seen.
func (d *Downloader) fetch(ctx context.Context, link string, out *os.File, offset, max int64, validator string, buf []byte, prog Progress) (int64, int, string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return 0, 0, "", fmt.Errorf("download link %s is not a valid URL", redact.URL(link))
	}
	if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
		return 0, 0, "", fmt.Errorf("download link %s is not http(s)", redact.URL(link))
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		if validator != "" {
			req.Header.Set("If-Range", validator)
		}
	}
	req.Header.Set("User-Agent", DefaultUserAgent)
	client := d.Client
	if client == nil {
		client = d.API.downloadClient()
	}
	stall := d.StallAfter
	if stall <= 0 {
		stall = 60 * time.Second
	}
	timer := time.AfterFunc(stall, func() { cancel(fmt.Errorf("no data for %v", stall)) })
	defer timer.Stop()
	rsp, err := client.Do(req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
			err = c
		}
		return 0, 0, "", scrubURLError(err)
	}
	defer rsp.Body.Close()
	if rsp.StatusCode == http.StatusOK || rsp.StatusCode == http.StatusPartialContent {
		if mt, _, _ := mime.ParseMediaType(rsp.Header.Get("Content-Type")); mt == "text/html" {
			// a login page or a proxy's error page, not the file: nothing is written
			return 0, rsp.StatusCode, "", fmt.Errorf("the link answered with an HTML page (%s), not the file", excerpt(readSome(rsp.Body)))
		}
	}
	seen := ""
	if rsp.StatusCode == http.StatusOK {
		seen = objectValidator(rsp.Header)
	}
	switch rsp.StatusCode {
	case http.StatusOK:
		if offset > 0 { // the server ignored the Range: start over
			if _, err := out.Seek(0, io.SeekStart); err != nil {
				return 0, rsp.StatusCode, "", err
			}
			if err := out.Truncate(0); err != nil {
				return 0, rsp.StatusCode, "", err
			}
			n, st, err := d.copyBody(rsp, out, max, buf, prog, timer, stall, ctx, -offset)
			return n, st, seen, err
		}
	case http.StatusPartialContent:
		if start, ok := contentRangeStart(rsp.Header.Get("Content-Range")); !ok || start != offset {
			return 0, rsp.StatusCode, "", fmt.Errorf("Content-Range %q does not start at byte %d", rsp.Header.Get("Content-Range"), offset)
		}
	default:
		_, _ = io.CopyN(io.Discard, rsp.Body, 4<<10)
		return 0, rsp.StatusCode, "", fmt.Errorf("HTTP %d", rsp.StatusCode)
	}
	n, st, err := d.copyBody(rsp, out, max-offset, buf, prog, timer, stall, ctx, 0)
	return n, st, seen, err
}

// copyBody appends the body to out (at most limit+1 bytes, so an over-long body is seen),
// resetting the stall timer on every read. adjust is added to the count returned (negative
// when a restart dropped earlier bytes).
func (d *Downloader) copyBody(rsp *http.Response, out *os.File, limit int64, buf []byte, prog Progress, timer *time.Timer, stall time.Duration, ctx context.Context, adjust int64) (int64, int, error) {
	var n int64
	body := io.LimitReader(rsp.Body, limit+1)
	for {
		m, rerr := body.Read(buf)
		if m > 0 {
			timer.Reset(stall)
			w, werr := out.Write(buf[:m])
			n += int64(w)
			if prog != nil {
				prog.Add(int64(w))
			}
			if werr != nil {
				return n + adjust, 0, werr
			}
			if ctx.Err() != nil { // cancelled: stop now, even if more data is already buffered
				return n + adjust, 0, context.Cause(ctx)
			}
		}
		if rerr == io.EOF {
			if n > limit {
				return n + adjust, rsp.StatusCode, fmt.Errorf("the body is longer than the reported size")
			}
			return n + adjust, 0, nil
		}
		if rerr != nil {
			if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
				rerr = c
			}
			return n + adjust, 0, scrubURLError(rerr)
		}
	}
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// scrubbedError masks secrets in an error's text while keeping it inspectable (errors.Is/As).
type scrubbedError struct {
	err   error
	scrub func(string) string
}

func (e scrubbedError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.scrub(e.err.Error())
}

func (e scrubbedError) Unwrap() error { return e.err }

// objectValidator returns the response's strong ETag, else its Last-Modified, else "".
func objectValidator(h http.Header) string {
	if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		return etag
	}
	return h.Get("Last-Modified")
}

// readSome reads the start of a body, for an excerpt.
func readSome(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	return b
}
