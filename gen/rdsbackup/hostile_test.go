package rdsbackup_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// TestWrongTypeInEveryField: each field of the 200 body with a wrong JSON type gives a
// one-line *ResponseError naming the field. link_expired_time is the exception by design:
// the client keeps whatever it received (the contract suite reports it).
func TestWrongTypeInEveryField(t *testing.T) {
	t.Parallel()
	file := map[string]string{
		"name": `"a"`, "size": `1`, "download_link": `"https://h/a"`,
		"link_expired_time": `"2018-08-16T10:15:14+0800"`, "database_name": `"d"`,
	}
	build := func(field, value string) string {
		var parts []string
		for _, k := range []string{"name", "size", "download_link", "link_expired_time", "database_name"} {
			v := file[k]
			if k == field {
				v = value
			}
			parts = append(parts, `"`+k+`":`+v)
		}
		bucket := `"b"`
		if field == "bucket" {
			bucket = value
		}
		files := `[{` + strings.Join(parts, ",") + `}]`
		if field == "files" {
			files = value
		}
		return `{"files":` + files + `,"bucket":` + bucket + `}`
	}
	tests := []struct{ field, value, want string }{
		{"name", `12`, `"files.name"`},
		{"size", `"12"`, `"files.size"`},
		{"size", `1.5`, `"files.size"`},
		{"size", `99999999999999999999`, `"files.size"`},
		{"download_link", `{}`, `"files.download_link"`},
		{"database_name", `false`, `"files.database_name"`},
		{"files", `"none"`, `"files"`},
		{"files", `[1]`, `"files"`},
		{"bucket", `[]`, `"bucket"`},
	}
	for _, tc := range tests {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			body := build(tc.field, tc.value)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, body)
			})
			_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
			var re *rdsbackup.ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s: err = %v, want a one-line *ResponseError naming %s", body, err, tc.want)
			}
		})
	}
	t.Run("link_expired_time kept as received", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, build("link_expired_time", `12345`))
		})
		res, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
		if err != nil || string(res.Files[0].LinkExpiredTime.Raw()) != "12345" {
			t.Fatalf("%v %v", res, err)
		}
		if _, err := res.Files[0].LinkExpiredTime.Time(); err == nil {
			t.Fatal("a number is not a time")
		}
	})
}

// TestConnectionResetMidBody: the server promises more than it sends and drops the
// connection; the call fails with a one-line error (retried first, as a connection error).
func TestConnectionResetMidBody(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + `{"files":[{"name":"a`)
		buf.Flush()
		conn.Close()
	})
	_, err := newAPI(t, srv.URL).ShowBackupDownloadLink(context.Background(), "b")
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDecode: whatever the body, the call never panics, and either succeeds or returns one
// of the client's typed errors on one line.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{okBody, `{"files":[],"bucket":"b"}`, `{"files":[{"size":"x"}]}`, `<html>`, ``, `{"files":[{"link_expired_time":{}}]}`, `nul`, "\xff\xfe"} {
		f.Add(s, 200)
		f.Add(s, 502)
	}
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 200 || status > 599 {
			status = 200
		}
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
		res, err := newAPI(t, srv.URL, rdsbackup.WithRetries(0, 0)).ShowBackupDownloadLink(context.Background(), "b")
		if err == nil {
			if status > 299 || res == nil {
				t.Fatalf("status %d accepted", status)
			}
			for _, fl := range res.Files {
				_, _ = fl.LinkExpiredTime.Time()
			}
			return
		}
		var ae *rdsbackup.APIError
		var re *rdsbackup.ResponseError
		if !errors.As(err, &ae) && !errors.As(err, &re) {
			t.Fatalf("untyped error %v", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
