package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Exchange is one watched request and its response, as forwarded. The proxy fills it and
// hands it to Config.OnExchange once; it is not touched afterwards.
type Exchange struct {
	Seq      uint64    // 1, 2, ... in the order requests arrived
	Start    time.Time // the request arrived
	Received time.Time // the response headers arrived (or the upstream failed)
	Done     time.Time // the response body was passed on, or failed

	Method        string
	URL           string      // the URL forwarded to, absolute
	Host          string      // the Host header sent upstream (the upstream's in reverse mode)
	RequestHeader http.Header // the client's request headers

	StatusCode int         // 0 when no response came (Err says why)
	Proto      string      // the upstream response's protocol
	Header     http.Header // the response headers, as the upstream sent them
	// Body is the response body as it came (still encoded when Content-Encoding says so),
	// its first Config.MaxBody bytes.
	Body      []byte
	BodyBytes int64 // bytes of the body passed to the client
	Truncated bool  // the body was longer than Config.MaxBody: Body holds only its start
	Complete  bool  // the body was read to its end
	// Err is why the exchange did not complete: no response from upstream (the client got
	// a 502 from the proxy), or the body broke off (the client's connection was aborted).
	Err error

	delivered atomic.Bool
}

// teeBody passes a response body through, keeping its first max bytes, and delivers the
// exchange when it is closed.
type teeBody struct {
	ctx  context.Context // the client's request: done when the client went away
	rc   io.ReadCloser
	ex   *Exchange
	max  int64
	buf  bytes.Buffer
	once sync.Once
	done func(*Exchange)
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.ex.BodyBytes += int64(n)
	if room := t.max - int64(t.buf.Len()); room > 0 && n > 0 {
		t.buf.Write(p[:min(int64(n), room)])
	}
	if int64(t.buf.Len()) < t.ex.BodyBytes {
		t.ex.Truncated = true
	}
	switch {
	case err == io.EOF:
		t.ex.Complete = true
	case err != nil && t.ex.Err == nil && t.ctx.Err() != nil:
		t.ex.Err = ErrAborted // the client went away: the upstream is not to blame
	case err != nil && t.ex.Err == nil:
		t.ex.Err = err
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.rc.Close()
	t.once.Do(func() {
		t.ex.Body = t.buf.Bytes()
		t.done(t.ex)
	})
	return err
}

// ErrAborted is the Err of an exchange that the client (or the proxy stopping) cut short:
// the client went away before the response came, or before its body was passed on.
var ErrAborted = errors.New("the response body was not passed on to its end")

// exactWriter keeps net/http's server from adding a Date or a Content-Type (sniffed) header
// the upstream did not send.
type exactWriter struct {
	http.ResponseWriter
}

func (w *exactWriter) WriteHeader(code int) {
	h := w.ResponseWriter.Header()
	for _, k := range []string{"Date", "Content-Type"} {
		if _, ok := h[k]; !ok {
			h[k] = nil
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushing, hijacking).
func (w *exactWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
