// Package loadgen is a small, bounded HTTP load generator for loopback benchmarks and soak
// tests: a fixed number of connections, each sending requests back to back until a duration
// or a request count is reached.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one kind of request the generator sends; Weight sets how often (default 1).
type Request struct {
	Name   string
	Method string // default GET
	URL    string
	Header http.Header
	Weight int
	// Want lists the statuses this request may get; others count as unexpected.
	Want []int
}

// Config bounds a run.
type Config struct {
	Requests    []Request
	Conns       int           // concurrent connections (default 8)
	Duration    time.Duration // stop after this long (default 5 s, at most 10 minutes)
	MaxRequests int64         // stop after this many requests (default 10 million)
	Warmup      time.Duration // not counted (default 0)
	// Raw sends pre-serialised HTTP/1.1 requests on kept-alive connections and parses the
	// answers minimally, instead of using net/http's client: far less CPU per request, so
	// that on a small machine the generator takes less from the server it measures.
	// Plain http only.
	Raw bool
}

// Result is what a run measured.
type Result struct {
	Requests    int64
	Errors      int64 // transport errors
	Unexpected  int64 // statuses not in Want
	Statuses    map[int]int64
	ByName      map[string]int64
	Elapsed     time.Duration
	RPS         float64
	P50, P99    time.Duration
	FirstErrors []string
}

func (r Result) String() string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, " %d:%d", c, r.Statuses[c])
	}
	return fmt.Sprintf("%d requests in %v: %.0f req/s, p50 %v, p99 %v, errors %d, unexpected %d, statuses%s",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS, r.P50, r.P99, r.Errors, r.Unexpected, b.String())
}

// Run sends the load and returns what it measured. Only loopback targets are accepted.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if len(cfg.Requests) == 0 {
		return Result{}, errors.New("loadgen: no requests")
	}
	for _, r := range cfg.Requests {
		u, err := url.Parse(r.URL)
		if err != nil {
			return Result{}, fmt.Errorf("loadgen: %w", err)
		}
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return Result{}, fmt.Errorf("loadgen: %s is not a loopback address", u.Host)
		}
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 8
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Duration > 10*time.Minute {
		cfg.Duration = 10 * time.Minute
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = 10_000_000
	}
	var plan []Request // weighted round robin
	for _, r := range cfg.Requests {
		w := r.Weight
		if w <= 0 {
			w = 1
		}
		if r.Method == "" {
			r.Method = http.MethodGet
		}
		for i := 0; i < w; i++ {
			plan = append(plan, r)
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Conns, MaxConnsPerHost: cfg.Conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		loop(wctx, client, plan, cfg.Conns, cfg.MaxRequests, nil, cfg.Raw)
		cancel()
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	res := &Result{Statuses: map[int]int64{}, ByName: map[string]int64{}}
	start := time.Now()
	lat := loop(rctx, client, plan, cfg.Conns, cfg.MaxRequests, res, cfg.Raw)
	res.Elapsed = time.Since(start)
	if res.Elapsed > 0 {
		res.RPS = float64(res.Requests) / res.Elapsed.Seconds()
	}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[len(lat)*99/100]
	}
	return *res, nil
}

// loop runs conns workers; with res nil nothing is recorded (warm-up).
func loop(ctx context.Context, client *http.Client, plan []Request, conns int, max int64, res *Result, raw bool) []time.Duration {
	l := &load{client: client, plan: plan, raw: raw, max: max, record: res != nil}
	if raw {
		wires, err := rawRequests(plan)
		if err != nil {
			if res != nil {
				res.Errors++
				res.FirstErrors = append(res.FirstErrors, err.Error())
			}
			return nil
		}
		l.wires = wires
	}
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			t := l.work(ctx, w)
			if res == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			all = t.addTo(res, all)
		}(w)
	}
	wg.Wait()
	return all
}

// rawRequests pre-serialises every request of the plan for the raw sender.
func rawRequests(plan []Request) ([]rawRequest, error) {
	var wires []rawRequest
	for _, r := range plan {
		w, err := newRawRequest(r)
		if err != nil {
			return nil, err
		}
		wires = append(wires, w)
	}
	return wires, nil
}

// load is what the workers of one loop share.
type load struct {
	client *http.Client
	plan   []Request
	wires  []rawRequest // the plan pre-serialised, with raw
	raw    bool
	max    int64        // requests to send in all, across workers
	sent   atomic.Int64 // requests started so far, across workers
	record bool         // false during the warm-up: only transport errors are counted
}

// tally is what one worker measured, merged into the Result when it ends.
type tally struct {
	statuses            map[int]int64
	names               map[string]int64
	lat                 []time.Duration
	n, errs, unexpected int64
	firstErrs           []string
}

// work is worker w: it sends the plan's requests back to back, starting at the w-th, on its
// own connection until ctx ends or the load's request budget is spent.
func (l *load) work(ctx context.Context, w int) *tally {
	t := &tally{statuses: map[int]int64{}, names: map[string]int64{}}
	var rc rawConn
	defer rc.close()
	for i := w; ctx.Err() == nil; i++ {
		if l.sent.Add(1) > l.max {
			break
		}
		r := l.plan[i%len(l.plan)]
		t0 := time.Now()
		var code int
		var err error
		if l.raw {
			code, err = rc.do(ctx, l.wires[i%len(l.wires)])
		} else {
			code, err = send(ctx, l.client, r)
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			t.errs++
			t.noteError(err.Error())
			continue
		}
		if l.record {
			t.count(r, code, time.Since(t0))
		}
	}
	return t
}

// noteError keeps msg if fewer than three errors have been kept.
func (t *tally) noteError(msg string) {
	if len(t.firstErrs) < 3 {
		t.firstErrs = append(t.firstErrs, msg)
	}
}

// count records one answered request: its latency, status and name, and whether the status
// was one the request may get.
func (t *tally) count(r Request, code int, latency time.Duration) {
	t.lat = append(t.lat, latency)
	t.n++
	t.statuses[code]++
	t.names[r.Name]++
	if len(r.Want) > 0 && !contains(r.Want, code) {
		t.unexpected++
		t.noteError(fmt.Sprintf("%s: unexpected status %d", r.Name, code))
	}
}

// addTo merges the tally into res and returns all with the tally's latencies appended.
func (t *tally) addTo(res *Result, all []time.Duration) []time.Duration {
	res.Requests += t.n
	res.Errors += t.errs
	res.Unexpected += t.unexpected
	for k, v := range t.statuses {
		res.Statuses[k] += v
	}
	for k, v := range t.names {
		res.ByName[k] += v
	}
	res.FirstErrors = append(res.FirstErrors, t.firstErrs...)
	return append(all, t.lat...)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// send makes one request with net/http's client and returns its status.
func send(ctx context.Context, client *http.Client, r Request) (int, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, nil)
	if err != nil {
		return 0, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	rsp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, rsp.Body)
	rsp.Body.Close()
	return rsp.StatusCode, nil
}
