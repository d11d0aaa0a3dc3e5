package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
)

// largeResult is the 1 GiB object, direct and through rdsproxy.
type largeResult struct {
	size           int64
	direct, proxy  []float64 // MiB/s per round
	ratios         []float64 // proxy / direct per round
	cpuD, cpuP     []cpuSplit
	hwmKB, startKB int64 // the proxy's VmHWM after the rounds, VmRSS before them
}

// cpuSplit is the CPU time (s) each process spent on one GET of the object.
type cpuSplit struct{ fake, proxy, client float64 }

func (c cpuSplit) String() string {
	if c.proxy == 0 {
		return fmt.Sprintf("rdsfake %.2f + client %.2f = %.2f s", c.fake, c.client, c.fake+c.client)
	}
	return fmt.Sprintf("rdsfake %.2f + rdsproxy %.2f + client %.2f = %.2f s", c.fake, c.proxy, c.client, c.fake+c.proxy+c.client)
}

// medianSplit is the median of each process's CPU time over the rounds.
func medianSplit(v []cpuSplit) cpuSplit {
	var f, p, c []float64
	for _, s := range v {
		f, p, c = append(f, s.fake), append(p, s.proxy), append(c, s.client)
	}
	return cpuSplit{median(f), median(p), median(c)}
}

// selfCPU is this process's user and system CPU time in seconds (the client's).
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// timedGet is get, with the CPU time rdsfake, px (nil: direct) and this process spent on it.
func timedGet(ctx context.Context, client *http.Client, url string, want int64, fk, px *proc) (float64, cpuSplit, error) {
	f0, s0, p0 := fk.cpuSeconds(), selfCPU(), 0.0
	if px != nil {
		p0 = px.cpuSeconds()
	}
	rate, err := get(ctx, client, url, want)
	c := cpuSplit{fake: fk.cpuSeconds() - f0, client: selfCPU() - s0}
	if px != nil {
		c.proxy = px.cpuSeconds() - p0
	}
	return rate, c, err
}

// largeLink asks rdsfake (directly) for the link of the demo set's 1 GiB file and returns it
// with the file's size in bytes.
func largeLink(ctx context.Context, base string) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v3/"+projectID+"/backup-files?backup_id="+fake.DemoSQLServerLarge, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("X-Auth-Token", token)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer rsp.Body.Close()
	var body struct {
		Files []struct {
			Link string `json:"download_link"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	if err := json.NewDecoder(rsp.Body).Decode(&body); err != nil || rsp.StatusCode != 200 || len(body.Files) != 1 {
		return "", 0, fmt.Errorf("link of the large file: status %d, %v", rsp.StatusCode, err)
	}
	return body.Files[0].Link, body.Files[0].Size << 10, nil
}

// get fetches url with a plain Go client, discarding the body through a 256 KiB buffer, and
// returns the rate in MiB/s after checking the status and the length.
func get(ctx context.Context, client *http.Client, url string, want int64) (float64, error) {
	if err := loopbackURL(url); err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	rsp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer rsp.Body.Close()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, err := rsp.Body.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("after %d bytes: %w", n, err)
		}
	}
	secs := time.Since(t0).Seconds()
	if rsp.StatusCode != http.StatusOK || n != want {
		return 0, fmt.Errorf("status %d, %d bytes, want 200 and %d", rsp.StatusCode, n, want)
	}
	return float64(n) / secs / (1 << 20), nil
}

// large GETs the 1 GiB object directly from rdsfake and through px, interleaved, rounds
// times, and reads px's peak RSS after.
func large(ctx context.Context, fk, px *proc, rounds int) (*largeResult, error) {
	link, size, err := largeLink(ctx, fk.url)
	if err != nil {
		return nil, err
	}
	// rdsfake computes an object's MD5 (its ETag) on its first request: not measured
	if rsp, err := http.Head(link); err == nil {
		rsp.Body.Close()
	}
	if !strings.HasPrefix(link, fk.url+"/") {
		return nil, fmt.Errorf("the link %q does not point at rdsfake (%s)", link, fk.url)
	}
	viaProxy := px.url + strings.TrimPrefix(link, fk.url)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 5 * time.Minute}
	defer client.CloseIdleConnections()
	res := &largeResult{size: size, startKB: px.memKB("VmRSS")}
	for r := 1; r <= rounds; r++ {
		d, cd, err := timedGet(ctx, client, link, size, fk, nil)
		if err != nil {
			return nil, fmt.Errorf("direct: %w", err)
		}
		p, cp, err := timedGet(ctx, client, viaProxy, size, fk, px)
		if err != nil {
			return nil, fmt.Errorf("through rdsproxy: %w", err)
		}
		res.direct, res.proxy, res.ratios = append(res.direct, d), append(res.proxy, p), append(res.ratios, p/d)
		res.cpuD, res.cpuP = append(res.cpuD, cd), append(res.cpuP, cp)
		fmt.Printf("  round %d  direct %.0f MiB/s (CPU %v), through rdsproxy %.0f MiB/s (CPU %v): %.2f×\n", r, d, cd, p, cp, p/d)
	}
	res.hwmKB = px.memKB("VmHWM")
	return res, nil
}
