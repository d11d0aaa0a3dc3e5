// Package redact removes secrets (tokens, signatures, credentials carried in download links)
// from values before they reach a log, an error, a report or a recording.
package redact

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// secretHeaders are request and response headers whose values are always secret.
var secretHeaders = map[string]bool{
	"Authorization":        true,
	"X-Auth-Token":         true,
	"X-Subject-Token":      true,
	"X-Security-Token":     true,
	"Cookie":               true,
	"Set-Cookie":           true,
	"Proxy-Authorization":  true,
	"X-Amz-Security-Token": true,
}

// IsSecretHeader reports whether the header's values are secret.
func IsSecretHeader(name string) bool {
	return secretHeaders[http.CanonicalHeaderKey(name)]
}

// Credentials returns the literal secrets a request's headers carry, to be masked wherever
// they reappear (a server echoing a token into X-Request-Id, say): the value of every secret
// header (IsSecretHeader), and the access key and signature inside an SDK-HMAC-SHA256
// Authorization ("... Access=AK, SignedHeaders=..., Signature=HEX"), which may reappear alone.
func Credentials(h http.Header) []string {
	var out []string
	for name, vs := range h {
		if !IsSecretHeader(name) {
			continue
		}
		for _, v := range vs {
			if v == "" {
				continue
			}
			out = append(out, v)
			for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
				if k, pv, ok := strings.Cut(part, "="); ok && (k == "Access" || k == "Signature") && pv != "" {
					out = append(out, pv)
				}
			}
		}
	}
	return out
}

// secretQuery lists query parameters (lower case) of download links that carry credentials
// or signatures: OBS and S3 V2/V4 presigned URLs, and common token parameters.
var secretQuery = map[string]bool{
	"accesskeyid":          true,
	"signature":            true,
	"x-obs-security-token": true,
	"x-amz-credential":     true,
	"x-amz-signature":      true,
	"x-amz-security-token": true,
	"awsaccesskeyid":       true,
	"x-obs-credential":     true,
	"x-obs-signature":      true,
	"token":                true,
	"sig":                  true,
	"x-auth-token":         true,
	"security-token":       true,
}

// IsSecretQuery reports whether a query parameter of a URL carries a credential or signature.
func IsSecretQuery(name string) bool {
	return secretQuery[strings.ToLower(name)]
}

// Header returns a copy of h with secret header values replaced by Mask.
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if IsSecretHeader(k) {
			masked := make([]string, len(vs))
			for i := range masked {
				masked[i] = Mask
			}
			out[k] = masked
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// URL returns s with the values of secret query parameters replaced by Mask and any user
// information (user:password@) removed. A string that does not parse as a URL is returned
// with every query-like "name=value" pair of a secret name masked.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.RawQuery == "" && u.User == nil) {
		if i := strings.IndexByte(s, '?'); i >= 0 {
			return s[:i+1] + query(s[i+1:])
		}
		return s
	}
	u.User = nil
	u.RawQuery = query(u.RawQuery)
	return u.String()
}

// query masks the values of secret parameters in a raw query string, keeping its order.
func query(raw string) string {
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && IsSecretQuery(name) {
			parts[i] = k + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// Strings returns s with every occurrence of each non-empty secret replaced by Mask, whatever
// its length (Values is the rule for known credentials: short values only as whole words).
func Strings(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

// Links masks the secret query parameters of every http(s) URL found in free text (an
// error message, a response excerpt, a log line).
func Links(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := indexScheme(s)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexFunc(s, func(r rune) bool {
			return r == ' ' || r == '"' || r == '\'' || r == '<' || r == '>' || r == '\n' || r == '\t' || r == '\\' || r == '`'
		})
		if end < 0 {
			end = len(s)
		}
		b.WriteString(URL(s[:end]))
		s = s[end:]
	}
}

func indexScheme(s string) int {
	i := strings.Index(s, "http://")
	j := strings.Index(s, "https://")
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	case i < j:
		return i
	default:
		return j
	}
}

// URLError returns err with the secrets of the URL that net/http puts into its *url.Error
// masked (URL); other errors are returned as they are.
func URLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: URL(ue.URL), Err: ue.Err}
	}
	return err
}

// Error returns err, or, when mask changes its text, err with its text passed through mask,
// still inspectable with errors.Is and errors.As.
func Error(err error, mask func(string) string) error {
	if err == nil {
		return nil
	}
	if s := err.Error(); mask(s) != s {
		return &maskedError{err: err, text: mask(s)}
	}
	return err
}

// maskedError is an error whose text has been masked.
type maskedError struct {
	err  error
	text string
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }
