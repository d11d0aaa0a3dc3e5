package fake

import (
	"crypto/hmac"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// serveObject serves a file behind a download link, as object storage does for a presigned
// URL: the link's Expires must be in the future and its Signature must match; then the
// content is served with HEAD, Range and If-Range support (http.ServeContent).
func (s *Server) serveObject(w http.ResponseWriter, r *http.Request) {
	bucket, backup, name := r.PathValue("bucket"), r.PathValue("backup"), r.PathValue("name")
	q := r.URL.Query()
	exp := q.Get("Expires")
	sig := q.Get("Signature")
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || sig == "" || q.Get("AccessKeyId") == "" {
		s.objectError(w, r, http.StatusForbidden, "AccessDenied", "Query-string authentication requires the Signature, Expires and AccessKeyId parameters")
		return
	}
	if !hmac.Equal([]byte(sig), []byte(s.linkSignature(bucket, backup, name, exp))) {
		s.objectError(w, r, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if !s.cfg.Now().Before(time.Unix(expUnix, 0)) {
		s.objectError(w, r, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	f, ok := s.file(bucket, backup, name)
	if !ok {
		s.objectError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	content := Content(name, f.Size)
	w.Header().Set("ETag", `"`+ETag(name, f.Size)+`"`)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", s.started, content)
}

// ETag returns the entity tag the fake gives a file's content.
func ETag(name string, sizeKB int64) string {
	return hmacHex([]byte("etag"), name+"\x00"+strconv.FormatInt(sizeKB, 10))[:32]
}

func (s *Server) file(bucket, backup, name string) (File, bool) {
	b, ok := s.cfg.Backups[backup]
	if !ok || b.Bucket != bucket {
		return File{}, false
	}
	for _, f := range b.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// objectError writes an object-storage style XML error.
func (s *Server) objectError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	type obsError struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(obsError{Code: code, Message: msg, RequestID: requestID(r.Context())})
}
