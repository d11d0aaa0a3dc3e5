package recording

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// Options say what a Recorder redacts beyond what it always redacts.
//
// Always redacted (replaced by redact.Mask, "REDACTED"): the values of secret headers
// (Authorization, X-Auth-Token, X-Security-Token, Cookie, Set-Cookie and the others of
// redact.IsSecretHeader) in requests and responses; user information in URLs; the values of
// secret query parameters (AccessKeyId, Signature, X-Amz-*/X-Obs-* credentials and
// signatures, token, ...: redact.IsSecretQuery) in the request URL, the request form, header
// values, and every URL or "name=value" pair inside the bodies. Expires and every other
// parameter are kept, so that a recording still passes the link checks.
type Options struct {
	// RedactProject also replaces ProjectID wherever it appears: in the URL path, in headers
	// (X-Project-Id), in the form and in bodies. The live suite sets it when
	// RDS_REDACT_PROJECT=1.
	RedactProject bool
	// ProjectID is the project ID to redact when RedactProject is set.
	ProjectID string
	// Secrets are further literal values (a token, a secret key, a security token) replaced
	// wherever they appear, as a second line of defence against a server that echoes them
	// (into X-Request-Id as "rid-<token>", say). Empty values are ignored.
	Secrets []string
}

// Secrets and the project ID are masked by redact.Values' rule: a value of at least
// redact.MinSecretLen bytes wherever it occurs, even inside a longer word, in header names and
// values, the URL, the form and the bodies; a shorter value only as a whole word. The check
// made before a cassette is written (redact.ContainsValue) applies the same rule.

// words returns the known values to mask (redact.Values).
func (o Options) words() []string {
	var ws []string
	for _, s := range o.Secrets {
		if s != "" && s != redact.Mask {
			ws = append(ws, s)
		}
	}
	if o.RedactProject && o.ProjectID != "" && o.ProjectID != redact.Mask {
		ws = append(ws, o.ProjectID)
	}
	return ws
}

// Redact removes the secrets of in, as a Recorder does before saving it (see Options). It
// replaces header maps, the form and the bodies by redacted copies rather than changing
// them in place, so that the request and response a caller still holds are left alone.
// A JSON body stays valid JSON with its layout and key order; only string values change.
func Redact(in *cassette.Interaction, opts Options) {
	if in == nil {
		return
	}
	r := redactor{words: opts.words()}
	q := &in.Request
	q.URL = r.url(q.URL)
	q.RequestURI = r.url(q.RequestURI)
	q.Host = r.text(q.Host)
	q.RemoteAddr = r.text(q.RemoteAddr)
	q.Headers = r.header(q.Headers)
	q.Trailer = r.header(q.Trailer)
	q.Form = r.form(q.Form)
	if b := r.body(q.Body); b != q.Body {
		q.Body = b
		if q.ContentLength > 0 {
			q.ContentLength = int64(len(b))
		}
	}

	p := &in.Response
	p.Status = r.text(p.Status)
	p.Headers = r.header(p.Headers)
	p.Trailer = r.header(p.Trailer)
	if b := r.body(p.Body); b != p.Body {
		p.Body = b
		if p.ContentLength >= 0 {
			p.ContentLength = int64(len(b))
		}
		if p.Headers.Get("Content-Length") != "" {
			p.Headers.Set("Content-Length", strconv.Itoa(len(b)))
		}
	}
}

// redactor applies Options to the parts of an interaction.
type redactor struct {
	words []string // known values to mask (redact.Values)
}

// text masks secrets in free text: signing parameters of http(s) URLs, secret name=value
// pairs, and the known values.
func (r redactor) text(s string) string {
	if s == "" {
		return s
	}
	s = redact.Links(s)
	s = maskPairs(s)
	return redact.Values(s, r.words...)
}

// url masks secrets in a URL (or a request URI).
func (r redactor) url(s string) string {
	if s == "" {
		return s
	}
	return redact.Values(maskPairs(redact.URL(s)), r.words...)
}

// header returns a redacted copy of h (nil stays nil).
func (r redactor) header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range redact.Header(h) {
		if !redact.IsSecretHeader(k) {
			for i, v := range vs {
				vs[i] = r.text(v)
			}
		}
		name := redact.Values(k, r.words...) // a name may carry an echoed secret too
		out[name] = append(out[name], vs...)
	}
	return out
}

// form returns a redacted copy of f (nil stays nil).
func (r redactor) form(f url.Values) url.Values {
	if f == nil {
		return nil
	}
	out := make(url.Values, len(f))
	for k, vs := range f {
		masked := make([]string, len(vs))
		for i, v := range vs {
			if redact.IsSecretQuery(k) {
				masked[i] = redact.Mask
			} else {
				masked[i] = r.text(v)
			}
		}
		out[r.text(k)] = masked
	}
	return out
}

// body redacts a body: inside each string of a JSON document (keeping the document
// valid and its layout as it was), or as free text otherwise.
func (r redactor) body(b string) string {
	if b == "" {
		return b
	}
	if out, ok := rewriteJSONStrings([]byte(b), r.text); ok {
		return string(out)
	}
	if !utf8.ValidString(b) {
		return redact.Values(b, r.words...) // binary: only the literal values can be recognised
	}
	return r.text(b)
}

// rewriteJSONStrings applies f to the value of every string (keys included) of the JSON
// document b and returns the new document, which differs from b only where f changed a
// string. ok is false when b is not one valid JSON document.
func rewriteJSONStrings(b []byte, f func(string) string) (out []byte, ok bool) {
	if !json.Valid(b) {
		return nil, false
	}
	var buf bytes.Buffer
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		// b is valid JSON, so a quote outside a string opens one; find its end.
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		lit := b[i : j+1]
		var s string
		if err := json.Unmarshal(lit, &s); err != nil {
			return nil, false
		}
		if ns := f(s); ns != s {
			enc, err := encodeString(ns)
			if err != nil {
				return nil, false
			}
			buf.Write(b[last:i])
			buf.Write(enc)
			last = j + 1
		}
		i = j
	}
	if last == 0 {
		return b, true
	}
	buf.Write(b[last:])
	return buf.Bytes(), true
}

// encodeString encodes s as a JSON string without HTML escaping (so '&' in links stays '&').
func encodeString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// maskPairs masks the value of every secret "name=value" pair of s (redact.Pairs).
func maskPairs(s string) string { return redact.Pairs(s) }
