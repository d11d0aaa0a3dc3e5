package main

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// judgeLog reads rdsproxy's standard error as it is written: one line per judged exchange
// ("15:04:05.000 #SEQ METHOD HOST/PATH?QUERY STATUS VERDICT [CHECKS] ... 1.2ms"), counted by
// status, verdict and the checks named; every other line is kept (the first few) and counted.
type judgeLog struct {
	mu      sync.Mutex
	partial []byte
	judged  int64
	kinds   map[string]int64 // "200 warn link_https(warning)" -> exchanges
	other   []string         // lines that are not exchange lines (first 20)
	others  int64            // lines other than exchanges, the start line and the final summary
	summary string           // rdsproxy's "judged N exchanges: ..." line at its stop
	// summaryLines counts that line and the coverage summary after it
	summaryLines int
}

func newJudgeLog() *judgeLog { return &judgeLog{kinds: map[string]int64{}} }

// Write takes a chunk of rdsproxy's standard error (exec copies it from the pipe).
func (l *judgeLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) == 0 {
		l.partial = nil // let the backing array go
	}
	return len(b), nil
}

var verdicts = map[string]bool{"pass": true, "warn": true, "FAIL": true, "skip": true}

// line counts one line (l.mu held).
func (l *judgeLog) line(s string) {
	f := strings.Fields(s)
	if len(f) >= 6 && strings.HasPrefix(f[1], "#") && len(f[0]) == len("15:04:05.000") && verdicts[f[5]] {
		l.judged++
		kind := f[4] + " " + f[5]
		if len(f) > 6 && !strings.HasPrefix(f[6], "request_id=") && !strings.HasPrefix(f[6], "(") && !strings.HasSuffix(f[6], "ms") {
			kind += " " + f[6]
		}
		l.kinds[kind]++
		return
	}
	switch {
	case strings.HasPrefix(s, "rdsproxy: judged "):
		l.summary = s
		l.summaryLines++
		return
	case l.summary != "": // the coverage summary that follows it
		l.summaryLines++
		return
	case strings.HasPrefix(s, "rdsproxy: reverse proxy to "):
		return
	}
	l.others++
	if len(l.other) < 20 {
		l.other = append(l.other, s)
	}
}

// count is how many exchange lines have been read so far.
func (l *judgeLog) count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.judged
}

// waitFor waits until at least n exchange lines were read, at most limit, and returns how
// long it waited.
func (l *judgeLog) waitFor(ctx context.Context, n int64, limit time.Duration) time.Duration {
	t0 := time.Now()
	for l.count() < n && time.Since(t0) < limit && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(t0)
}

// kindsText lists the kinds of judged exchanges, most frequent first.
func (l *judgeLog) kindsText() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for k, n := range l.kinds {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].k < all[j].k })
	var parts []string
	for _, e := range all {
		parts = append(parts, fmt.Sprintf("%d × %s", e.n, e.k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// otherLines returns the count of non-exchange lines, the first of them and the summary.
func (l *judgeLog) otherLines() (int64, []string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.others, append([]string(nil), l.other...), l.summary
}
