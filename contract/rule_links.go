package contract

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/redact"
)

// The rules about the files of a 2xx body: their download links and when these expire. Each
// is one row of checkTable. They read the files through exchange.linkFiles, which reads the
// body once for all of them.

// expiryTolerance is how far a link's Expires query parameter may be from its
// link_expired_time (check link_expiry_consistent).
const expiryTolerance = 60 * time.Second

// linkFile is one object of the files array of a 2xx body, as the rules about links read it.
type linkFile struct {
	index int // its index in files

	expired    string    // link_expired_time, when it is a string
	hasExpired bool      // link_expired_time is a string
	exp        time.Time // link_expired_time parsed leniently (parseExpiry)
	haveExp    bool      // exp is set

	link    string   // download_link, when it is a string
	hasLink bool     // download_link is a string
	url     *url.URL // download_link parsed; nil when it is absent or does not parse
}

// at returns the JSON pointer of field of the file.
func (f *linkFile) at(field string) string {
	return "/files/" + strconv.Itoa(f.index) + "/" + field
}

// linkFiles returns the objects of the files array of a 2xx JSON body (other elements are
// skipped: check schema reports them), and whether there is such an array, not empty.
func (x *exchange) linkFiles() ([]linkFile, bool) {
	if !x.filesDone {
		x.filesDone = true
		x.files, x.filesPresent = readLinkFiles(x)
	}
	return x.files, x.filesPresent
}

// readLinkFiles reads the files of x for linkFiles.
func readLinkFiles(x *exchange) ([]linkFile, bool) {
	if status := x.ex.StatusCode; status < 200 || status > 299 {
		return nil, false
	}
	body, ok := x.decoded()
	if !ok {
		return nil, false
	}
	obj, _ := body.(map[string]any)
	files, _ := obj["files"].([]any)
	if len(files) == 0 {
		return nil, false
	}
	out := make([]linkFile, 0, len(files))
	for i, f := range files {
		file, ok := f.(map[string]any)
		if !ok {
			continue
		}
		lf := linkFile{index: i}
		if lf.expired, lf.hasExpired = file["link_expired_time"].(string); lf.hasExpired {
			lf.exp, lf.haveExp = parseExpiry(lf.expired)
		}
		if lf.link, lf.hasLink = file["download_link"].(string); lf.hasLink {
			lf.url, _ = url.Parse(lf.link)
		}
		out = append(out, lf)
	}
	return out, true
}

// ruleTimestampFormat checks that every link_expired_time is in the documented layout
// yyyy-mm-ddThh:mm:ss±hhmm and is a real date and time (rdsbackup.CheckTimestamp).
func ruleTimestampFormat(_ *Validator, x *exchange, out []Violation) []Violation {
	files, _ := x.linkFiles()
	for i := range files {
		f := &files[i]
		if !f.hasExpired {
			continue
		}
		err := rdsbackup.CheckTimestamp(f.expired)
		if err == nil {
			continue
		}
		reason := err.Error()
		if te, ok := err.(*rdsbackup.TimestampError); ok {
			reason = te.Reason
		}
		lt := f.expired
		out = append(out, Violation{
			Check: CheckTimestampFormat, Severity: Failure, Where: f.at("link_expired_time"),
			Got: short(strconv.Quote(lt), maxGot), Want: rdsbackup.TimestampLayoutHuman, Engine: EngineRules,
			Message: short("link_expired_time "+strconv.Quote(lt)+" is not in the documented layout "+
				rdsbackup.TimestampLayoutHuman+" (e.g. 2018-08-16T10:15:14+0800): "+reason, maxMessage),
		})
	}
	return out
}

// ruleLinkHTTPS checks that every download_link is an absolute https URL with a host. A
// plain http link back to the plain http endpoint the API was called at (a local fake or
// test deployment serving its own objects) is a Warning, not a Failure.
func ruleLinkHTTPS(_ *Validator, x *exchange, out []Violation) []Violation {
	files, _ := x.linkFiles()
	for i := range files {
		f := &files[i]
		if !f.hasLink {
			continue
		}
		u := f.url
		if u != nil && strings.EqualFold(u.Scheme, "https") && u.Host != "" && u.Opaque == "" {
			continue
		}
		why := "it does not parse as a URL"
		switch {
		case u == nil:
		case u.Scheme == "":
			why = "it has no scheme"
		case !strings.EqualFold(u.Scheme, "https"):
			why = "its scheme is " + strconv.Quote(u.Scheme)
		default:
			why = "it has no host"
		}
		sev, msg := Failure, "download_link is not an absolute https URL: "+why
		if u != nil && sameHostPlainHTTP(x, u) {
			sev, msg = Warning, msg+" (the link is on the plain-http endpoint itself, so this is a warning)"
		}
		out = append(out, Violation{
			Check: CheckLinkHTTPS, Severity: sev, Where: f.at("download_link"),
			Got: short(redact.URL(f.link), maxGot), Want: "an absolute https:// URL with a host", Engine: EngineRules,
			Message: msg,
		})
	}
	return out
}

