package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/download"
	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// writeTable prints name, size, database and link expiry (time and time left). Links are
// secrets and are not shown.
func writeTable(w io.Writer, res *rdsbackup.Result, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tDATABASE\tLINK EXPIRES\tLEFT")
	for _, f := range res.Files {
		db := "-"
		if f.DatabaseName != nil && *f.DatabaseName != "" {
			db = *f.DatabaseName
		}
		expires, left := f.LinkExpiredTime.String(), "?"
		if t, err := f.LinkExpiredTime.Time(); err == nil {
			expires = t.Format("2006-01-02 15:04:05 -0700")
			if d := t.Sub(now); d > 0 {
				left = d.Truncate(time.Second).String()
			} else {
				left = "expired"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(f.Name), humanBytes(f.Size*1024), printable(db), printable(expires), left)
	}
	fmt.Fprintf(tw, "%d file(s) in bucket %s\n", len(res.Files), printable(res.Bucket))
	return tw.Flush()
}

// printable keeps control, bidirectional and invisible characters from a hostile response
// out of the terminal: they are shown as escapes (\u202e).
func printable(s string) string { return textsafe.Escape(s) }

// humanBytes formats n bytes with binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns the progress factory for a mode: "bar" (schollz/progressbar on a
// terminal), "lines" (a line every 5 s and at the end), or "none".
func newProgress(mode string, w io.Writer) func(string) download.Progress {
	switch mode {
	case "bar":
		return func(name string) download.Progress { return &barProgress{w: w, name: name} }
	case "lines":
		var mu sync.Mutex // lines from parallel files do not interleave
		return func(name string) download.Progress {
			return &lineProgress{w: w, mu: &mu, name: name, every: 5 * time.Second}
		}
	}
	return nil
}

type barProgress struct {
	w    io.Writer
	name string
	bar  *progressbar.ProgressBar
}

func (p *barProgress) Start(name string, total, done int64) {
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(printable(p.name)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
	_ = p.bar.Set64(done)
}

func (p *barProgress) Add(n int64) {
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

func (p *barProgress) Finish(err error) {
	if p.bar == nil {
		return
	}
	if err == nil {
		_ = p.bar.Finish()
		return
	}
	_ = p.bar.Exit()
	fmt.Fprintln(p.w)
}

type lineProgress struct {
	w           io.Writer
	mu          *sync.Mutex
	name        string
	total, done int64
	every       time.Duration
	last        time.Time
}

func (p *lineProgress) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s: "+format+"\n", append([]any{printable(p.name)}, args...)...)
}

func (p *lineProgress) Start(name string, total, done int64) {
	p.total, p.done, p.last = total, done, time.Now()
	if done > 0 {
		p.say("resuming at %s of %s", humanBytes(done), humanBytes(total))
	} else {
		p.say("starting, %s", humanBytes(total))
	}
}

func (p *lineProgress) Add(n int64) {
	p.done += n
	if time.Since(p.last) >= p.every {
		p.last = time.Now()
		pct := 100.0
		if p.total > 0 {
			pct = float64(p.done) * 100 / float64(p.total)
		}
		p.say("%s of %s (%.0f%%)", humanBytes(p.done), humanBytes(p.total), pct)
	}
}

func (p *lineProgress) Finish(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		p.say("interrupted after %s", humanBytes(p.done))
		return
	case err != nil:
		p.say("failed after %s", humanBytes(p.done))
		return
	}
	p.say("done, %s", humanBytes(p.done))
}
