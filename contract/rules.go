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

// expiryTolerance is how far a link's Expires query parameter may be from its
// link_expired_time (check link_expiry_consistent).
const expiryTolerance = 60 * time.Second

// rules applies the named rules of this package to x. The body is decoded once, leniently;
// whatever it holds, the rules do not panic: what they cannot read they skip (the schema
// check reports it).
func (v *Validator) rules(x *exchange) []Violation {
	var out []Violation
	ex := x.ex
	status := ex.StatusCode
	_, documented := v.documented[status]

	if x.req == nil {
		f := routeFinding(x, "the request URL does not parse")
		out = append(out, ruleViolation(f, Failure))
	}

	// status_code
	if !documented {
		out = append(out, ruleViolation(statusFinding(v, x), Failure))
	}

	body, bodyOK := x.decoded()

	// content_type
	ct := ex.Header.Get("Content-Type")
	isJSON := isJSONMediaType(ct)
	switch {
	case documented && !isJSON:
		out = append(out, ruleViolation(contentTypeFinding(x), Failure))
	case !documented && !isJSON && bodyOK:
		f := contentTypeFinding(x)
		f.msg = "a JSON body came with a media type other than application/json"
		out = append(out, ruleViolation(f, Failure))
	}

	// request_id
	if ex.Header.Get("X-Request-Id") == "" {
		out = append(out, Violation{
			Check: CheckRequestID, Severity: Warning, Where: "header:X-Request-Id",
			Got: "(none)", Want: "a request ID", Engine: EngineRules,
			Message: "the response has no X-Request-Id header; the provider's support asks for it",
		})
	}

	if status < 200 || status > 299 {
		if len(ex.Body) == 0 && (status < 200 || status == http.StatusNotModified) {
			return out // a response that cannot have a body
		}
		return v.errorBody(x, body, bodyOK, out)
	}
	if !bodyOK {
		return out
	}
	obj, _ := body.(map[string]any)
	files, _ := obj["files"].([]any)
	if len(files) == 0 {
		return out
	}

	// the reference time for link_not_expired
	var ref time.Time
	haveRef := false
	if d := ex.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			ref, haveRef = t, true
		} else {
			out = append(out, Violation{
				Check: CheckLinkNotExpired, Severity: Warning, Where: "header:Date",
				Got: short(d, maxGot), Want: "an HTTP date (RFC 9110)", Engine: EngineRules,
				Message: "the Date header does not parse, so link expiry was checked against Options.Now if set",
			})
		}
	}
	if !haveRef && v.opts.Now != nil {
		ref, haveRef = v.opts.Now(), true
	}

	for i, f := range files {
		file, ok := f.(map[string]any)
		if !ok {
			continue
		}
		var base string // "/files/i", built only when something is reported
		at := func(field string) string {
			if base == "" {
				base = "/files/" + strconv.Itoa(i)
			}
			return base + "/" + field
		}

		// timestamp_format, and the expiry time for the other rules
		var exp time.Time
		haveExp := false
		lt, ltIsString := file["link_expired_time"].(string)
		if ltIsString {
			if err := rdsbackup.CheckTimestamp(lt); err != nil {
				reason := err.Error()
				if te, ok := err.(*rdsbackup.TimestampError); ok {
					reason = te.Reason
				}
				out = append(out, Violation{
					Check: CheckTimestampFormat, Severity: Failure, Where: at("link_expired_time"),
					Got: short(strconv.Quote(lt), maxGot), Want: rdsbackup.TimestampLayoutHuman, Engine: EngineRules,
					Message: short("link_expired_time "+strconv.Quote(lt)+" is not in the documented layout "+
						rdsbackup.TimestampLayoutHuman+" (e.g. 2018-08-16T10:15:14+0800): "+reason, maxMessage),
				})
			}
			exp, haveExp = parseExpiry(lt)
		}

		// link_https
		var link *url.URL
		dl, dlIsString := file["download_link"].(string)
		if dlIsString {
			u, err := url.Parse(dl)
			if err == nil {
				link = u
			}
			if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.Opaque != "" {
				why := "it does not parse as a URL"
				switch {
				case err != nil:
				case u.Scheme == "":
					why = "it has no scheme"
				case !strings.EqualFold(u.Scheme, "https"):
					why = "its scheme is " + strconv.Quote(u.Scheme)
				default:
					why = "it has no host"
				}
				sev, msg := Failure, "download_link is not an absolute https URL: "+why
				if err == nil && sameHostPlainHTTP(x, u) {
					// The API itself was called over plain http and the link points back at
					// that very host: a local fake or test deployment serving its own objects,
					// whose links cannot be https either. Said, not failed.
					sev, msg = Warning, msg+" (the link is on the plain-http endpoint itself, so this is a warning)"
				}
				out = append(out, Violation{
					Check: CheckLinkHTTPS, Severity: sev, Where: at("download_link"),
					Got: short(redact.URL(dl), maxGot), Want: "an absolute https:// URL with a host", Engine: EngineRules,
					Message: msg,
				})
			}
		}

		if !haveExp {
			continue
		}

		// link_not_expired
		if haveRef {
			switch {
			case !exp.After(ref):
				out = append(out, Violation{
					Check: CheckLinkNotExpired, Severity: Failure, Where: at("link_expired_time"),
					Got: short(strconv.Quote(lt), maxGot), Want: "after " + formatRef(ref, exp), Engine: EngineRules,
					Message: "the link had already expired when the response was sent (Date " + ref.UTC().Format(http.TimeFormat) + ")",
				})
			case exp.Sub(ref) > v.opts.MaxLinkTTL:
				out = append(out, Violation{
					Check: CheckLinkNotExpired, Severity: Failure, Where: at("link_expired_time"),
					Got:  short(strconv.Quote(lt), maxGot),
					Want: "no later than " + formatRef(ref.Add(v.opts.MaxLinkTTL), exp), Engine: EngineRules,
					Message: "the link stays valid for " + exp.Sub(ref).Round(time.Second).String() +
						" after the response's Date, more than the maximum of " + v.opts.MaxLinkTTL.String(),
				})
			}
		}

		// link_expiry_consistent
		if link != nil {
			if raw, ok := queryValue(link.RawQuery, "Expires"); ok {
				secs, err := strconv.ParseInt(raw, 10, 64)
				if err != nil {
					out = append(out, Violation{
						Check: CheckLinkExpiryConsistent, Severity: Failure, Where: at("download_link"),
						Got: short("Expires="+raw, maxGot), Want: "Expires=<Unix seconds>", Engine: EngineRules,
						Message: "the link's Expires query parameter is not a number of Unix seconds",
					})
				} else if d := time.Unix(secs, 0).Sub(exp); d > expiryTolerance || d < -expiryTolerance {
					out = append(out, Violation{
						Check: CheckLinkExpiryConsistent, Severity: Failure, Where: at("download_link"),
						Got:  short("Expires="+raw+" ("+time.Unix(secs, 0).In(exp.Location()).Format(rdsbackup.TimestampLayout)+")", maxGot),
						Want: "within 60s of link_expired_time " + strconv.Quote(lt), Engine: EngineRules,
						Message: "the link's Expires query parameter is " + d.Round(time.Second).String() +
							" away from its link_expired_time",
					})
				}
			}
		}
	}
	return out
}

