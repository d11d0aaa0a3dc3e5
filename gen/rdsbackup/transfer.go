package rdsbackup

import (
	"net/http"

	"github.com/rdskit/rdsbackup/internal/redact"
)

// DownloadClient returns the HTTP client for download links: the API's TLS settings
// (WithCAFile, WithInsecureSkipVerify) and connection pool, no credentials, no overall
// timeout (a large file takes long), no retry layer, and redirects that carry neither
// credentials nor Referer. With WithCustomHTTPClient it is that client.
func (a *API) DownloadClient() *http.Client { return a.download }

// Redact masks, in s, this client's own credentials (a server may echo them back) and the
// secret query parameters of any link. Use it on any text from a server before showing it.
func (a *API) Redact(s string) string { return a.scrub(redact.Text(s)) }
