package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	rds "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3/model"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// compare times one AK/SK-signed ShowBackupDownloadLink call three ways against the same
// loopback HTTP server answering rdsfake's 200 body for a three-file backup (a fixed body, so
// that the server's own work is small and equal for all): plain net/http + our signer +
// encoding/json, this module's client, and the provider's official SDK. The three sides run in turn, a batch each
// per round, so that they share whatever else the machine is doing; each figure is the median
// over the rounds, with allocations per call (client and server together, as for the Go
// benchmarks in gen/rdsbackup).
func compare(rounds, batch int) error {
	srv, err := fake.New(fake.Config{ProjectID: project, AccessKey: "BENCHAK", SecretKey: "bench-secret"})
	if err != nil {
		return err
	}
	body, err := fakeBody(srv)
	if err != nil {
		return err
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "bench")
		_, _ = w.Write(body)
	}))
	defer ts.Close()
	sides, err := newSides(ts.URL)
	if err != nil {
		return err
	}
	perCall := make([][]float64, len(sides))
	allocs := make([][]float64, len(sides))
	for r := 0; r < rounds+1; r++ { // round 0 warms up connections and caches
		for i, s := range sides {
			d, a, err := measure(s.call, batch)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if r > 0 {
				perCall[i] = append(perCall[i], d)
				allocs[i] = append(allocs[i], a)
			}
		}
	}
	base := median(perCall[0])
	fmt.Printf("one AK/SK-signed ShowBackupDownloadLink (a loopback server answering rdsfake's 3-file body), median of %d interleaved rounds of %d calls:\n", rounds, batch)
	for i, s := range sides {
		fmt.Printf("  %-38s %7.1f µs/call  %.2f×  %4.0f allocs/call\n", s.name, median(perCall[i])/1e3, median(perCall[i])/base, median(allocs[i]))
	}
	return nil
}

// fakeBody returns rdsfake's 200 body for the three-file demo backup.
func fakeBody(srv *fake.Server) ([]byte, error) {
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v3/"+project+"/backup-files?backup_id="+fake.DemoPostgresDBLevel, nil)
	if err := (&signer.Signer{AccessKey: "BENCHAK", SecretKey: "bench-secret", ProjectID: project}).Sign(req); err != nil {
		return nil, err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	if err == nil && rsp.StatusCode != 200 {
		err = fmt.Errorf("rdsfake answered HTTP %d: %s", rsp.StatusCode, b)
	}
	return b, err
}

type side struct {
	name string
	call func() error
}

func newSides(endpoint string) ([]side, error) {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	sg := &signer.Signer{AccessKey: "BENCHAK", SecretKey: "bench-secret", ProjectID: project}
	url := endpoint + "/v3/" + project + "/backup-files?backup_id=" + fake.DemoPostgresDBLevel
	plain := func() error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if err := sg.Sign(req); err != nil {
			return err
		}
		rsp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer rsp.Body.Close()
		var body rdsbackup.BackupFiles
		if err := json.NewDecoder(rsp.Body).Decode(&body); err != nil || rsp.StatusCode != 200 || len(body.Files) != 3 {
			return fmt.Errorf("plain: HTTP %d, %d files, %v", rsp.StatusCode, len(body.Files), err)
		}
		_, _ = io.Copy(io.Discard, rsp.Body)
		return nil
	}
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(endpoint), rdsbackup.WithProjectID(project), rdsbackup.WithAKSK("BENCHAK", "bench-secret", ""))
	if err != nil {
		return nil, err
	}
	ours := func() error {
		res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoPostgresDBLevel)
		if err == nil && len(res.Files) != 3 {
			err = fmt.Errorf("%d files", len(res.Files))
		}
		return err
	}
	auth, err := basic.NewCredentialsBuilder().WithAk("BENCHAK").WithSk("bench-secret").WithProjectId(project).SafeBuild()
	if err != nil {
		return nil, err
	}
	sc, err := rds.RdsClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(auth).
		WithHttpConfig(config.DefaultHttpConfig().WithRetries(0)).SafeBuild()
	if err != nil {
		return nil, err
	}
	sdk := rds.NewRdsClient(sc)
	official := func() error {
		rsp, err := sdk.ShowBackupDownloadLink(&model.ShowBackupDownloadLinkRequest{BackupId: fake.DemoPostgresDBLevel})
		if err == nil && (rsp.Files == nil || len(*rsp.Files) != 3) {
			err = fmt.Errorf("unexpected answer %s", rsp)
		}
		return err
	}
	return []side{
		{"plain net/http + signer + encoding/json", plain},
		{"rdsbackup client (this module)", ours},
		{"official SDK ShowBackupDownloadLink", official},
	}, nil
}

// measure runs call n times and returns nanoseconds and allocations per call.
func measure(call func() error, n int) (float64, float64, error) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if err := call(); err != nil {
			return 0, 0, err
		}
	}
	d := time.Since(t0)
	runtime.ReadMemStats(&m1)
	return float64(d.Nanoseconds()) / float64(n), float64(m1.Mallocs-m0.Mallocs) / float64(n), nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
