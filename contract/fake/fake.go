// Package fake is an offline endpoint that behaves like the provider's RDS backup-files
// operation: the generated strict-server interface over an in-memory store, with the API
// gateway's authentication (token or SDK-HMAC-SHA256), the provider's error bodies, an
// X-Request-Id on every response, and an object-storage route that serves the files behind
// the download links (ETag the content's MD5, computed on first request; HEAD, Range,
// If-Range; expired or tampered links refused). The gateway authenticates API requests
// before their parameters are checked, as the provider's does.
//
// From a Go test:
//
//	srv, _ := fake.New(fake.Config{ProjectID: "p", Token: "t"})
//	url, _ := srv.Start("127.0.0.1:0")
//	defer srv.Close()
package fake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// Fault-injection backup IDs, answered only when Config.Faults is set.
const (
	FaultThrottled   = "fault-429" // answers 429 APIG.0308 with Retry-After: 1
	FaultServerError = "fault-500" // answers 500 DBS.108000
)

// Config says what the fake serves and whom it lets in.
type Config struct {
	ProjectID string // the one project it knows; others get 403 (required)
	AccessKey string // AK/SK pair accepted for SDK-HMAC-SHA256 signatures (optional)
	SecretKey string
	Token     string // X-Auth-Token accepted (optional)
	// With neither a token nor an AK/SK pair, every request is let in.

	Backups map[string]Backup // the store; nil means DemoBackups()
	LinkTTL time.Duration     // how long download links live (default 5 minutes)
	Faults  bool              // answer the Fault* backup IDs
	Logger  *slog.Logger      // request log; nil discards it
	Now     func() time.Time  // clock; nil means time.Now
	Zone    *time.Location    // zone of link_expired_time; nil means UTC+08:00 as the provider
	TLS     bool              // Start serves HTTPS with a certificate made at start

	// ObjectETag says which ETag the object route (the download links) sends: ObjectETagMD5
	// (the default; "" means it) the MD5 of the served bytes, computed on an object's first
	// request and kept; ObjectETagMultipart a multipart-style "<32 hex>-3" tag that is not the
	// content's MD5; ObjectETagNone no ETag. Any other value makes New fail.
	ObjectETag ObjectETagMode
	// CorruptObjects names files (by file name, in any backup) whose served bytes are wrong:
	// the byte in the middle of the content (offset size×1024/2) is inverted, while the ETag
	// (and Content-Length) stay those of the correct content, so a downloader that checks the
	// MD5 must refuse the file. An empty file cannot be corrupted and is served as is. The map
	// is read while serving: do not change it after New.
	CorruptObjects map[string]bool
}

// Server is a running or ready fake endpoint.
type Server struct {
	cfg      Config
	handler  http.Handler
	linkKey  []byte
	started  time.Time
	reqSeq   atomic.Uint64
	reqBase  string
	srv      *http.Server
	ln       net.Listener
	url      string
	caPEM    []byte
	clientTL *tls.Config
	etags    sync.Map     // etagKey → *etagEntry: each object's MD5, computed on first request
	etagRuns atomic.Int64 // MD5 computations so far (for tests)
}

// New checks cfg and builds the fake's handler.
func New(cfg Config) (*Server, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("fake: a project ID is required")
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, errors.New("fake: give both an access key and a secret key, or neither")
	}
	if cfg.ObjectETag == "" {
		cfg.ObjectETag = ObjectETagMD5
	}
	if !cfg.ObjectETag.Valid() {
		return nil, fmt.Errorf("fake: object ETag mode %q: want md5, multipart or none", string(cfg.ObjectETag))
	}
	if cfg.Backups == nil {
		cfg.Backups = DemoBackups()
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Zone == nil {
		cfg.Zone = time.FixedZone("UTC+08:00", 8*3600)
	}
	s := &Server{cfg: cfg, started: cfg.Now().UTC().Truncate(time.Second)}
	s.linkKey = make([]byte, 32)
	rand.Read(s.linkKey)
	var rb [8]byte
	rand.Read(rb[:])
	s.reqBase = hex.EncodeToString(rb[:])

	// The generated routes get their own mux, with no middleware: the gateway (below)
	// authenticates a request before the generated wrapper binds its parameters, so a request
	// without credentials gets 401 APIG.0301 even when its parameters are wrong, as from the
	// provider's API gateway.
	apiMux := http.NewServeMux()
	strict := rdsbackup.NewStrictHandlerWithOptions(&api{s: s}, nil, rdsbackup.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	rdsbackup.HandlerWithOptions(strict, rdsbackup.StdHTTPServerOptions{
		BaseRouter:       apiMux,
		ErrorHandlerFunc: s.requestError,
	})
	mux := http.NewServeMux()
	// Object links carry their own query-string signature (serveObject) and are not the
	// gateway's: no gateway authentication there.
	mux.HandleFunc("GET /obs/{bucket}/{backup}/{name}", s.serveObject)
	mux.HandleFunc("HEAD /obs/{bucket}/{backup}/{name}", s.serveObject)
	mux.Handle("/", s.gateway(apiMux))
	s.handler = s.common(mux)
	return s, nil
}

// Handler returns the fake as an http.Handler (for httptest.NewServer, say).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (e.g. 127.0.0.1:0) and serves in the background. It returns the base
// URL, http:// or, with Config.TLS, https://.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("fake: listen on %s: %w", addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
	scheme := "http"
	if s.cfg.TLS {
		serverConf, caPEM, err := selfSignedTLS(s.cfg.Now())
		if err != nil {
			ln.Close()
			return "", err
		}
		s.caPEM = caPEM
		ln = tls.NewListener(ln, serverConf)
		scheme = "https"
	}
	s.ln = ln
	host := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		// listening on every address: name one that clients on this machine can use
		host = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	s.url = scheme + "://" + host
	go func() { _ = s.srv.Serve(ln) }()
	return s.url, nil
}

