package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/recording"
	"github.com/rdskit/rdsbackup/internal/proxy"
	"github.com/rdskit/rdsbackup/internal/redact"
	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// checkResponse is the proxy's own check, beside the contract's: a response came from the
// upstream and was passed on to its end, within the bytes rdsproxy validates.
const checkResponse = "complete_response"

// container is the proxy's name in the coverage and the reports.
const container = "proxy"

// judged is one exchange of the operation and what rdsproxy found in it.
type judged struct {
	seq        uint64
	start      time.Time
	elapsed    time.Duration
	method     string
	url        string // redacted
	status     int
	requestID  string // redacted
	violations []contract.Violation
	// problem, when set, is why the exchange could not be checked (no response, a broken or
	// too long body); failed says whether that is the upstream's fault (a failure of
	// complete_response) or not (the client went away: every check is skipped).
	problem string
	failed  bool
	repro   string
}

// verdict is "FAIL", "warn" or "pass".
func (j *judged) verdict() string {
	switch {
	case j.failed || len(contract.Failures(j.violations)) > 0:
		return "FAIL"
	case j.problem != "":
		return "skip"
	}
	for _, v := range j.violations {
		if v.Severity == contract.Warning {
			return "warn"
		}
	}
	return "pass"
}

// judge validates the watched exchanges, logs one line each, records them and keeps what the
// reports need. onExchange is called concurrently.
type judge struct {
	v       *contract.Validator
	log     io.Writer
	maxBody int64
	rec     *recording.Writer // nil without --record
	recDir  string            // --record, absolute (made so once, at start), for reproducers
	stop    func()            // called once max exchanges were judged
	max     int               // --max-exchanges; 0 means no limit
	caFile  bool              // --upstream-ca was given: reproducers add --cacert "$RDS_CA_FILE"
	// coverageFile is where --report writes the coverage ("" without --report).
	coverageFile string
	// redactProject masks the project ID in the recording (--redact-project).
	redactProject bool
	coverage      *contract.Coverage

	// keep bounds memory (--keep): the reports list the first keep exchanges one by one, then
	// only those that did not pass, up to keep more; the recording keeps the first keep.
	keep       int
	recordFull sync.Once
	tunnels    sync.Map // host:port -> true: relayed tunnels already mentioned

	mu       sync.Mutex
	listed   []*judged // what the reports list one by one
	counts   tally     // every exchange judged
	unlisted tally     // those judged but not listed
}

// onExchange judges one exchange of GET /v3/{project_id}/backup-files.
func (jd *judge) onExchange(ex *proxy.Exchange) {
	j := &judged{seq: ex.Seq, start: ex.Start, elapsed: ex.Done.Sub(ex.Start), method: ex.Method, url: redact.URL(ex.URL), status: ex.StatusCode}
	secrets := redact.Credentials(ex.RequestHeader)
	j.requestID = redact.Values(redact.Text(ex.Header.Get("X-Request-Id")), secrets...)
	cex, problem, failed := jd.exchange(ex)
	switch {
	case problem != "":
		j.problem, j.failed = redact.Values(redact.Text(problem), secrets...), failed
		for _, check := range contract.Checks {
			jd.coverage.Skip(container, check, j.problem)
		}
	default:
		vs := jd.v.ValidateCovered(cex, jd.coverage, container)
		for _, v := range vs {
			if v.Severity != contract.Note { // notes are in the coverage; the lists keep what matters
				masked(&v, secrets)
				j.violations = append(j.violations, v)
			}
		}
	}
	recorded := -1
	if jd.rec != nil && j.problem == "" {
		if jd.rec.Len() < jd.keep {
			recorded = jd.rec.Add(interaction(ex, cex), jd.recordSecrets(secrets, cex.URL)...)
		} else {
			jd.recordFull.Do(func() {
				fmt.Fprintf(jd.log, "rdsproxy: the recording holds %d exchanges (--keep); later ones are judged but not recorded\n", jd.keep)
			})
		}
	}
	verdict := j.verdict()
	if verdict != "pass" { // a reproducer only where there is something to reproduce
		j.repro = reproduceLive(ex, jd.caFile)
		if recorded >= 0 {
			j.repro = reproduceRecorded(jd.recDir, jd.rec.File(), recorded)
		}
	}
	n := jd.count(j, verdict)
	fmt.Fprintln(jd.log, logLine(j))
	if jd.max > 0 && n == jd.max {
		fmt.Fprintf(jd.log, "rdsproxy: %d exchange(s) judged (--max-exchanges): stopping; exchanges already in flight are judged too\n", n)
		jd.stop()
	}
}

// onTunnel says once per host:port that its CONNECT tunnels are relayed, not judged.
func (jd *judge) onTunnel(authority string) {
	if _, seen := jd.tunnels.LoadOrStore(authority, true); !seen {
		fmt.Fprintf(jd.log, "rdsproxy: CONNECT %s relayed untouched (no --intercept pattern matches it): its exchanges are not judged\n", textsafe.Escape(authority))
	}
}

// recordSecrets are what the recording masks in one exchange: its credentials, and its
// project ID with --redact-project.
func (jd *judge) recordSecrets(secrets []string, rawURL string) []string {
	if p := projectOf(rawURL); jd.redactProject && p != "" {
		return append(slices.Clip(secrets), p)
	}
	return secrets
}

