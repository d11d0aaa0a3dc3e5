package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// outcome is what one attempt tells the retry loop.
type outcome int

const (
	done      outcome = iota // the body ended cleanly
	haveAll                  // 416 whose Content-Range says the .part already holds the object
	restart                  // 416 otherwise: the file must start over
	forbidden                // 403: the link expired or was refused
	fatal                    // an answer that trying again will not change
	cancelled                // ctx ended
	stalled                  // no data for StallAfter
	transient                // a broken connection, a 5xx, a 429: worth another try
)

type attempt struct {
	kind       outcome
	status     int
	reason     string // for fatal
	err        error
	retryAfter time.Duration
}

func (a attempt) describe() string {
	switch {
	case a.err != nil:
		return a.err.Error()
	case a.status != 0:
		return "HTTP " + strconv.Itoa(a.status)
	}
	return "interrupted"
}

// errStalled is the cause of an attempt stopped for lack of data.
var errStalled = errors.New("no data")

// fetch GETs the link from j.offset (Range and If-Range when resuming) and appends the body
// to NAME.part, hashing it on the way.
func (j *job) fetch(parent context.Context) attempt {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.link.DownloadLink, nil)
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") {
		return attempt{kind: fatal, reason: fmt.Sprintf("download link %s is not an http(s) URL", redact.URL(j.link.DownloadLink))}
	}
	if j.offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(j.offset, 10)+"-")
		if j.validator != "" {
			req.Header.Set("If-Range", j.validator)
		}
	}
	req.Header.Set("User-Agent", userAgent)
	stall := j.stall()
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	rsp, err := j.d.client().Do(req)
	if err != nil {
		return j.broken(parent, ctx, 0, redact.URLError(err))
	}
	defer rsp.Body.Close()
	if e := rsp.Header.Get("ETag"); e != "" {
		j.etag = e
	}
	switch rsp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
		return j.body(parent, ctx, rsp, timer, stall)
	case http.StatusRequestedRangeNotSatisfiable:
		drain(rsp.Body)
		if n, ok := contentRangeTotal(rsp.Header.Get("Content-Range")); ok && n == j.offset && j.offset > 0 {
			j.total = n
			return attempt{kind: haveAll, status: rsp.StatusCode}
		}
		return attempt{kind: restart, status: rsp.StatusCode, err: fmt.Errorf("HTTP 416 with Content-Range %q", rsp.Header.Get("Content-Range"))}
	case http.StatusForbidden:
		drain(rsp.Body)
		return attempt{kind: forbidden, status: rsp.StatusCode}
	}
	drain(rsp.Body)
	if rsp.StatusCode == http.StatusTooManyRequests || rsp.StatusCode >= 500 {
		return attempt{kind: transient, status: rsp.StatusCode, retryAfter: retryAfter(rsp.Header.Get("Retry-After"))}
	}
	return attempt{kind: fatal, status: rsp.StatusCode, reason: fmt.Sprintf("HTTP %d from the download link", rsp.StatusCode)}
}

// body handles a 200 or 206: checks that it is the file and where it starts, then copies it.
func (j *job) body(parent, ctx context.Context, rsp *http.Response, timer *time.Timer, stall time.Duration) attempt {
	if mt, _, _ := mime.ParseMediaType(rsp.Header.Get("Content-Type")); mt == "text/html" {
		// a login page or a proxy's error page, not the file: nothing is written
		return attempt{kind: fatal, status: rsp.StatusCode, reason: "unusable answer from the download link",
			err: fmt.Errorf("the link answered with an HTML page (%s), not the file", excerpt(rsp.Body))}
	}
	if rsp.StatusCode == http.StatusOK {
		if j.offset > 0 { // the server ignored the Range (or If-Range failed): start over
			j.d.logf("%s: the server sent the whole file instead of the rest; starting it over", j.f.Name)
			if err := j.truncate(); err != nil {
				return attempt{kind: fatal, reason: "restarting", err: err}
			}
		}
		j.setValidator(objectValidator(rsp.Header))
		if rsp.ContentLength >= 0 {
			j.total = rsp.ContentLength
		}
	} else {
		start, total, ok := contentRange(rsp.Header.Get("Content-Range"))
		if !ok || start != j.offset {
			return attempt{kind: fatal, status: rsp.StatusCode, reason: "unusable answer from the download link",
				err: fmt.Errorf("Content-Range %q does not start at byte %d", rsp.Header.Get("Content-Range"), j.offset)}
		}
		if total >= 0 {
			j.total = total
		}
	}
	limit := j.max - j.offset
	p := &pipe{out: j.out, at: j.offset, dig: j.dig}
	if j.prog != nil {
		p.onWrite = j.prog.Add
	}
	n, err := p.copy(ctx, &resetReader{rsp.Body, timer, stall}, limit+1)
	j.offset += n
	switch {
	case n > limit:
		return attempt{kind: fatal, status: rsp.StatusCode, reason: "unusable answer from the download link",
			err: errors.New("the body is longer than the reported size")}
	case err == nil || errors.Is(err, io.EOF):
		return attempt{kind: done, status: rsp.StatusCode}
	}
	return j.broken(parent, ctx, rsp.StatusCode, redact.URLError(err))
}

// broken classifies an attempt that ended with an error.
func (j *job) broken(parent, ctx context.Context, status int, err error) attempt {
	switch {
	case parent.Err() != nil:
		return attempt{kind: cancelled, err: parent.Err()}
	case errors.Is(context.Cause(ctx), errStalled):
		return attempt{kind: stalled, err: fmt.Errorf("no data for %v", j.stall())}
	}
	var we *writeError
	if errors.As(err, &we) { // the disk, not the network
		return attempt{kind: fatal, status: status, reason: "writing " + j.part, err: we.err}
	}
	return attempt{kind: transient, status: status, err: err}
}

// resetReader resets the stall timer on every read that brings data.
type resetReader struct {
	r     io.Reader
	timer *time.Timer
	stall time.Duration
}

func (r *resetReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.stall)
	}
	return n, err
}

// contentRange parses "bytes START-END/TOTAL"; total is -1 for "*".
func contentRange(v string) (start, total int64, ok bool) {
	v, ok = strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, tot, ok := strings.Cut(v, "/")
	if !ok {
		return 0, 0, false
	}
	s, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(s, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, false
		}
	}
	return start, total, true
}

// contentRangeTotal parses the "bytes */TOTAL" of a 416.
func contentRangeTotal(v string) (int64, bool) {
	v, ok := strings.CutPrefix(v, "bytes */")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}

// retryAfter parses a Retry-After in seconds (dates and huge values give 0: the default pause).
func retryAfter(v string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 || n > 3600 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// objectValidator returns the response's strong ETag, else its Last-Modified, else "".
func objectValidator(h http.Header) string {
	if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		return etag
	}
	return h.Get("Last-Modified")
}

// md5ETag returns the MD5 an ETag states: 32 hex digits, quoted or not, strong; multipart
// ETags ("…-3") and anything else state none.
func md5ETag(etag string) (string, bool) {
	e := strings.TrimSpace(etag)
	if strings.HasPrefix(e, "W/") {
		return "", false
	}
	if len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"' {
		e = e[1 : len(e)-1]
	}
	if len(e) != 32 {
		return "", false
	}
	for i := 0; i < len(e); i++ {
		c := e[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", false
		}
	}
	return strings.ToLower(e), true
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(r io.Reader) { _, _ = io.CopyN(io.Discard, r, 4<<10) }

// excerpt returns the start of a body on one line, secrets masked.
func excerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 120))
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	return redact.Text(s)
}
