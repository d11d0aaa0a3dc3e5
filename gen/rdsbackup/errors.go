package rdsbackup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// ErrInvalidArgument is wrapped by every error about a caller's argument or setting
// (an empty backup_id, a malformed endpoint, an unreadable CA file); no request was sent.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrBodyTooLarge is wrapped when a response body exceeds the client's limit (WithMaxBodySize).
var ErrBodyTooLarge = errors.New("response body too large")

func argError(format string, args ...any) error {
	return fmt.Errorf("rds: %w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// APIError is returned for every response whose status is not 2xx. Use errors.As to get it.
//
// When the body is the provider's JSON error, Code and Message hold error_code and error_msg
// (or code and message, the other shape the provider's SDK reads).
// When it is not (an HTML page from a proxy, say), Code is empty and Excerpt shows the start of
// the body. RequestID comes from the body's request_id or the X-Request-Id header.
type APIError struct {
	StatusCode  int    // HTTP status
	Code        string // error_code, e.g. DBS.201010 or APIG.0301
	Message     string // error_msg (secrets in links masked)
	RequestID   string // request_id from the body, or the X-Request-Id header
	ContentType string // the response's Content-Type
	Excerpt     string // the start of a body that is not the provider's JSON error (secrets masked)
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rds: HTTP %d", e.StatusCode)
	switch {
	case e.Code != "" || e.Message != "":
		fmt.Fprintf(&b, " %s: %s", orDash(e.Code), orDash(e.Message))
	case e.Excerpt != "":
		fmt.Fprintf(&b, " with a body that is not the provider's JSON error (%s): %q", orDash(e.ContentType), e.Excerpt)
	default:
		b.WriteString(" with an empty body")
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if hint := hints[e.Code]; hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

// hints tell what to do about an error code, in the message.
var hints = map[string]string{
	"DBS.201010": "no such backup in this project and region: list an instance's backups and their IDs with GET /v3/{project_id}/backups?instance_id=INSTANCE_ID (the provider's backup list API) or on the console's Backups page",
	"APIG.0301":  "check the credentials, and that this machine's clock is within 15 minutes of the real time",
}

// Retryable reports whether the request may succeed if sent again later (429 and 5xx).
func (e *APIError) Retryable() bool {
	return e.StatusCode == 429 || e.StatusCode >= 500
}

// ResponseError is returned when a 2xx response cannot be used: its body is empty, is not
// JSON, or does not decode into the documented shape.
type ResponseError struct {
	StatusCode  int
	ContentType string
	RequestID   string
	Reason      string // what is wrong, in a few words
	Excerpt     string // the start of the body (secrets masked)
	Err         error  // the decoding error, if any
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("rds: HTTP %d response unusable: %s", e.StatusCode, e.Reason)
	if e.Excerpt != "" {
		s += fmt.Sprintf(" (body starts %q)", e.Excerpt)
	}
	if e.RequestID != "" {
		s += fmt.Sprintf(" (request id %s)", e.RequestID)
	}
	return s
}

func (e *ResponseError) Unwrap() error { return e.Err }

// The client's credentials are masked in its errors in one place, API.scrubError, which calls
// the scrub method of each of the client's error types: a method that passes every string
// field of its type through f, so that a field added later is not forgotten (a test sets
// every string field by reflection and checks it).

// scrub masks this client's own credentials in s (a server may echo them back, into
// X-Request-Id as "rid-<token>" say): wherever they occur (redact.Values; every credential
// kept in secrets is at least redact.MinSecretLen long).
func (a *API) scrub(s string) string { return redact.Values(s, a.secrets...) }

// scrubError masks the client's credentials in err: in every string field of the client's
// error types (APIError, ResponseError) found in its chain, and in the text of any other
// error. Every error an API call returns passes through it.
func (a *API) scrubError(err error) error {
	if err == nil || len(a.secrets) == 0 {
		return err
	}
	var ae *APIError
	if errors.As(err, &ae) {
		ae.scrub(a.scrub)
	}
	var re *ResponseError
	if errors.As(err, &re) {
		re.scrub(a.scrub)
	}
	return redact.Error(err, a.scrub)
}

// scrub passes every string field of e through f.
func (e *APIError) scrub(f func(string) string) {
	e.Code, e.Message, e.RequestID = f(e.Code), f(e.Message), f(e.RequestID)
	e.ContentType, e.Excerpt = f(e.ContentType), f(e.Excerpt)
}

// scrub passes every string field of e through f, and the text of its cause.
func (e *ResponseError) scrub(f func(string) string) {
	e.ContentType, e.RequestID = f(e.ContentType), f(e.RequestID)
	e.Reason, e.Excerpt = f(e.Reason), f(e.Excerpt)
	e.Err = redact.Error(e.Err, f)
}

// newAPIError builds the error for a non-2xx response.
func newAPIError(status int, contentType, headerRequestID string, body []byte) *APIError {
	e := &APIError{StatusCode: status, ContentType: contentType, RequestID: headerRequestID}
	var eb struct {
		Code      any `json:"error_code"`
		Msg       any `json:"error_msg"`
		RequestID any `json:"request_id"`
		// the other shape the provider's SDK accepts: {"code": ..., "message": ...}
		AltCode any `json:"code"`
		AltMsg  any `json:"message"`
	}
	parsed := isJSONBody(body) && json.Unmarshal(body, &eb) == nil
	if parsed && eb.Code == nil && eb.Msg == nil {
		eb.Code, eb.Msg = eb.AltCode, eb.AltMsg
	}
	if parsed && (eb.Code != nil || eb.Msg != nil) {
		e.Code = oneLine(fmt.Sprint(orEmpty(eb.Code)), 80)
		e.Message = redact.Text(oneLine(fmt.Sprint(orEmpty(eb.Msg)), 300))
		if rid, ok := eb.RequestID.(string); ok && rid != "" && e.RequestID == "" {
			e.RequestID = oneLine(rid, 80)
		}
		return e
	}
	e.Excerpt = excerpt(body)
	return e
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// excerpt returns the first characters of a body on one line, secrets masked.
func excerpt(body []byte) string {
	return redact.Text(oneLine(string(body), 120))
}

// oneLine folds white space and control characters and cuts s to at most n runes.
func oneLine(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	var b strings.Builder
	space := false
	count := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ' ' {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
				count++
			}
			space = true
			continue
		}
		space = false
		if count >= n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}

func isJSONBody(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

// decodeReason turns a json error into a short phrase naming the field.
func decodeReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q is a JSON %s, expected %s", te.Field, te.Value, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return "JSON is truncated"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	return err.Error()
}

// readBody reads at most limit bytes of the body; more is ErrBodyTooLarge.
func readBody(rsp *http.Response, limit int64) ([]byte, error) {
	n := rsp.ContentLength
	if n > limit {
		return nil, ErrBodyTooLarge
	}
	size := int64(4096)
	if n >= 0 {
		size = n + 1 // +1 so that EOF is seen without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := rsp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			return nil, ErrBodyTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// ConnectionError is returned when no HTTP answer came: the endpoint could not be reached,
// or the call's timeout (or the caller's context) ended first. It says how many attempts were
// made and which limit ran out. errors.Is(err, context.DeadlineExceeded) and the like work
// through Unwrap.
type ConnectionError struct {
	Endpoint string        // the base URL called
	Attempts int           // attempts made (0 when unknown, with WithCustomHTTPClient)
	Elapsed  time.Duration // from the call's start
	Timeout  time.Duration // the call's timeout (WithTimeout) when it is what ran out, else 0
	Last     error         // the last attempt's own error when a deadline ended the tries
	Err      error         // the cause: a dial or TLS error, context.DeadlineExceeded, ...
}

func (e *ConnectionError) Error() string {
	var b strings.Builder
	switch {
	case e.Timeout > 0:
		fmt.Fprintf(&b, "rds: no answer from %s within the call's %v timeout (--timeout or %s)", e.Endpoint, e.Timeout, EnvTimeout)
	case errors.Is(e.Err, context.DeadlineExceeded):
		fmt.Fprintf(&b, "rds: no answer from %s before the caller's deadline", e.Endpoint)
	case errors.Is(e.Err, context.Canceled):
		fmt.Fprintf(&b, "rds: call to %s cancelled", e.Endpoint)
	default:
		fmt.Fprintf(&b, "rds: cannot reach %s: %v", e.Endpoint, e.Err)
	}
	if e.Attempts > 0 {
		fmt.Fprintf(&b, " (%d attempt(s) in %v)", e.Attempts, e.Elapsed.Round(time.Millisecond))
	}
	if e.Last != nil {
		b.WriteString("; the last attempt failed with: " + e.Last.Error())
	}
	return b.String()
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// connectionError explains a call that got no answer.
func (a *API) connectionError(start time.Time, ownTimeout bool, err error) error {
	ce := &ConnectionError{Endpoint: a.baseURL, Elapsed: time.Since(start), Err: err}
	var ae *attemptsError
	if errors.As(err, &ae) {
		ce.Attempts, ce.Err, ce.Last = ae.attempts, ae.err, ae.last
	}
	var ue *url.Error
	if errors.As(ce.Err, &ue) { // the URL is in Endpoint already; keep the cause
		ce.Err = ue.Err
	}
	if errors.Is(ce.Err, context.DeadlineExceeded) && ownTimeout {
		ce.Timeout = a.timeout
	}
	if ce.Last != nil {
		ce.Last = redact.URLError(ce.Last)
	}
	return ce
}
