package rdsbackup

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// Version is this client's version; it appears in the User-Agent.
const Version = "0.1.0"

// ModulePath is this client's Go module path; it appears in the User-Agent.
const ModulePath = "github.com/rdskit/rdsbackup"

// Defaults of the client's settings.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultRetries     = 3        // attempts after the first, for 429, 5xx and connection errors
	DefaultMaxBodySize = 10 << 20 // bytes of a response body read at most
	maxRetryAfter      = 60 * time.Second
)

// DefaultUserAgent is the User-Agent sent unless WithUserAgent says otherwise.
var DefaultUserAgent = "rdsbackup-go/" + Version + " (+https://" + ModulePath + ")"

// API calls the backup-files operation of one RDS endpoint for one project.
// It is safe for concurrent use. Build it with New or NewFromEnv.
type API struct {
	baseURL   string
	projectID string
	client    *ClientWithResponses
	http      *http.Client
	language  *ShowBackupDownloadLinkParamsXLanguage
	maxBody   int64
	timeout   time.Duration // per call, retries included (0: none)
	userAgent string
	urlPrefix string // base/v3/{escaped project}/backup-files?backup_id=
	auth      RequestEditorFn
	download  *http.Client // for download links: same TLS, no credentials, no overall timeout
	secrets   []string     // this client's credentials, masked in any text it shows
}

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

// New returns a client ready to call the endpoint. It needs an endpoint (or region), a project
// ID and credentials (a token or an AK/SK pair); nothing is sent until a call is made.
func New(opts ...Option) (*API, error) {
	s := settings{
		timeout:      DefaultTimeout,
		retries:      DefaultRetries,
		retryInitial: 500 * time.Millisecond,
		userAgent:    DefaultUserAgent,
		maxBody:      DefaultMaxBodySize,
	}
	for _, o := range opts {
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	if s.warn == nil {
		s.warn = os.Stderr
	}
	base, err := baseURL(s.endpoint, s.region)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.projectID) == "" {
		return nil, argError("project ID is empty (set it with WithProjectID or HUAWEICLOUD_SDK_PROJECT_ID)")
	}
	if err := checkProjectID(s.projectID); err != nil {
		return nil, err
	}
	var auth RequestEditorFn
	switch {
	case s.token != "":
		auth = TokenAuth(s.token)
	case s.signer != nil:
		if s.signer.AccessKey == "" || s.signer.SecretKey == "" {
			return nil, argError("AK/SK credentials need both an access key and a secret key")
		}
		s.signer.ProjectID = s.projectID
		auth = AKSKAuth(s.signer)
	default:
		return nil, argError("no credentials: give a token (RDS_AUTH_TOKEN) or an AK/SK pair (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK)")
	}
	hc, dl := s.httpClient, s.httpClient
	if hc == nil {
		hc, dl, err = newHTTPClients(&s, base)
		if err != nil {
			return nil, err
		}
	}
	ua := s.userAgent
	c, err := NewClientWithResponses(base, WithHTTPClient(hc), WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		if ua != "" {
			req.Header.Set("User-Agent", ua)
		}
		return nil
	}))
	if err != nil {
		return nil, argError("endpoint %q: %v", base, err)
	}
	// Credentials masked when a server echoes them. Real tokens and keys are long; a value of
	// a few characters (a test's "t") would mask ordinary words instead.
	var secrets []string
	for _, v := range []string{s.token, signerField(s.signer, false), signerField(s.signer, true)} {
		if len(v) >= 8 {
			secrets = append(secrets, v)
		}
	}
	a := &API{secrets: secrets, baseURL: base, projectID: s.projectID, client: c, http: hc, maxBody: s.maxBody, auth: auth, download: dl,
		timeout: s.timeout, userAgent: ua,
		urlPrefix: base + "/v3/" + url.PathEscape(s.projectID) + "/backup-files?backup_id="}
	if s.language != "" {
		l := ShowBackupDownloadLinkParamsXLanguage(s.language)
		a.language = &l
	}
	return a, nil
}

// baseURL turns an endpoint or a region into the base URL of the API.
func baseURL(endpoint, region string) (string, error) {
	if endpoint == "" {
		if region == "" {
			return "", argError("no endpoint: give an endpoint (RDS_ENDPOINT) or a region (HUAWEICLOUD_SDK_REGION)")
		}
		if !validRegion(region) {
			return "", argError("region %q is not a region name such as ap-southeast-1", region)
		}
		return "https://rds." + region + ".myhuaweicloud.com", nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", argError("endpoint %q is not a URL", redactUserinfo(endpoint))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", argError("endpoint %q: scheme must be https or http", redactUserinfo(endpoint))
	}
	if u.Host == "" {
		return "", argError("endpoint %q has no host", redactUserinfo(endpoint))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", argError("endpoint %q: give only scheme, host and an optional path", redactUserinfo(endpoint))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func redactUserinfo(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return u.String()
	}
	return s
}

// checkProjectID refuses values that would change the request path even once escaped.
func checkProjectID(p string) error {
	if p == "." || p == ".." {
		return argError("project ID %q is not a project ID", p)
	}
	return nil
}