// URL returns the base URL once started.
func (s *Server) URL() string { return s.url }

// CACertPEM returns the PEM certificate of the CA that signed the TLS certificate (with
// Config.TLS, once started); clients trust it through RDS_CA_FILE.
func (s *Server) CACertPEM() []byte { return s.caPEM }

// Close stops the server, closing open connections.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Shutdown stops the server gracefully, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

type ctxKey struct{}

// reqInfo is what the common layer tells the handlers about a request.
type reqInfo struct {
	id   string // X-Request-Id
	base string // scheme://host the client used, for links back to the fake
}

// common gives every response an X-Request-Id, caps request bodies and logs each request.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := s.newRequestID()
		w.Header().Set("X-Request-Id", rid)
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		info := &reqInfo{id: rid, base: scheme + "://" + r.Host}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
		if s.cfg.Logger.Enabled(r.Context(), slog.LevelInfo) {
			s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path), // never the query: links carry signatures
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("took", time.Since(start)),
				slog.String("request_id", rid),
			)
		}
	})
}

func (s *Server) newRequestID() string {
	n := s.reqSeq.Add(1)
	var b [16]byte
	copy(b[:], s.reqBase)
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return s.reqBase + string(b[:])
}

func requestID(ctx context.Context) string {
	if info, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return info.id
	}
	return ""
}

func baseURL(ctx context.Context) string {
	if info, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return info.base
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// gateway routes everything but object links as the provider's API gateway does. A request
// that matches a published API (a route of api, method included) is authenticated first,
// then handed to api, which binds and checks its parameters. Any other request gets 404
// APIG.0101 whatever its credentials, as before this ordering was introduced: the gateway
// must find the API before it knows which authentication the API asks for, and the real one
// answers APIG.0101 to unknown paths without checking credentials.
func (s *Server) gateway(api *http.ServeMux) http.Handler {
	authed := s.authenticate(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := api.Handler(r); pattern == "" {
			s.notFound(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	})
}

// authenticate lets a request through as the provider's API gateway would: a valid
// X-Auth-Token or a valid SDK-HMAC-SHA256 signature; otherwise 401 APIG.0301.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token == "" && s.cfg.AccessKey == "" {
			next.ServeHTTP(w, r)
			return
		}
		if tok := r.Header.Get("X-Auth-Token"); tok != "" {
			if s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1 {
				next.ServeHTTP(w, r)
				return
			}
			s.gatewayError(w, r, http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: the token is invalid")
			return
		}
		if r.Header.Get("Authorization") != "" && s.cfg.AccessKey != "" {
			err := signer.Verify(r, func(ak string) (string, bool) {
				if subtle.ConstantTimeCompare([]byte(ak), []byte(s.cfg.AccessKey)) == 1 {
					return s.cfg.SecretKey, true
				}
				return "", false
			}, s.cfg.Now(), 15*time.Minute)
			if err == nil {
				next.ServeHTTP(w, r)
				return
			}
			s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "signature refused", slog.String("reason", err.Error()), slog.String("request_id", requestID(r.Context())))
			s.gatewayError(w, r, http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail")
			return
		}
		s.gatewayError(w, r, http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: Authorization not found")
	})
}

// gatewayError writes the API gateway's error body (with request_id).
func (s *Server) gatewayError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	rid := requestID(r.Context())
	writeJSONError(w, status, rdsbackup.Error{ErrorCode: code, ErrorMsg: msg, RequestId: &rid})
}

// writeJSONError writes an error body as the generated strict handlers do.
func writeJSONError(w http.ResponseWriter, status int, e rdsbackup.Error) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// requestError answers the generated router's parameter errors (a missing backup_id, say)
// with the provider's 400 body instead of the generator's text/plain default.
func (s *Server) requestError(w http.ResponseWriter, r *http.Request, err error) {
	writeJSONError(w, http.StatusBadRequest, rdsbackup.Error{ErrorCode: "DBS.200001", ErrorMsg: "Invalid parameter: " + paramErrorText(err)})
}

func paramErrorText(err error) string {
	var req *rdsbackup.RequiredParamError
	if errors.As(err, &req) {
		return req.ParamName + " is required"
	}
	var inv *rdsbackup.InvalidParamFormatError
	if errors.As(err, &inv) {
		return inv.ParamName + " is malformed"
	}
	var many *rdsbackup.TooManyValuesForParamError
	if errors.As(err, &many) {
		return many.ParamName + " is given more than once"
	}
	return "the request is malformed"
}

