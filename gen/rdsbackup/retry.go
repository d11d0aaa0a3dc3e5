package rdsbackup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	// The first attempt goes out without the backoff machinery: most calls succeed at once.
	resp, err := t.next.RoundTrip(req)
	if _, retry := classify(req.Context(), resp, err); !retry {
		if err != nil {
			return nil, &attemptsError{attempts: 1, err: err}
		}
		return resp, nil
	}
	return t.retry(req, resp, err)
}

// classify says whether an attempt's outcome is worth another try, and returns the error that
// tells backoff.Retry how (a RetryAfterError when the server names the pause).
func classify(ctx context.Context, resp *http.Response, err error) (error, bool) {
	if err != nil {
		if ctx.Err() != nil || !retryableError(err) {
			return backoff.Permanent(err), false
		}
		return err, true
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return nil, false
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		if d > maxRetryAfter || pastDeadline(ctx, d) { // a longer pause than we make (or than
			// the call has left): the caller gets this answer
			return backoff.Permanent(&retryableStatus{resp.StatusCode}), false
		}
		return &backoff.RetryAfterError{Duration: d}, true
	}
	return &retryableStatus{resp.StatusCode}, true
}

// retry runs the remaining attempts; the first one's outcome is handed in.
func (t *retryTransport) retry(req *http.Request, resp *http.Response, err error) (*http.Response, error) {
	ctx := req.Context()
	pending := true
	attempts := 0
	var last *http.Response
	var lastErr error // the last transport error, to explain a give-up on the deadline
	op := func() (*http.Response, error) {
		if pending { // the first attempt's outcome, already in hand
			pending = false
		} else {
			if last != nil { // the previous answer is dropped: free its connection
				_, _ = io.CopyN(io.Discard, last.Body, 64<<10)
				_ = last.Body.Close()
			}
			r := req
			if req.GetBody != nil {
				body, gerr := req.GetBody()
				if gerr != nil {
					return nil, backoff.Permanent(gerr)
				}
				r = req.Clone(ctx)
				r.Body = body
			}
			resp, err = t.next.RoundTrip(r)
		}
		attempts++
		last = resp
		if err != nil {
			lastErr = err
		}
		cerr, _ := classify(ctx, resp, err)
		return resp, cerr
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     t.initial,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         20 * time.Second,
	}
	out, rerr := backoff.Retry(ctx, op, backoff.WithBackOff(deadlineBackOff{b, ctx}), backoff.WithMaxTries(uint(t.retries)+1), backoff.WithMaxElapsedTime(0))
	if out != nil {
		var rs *retryableStatus
		var ra *backoff.RetryAfterError
		if rerr == nil || errors.As(rerr, &rs) || errors.As(rerr, &ra) {
			return out, nil // out of tries: the last answer is the caller's to read
		}
		_ = out.Body.Close()
	}
	if rerr == nil {
		rerr = errors.New("retry: no response")
	}
	ae := &attemptsError{attempts: attempts, err: rerr}
	if ctx.Err() != nil && lastErr != nil && !errors.Is(lastErr, ctx.Err()) {
		ae.last = lastErr
	}
	return nil, ae
}

// attemptsError carries, from the retry layer to the call, how many attempts were made and
// the last transport error when the deadline ended the tries.
type attemptsError struct {
	attempts int
	err      error
	last     error // the last attempt's own error, when err is the context's
}

func (e *attemptsError) Error() string {
	s := fmt.Sprintf("%v after %d attempt(s)", e.err, e.attempts)
	if e.last != nil {
		s += "; the last failed with: " + e.last.Error()
	}
	return s
}

func (e *attemptsError) Unwrap() error { return e.err }

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

// retryAfter parses a Retry-After value: seconds or an HTTP date. ok is false when there is
// none, or it is neither. A number of seconds that cannot be a wait (negative, or too large to
// represent) and a date too far ahead give a duration longer than maxRetryAfter, so that the
// answer goes back to the caller without a wait: never a multiplication that overflows into
// an immediate retry.
func retryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isInteger(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > int64(maxRetryAfter/time.Second) {
			return tooLong, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if t.After(now.Add(maxRetryAfter)) {
			return tooLong, true
		}
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// tooLong stands for a Retry-After that is not waited.
const tooLong = time.Duration(math.MaxInt64)

// isInteger reports whether v is an optional sign followed by decimal digits only.
func isInteger(v string) bool {
	if v[0] == '-' || v[0] == '+' {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// pastDeadline reports whether waiting d would take the call past its context's deadline.
func pastDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Now().Add(d).After(dl)
}

// deadlineBackOff stops retrying when the next wait would outlast the call's deadline, so that
// the caller gets the last answer (a 429 or 5xx it can report) rather than a bare timeout.
type deadlineBackOff struct {
	backoff.BackOff
	ctx context.Context
}

func (b deadlineBackOff) NextBackOff() time.Duration {
	d := b.BackOff.NextBackOff()
	if d != backoff.Stop && pastDeadline(b.ctx, d) {
		return backoff.Stop
	}
	return d
}
