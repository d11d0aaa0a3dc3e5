package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Bounds of the retry loop of one file. Every attempt after the first waits (backoffDelay).
const (
	maxAttempts  = 40 // in all, whatever happened
	maxRefreshes = 3  // new links asked for after a 403 or an expiry
	maxResumes   = 20 // attempts that broke off after bringing data
	maxIdle      = 3  // attempts in a row that brought nothing (refused, 5xx, 429)
	maxRestarts  = 1  // starts from byte 0 after a 416 that does not mean "complete"
	// eagerStateBytes: files larger than this get their validator file as soon as the
	// object's validator is known (so even a killed run resumes with If-Range); smaller ones
	// only when a .part is kept, which saves a create and an unlink per small file.
	eagerStateBytes = 4 << 20
)

// backoffDelay is the pause before attempt n (n ≥ 1): 200 ms doubling up to 5 s, ±25 % jitter.
func backoffDelay(n int) time.Duration {
	d := 5 * time.Second
	if n < 6 {
		d = min(200*time.Millisecond<<(n-1), d)
	}
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// job is one file's download.
type job struct {
	d                  *Downloader
	f                  rdsbackup.BackupFile
	links              *linkSet
	final, part, state string
	max                int64 // upper bound of the file's length (size × 1024)
	total              int64 // the exact length, once a response told it
	out                *os.File
	offset             int64 // bytes in NAME.part
	validator          string
	stateOnDisk        bool
	etag               string // the object's ETag as last seen
	dig                *digests
	prog               Progress
	link               rdsbackup.BackupFile
	refreshes          int
}

// one downloads one file; see Downloader for what it promises.
func (d *Downloader) one(ctx context.Context, dir string, f rdsbackup.BackupFile, links *linkSet) (res FileResult) {
	final := filepath.Join(dir, f.Name)
	j := &job{d: d, f: f, links: links, final: final, part: final + PartSuffix, state: final + ValidatorSuffix,
		max: f.Size * 1024, dig: newDigests(d.SHA256), link: links.get(f.Name)}
	res = FileResult{Name: f.Name, Path: final, Total: j.max}
	st, err := os.Lstat(final)
	switch {
	case err == nil && !st.Mode().IsRegular():
		res.Err = j.fail(0, fmt.Sprintf("%s exists and is not a regular file; remove it and run again", final), nil)
		return res
	case err == nil && !d.Force:
		return j.existing(ctx, st.Size(), res)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		res.Err = j.fail(0, "checking "+final, err)
		return res
	}
	defer func() {
		if j.prog != nil {
			j.prog.Finish(res.Err)
		}
	}()
	if err := j.open(ctx); err != nil {
		res.Err = err
		return res
	}
	defer j.out.Close()
	res.Resumed = j.offset > 0
	if d.NewProgress != nil {
		j.prog = d.NewProgress(f.Name)
		j.prog.Start(f.Name, j.max, j.offset)
	}
	err = j.transfer(ctx)
	if err == nil {
		err = j.finish(&res)
	}
	res.Bytes = j.offset
	if j.total > 0 {
		res.Total = j.total
	}
	if err != nil {
		j.keep()
		res.Err = err
	}
	return res
}

func (j *job) fail(status int, reason string, err error) *TransferError {
	return &TransferError{Name: j.f.Name, Status: status, Reason: reason, Err: err}
}

// open opens NAME.part (created if missing) and reads the validator file, then hashes what
// the .part already holds so that the MD5 covers the whole file.
func (j *job) open(ctx context.Context) error {
	out, err := openWorking(j.part, true)
	if err != nil {
		return j.fail(0, "opening the partial file", err)
	}
	j.out = out
	restart := j.d.Force
	if v, found, err := readState(j.state); err != nil {
		return j.fail(0, "reading the validator file", err)
	} else if found {
		j.stateOnDisk = true
		if v == restartMark {
			restart = true
			j.d.logf("%s: %s did not match the object last time; starting it over", j.f.Name, j.part)
		} else {
			j.validator = v
		}
	}
	size, err := out.Seek(0, io.SeekEnd)
	if err != nil {
		return j.fail(0, "reading the partial file", err)
	}
	if restart || size > j.max { // longer than the file can be: start again
		if err := j.truncate(); err != nil {
			return err
		}
		return nil
	}
	j.offset = size
	if size > 0 {
		if err := j.dig.hashFile(ctx, out, size); err != nil {
			return j.fail(0, "reading the partial file", err)
		}
	}
	return nil
}

// truncate empties NAME.part and forgets the validator: the file starts over.
func (j *job) truncate() error {
	if err := j.out.Truncate(0); err != nil {
		return j.fail(0, "truncating the partial file", err)
	}
	if _, err := j.out.Seek(0, io.SeekStart); err != nil {
		return j.fail(0, "rewinding the partial file", err)
	}
	j.offset, j.validator = 0, ""
	j.dig.reset()
	if j.stateOnDisk {
		_ = os.Remove(j.state)
		j.stateOnDisk = false
	}
	return nil
}

// transfer runs attempts until the .part holds the whole object, a bound is reached or
// ctx ends. Every attempt after the first waits.
func (j *job) transfer(ctx context.Context) error {
	if t, err := j.link.LinkExpiredTime.Time(); err == nil && !j.d.now().Before(t) {
		j.d.logf("%s: link expired at %s; asking for a new one", j.f.Name, j.link.LinkExpiredTime.String())
		if err := j.refresh(ctx); err != nil {
			return err
		}
	}
	resumes, idle, restarts := 0, 0, 0
	var retryAfter time.Duration
	for n := 0; ; n++ {
		if n > 0 {
			if err := j.d.wait(ctx, n, retryAfter); err != nil {
				return j.cancelled(err)
			}
		}
		if err := ctx.Err(); err != nil {
			return j.cancelled(err)
		}
		if n >= maxAttempts {
			return j.fail(0, fmt.Sprintf("gave up after %d attempts; %s is kept for resuming", n, j.part), nil)
		}
		before := j.offset
		a := j.fetch(ctx)
		retryAfter = a.retryAfter
		switch a.kind {
		case done, haveAll:
			return nil
		case restart:
			if restarts++; restarts > maxRestarts {
				return j.fail(a.status, "the server refused to resume again (HTTP 416)", a.err)
			}
			j.d.logf("%s: the server cannot resume at byte %d (HTTP 416); starting the file over", j.f.Name, j.offset)
			if err := j.truncate(); err != nil {
				return err
			}
		case forbidden:
			if j.refreshes >= maxRefreshes {
				return j.fail(a.status, fmt.Sprintf("the link was refused (HTTP 403) %d times, even after asking for new links", j.refreshes+1), a.err)
			}
			j.d.logf("%s: link refused (HTTP 403); asking for a new one", j.f.Name)
			if err := j.refresh(ctx); err != nil {
				return err
			}
		case fatal:
			return j.fail(a.status, a.reason, a.err)
		case cancelled:
			return j.cancelled(a.err)
		case stalled:
			return j.fail(0, fmt.Sprintf("no data for %v after %d bytes; %s is kept for resuming", j.stall(), j.offset, j.part), a.err)
		case transient:
			if j.offset > before {
				resumes, idle = resumes+1, 0
			} else {
				idle++
			}
			if resumes > maxResumes || idle > maxIdle {
				return j.fail(a.status, fmt.Sprintf("gave up after %d attempts and %d bytes; %s is kept for resuming", n+1, j.offset, j.part), a.err)
			}
			j.d.logf("%s: %v; trying again at byte %d", j.f.Name, a.describe(), j.offset)
		}
	}
}

func (j *job) cancelled(err error) error {
	return j.fail(0, fmt.Sprintf("cancelled after %d bytes; %s is kept for resuming", j.offset, j.part), err)
}

// refresh replaces the file's link by asking the API again.
func (j *job) refresh(ctx context.Context) error {
	j.refreshes++
	f, err := j.links.refresh(ctx, j.f.Name, j.link.DownloadLink)
	if err != nil {
		return j.fail(0, "asking the API for a new link", err)
	}
	j.link = f
	return nil
}

func (j *job) stall() time.Duration {
	if j.d.StallAfter > 0 {
		return j.d.StallAfter
	}
	return 60 * time.Second
}

// finish checks the complete .part (length, and MD5 where the object has an MD5 ETag) and
// renames it to NAME.
func (j *job) finish(res *FileResult) error {
	if !SizeFits(j.offset, j.f.Size) {
		return j.fail(0, fmt.Sprintf("received %d bytes, which does not fit the reported %d KB; kept as %s", j.offset, j.f.Size, j.part), nil)
	}
	res.MD5, res.SHA256 = j.dig.MD5(), j.dig.SHA256()
	etag := j.etag
	if etag == "" {
		etag = j.validator
	}
	if want, ok := md5ETag(etag); ok {
		if want != res.MD5 {
			j.markRestart()
			return j.fail(0, fmt.Sprintf("MD5 %s does not match the object's ETag %s; kept as %s, the next run downloads it again", res.MD5, want, j.part), nil)
		}
		res.Verified = true
	} else {
		res.Note = "not verified (no MD5 ETag)"
	}
	if err := syncData(j.out); err != nil {
		return j.fail(0, "sync", err)
	}
	if err := j.out.Close(); err != nil {
		return j.fail(0, "close", err)
	}
	if err := os.Rename(j.part, j.final); err != nil { // replaces a link at NAME, never follows it
		return j.fail(0, "rename", err)
	}
	if j.stateOnDisk {
		_ = os.Remove(j.state)
		j.stateOnDisk = false
	}
	if st, err := os.Lstat(j.final); err != nil || !st.Mode().IsRegular() || st.Size() != j.offset {
		return j.fail(0, fmt.Sprintf("%s changed under us after the rename", j.final), err)
	}
	return nil
}

// keep runs after a failure: a .part with data keeps its validator on disk for the resume;
// one without data is removed with its validator file.
func (j *job) keep() {
	if j.out == nil {
		return
	}
	if j.offset == 0 {
		if st, err := j.out.Stat(); err == nil && st.Size() == 0 {
			_ = os.Remove(j.part)
			if j.stateOnDisk {
				_ = os.Remove(j.state)
			}
		}
		return
	}
	if j.validator != "" && !j.stateOnDisk {
		j.writeState(j.validator)
	}
}

// setValidator remembers the validator of a response that starts the object.
func (j *job) setValidator(v string) {
	if v == j.validator || !validValidator(v) {
		return
	}
	j.validator = v
	if j.max > eagerStateBytes || j.stateOnDisk {
		j.writeState(v)
	}
}

func (j *job) markRestart() { j.writeState(restartMark) }

func (j *job) writeState(v string) {
	if err := writeState(j.state, v); err != nil {
		j.d.logf("%s: cannot write %s: %v", j.f.Name, j.state, err)
		return
	}
	j.stateOnDisk = true
}
