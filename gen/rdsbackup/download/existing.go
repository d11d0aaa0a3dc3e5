package download

import (
	"context"
	"fmt"
	"net/http"
)

// existing decides about a NAME that is already there (and Force is not set): its length
// must fit the API's size, and where the object has an MD5 ETag (asked with a HEAD of the
// link) its MD5 must match; then it is skipped. Otherwise it is a different file, reported
// and left alone.
func (j *job) existing(ctx context.Context, size int64, res FileResult) FileResult {
	res.Bytes, res.Total = size, size
	if !SizeFits(size, j.f.Size) {
		res.Err = j.fail(0, fmt.Sprintf("%s exists with %d bytes, which does not fit %d KB; not overwritten without --force", j.final, size, j.f.Size), ErrExists)
		return res
	}
	etag, why := j.head(ctx)
	want, isMD5 := md5ETag(etag)
	if isMD5 || j.d.SHA256 {
		f, err := openRead(j.final)
		if err != nil {
			res.Err = j.fail(0, "reading "+j.final, err)
			return res
		}
		defer f.Close()
		if err := j.dig.hashFile(ctx, f, size); err != nil {
			res.Err = j.fail(0, "reading "+j.final, err)
			return res
		}
		res.MD5, res.SHA256 = j.dig.MD5(), j.dig.SHA256()
	}
	switch {
	case isMD5 && want != res.MD5:
		res.Err = j.fail(0, fmt.Sprintf("%s exists with a fitting size but MD5 %s, and the object's is %s: a different file; not overwritten without --force", j.final, res.MD5, want), ErrExists)
		return res
	case isMD5:
		res.Verified = true
	case why != "":
		res.Note = "not verified (" + why + ")"
	default:
		res.Note = "not verified (no MD5 ETag)"
	}
	res.Skipped = true
	return res
}

// head returns the object's ETag from a HEAD of the link (a new link is asked for once if
// it has expired or is refused); why says what went wrong when there is none to be had.
func (j *job) head(ctx context.Context) (etag, why string) {
	if t, err := j.link.LinkExpiredTime.Time(); err == nil && !j.d.now().Before(t) {
		if err := j.refresh(ctx); err != nil {
			return "", "could not get a new link"
		}
	}
	for try := 0; try < 2; try++ {
		hctx, cancel := context.WithTimeout(ctx, j.stall())
		req, err := http.NewRequestWithContext(hctx, http.MethodHead, j.link.DownloadLink, nil)
		if err != nil {
			cancel()
			return "", "the link is not a valid URL"
		}
		req.Header.Set("User-Agent", userAgent)
		rsp, err := j.d.client().Do(req)
		cancel()
		if err != nil {
			return "", "the link did not answer a HEAD request"
		}
		rsp.Body.Close()
		switch {
		case rsp.StatusCode == http.StatusForbidden && try == 0:
			if err := j.refresh(ctx); err != nil {
				return "", "could not get a new link"
			}
			continue
		case rsp.StatusCode/100 != 2:
			return "", fmt.Sprintf("the link answered HEAD with HTTP %d", rsp.StatusCode)
		}
		return rsp.Header.Get("ETag"), ""
	}
	return "", "the link was refused"
}