// responseError answers a handler failure with the provider's 500 body.
func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "handler failed", slog.String("error", err.Error()))
	writeJSONError(w, http.StatusInternalServerError, rdsbackup.Error{ErrorCode: "DBS.108000", ErrorMsg: "Server failure."})
}

// notFound answers any other path as the API gateway does.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.gatewayError(w, r, http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
}

// api implements the generated strict-server interface.
type api struct{ s *Server }

func (a *api) ShowBackupDownloadLink(ctx context.Context, req rdsbackup.ShowBackupDownloadLinkRequestObject) (rdsbackup.ShowBackupDownloadLinkResponseObject, error) {
	s := a.s
	if req.ProjectId != s.cfg.ProjectID {
		return rdsbackup.ShowBackupDownloadLink403JSONResponse{ForbiddenJSONResponse: rdsbackup.ForbiddenJSONResponse{Body: rdsbackup.Error{
			ErrorCode: "DBS.280015", ErrorMsg: "The resource was not found or permission was denied: project " + req.ProjectId + " is not yours.",
		}}}, nil
	}
	if req.Params.XLanguage != nil && !req.Params.XLanguage.Valid() {
		return badRequest("DBS.200001", "Invalid parameter: X-Language must be en-us or zh-cn."), nil
	}
	id := req.Params.BackupId
	if id == "" {
		return badRequest("DBS.200001", "Invalid parameter: backup_id is required."), nil
	}
	if s.cfg.Faults {
		switch id {
		case FaultThrottled:
			rid := requestID(ctx)
			ra := "1"
			return rdsbackup.ShowBackupDownloadLink429JSONResponse{TooManyRequestsJSONResponse: rdsbackup.TooManyRequestsJSONResponse{
				Body:    rdsbackup.Error{ErrorCode: "APIG.0308", ErrorMsg: "The throttling threshold has been reached.", RequestId: &rid},
				Headers: rdsbackup.TooManyRequestsResponseHeaders{RetryAfter: &ra},
			}}, nil
		case FaultServerError:
			return rdsbackup.ShowBackupDownloadLink500JSONResponse{InternalServerErrorJSONResponse: rdsbackup.InternalServerErrorJSONResponse{
				Body: rdsbackup.Error{ErrorCode: "DBS.108000", ErrorMsg: "Server failure."},
			}}, nil
		}
	}
	b, ok := s.cfg.Backups[id]
	if !ok {
		return rdsbackup.ShowBackupDownloadLink404JSONResponse{NotFoundJSONResponse: rdsbackup.NotFoundJSONResponse{Body: rdsbackup.Error{
			ErrorCode: "DBS.201010", ErrorMsg: "Backup information does not exist.",
		}}}, nil
	}
	base := baseURL(ctx)
	expires := s.cfg.Now().Add(s.cfg.LinkTTL).Truncate(time.Second)
	expTime := rdsbackup.NewLinkExpiredTime(expires.In(s.cfg.Zone))
	out := rdsbackup.BackupFiles{Bucket: b.Bucket, Files: make([]rdsbackup.BackupFile, len(b.Files))}
	for i, f := range b.Files {
		out.Files[i] = rdsbackup.BackupFile{
			Name:            f.Name,
			Size:            f.Size,
			DatabaseName:    f.DatabaseName,
			LinkExpiredTime: expTime,
			DownloadLink:    s.link(base, b.Bucket, id, f.Name, expires.Unix()),
		}
	}
	return okResponse{body: out}, nil
}

func badRequest(code, msg string) rdsbackup.ShowBackupDownloadLinkResponseObject {
	return rdsbackup.ShowBackupDownloadLink400JSONResponse{BadRequestJSONResponse: rdsbackup.BadRequestJSONResponse{Body: rdsbackup.Error{ErrorCode: code, ErrorMsg: msg}}}
}

// link builds a download link on the fake itself: /obs/{bucket}/{backup}/{name} with an
// object-storage style AccessKeyId, Expires (Unix seconds) and Signature.
func (s *Server) link(base, bucket, backup, name string, expires int64) string {
	exp := strconv.FormatInt(expires, 10)
	return base + "/obs/" + url.PathEscape(bucket) + "/" + url.PathEscape(backup) + "/" + url.PathEscape(name) +
		"?AccessKeyId=FAKEOBSACCESSKEY&Expires=" + exp + "&Signature=" + s.linkSignature(bucket, backup, name, exp)
}

func (s *Server) linkSignature(bucket, backup, name, expires string) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte(bucket + "\x00" + backup + "\x00" + name + "\x00" + expires))
	return hex.EncodeToString(m.Sum(nil))
}

// okResponse writes the 200 body as the provider does: compact JSON with '&' in links kept
// as is (the generated response type would escape it as \u0026, which is valid JSON but not
// what the provider sends).
type okResponse struct {
	body rdsbackup.BackupFiles
}

func (o okResponse) VisitShowBackupDownloadLinkResponse(w http.ResponseWriter) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o.body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := buf.WriteTo(w)
	return err
}
