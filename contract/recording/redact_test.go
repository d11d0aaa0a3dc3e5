package recording_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/rdskit/rdsbackup/contract/recording"
)

const project = "0123456789abcdef0123456789abcdef"

func sampleInteraction(body string) *cassette.Interaction {
	return &cassette.Interaction{
		Request: cassette.Request{
			URL:    "https://user:pw@rds.example.com/v3/" + project + "/backup-files?backup_id=b1&token=tok123",
			Method: "GET",
			Host:   "rds.example.com",
			Form:   url.Values{"backup_id": {"b1"}, "token": {"tok123"}},
			Headers: http.Header{
				"Authorization":    {"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=f00dfeed42"},
				"X-Auth-Token":     {"MIItoken"},
				"X-Security-Token": {"sectok"},
				"Cookie":           {"session=s1"},
				"X-Project-Id":     {project},
				"X-Sdk-Date":       {"20260101T000000Z"},
			},
		},
		Response: cassette.Response{
			Code:          200,
			Body:          body,
			ContentLength: int64(len(body)),
			Headers: http.Header{
				"Set-Cookie":     {"a=b"},
				"Content-Type":   {"application/json"},
				"Content-Length": {"0"},
				"Location":       {"https://obs.example.com/x?Signature=sig9&Expires=5"},
			},
		},
	}
}

func TestRedact(t *testing.T) {
	const linkBody = `{ "files": [ {"name":"a \u0026 b","download_link":"https://obs.example.com/o?AccessKeyId=AKOBS&Expires=1767225600&Signature=SIGVALUE&x=1",` +
		`"link_expired_time":"2026-01-01T08:00:00+0800"} ], "bucket":"b", "note":"project ` + project + ` here", "zz": "X-Amz-Signature=amzsig"}`
	cases := []struct {
		name          string
		body          string
		redactProject bool
		secrets       []string
		gone          []string // must not appear anywhere in the redacted interaction
		kept          []string // must still appear
		validJSON     bool
	}{
		{
			name: "json links, project kept", body: linkBody,
			gone:      []string{"SIGVALUE", "AKOBS", "amzsig", "MIItoken", "sectok", "f00dfeed42", "session=s1", "tok123", "sig9", "pw@"},
			kept:      []string{"Expires=1767225600", "&x=1", "Expires=5", project, "X-Sdk-Date", `"a \u0026 b"`, `{ "files": [ {`},
			validJSON: true,
		},
		{
			name: "json links, project redacted", body: linkBody, redactProject: true,
			gone:      []string{"SIGVALUE", "AKOBS", project},
			kept:      []string{"Expires=1767225600", "/v3/REDACTED/backup-files", "project REDACTED here"},
			validJSON: true,
		},
		{
			name: "text body", body: "error: see https://obs.example.com/o?Signature=SIGVALUE&Expires=9 (token=abc)", secrets: []string{"see"},
			gone: []string{"SIGVALUE", "token=abc", " see "},
			kept: []string{"Expires=9", "error: REDACTED https://"},
		},
		{
			name: "short project is matched as a whole word only", body: `{"error_msg":"Project P is not yours. PP P1 xP"}`, redactProject: true,
			kept:      []string{"Project REDACTED is not yours. PP P1 xP"},
			validJSON: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleInteraction(tc.body)
			origReqHeader, origRspHeader := in.Request.Headers, in.Response.Headers
			pid := project
			if strings.Contains(tc.name, "short project") {
				pid = "P"
			}
			recording.Redact(in, recording.Options{RedactProject: tc.redactProject, ProjectID: pid, Secrets: tc.secrets})
			dump, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			all := string(dump) + in.Response.Body // the body unescaped as well
			for _, s := range tc.gone {
				if strings.Contains(all, s) {
					t.Errorf("%q survived redaction", s)
				}
			}
			for _, s := range tc.kept {
				if !strings.Contains(all, s) {
					t.Errorf("%q is gone, want it kept", s)
				}
			}
			if tc.validJSON && !json.Valid([]byte(in.Response.Body)) {
				t.Errorf("the body is no longer JSON: %s", in.Response.Body)
			}
			if got := in.Response.ContentLength; got != int64(len(in.Response.Body)) {
				t.Errorf("content_length %d, body %d bytes", got, len(in.Response.Body))
			}
			// the caller's maps are left alone
			if origReqHeader.Get("X-Auth-Token") != "MIItoken" || origRspHeader.Get("Set-Cookie") != "a=b" {
				t.Error("Redact changed the caller's header maps in place")
			}
			for _, h := range []string{"Authorization", "X-Auth-Token", "X-Security-Token", "Cookie"} {
				if v := in.Request.Headers.Get(h); v != "REDACTED" {
					t.Errorf("request header %s = %q, want REDACTED", h, v)
				}
			}
			if v := in.Response.Headers.Get("Set-Cookie"); v != "REDACTED" {
				t.Errorf("Set-Cookie = %q, want REDACTED", v)
			}
		})
	}
}

func TestRedactKeepsJSONByteForByteWhenNothingIsSecret(t *testing.T) {
	body := "{\n  \"b\": 1,\n  \"a\": [\"x\\\"y\", \"https://h/p?Expires=1\"]\n}\n"
	in := sampleInteraction(body)
	recording.Redact(in, recording.Options{})
	if in.Response.Body != body {
		t.Errorf("body changed:\n%s\nwant\n%s", in.Response.Body, body)
	}
	recording.Redact(nil, recording.Options{}) // no panic
}
