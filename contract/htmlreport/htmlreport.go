// Package htmlreport writes the conformance run as one self-contained HTML page
// (reports/conformance.html): the verdict first, a matrix of checks × containers, every
// finding with where, got, want, the engine and its reproducer, and the coverage. Inline CSS
// only: no script, no external style, font or image, so it opens from a mail attachment or a
// CI artifact store with no network. Every text passes through html/template's escaping and
// through the secret masking of internal/redact.
package htmlreport

import (
	_ "embed"
	"html/template"
	"io"
	"time"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/internal/redact"
)

// Finding is one failure or warning of the run, as the report shows it.
type Finding struct {
	Container string // recorded, fake or live
	Subject   string // the cassette interaction or scenario
	Violation contract.Violation
	Reproduce string // a command that shows the exchange again
}

// Data is everything the page shows.
type Data struct {
	Title     string
	Generated time.Time
	Passed    bool   // the run's verdict
	Summary   string // e.g. "Ran 280 of 283 specs: 280 passed, 0 failed"
	Findings  []Finding
	Coverage  contract.CoverageReport
	Checks    []contract.CheckInfo
}

//go:embed report.html.tmpl
var source string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"mask": redact.Text,
	"tally": func(c contract.ContainerReport, check string) *contract.CheckTally {
		if t := c.Checks[check]; t != nil {
			return t
		}
		return &contract.CheckTally{}
	},
	"skipped": func(t *contract.CheckTally) int {
		n := 0
		for _, k := range t.Skipped {
			n += k
		}
		return n
	},
	"severity": func(s contract.Severity) string { return s.String() },
}).Parse(source))

// Write renders d as the HTML page.
func Write(w io.Writer, d Data) error {
	if d.Title == "" {
		d.Title = "RDS backup-files conformance report"
	}
	return page.Execute(w, d)
}
