package rdsbackup

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// Option configures New.
type Option func(*settings) error

type settings struct {
	endpoint, region, projectID string
	token                       string
	signer                      *signer.Signer
	timeout                     time.Duration
	retries                     int
	retryInitial                time.Duration
	caFile                      string
	insecure                    bool
	userAgent                   string
	language                    string
	httpClient                  *http.Client
	maxBody                     int64
	warn                        io.Writer
}

// WithEndpoint sets the endpoint: a base URL such as https://rds.ap-southeast-1.myhuaweicloud.com
// (a bare host name means https). It wins over WithRegion.
func WithEndpoint(endpoint string) Option {
	return func(s *settings) error { s.endpoint = endpoint; return nil }
}

// WithRegion sets the endpoint to the public cloud's https://rds.{region}.myhuaweicloud.com.
func WithRegion(region string) Option {
	return func(s *settings) error { s.region = region; return nil }
}

// WithProjectID sets the project whose backups are asked for.
func WithProjectID(projectID string) Option {
	return func(s *settings) error { s.projectID = projectID; return nil }
}

// WithToken authenticates with an IAM token (header X-Auth-Token).
func WithToken(token string) Option {
	return func(s *settings) error { s.token = token; return nil }
}

// WithAKSK authenticates by signing each request with an access key and secret key
// (SDK-HMAC-SHA256). securityToken is for temporary credentials and may be empty.
func WithAKSK(accessKey, secretKey, securityToken string) Option {
	return func(s *settings) error {
		s.signer = &signer.Signer{AccessKey: accessKey, SecretKey: secretKey, SecurityToken: securityToken}
		return nil
	}
}

// WithTimeout bounds one call, retries and reading the body included (default 30 s; 0 means
// no limit beyond the context's). With WithCustomHTTPClient it still applies.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return argError("timeout %v is negative", d)
		}
		s.timeout = d
		return nil
	}
}

// WithRetries sets how many times a call is retried after a 429, a 5xx or a connection error
// (default 3; 0 disables retries). Waits grow exponentially from initial (default 500 ms) with
// jitter, and follow the server's Retry-After when it gives one (up to 60 s; a longer wait is
// not made and the 429 is returned).
func WithRetries(n int, initial time.Duration) Option {
	return func(s *settings) error {
		if n < 0 {
			return argError("retries %d is negative", n)
		}
		s.retries = n
		if initial > 0 {
			s.retryInitial = initial
		}
		return nil
	}
}

// WithCAFile adds the PEM certificates in path to the system's trusted roots, for endpoints
// behind a private certificate authority. Certificates are always verified unless
// WithInsecureSkipVerify is given.
func WithCAFile(path string) Option {
	return func(s *settings) error { s.caFile = path; return nil }
}

// WithInsecureSkipVerify turns off TLS certificate verification. It is meant for a first
// look at a test deployment only, and logs a warning every time a client is built with it.
// Prefer WithCAFile.
func WithInsecureSkipVerify() Option {
	return func(s *settings) error { s.insecure = true; return nil }
}

// WithUserAgent replaces the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(s *settings) error { s.userAgent = ua; return nil }
}

// WithLanguage sets X-Language, the language of error messages: "en-us" or "zh-cn".
func WithLanguage(lang string) Option {
	return func(s *settings) error {
		if l := ShowBackupDownloadLinkParamsXLanguage(lang); lang != "" && !l.Valid() {
			return argError("language %q is not en-us or zh-cn", lang)
		}
		s.language = lang
		return nil
	}
}

// WithCustomHTTPClient uses hc to send requests instead of a client built from the other options
// (WithTimeout, WithCAFile, WithInsecureSkipVerify and WithRetries then do not apply).
func WithCustomHTTPClient(hc *http.Client) Option {
	return func(s *settings) error { s.httpClient = hc; return nil }
}

// WithMaxBodySize bounds how many bytes of a response body are read (default 10 MiB).
func WithMaxBodySize(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return argError("max body size %d is not positive", n)
		}
		s.maxBody = n
		return nil
	}
}

// WithWarnings sets where warnings (such as WithInsecureSkipVerify's) are written, one line
// each; default os.Stderr.
func WithWarnings(w io.Writer) Option {
	return func(s *settings) error { s.warn = w; return nil }
}

// validRegion reports whether r looks like a region name: lower-case letters and digits in
// groups joined by single hyphens (ap-southeast-1).
func validRegion(r string) bool {
	if r == "" || r[0] == '-' || r[len(r)-1] == '-' || strings.Contains(r, "--") {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
