package rdsbackup_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// benchBody is a typical answer: three files of a database-level backup.
const benchBody = `{"files":[` +
	`{"name":"c0c9f155_orders.tar.gz","size":1048576,"download_link":"https://rdsbucket.obs.ap-southeast-1.myhuaweicloud.com/c0c9f155/orders.tar.gz?AccessKeyId=AK&Expires=1767225600&Signature=abcdef","link_expired_time":"2026-01-01T08:00:00+0800","database_name":"orders"},` +
	`{"name":"c0c9f155_billing.tar.gz","size":20480,"download_link":"https://rdsbucket.obs.ap-southeast-1.myhuaweicloud.com/c0c9f155/billing.tar.gz?AccessKeyId=AK&Expires=1767225600&Signature=abcdef","link_expired_time":"2026-01-01T08:00:00+0800","database_name":"billing"},` +
	`{"name":"c0c9f155_meta.json","size":1,"download_link":"https://rdsbucket.obs.ap-southeast-1.myhuaweicloud.com/c0c9f155/meta.json?AccessKeyId=AK&Expires=1767225600&Signature=abcdef","link_expired_time":"2026-01-01T08:00:00+0800","database_name":""}` +
	`],"bucket":"rdsbucket"}`

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "0123456789abcdef0123456789abcdef")
		io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// plainCall is the baseline call: net/http GET and encoding/json decode.
func plainCall(b *testing.B, client *http.Client, url string) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("X-Auth-Token", "token")
	rsp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	var out rdsbackup.BackupFiles
	if err := json.Unmarshal(body, &out); err != nil || len(out.Files) != 3 {
		b.Fatal(err)
	}
}

// BenchmarkCallVsPlain alternates the client's signed call and the plain baseline against the
// same server in one loop (so both see the same machine load) and reports their ratio.
func BenchmarkCallVsPlain(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	url := srv.URL + "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01"
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"),
		rdsbackup.WithAKSK("AccessKey", "SecretKey", ""))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var tPlain, tClient time.Duration
	for b.Loop() {
		t0 := time.Now()
		plainCall(b, client, url)
		t1 := time.Now()
		if res, err := api.ShowBackupDownloadLink(ctx, "c0c9f155c7b7423a9d30f0175998b63bbr01"); err != nil || len(res.Files) != 3 {
			b.Fatal(err)
		}
		tPlain += t1.Sub(t0)
		tClient += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tClient)/float64(tPlain), "ratio")
	b.ReportMetric(float64(tClient)/n, "client-ns")
	b.ReportMetric(float64(tPlain)/n, "plain-ns")
}

// BenchmarkPlainGET is the baseline: a plain net/http GET of the same URL plus an
// encoding/json decode of the body into the same model.
func BenchmarkPlainGET(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	url := srv.URL + "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01"
	b.ReportAllocs()
	for b.Loop() {
		plainCall(b, client, url)
	}
}

// BenchmarkShowBackupDownloadLinkAKSK is one call of the client with AK/SK signing.
func BenchmarkShowBackupDownloadLinkAKSK(b *testing.B) {
	srv := benchServer(b)
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(srv.URL), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"),
		rdsbackup.WithAKSK("AccessKey", "SecretKey", ""))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := api.ShowBackupDownloadLink(ctx, "c0c9f155c7b7423a9d30f0175998b63bbr01")
		if err != nil || len(res.Files) != 3 {
			b.Fatal(err)
		}
	}
}
