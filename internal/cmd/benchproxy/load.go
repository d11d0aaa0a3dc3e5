package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/rdskit/rdsbackup/internal/loadgen"
)

// target is one way to the same upstream answer: rdsfake directly, rdsproxy, Prism's proxy.
type target struct {
	name string
	url  string    // base URL
	log  *judgeLog // rdsproxy's judged exchanges; nil for the others
	proc *proc     // the process that answers (rdsfake for direct), for its CPU time
	fake *proc     // rdsfake behind it; nil for direct

	answered, errors int64 // requests answered and transport errors, every phase included
	statuses         map[int]int64
	firstErrors      []string
	sat, one         []sample // rounds at -conns connections, and at 1 connection
}

// sample is one measurement of one target.
type sample struct {
	res      loadgen.Result
	ok       float64       // 200 answers per second
	judgedIn int64         // rdsproxy: exchanges judged during the measurement window
	backlog  int64         // rdsproxy: answered but not yet judged when the window closed
	drain    time.Duration // rdsproxy: how long the judging took to catch up after it
	// CPU seconds of the answering process, of rdsfake behind it (0 for direct) and of this
	// process (the load generator), over the window and the catching up
	cpu, cpuFake, cpuSelf float64
}

// newTarget is the way to rdsfake through p (direct when p is fk).
func newTarget(name string, p, fk *proc) *target {
	t := &target{name: name, url: p.url, log: p.log, proc: p, statuses: map[int]int64{}}
	if p != fk {
		t.fake = fk
	}
	return t
}

// cpuNow is the CPU time so far of the answering process, of rdsfake behind it and of this
// process.
func (t *target) cpuNow() (front, fk, self float64) {
	if t.fake != nil {
		fk = t.fake.cpuSeconds()
	}
	return t.proc.cpuSeconds(), fk, selfCPU()
}

// tally adds a run's answers to the target's totals.
func (t *target) tally(r loadgen.Result) {
	t.answered += r.Requests
	t.errors += r.Errors
	for c, n := range r.Statuses {
		t.statuses[c] += n
	}
	for _, e := range r.FirstErrors {
		if len(t.firstErrors) < 5 {
			t.firstErrors = append(t.firstErrors, e)
		}
	}
}

// judged is how many exchanges rdsproxy has judged so far (0 for the other targets).
func (t *target) judged() int64 {
	if t.log == nil {
		return 0
	}
	return t.log.count()
}

// measure sends the 3-file request with conns connections for warm (not counted), then for
// dur, and for rdsproxy waits (at most 60 s) until every answered request was judged.
func (t *target) measure(ctx context.Context, path string, conns int, warm, dur time.Duration) (sample, error) {
	reqs := []loadgen.Request{{Name: t.name, URL: t.url + path, Header: http.Header{"X-Auth-Token": {token}}, Want: []int{200}}}
	var s sample
	if warm > 0 {
		w, err := loadgen.Run(ctx, loadgen.Config{Requests: reqs, Conns: conns, Duration: warm, Raw: true})
		if err != nil {
			return s, err
		}
		t.tally(w)
	}
	j0 := t.judged()
	c0, f0, s0 := t.cpuNow()
	res, err := loadgen.Run(ctx, loadgen.Config{Requests: reqs, Conns: conns, Duration: dur, Raw: true})
	if err != nil {
		return s, err
	}
	if err := ctx.Err(); err != nil {
		return s, err
	}
	j1 := t.judged()
	t.tally(res)
	s.res, s.judgedIn = res, j1-j0
	s.ok = float64(res.Statuses[200]) / res.Elapsed.Seconds()
	if t.log != nil {
		s.backlog = t.answered - j1
		s.drain = t.log.waitFor(ctx, t.answered, time.Minute)
	}
	c1, f1, s1 := t.cpuNow()
	s.cpu, s.cpuFake, s.cpuSelf = c1-c0, f1-f0, s1-s0
	return s, nil
}

// rounds measures every target rounds times, interleaved (a, b, c, a, b, c, ...), at conns
// connections, appending to the samples that pick returns.
func rounds(ctx context.Context, targets []*target, n, conns int, warm, dur time.Duration, pick func(*target) *[]sample) error {
	for r := 1; r <= n; r++ {
		for _, t := range targets {
			s, err := t.measure(ctx, threeFilePath, conns, warm, dur)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			*pick(t) = append(*pick(t), s)
			fmt.Printf("  round %d, %d conn  %-12s %s%s\n", r, conns, t.name, s.res, judgedNote(t, s))
		}
	}
	return nil
}

// judgedNote says, for rdsproxy, how many exchanges it judged during the window and after.
func judgedNote(t *target, s sample) string {
	if t.log == nil {
		return ""
	}
	return fmt.Sprintf("; judged in the window %d (%.0f/s), backlog at its end %d, caught up in %v",
		s.judgedIn, float64(s.judgedIn)/s.res.Elapsed.Seconds(), s.backlog, s.drain.Round(time.Millisecond))
}

// median of v (the mean of the middle two for an even count); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// stat applies f to each sample and returns the median.
func stat(samples []sample, f func(sample) float64) float64 {
	v := make([]float64, 0, len(samples))
	for _, s := range samples {
		v = append(v, f(s))
	}
	return median(v)
}

func okRate(s sample) float64 { return s.ok }

// judgedRate is what rdsproxy validated per second during the window.
func judgedRate(s sample) float64 { return float64(s.judgedIn) / s.res.Elapsed.Seconds() }

// cpuPerAnswer is the answering process's CPU time per request answered, in µs.
func cpuPerAnswer(s sample) float64 { return s.cpu / float64(max(s.res.Requests, 1)) * 1e6 }

// cpuAllPerAnswer is the CPU time per answer of the load generator, rdsfake and the process
// in between, in µs: what one answer costs the machine.
func cpuAllPerAnswer(s sample) float64 {
	return (s.cpu + s.cpuFake + s.cpuSelf) / float64(max(s.res.Requests, 1)) * 1e6
}

func p50ms(s sample) float64 { return float64(s.res.P50) / float64(time.Millisecond) }

func p99ms(s sample) float64 { return float64(s.res.P99) / float64(time.Millisecond) }