// count adds j to the tallies and, within the limits of --keep, to the exchanges the reports
// list one by one, and returns how many exchanges were judged so far.
func (jd *judge) count(j *judged, verdict string) int {
	jd.mu.Lock()
	defer jd.mu.Unlock()
	jd.counts.add(verdict)
	switch {
	case len(jd.listed) < jd.keep, verdict != "pass" && len(jd.listed) < 2*jd.keep:
		jd.listed = append(jd.listed, j)
	default:
		jd.unlisted.add(verdict)
	}
	return jd.counts.total
}

// exchange turns what the proxy saw into the exchange the validator checks, or says why it
// cannot be checked and whether that is the upstream's failure.
func (jd *judge) exchange(ex *proxy.Exchange) (contract.Exchange, string, bool) {
	if ex.StatusCode == 0 && errors.Is(ex.Err, proxy.ErrAborted) {
		return contract.Exchange{}, "the client went away before the response came", false
	}
	if ex.StatusCode == 0 {
		return contract.Exchange{}, "no response from the upstream: " + errText(ex.Err), true
	}
	if ex.Truncated {
		return contract.Exchange{}, fmt.Sprintf("the response body is longer than --max-body (%d bytes); it was passed on but not checked", jd.maxBody), true
	}
	if !ex.Complete {
		if errors.Is(ex.Err, proxy.ErrAborted) {
			return contract.Exchange{}, "the client went away before the end of the response", false
		}
		return contract.Exchange{}, "the response body broke off after " + fmt.Sprint(ex.BodyBytes) + " bytes: " + errText(ex.Err), true
	}
	body, err := decoded(ex.Header, ex.Body, jd.maxBody)
	if err != nil {
		return contract.Exchange{}, err.Error(), true
	}
	return contract.Exchange{Method: ex.Method, URL: ex.URL, RequestHeader: ex.RequestHeader, StatusCode: ex.StatusCode,
		Header: ex.Header, Body: body, Received: ex.Received}, "", false
}

// projectOf is the {project_id} of an operation URL.
func projectOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Path, "/")
	if len(parts) == 4 && parts[1] == "v3" && parts[3] == "backup-files" {
		return parts[2]
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return redact.Text(err.Error())
}

// decoded returns body decoded as its Content-Encoding says (gzip; identity otherwise), at
// most max bytes of it.
func decoded(h http.Header, body []byte, max int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))) {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("the gzip-encoded body does not decode: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, max+1))
		if err != nil {
			return nil, fmt.Errorf("the gzip-encoded body does not decode: %w", err)
		}
		if int64(len(out)) > max {
			return nil, fmt.Errorf("the decoded body is longer than --max-body (%d bytes)", max)
		}
		return out, nil
	}
	return body, nil // an encoding the validator will judge as it is (content type, schema)
}

// masked applies the request's secrets to every text of v (the engine already masked links).
func masked(v *contract.Violation, secrets []string) {
	v.Got = redact.Values(v.Got, secrets...)
	v.Want = redact.Values(v.Want, secrets...)
	v.Message = redact.Values(v.Message, secrets...)
}

// logLine is the exchange's line on standard error: time, number, method and URL (masked),
// status, verdict, the checks that failed or warned, the request ID and how long it took.
func logLine(j *judged) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s #%d %s %s %s %s", j.start.Format("15:04:05.000"), j.seq, j.method, pathQuery(j.url), statusText(j.status), j.verdict())
	if checks := j.checks(); checks != "" {
		b.WriteString(" " + checks)
	}
	if j.problem != "" {
		b.WriteString(" (" + j.problem + ")")
	}
	if j.requestID != "" {
		b.WriteString(" request_id=" + j.requestID)
	}
	fmt.Fprintf(&b, " %.1fms", float64(j.elapsed.Microseconds())/1000)
	return textsafe.Escape(b.String())
}

func statusText(code int) string {
	if code == 0 {
		return "---"
	}
	return fmt.Sprint(code)
}

// pathQuery is the path and query of an absolute URL, for a short log line.
func pathQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host + u.RequestURI()
}

// checks lists the checks that failed, then those that only warned, comma-separated.
func (j *judged) checks() string {
	var fail, warn []string
	if j.failed {
		fail = append(fail, checkResponse)
	}
	seen := map[string]bool{}
	for _, v := range j.violations {
		if seen[v.Check] || v.Severity == contract.Note {
			continue
		}
		seen[v.Check] = true
		if v.Severity == contract.Failure {
			fail = append(fail, v.Check)
		} else {
			warn = append(warn, v.Check+"(warning)")
		}
	}
	return strings.Join(append(fail, warn...), ",")
}

// interaction is the exchange as a go-vcr interaction (the body decoded, as Go's client
// would have handed it to a recorder).
func interaction(ex *proxy.Exchange, cex contract.Exchange) *cassette.Interaction {
	h := ex.Header.Clone()
	uncompressed := false
	if h.Get("Content-Encoding") != "" && !bytes.Equal(cex.Body, ex.Body) {
		h.Del("Content-Encoding")
		h.Del("Content-Length")
		uncompressed = true
	}
	u, _ := url.Parse(ex.URL)
	host := ex.Host
	if host == "" && u != nil {
		host = u.Host
	}
	return &cassette.Interaction{
		Request: cassette.Request{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: host, URL: ex.URL, Method: ex.Method,
			Headers: ex.RequestHeader.Clone()},
		Response: cassette.Response{Proto: ex.Proto, ProtoMajor: 1, ProtoMinor: 1, Code: ex.StatusCode,
			Status: fmt.Sprintf("%d %s", ex.StatusCode, http.StatusText(ex.StatusCode)), Headers: h,
			Body: string(cex.Body), ContentLength: int64(len(cex.Body)), Uncompressed: uncompressed,
			Duration: ex.Done.Sub(ex.Start)},
	}
}
