package rdsbackup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
	"github.com/rdskit/rdsbackup/internal/redact"
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
		return nil, argError("no project ID: set %s (or --project-id)", EnvProjectID)
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
			return nil, argError("AK/SK credentials need both an access key and a secret key: set %s and %s (or --ak and --sk)", EnvAccessKey, EnvSecretKey)
		}
		s.signer.ProjectID = s.projectID
		auth = AKSKAuth(s.signer)
	default:
		return nil, argError("no credentials: set %s (or --token), or %s and %s (or --ak and --sk)", EnvAuthToken, EnvAccessKey, EnvSecretKey)
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
			return "", argError("no endpoint: set %s (or --endpoint) to a base URL, or %s (or --region) to a region such as ap-southeast-1", EnvEndpoint, EnvRegion)
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

// checkProjectID refuses a project ID that is not 32 hexadecimal characters (the form the
// provider gives every project) before anything is sent.
func checkProjectID(p string) error {
	ok := len(p) == 32
	for i := 0; ok && i < len(p); i++ {
		c := p[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	if !ok {
		return argError("project ID %q is not 32 hexadecimal characters (%s or --project-id; the console shows it under My Credentials, API Credentials)", oneLine(p, 40), EnvProjectID)
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
	start := time.Now()
	// the call's own timeout is what can run out, unless the caller's deadline comes first
	ownTimeout := a.timeout > 0
	if dl, ok := ctx.Deadline(); ok && ownTimeout && dl.Before(start.Add(a.timeout)) {
		ownTimeout = false
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
		return nil, a.connectionError(start, ownTimeout, err)
	}
	defer rsp.Body.Close()
	body, err := readBody(rsp, a.maxBody)
	ct := rsp.Header.Get("Content-Type")
	rid := rsp.Header.Get("X-Request-Id")
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return nil, fmt.Errorf("rds: HTTP %d response body exceeds the %d-byte limit: %w", rsp.StatusCode, a.maxBody, err)
		}
		return nil, fmt.Errorf("rds: reading HTTP %d response body: %w", rsp.StatusCode, redact.URLError(err))
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