// newHTTPClients builds the transport stack: TLS settings, retries, redirect policy, timeout
// for API calls; and a client for download links that shares the TLS settings and connection
// pool but has no overall timeout (a large file takes long; stalls are caught by the
// downloader) and no retry layer (the downloader resumes instead).
func newHTTPClients(s *settings, base string) (*http.Client, *http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.caFile != "" {
		pool, err := loadCAFile(s.caFile)
		if err != nil {
			return nil, nil, err
		}
		tlsConf.RootCAs = pool
	}
	if s.insecure {
		fmt.Fprintf(s.warn, "rdsbackup: WARNING: TLS certificate verification is OFF for %s: anyone on the path can read and change the traffic; use a CA file (RDS_CA_FILE) instead\n", base)
		tlsConf.InsecureSkipVerify = true
	}
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = s.timeout
	var rt http.RoundTripper = tr
	if s.retries > 0 {
		rt = &retryTransport{next: tr, retries: s.retries, initial: s.retryInitial}
	}
	// The call's timeout is a context deadline set per call (cheaper than Client.Timeout).
	api := &http.Client{Transport: rt, CheckRedirect: sameHostCredentials}
	dl := &http.Client{Transport: tr, CheckRedirect: sameHostCredentials}
	return api, dl, nil
}

// downloadClient returns the client for download links.
func (a *API) downloadClient() *http.Client { return a.download }

// loadCAFile returns the system roots plus the PEM certificates in path.
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, argError("CA file: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, argError("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// credentialHeaders are never sent to a host other than the endpoint's.
var credentialHeaders = []string{"X-Auth-Token", "Authorization", "X-Security-Token", "X-Sdk-Date", "X-Project-Id", "Cookie"}

// sameHostCredentials follows at most 5 redirects, drops Referer from every redirect, and
// strips the credentials from any redirect that leaves the original host (net/http would
// forward X-Auth-Token).
func sameHostCredentials(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	// net/http sets Referer to the previous URL: a signed link's AccessKeyId and Signature
	// (or the API's URL) would reach the next host. Never sent, same host or not.
	req.Header.Del("Referer")
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || req.URL.Scheme != via[0].URL.Scheme {
		for _, h := range credentialHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}

// ProjectID returns the project the client asks about.
func (a *API) ProjectID() string { return a.projectID }

// BaseURL returns the endpoint's base URL.
func (a *API) BaseURL() string { return a.baseURL }

// HTTPClient returns the HTTP client used for API calls (its retry and TLS settings apply).
func (a *API) HTTPClient() *http.Client { return a.http }

// Generated returns the generated client, with the same transport and User-Agent; pass
// a.Authenticate as a request editor to each call.
func (a *API) Generated() *ClientWithResponses { return a.client }

// Authenticate adds the credentials to req (token or AK/SK signature). It is the request
// editor that API calls use.
func (a *API) Authenticate(ctx context.Context, req *http.Request) error { return a.auth(ctx, req) }

// Result is a successful answer: the decoded body and the response as received.
type Result struct {
	BackupFiles             // the decoded body
	Body        []byte      // the body exactly as received
	StatusCode  int         // 200, normally
	Header      http.Header // response headers
	RequestID   string      // X-Request-Id
}

// ShowBackupDownloadLink asks for the files of backup backupID and their download links.
//
// A non-2xx answer is returned as *APIError; a 2xx answer whose body cannot be used as
// *ResponseError; an empty backupID as ErrInvalidArgument, before anything is sent.
// See https://support.huaweicloud.com/intl/en-us/api-rds/rds_09_0006.html.
func (a *API) ShowBackupDownloadLink(ctx context.Context, backupID string) (*Result, error) {
	res, err := a.showBackupDownloadLink(ctx, backupID)
	return res, a.scrubError(err)
}

func (a *API) showBackupDownloadLink(ctx context.Context, backupID string) (*Result, error) {
	if strings.TrimSpace(backupID) == "" {
		return nil, argError("backup ID is empty")
	}
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.urlPrefix+url.QueryEscape(backupID), nil)
	if err != nil {
		return nil, argError("backup ID %q does not make a valid URL", oneLine(backupID, 80))
	}
	if a.language != nil {
		req.Header["X-Language"] = []string{string(*a.language)}
	}
	if a.userAgent != "" {
		req.Header["User-Agent"] = []string{a.userAgent}
	}
	if err := a.auth(ctx, req); err != nil {
		return nil, fmt.Errorf("rds: authenticating the request: %w", err)
	}
	rsp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rds: ShowBackupDownloadLink: %w", scrubURLError(err))
	}
	defer rsp.Body.Close()
	body, err := readBody(rsp, a.maxBody)
	ct := rsp.Header.Get("Content-Type")
	rid := rsp.Header.Get("X-Request-Id")
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return nil, fmt.Errorf("rds: HTTP %d response body exceeds the %d-byte limit: %w", rsp.StatusCode, a.maxBody, err)
		}
		return nil, fmt.Errorf("rds: reading HTTP %d response body: %w", rsp.StatusCode, scrubURLError(err))
	}
	if rsp.StatusCode < 200 || rsp.StatusCode > 299 {
		return nil, newAPIError(rsp.StatusCode, ct, rid, body)
	}
	res := &Result{Body: body, StatusCode: rsp.StatusCode, Header: rsp.Header, RequestID: rid}
	fail := func(reason string, err error) (*Result, error) {
		return nil, &ResponseError{StatusCode: rsp.StatusCode, ContentType: ct, RequestID: rid, Reason: reason, Excerpt: excerpt(body), Err: err}
	}
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return fail("empty body", nil)
	case !isJSONBody(body):
		return fail(fmt.Sprintf("body is not a JSON object (Content-Type %q)", ct), nil)
	}
	if err := json.Unmarshal(body, &res.BackupFiles); err != nil {
		return fail("body does not decode: "+decodeReason(err), err)
	}
	return res, nil
}

// signerField returns the signer's secret key, or its security token, or "" without a signer.
func signerField(sg *signer.Signer, token bool) string {
	switch {
	case sg == nil:
		return ""
	case token:
		return sg.SecurityToken
	default:
		return sg.SecretKey
	}
}