// errorBody applies error_body to a non-2xx response.
func (v *Validator) errorBody(x *exchange, body any, bodyOK bool, out []Violation) []Violation {
	want := `a JSON object with string "error_code" and "error_msg"`
	if !bodyOK {
		f := bodyDecodeFinding(x, "")
		return append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "body", Got: f.got, Want: want,
			Engine: EngineRules, Message: "the error body is not the provider's error object: " + f.msg,
		})
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "body", Got: gotBody(x), Want: want,
			Engine: EngineRules, Message: "the error body is JSON but not an object",
		})
	}
	for _, name := range [...]string{"error_code", "error_msg"} {
		val, present := obj[name]
		if _, isString := val.(string); present && isString {
			continue
		}
		got := "absent"
		msg := "the error body has no " + name
		if present {
			if ev, ok := x.exactly(); ok {
				val = valueAt(ev, "/"+name)
			}
			got = short(render(val), maxGot)
			msg = "the error body's " + name + " is not a string"
		}
		out = append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "/" + name, Got: got, Want: "a string",
			Engine: EngineRules, Message: msg,
		})
	}
	return out
}

// gotBody renders the whole body (numbers as received).
func gotBody(x *exchange) string {
	if ev, ok := x.exactly(); ok {
		return short(render(ev), maxGot)
	}
	return short(string(x.ex.Body), maxGot)
}

// ruleViolation turns a shared finding into a Violation of the rules.
func ruleViolation(f finding, sev Severity) Violation {
	return Violation{Check: f.check, Severity: sev, Where: f.where, Got: f.got, Want: f.want, Engine: EngineRules, Message: f.msg}
}

// isJSONMediaType reports whether a Content-Type value is application/json (parameters,
// such as charset, allowed).
func isJSONMediaType(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(base), "application/json")
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
