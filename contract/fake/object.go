package fake

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"sync"
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
	var content io.ReadSeeker = Content(name, f.Size)
	if s.cfg.CorruptObjects[name] && f.Size > 0 {
		content = &corruptReader{r: content, at: f.Size * 1024 / 2}
	}
	switch s.cfg.ObjectETag {
	case ObjectETagMD5:
		w.Header().Set("ETag", `"`+s.objectMD5(bucket, backup, name, f.Size)+`"`)
	case ObjectETagMultipart:
		w.Header().Set("ETag", `"`+multipartETag(s.objectMD5(bucket, backup, name, f.Size))+`"`)
	case ObjectETagNone:
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", s.started, content)
}

// ObjectETagMode says which ETag the fake's object route gives objects (Config.ObjectETag).
type ObjectETagMode string

const (
	// ObjectETagMD5 (the default, also chosen by "") sends ETag: "<md5 hex of the content>", as
	// object storage does for an object uploaded in one part.
	ObjectETagMD5 ObjectETagMode = "md5"
	// ObjectETagMultipart sends ETag: "<32 hex>-3", as object storage does for an object
	// uploaded in 3 parts: a strong validator, but not the content's MD5.
	ObjectETagMultipart ObjectETagMode = "multipart"
	// ObjectETagNone sends no ETag (Last-Modified remains the only validator).
	ObjectETagNone ObjectETagMode = "none"
)

// Valid reports whether m is one of the ObjectETag* modes ("" is not: New maps it to md5).
func (m ObjectETagMode) Valid() bool {
	switch m {
	case ObjectETagMD5, ObjectETagMultipart, ObjectETagNone:
		return true
	}
	return false
}

// ETag returns the MD5 (32 lower-case hex digits) of Content(name, sizeKB): the entity tag
// the fake's object route sends, quoted, in its default mode (ObjectETagMD5). It reads the
// whole content on every call (a 1 GiB file takes 2 to 4 s); the server computes each
// object's tag once, on its first request, and keeps it.
func ETag(name string, sizeKB int64) string {
	h := md5.New()
	_, _ = io.Copy(h, Content(name, sizeKB))
	return hex.EncodeToString(h.Sum(nil))
}

// multipartETag derives a multipart-style tag from the content's MD5 (as object storage
// does, an MD5 of part digests followed by the part count; here the one digest stands in
// for the parts).
func multipartETag(md5hex string) string {
	sum, _ := hex.DecodeString(md5hex)
	d := md5.Sum(sum)
	return hex.EncodeToString(d[:]) + "-3"
}

// etagKey names an object in the server's ETag cache.
type etagKey struct {
	bucket, backup, name string
	size                 int64
}

type etagEntry struct {
	once sync.Once
	md5  string
}

// objectMD5 returns the MD5 hex of an object's correct content, computing it on the
// object's first request (concurrent first requests wait for one computation) and keeping
// it for the server's life.
func (s *Server) objectMD5(bucket, backup, name string, sizeKB int64) string {
	v, _ := s.etags.LoadOrStore(etagKey{bucket, backup, name, sizeKB}, &etagEntry{})
	e := v.(*etagEntry)
	e.once.Do(func() {
		s.etagRuns.Add(1)
		e.md5 = ETag(name, sizeKB)
	})
	return e.md5
}

// corruptReader serves r with the byte at offset at inverted (Config.CorruptObjects).
type corruptReader struct {
	r   io.ReadSeeker
	at  int64
	off int64
}

func (c *corruptReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.at >= c.off && c.at < c.off+int64(n) {
		p[c.at-c.off] ^= 0xff
	}
	c.off += int64(n)
	return n, err
}

func (c *corruptReader) Seek(offset int64, whence int) (int64, error) {
	off, err := c.r.Seek(offset, whence)
	if err == nil {
		c.off = off
	}
	return off, err
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