// ruleLinkNotExpired checks that every link expires after the response's Date (or
// Options.Now, when there is no Date) and at most Options.MaxLinkTTL after it. Without
// either time, it checks nothing; a Date that does not parse is a Warning.
func ruleLinkNotExpired(v *Validator, x *exchange, out []Violation) []Violation {
	files, present := x.linkFiles()
	if !present {
		return out
	}
	ref, haveRef, out := linkReference(v, x, out)
	if !haveRef {
		return out
	}
	for i := range files {
		f := &files[i]
		if !f.haveExp {
			continue
		}
		exp, lt := f.exp, f.expired
		switch {
		case !exp.After(ref):
			out = append(out, Violation{
				Check: CheckLinkNotExpired, Severity: Failure, Where: f.at("link_expired_time"),
				Got: short(strconv.Quote(lt), maxGot), Want: "after " + formatRef(ref, exp), Engine: EngineRules,
				Message: "the link had already expired when the response was sent (Date " + ref.UTC().Format(http.TimeFormat) + ")",
			})
		case exp.Sub(ref) > v.opts.MaxLinkTTL:
			out = append(out, Violation{
				Check: CheckLinkNotExpired, Severity: Failure, Where: f.at("link_expired_time"),
				Got:  short(strconv.Quote(lt), maxGot),
				Want: "no later than " + formatRef(ref.Add(v.opts.MaxLinkTTL), exp), Engine: EngineRules,
				Message: "the link stays valid for " + exp.Sub(ref).Round(time.Second).String() +
					" after the response's Date, more than the maximum of " + v.opts.MaxLinkTTL.String(),
			})
		}
	}
	return out
}

// linkReference returns the time links must not have expired at (check link_not_expired):
// the response's Date, else when it was received (Exchange.Received), else Options.Now if
// set. A Date that does not parse adds a Warning to out.
func linkReference(v *Validator, x *exchange, out []Violation) (time.Time, bool, []Violation) {
	if d := x.ex.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			return t, true, out
		}
		out = append(out, Violation{
			Check: CheckLinkNotExpired, Severity: Warning, Where: "header:Date",
			Got: short(d, maxGot), Want: "an HTTP date (RFC 9110)", Engine: EngineRules,
			Message: "the Date header does not parse, so link expiry was checked against the time the response was received, if known",
		})
	}
	if !x.ex.Received.IsZero() {
		return x.ex.Received, true, out
	}
	if v.opts.Now != nil {
		return v.opts.Now(), true, out
	}
	return time.Time{}, false, out
}

// ruleLinkExpiryConsistent checks that a link's Expires query parameter, when it has one, is
// a number of Unix seconds within expiryTolerance of its link_expired_time.
func ruleLinkExpiryConsistent(_ *Validator, x *exchange, out []Violation) []Violation {
	files, _ := x.linkFiles()
	for i := range files {
		f := &files[i]
		if !f.haveExp || f.url == nil {
			continue
		}
		raw, ok := queryValue(f.url.RawQuery, "Expires")
		if !ok {
			continue
		}
		exp := f.exp
		secs, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			out = append(out, Violation{
				Check: CheckLinkExpiryConsistent, Severity: Failure, Where: f.at("download_link"),
				Got: short("Expires="+raw, maxGot), Want: "Expires=<Unix seconds>", Engine: EngineRules,
				Message: "the link's Expires query parameter is not a number of Unix seconds",
			})
		} else if d := time.Unix(secs, 0).Sub(exp); d > expiryTolerance || d < -expiryTolerance {
			out = append(out, Violation{
				Check: CheckLinkExpiryConsistent, Severity: Failure, Where: f.at("download_link"),
				Got:  short("Expires="+raw+" ("+time.Unix(secs, 0).In(exp.Location()).Format(rdsbackup.TimestampLayout)+")", maxGot),
				Want: "within 60s of link_expired_time " + strconv.Quote(f.expired), Engine: EngineRules,
				Message: "the link's Expires query parameter is " + d.Round(time.Second).String() +
					" away from its link_expired_time",
			})
		}
	}
	return out
}

// parseExpiry parses link_expired_time leniently: the documented layout, else whatever
// rdsbackup.LinkExpiredTime accepts (RFC 3339).
func parseExpiry(s string) (time.Time, bool) {
	if t, err := time.Parse(rdsbackup.TimestampLayout, s); err == nil {
		return t, true
	}
	t, err := rdsbackup.LinkExpiredTimeFromString(s).Time()
	return t, err == nil
}

// formatRef renders t in the documented layout, in the zone of like.
func formatRef(t, like time.Time) string {
	return t.In(like.Location()).Format(rdsbackup.TimestampLayout)
}

// queryValue returns the (unescaped) value of the first parameter of raw named name
// (case-insensitively), without building a url.Values.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, val, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, name) {
			if u, err := url.QueryUnescape(val); err == nil {
				val = u
			}
			return val, true
		}
	}
	return "", false
}

// sameHostPlainHTTP reports whether the exchange's request went to an http:// URL and the
// link is an http:// URL on the same host and port.
func sameHostPlainHTTP(x *exchange, link *url.URL) bool {
	return x.req != nil && strings.EqualFold(x.req.URL.Scheme, "http") &&
		strings.EqualFold(link.Scheme, "http") && link.Host != "" && strings.EqualFold(link.Host, x.req.URL.Host)
}
