package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// precheck sends one request through t and checks that it answers 200 with three files.
func precheck(ctx context.Context, t *target) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+threeFilePath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", token)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	rsp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	defer rsp.Body.Close()
	var body struct {
		Files []json.RawMessage `json:"files"`
	}
	err = json.NewDecoder(rsp.Body).Decode(&body)
	t.answered++
	t.statuses[rsp.StatusCode]++
	if rsp.StatusCode != http.StatusOK || err != nil || len(body.Files) != 3 {
		return fmt.Errorf("%s answered %d with %d files (%v), not 200 with the 3 files", t.name, rsp.StatusCode, len(body.Files), err)
	}
	return nil
}

// proxyRate is rdsproxy's figure in a round: the lower of the 200 answers per second and the
// exchanges it judged per second in the same window, so that answers whose judgment was
// only queued count for nothing.
func proxyRate(s sample) float64 { return min(s.ok, judgedRate(s)) }

// report prints the table, the judged counts, the large-object figures and the targets.
func (b *bench) report() {
	fmt.Printf("\nmedians of %d rounds\n", b.c.rounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	ts := b.targets()
	row := func(label string, f func(*target) string) {
		cells := []string{label}
		for _, t := range ts {
			cells = append(cells, f(t))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t")+"\t")
	}
	row("", func(t *target) string { return t.name })
	row(fmt.Sprintf("%d conns: 200 answers/s", b.c.conns), func(t *target) string { return fmt.Sprintf("%.0f", stat(t.sat, okRate)) })
	row(fmt.Sprintf("%d conns: judged/s", b.c.conns), func(t *target) string { return judgedCell(t, t.sat) })
	row(fmt.Sprintf("%d conns: p50 / p99 ms", b.c.conns), func(t *target) string { return latCell(t.sat) })
	row("1 conn: 200 answers/s", func(t *target) string { return fmt.Sprintf("%.0f", stat(t.one, okRate)) })
	row("1 conn: judged/s", func(t *target) string { return judgedCell(t, t.one) })
	row("1 conn: p50 / p99 ms", func(t *target) string { return latCell(t.one) })
	row(fmt.Sprintf("%d conns: CPU µs/answer, answering process", b.c.conns), func(t *target) string { return fmt.Sprintf("%.0f", stat(t.sat, cpuPerAnswer)) })
	row(fmt.Sprintf("%d conns: CPU µs/answer, all processes", b.c.conns), func(t *target) string { return fmt.Sprintf("%.0f", stat(t.sat, cpuAllPerAnswer)) })
	row("requests answered", func(t *target) string { return fmt.Sprint(t.answered) })
	row("unexpected statuses / errors", func(t *target) string { return fmt.Sprintf("%d / %d", t.answered-t.statuses[200], t.errors) })
	w.Flush()
	b.checkAnswers()
	b.reportJudged()
	b.reportLarge()
	if b.profileNote != "" {
		fmt.Println(b.profileNote)
	}
	b.reportTargets()
}

func judgedCell(t *target, s []sample) string {
	if t.log == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", stat(s, judgedRate))
}

func latCell(s []sample) string {
	return fmt.Sprintf("%.3f / %.3f", stat(s, p50ms), stat(s, p99ms))
}

// checkAnswers reports statuses other than 200 and transport errors.
func (b *bench) checkAnswers() {
	for _, t := range b.targets() {
		if t.answered == t.statuses[200] && t.errors == 0 {
			continue
		}
		var codes []string
		for c, n := range t.statuses {
			codes = append(codes, fmt.Sprintf("%d × %d", n, c))
		}
		sort.Strings(codes)
		b.warn("%s: %d answers other than 200 (%s) and %d transport errors; first: %s",
			t.name, t.answered-t.statuses[200], strings.Join(codes, ", "), t.errors, strings.Join(t.firstErrors, " | "))
	}
}

// warn prints a problem loudly and remembers it (the run then exits 1).
func (b *bench) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Println("WARNING: " + msg)
	b.problems = append(b.problems, msg)
}

// reportJudged compares rdsproxy's judged exchanges with the requests it answered.
func (b *bench) reportJudged() {
	l := b.proxy.log
	judged := l.count()
	fmt.Printf("\nrdsproxy judged %d exchanges for %d requests answered through it (%d transport errors): %s\n",
		judged, b.proxy.answered, b.proxy.errors, l.kindsText())
	if judged < b.proxy.answered {
		b.warn("rdsproxy JUDGED FEWER EXCHANGES (%d) THAN IT ANSWERED (%d): %d answers were not validated",
			judged, b.proxy.answered, b.proxy.answered-judged)
	}
	others, lines, summary := l.otherLines()
	fmt.Printf("rdsproxy exit status %d; %q\n", b.proxyExit, summary)
	if b.proxyExit != 0 {
		b.warn("rdsproxy exited with status %d", b.proxyExit)
	}
	if others > 0 {
		b.warn("rdsproxy wrote %d other lines on standard error, first: %s", others, strings.Join(lines, " | "))
	}
	fmt.Printf("rdsproxy RSS when ready %s, peak over the throughput and latency rounds (VmHWM) %s: %.1f kB more per judged exchange\n",
		mb(b.proxyStartKB), mb(b.proxyHWMKB), float64(b.proxyHWMKB-b.proxyStartKB)/float64(max(judged, 1)))
}

// reportLarge prints the 1 GiB figures.
func (b *bench) reportLarge() {
	l := b.large
	if l == nil {
		return
	}
	fmt.Printf("1 GiB object: direct %.0f MiB/s, through rdsproxy %.0f MiB/s (medians), median per-round ratio %.2f×\n",
		median(l.direct), median(l.proxy), median(l.ratios))
	fmt.Printf("  CPU per GiB (medians): direct %v; through rdsproxy %v\n", medianSplit(l.cpuD), medianSplit(l.cpuP))
	fmt.Printf("  that rdsproxy's RSS %s before, peak (VmHWM) %s; exit status %d\n", mb(l.startKB), mb(l.hwmKB), b.largeExit)
	if b.largeExit != 0 {
		b.warn("the 1 GiB rdsproxy exited with status %d", b.largeExit)
	}
}

func mb(kb int64) string {
	if kb < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MB (%d kB)", float64(kb)*1024/1e6, kb)
}

// reportTargets prints one line per target: met or not met.
func (b *bench) reportTargets() {
	fmt.Println()
	d, p := stat(b.direct.sat, okRate), stat(b.proxy.sat, proxyRate)
	bound := stat(b.direct.sat, cpuAllPerAnswer) / stat(b.proxy.sat, cpuAllPerAnswer)
	printTarget(fmt.Sprintf("1. rdsproxy throughput ≥ 0.5× direct (200 answers/s, each round the lower of answered and judged; "+
		"CPU per answer of all processes, direct / rdsproxy: %.2f×, the ratio to expect when the cores are the limit)", bound),
		fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", p/d, p, d), p >= 0.5*d)
	if b.pr != nil {
		pr := stat(b.pr.sat, okRate)
		printTarget("2. rdsproxy throughput ≥ 5× prism proxy's (200 answers/s)", fmt.Sprintf("%.1f× (%.0f vs %.0f req/s)", p/pr, p, pr), pr > 0 && p >= 5*pr)
	} else {
		fmt.Println("2. rdsproxy ≥ 5× prism proxy: not measured (no prism)")
	}
	added1 := stat(b.proxy.one, p50ms) - stat(b.direct.one, p50ms)
	addedN := stat(b.proxy.sat, p50ms) - stat(b.direct.sat, p50ms)
	printTarget(fmt.Sprintf("3. added p50 latency ≤ 0.5 ms at 1 connection (at %d connections: %+.3f ms, mostly queueing)", b.c.conns, addedN),
		fmt.Sprintf("%+.3f ms", added1), added1 <= 0.5)
	if l := b.large; l != nil {
		r, cd, cp := median(l.ratios), medianSplit(l.cpuD), medianSplit(l.cpuP)
		bound := (cd.fake + cd.client) / (cp.fake + cp.proxy + cp.client)
		printTarget(fmt.Sprintf("4. 1 GiB object through rdsproxy ≥ 0.8× direct (CPU per GiB of all processes, direct / through rdsproxy: %.2f×)", bound),
			fmt.Sprintf("%.2f×", r), r >= 0.8)
		printTarget("4. rdsproxy peak RSS (VmHWM) < 64 MB while streaming it", mb(l.hwmKB), l.hwmKB >= 0 && l.hwmKB*1024 < 64e6)
	}
}

func printTarget(what, got string, ok bool) {
	verdict := "met"
	if !ok {
		verdict = "NOT MET"
	}
	fmt.Printf("target %s: %s: %s\n", what, got, verdict)
}
