package rdsbackup

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// retryTransport resends a request after a 429, a 5xx or a connection error, with exponential
// backoff and jitter (cenkalti/backoff), honouring Retry-After, bounded in count, and stopped by
// the request's context. Only requests that can be replayed (no body, or GetBody set) are
// retried.
type retryTransport struct {
	next    http.RoundTripper
	retries int
	initial time.Duration
}

// retryableStatus marks a response worth another try.
type retryableStatus struct{ code int }

func (e *retryableStatus) Error() string { return "HTTP " + strconv.Itoa(e.code) }

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	var last *http.Response
	attempt := 0
	op := func() (*http.Response, error) {
		if last != nil { // the previous answer is dropped: free its connection
			_, _ = io.CopyN(io.Discard, last.Body, 64<<10)
			_ = last.Body.Close()
			last = nil
		}
		r := req
		if attempt > 0 && req.GetBody != nil {
			r = req.Clone(ctx)
			body, err := req.GetBody()
			if err != nil {
				return nil, backoff.Permanent(err)
			}
			r.Body = body
		}
		attempt++
		resp, err := t.next.RoundTrip(r)
		if err != nil {
			if ctx.Err() != nil || !retryableError(err) {
				return nil, backoff.Permanent(err)
			}
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			return resp, nil
		}
		last = resp
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if d > maxRetryAfter {
				return resp, backoff.Permanent(&retryableStatus{resp.StatusCode})
			}
			return resp, &backoff.RetryAfterError{Duration: d}
		}
		return resp, &retryableStatus{resp.StatusCode}
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     t.initial,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         20 * time.Second,
	}
	resp, err := backoff.Retry(ctx, op, backoff.WithBackOff(b), backoff.WithMaxTries(uint(t.retries)+1), backoff.WithMaxElapsedTime(0))
	if resp != nil {
		var rs *retryableStatus
		var ra *backoff.RetryAfterError
		if err == nil || errors.As(err, &rs) || errors.As(err, &ra) {
			return resp, nil // out of tries: the last answer is the caller's to read
		}
		_ = resp.Body.Close()
	}
	if err == nil {
		err = errors.New("retry: no response")
	}
	return nil, err
}

// retryableError reports whether a transport error is worth another try: connection
// refused or reset, a broken connection, a network timeout of one attempt.
func retryableError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// retryAfter parses a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
